"""第 5 章 反向传播也是卷积：练习的检查。"""

import numpy as np

from ..convolution import Convolution, col2im, im2col, output_size
from ..gradcheck import numerical_gradient
from ..pooling import MaxPool, pool_windows, pool_windows_adjoint
from ..tensor import Tensor
from ..transposed import ConvTranspose, conv2d_backward_loop, transposed_output_size
from .ch2_im2col import check_backward_case, overlaps_not_added
from .harness import (
    CheckError,
    compare,
    conv_cases,
    gradient_check,
    known_mistake,
    own_work,
    passed,
    require_integer,
    run,
    same_with_defaults,
)

# ---- 转置卷积的输出尺寸 ----

SIZE_DEFAULTS = dict(stride=1, padding=0, output_padding=0)


def size_mistakes(n, k, s, p, op):
    """转置卷积尺寸公式的典型错误：(错误公式的结果, 诊断)。"""
    return [
        (n * s - 2 * p + k + op, '多加了一个 stride：n 个输入像素之间只有 n - 1 个间隔，'
                                 '应是 (n - 1)·stride'),
        ((n - 1) * s + 2 * p + k + op, 'padding 的符号反了：转置卷积的 padding 是从输出四周裁掉的，'
                                       '应减去 2·padding'),
        ((n - 1) * s - p + k + op, '只减了一个 padding：输出的上下（左右）两边各裁掉 padding 行（列），'
                                   '共 2·padding'),
        ((n - 1) * s - 2 * p + k, '忘了加 output_padding（它在输出的下边、右边多加几行几列）'),
        ((n - 1) * s + k + op, '忘了减去 2·padding：转置卷积的 padding 是从输出四周裁掉的'),
        (n * s, '转置卷积不只是“边长乘以步幅”：最后一个输入像素的块还要伸出 k - stride 个像素，'
                '再从四周裁掉 padding，公式是 (n - 1)·stride - 2·padding + k + output_padding'),
        ((n - 1) * s + k - 2 * p + op - 1, '少了 1：最后一个输入像素的块从 (n - 1)·stride 开始、占 k 个像素，'
                                           '所以裁剪之前的输出边长是 (n - 1)·stride + k'),
    ]


@own_work('transposed_size', transposed_output_size, ConvTranspose.output_shape)
def check_transposed_size(fn, trials=200, seed=0):
    """检查 ``fn(size, kernel_size, stride=1, padding=0, output_padding=0)`` 与
    ``lib.transposed_output_size`` 一致、返回整数，且对结果做同样参数的卷积正好回到 size。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    fixed = [(14, 4, 2, 1, 0), (7, 3, 2, 1, 1), (3, 3, 1, 0, 0), (5, 2, 3, 0, 2), (14, 3, 2, 1, 0),
             (1, 5, 1, 2, 0)]
    tried = 0
    while tried < trials:
        if tried < len(fixed):
            n, k, s, p, op = fixed[tried]
        else:
            n, k, s, p = (int(v) for v in (rng.integers(1, 33), rng.integers(1, 8), rng.integers(1, 5),
                                            rng.integers(0, 4)))
            op = int(rng.integers(0, s))
            if (n - 1) * s - 2 * p + k + op < 1:
                continue
        call = f'transposed_size({n}, {k}, stride={s}, padding={p}, output_padding={op})'
        result = run(fn, call, n, k, stride=s, padding=p, output_padding=op)
        expected = transposed_output_size(n, k, s, p, op)
        require_integer(call, result, expected, '边长是像素的个数，公式里也只有整数的加减乘')
        if result != expected:
            why = [text for wrong, text in size_mistakes(n, k, s, p, op) if wrong == result]
            raise CheckError(f'{call} 应为 {expected}，实际得到 {result}' +
                             (f'。可能是：{"；或者：".join(why)}' if why else '。') +
                             f'\n  验算：对边长 {expected} 做同样参数的卷积（padding={p}），'
                             f'输出边长正好是 {output_size(expected, k, s, p)}')
        same_with_defaults('返回值', fn, call, result, (n, k), dict(stride=s, padding=p, output_padding=op),
                           SIZE_DEFAULTS)
        tried += 1
    passed(f'在 {trials} 组随机的 (size, kernel_size, stride, padding, output_padding) 上'
           f'与 lib.transposed_output_size 一致')


# ---- 循环版的卷积反向传播 ----

def backward_mistakes(case, x, weight, grad_out):
    """循环版反向传播的典型错误，返回 (dx 的, dw 的) 诊断函数列表。"""
    s, p = case.stride, case.padding
    dx_mistakes, dw_mistakes = [overlaps_not_added(case)], []
    if s > 1:                       # 忘了步幅：窗口的左上角放在 (i, j) 而不是 (i·s, j·s)
        full = (case.N, case.F, case.H + 2 * p - case.k + 1, case.W + 2 * p - case.k + 1)
        spread = np.zeros(full)
        spread[:, :, :grad_out.shape[2], :grad_out.shape[3]] = grad_out
        dx, dw, _ = conv2d_backward_loop(x, weight, spread, 1, p)
        text = ('输出 (i, j) 的窗口左上角在填充后的输入的 (i·stride, j·stride)，不是 (i, j)：'
                '步幅 > 1 时要乘上 stride')
        dx_mistakes.insert(0, known_mistake(dx, text))
        dw_mistakes.append(known_mistake(dw, text))
    if p > 0:
        padded = (case.N, case.C, case.H + 2 * p, case.W + 2 * p)

        def not_cropped(expected, actual):
            if actual.shape == padded:
                return (f'dx 的形状是填充后的输入的形状 {padded}：最后要从四周各裁掉 padding={p} 圈'
                        f'（补的 0 不是输入，不要它们的梯度）')
            return None

        dx_mistakes.append(not_cropped)
    return dx_mistakes, dw_mistakes


@own_work('conv_backward_naive', im2col, col2im, Convolution.forward, conv2d_backward_loop,
          ConvTranspose.forward)
def check_conv_backward_naive(fn, trials=8, seed=0):
    """检查 ``fn(x, weight, grad_out, stride=1, padding=0)`` 返回的 ``(dx, dw, db)``。

    每个情形由第 2 章的 ``check_backward_case`` 检查：float64 的中心差分梯度检验
    （损失 ``L = Σ Y ⊙ grad_out``），再与 ``lib.Convolution`` 的反向传播逐个比较；
    诊断多了循环版的典型错误（``backward_mistakes``）。
    不许调用 im2col、col2im、lib.Convolution、lib.conv2d_backward_loop 与 lib.ConvTranspose：用循环写。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, sizes=range(3, 9)):
        check_backward_case(fn, case, rng, mistakes=backward_mistakes)
    passed(f'在 {trials} 组随机形状、步幅和填充上通过梯度检验，且与 lib.Convolution 的反向传播一致')


