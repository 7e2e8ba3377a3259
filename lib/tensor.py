"""张量（Tensor）与自动微分（automatic differentiation）。

每个由运算得到的张量在创建时就记下它的父张量（``Tensor(data, parents=(x,))``，
与 micrograd 的 ``Value(data, (self, other), '+')`` 同一个形状），随后挂上一个闭包
``gradient_fn``——调用它，就把本张量的梯度按链式法则加到父张量的 ``grad`` 上::

    out = Tensor(np.maximum(x.data, 0), parents=(x,))

    def gradient_fn():
        x.grad += out.grad * (x.data > 0)

    out.gradient_fn = gradient_fn

``backward()`` 先对计算图做一次拓扑排序（topological sort），再按逆序逐个调用
``gradient_fn``。这样，一个张量即使被两处使用（例如 ``y = x * x``，或两条分支），
也会在两份梯度都累加完之后才继续向前传播。
"""

import numpy as np


def as_float_array(data):
    """把输入转成浮点数组；已是浮点数组的保持原精度（float32 或 float64）。"""
    array = np.asarray(data)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def shape_error(who, expected, actual):
    """构造一条统一格式的中文形状错误。"""
    return ValueError(f'{who} 期望{expected}，实际得到 {actual}')


class Tensor:
    """带梯度的多维数组。

    Parameters
    ----------
    data : array_like
        数值；整数会被转换为 float64。
    requires_grad : bool，默认 True
        是否需要这个张量的梯度。数据集给出的输入批次设为 False，
        卷积层和线性层就不必再算一份没人用的输入梯度。
    parents : tuple of Tensor，默认 ()
        由哪些张量算出（只有运算的输出才有；叶子张量为空）。

    Attributes
    ----------
    data : ndarray
    grad : ndarray，与 ``data`` 同形状；第一次读取时才分配（全零）。
    gradient_fn : callable 或 None
        反向传播闭包；叶子张量（输入、参数）为 None。
    parents : tuple of Tensor
    """

    def __init__(self, data, requires_grad=True, parents=()):
        self.data = as_float_array(data)
        self.requires_grad = requires_grad
        self._grad = None
        self.gradient_fn = None
        self.parents = tuple(parents)

    @property
    def grad(self):
        if self._grad is None:
            self._grad = np.zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    def zero_grad(self):
        """把梯度清零：丢掉梯度数组，下次读取 ``grad`` 时得到全零。"""
        self._grad = None

    def add_grad(self, grad):
        """把 grad 累加到梯度上，等价于 ``self.grad += grad``。

        梯度还是空的时候直接接管 grad，省去“先填零、再相加”两遍内存读写；
        所以 grad 必须是刚算出来、别处不再使用的新数组（例如一次矩阵乘法的结果）。
        参数有几十万个时（基线网络的 10816×64 线性层），这能省下可观的时间。
        """
        grad = np.reshape(grad, self.data.shape)
        if self._grad is None:
            self._grad = grad.astype(self.data.dtype, copy=False)
        else:
            self._grad += grad

    # ---- 反向传播 ----

    def topological_order(self):
        """返回从叶子到本张量的拓扑序（每个张量只出现一次）。"""
        order, visited = [], set()
        stack = [(self, False)]
        while stack:  # 用显式栈代替递归，深的计算图也不会触发递归上限
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in visited)
        return order

    def backward(self, grad=None):
        """从本张量开始反向传播。

        Parameters
        ----------
        grad : array_like，可选
            本张量的上游梯度。本张量是标量（如损失）时可省略，默认为 1。

        叶子张量（参数、输入）的梯度会累加，需要时由优化器的 ``reset()`` 清零；
        中间张量的梯度在每次调用时重新计算。
        """
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f'backward() 只能直接用于标量（例如损失），当前张量形状为 {self.data.shape}；'
                    f'请传入同形状的 grad 参数，例如 t.backward(np.ones({self.data.shape}))')
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.data.shape:
            raise shape_error('backward() 的 grad 参数', f'形状 {self.data.shape}', grad.shape)

        order = self.topological_order()
        for node in order:
            if node.gradient_fn is not None:
                node.grad = None  # 中间结果：清掉上一次反向传播留下的梯度
        self.grad = self.grad + grad
        for node in reversed(order):  # 逆拓扑序：所有使用者都已贡献梯度
            if node.gradient_fn is not None:
                node.gradient_fn()

    # ---- 形状 ----

    def shape(self):
        """数据的形状（与原课程一样是方法）。"""
        return self.data.shape

    def size(self):
        """每个样本的元素个数：除第一维（批）外各维之积。"""
        return int(np.prod(self.data.shape[1:]))

    def __str__(self):
        return f'Tensor({self.data})'

    __repr__ = __str__

    # ---- 几个基本运算：够用来搭两条分支或 y = x * x ----

    def __add__(self, other):
        other = other if isinstance(other, Tensor) else Tensor(other)
        out = Tensor(self.data + other.data, parents=(self, other))

        def gradient_fn():
            self.grad += unbroadcast(out.grad, self.data.shape)
            other.grad += unbroadcast(out.grad, other.data.shape)

        out.gradient_fn = gradient_fn
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Tensor) else Tensor(other)
        out = Tensor(self.data * other.data, parents=(self, other))

        def gradient_fn():
            self.grad += unbroadcast(out.grad * other.data, self.data.shape)
            other.grad += unbroadcast(out.grad * self.data, other.data.shape)

        out.gradient_fn = gradient_fn
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Tensor) else Tensor(-np.asarray(other)))

    def __rsub__(self, other):
        return Tensor(other) - self

    __radd__ = __add__
    __rmul__ = __mul__

    def sum(self):
        """所有元素之和（标量张量）。"""
        out = Tensor(self.data.sum(), parents=(self,))

        def gradient_fn():
            self.grad += out.grad  # 和对每个元素的偏导都是 1（广播）

        out.gradient_fn = gradient_fn
        return out


def unbroadcast(grad, shape):
    """把广播后的梯度求和回原来的形状。"""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad
