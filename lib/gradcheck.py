"""梯度检验（gradient check）：用中心差分在 float64 下核对反向传播。

全书只有这一份数值梯度与相对误差：lib 的测试和练习的检查（``lib.exercises``）都用它。

对层：取随机的上游梯度 G，令 loss = Σ y·G，于是 ``y.backward(G)`` 给出的梯度
应等于数值梯度 (f(θ + ε) - f(θ - ε)) / 2ε。对输入和每个参数都核对。
"""

import numpy as np

from .tensor import Tensor

EPS = 1e-6
TOLERANCE = 1e-6


def relative_error(analytic, numeric):
    """按范数的相对误差 ‖a - n‖ / max(‖a‖, ‖n‖)；两者都为零时为 0。"""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / scale)


def numerical_gradient(f, array, eps=EPS):
    """中心差分 ``(f(θ+ε) - f(θ-ε)) / 2ε``：逐个就地扰动 ``array`` 的元素（用完恢复）。

    Parameters
    ----------
    f : callable，无参数，返回标量；它读取的正是 ``array``。
    array : ndarray，float64
    """
    grad = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = f()
        array[index] = original - eps
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def layer_gradient_errors(layer, x, rng, before_forward=None):
    """对层做梯度检验，返回 {名字: 相对误差}，含输入 'x' 与每个参数。

    ``before_forward`` 在每次前向之前调用（例如 ``lib.seed(n)``，让丢弃层的掩码重复）。
    """
    before_forward = before_forward or (lambda: None)
    layer.astype(np.float64)
    params = layer.parameters()
    assert all(p.data.dtype == np.float64 for p in params)
    x = Tensor(np.array(x, dtype=np.float64))

    before_forward()
    y = layer(x)
    upstream = rng.standard_normal(y.data.shape)
    y.backward(upstream)

    def f():
        before_forward()
        return float(np.sum(layer(Tensor(x.data)).data * upstream))

    errors = {'x': relative_error(x.grad, numerical_gradient(f, x.data))}
    for i, p in enumerate(params):
        errors[f'参数{i}{p.data.shape}'] = relative_error(p.grad, numerical_gradient(f, p.data))
    return errors


def loss_gradient_error(loss_fn, p, y):
    """对损失函数关于预测 p 的梯度做检验，返回相对误差。"""
    p = Tensor(np.array(p, dtype=np.float64))
    y = Tensor(np.array(y, dtype=np.float64))
    loss_fn(p, y).backward()
    numeric = numerical_gradient(lambda: float(loss_fn(Tensor(p.data), y).data), p.data)
    return relative_error(p.grad, numeric)


def assert_gradients_ok(errors, tolerance=TOLERANCE):
    """``errors`` 是 {名字: 相对误差}；有一个不小于 ``tolerance`` 就报错。"""
    bad = {name: err for name, err in errors.items() if not err < tolerance}
    assert not bad, f'梯度检验未通过（相对误差 ≥ {tolerance}）：{bad}'
