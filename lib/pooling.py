"""池化层（pooling layer）：最大池化与平均池化。

池化（有的书译作“汇聚”）把特征图上每个 k×k 的窗口汇总成一个数：
最大池化取窗口里的最大值，平均池化取平均值。它没有参数，只有窗口边长 ``kernel_size``
和步幅 ``stride``（默认等于窗口边长，窗口互不重叠）。

取窗口有两条路线，结果相同，都不随图像大小循环：

* **变形**（reshape）：``stride == kernel_size`` 时（最常见），把 (N, C, H, W) 直接变形成
  (N, C, H/k, k, W/k, k)，每个窗口就是一个 k×k 的小块。H 或 W 不是 k 的整数倍时，
  先裁掉最下面、最右边多出的几行几列——它们凑不满一个窗口，与输出尺寸公式里的向下取整一致。
  被裁掉的像素不影响输出，梯度为 0。想保留它们，请先填充（补 0），让边长是 k 的整数倍
  （裁剪则是明说丢掉它们）。
* **图转列**（im2col）：其余情形（例如窗口重叠的 ``stride < kernel_size``），把每个通道当作
  一张单通道图，用 ``lib.im2col`` 取出全部窗口；反向传播用它的伴随 ``lib.col2im``，
  重叠处的梯度相加。

两条路线都把窗口排成 (N, C, k·k, out_h, out_w)：第 2 维是窗口里的 k·k 个数，按行优先
（先行后列）排列。

层在默认的 ``method='auto'`` 下走第三条、更省内存的路：不把窗口摆出来，而是像 ``im2col``
那样只在 k×k 个偏移上循环，偏移 (m, q) 在所有窗口里取到的像素是输入的一个切片
``x[:, :, m::stride, q::stride]``（视图，不复制），逐个切片取最大值或累加（见 ``offset_view``）。
结果与两条路线完全相同（包括最大值并列时的规则）；``method='reshape'`` 或 ``'im2col'``
让层改走对应的路线，测试用它们互相对照。

记号：输入 ``x`` 形状 (N, C, H, W)，输出 (N, C, out_h, out_w)，
``out_h = (H - k) // stride + 1``（不填充）。
"""

import numpy as np

from .convolution import col2im, im2col, output_size
from .layers import Layer, check_ndim
from .tensor import Tensor

METHODS = ('auto', 'reshape', 'im2col')


def choose_method(kernel_size, stride, method='auto'):
    """``'auto'`` 时，窗口不重叠（stride == kernel_size）走变形路线，否则走图转列路线。"""
    if method not in METHODS:
        raise ValueError(f'池化的 method 期望是 {METHODS} 之一，实际得到 {method!r}')
    if method == 'auto':
        return 'reshape' if stride == kernel_size else 'im2col'
    if method == 'reshape' and stride != kernel_size:
        raise ValueError(f'变形（reshape）路线期望 stride == kernel_size，'
                         f'实际 kernel_size={kernel_size}，stride={stride}；请改用 im2col 路线')
    return method


def offset_view(x, m, q, stride, out_h, out_w):
    """所有窗口里偏移 (m, q) 处的像素 ``x[:, :, m + i·s, q + j·s]``：(N, C, out_h, out_w) 的视图。"""
    return x[:, :, m:m + stride * out_h:stride, q:q + stride * out_w:stride]


def pool_windows(x, kernel_size, stride=None, method='auto'):
    """取出池化的全部窗口。

    Parameters
    ----------
    x : ndarray，形状 (N, C, H, W)
    kernel_size : int
        窗口边长 k。
    stride : int，默认等于 kernel_size
    method : {'auto', 'reshape', 'im2col'}
        取窗口的路线，见模块说明；两条路线结果相同。

    Returns
    -------
    ndarray，形状 (N, C, k·k, out_h, out_w)
        ``windows[n, c, :, i, j]`` 是第 n 张图第 c 个通道在输出位置 (i, j) 的窗口，
        按行优先展平：第 ``m·k + q`` 个数是窗口里第 m 行、第 q 列的像素。
    """
    k = kernel_size
    s = k if stride is None else stride
    N, C, H, W = x.shape
    out_h, out_w = output_size(H, k, s), output_size(W, k, s)
    if choose_method(k, s, method) == 'reshape':
        blocks = x[:, :, :out_h * k, :out_w * k].reshape(N, C, out_h, k, out_w, k)   # 裁掉凑不满窗口的行列
        return blocks.transpose(0, 1, 3, 5, 2, 4).reshape(N, C, k * k, out_h, out_w)
    cols = im2col(x.reshape(N * C, 1, H, W), k, s)          # (N·C, k·k, out_h·out_w)：每个通道单独取窗口
    return cols.reshape(N, C, k * k, out_h, out_w)


