"""同一个卷积（互相关）的四种算法（第 6 章）：结果相同，做的乘法与访存不同。

* ``conv_direct``：直接法，在 k×k 个偏移上循环，每个偏移做一次 (F, C) 乘 (C, …) 的小乘积；
* ``conv_im2col``：图转列 + 一次矩阵乘法（``lib.Convolution`` 的做法）；
* ``conv_fft``：快速傅里叶变换（FFT），频域里逐点相乘：乘法次数几乎与 k 无关；
* ``conv_winograd``：Winograd F(2, 3)，只用于 3×3：每 2×2 个输出用 16 次乘法，而不是 36 次。

约定都与 ``lib.Convolution`` 相同：输入 ``x`` (N, C, H, W)，卷积核 ``weight`` (F, C, k, k)，
偏置 ``bias`` (F,)，四周填充 ``padding``，步幅为 1；返回 (N, F, H′, W′)，
H′ = H + 2·padding − k + 1。
"""

import numpy as np

from .convolution import im2col, output_size, pad
from .tensor import shape_error


def check_shapes(who, x, weight, bias):
    if x.ndim != 4 or weight.ndim != 4 or weight.shape[1] != x.shape[1] or weight.shape[2] != weight.shape[3]:
        raise shape_error(who, '输入 (N, C, H, W) 与卷积核 (F, C, k, k)，两者的 C 相同',
                          f'输入 {x.shape}，卷积核 {weight.shape}')
    if bias is not None and bias.shape != (weight.shape[0],):
        raise shape_error(who, f'偏置形状 ({weight.shape[0]},)', bias.shape)


def add_bias(y, bias):
    return y if bias is None else y + bias.reshape(1, -1, 1, 1).astype(y.dtype)


def conv_direct(x, weight, bias=None, padding=0):
    """直接法：y[:, f] = Σ_(m, q) Σ_c weight[f, c, m, q] · xp[:, c, m:m+H′, q:q+W′]。"""
    check_shapes('conv_direct', x, weight, bias)
    F, C, k, _ = weight.shape
    xp = pad(x, padding)
    out_h, out_w = xp.shape[2] - k + 1, xp.shape[3] - k + 1
    y = np.zeros((F, x.shape[0], out_h, out_w), dtype=np.result_type(x, weight))
    for m in range(k):
        for q in range(k):        # (F, C) 与 (N, C, H′, W′) 在通道上求和 → (F, N, H′, W′)
            y += np.tensordot(weight[:, :, m, q], xp[:, :, m:m + out_h, q:q + out_w], axes=(1, 1))
    return add_bias(y.transpose(1, 0, 2, 3), bias)


def conv_im2col(x, weight, bias=None, padding=0):
    """图转列：每个窗口一列，``weight.reshape(F, -1) @ cols`` 一次算完。"""
    check_shapes('conv_im2col', x, weight, bias)
    N, F, k = x.shape[0], weight.shape[0], weight.shape[2]
    out_h, out_w = output_size(x.shape[2], k, 1, padding), output_size(x.shape[3], k, 1, padding)
    y = weight.reshape(F, -1) @ im2col(x, k, 1, padding)          # (N, F, H′·W′)
    return add_bias(y.reshape(N, F, out_h, out_w), bias)


def conv_fft(x, weight, bias=None, padding=0):
    """FFT：互相关 = 频域里 X · conj(K)，再变换回来；取循环相关里不绕回的那部分。"""
    check_shapes('conv_fft', x, weight, bias)
    k = weight.shape[2]
    xp = pad(x, padding)
    H, W = xp.shape[2:]
    X = np.fft.rfft2(xp, s=(H, W))                                # (N, C, H, W//2+1)，复数
    K = np.fft.rfft2(weight, s=(H, W))                            # 卷积核补 0 到同样大小
    Y = np.einsum('nchw,fchw->nfhw', X, K.conj())                 # 对通道求和
    y = np.fft.irfft2(Y, s=(H, W))[:, :, :H - k + 1, :W - k + 1]
    return add_bias(y.astype(np.result_type(x, weight)), bias)


# Winograd F(2, 3) 的三个变换矩阵（Lavin & Gray, 2016）：Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A
# （winograd_bt、winograd_at 就是 WINOGRAD_BT、WINOGRAD_AT 乘上去，只是写成了加减）
WINOGRAD_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float)
WINOGRAD_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
WINOGRAD_AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)


