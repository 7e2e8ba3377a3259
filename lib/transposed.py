"""卷积的反向传播与转置卷积（transposed convolution）。

第 5 章的结论：卷积层的反向传播本身就是卷积。把卷积写成一个稀疏的矩阵 C（``y = C x``），
对输入的梯度就是 ``Cᵀ dy``。本模块有三样东西：

* ``conv2d_backward_loop``：逐个输出像素写出的反向传播，与 ``conv2d_loop`` 配对。
  慢，但每一行都对应链式法则的一项，测试里用作对照（oracle）。
* ``dilate``：在 dY 的相邻元素之间插 0。步幅 s > 1 时，先这样“膨胀”dY，反向传播才是普通的卷积。
* ``ConvTranspose``：转置卷积层。它的前向传播正是卷积的反向传播（乘 Cᵀ，用 ``col2im``），
  它的反向传播正是卷积的前向传播（乘 C，用 ``im2col``）。它常被叫作“反卷积”（deconvolution），
  但它不是卷积的逆：Cᵀ 一般不等于 C⁻¹（C 通常连方阵都不是）。

权重的形状沿用 PyTorch 的约定：``ConvTranspose(in_channels, out_channels, k)`` 的权重是
(in_channels, out_channels, k, k)，与它所转置的 ``Convolution(out_channels, in_channels, k)``
的权重形状相同，于是同一个数组代入两者时，``⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩``。
"""

import numpy as np

from .convolution import col2im, dilated_span, im2col, output_size, pad
from .layers import Layer, check_ndim, he_normal
from .tensor import Tensor, shape_error


def conv2d_backward_loop(x, weight, grad_out, stride=1, padding=0, dilation=1):
    """卷积 ``conv2d_loop(x, weight, b, stride, padding, dilation)`` 的反向传播，逐个输出像素计算。

    前向是 ``Y[:, f, i, j] = Σ_{c,m,n} X̃[:, c, i·s + m·d, j·s + n·d] · W[f, c, m, n] + b[f]``
    （X̃ 是填充后的输入）。每个输出像素 (i, j) 只和它的窗口有关，链式法则逐项写出：

    * ``dW[f, c, m, n] += Σ_batch dY[:, f, i, j] · X̃[:, c, 窗口的 (m, n)]``
    * ``dX̃[:, c, 窗口的 (m, n)] += Σ_f dY[:, f, i, j] · W[f, c, m, n]``（窗口重叠处相加）
    * ``db[f] = Σ dY[:, f, :, :]``

    Parameters
    ----------
    x : ndarray，形状 (N, C, H, W)
    weight : ndarray，形状 (F, C, k, k)
    grad_out : ndarray，形状 (N, F, out_h, out_w)，损失对输出的梯度 dY

    Returns
    -------
    dx : ndarray，形状 (N, C, H, W)
    dw : ndarray，形状 (F, C, k, k)
    db : ndarray，形状 (F,)
    """
    N, C, H, W = x.shape
    F, _, k, _ = weight.shape
    d, s = dilation, stride
    out_h, out_w = output_size(H, k, s, padding, d), output_size(W, k, s, padding, d)
    if grad_out.shape != (N, F, out_h, out_w):
        raise shape_error('conv2d_backward_loop', f' grad_out 形状 {(N, F, out_h, out_w)}', grad_out.shape)
    span = dilated_span(k, d)
    xp = pad(x, padding)
    dtype = np.result_type(x, weight, grad_out)
    dxp = np.zeros(xp.shape, dtype=dtype)
    dw = np.zeros(weight.shape, dtype=dtype)
    for i in range(out_h):
        for j in range(out_w):
            rows, columns = slice(i * s, i * s + span, d), slice(j * s, j * s + span, d)
            g = grad_out[:, :, i, j]                                          # (N, F)
            dw += np.tensordot(g, xp[:, :, rows, columns], axes=([0], [0]))   # (F, C, k, k)
            dxp[:, :, rows, columns] += np.tensordot(g, weight, axes=([1], [0]))   # (N, C, k, k)
    db = grad_out.sum(axis=(0, 2, 3))
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, db


def dilate(a, step):
    """在最后两维的相邻元素之间各插入 ``step - 1`` 个 0（步幅为 step 的卷积，反向传播前对 dY 做的事）。

    形状 (..., h, w) → (..., (h - 1)·step + 1, (w - 1)·step + 1)；step = 1 时原样返回一份拷贝。
    """
    a = np.asarray(a)
    *lead, h, w = a.shape
    out = np.zeros((*lead, (h - 1) * step + 1, (w - 1) * step + 1), dtype=a.dtype)
    out[..., ::step, ::step] = a
    return out


