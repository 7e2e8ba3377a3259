"""练习的自动检查：每个编程练习一个检查函数，用中文说明哪里不对。

用法（每章「练习」一节的检查单元格）::

    from lib import checks
    checks.check_im2col(im2col)                  # 学生看得到的检查
    checks.check_im2col(im2col, trials=60, seed=1)   # 更严格的隐藏检查（只在教师版里）

每个检查都在随机生成的情形（批大小、通道数、高宽、卷积核、步幅、补零）上运行学习者的函数，
与 lib 的参考实现逐个比较；有反向传播的，再用 float64 的中心差分做梯度检验。
``seed`` 固定随机情形，同样的调用总是检查同样的情形。

* 全部一致：打印一行 ``✓ 通过：……``。
* 有一处不对：抛出 ``CheckError``（``AssertionError`` 的子类），信息里写明出错的情形，
  以及期望与实际的形状，或第一个不同的位置和两边的值，或梯度检验的相对误差。
* 学习者的函数自己抛出异常：同样报成 ``CheckError``，并写明是哪个情形触发的；
  只有 ``NotImplementedError``（还没完成的练习）原样抛出。

共用的部分只有几样：``conv_cases`` 生成随机情形，``run`` 调用学习者的函数，
``compare`` 比较数组，``gradient_check`` 做梯度检验，``passed`` 打印通过信息。
出错时学习者只需要看到自己的代码和中文说明，所以这些函数都设了 ``__tracebackhide__``：
IPython 与 pytest 的回溯（traceback）里不显示检查内部的调用栈。
新增一章的检查（例如池化）时，照着下面任何一个 ``check_*`` 写一个同样短的函数即可：
池化不补零，用 ``conv_cases(..., paddings=(0,))`` 生成情形，参考实现换成 lib 里对应的层。
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from . import layers
from .convolution import Convolution, col2im, conv2d_loop, im2col, output_size
from .data import MNISTDataset
from .layers import Dropout, Flatten, Linear, ReLU, Sequential
from .losses import CELoss
from .model import NNModel
from .optim import SGDOptimizer
from .pooling import AvgPool, MaxPool
from .tensor import Tensor


class CheckError(AssertionError):
    """练习的检查没有通过。信息是中文，写明出错的情形和差在哪里。"""


# ---------------------------------------------------------------- 共用的核心


@dataclass(frozen=True)
class ConvCase:
    """一个检查情形：输入 (N, C, H, W)、F 个 k×k 卷积核、步幅与补零。"""

    N: int
    C: int
    H: int
    W: int
    k: int
    stride: int = 1
    padding: int = 0
    F: int = 1

    @property
    def x_shape(self):
        return (self.N, self.C, self.H, self.W)

    @property
    def out_shape(self):
        """(out_h, out_w)，按 lib.output_size 计算。"""
        return (output_size(self.H, self.k, self.stride, self.padding),
                output_size(self.W, self.k, self.stride, self.padding))

    def __str__(self):
        return (f'输入形状 (N, C, H, W) = {self.x_shape}，卷积核 {self.k}×{self.k}，'
                f'stride={self.stride}，padding={self.padding}')


# 固定放在最前面的几个情形：窗口重叠、步幅大于卷积核（有像素不进任何窗口）、
# 补零、高宽不等、多张图多个通道。它们保证常见的错误不管 seed 取什么都会被查出来。
TYPICAL_CASES = (
    ConvCase(N=2, C=3, H=7, W=9, k=3, stride=1, padding=0, F=2),
    ConvCase(N=2, C=2, H=6, W=5, k=3, stride=2, padding=1, F=3),
    ConvCase(N=1, C=2, H=8, W=7, k=2, stride=3, padding=0, F=2),
    ConvCase(N=3, C=1, H=5, W=6, k=5, stride=1, padding=2, F=1),
    ConvCase(N=1, C=1, H=7, W=9, k=3, stride=1, padding=0, F=1),     # 单张单通道图
)


def conv_cases(trials, seed, batches=(1, 2, 3), channels=(1, 2, 3), filters=(1, 2, 3),
               sizes=range(3, 11), kernels=(1, 2, 3, 4, 5), strides=(1, 2, 3), paddings=(0, 1, 2)):
    """生成 ``trials`` 个检查情形：先是满足取值范围的 ``TYPICAL_CASES``，其余随机。

    Parameters
    ----------
    trials : int
        情形个数。
    seed : int
        随机数种子；相同的参数总是给出相同的情形。
    batches, channels, filters, sizes, kernels, strides, paddings : 序列
        N、C、F、H 与 W、k、stride、padding 的可选值。只保留补零后放得下卷积核的情形。

    Returns
    -------
    list of ConvCase
    """
    allowed = dict(N=batches, C=channels, F=filters, H=sizes, W=sizes, k=kernels,
                   stride=strides, padding=paddings)

    def fits(case):
        return min(case.H, case.W) + 2 * case.padding >= case.k

    cases = [case for case in TYPICAL_CASES
             if fits(case) and all(getattr(case, name) in values for name, values in allowed.items())]
    rng = np.random.default_rng(seed)
    while len(cases) < trials:
        case = ConvCase(**{name: int(rng.choice(list(values))) for name, values in allowed.items()})
        if fits(case):
            cases.append(case)
    return cases[:trials]


def run(fn, case, *args, **kwargs):
    """调用学习者的函数 ``fn(*args, **kwargs)``，出了问题就说明是哪个情形触发的。

    ``NotImplementedError``（练习还没做）原样抛出；其他异常报成 ``CheckError``。
    函数若就地改动了作为参数传入的数组，也算错：调用方的数据不该被悄悄改掉。
    """
    __tracebackhide__ = True    # 报错时 IPython 与 pytest 不显示检查内部的调用栈
    inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)]
    copies = [a.copy() for a in inputs]
    name = getattr(fn, '__name__', '你的函数')
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:
        raise CheckError(f'{name} 在这个情形上出错了：{case}\n'
                         f'  {type(error).__name__}: {error}') from error
    for array, copy in zip(inputs, copies, strict=True):
        if not np.array_equal(array, copy, equal_nan=True):
            raise CheckError(f'{name} 修改了传给它的输入数组（情形：{case}）。'
                             f'请不要就地改动输入，需要时先复制一份。')
    return result


def as_array(what, case, value):
    """把学习者返回的值转成数值数组；做不到就报错（例如忘了 return，得到 None）。"""
    __tracebackhide__ = True
    if value is None:
        raise CheckError(f'{what}是 None（情形：{case}）：函数是不是忘了 return？')
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise CheckError(f'{what}应该是数值数组，实际得到 {type(value).__name__}'
                         f'（情形：{case}）：{error}') from error
    return array


def compare(what, case, expected, actual, rtol=1e-6, atol=1e-9):
    """要求 ``actual`` 与 ``expected`` 形状完全相同、每个元素都接近（``np.allclose``）。

    不一致时报出形状，或第一个不同的位置和两边的值。
    """
    __tracebackhide__ = True
    actual = as_array(what, case, actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise CheckError(f'{what}的形状不对。\n  情形：{case}\n'
                         f'  期望形状 {expected.shape}，实际形状 {actual.shape}')
    close = np.isclose(actual, expected, rtol=rtol, atol=atol)
    if not close.all():
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        raise CheckError(f'{what}的数值不对。\n  情形：{case}\n'
                         f'  第一个不同的位置 {where}：期望 {expected[where]:.6g}，实际 {actual[where]:.6g}'
                         f'（共 {int((~close).sum())} / {close.size} 个位置不同）')


def numerical_gradient(loss, array, eps=1e-6):
    """中心差分 ``(L(θ+ε) - L(θ-ε)) / 2ε``：逐个就地扰动 ``array`` 的元素（用完恢复）。

    Parameters
    ----------
    loss : callable，无参数，返回标量；它读取的正是 ``array``。
    array : ndarray，float64
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        plus = loss()
        array[index] = old - eps
        minus = loss()
        array[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def gradient_check(what, case, analytic, numeric, tolerance=1e-6):
    """梯度检验：解析梯度与数值梯度的相对误差 ``‖a - n‖ / (‖a‖ + ‖n‖)`` 须小于 ``tolerance``。"""
    __tracebackhide__ = True
    analytic = as_array(what, case, analytic)
    if analytic.shape != numeric.shape:
        raise CheckError(f'{what}的形状不对。\n  情形：{case}\n'
                         f'  期望形状 {numeric.shape}，实际形状 {analytic.shape}')
    difference = analytic - numeric
    error = np.linalg.norm(difference) / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-300)
    if not error < tolerance:    # 也拦下 NaN
        where = tuple(int(i) for i in np.unravel_index(np.nanargmax(np.abs(difference)), numeric.shape))
        raise CheckError(f'梯度检验未通过：{what}与中心差分得到的数值梯度的相对误差为 {error:.1e}'
                         f'（应小于 {tolerance:.0e}）。\n  情形：{case}\n'
                         f'  差得最多的位置 {where}：数值梯度 {numeric[where]:.6g}，'
                         f'你的结果 {analytic[where]:.6g}')


