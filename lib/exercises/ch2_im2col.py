"""第 2 章 图转列：练习的检查。"""

import numpy as np

from ..convolution import Convolution, col2im, im2col, output_size
from ..gradcheck import numerical_gradient
from ..tensor import Tensor
from .harness import (
    CheckError,
    compare,
    conv_cases,
    gradient_check,
    keep_layer_rng,
    own_work,
    passed,
    run,
    same_with_defaults,
)

DEFAULTS = dict(stride=1, padding=0)      # 练习里函数签名的默认值


def window_order(case):
    """im2col 的典型错误：窗口矩阵里的数都在，只是行或列的顺序不对。

    返回一个诊断函数（见 ``harness.diagnose``）：把第一个不同的位置 (b, 行, 列) 解读成
    （通道 c，行偏移 m，列偏移 n）与输出位置 (i, j)，并说出学习者在那里放的是哪个窗口的哪个数。
    """
    out_w = case.out_shape[1]

    def decode(row, column):
        c, m, n = (int(v) for v in np.unravel_index(row, (case.C, case.k, case.k)))
        return (c, m, n), divmod(int(column), out_w)

    def mistake(expected, actual):
        if actual.shape != expected.shape:
            return None
        b, row, column = np.argwhere(~np.isclose(actual, expected))[0]
        value = actual[b, row, column]
        found = [tuple(place) for place in np.argwhere(expected[b] == value)] if value != 0 else []
        if not found:                  # 那个数不在这张图的窗口矩阵里（0 可能是补的零，不算）：不是顺序的问题
            return None
        # 同一个像素会出现在几个窗口里：优先找同一列（行的顺序错了）或同一行（列的顺序错了）的那一处
        same_column = [place for place in found if place[1] == column]
        same_row = [place for place in found if place[0] == row]
        (cmn, ij), (cmn_put, ij_put) = decode(row, column), decode(*(same_column or same_row or found)[0])
        where = (f'第一个不同的位置 ({b}, {row}, {column}) 应是 (c, m, n) = {cmn} '
                 f'在输出位置 (i, j) = {ij} 的像素')
        if same_column:
            return (f'每一列里行的顺序不对：{where}，你放的是 (c, m, n) = {cmn_put} 的像素。'
                    f'行应按（通道 c，行偏移 m，列偏移 n）排列，与 weight.reshape(F, -1) 一致')
        if same_row:
            return (f'列的顺序不对：{where}，你放的是输出位置 {ij_put} 的窗口里的像素。'
                    f'第 i·out_w + j 列应是输出位置 (i, j) 的窗口（out_w = {out_w}）')
        return f'行和列的顺序都不对：{where}，你放的是 (c, m, n) = {cmn_put} 在输出位置 {ij_put} 的像素'

    return mistake


@own_work('im2col', im2col)
def check_im2col(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride=..., padding=...)`` 与 ``lib.im2col`` 一致。

    一半的随机情形用 float32 的输入；stride、padding 取默认值时，再省略它们调用一次。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, dtypes=('float64', 'float32')):
        x = case.random(rng, case.x_shape)
        expected = im2col(x, case.k, case.stride, case.padding)
        options = dict(stride=case.stride, padding=case.padding)
        actual = run(fn, case, x, case.k, **options)
        shape = np.shape(actual)
        if shape != expected.shape and shape == (case.N, expected.shape[2], expected.shape[1]):
            raise CheckError(f'返回的窗口矩阵的形状不对（情形：{case}）：'
                             f'期望 {expected.shape}，实际 {shape}。'
                             f'每个窗口应该是一列，而不是一行')
        compare('返回的窗口矩阵', case, expected, actual, **case.tolerance, mistakes=[window_order(case)])
        same_with_defaults('返回的窗口矩阵', fn, case, actual, (x, case.k), options, DEFAULTS)
    passed(f'在 {trials} 组随机形状、步幅和填充上与 lib.im2col 一致')


def overlaps_not_added(case):
    """col2im 的典型错误：重叠处没有相加（用了 = 而不是 +=，或者取了平均）。

    返回一个诊断函数（见 ``harness.diagnose``）：只被一个窗口盖住的像素都对、
    被几个窗口盖住的像素不对，就是这个错误。对输入的梯度 dx 同样适用。
    """
    out_h, out_w = case.out_shape
    ones = np.ones((case.N, case.C * case.k * case.k, out_h * out_w))
    count = col2im(ones, case.x_shape, case.k, case.stride, case.padding)   # 每个像素被几个窗口盖住

    def mistake(expected, actual):
        single, several = count == 1, count >= 2
        if (actual.shape == expected.shape and several.any()
                and np.allclose(actual[single], expected[single])
                and not np.allclose(actual[several], expected[several])):
            return ('重叠的窗口要相加：只被一个窗口盖住的像素都对，被几个窗口盖住的不对'
                    '（是不是用了 = 而不是 +=，或者取了平均？）')
        return None

    return mistake


