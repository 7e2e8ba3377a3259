"""第 7 章练习的检查：参考答案通过；典型的错误写法被拒绝，信息说出错在哪里。"""

import numpy as np
import pytest

import lib
from lib.exercises import ch7_modern as checks
from lib.exercises.harness import CheckError


def global_avg_pool(x):
    return x.mean(axis=(2, 3))


def batchnorm_forward(x, gamma, beta, eps=1e-5, axes=(0, 2, 3), ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    return gamma.reshape(1, -1, 1, 1) * (x - mean) / np.sqrt(var + eps) + beta.reshape(1, -1, 1, 1)


def batchnorm_backward(x, gamma, grad_out, eps=1e-5):
    axes = (0, 2, 3)
    M = x.size // x.shape[1]
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) * inv_std
    g = grad_out * gamma.reshape(1, -1, 1, 1)
    dx = inv_std / M * (M * g - g.sum(axis=axes, keepdims=True)
                        - x_hat * (g * x_hat).sum(axis=axes, keepdims=True))
    return dx, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)


def residual_block_parameters(in_channels, out_channels, stride=1):
    def conv(a, b, k):
        return a * b * k * k + b
    total = conv(in_channels, out_channels, 3) + conv(out_channels, out_channels, 3) + 4 * out_channels
    if stride != 1 or in_channels != out_channels:
        total += conv(in_channels, out_channels, 1) + 2 * out_channels
    return total


def test_reference_answers_pass(capsys):
    for check, fn in ((checks.check_global_avg_pool, global_avg_pool),
                      (checks.check_batchnorm_forward, batchnorm_forward),
                      (checks.check_batchnorm_backward, batchnorm_backward),
                      (checks.check_residual_parameters, residual_block_parameters)):
        check(fn)
        check(fn, seed=1)
    assert capsys.readouterr().out.count('✓ 通过') == 8


def rejected(check, fn, *fragments):
    with pytest.raises(CheckError) as info:
        check(fn)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize('axes, fragments', [
    ((0,), ('只在批这一维（axis=0）', '每个像素各自归一化', 'axis=(0, 2, 3)')),
    ((2, 3), ('只在 H、W 上', '实例归一化')),
    ((0, 1, 2, 3), ('全部四个轴', '所有通道混成了一组')),
    ((1, 2, 3), ('层归一化',)),
])
def test_batchnorm_forward_wrong_axes(axes, fragments):
    rejected(checks.check_batchnorm_forward,
             lambda x, gamma, beta, eps=1e-5: batchnorm_forward(x, gamma, beta, eps, axes=axes), *fragments)


def test_batchnorm_forward_other_mistakes():
    rejected(checks.check_batchnorm_forward,
             lambda x, gamma, beta, eps=1e-5: batchnorm_forward(x, gamma, beta, eps, ddof=1), 'M - 1')
    rejected(checks.check_batchnorm_forward,
             lambda x, gamma, beta, eps=1e-5: batchnorm_forward(x, np.ones_like(gamma), 0 * beta, eps),
             '还要乘 γ、加 β')
    rejected(checks.check_batchnorm_forward,
             lambda x, gamma, beta, eps=1e-4: batchnorm_forward(x, gamma, beta, eps), '默认值', 'eps')


def test_batchnorm_forward_may_not_call_lib():
    def delegate(x, gamma, beta, eps=1e-5):
        layer = lib.BatchNorm2d(x.shape[1], eps=eps).astype(np.float64)
        layer.gamma.data, layer.beta.data = gamma, beta
        return layer(lib.Tensor(x)).data
    rejected(checks.check_batchnorm_forward, delegate, '不能直接调用现成的 lib.BatchNorm2d.forward')


def test_batchnorm_backward_mistakes():
    def constant_statistics(x, gamma, grad_out, eps=1e-5):
        dx, dgamma, dbeta = batchnorm_backward(x, gamma, grad_out, eps)
        inv_std = 1 / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
        return grad_out * gamma.reshape(1, -1, 1, 1) * inv_std, dgamma, dbeta

    def dgamma_with_x(x, gamma, grad_out, eps=1e-5):
        dx, _, dbeta = batchnorm_backward(x, gamma, grad_out, eps)
        return dx, (grad_out * x).sum(axis=(0, 2, 3)), dbeta

    def dbeta_batch_only(x, gamma, grad_out, eps=1e-5):
        dx, dgamma, _ = batchnorm_backward(x, gamma, grad_out, eps)
        return dx, dgamma, grad_out.sum(axis=0)

    rejected(checks.check_batchnorm_backward, constant_statistics, '梯度检验未通过', '当成了常数')
    rejected(checks.check_batchnorm_backward, dgamma_with_x, 'dgamma', 'Σ g·x̂')
    rejected(checks.check_batchnorm_backward, dbeta_batch_only, 'dbeta', '只对批求了和')
    rejected(checks.check_batchnorm_backward, lambda x, gamma, grad_out, eps=1e-5: (x, gamma),
             '三个数组')


def test_global_avg_pool_mistakes():
    rejected(checks.check_global_avg_pool, lambda x: x.mean(axis=(2, 3), keepdims=True), '(N, C, 1, 1)')
    rejected(checks.check_global_avg_pool, lambda x: x.sum(axis=(2, 3)), '少除了')
    rejected(checks.check_global_avg_pool, lambda x: x.mean(axis=(0, 2, 3)), '整批')


def test_residual_parameters_mistakes():
    def no_projection(in_channels, out_channels, stride=1):
        return residual_block_parameters(out_channels, out_channels) - out_channels * out_channels * 9 \
            + in_channels * out_channels * 9

    def running_stats(in_channels, out_channels, stride=1):
        extra = 4 * out_channels + (2 * out_channels if stride != 1 or in_channels != out_channels else 0)
        return residual_block_parameters(in_channels, out_channels, stride) + extra

    rejected(checks.check_residual_parameters, no_projection, '1×1 投影捷径')
    rejected(checks.check_residual_parameters, running_stats, '滑动平均')
    rejected(checks.check_residual_parameters,
             lambda i, o, stride=1: float(residual_block_parameters(i, o, stride)), '整数')
    rejected(checks.check_residual_parameters, lambda i, o, stride=2: residual_block_parameters(i, o, stride),
             '默认值')