def passed(message):
    """打印通过信息。"""
    print(f'✓ 通过：{message}')


@contextmanager
def keep_layer_rng():
    """检查里新建层会用到 lib 各层共用的随机数生成器；检查结束后恢复它，不打乱笔记本里的随机序列。"""
    saved = layers.rng
    state = saved.bit_generator.state
    try:
        yield
    finally:
        saved.bit_generator.state = state
        layers.rng = saved


# ---------------------------------------------------------------- 第 1 章


def check_output_size(fn, trials=200, seed=0):
    """检查 ``fn(size, kernel_size, stride=..., padding=...)`` 与 ``lib.output_size`` 一致，且返回整数。"""
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
        if not isinstance(result, (int, np.integer)):
            raise CheckError(f'{call} 应该返回整数 {expected}，实际返回 {result!r}'
                             f'（类型 {type(result).__name__}）：窗口的个数是整数，'
                             f'除法要向下取整（Python 里用 //）')
        if result != expected:
            raise CheckError(f'{call} 应为 {expected}，实际得到 {result}')
        tried += 1
    passed(f'在 {trials} 组随机的 (size, kernel_size, stride, padding) 上与 lib.output_size 一致')


def check_correlate2d(fn, trials=20, seed=0):
    """检查 ``fn(image, kernel)``（单张二维图、不补零、步幅 1 的互相关）与 ``lib.conv2d_loop`` 一致。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    cases = conv_cases(trials, seed, batches=(1,), channels=(1,), filters=(1,), sizes=range(3, 13),
                       strides=(1,), paddings=(0,))
    for case in cases:
        image = rng.standard_normal((case.H, case.W))
        kernel = rng.standard_normal((case.k, case.k))
        label = f'image 形状 {image.shape}，kernel 形状 {kernel.shape}'
        actual = run(fn, label, image, kernel)
        compare('返回的特征图', label, conv2d_loop(image[None, None], kernel[None, None])[0, 0], actual)
    passed(f'在 {trials} 组随机形状上与 lib.conv2d_loop 一致')


def soft_edge(size, angle, sigma, offset):
    """一张 size×size 的图：一条模糊的直边，法线方向与竖直向下成 ``angle`` 度，两侧分别接近 0 和 1。"""
    rows, cols = np.mgrid[:size, :size] - (size - 1) / 2
    theta = np.deg2rad(angle)
    distance = (rows - offset[0]) * np.cos(theta) + (cols - offset[1]) * np.sin(theta)
    return 1 / (1 + np.exp(-distance / sigma))


EDGE_NAMES = {0: '水平边缘', 90: '竖直边缘', 45: '对角边缘（/ 走向）', 135: '对角边缘（\\ 走向）'}


def check_diagonal_kernel(fn, trials=8, seed=0, ratio=1.2):
    """检查 ``fn()`` 返回的 3×3 卷积核只对对角方向的边缘有强响应。

    在若干张随机的合成图上（一条模糊的直边，位置和模糊程度随机）比较最大响应 ``max|特征图|``：

    * 权重之和为 0：颜色均匀的区域输出 0；
    * 至少一个对角方向上的最大响应，是水平边缘和竖直边缘上最大响应的 ``ratio`` 倍以上。
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
        response = {}
        for angle in EDGE_NAMES:
            image = soft_edge(size, angle, sigma, offset)
            response[angle] = np.abs(kernel.reshape(1, -1) @ im2col(image[None, None], 3)).max()
        diagonal, axis = max(response[45], response[135]), max(response[0], response[90])
        if not diagonal >= ratio * axis:
            table = '，'.join(f'{EDGE_NAMES[a]} {response[a]:.3f}' for a in EDGE_NAMES)
            raise CheckError(f'对角边缘上的最大响应应至少是水平、竖直边缘上的 {ratio} 倍，实际不是。\n'
                             f'  合成图：{size}×{size}，边缘模糊程度 σ={sigma:.2f}\n'
                             f'  各方向边缘上的最大 |响应|：{table}')
    passed(f'权重之和为 0；在 {trials} 组随机的合成边缘图上，对角边缘的响应明显强于水平和竖直边缘')


