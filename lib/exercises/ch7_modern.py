"""第 7 章 现代卷积网络的积木：练习的检查。

* ``check_global_avg_pool``：``global_avg_pool(x)`` 与 ``lib.GlobalAvgPool`` 一致。
* ``check_batchnorm_forward``：``batchnorm_forward(x, gamma, beta, eps=1e-5)`` 与训练模式的
  ``lib.BatchNorm2d`` 一致；在错误的轴上求统计量（只对批、只对 H×W、所有通道混在一起……）时，说出是哪几个轴。
* ``check_batchnorm_backward``：``batchnorm_backward(x, gamma, grad_out, eps=1e-5)`` 返回的
  ``(dx, dgamma, dbeta)`` 通过梯度检验，且与 ``lib.BatchNorm2d`` 的反向传播一致。
* ``check_residual_parameters``：``residual_block_parameters(in_channels, out_channels, stride=1)``
  等于 ``lib.ResidualBlock`` 的 ``parameter_count()``。
"""

import numpy as np

from ..blocks import GlobalAvgPool, ResidualBlock
from ..gradcheck import numerical_gradient
from ..normalization import BatchNorm2d
from ..tensor import Tensor
from .harness import (
    CheckError,
    compare,
    gradient_check,
    keep_layer_rng,
    known_mistake,
    own_work,
    passed,
    require_integer,
    run,
    same_with_defaults,
)

EPS = 1e-5
SHAPES = ((4, 3, 5, 6), (2, 2, 3, 3), (5, 1, 4, 2), (1, 3, 4, 4), (3, 4, 2, 5), (2, 3, 1, 1))


def random_cases(trials, seed, smallest=2):
    """(N, C, H, W) 的列表：先是固定的几个（含批大小 1、1×1 的特征图），其余随机。

    只保留每个通道至少 ``smallest`` 个数（N·H·W ≥ smallest）的情形：训练模式至少要 2 个。
    """
    rng = np.random.default_rng(seed)
    shapes = list(SHAPES)
    while len(shapes) < trials:
        shapes.append(tuple(int(v) for v in (rng.integers(1, 6), rng.integers(1, 5),
                                              rng.integers(1, 7), rng.integers(1, 7))))
    return [s for s in shapes[:trials] if s[0] * s[2] * s[3] >= smallest]


def feature_maps(rng, shape):
    """每个通道的均值、尺度各不相同，每个位置也略有不同：在错误的轴上求统计量一定看得出来。"""
    N, C, H, W = shape
    offset = rng.uniform(-3, 3, (1, C, 1, 1)) + rng.uniform(-1, 1, (1, C, H, W))
    return rng.standard_normal(shape) * rng.uniform(0.5, 3, (1, C, 1, 1)) + offset


def mistake_list(expected, pairs):
    """(照典型错误算出的结果, 说明) 的列表 → 可放进 ``compare`` 的 ``mistakes``。

    与正确答案相同的错误去掉：例如 H = W = 1 时，“只对批求统计量”恰好是对的，不能拿它来诊断。
    """
    expected = np.asarray(expected, dtype=np.float64)
    size = np.abs(expected).max(initial=1)
    return [known_mistake(wrong, text) for wrong, text in pairs
            if np.shape(wrong) != expected.shape
            or not np.allclose(wrong, expected, rtol=1e-4, atol=1e-6 * size)]


def label(shape):
    return f'输入形状 (N, C, H, W) = {shape}'


# ---- 全局平均池化 ----