def transposed_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """转置卷积输出的边长：
    ``(size - 1)·stride - 2·padding + dilation·(kernel_size - 1) + 1 + output_padding``。

    它把卷积的输出尺寸公式倒过来：对这个边长做 ``Convolution(k, stride, padding, dilation)``，
    输出边长正好是 ``size``。stride > 1 时有 stride 个边长都满足这一点（卷积的公式向下取整），
    公式给出最小的那个，``output_padding``（0 ≤ output_padding < stride）在下边、右边多加几行几列。
    """
    out = (size - 1) * stride - 2 * padding + dilated_span(kernel_size, dilation) + output_padding
    if out < 1:
        raise ValueError(f'转置卷积的输出边长 ({size} - 1)×{stride} - 2×{padding} + '
                         f'{dilated_span(kernel_size, dilation)} + {output_padding} = {out}，'
                         f'期望 ≥ 1：padding 太大了')
    return out


class ConvTranspose(Layer):
    """二维转置卷积层：前向 = 卷积的反向传播，反向 = 卷积的前向传播。

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
        正方形卷积核的边长 k。
    stride : int，默认 1
        stride = s 时，输入里相邻两个像素在输出上相隔 s 个像素：输出大约放大 s 倍（上采样）。
    padding : int，默认 0
        从输出四周各裁掉的圈数（它所转置的卷积在输入四周填充的圈数）。
    output_padding : int，默认 0
        在输出的下边、右边多加的行列数，0 ≤ output_padding < stride（见 ``transposed_output_size``）。
    dilation : int，默认 1

    输入 (N, in_channels, H, W)，输出 (N, out_channels, out_h, out_w)，
    ``out_h = (H - 1)·stride - 2·padding + dilation·(k - 1) + 1 + output_padding``。
    权重形状 (in_channels, out_channels, k, k)：输入的每个像素把“自己的值 × 卷积核”
    加到输出上以它为起点的 k×k 块里（块与块重叠处相加），再加偏置。
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 dilation=1):
        super().__init__()
        for name, value, low in (('in_channels', in_channels, 1), ('out_channels', out_channels, 1),
                                 ('kernel_size', kernel_size, 1), ('stride', stride, 1),
                                 ('padding', padding, 0), ('output_padding', output_padding, 0),
                                 ('dilation', dilation, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f'ConvTranspose 期望 {name} 是 ≥ {low} 的整数，实际得到 {value!r}')
        if output_padding >= stride:
            raise ValueError(f'ConvTranspose 期望 output_padding < stride={stride}，'
                             f'实际得到 output_padding={output_padding}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.output_padding, self.dilation = output_padding, dilation
        # 每个输出像素平均收到 in_channels·(k/s)² 个输入的贡献：按它做 He 初始化
        fan_in = max(1, in_channels * kernel_size * kernel_size // (stride * stride))
        self.weight = Tensor(he_normal((in_channels, out_channels, kernel_size, kernel_size), fan_in))
        self.bias = Tensor(np.zeros(out_channels, dtype=np.float32))

    def output_shape(self, input_shape):
        """输入形状 (N, in_channels, H, W) 对应的输出形状。"""
        N, _, H, W = input_shape
        sizes = [transposed_output_size(n, self.kernel_size, self.stride, self.padding,
                                        self.output_padding, self.dilation) for n in (H, W)]
        return (N, self.out_channels, *sizes)

    def forward(self, x: Tensor):
        check_ndim('ConvTranspose', x, 4, '(N, C, H, W)')
        N, C, H, W = x.data.shape
        if C != self.in_channels:
            raise shape_error('ConvTranspose', f'输入形状 (N, {self.in_channels}, H, W)', x.data.shape)
        out_shape = self.output_shape(x.data.shape)
        k, s, pd, d = self.kernel_size, self.stride, self.padding, self.dilation
        weight = self.weight.data.reshape(C, -1)                  # (C_in, C_out·k·k)

        # 卷积的反向传播：每个输入像素乘卷积核，得到一列 k×k 的块（C_out·k·k 个数），col2im 把块加回输出
        cols = weight.T @ x.data.reshape(N, C, H * W)              # (N, C_out·k·k, H·W)
        y = col2im(cols, out_shape, k, s, pd, d)
        y += self.bias.data.reshape(1, -1, 1, 1)
        out = Tensor(y, parents=(x,))

        def gradient_fn():
            # 卷积的前向传播：输出梯度的每个窗口（im2col 的一列）与卷积核做内积
            grad_cols = im2col(out.grad, k, s, pd, d)              # (N, C_out·k·k, H·W)
            inputs = x.data.reshape(N, C, H * W)
            self.weight.add_grad((inputs @ grad_cols.transpose(0, 2, 1)).sum(axis=0))
            self.bias.add_grad(out.grad.sum(axis=(0, 2, 3)))
            if x.requires_grad:
                x.grad += (weight @ grad_cols).reshape(x.data.shape)

        out.gradient_fn = gradient_fn
        return out

    def describe(self):
        extra = ''.join(f'; {name}={getattr(self, name)}' for name in ('output_padding', 'dilation')
                        if getattr(self, name) != (0 if name == 'output_padding' else 1))
        return (f'weight{self.weight.data.shape}; bias{self.bias.data.shape}; '
                f'kernels={self.kernel_size}; stride={self.stride}; padding={self.padding}{extra}')
