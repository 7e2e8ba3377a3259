"""Tensor 与自动微分：梯度累加、分支、菱形图、重复反向传播、错误信息。"""

import numpy as np
import pytest

from lib import Linear, ReLU, Sigmoid, Tanh, Tensor
from lib.gradcheck import assert_gradients_ok, numerical_gradient, relative_error


def fresh(array):
    return Tensor(np.array(array, dtype=np.float64))


def test_square_gets_twice_x(rng):
    """y = x * x：x 被用了两次，梯度是两份之和 2x。"""
    x = fresh(rng.standard_normal((3, 4)))
    upstream = rng.standard_normal((3, 4))
    (x * x).backward(upstream)
    np.testing.assert_allclose(x.grad, 2 * x.data * upstream, rtol=1e-12)


def test_sum_of_square_scalar_backward(rng):
    x = fresh(rng.standard_normal(5))
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data, rtol=1e-12)


def separate_grads(layer, x_data, upstream):
    """单独一条分支的梯度：(输入梯度, [各参数梯度])。"""
    for p in layer.parameters():
        p.grad = None
    x = fresh(x_data)
    layer(x).backward(upstream)
    return x.grad.copy(), [p.grad.copy() for p in layer.parameters()]


def test_two_linear_branches_sum(rng):
    """y = l1(x) + l2(x)：x 的梯度等于两条分支各自梯度之和，参数梯度各归各。"""
    l1, l2 = Linear(4, 3).astype(np.float64), Linear(4, 3).astype(np.float64)
    x = fresh(rng.standard_normal((5, 4)))
    upstream = rng.standard_normal((5, 3))
    (l1(x) + l2(x)).backward(upstream)
    combined_x = x.grad.copy()
    combined_params = [p.grad.copy() for p in l1.parameters() + l2.parameters()]

    gx1, gp1 = separate_grads(l1, x.data, upstream)
    gx2, gp2 = separate_grads(l2, x.data, upstream)
    np.testing.assert_allclose(combined_x, gx1 + gx2, rtol=1e-12)
    for combined, alone in zip(combined_params, gp1 + gp2, strict=True):
        np.testing.assert_allclose(combined, alone, rtol=1e-12)


def test_relu_and_tanh_branches_sum(rng):
    x_data = rng.uniform(0.1, 1.0, (4, 6)) * rng.choice([-1, 1], (4, 6))
    upstream = rng.standard_normal((4, 6))
    x = fresh(x_data)
    (ReLU()(x) + Tanh()(x)).backward(upstream)
    relu_alone, _ = separate_grads(ReLU(), x_data, upstream)
    tanh_alone, _ = separate_grads(Tanh(), x_data, upstream)
    np.testing.assert_allclose(x.grad, relu_alone + tanh_alone, rtol=1e-12)


def test_diamond_graph(rng):
    """菱形图：h 分成长短两条路再汇合；h 必须等两份梯度都到齐才向 x 传播。"""
    x = fresh(rng.standard_normal((3, 3)))
    h = Tanh()(x)
    long_branch = Tanh()(Tanh()(h))
    short_branch = Sigmoid()(h) * h
    y = long_branch + short_branch
    upstream = rng.standard_normal((3, 3))
    y.backward(upstream)

    t = np.tanh(x.data)
    s = 1 / (1 + np.exp(-t))
    inner = np.tanh(t)
    dy_dh = (1 - np.tanh(inner) ** 2) * (1 - inner ** 2) + s * (1 - s) * t + s
    np.testing.assert_allclose(h.grad, upstream * dy_dh, rtol=1e-12)
    np.testing.assert_allclose(x.grad, upstream * dy_dh * (1 - t ** 2), rtol=1e-12)

    def f():
        t = Tanh()(Tensor(x.data))
        return float(np.sum((Tanh()(Tanh()(t)) + Sigmoid()(t) * t).data * upstream))

    expected = x.grad.copy()
    assert relative_error(expected, numerical_gradient(f, x.data)) < 1e-6