@own_work('global_avg_pool', GlobalAvgPool.forward)
def check_global_avg_pool(fn, trials=20, seed=0):
    """检查 ``fn(x)``：(N, C, H, W) → (N, C)，每个通道整张特征图的平均。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in random_cases(trials, seed) + [(1, 1, 1, 1)]:
        x = feature_maps(rng, shape)
        expected = x.mean(axis=(2, 3))
        actual = run(fn, label(shape), x)
        mistakes = mistake_list(expected, [
            (x.mean(axis=(2, 3), keepdims=True),
                          '保留了两个长度为 1 的维度：输出应是 (N, C)，不是 (N, C, 1, 1)'
                          '（去掉 keepdims=True）'),
            (x.mean(axis=(0, 2, 3)), '把整批也平均掉了：每张图应各自保留一行，输出 (N, C)'),
            (x.mean(axis=1), '在通道这一维上求了平均：应对每个通道的 H×W 个位置求平均'),
        ])
        compare('返回的结果', label(shape), expected, actual, mistakes=mistakes)
    passed(f'在 {trials} 组随机形状上与 lib.GlobalAvgPool 一致')


# ---- 批归一化的前向 ----

WRONG_AXES = {
    (0,): '只在批这一维（axis=0）上求了均值和方差：每个像素各自归一化了。卷积的批归一化每个通道一组统计量，'
          '应在 N、H、W 三个轴上求（axis=(0, 2, 3)）',
    (2, 3): '只在 H、W 上求了均值和方差：每张图各自归一化了（这是实例归一化），'
            '少了批这一维 N，应在 N、H、W 三个轴上求（axis=(0, 2, 3)）',
    (0, 1, 2, 3): '在全部四个轴上求了均值和方差：所有通道混成了一组。每个通道应各有一组统计量，'
                  '只在 N、H、W 上求（axis=(0, 2, 3)），不含通道 C',
    (1, 2, 3): '在 C、H、W 上求了均值和方差：每张图一组统计量（这是层归一化）。'
               '批归一化应在 N、H、W 上求（axis=(0, 2, 3)），每个通道一组',
    (0, 1): '在 N、C 上求了均值和方差：应在 N、H、W 上求（axis=(0, 2, 3)），每个通道一组',
}


def normalise(x, axes, gamma, beta, eps=EPS, ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def reference_layer(C, gamma, eps=EPS):
    with keep_layer_rng():
        layer = BatchNorm2d(C, eps=eps).astype(np.float64)
    layer.gamma.data = gamma.copy()
    return layer


def forward_mistakes(x, gamma, beta, eps=EPS):
    N, C, H, W = x.shape
    found = [(normalise(x, axes, gamma, beta, eps), text) for axes, text in WRONG_AXES.items()]
    if N * H * W > 1:
        found.append((normalise(x, (0, 2, 3), gamma, beta, eps, ddof=1),
                                   '方差除以了 M - 1（无偏估计，ddof=1）：'
                                   '归一化用的是有偏方差，除以 M = N·H·W'))
    found.append((normalise(x, (0, 2, 3), np.ones(C), np.zeros(C), eps),
                               '结果是标准化后的 x̂：还要乘 γ、加 β（y = γ·x̂ + β）'))
    found.append((normalise(x, (0, 2, 3), beta, gamma, eps),
                               'γ 与 β 用反了：y = γ·x̂ + β，γ 乘、β 加'))
    return found


@own_work('batchnorm_forward', BatchNorm2d.forward)
def check_batchnorm_forward(fn, trials=12, seed=0):
    """检查 ``fn(x, gamma, beta, eps=1e-5)`` 等于训练模式下 ``lib.BatchNorm2d`` 的输出（float64）。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for index, shape in enumerate(random_cases(trials, seed)):
        C = shape[1]
        x = feature_maps(rng, shape)
        gamma, beta = rng.uniform(0.5, 2, C), rng.standard_normal(C)
        eps = EPS if index % 2 == 0 else 1e-3          # 一半取默认值：再省略 eps 调用一次
        layer = reference_layer(C, gamma, eps)
        layer.beta.data = beta.copy()
        expected = layer(Tensor(x)).data
        text = f'{label(shape)}，eps={eps}'
        actual = run(fn, text, x, gamma, beta, eps=eps)
        mistakes = mistake_list(expected, forward_mistakes(x, gamma, beta, eps))
        compare('返回的 y', text, expected, actual, mistakes=mistakes)
        same_with_defaults('返回的 y', fn, text, actual, (x, gamma, beta), dict(eps=eps), dict(eps=EPS),
                           rule='（eps 省略时等于 1e-5）')
    passed(f'在 {trials} 组随机形状上与训练模式的 lib.BatchNorm2d 一致（每个通道在 N、H、W 上归一化）')


# ---- 批归一化的反向 ----

