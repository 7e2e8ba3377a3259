"""第 6 章 通道、1×1 卷积与卷积的代价：练习的检查。"""

import numpy as np

from ..convolution import Convolution, conv2d_loop, im2col
from ..fastconv import conv_direct, conv_fft, conv_im2col, conv_winograd
from ..layers import Sequential
from ..summary import summary
from ..tensor import Tensor
from .harness import (
    CheckError,
    ConvCase,
    compare,
    conv_cases,
    keep_layer_rng,
    known_mistake,
    own_work,
    passed,
    run,
    same_with_defaults,
)

DEFAULTS = dict(stride=1, padding=0)
LIB_CONVOLUTIONS = (Convolution.forward, conv2d_loop, conv_direct, conv_im2col, conv_fft, conv_winograd)


def reference_conv(x, weight, bias, stride=1, padding=0):
    """lib.Convolution（与 x 同样的数值类型）的前向结果。"""
    F, C, k, _ = weight.shape
    with keep_layer_rng():
        layer = Convolution(C, F, k, stride, padding).astype(x.dtype)
    layer.weight.data, layer.bias.data = weight.astype(x.dtype), bias.astype(x.dtype)
    return layer(Tensor(x, requires_grad=False)).data


def conv_mistakes(x, weight, bias, stride, padding):
    """多通道卷积的典型错误，各算出一份错误的结果，用来认出学习者的错误。"""
    mistakes = [
        known_mistake(reference_conv(x[:, :1], weight[:, :1], bias, stride, padding),
                      '只用了第 0 个通道：一个卷积核有 C 层，输出要对所有输入通道求和'),
        known_mistake(reference_conv(x, weight, np.zeros_like(bias), stride, padding),
                      '少加了偏置 b：每个输出通道 f 加自己的 bias[f]'),
        known_mistake(reference_conv(x, weight[:, :, ::-1, ::-1], bias, stride, padding),
                      '卷积核翻转了：要算的是互相关（不翻转），见第 1 章'),
    ]

    def wrong_shape(expected, actual):
        if actual.shape != expected.shape and actual.ndim == 4 and actual.shape[:2] == expected.shape[:2]:
            return (f'输出的高宽不对：步幅 s、填充 p 时输出边长是 (H + 2p − k) // s + 1，'
                    f'窗口左上角在 (i·s, j·s)；期望 {expected.shape[2:]}，实际 {actual.shape[2:]}')
        return None

    mistakes.append(wrong_shape)
    return mistakes


