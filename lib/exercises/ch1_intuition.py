"""第 1 章 卷积的直觉：练习的检查。"""

import numpy as np
from scipy import signal

from ..convolution import Convolution, conv2d_loop, im2col, output_size
from .harness import (
    CheckError,
    as_array,
    compare,
    conv_cases,
    known_mistake,
    own_work,
    passed,
    require_integer,
    run,
    same_with_defaults,
)

# SciPy 里现成的互相关与卷积：correlate2d 练习里同样不许直接调用
SCIPY_CORRELATIONS = (signal.correlate2d, signal.correlate, signal.convolve2d, signal.convolve)


@own_work('output_size', output_size)
def check_output_size(fn, trials=200, seed=0):
    """检查 ``fn(size, kernel_size, stride=..., padding=...)`` 与 ``lib.output_size`` 一致，且返回整数。

    每组参数先写出全部参数调用；stride 或 padding 取默认值（1、0）时，再省略它们调用一次。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    tried = 0
    fixed = [(28, 3, 1, 0), (28, 3, 2, 0), (28, 3, 2, 1), (224, 7, 2, 3), (5, 5, 1, 0), (7, 2, 3, 0)]
    while tried < trials:
        if tried < len(fixed):
            n, k, s, p = fixed[tried]
        else:
            n, k, s, p = (int(v) for v in (rng.integers(1, 65), rng.integers(1, 8),
                                            rng.integers(1, 5), rng.integers(0, 4)))
            if n + 2 * p < k:
                continue
        call = f'output_size({n}, {k}, stride={s}, padding={p})'
        result = run(fn, call, n, k, stride=s, padding=p)
        expected = output_size(n, k, s, p)
        require_integer(call, result, expected, '窗口的个数是整数，除法要向下取整（Python 里用 //）')
        if result != expected:
            raise CheckError(f'{call} 应为 {expected}，实际得到 {result}')
        same_with_defaults('返回值', fn, call, result, (n, k), dict(stride=s, padding=p),
                           dict(stride=1, padding=0))
        tried += 1
    passed(f'在 {trials} 组随机的 (size, kernel_size, stride, padding) 上与 lib.output_size 一致')


def correlate(image, kernel):
    """float64 的参考互相关（lib.conv2d_loop），形状 (H-k+1, W-k+1)。"""
    return conv2d_loop(image[None, None].astype(np.float64), kernel[None, None].astype(np.float64))[0, 0]


def kernel_mistakes(image, kernel):
    """correlate2d 的典型错误：把卷积核翻转（数学卷积）或转置了。"""
    return [known_mistake(correlate(image, kernel[::-1, ::-1]),
                          '这是数学卷积（卷积核翻转了）；本课的卷积层是互相关：'
                          '窗口里第 m 行第 n 列的像素乘 kernel[m, n]，卷积核不翻转'),
            known_mistake(correlate(image, kernel.T),
                          '卷积核转置了（行和列对调）：窗口里第 m 行第 n 列的像素应乘 kernel[m, n]')]


@own_work('correlate2d', conv2d_loop, im2col, Convolution.forward, *SCIPY_CORRELATIONS)
def check_correlate2d(fn, trials=20, seed=0):
    """检查 ``fn(image, kernel)``（单张二维图、不填充、步幅 1 的互相关）与 ``lib.conv2d_loop`` 一致。

    一半的随机情形用 float32 的图和卷积核（本课的数据就是 float32），只要求 float32 的精度。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    cases = conv_cases(trials, seed, batches=(1,), channels=(1,), filters=(1,), sizes=range(3, 13),
                       strides=(1,), paddings=(0,), dtypes=('float64', 'float32'))
    for case in cases:
        image = case.random(rng, (case.H, case.W))
        kernel = case.random(rng, (case.k, case.k))
        kind = '' if case.dtype == 'float64' else f'，都是 {case.dtype}'
        label = f'image 形状 {image.shape}，kernel 形状 {kernel.shape}{kind}'
        actual = run(fn, label, image, kernel)
        compare('返回的特征图', label, correlate(image, kernel), actual, **case.tolerance,
                mistakes=kernel_mistakes(image, kernel))
    passed(f'在 {trials} 组随机形状上与 lib.conv2d_loop 一致')