# ---------------------------------------------------------------- 第 2 章


def check_im2col(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride=..., padding=...)`` 与 ``lib.im2col`` 一致。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed):
        x = rng.standard_normal(case.x_shape)
        expected = im2col(x, case.k, case.stride, case.padding)
        actual = run(fn, case, x, case.k, stride=case.stride, padding=case.padding)
        shape = np.shape(actual)
        if shape != expected.shape and shape == (case.N, expected.shape[2], expected.shape[1]):
            raise CheckError(f'返回的列矩阵的形状不对（情形：{case}）：期望 {expected.shape}，实际 {shape}。'
                             f'每个窗口应该是一列，而不是一行')
        compare('返回的列矩阵', case, expected, actual)
    passed(f'在 {trials} 组随机形状、步幅和补零上与 lib.im2col 一致')


def check_col2im(fn, trials=20, seed=0):
    """检查 ``fn(cols, input_shape, kernel_size, stride=..., padding=...)`` 与 ``lib.col2im`` 一致。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed):
        out_h, out_w = case.out_shape
        cols = rng.standard_normal((case.N, case.C * case.k * case.k, out_h * out_w))
        expected = col2im(cols, case.x_shape, case.k, case.stride, case.padding)
        actual = run(fn, case, cols, case.x_shape, case.k, stride=case.stride, padding=case.padding)
        compare('返回的图', case, expected, actual)
    passed(f'在 {trials} 组随机形状、步幅和补零上与 lib.col2im 一致（重叠处相加）')


def conv_forward(x, weight, bias, stride, padding):
    """参考前向传播 ``W·im2col(x) + b``，供数值梯度使用，形状 (N, F, out_h, out_w)。"""
    N, F = x.shape[0], weight.shape[0]
    k = weight.shape[2]
    out_h, out_w = output_size(x.shape[2], k, stride, padding), output_size(x.shape[3], k, stride, padding)
    out = weight.reshape(F, -1) @ im2col(x, k, stride, padding) + bias[:, None]
    return out.reshape(N, F, out_h, out_w)


def reference_backward(x, weight, grad_out, stride, padding):
    """lib.Convolution（float64）反向传播得到的 (dx, dw, db)。"""
    F, C, k, _ = weight.shape
    with keep_layer_rng():
        layer = Convolution(C, F, k, stride, padding).astype(np.float64)
    layer.weight.data = weight.copy()
    x_tensor = Tensor(x.copy())
    layer(x_tensor).backward(grad_out)
    return x_tensor.grad, layer.weight.grad, layer.bias.grad


def check_backward_case(fn, case, rng):
    """在一个情形上检查 ``(dx, dw, db)``：形状、梯度检验、与 lib.Convolution 的反向传播比较。"""
    __tracebackhide__ = True
    x = rng.standard_normal(case.x_shape)
    weight = rng.standard_normal((case.F, case.C, case.k, case.k))
    bias = np.zeros(case.F)
    grad_out = rng.standard_normal((case.N, case.F, *case.out_shape))
    label = f'{case}，F={case.F} 个卷积核'
    result = run(fn, label, x, weight, grad_out, stride=case.stride, padding=case.padding)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        length = f'，长度 {len(result)}' if isinstance(result, (tuple, list)) else ''
        raise CheckError(f'应返回三个数组 (dx, dw, db)，实际返回 {type(result).__name__}{length}')

    def loss():                                      # L = Σ Y ⊙ grad_out，所以 ∂L/∂Y = grad_out
        return np.sum(conv_forward(x, weight, bias, case.stride, case.padding) * grad_out)

    numeric = [numerical_gradient(loss, array) for array in (x, weight, bias)]   # 就地扰动，用完恢复
    expected = reference_backward(x, weight, grad_out, case.stride, case.padding)
    for what, actual, num, exact in zip(('dx', 'dw', 'db'), result, numeric, expected, strict=True):
        gradient_check(what, label, actual, num)
        compare(what, label, exact, actual)


def check_conv_backward(fn, trials=10, seed=0):
    """检查 ``fn(x, weight, grad_out, stride=..., padding=...)`` 返回的 ``(dx, dw, db)``。

    每个情形先做梯度检验（损失 ``L = Σ Y ⊙ grad_out`` 对 x、W、b 的中心差分，float64），
    再与 ``lib.Convolution`` 的反向传播逐个比较。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed):
        check_backward_case(fn, case, rng)
    passed(f'在 {trials} 组随机形状、步幅和补零上通过梯度检验，且与 lib.Convolution 的反向传播一致')


