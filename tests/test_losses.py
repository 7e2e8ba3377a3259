"""损失函数：梯度检验、数值与梯度的显式核对、形状不符的错误。"""

import numpy as np
import pytest

from lib import BCELoss, CELoss, MSELoss, Tensor
from lib.gradcheck import assert_gradients_ok, loss_gradient_error


def one_hot(labels, classes):
    return np.eye(classes)[labels]


# ---- 梯度检验 ----

@pytest.mark.parametrize('shape', [(4,), (3, 5), (2, 3, 4)])
def test_gradcheck_mse(rng, shape):
    assert_gradients_ok({'p': loss_gradient_error(MSELoss(), rng.standard_normal(shape),
                                                  rng.standard_normal(shape))})


@pytest.mark.parametrize('batch, classes', [(1, 3), (4, 10), (6, 2)])
def test_gradcheck_ce_one_hot(rng, batch, classes):
    y = one_hot(rng.integers(0, classes, batch), classes)
    assert_gradients_ok({'p': loss_gradient_error(CELoss(), 3 * rng.standard_normal((batch, classes)), y)})


def test_gradcheck_ce_soft_targets(rng):
    """标签是概率分布（每行和为 1），甚至不归一化，梯度都应正确。"""
    y = rng.dirichlet(np.ones(5), size=4)
    assert_gradients_ok({'p': loss_gradient_error(CELoss(), rng.standard_normal((4, 5)), y)})
    assert_gradients_ok({'p': loss_gradient_error(CELoss(), rng.standard_normal((4, 5)), 2 * y)})


@pytest.mark.parametrize('shape', [(5,), (4, 3)])
def test_gradcheck_bce(rng, shape):
    p = rng.uniform(0.05, 0.95, shape)
    y = rng.integers(0, 2, shape).astype(np.float64)
    assert_gradients_ok({'p': loss_gradient_error(BCELoss(), p, y)})
    assert_gradients_ok({'p': loss_gradient_error(BCELoss(), p, rng.uniform(0, 1, shape))})


# ---- 显式核对 ----

def test_mse_value_and_grad_2d(rng):
    """二维标签：损失是所有元素的平均，梯度 2(p - y) / 元素个数，与平均值一致。"""
    p = Tensor(rng.standard_normal((3, 4)))
    y = Tensor(rng.standard_normal((3, 4)))
    loss = MSELoss()(p, y)
    assert loss.data.shape == ()
    np.testing.assert_allclose(loss.data, np.mean((p.data - y.data) ** 2), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(p.grad, 2 * (p.data - y.data) / 12, rtol=1e-12)


def test_ce_one_hot_value_and_grad(rng):
    logits = rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    p = Tensor(logits)
    loss = CELoss()(p, Tensor(one_hot(labels, 4)))
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss.data, -np.mean(np.log(softmax[np.arange(5), labels])), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(p.grad, (softmax - one_hot(labels, 4)) / 5, rtol=1e-12, atol=1e-15)


def test_ce_large_logits_stay_finite():
    p = Tensor(np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]]))
    loss = CELoss()(p, Tensor(one_hot([2, 1], 3)))
    loss.backward()
    np.testing.assert_allclose(loss.data, 2000.0 / 2)
    assert np.all(np.isfinite(p.grad))


def test_bce_value_and_grad(rng):
    p = Tensor(rng.uniform(0.1, 0.9, (3, 2)))
    y = Tensor(rng.integers(0, 2, (3, 2)).astype(np.float64))
    loss = BCELoss()(p, y)
    expected = -np.mean(y.data * np.log(p.data) + (1 - y.data) * np.log(1 - p.data))
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(p.grad, (p.data - y.data) / (p.data * (1 - p.data) * 6), rtol=1e-10)


def test_bce_clips_certain_predictions():
    """预测恰为 0 或 1 时损失有限；被裁剪的位置梯度为 0。"""
    p = Tensor(np.array([0.0, 1.0, 0.5]))
    loss = BCELoss()(p, Tensor(np.array([1.0, 0.0, 1.0])))
    loss.backward()
    assert np.isfinite(loss.data) and loss.data > 5
    assert p.grad[0] == 0 and p.grad[1] == 0 and p.grad[2] < 0


@pytest.mark.parametrize('loss_fn', [MSELoss(), CELoss(), BCELoss()])
def test_upstream_gradient_scales(rng, loss_fn):
    """损失的上游梯度不是 1 时（例如损失再乘一个系数），梯度按比例缩放。"""
    p_data = rng.uniform(0.1, 0.9, (3, 4))
    y = Tensor(one_hot([0, 3, 1], 4))
    p1, p2 = Tensor(p_data.copy()), Tensor(p_data.copy())
    loss_fn(p1, y).backward()
    loss_fn(p2, y).backward(np.array(2.5))
    np.testing.assert_allclose(p2.grad, 2.5 * p1.grad, rtol=1e-12)
    assert np.any(p1.grad != 0)


# ---- 错误输入 ----

@pytest.mark.parametrize('loss_fn', [MSELoss(), CELoss(), BCELoss()])
def test_shape_mismatch(raises_chinese, loss_fn):
    with raises_chinese(ValueError, type(loss_fn).__name__, '(4, 10)', '(4, 3)'):
        loss_fn(Tensor(np.full((4, 10), 0.5)), Tensor(np.zeros((4, 3))))


@pytest.mark.parametrize('loss_fn', [MSELoss(), CELoss(), BCELoss()])
def test_non_tensor_arguments(raises_chinese, loss_fn):
    with raises_chinese(TypeError, 'ndarray'):
        loss_fn(np.zeros((2, 3)), Tensor(np.zeros((2, 3))))


def test_ce_needs_2d(raises_chinese):
    with raises_chinese(ValueError, '(2, 3, 4)'):
        CELoss()(Tensor(np.zeros((2, 3, 4))), Tensor(np.zeros((2, 3, 4))))
