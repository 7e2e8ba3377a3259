"""层（Layer）：基类、线性层、顺序层、展平层、丢弃层与激活函数。

每个层的 ``forward`` 算出输出张量，并给它挂上一个 ``gradient_fn`` 闭包：
已知输出的梯度 ``out.grad``，按链式法则把梯度**累加**（``+=``）到输入和参数上。
层内不再除以批大小：损失函数已经对批求过平均，层只传播精确的梯度。
"""

from abc import ABC, abstractmethod

import numpy as np

from .tensor import Tensor, shape_error


def check_ndim(who, x, ndim, layout):
    """检查输入是 Tensor 且维数正确，否则给出中文错误。"""
    if not isinstance(x, Tensor):
        raise TypeError(f'{who} 期望输入 Tensor，实际得到 {type(x).__name__}')
    if x.data.ndim != ndim:
        raise shape_error(who, f'{ndim} 维输入 {layout}', f'{x.data.ndim} 维，形状 {x.data.shape}')


# 各层共用的随机数生成器（初始化与丢弃）；lib.seed(n) 让结果可复现。
rng = np.random.default_rng()


def seed(n):
    """设定各层的随机数种子（权重初始化、丢弃层的掩码）。"""
    global rng
    rng = np.random.default_rng(n)


def he_normal(shape, fan_in):
    """He/Kaiming 正态初始化：N(0, 2/fan_in)。

    权重有正有负、均值为 0，方差让 ReLU 之后的信号既不放大也不衰减
    （He et al., 2015）。
    """
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Layer(ABC):
    """所有层的基类。

    子层与参数自动发现：属性里的 ``Tensor`` 是参数，属性里的 ``Layer``
    （或 ``Layer`` 列表）是子层。``train()``/``eval()`` 会递归到子层。
    """

    def __init__(self):
        self.training = True

    def __call__(self, x: Tensor):
        return self.forward(x)

    @abstractmethod
    def forward(self, x: Tensor):
        pass

    def children(self):
        for value in vars(self).values():
            if isinstance(value, Layer):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Layer))

    def parameters(self):
        own = [v for v in vars(self).values() if isinstance(v, Tensor)]
        found = own + [param for child in self.children() for param in child.parameters()]
        return list({id(param): param for param in found}.values())  # 同一层出现两次时参数只算一次

    def parameter_count(self):
        return sum(param.data.size for param in self.parameters())

    def train(self):
        self.training = True
        for child in self.children():
            child.train()

    def eval(self):
        self.training = False
        for child in self.children():
            child.eval()

    def astype(self, dtype):
        """把所有参数转换为 dtype（例如梯度检验用 np.float64），返回自身。"""
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            param.grad = None
        return self

    def describe(self):
        """方括号里的说明，子类可覆盖。"""
        return '; '.join(f'{name}{v.data.shape}' for name, v in vars(self).items()
                         if isinstance(v, Tensor))

    def __str__(self):
        return f'{type(self).__name__}[{self.describe()}]'

    __repr__ = __str__


class Linear(Layer):
    """全连接层：``y = x @ W.T + b``。

    Parameters
    ----------
    in_size, out_size : int
        输入、输出特征数。``x`` 的形状为 (N, in_size)，输出为 (N, out_size)。
    """

    def __init__(self, in_size, out_size):
        super().__init__()
        self.weight = Tensor(he_normal((out_size, in_size), fan_in=in_size))
        self.bias = Tensor(np.zeros(out_size, dtype=np.float32))

    def forward(self, x: Tensor):
        check_ndim('Linear', x, 2, '(N, 特征数)')
        in_size = self.weight.data.shape[1]
        if x.data.shape[1] != in_size:
            raise shape_error('Linear', f'输入形状 (N, {in_size})', x.data.shape)
        out = Tensor(x.data @ self.weight.data.T + self.bias.data, parents=(x,))

        def gradient_fn():
            # 链式法则：dL/dW = dL/dy.T @ x，dL/db = Σ_n dL/dy，dL/dx = dL/dy @ W
            self.weight.add_grad(out.grad.T @ x.data)     # 即 weight.grad += …，见 Tensor.add_grad
            self.bias.add_grad(out.grad.sum(axis=0))
            if x.requires_grad:  # 输入是数据批次时不需要它的梯度
                x.add_grad(out.grad @ self.weight.data)   # 新数组：梯度还空着时直接接管，省一次清零和相加

        out.gradient_fn = gradient_fn
        return out


