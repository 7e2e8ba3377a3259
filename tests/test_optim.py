"""SGDOptimizer 的动量、权重衰减与学习率日程；OneCycle 的形状。"""

import numpy as np
import pytest

from lib import OneCycle, SGDOptimizer, Tensor


def test_weight_decay_adds_lambda_theta():
    p = Tensor(np.array([1.0, -2.0]))
    p.grad = np.array([0.5, 0.5])
    grad_before = p.grad.copy()
    SGDOptimizer([p], lr=0.1, weight_decay=0.01).step()
    assert np.allclose(p.data, [1.0, -2.0] - 0.1 * (grad_before + 0.01 * np.array([1.0, -2.0])))
    assert np.array_equal(p.grad, grad_before)              # 不改动参数的梯度


def test_momentum_with_weight_decay():
    p = Tensor(np.array([1.0]))
    opt = SGDOptimizer([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    v, theta = 0.0, 1.0
    for _ in range(3):
        p.grad = np.array([2.0])
        opt.step()
        v = 0.9 * v + 2.0 + 0.1 * theta
        theta -= 0.1 * v
    assert np.isclose(p.data[0], theta)


def test_schedule_sets_lr_each_step():
    p = Tensor(np.array([0.0]))
    seen = []
    opt = SGDOptimizer([p], lr=1.0, schedule=lambda step: seen.append(step) or 0.5 ** step)
    for _ in range(3):
        p.grad = np.array([1.0])
        opt.step()
    assert seen == [0, 1, 2] and np.isclose(p.data[0], -(1 + 0.5 + 0.25)) and opt.steps == 3


def test_one_cycle_shape():
    schedule = OneCycle(0.1, 100)
    lrs = np.array([schedule(t) for t in range(100)])
    peak = int(lrs.argmax())
    assert peak == 30 and np.isclose(lrs[peak], 0.1)
    assert np.isclose(lrs[0], 0.1 / 25) and np.isclose(lrs[-1], 0.1 / 25 / 1e4)
    assert np.all(np.diff(lrs[:peak + 1]) > 0) and np.all(np.diff(lrs[peak:]) < 0)
    assert np.isclose(schedule(500), lrs[-1])


@pytest.mark.parametrize('kwargs', [dict(weight_decay=-1), dict(momentum=1.0)])
def test_bad_optimizer_arguments(raises_chinese, kwargs):
    with raises_chinese(ValueError):
        SGDOptimizer([Tensor([1.0])], lr=0.1, **kwargs)


@pytest.mark.parametrize('args', [(0, 10), (0.1, 1), (0.1, 10.5)])
def test_bad_one_cycle(raises_chinese, args):
    with raises_chinese(ValueError, 'OneCycle'):
        OneCycle(*args)