def backward_mistakes(x, gamma, grad_out, eps):
    """dx 的典型错误：把 μ、σ² 当常数；只漏掉经由 μ 的一项或经由 σ² 的一项；在错误的轴上求和。"""
    axes = (0, 2, 3)
    M = x.size // x.shape[1]
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    g = grad_out * gamma.reshape(1, -1, 1, 1)
    g_sum, gx_sum = g.sum(axis=axes, keepdims=True), (g * x_hat).sum(axis=axes, keepdims=True)
    N = x.shape[0]                                  # 每个像素各自归一化（只对批求统计量）时的梯度
    var0 = x.var(axis=0, keepdims=True)
    x_hat0 = (x - x.mean(axis=0, keepdims=True)) / np.sqrt(var0 + eps)
    per_pixel = (N * g - g.sum(axis=0, keepdims=True)
                 - x_hat0 * (g * x_hat0).sum(axis=0, keepdims=True)) / (N * np.sqrt(var0 + eps))
    return [
        (g * inv_std, '把均值 μ 和方差 σ² 当成了常数：每个 x 还经由 μ 与 σ² 影响所有输出，'
                                   'dx 少了 -Σg/M 与 -x̂·Σ(g·x̂)/M 两项'),
        (inv_std / M * (M * g - gx_sum * x_hat), '漏掉了经由均值 μ 的一项 -Σg/M'),
        (inv_std / M * (M * g - g_sum), '漏掉了经由方差 σ² 的一项 -x̂·Σ(g·x̂)/M'),
        (per_pixel, '只在批这一维（axis=0）上求和：这是每个像素各自归一化的梯度。'
                                 '统计量在 N、H、W 上求，求和也应在 axis=(0, 2, 3) 上'),
    ]


def backward_case(fn, shape, rng):
    """一个情形上检查 ``(dx, dgamma, dbeta)``：梯度检验，与 lib 的反向传播比较，再省略 eps 调用一次。"""
    __tracebackhide__ = True
    C = shape[1]
    x = feature_maps(rng, shape)
    gamma, beta = rng.uniform(0.5, 2, C), rng.standard_normal(C)
    grad_out = rng.standard_normal(shape)
    text = label(shape)
    result = run(fn, text, x, gamma, grad_out, eps=EPS)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        length = f'，长度 {len(result)}' if isinstance(result, (tuple, list)) else ''
        raise CheckError(f'应返回三个数组 (dx, dgamma, dbeta)，实际返回 {type(result).__name__}{length}')

    def loss():                                  # L = Σ y ⊙ grad_out，所以 ∂L/∂y = grad_out
        return float(np.sum(normalise(x, (0, 2, 3), gamma, beta) * grad_out))

    numeric = [numerical_gradient(loss, array) for array in (x, gamma, beta)]   # 就地扰动，用完恢复
    layer = reference_layer(C, gamma)
    layer.beta.data = beta.copy()
    x_tensor = Tensor(x.copy())
    layer(x_tensor).backward(grad_out)
    expected = (x_tensor.grad, layer.gamma.grad, layer.beta.grad)
    x_hat = normalise(x, (0, 2, 3), np.ones(C), np.zeros(C))
    batch_only = '只对批求了和：应对 N、H、W 求和（axis=(0, 2, 3)），形状 (C,)'
    known = [mistake_list(exact, pairs) for exact, pairs in zip(expected, (
        backward_mistakes(x, gamma, grad_out, EPS),
        [((grad_out * x).sum(axis=(0, 2, 3)), 'dgamma 应是 Σ g·x̂（标准化之后的 x̂），不是 Σ g·x'),
         ((grad_out * x_hat).sum(axis=0), f'dgamma {batch_only}')],
        [(grad_out.sum(axis=0), f'dbeta {batch_only}')]), strict=True)]
    for what, actual, num, exact, mistakes in zip(('dx', 'dgamma', 'dbeta'), result, numeric, expected,
                                                  known, strict=True):
        gradient_check(what, text, actual, num, mistakes=mistakes)
        compare(what, text, exact, actual, mistakes=mistakes)
    same_with_defaults('返回的 (dx, dgamma, dbeta)', fn, text, tuple(result), (x, gamma, grad_out),
                       dict(eps=EPS), dict(eps=EPS), rule='（eps 省略时等于 1e-5）')