class Sequential(Layer):
    """按顺序串起多个层；打印时列出各层并给出参数总数。"""

    def __init__(self, layers):
        super().__init__()
        self.layers = list(layers)
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError(f'Sequential 期望一串 Layer，实际其中有 {type(layer).__name__}')

    def forward(self, x: Tensor):
        for layer in self.layers:
            x = layer(x)
        return x

    def __str__(self):
        lines = [str(layer) if not isinstance(layer, Sequential) else
                 '\n'.join('  ' + line for line in layer.layer_lines()) for layer in self.layers]
        lines.append(f'参数总数：{self.parameter_count():,}')
        return '\n'.join(lines)

    def layer_lines(self):
        return str(self).splitlines()[:-1]   # 嵌套时不重复打印参数总数

    __repr__ = __str__


class Flatten(Layer):
    """展平层：(N, ...) → (N, 其余各维之积)。"""

    def forward(self, x: Tensor):
        out = Tensor(x.data.reshape(x.data.shape[0], -1), parents=(x,))

        def gradient_fn():
            x.grad += out.grad.reshape(x.data.shape)

        out.gradient_fn = gradient_fn
        return out


class Dropout(Layer):
    """丢弃层（dropout），采用“反向丢弃”（inverted dropout）。

    训练时每个元素以概率 ``dropout_rate`` 置零，保留下来的元素除以
    ``1 - dropout_rate``，所以输出的期望与输入相同；评估时原样输出。
    """

    def __init__(self, dropout_rate=0.2):
        super().__init__()
        if not 0 <= dropout_rate < 1:
            raise ValueError(f'Dropout 期望 0 ≤ dropout_rate < 1，实际得到 {dropout_rate}')
        self.dropout_rate = dropout_rate

    def forward(self, x: Tensor):
        if not self.training or self.dropout_rate == 0:
            return x
        keep = 1 - self.dropout_rate
        mask = (rng.random(x.data.shape, dtype=np.float32) < keep).astype(x.data.dtype) / keep
        out = Tensor(x.data * mask, parents=(x,))

        def gradient_fn():
            x.add_grad(out.grad * mask)

        out.gradient_fn = gradient_fn
        return out

    def describe(self):
        return f'rate={self.dropout_rate}'


class ReLU(Layer):
    """ReLU 激活：max(0, x)。"""

    def forward(self, x: Tensor):
        out = Tensor(np.maximum(x.data, 0), parents=(x,))

        def gradient_fn():
            x.add_grad(out.grad * (x.data > 0))        # 即 x.grad += …，见 Tensor.add_grad

        out.gradient_fn = gradient_fn
        return out


class Tanh(Layer):
    """Tanh 激活。"""

    def forward(self, x: Tensor):
        out = Tensor(np.tanh(x.data), parents=(x,))

        def gradient_fn():
            x.grad += out.grad * (1 - out.data ** 2)

        out.gradient_fn = gradient_fn
        return out


class Sigmoid(Layer):
    """Sigmoid 激活：1 / (1 + e^{-x})；先裁剪输入以免 exp 溢出。"""

    def __init__(self, clip_range=(-100, 100)):
        super().__init__()
        self.clip_range = clip_range

    def forward(self, x: Tensor):
        z = np.clip(x.data, *self.clip_range)
        out = Tensor(1 / (1 + np.exp(-z)), parents=(x,))

        def gradient_fn():
            x.grad += out.grad * out.data * (1 - out.data)

        out.gradient_fn = gradient_fn
        return out


class Softmax(Layer):
    """Softmax 激活：沿 ``axis`` 归一化为概率。"""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor):
        exp = np.exp(x.data - np.max(x.data, axis=self.axis, keepdims=True))
        out = Tensor(exp / np.sum(exp, axis=self.axis, keepdims=True), parents=(x,))

        def gradient_fn():
            # 雅可比矩阵与向量之积：s * (g - Σ s·g)
            dot = np.sum(out.data * out.grad, axis=self.axis, keepdims=True)
            x.grad += out.data * (out.grad - dot)

        out.gradient_fn = gradient_fn
        return out