# ---------------------------------------------------------------- 第 3 章


def conv_net(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10):
    """种子网络的一般形式：卷积(补零 padding) → 展平 → 丢弃 → 线性(→hidden) → ReLU → 线性(hidden→classes)。"""
    side = output_size(size, kernel_size, 1, padding)
    return Sequential([Convolution(channels, kernels, kernel_size, padding=padding), Flatten(), Dropout(),
                       Linear(kernels * side * side, hidden), ReLU(), Linear(hidden, classes)])


def check_parameter_count(fn, trials=30, seed=0):
    """检查 ``fn(kernels=, kernel_size=, hidden=, padding=, size=, channels=, classes=)`` 等于
    lib 搭出的同一个网络（``conv_net``）的 ``parameter_count()``。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    fixed = [dict(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10),
             dict(kernels=16, kernel_size=3, hidden=64, padding=1, size=28, channels=1, classes=10),
             dict(kernels=6, kernel_size=5, hidden=32, padding=2, size=20, channels=3, classes=4)]
    for index in range(trials):
        if index < len(fixed):
            params = fixed[index]
        else:
            params = dict(kernels=int(rng.integers(1, 17)), kernel_size=int(rng.integers(1, 8)),
                          hidden=int(rng.integers(1, 65)), padding=int(rng.integers(0, 4)),
                          size=int(rng.integers(8, 21)), channels=int(rng.integers(1, 4)),
                          classes=int(rng.integers(2, 11)))
        call = 'parameter_count(' + ', '.join(f'{key}={value}' for key, value in params.items()) + ')'
        result = run(fn, call, **params)
        with keep_layer_rng():
            network = conv_net(**params)
        expected = network.parameter_count()
        if not isinstance(result, (int, np.integer)) or result != expected:
            layers_shown = '，'.join(f'{type(layer).__name__} {layer.parameter_count():,}'
                                     for layer in network.layers if layer.parameter_count())
            shown = f'{result:,}' if isinstance(result, (int, np.integer)) else repr(result)
            raise CheckError(f'{call} 应为 {expected:,}，实际得到 {shown}。\n'
                             f'  lib 搭出同样的网络，逐层的参数个数：{layers_shown}')
    passed(f'在 {trials} 组随机的网络设置上与 lib 搭出的网络的 parameter_count() 一致')


SETTING_KEYS = ('lr', 'batch_size', 'epochs', 'momentum')


def check_settings(fn, target=0.915, max_epochs=3, min_batch_size=16, seed=0):
    """检查 ``fn()`` 返回的训练设置：在种子网络上训练后，测试准确率至少为 ``target``。

    设置是一个字典，键为 ``lr``、``batch_size``、``epochs``、``momentum``。
    为了让检查快：``batch_size ≥ min_batch_size``，``epochs ≤ max_epochs``。
    ``seed`` 同时固定初始化、丢弃与数据打乱的顺序；换一个 seed 就是换一次“运气”。
    """
    __tracebackhide__ = True
    settings = run(fn, 'my_settings()')
    if not isinstance(settings, dict):
        raise CheckError(f'应返回一个字典，例如 dict(lr=0.01, batch_size=16, epochs=3, momentum=0.0)，'
                         f'实际得到 {type(settings).__name__}')
    missing = [key for key in SETTING_KEYS if key not in settings]
    extra = [key for key in settings if key not in SETTING_KEYS]
    if missing or extra:
        raise CheckError(f'字典的键应是 {list(SETTING_KEYS)}；缺少 {missing}，多出 {extra}')
    lr, batch_size, epochs, momentum = (settings[key] for key in SETTING_KEYS)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < min_batch_size:
        raise CheckError(f'batch_size 应是不小于 {min_batch_size} 的整数（批太小，检查会跑得太久），'
                         f'实际为 {batch_size!r}')
    if not isinstance(epochs, (int, np.integer)) or not 1 <= epochs <= max_epochs:
        raise CheckError(f'epochs 应是 1 到 {max_epochs} 之间的整数，实际为 {epochs!r}')
    if not isinstance(lr, (int, float, np.floating, np.integer)) or not lr > 0:
        raise CheckError(f'lr 应是正数，实际为 {lr!r}')
    if not isinstance(momentum, (int, float, np.floating, np.integer)) or not 0 <= momentum < 1:
        raise CheckError(f'momentum 应满足 0 ≤ momentum < 1，实际为 {momentum!r}')

    shown = f'lr={lr}，batch_size={batch_size}，epochs={epochs}，momentum={momentum}'
    start = time.perf_counter()
    saved = layers.rng
    try:
        layers.seed(seed)
        dataset = MNISTDataset(batch_size=int(batch_size), seed=seed)
        network = conv_net()             # 种子课程的网络
        optimizer = SGDOptimizer(network.parameters(), lr=float(lr), momentum=float(momentum))
        model = NNModel(network, CELoss(), optimizer, progress=False)
        with np.errstate(all='ignore'):    # 学习率太大时会溢出：结果照样报告，不打印警告
            model.train(dataset, int(epochs))
            predictions, _ = model.test(dataset)
        accuracy = dataset.estimate(predictions)
    finally:
        layers.rng = saved
    seconds = time.perf_counter() - start
    if not accuracy >= target:
        diverged = not np.isfinite(model.history['loss'][-1])
        diverged = '；训练发散了（损失溢出或成了 NaN），学习率可能太大' if diverged else ''
        raise CheckError(f'测试准确率 {accuracy:.2%} 未达到目标 {target:.1%}{diverged}。\n'
                         f'  设置：{shown}（seed={seed}）\n'
                         f'  每轮的训练损失：{", ".join(f"{v:.3f}" for v in model.history["loss"])}')
    passed(f'{shown}：训练 {epochs} 轮后测试准确率 {accuracy:.2%}'
           f'（目标 ≥ {target:.1%}，seed={seed}，用时 {seconds:.0f} 秒）')


# ---------------------------------------------------------------- 第 4 章


def check_pool(fn, layer, what, trials, seed):
    """检查 ``fn(x, kernel_size, stride=...)`` 与池化层 ``layer(kernel_size, stride)`` 的前向一致。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, filters=(1,), kernels=(1, 2, 3, 4), paddings=(0,)):
        x = rng.standard_normal(case.x_shape)
        expected = layer(case.k, case.stride)(Tensor(x)).data
        actual = run(fn, case, x, case.k, stride=case.stride)
        compare(f'返回的{what}结果', case, expected, actual)
    passed(f'在 {trials} 组随机形状、窗口和步幅上与 lib.{layer.__name__} 一致')


def check_max_pool(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride)`` 与 ``lib.MaxPool`` 一致（窗口可以重叠，不补零）。"""
    __tracebackhide__ = True
    check_pool(fn, MaxPool, '最大池化', trials, seed)


def check_avg_pool(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride)`` 与 ``lib.AvgPool`` 一致（窗口可以重叠，不补零）。"""
    __tracebackhide__ = True
    check_pool(fn, AvgPool, '平均池化', trials, seed)
