"""第 2 章 图转列：练习的检查。"""

import numpy as np

from ..convolution import Convolution, col2im, im2col, output_size
from ..gradcheck import numerical_gradient
from ..tensor import Tensor
from .harness import CheckError, compare, conv_cases, gradient_check, keep_layer_rng, own_work, passed, run


@own_work('im2col', im2col)
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


@own_work('col2im', col2im)
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
    passed(f'在 {trials} 组随机形状、步幅和补零上通过梯度检验，且与 lib.Convolution 的反向传播一致')
