"""卷积层（convolutional layer）与图转列（im2col）。

本模块有三样东西，章节里依次讲到：

* ``conv2d_loop``：逐个输出像素计算的参考实现，就是公式
  ``Y[i, j] = Σ_m Σ_n X[i·s + m, j·s + n] · W[m, n] + b``。慢，但一眼能看懂，
  测试里用作对照（oracle）。
* ``im2col`` / ``col2im``：把每个窗口展平成矩阵的一列，卷积就变成一次矩阵乘法；
  ``col2im`` 是它的伴随（adjoint），把每列加回原来的位置，重叠处相加。
  两者都只在卷积核的 k×k 个偏移上循环，与图像大小无关。
* ``Convolution``：用上面两样拼成的层，前向与反向都是矩阵乘法。

记号：输入 ``x`` 形状 (N, C, H, W)，卷积核 ``weight`` 形状 (F, C, k, k)，
输出 (N, F, out_h, out_w)，``out_h = (H + 2·padding - k) // stride + 1``。

膨胀（dilation，又叫空洞卷积）：``dilation = d`` 时，卷积核的相邻两个权重在输入上相隔 d 个像素，
k×k 的卷积核覆盖 ``d·(k-1) + 1`` 的范围；公式里的 k 换成这个覆盖范围即可。d = 1 就是普通卷积。
"""

import numpy as np

from .layers import Layer, check_ndim, he_normal
from .tensor import Tensor, shape_error


def output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """卷积输出的边长：``(size + 2·padding - span) // stride + 1``。

    ``span = dilation·(kernel_size - 1) + 1`` 是膨胀后的卷积核覆盖的边长（dilation = 1 时就是 kernel_size）。
    """
    span = dilated_span(kernel_size, dilation)
    if size + 2 * padding < span:
        extent = '' if dilation == 1 else f'（dilation={dilation}，覆盖 {span}×{span}）'
        raise ValueError(f'卷积核 {kernel_size}×{kernel_size}{extent} 大于填充后的输入边长 '
                         f'{size} + 2×{padding} = {size + 2 * padding}')
    return (size + 2 * padding - span) // stride + 1


def dilated_span(kernel_size, dilation=1):
    """膨胀后的卷积核在输入上覆盖的边长 ``dilation·(kernel_size-1) + 1``；dilation 须是 ≥ 1 的整数。"""
    if isinstance(dilation, bool) or not isinstance(dilation, (int, np.integer)) or dilation < 1:
        raise ValueError(f'dilation 期望是 ≥ 1 的整数，实际得到 {dilation!r}')
    return dilation * (kernel_size - 1) + 1