def soft_edge(size, angle, sigma, offset):
    """一张 size×size 的图：一条模糊的直边，法线方向与竖直向下成 ``angle`` 度，两侧分别接近 0 和 1。"""
    rows, cols = np.mgrid[:size, :size] - (size - 1) / 2
    theta = np.deg2rad(angle)
    distance = (rows - offset[0]) * np.cos(theta) + (cols - offset[1]) * np.sin(theta)
    return 1 / (1 + np.exp(-distance / sigma))


EDGE_NAMES = {0: '水平边缘', 90: '竖直边缘', 45: '对角边缘（/ 走向）', 135: '对角边缘（\\ 走向）'}

# 边缘检测器在一条边缘上的响应只有一种符号；反号的部分最多是主要部分的这么多倍
OPPOSITE_SIGN = 0.1


def check_diagonal_kernel(fn, trials=8, seed=0, ratio=1.2):
    """检查 ``fn()`` 返回的 3×3 卷积核是对角方向的边缘检测器。

    在若干张随机的合成图上（一条模糊的直边，位置和模糊程度随机），看卷积核的特征图：

    * 权重之和为 0：颜色均匀的区域输出 0；
    * 方向：至少一个对角方向上的最大响应 ``max|特征图|``，是水平边缘和竖直边缘上最大响应的
      ``ratio`` 倍以上；
    * 是边缘而不是线条：在响应较强的那个对角方向的边缘上，特征图只有一种符号（反号的部分不超过
      ``OPPOSITE_SIGN``），也就是沿着边缘的一条同号的带，离开边缘就回到 0。检测对角“线条”的卷积核
      （例如 ``[[2, -1, -1], [-1, 2, -1], [-1, -1, 2]]``，像二阶差分）在边缘两侧一正一负，不算。
    """
    __tracebackhide__ = True
    kernel = as_array('返回的卷积核', 'diagonal_kernel()', run(fn, 'diagonal_kernel()'))
    if kernel.shape != (3, 3):
        raise CheckError(f'卷积核应是 3×3，实际形状 {kernel.shape}')
    scale = np.abs(kernel).sum()
    if not scale > 0 or not np.isfinite(scale):
        raise CheckError(f'卷积核应含有非零的有限数值，实际是\n{kernel}')
    if abs(kernel.sum()) > 1e-6 * scale:
        raise CheckError(f'颜色均匀的区域应输出 0，也就是 9 个权重之和应为 0；'
                         f'实际权重之和为 {kernel.sum():.4g}')
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        size, sigma, offset = int(rng.integers(15, 22)), rng.uniform(0.8, 1.2), rng.uniform(-2, 2, size=2)
        image_text = f'合成图：{size}×{size}，边缘模糊程度 σ={sigma:.2f}'
        feature = {angle: kernel.reshape(1, -1) @ im2col(soft_edge(size, angle, sigma, offset)[None, None], 3)
                   for angle in EDGE_NAMES}
        response = {angle: np.abs(feature[angle]).max() for angle in EDGE_NAMES}
        diagonal, axis = max(response[45], response[135]), max(response[0], response[90])
        if not diagonal >= ratio * axis:
            table = '，'.join(f'{EDGE_NAMES[a]} {response[a]:.3f}' for a in EDGE_NAMES)
            raise CheckError(f'对角边缘上的最大响应应至少是水平、竖直边缘上的 {ratio} 倍，实际不是。\n'
                             f'  {image_text}\n  各方向边缘上的最大 |响应|：{table}')
        angle = 45 if response[45] >= response[135] else 135
        high, low = feature[angle].max(), -feature[angle].min()
        if min(high, low) > OPPOSITE_SIGN * max(high, low):
            raise CheckError(f'这个卷积核检测的是对角方向的线条，不是边缘：在{EDGE_NAMES[angle]}上，'
                             f'它的响应在边缘一侧为正、另一侧为负（像二阶差分，在边缘处过零）。'
                             f'边缘检测器应像竖直边缘卷积核“右列减左列”那样，用边缘一侧的像素减另一侧的，'
                             f'沿着边缘给出同一符号的一条带。\n'
                             f'  {image_text}\n'
                             f'  {EDGE_NAMES[angle]}上的响应：最大 {high:.3f}，最小 {-low:.3f}')
    passed(f'权重之和为 0；在 {trials} 组随机的合成边缘图上，对角边缘的响应明显强于水平和竖直边缘，'
           f'并且沿着边缘只有一种符号')