def test_broadcast_add_and_mul(rng):
    """广播的加法与乘法：梯度求和回原来的形状。"""
    a = fresh(rng.standard_normal((4, 3)))
    b = fresh(rng.standard_normal(3))
    c = fresh(rng.standard_normal((4, 1)))
    upstream = rng.standard_normal((4, 3))
    (a * b + c).backward(upstream)
    np.testing.assert_allclose(a.grad, upstream * b.data, rtol=1e-12)
    np.testing.assert_allclose(b.grad, (upstream * a.data).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(c.grad, upstream.sum(axis=1, keepdims=True), rtol=1e-12)


def test_sub_and_neg(rng):
    a, b = fresh(rng.standard_normal(4)), fresh(rng.standard_normal(4))
    upstream = rng.standard_normal(4)
    (a - b).backward(upstream)
    np.testing.assert_allclose(a.grad, upstream)
    np.testing.assert_allclose(b.grad, -upstream)
    np.testing.assert_allclose((a - 1.5).data, a.data - 1.5)


def test_graph_gradcheck_mixed_ops(rng):
    """含 +、*、sum 与层的小图，整体做一次中心差分检验。"""
    layer = Linear(3, 3).astype(np.float64)
    x = fresh(rng.standard_normal((2, 3)))
    w = fresh(rng.standard_normal(3))

    def build(x, w):
        h = layer(x)
        return ((h * h + h * w) - x).sum()

    build(x, w).backward()

    def f():
        return float(build(Tensor(x.data), Tensor(w.data)).data)

    assert_gradients_ok({
        'x': relative_error(x.grad, numerical_gradient(f, x.data)),
        'w': relative_error(w.grad, numerical_gradient(f, w.data)),
        'weight': relative_error(layer.weight.grad, numerical_gradient(f, layer.weight.data)),
        'bias': relative_error(layer.bias.grad, numerical_gradient(f, layer.bias.data)),
    })


def test_backward_non_scalar_without_grad(raises_chinese):
    y = fresh(np.ones((2, 3))) * 2.0
    with raises_chinese(ValueError, '标量', '(2, 3)'):
        y.backward()


def test_backward_grad_with_wrong_shape(raises_chinese):
    y = fresh(np.ones((2, 3))) * 2.0
    with raises_chinese(ValueError, '(2, 3)', '(3, 2)'):
        y.backward(np.ones((3, 2)))


def test_backward_twice(rng):
    """同一张图反向传播两次：中间张量的梯度相同，叶子（输入与参数）的梯度累加。"""
    layer = Linear(4, 3).astype(np.float64)
    x = fresh(rng.standard_normal((2, 4)))
    h = layer(x)
    t = Tanh()(h)
    loss = (t * t).sum()

    loss.backward()
    first = {'h': h.grad.copy(), 't': t.grad.copy(), 'x': x.grad.copy(),
             'weight': layer.weight.grad.copy(), 'bias': layer.bias.grad.copy()}
    loss.backward()
    np.testing.assert_allclose(h.grad, first['h'], rtol=1e-12)
    np.testing.assert_allclose(t.grad, first['t'], rtol=1e-12)
    np.testing.assert_allclose(x.grad, 2 * first['x'], rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, 2 * first['weight'], rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * first['bias'], rtol=1e-12)


def test_deep_graph_has_no_recursion_limit():
    """几千层深的计算图也能反向传播（不用递归）。"""
    x = fresh([1.0])
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [1.0001 ** 5000], rtol=1e-9)


def test_zero_grad_then_accumulate(rng):
    x = fresh(rng.standard_normal(3))
    (x * x).sum().backward()
    assert np.any(x.grad != 0)
    x.zero_grad()
    assert x.grad.shape == x.data.shape and x.grad.dtype == x.data.dtype and not np.any(x.grad)
    x.zero_grad()
    (x * x).sum().backward()
    assert np.allclose(x.grad, 2 * x.data)            # 清零后重新累加，不残留旧梯度


def test_add_grad_takes_then_accumulates():
    t = Tensor(np.zeros((2, 2)))
    first = np.ones((2, 2))
    t.add_grad(first)
    t.add_grad(np.full((2, 2), 2.0))
    assert np.array_equal(t.grad, np.full((2, 2), 3.0))
    t.zero_grad()
    t.add_grad(np.ones(4))                              # 形状按参数整理
    assert t.grad.shape == (2, 2) and np.array_equal(t.grad, np.ones((2, 2)))


@pytest.mark.parametrize('data, dtype', [([1, 2, 3], np.float64), (np.ones(2, np.float32), np.float32),
                                         (np.ones(2, np.float64), np.float64)])
def test_dtype_kept_or_promoted(data, dtype):
    """整数转成 float64，浮点保持原精度。"""
    assert Tensor(data).data.dtype == dtype


def test_shape_and_size():
    t = Tensor(np.zeros((5, 1, 28, 28)))
    assert t.shape() == (5, 1, 28, 28)
    assert t.size() == 784