def winograd_bt(d0, d1, d2, d3):
    """Bᵀ 作用在 4 个数（或 4 个同形状数组）上：只有加减，没有乘法。"""
    return [d0 - d2, d1 + d2, d2 - d1, d1 - d3]


def winograd_at(m0, m1, m2, m3):
    """Aᵀ 作用在 4 个数上，得到 2 个输出：只有加减。"""
    return [m0 + m1 + m2, m1 - m2 - m3]


def conv_winograd(x, weight, bias=None, padding=0):
    """Winograd F(2, 3)：输入切成互相重叠的 4×4 小块（步幅 2），每块得到 2×2 个输出。

    每块 d 变换成 V = Bᵀ d B，每个卷积核 g 变换成 U = G g Gᵀ（都是 4×4）；逐元素相乘并对通道
    求和是 16 个 (F, C) @ (C, 块数) 的矩阵乘法；再变换回来 Y = Aᵀ M A。Bᵀ、Aᵀ 只有 0 与 ±1，
    所以两头的变换只是加减：对所有块一起做，每次取一个步幅为 2 的切片。
    """
    check_shapes('conv_winograd', x, weight, bias)
    if weight.shape[2] != 3:
        raise shape_error('conv_winograd', ' 3×3 的卷积核（F(2, 3) 只适用于 3×3）',
                          f'{weight.shape[2]}×{weight.shape[3]}')
    dtype = np.result_type(x, weight)
    N, C, F = x.shape[0], x.shape[1], weight.shape[0]
    xp = pad(x, padding)
    out_h, out_w = xp.shape[2] - 2, xp.shape[3] - 2
    th, tw = -(-out_h // 2), -(-out_w // 2)                       # 块数（向上取整，多出的补 0）
    xp = np.pad(xp, ((0, 0), (0, 0), (0, 2 * th + 2 - xp.shape[2]), (0, 2 * tw + 2 - xp.shape[3])))
    # 输入变换：块 (s, t) 的第 i 行是 xp 的第 2s + i 行，所以“每块的第 i 行”是一个步幅 2 的切片
    rows = winograd_bt(*(xp[:, :, i:i + 2 * th:2] for i in range(4)))            # Bᵀ d
    V = np.array([winograd_bt(*(r[..., j:j + 2 * tw:2] for j in range(4))) for r in rows])
    V = V.transpose(0, 1, 3, 2, 4, 5).reshape(4, 4, C, -1)       # (Bᵀ d B)：(4, 4, C, N·th·tw)
    G = WINOGRAD_G.astype(dtype)
    U = (G @ weight.astype(dtype) @ G.T).transpose(2, 3, 0, 1)   # G g Gᵀ：(4, 4, F, C)
    M = (U @ V).reshape(4, 4, F, N, th, tw)                      # 16 个矩阵乘法，对通道求和
    # 输出变换 Aᵀ M A，四个结果交错放回 2×2 的位置
    y = np.empty((N, F, 2 * th, 2 * tw), dtype=dtype)
    for a, row in enumerate(winograd_at(*M)):
        for b, value in enumerate(winograd_at(*row)):
            y[:, :, a::2, b::2] = value.transpose(1, 0, 2, 3)
    return add_bias(y[:, :, :out_h, :out_w], bias)


def multiplications(method, N, C, F, H_out, W_out, k):
    """前向要做的实数乘法次数（量级，不计加法）。

    直接法与图转列都是 N·F·C·k²·H′·W′；Winograd F(2, 3) 每 2×2 个输出 16 次（而不是 4·9 = 36 次），
    不计变换；FFT 只计频域里的逐点复数乘法（每个 4 次实数乘法），不计 FFT 本身。
    """
    if method in ('direct', 'im2col'):
        return N * F * C * k * k * H_out * W_out
    if method == 'winograd':
        return N * F * C * 16 * -(-H_out // 2) * -(-W_out // 2)
    if method == 'fft':
        H, W = H_out + k - 1, W_out + k - 1
        return 4 * N * F * C * H * (W // 2 + 1)
    raise ValueError(f"method 期望 'direct'、'im2col'、'fft'、'winograd' 之一，实际得到 {method!r}")