def pool_windows_adjoint(grad_windows, input_shape, kernel_size, stride=None, method='auto'):
    """``pool_windows`` 的伴随：把每个窗口的梯度加回它在输入里的位置，重叠处相加。

    Parameters
    ----------
    grad_windows : ndarray，形状 (N, C, k·k, out_h, out_w)
    input_shape : tuple，(N, C, H, W)

    Returns
    -------
    ndarray，形状 (N, C, H, W)；不在任何窗口里的像素为 0。
    """
    k = kernel_size
    s = k if stride is None else stride
    N, C, H, W = input_shape
    out_h, out_w = output_size(H, k, s), output_size(W, k, s)
    if choose_method(k, s, method) == 'reshape':
        blocks = grad_windows.reshape(N, C, k, k, out_h, out_w).transpose(0, 1, 4, 2, 5, 3)
        grad = np.zeros(input_shape, dtype=grad_windows.dtype)
        grad[:, :, :out_h * k, :out_w * k] = blocks.reshape(N, C, out_h * k, out_w * k)
        return grad
    cols = grad_windows.reshape(N * C, k * k, out_h * out_w)
    return col2im(cols, (N * C, 1, H, W), k, s).reshape(input_shape)


class Pool(Layer):
    """池化层的共同部分：检查参数与输入、取窗口；子类决定怎样汇总一个窗口。

    Parameters
    ----------
    kernel_size : int
        窗口边长 k（正方形窗口）。
    stride : int，默认等于 kernel_size（窗口互不重叠）
        窗口每次移动的像素数。
    method : {'auto', 'reshape', 'im2col'}，默认 'auto'
        取窗口的路线（见模块说明），一般不用改；测试用它对照两条路线。

    输入 ``x`` 形状 (N, C, H, W)，输出 (N, C, out_h, out_w)，
    ``out_h = (H - k) // stride + 1``；每个通道各自池化，通道数不变。
    """

    def __init__(self, kernel_size, stride=None, method='auto'):
        super().__init__()
        name = type(self).__name__
        stride_value = kernel_size if stride is None else stride
        for arg, value in (('kernel_size', kernel_size), ('stride', stride_value)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f'{name} 期望 {arg} 是 ≥ 1 的整数，实际得到 {value!r}')
        self.kernel_size = int(kernel_size)
        self.stride = self.kernel_size if stride is None else int(stride)
        choose_method(self.kernel_size, self.stride, method)   # 检查 method 是否可用
        self.method = method

    def check_input(self, x):
        """检查输入是 (N, C, H, W) 的 Tensor，且窗口不大于输入。"""
        name, k = type(self).__name__, self.kernel_size
        check_ndim(name, x, 4, '(N, C, H, W)')
        H, W = x.data.shape[2:]
        if min(H, W) < k:
            raise ValueError(f'{name} 的窗口 {k}×{k} 大于输入：期望高、宽都 ≥ {k}，'
                             f'实际输入形状 {x.data.shape}（高×宽为 {H}×{W}）')

    def windows(self, x):
        return pool_windows(x, self.kernel_size, self.stride, self.method)

    def scatter(self, grad_windows, input_shape):
        return pool_windows_adjoint(grad_windows, input_shape, self.kernel_size, self.stride, self.method)

    def output_shape(self, input_shape):
        """输入形状 (N, C, H, W) 对应的输出形状。"""
        N, C, H, W = input_shape
        return (N, C, output_size(H, self.kernel_size, self.stride),
                output_size(W, self.kernel_size, self.stride))

    def describe(self):
        return f'kernel_size={self.kernel_size}; stride={self.stride}'