# ---- 最大池化的反向传播 ----

def pooling_mistakes(x, grad_out, k, s):
    """最大池化反向传播的典型错误。"""
    windows = pool_windows(x, k, s)                                 # (N, C, k·k, out_h, out_w)
    g = np.broadcast_to(grad_out[:, :, None], windows.shape)
    every = pool_windows_adjoint(np.array(g), x.shape, k, s)
    average = every / (k * k)
    ties = pool_windows_adjoint(g * (windows == windows.max(axis=2, keepdims=True)), x.shape, k, s)
    count = pool_windows_adjoint(np.ones(windows.shape), x.shape, k, s)   # 每个像素在几个窗口里

    def overlaps(expected, actual):
        single, several = count == 1, count >= 2
        if (actual.shape == expected.shape and several.any()
                and np.allclose(actual[single], expected[single])
                and not np.allclose(actual[several], expected[several])):
            return ('窗口重叠（stride < kernel_size）时，一个像素可能是几个窗口的最大值，它的梯度要把'
                    '这几个窗口的都加起来：只属于一个窗口的像素都对，属于几个窗口的不对'
                    '（是不是用了 = 而不是 +=？）')
        return None

    return [
        known_mistake(every, '你把每个窗口的梯度送给了窗口里的每一个元素。'
                             '最大池化的输出只取决于窗口里的最大值，'
                             '梯度只该流回最大值所在的那一个位置，窗口里其余的位置得 0'),
        known_mistake(average, '你把梯度平分给了窗口里的每个元素（除以 k²）：这是平均池化的反向传播。'
                               '最大池化的梯度只流回窗口里最大值所在的那一个位置'),
        known_mistake(ties, '窗口里有几个并列的最大值时，你把梯度给了每一个，梯度的总和就变成了好几倍。'
                            'lib.MaxPool 的约定：按行优先排在最前的那个最大值拿走全部梯度，其余为 0'
                            '（与 np.argmax 一致）'),
        overlaps,
    ]


def check_pool_case(fn, case, x, rng, note=''):
    """一个情形：（没有并列最大值时）梯度检验，与 lib.MaxPool 的反向传播比较，省略 stride 再调用一次。"""
    __tracebackhide__ = True
    label = f'{case.input_text()}，池化窗口 {case.k}×{case.k}，stride={case.stride}{note}'
    x_tensor = Tensor(x.copy())
    out = MaxPool(case.k, case.stride)(x_tensor)
    grad_out = rng.standard_normal(out.data.shape)
    out.backward(grad_out)
    actual = run(fn, label, x, grad_out, case.k, stride=case.stride)
    mistakes = pooling_mistakes(x, grad_out, case.k, case.stride)
    if not note:                                    # 并列的最大值处不可导：只在没有并列时做梯度检验
        def loss():
            return np.sum(MaxPool(case.k, case.stride)(Tensor(x)).data * grad_out)

        gradient_check('dx', label, actual, numerical_gradient(loss, x), mistakes=mistakes)
    compare('dx', label, x_tensor.grad, actual, mistakes=mistakes)
    same_with_defaults('返回的 dx', fn, label, actual, (x, grad_out, case.k), dict(stride=case.stride),
                       dict(stride=case.k), rule='（stride 省略时等于 kernel_size）')


@own_work('max_pool_backward', MaxPool.forward)
def check_max_pool_backward(fn, trials=20, seed=0):
    """检查 ``fn(x, grad_out, kernel_size, stride=None)`` 返回的 dx 与 ``lib.MaxPool`` 的反向传播一致。

    随机情形的输入没有并列的最大值，先做梯度检验；最后加几个整数输入的情形（到处是并列的最大值），
    那里按 lib 的约定（行优先的第一个最大值拿走梯度）比较。stride 等于 kernel_size 时再省略它调用一次。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, kernels=(1, 2, 3, 4), paddings=(0,)):
        check_pool_case(fn, case, rng.standard_normal(case.x_shape), rng)
    ties = conv_cases(3, seed + 1, kernels=(2, 3), paddings=(0,), strides=(1, 2))
    for case in ties:
        x = rng.integers(0, 3, case.x_shape).astype(float)
        check_pool_case(fn, case, x, rng, note='，输入是 0、1、2 组成的整数（有并列的最大值）')
    passed(f'在 {trials} 组随机形状、窗口和步幅上通过梯度检验，与 lib.MaxPool 的反向传播一致；'
           f'{len(ties)} 组有并列最大值的输入也按约定把梯度给了第一个最大值')