@own_work('batchnorm_backward', BatchNorm2d.forward)
def check_batchnorm_backward(fn, trials=6, seed=0):
    """检查 ``fn(x, gamma, grad_out, eps=1e-5)`` 返回的 ``(dx, dgamma, dbeta)``（训练模式）。

    每个情形先做梯度检验（损失 ``L = Σ y ⊙ grad_out`` 的中心差分，float64），再与 lib 的反向传播比较。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in random_cases(trials, seed, smallest=4):    # 每个通道只有 2 个数时 dx 几乎为 0
        backward_case(fn, shape, rng)
    passed(f'在 {trials} 组随机形状上通过梯度检验，且与 lib.BatchNorm2d 的反向传播一致')


# ---- 残差块的参数个数 ----

def count(in_c, out_c, stride, projection=None, batchnorm=2, biases=True):
    """按规则数参数，用来认出典型的错误（``projection`` 为 None 时按需要决定）。"""
    def conv(a, b, k):
        return a * b * k * k + (b if biases else 0)

    needed = stride != 1 or in_c != out_c
    projection = needed if projection is None else projection
    total = conv(in_c, out_c, 3) + conv(out_c, out_c, 3) + 2 * batchnorm * out_c
    if projection:
        total += conv(in_c, out_c, 1) + batchnorm * out_c
    return total


def check_residual_parameters(fn, trials=20, seed=0):
    """检查 ``fn(in_channels, out_channels, stride=1)`` 等于 ``lib.ResidualBlock(...).parameter_count()``。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    fixed = [(16, 16, 1), (16, 32, 2), (8, 16, 1), (32, 32, 2)]
    for index in range(trials):
        in_c, out_c, stride = fixed[index] if index < len(fixed) else (
            int(rng.integers(1, 33)), int(rng.integers(1, 33)), int(rng.integers(1, 3)))
        call = f'residual_block_parameters({in_c}, {out_c}, stride={stride})'
        result = run(fn, call, in_c, out_c, stride=stride)
        with keep_layer_rng():
            block = ResidualBlock(in_c, out_c, stride=stride)
        expected = block.parameter_count()
        parts = [f'conv1 {block.conv1.parameter_count():,}', f'bn1 {block.bn1.parameter_count():,}',
                 f'conv2 {block.conv2.parameter_count():,}', f'bn2 {block.bn2.parameter_count():,}']
        if block.projection:
            parts.append(f'1×1 投影 {block.projection[0].parameter_count():,} + 批归一化 '
                         f'{block.projection[1].parameter_count():,}')
        shown = '\n  lib.ResidualBlock 逐部分的参数个数：' + '，'.join(parts)
        require_integer(call, result, expected, '参数的个数是整数', shown)
        if result != expected:
            hints = {
                count(in_c, out_c, stride, projection=False):
                    '漏掉了 1×1 投影捷径（卷积 + 批归一化）：输入输出的通道数或步幅不同时，捷径也有参数',
                count(in_c, out_c, stride, projection=True):
                    '恒等捷径没有参数：只有通道数或步幅变了才需要 1×1 投影',
                count(in_c, out_c, stride, batchnorm=0): '漏掉了批归一化的 γ 与 β（每个通道各 2 个）',
                count(in_c, out_c, stride, batchnorm=1): '批归一化每个通道有 γ、β 两个参数，不是一个',
                count(in_c, out_c, stride, batchnorm=4):
                    '滑动平均（running mean/var）不是参数：优化器不更新它们，'
                    '批归一化每个通道只有 γ、β 两个参数',
                count(in_c, out_c, stride, biases=False):
                    '漏掉了卷积的偏置（lib.Convolution 每个输出通道一个）',
            }
            hint = hints.get(int(result), '')
            raise CheckError(f'{call} 应为 {expected:,}，实际得到 {int(result):,}。'
                             + (f'\n  {hint}' if hint else '') + shown)
        same_with_defaults('返回值', fn, call, result, (in_c, out_c), dict(stride=stride), dict(stride=1),
                           rule='（stride 省略时等于 1）')
    passed(f'在 {trials} 组随机的通道数与步幅上与 lib.ResidualBlock 的 parameter_count() 一致')