class MaxPool(Pool):
    """最大池化（max pooling）：每个 k×k 窗口取最大值。参数与形状见 ``Pool``。

    反向传播：输出对窗口里最大的那个输入的偏导是 1，对其余输入是 0，所以每个输出的梯度
    只流回它窗口里的最大值所在的位置（窗口重叠时，一个像素可能从几个窗口各收到一份，相加）。
    **并列**的规则：窗口里有几个数同为最大值时，按行优先（先行后列）排在最前的那个
    得到全部梯度，其余为 0——与 ``np.argmax`` 的规则一致。
    """

    def forward(self, x: Tensor):
        self.check_input(x)
        if self.method == 'auto':
            return self.forward_offsets(x)
        windows = self.windows(x.data)                     # (N, C, k·k, out_h, out_w)
        out = Tensor(windows.max(axis=2), parents=(x,))

        def gradient_fn():
            if not x.requires_grad:
                return
            # 链式法则：∂max/∂x 在最大值处为 1，其余为 0。
            # 按行优先逐个看窗口里的 k·k 个位置（只循环 k·k 次，与图像大小无关）：
            # 等于最大值、且前面还没有位置认领过的，得到这个窗口的全部梯度。
            grad_windows = np.empty(windows.shape, dtype=out.grad.dtype)
            taken = np.zeros(out.data.shape, dtype=bool)
            for t in range(windows.shape[2]):
                first = (windows[:, :, t] == out.data) & ~taken
                taken |= first
                np.multiply(out.grad, first, out=grad_windows[:, :, t])
            x.grad += self.scatter(grad_windows, x.data.shape)

        out.gradient_fn = gradient_fn
        return out

    def forward_offsets(self, x: Tensor):
        """与 ``forward`` 相同的结果，但不摆出窗口：在 k×k 个偏移的切片上逐个取最大值。"""
        k, s = self.kernel_size, self.stride
        _, _, out_h, out_w = self.output_shape(x.data.shape)
        offsets = [(m, q) for m in range(k) for q in range(k)]       # 行优先：并列时排在前面的优先
        y = offset_view(x.data, 0, 0, s, out_h, out_w).copy(order='K')   # 保持输入的内存布局
        for m, q in offsets[1:]:
            np.maximum(y, offset_view(x.data, m, q, s, out_h, out_w), out=y)
        out = Tensor(y, parents=(x,))

        def gradient_fn():
            if not x.requires_grad:
                return
            # 链式法则同 forward：每个窗口的梯度只给按行优先第一个等于最大值的位置
            grad = np.zeros_like(x.data)
            taken = None                      # 已经被前面的偏移认领的窗口
            for t, (m, q) in enumerate(offsets):
                first = offset_view(x.data, m, q, s, out_h, out_w) == y
                if taken is None:
                    taken = first
                else:
                    np.greater(first, taken, out=first)     # 布尔值：first 且 not taken
                    if t < len(offsets) - 1:
                        taken |= first
                target = offset_view(grad, m, q, s, out_h, out_w)
                if s >= k:            # 窗口不重叠：每个像素至多属于一个窗口，直接写入
                    np.multiply(out.grad, first, out=target)
                else:                 # 窗口重叠：一个像素可能从几个窗口各收到一份，相加
                    target += out.grad * first
            x.add_grad(grad)

        out.gradient_fn = gradient_fn
        return out


class AvgPool(Pool):
    """平均池化（average pooling）：每个 k×k 窗口取平均值。参数与形状见 ``Pool``。

    反向传播：输出对窗口里每个输入的偏导都是 1/k²，所以每个输出的梯度平分给整个窗口。
    """

    def forward(self, x: Tensor):
        self.check_input(x)
        k = self.kernel_size
        if self.method == 'auto':
            return self.forward_offsets(x)
        windows = self.windows(x.data)                     # (N, C, k·k, out_h, out_w)
        out = Tensor(windows.mean(axis=2), parents=(x,))

        def gradient_fn():
            if not x.requires_grad:
                return
            # 链式法则：∂mean/∂x = 1/k²，对窗口里的每个像素都一样
            share = np.broadcast_to((out.grad / (k * k))[:, :, None], windows.shape)
            x.grad += self.scatter(share, x.data.shape)

        out.gradient_fn = gradient_fn
        return out

    def forward_offsets(self, x: Tensor):
        """与 ``forward`` 相同的结果，但不摆出窗口：把 k×k 个偏移的切片逐个加起来。"""
        k, s = self.kernel_size, self.stride
        _, _, out_h, out_w = self.output_shape(x.data.shape)
        offsets = [(m, q) for m in range(k) for q in range(k)]
        total = offset_view(x.data, 0, 0, s, out_h, out_w).copy(order='K')
        for m, q in offsets[1:]:
            total += offset_view(x.data, m, q, s, out_h, out_w)
        out = Tensor(total / (k * k), parents=(x,))

        def gradient_fn():
            if not x.requires_grad:
                return
            share = out.grad / (k * k)         # 链式法则：∂mean/∂x = 1/k²
            grad = np.zeros_like(x.data)
            for m, q in offsets:
                offset_view(grad, m, q, s, out_h, out_w)[...] += share
            x.add_grad(grad)

        out.gradient_fn = gradient_fn
        return out