def pad(x, padding):
    """在 (N, C, H, W) 的 H、W 两边各补 ``padding`` 个零。"""
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def conv2d_loop(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """参考实现：对每个输出像素 (i, j) 取窗口、乘权重、求和。

    Parameters
    ----------
    x : ndarray，形状 (N, C, H, W)
    weight : ndarray，形状 (F, C, k, k)
    bias : ndarray，形状 (F,)，可选

    Returns
    -------
    ndarray，形状 (N, F, out_h, out_w)
    """
    N, C, H, W = x.shape
    F, _, k, _ = weight.shape
    d = dilation
    out_h, out_w = output_size(H, k, stride, padding, d), output_size(W, k, stride, padding, d)
    span = dilated_span(k, d)
    xp = pad(x, padding)
    out = np.zeros((N, F, out_h, out_w), dtype=np.result_type(x, weight))
    for i in range(out_h):
        for j in range(out_w):
            # 窗口从 (i·s, j·s) 开始，每隔 d 个像素取一个：(N, C, k, k)
            window = xp[:, :, i * stride:i * stride + span:d, j * stride:j * stride + span:d]
            # 对通道和窗口内的 m, n 求和：(N, C, k, k) · (F, C, k, k) → (N, F)
            out[:, :, i, j] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        out += bias.reshape(1, F, 1, 1)
    return out


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """图转列（image to column）：每个卷积窗口展平成一列。

    Parameters
    ----------
    x : ndarray，形状 (N, C, H, W)

    Returns
    -------
    cols : ndarray，形状 (N, C·k·k, out_h·out_w)
        ``cols[n, :, i·out_w + j]`` 是第 n 张图在输出位置 (i, j) 的窗口，
        行的顺序是 (通道 c, 行偏移 m, 列偏移 n)，与 ``weight.reshape(F, -1)`` 的列一致，
        所以 ``weight.reshape(F, -1) @ cols`` 一次算出所有位置的卷积。
        ``dilation = d`` 时，偏移 (m, n) 对应窗口里第 m·d 行、第 n·d 列的像素。
    """
    N, C, H, W = x.shape
    k, d = kernel_size, dilation
    out_h, out_w = output_size(H, k, stride, padding, d), output_size(W, k, stride, padding, d)
    xp = pad(x, padding)
    cols = np.empty((N, C, k, k, out_h, out_w), dtype=x.dtype)
    for m in range(k):          # 只在 k×k 个偏移上循环：偏移 (m, n) 在所有窗口里取到的像素，
        for n in range(k):      # 恰好是输入从 (m·d, n·d) 开始、步幅为 stride 的一个切片
            rows = slice(m * d, m * d + stride * out_h, stride)
            columns = slice(n * d, n * d + stride * out_w, stride)
            cols[:, :, m, n] = xp[:, :, rows, columns]
    return cols.reshape(N, C * k * k, out_h * out_w)


def col2im(cols, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """列转图：im2col 的伴随（adjoint）。把每列加回它的窗口，重叠处相加。

    Parameters
    ----------
    cols : ndarray，形状 (N, C·k·k, out_h·out_w)
    input_shape : tuple，(N, C, H, W)

    Returns
    -------
    ndarray，形状 (N, C, H, W)
    """
    N, C, H, W = input_shape
    k, d = kernel_size, dilation
    out_h, out_w = output_size(H, k, stride, padding, d), output_size(W, k, stride, padding, d)
    expected = (N, C * k * k, out_h * out_w)
    if cols.shape != expected:
        raise shape_error('col2im', f'窗口矩阵形状 {expected}', cols.shape)
    cols = cols.reshape(N, C, k, k, out_h, out_w)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=cols.dtype)
    for m in range(k):
        for n in range(k):
            rows = slice(m * d, m * d + stride * out_h, stride)
            columns = slice(n * d, n * d + stride * out_w, stride)
            xp[:, :, rows, columns] += cols[:, :, m, n]
    return xp[:, :, padding:padding + H, padding:padding + W]


def _columns(x, kernel_size, stride, padding, dilation=1):
    """``Convolution`` 内部用的图转列：与 ``im2col`` 同样的列，但整批排成一个矩阵。

    窗口矩阵的形状是 (C·k·k, out_h·out_w·N)：行与 ``im2col`` 相同，按 (c, m, q) 排列；
    列按 (i, j, n) 排列，批的下标 n 变化最快。这样

    * 前向 ``weight @ cols`` 与反向的权重梯度 ``grad @ cols.T`` 各只需一次矩阵乘法
      （而不是每张图一次），
    * 偏移 (m, q) 的那一行块 ``cols[c, m, q]`` 是输入的一个切片
      ``xp[c, m·d + i·s, q·d + j·s, n]``：内存里按 (C, H, W, N) 排列时，对一行 i，
      连续的 out_w·N 个数一次复制（s = 1 时），复制既少又快。

    Parameters
    ----------
    x : ndarray，形状 (N, C, H, W)；内存可以是任意布局，按 (C, H, W, N) 排列时最快
        （上一层卷积的输出正是这样）。

    Returns
    -------
    cols : ndarray，形状 (C·k·k, out_h·out_w·N)
        ``cols[(c, m, q), (i, j, n)] = xp[n, c, i·s + m·d, j·s + q·d]``，xp 是填充后的输入，
        d 是膨胀（dilation）。
    """
    N, C, H, W = x.shape
    k, s, d = kernel_size, stride, dilation
    out_h, out_w = output_size(H, k, s, padding, d), output_size(W, k, s, padding, d)
    xt = x.transpose(1, 2, 3, 0)                                 # (C, H, W, N) 视图，不复制
    if padding == 0:
        xp = xt
    else:                                                        # 填充与换布局合成一次复制
        xp = np.zeros((C, H + 2 * padding, W + 2 * padding, N), dtype=x.dtype)
        xp[:, padding:padding + H, padding:padding + W] = xt
    cols = np.empty((C, k, k, out_h, out_w, N), dtype=x.dtype)
    for m in range(k):          # 与 im2col 一样只在 k×k 个偏移上循环
        for q in range(k):
            cols[:, m, q] = xp[:, m * d:m * d + s * out_h:s, q * d:q * d + s * out_w:s]
    return cols.reshape(C * k * k, out_h * out_w * N)


def _columns_adjoint(cols, input_shape, kernel_size, stride, padding, dilation=1):
    """``_columns`` 的伴随（对应 ``col2im``）：把 (C·k·k, out_h·out_w·N) 的每列加回它的窗口。

    Returns
    -------
    ndarray，形状 (N, C, H, W)：一个新数组的转置视图，内存按 (C, H, W, N) 排列。
    """
    N, C, H, W = input_shape
    k, s, d = kernel_size, stride, dilation
    out_h, out_w = output_size(H, k, s, padding, d), output_size(W, k, s, padding, d)
    cols = cols.reshape(C, k, k, out_h, out_w, N)
    xp = np.zeros((C, H + 2 * padding, W + 2 * padding, N), dtype=cols.dtype)
    for m in range(k):
        for q in range(k):
            xp[:, m * d:m * d + s * out_h:s, q * d:q * d + s * out_w:s] += cols[:, m, q]
    return xp[:, padding:padding + H, padding:padding + W].transpose(3, 0, 1, 2)


class Convolution(Layer):
    """二维卷积层（严格说是互相关，cross-correlation，见第 1 章）。

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
        正方形卷积核的边长 k。
    stride : int，默认 1
    padding : int，默认 0
        输入四周填充的圈数。
    dilation : int，默认 1
        膨胀：卷积核相邻两个权重在输入上相隔的像素数（见模块说明）。

    权重用 He 正态初始化（均值 0、方差 2 / (C·k·k)），偏置为 0。
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1):
        super().__init__()
        for name, value, low in (('in_channels', in_channels, 1), ('out_channels', out_channels, 1),
                                 ('kernel_size', kernel_size, 1), ('stride', stride, 1),
                                 ('padding', padding, 0), ('dilation', dilation, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f'Convolution 期望 {name} 是 ≥ {low} 的整数，实际得到 {value!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        fan_in = in_channels * kernel_size * kernel_size
        self.weight = Tensor(he_normal((out_channels, in_channels, kernel_size, kernel_size), fan_in))
        self.bias = Tensor(np.zeros(out_channels, dtype=np.float32))

    def forward(self, x: Tensor):
        check_ndim('Convolution', x, 4, '(N, C, H, W)')
        N, C, H, W = x.data.shape
        if C != self.in_channels:
            raise shape_error('Convolution', f'输入形状 (N, {self.in_channels}, H, W)', x.data.shape)
        k, s, pd, d, F = self.kernel_size, self.stride, self.padding, self.dilation, self.out_channels
        span = dilated_span(k, d)
        if min(H, W) + 2 * pd < span:
            extent = '' if d == 1 else f'（dilation={d}，覆盖 {span}×{span}）'
            raise ValueError(f'Convolution 的卷积核 {k}×{k}{extent} 大于填充后的输入：输入形状 '
                             f'{x.data.shape}，padding={pd}，填充后高×宽为 {H + 2 * pd}×{W + 2 * pd}')
        out_h, out_w = output_size(H, k, s, pd, d), output_size(W, k, s, pd, d)

        # 整批一起做图转列：窗口矩阵 (C·k·k, L·N)，L = out_h·out_w；前向、反向各一次矩阵乘法
        cols = _columns(x.data, k, s, pd, d)                # (C·k·k, L·N)
        weight = self.weight.data.reshape(F, -1)            # (F, C·k·k)
        y = weight @ cols                                   # (F, L·N)
        y += self.bias.data[:, None]
        # 输出是 (N, F, out_h, out_w) 的转置视图，内存按 (F, out_h, out_w, N) 排列，不复制：
        # 下一层卷积的 _columns 与本层反向要的正是这个排列
        out = Tensor(y.reshape(F, out_h, out_w, N).transpose(3, 0, 1, 2), parents=(x,))

        def gradient_fn():
            grad = out.grad.transpose(1, 2, 3, 0).reshape(F, -1)   # (F, L·N)；布局相符时不复制
            # 链式法则：y = W @ cols + b，对批中所有图、所有位置一起求和
            self.weight.add_grad((cols @ grad.T).T)         # 即 weight.grad += grad @ cols.T
            self.bias.add_grad(grad.sum(axis=1))
            if x.requires_grad:  # 输入是数据批次时省掉列转图
                x.add_grad(_columns_adjoint(weight.T @ grad, x.data.shape, k, s, pd, d))

        out.gradient_fn = gradient_fn
        return out

    def describe(self):
        dilation = '' if self.dilation == 1 else f'; dilation={self.dilation}'
        return (f'weight{self.weight.data.shape}; bias{self.bias.data.shape}; '
                f'kernels={self.kernel_size}; stride={self.stride}; padding={self.padding}{dilation}')