@own_work('col2im', col2im)
def check_col2im(fn, trials=20, seed=0):
    """检查 ``fn(cols, input_shape, kernel_size, stride=..., padding=...)`` 与 ``lib.col2im`` 一致。

    一半的随机情形用 float32 的输入；stride、padding 取默认值时，再省略它们调用一次。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, dtypes=('float64', 'float32')):
        out_h, out_w = case.out_shape
        cols = case.random(rng, (case.N, case.C * case.k * case.k, out_h * out_w))
        expected = col2im(cols, case.x_shape, case.k, case.stride, case.padding)
        options = dict(stride=case.stride, padding=case.padding)
        actual = run(fn, case, cols, case.x_shape, case.k, **options)
        compare('返回的图', case, expected, actual, **case.tolerance, mistakes=[overlaps_not_added(case)])
        same_with_defaults('返回的图', fn, case, actual, (cols, case.x_shape, case.k), options, DEFAULTS)
    passed(f'在 {trials} 组随机形状、步幅和填充上与 lib.col2im 一致（重叠处相加）')


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


def typical_backward_mistakes(case, x, weight, grad_out):
    """反向传播的典型错误：(dx 的, dw 的) 诊断函数列表。这里只有一条：重叠处的梯度没有相加。"""
    return [overlaps_not_added(case)], []


def check_backward_case(fn, case, rng, mistakes=typical_backward_mistakes):
    """在一个情形上检查 ``(dx, dw, db)``：形状、梯度检验、与 lib.Convolution 的反向传播比较，
    最后省略取默认值的 stride、padding 再调用一次。

    ``mistakes(case, x, weight, grad_out)`` 返回 (dx 的, dw 的) 典型错误的诊断函数列表；
    第 5 章的循环版反向传播用它加上自己的几条（忘了步幅、忘了裁掉填充）。"""
    __tracebackhide__ = True
    x = rng.standard_normal(case.x_shape)
    weight = rng.standard_normal((case.F, case.C, case.k, case.k))
    bias = np.zeros(case.F)
    grad_out = rng.standard_normal((case.N, case.F, *case.out_shape))
    label = f'{case}，F={case.F} 个卷积核'
    options = dict(stride=case.stride, padding=case.padding)
    result = run(fn, label, x, weight, grad_out, **options)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        length = f'，长度 {len(result)}' if isinstance(result, (tuple, list)) else ''
        raise CheckError(f'应返回三个数组 (dx, dw, db)，实际返回 {type(result).__name__}{length}')

    def loss():                                      # L = Σ Y ⊙ grad_out，所以 ∂L/∂Y = grad_out
        return np.sum(conv_forward(x, weight, bias, case.stride, case.padding) * grad_out)

    numeric = [numerical_gradient(loss, array) for array in (x, weight, bias)]   # 就地扰动，用完恢复
    expected = reference_backward(x, weight, grad_out, case.stride, case.padding)
    known = (*mistakes(case, x, weight, grad_out), [])                       # db 没有典型错误
    for what, actual, num, exact, known_here in zip(('dx', 'dw', 'db'), result, numeric, expected, known,
                                                    strict=True):
        gradient_check(what, label, actual, num, mistakes=known_here)
        compare(what, label, exact, actual, mistakes=known_here)
    same_with_defaults('返回的 (dx, dw, db)', fn, label, tuple(result), (x, weight, grad_out),
                       options, DEFAULTS)


@own_work('conv_backward', Convolution.forward)
def check_conv_backward(fn, trials=10, seed=0):
    """检查 ``fn(x, weight, grad_out, stride=..., padding=...)`` 返回的 ``(dx, dw, db)``。

    每个情形先做梯度检验（损失 ``L = Σ Y ⊙ grad_out`` 对 x、W、b 的中心差分，float64），
    再与 ``lib.Convolution`` 的反向传播逐个比较。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed):
        check_backward_case(fn, case, rng)
    passed(f'在 {trials} 组随机形状、步幅和填充上通过梯度检验，且与 lib.Convolution 的反向传播一致')