@own_work('conv_forward', *LIB_CONVOLUTIONS)
def check_conv_forward(fn, trials=12, seed=0):
    """检查 ``fn(x, weight, bias, stride=1, padding=0)`` 与 ``lib.Convolution`` 的前向一致（多通道）。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, channels=(2, 3, 4), filters=(1, 2, 3), sizes=range(3, 9),
                           dtypes=('float64', 'float32')):
        x = case.random(rng, case.x_shape)
        weight = case.random(rng, (case.F, case.C, case.k, case.k))
        bias = case.random(rng, (case.F,))
        label = f'{case}，F={case.F} 个卷积核'
        expected = reference_conv(x, weight, bias, case.stride, case.padding)
        options = dict(stride=case.stride, padding=case.padding)
        actual = run(fn, label, x, weight, bias, **options)
        compare('返回的特征图', label, expected, actual, **case.tolerance,
                mistakes=conv_mistakes(x, weight, bias, case.stride, case.padding))
        same_with_defaults('返回的特征图', fn, label, actual, (x, weight, bias), options, DEFAULTS)
    passed(f'在 {trials} 组随机的批大小、通道数、卷积核个数、步幅和填充上与 lib.Convolution 一致')


# ---- 乘加次数 ----

def layer_macs(N, C, H, W, F, k, stride=1, padding=0):
    """用 lib.summary 数出的 Convolution(C, F, k, stride, padding) 在 (N, C, H, W) 上的乘加次数。"""
    with keep_layer_rng():
        model = Sequential([Convolution(C, F, k, stride, padding)])
    return summary(model, (N, C, H, W)).total_multiply_adds


def macs_mistakes(N, C, H, W, F, k, stride, padding):
    """乘加次数的典型错误：各按这个错误算一遍，得到的数与学习者的一致就说出来。"""
    out_h, out_w = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
    right = N * F * C * k * k * out_h * out_w
    candidates = [
        (F * C * k * k * out_h * out_w, '少乘了批大小 N：批里每张图都要算一遍'),
        (N * F * k * k * out_h * out_w, '少乘了输入通道数 C：每个卷积核有 C 层，每层 k² 个乘法'),
        (N * F * C * k * out_h * out_w, '只乘了 k 而不是 k²：一个窗口有 k×k 个数'),
        (N * F * C * k * k * H * W, '用了输入的高宽 H×W，应该用输出的 H′×W′（每个输出位置算一个窗口）'),
        (N * C * k * k * out_h * out_w, '少乘了卷积核个数 F：每个输出通道都要算一遍'),
        (N * F * C * k * k * out_h * out_w + N * F * out_h * out_w,
         '把偏置的加法也算成了一次乘加：乘加只数乘积 w·x 的个数'),
    ]
    texts = [text for value, text in candidates if value != right]
    values = [value for value, text in candidates if value != right]

    def mistake(expected, actual):
        for value, text in zip(values, texts, strict=True):
            if actual.shape == () and float(actual) == value:
                return text
        return None

    return mistake


@own_work('conv_macs', summary)
def check_conv_macs(fn, trials=20, seed=0):
    """检查 ``fn(N, C, H, W, F, k, stride=1, padding=0)`` 等于 lib.summary 数出的卷积层乘加次数。"""
    __tracebackhide__ = True
    cases = [ConvCase(N=32, C=1, H=28, W=28, k=3, F=16)]           # 基线网络的卷积层
    cases += conv_cases(trials - 1, seed, batches=(1, 2, 8, 32), channels=(1, 3, 8, 16),
                        filters=(1, 4, 16, 32), sizes=range(5, 33))
    for case in cases:
        args = (case.N, case.C, case.H, case.W, case.F, case.k)
        label = f'Convolution({case.C}, {case.F}, {case.k}, stride={case.stride}, padding={case.padding})，' \
                f'输入 (N, C, H, W) = {case.x_shape}'
        expected = layer_macs(*args, case.stride, case.padding)
        options = dict(stride=case.stride, padding=case.padding)
        actual = run(fn, label, *args, **options)
        if isinstance(actual, float) and not float(actual).is_integer():
            raise CheckError(f'乘加次数应是整数，实际得到 {actual}（情形：{label}）：'
                             f'输出边长要向下取整，用 //')
        compare('乘加次数', label, np.float64(expected), actual, rtol=0, atol=0,
                mistakes=[macs_mistakes(*args, case.stride, case.padding)])
        same_with_defaults('乘加次数', fn, label, actual, args, options, DEFAULTS)
    passed(f'在 {trials} 个卷积层（含基线网络的 Convolution(1, 16, 3)）上与 lib.summary 的乘加次数一致')


# ---- 1×1 卷积 ----

@own_work('conv1x1', Convolution.forward, im2col, conv2d_loop, conv_direct, conv_im2col)
def check_conv1x1(fn, trials=12, seed=0):
    """检查 ``fn(x, weight, bias)``（weight 形状 (F, C)）与 ``lib.Convolution(C, F, 1)`` 一致。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, channels=(2, 3, 5), filters=(1, 2, 4), kernels=(1,), strides=(1,),
                           paddings=(0,), dtypes=('float64', 'float32')):
        if case.F == case.C:                     # F ≠ C：权重转置了的话形状就对不上，错误更好认
            case = ConvCase(case.N, case.C, case.H, case.W, 1, F=case.F + 1, dtype=case.dtype)
        x = case.random(rng, case.x_shape)
        weight = case.random(rng, (case.F, case.C))
        bias = case.random(rng, (case.F,))
        label = f'{case.input_text()}，weight 形状 {weight.shape}（F={case.F}，C={case.C}）'
        expected = reference_conv(x, weight[:, :, None, None], bias)
        actual = run(fn, label, x, weight, bias)
        shape = np.shape(actual)
        if shape == (case.N, case.H, case.W, case.F):
            raise CheckError(f'返回的形状是 (N, H, W, F) = {shape}：通道轴要放回第 1 维，'
                             f'应为 (N, F, H, W) = {expected.shape}（情形：{label}）')
        compare('返回的特征图', label, expected, actual, **case.tolerance,
                mistakes=[known_mistake(expected - bias[None, :, None, None],
                                        '少加了偏置：1×1 卷积就是每个像素上的 Linear，y = W x + b')])
    passed(f'在 {trials} 组随机形状上与 lib.Convolution(C, F, 1) 一致：1×1 卷积就是通道轴上的 Linear')


# ---- Winograd F(2, 3) 的一块 ----

def correlate_tile(d, g):
    """4×4 的输入块与 3×3 卷积核的互相关（不填充），2×2。"""
    return np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(2)] for i in range(2)])


@own_work('winograd_tile', conv_winograd)
def check_winograd_tile(fn, trials=20, seed=0):
    """检查 ``fn(d, g)``：4×4 输入块 d 与 3×3 卷积核 g 的 Winograd F(2, 3)，等于 2×2 的互相关。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    tiles = [(np.arange(16.0).reshape(4, 4), np.eye(3))]                 # 手算得出的例子：对角线之和
    tiles += [(rng.standard_normal((4, 4)), rng.standard_normal((3, 3))) for _ in range(trials - 1)]
    for d, g in tiles:
        label = (f'输入块 d =\n{np.array2string(d, precision=3)}\n'
                 f'  卷积核 g =\n{np.array2string(g, precision=3)}')
        expected = correlate_tile(d, g)
        actual = run(fn, label, d.copy(), g.copy())
        compare('返回的 2×2 输出', label, expected, actual, mistakes=[
            known_mistake(correlate_tile(d, g[::-1, ::-1]),
                          '结果是卷积（卷积核翻转了）而不是互相关：检查 Aᵀ、Bᵀ、G 有没有用反'),
            known_mistake(expected.T, '结果转置了：Y = Aᵀ M A，左边乘 Aᵀ、右边乘 A'),
            lambda e, a: ('Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A 是 2×2；'
                          '4×4 的中间结果还要左乘 Aᵀ (2×4)、右乘 A (4×2)') if a.shape == (4, 4) else None,
        ])
    passed(f'在 {trials} 个随机的 4×4 输入块与 3×3 卷积核上等于 2×2 的互相关：'
           f'每块只用了 16 次乘法，而直接算要 36 次')
