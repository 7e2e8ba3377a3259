"""BatchNorm2d：梯度检验（训练与评估模式）、统计量的轴、滑动平均、train/eval 的传递、错误输入。"""

import numpy as np
import pytest

import lib
from lib import BatchNorm2d, Convolution, Dropout, ReLU, ResidualBlock, Sequential, Tensor
from lib.gradcheck import assert_gradients_ok, layer_gradient_errors


def random_bn(rng, channels):
    """γ、β 不取初始值（1 与 0），梯度检验才能查出把 γ 漏掉之类的错误。"""
    bn = BatchNorm2d(channels)
    bn.gamma.data = rng.uniform(0.5, 2.0, channels).astype(np.float32)
    bn.beta.data = rng.standard_normal(channels).astype(np.float32)
    return bn


@pytest.mark.parametrize('shape', [(4, 3, 5, 6), (2, 1, 3, 3), (1, 2, 4, 4), (8, 4, 1, 1)])
def test_gradcheck_training_mode(rng, shape):
    """训练模式：对输入、γ、β 做 float64 的梯度检验（相对误差 < 1e-6）；含批大小 1 与 1×1 的特征图。"""
    bn = random_bn(rng, shape[1])
    errors = layer_gradient_errors(bn, rng.standard_normal(shape) * 3 + 1, rng)
    assert set(errors) == {'x', f'参数0({shape[1]},)', f'参数1({shape[1]},)'}
    assert_gradients_ok(errors)


def test_gradcheck_eval_mode(rng):
    bn = random_bn(rng, 3)
    bn(Tensor(rng.standard_normal((6, 3, 4, 4))))          # 先有一点滑动平均
    bn.eval()
    assert_gradients_ok(layer_gradient_errors(bn, rng.standard_normal((2, 3, 5, 4)), rng))


def test_training_output_is_normalised_per_channel(rng):
    """训练模式、γ = 1、β = 0：每个通道在 N、H、W 上均值 0、方差约 1；单个像素在批上并不是。"""
    x = rng.standard_normal((8, 3, 5, 5)) * np.array([1, 5, 0.1])[None, :, None, None] + 7
    y = BatchNorm2d(3).astype(np.float64)(Tensor(x)).data
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)
    assert not np.allclose(y.mean(axis=0), 0, atol=1e-3)


def test_gamma_beta_scale_and_shift(rng):
    bn = random_bn(rng, 2).astype(np.float64)
    x = rng.standard_normal((4, 2, 3, 3))
    y = bn(Tensor(x)).data
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + bn.eps)
    assert np.allclose(y, bn.gamma.data[None, :, None, None] * x_hat + bn.beta.data[None, :, None, None])


def test_running_statistics_update_as_documented(rng):
    """running ← (1 - m)·running + m·统计量；方差用无偏估计（乘 M / (M - 1)）。"""
    bn = BatchNorm2d(3, momentum=0.25).astype(np.float64)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 5)) * 2 + 3
        bn(Tensor(x))
        M = 4 * 2 * 5
        mean = 0.75 * mean + 0.25 * x.mean(axis=(0, 2, 3))
        var = 0.75 * var + 0.25 * x.var(axis=(0, 2, 3)) * M / (M - 1)
        assert np.allclose(bn.running_mean, mean) and np.allclose(bn.running_var, var)


def test_eval_mode_uses_running_statistics(rng):
    bn = random_bn(rng, 2).astype(np.float64)
    for _ in range(5):
        bn(Tensor(rng.standard_normal((5, 2, 3, 3)) + 4))
    bn.eval()
    running = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.standard_normal((3, 2, 4, 4))
    y = bn(Tensor(x)).data
    expected = ((x - running[0][None, :, None, None]) / np.sqrt(running[1][None, :, None, None] + bn.eps)
                * bn.gamma.data[None, :, None, None] + bn.beta.data[None, :, None, None])
    assert np.allclose(y, expected)
    assert np.array_equal(bn.running_mean, running[0])            # 评估模式不更新滑动平均
    # 评估模式下每个样本的输出只取决于它自己：单独一张图与整批里的那张相同
    assert np.allclose(bn(Tensor(x[:1])).data, y[:1])


def test_eval_with_batch_of_one_1x1_is_fine(rng):
    bn = BatchNorm2d(4)
    bn.eval()
    y = bn(Tensor(rng.standard_normal((1, 4, 1, 1)))).data
    assert np.all(np.isfinite(y))


def test_float32_stays_float32(rng):
    bn = BatchNorm2d(2)
    y = bn(Tensor(rng.standard_normal((2, 2, 3, 3)).astype(np.float32)))
    y.backward(np.ones(y.data.shape, dtype=np.float32))
    assert y.data.dtype == np.float32 and bn.running_mean.dtype == np.float32


def test_constant_channel_gives_no_nan(rng):
    """某个通道整批都是同一个数（例如 ReLU 之后全是 0）：方差为 0，靠 eps 不出 NaN。"""
    x = rng.standard_normal((3, 2, 4, 4))
    x[:, 1] = 0.0
    bn = BatchNorm2d(2).astype(np.float64)
    y = bn(Tensor(x))
    y.backward(rng.standard_normal(y.data.shape))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(bn.gamma.grad))
    assert np.allclose(y.data[:, 1], 0)


def test_train_eval_propagate_through_sequential_and_nested_blocks():
    inner = BatchNorm2d(2)
    block = ResidualBlock(2, 2)
    network = Sequential([Convolution(1, 2, 3, padding=1), inner, ReLU(),
                          Sequential([Dropout(), block])])
    norms = [inner, block.bn1, block.bn2]
    network.eval()
    assert not any(bn.training for bn in norms) and not block.training
    network.train()
    assert all(bn.training for bn in norms)
    block.eval()                                            # 只切换一个子块
    assert inner.training and not block.bn1.training


def test_training_and_eval_differ_and_model_test_switches(rng):
    """NNModel.test() 切到评估模式：同一个模型测两次结果相同，且用的是滑动平均。"""
    network = Sequential([Convolution(1, 2, 3, padding=1), BatchNorm2d(2), lib.GlobalAvgPool(),
                          lib.Linear(2, 10)])
    x = Tensor(rng.random((5, 1, 6, 6)))
    train_out = network(x).data
    network.eval()
    assert not np.allclose(network(x).data, train_out)
    assert np.array_equal(network(x).data, network(x).data)


def test_not_parameters():
    bn = BatchNorm2d(3)
    assert bn.parameters() == [bn.gamma, bn.beta] and bn.parameter_count() == 6


def test_astype_converts_running_statistics():
    bn = BatchNorm2d(2).astype(np.float64)
    assert bn.running_mean.dtype == np.float64 and bn.gamma.data.dtype == np.float64


# ---- 错误输入 ----

def test_channel_mismatch(raises_chinese, rng):
    with raises_chinese(ValueError, '(N, 3, H, W)', '(2, 4, 5, 5)'):
        BatchNorm2d(3)(Tensor(rng.standard_normal((2, 4, 5, 5))))


def test_two_dimensional_input(raises_chinese, rng):
    with raises_chinese(ValueError, '4 维', '(N, C, H, W)', '(8, 3)'):
        BatchNorm2d(3)(Tensor(rng.standard_normal((8, 3))))


def test_single_value_per_channel_in_training(raises_chinese, rng):
    """训练模式、批大小 1、1×1 的特征图：每个通道只有一个数，无法估计方差——明确报错，不给 NaN。"""
    bn = BatchNorm2d(3)
    with raises_chinese(ValueError, '至少 2 个数', '(1, 3, 1, 1)', 'eval()'):
        bn(Tensor(rng.standard_normal((1, 3, 1, 1))))
    assert np.array_equal(bn.running_mean, np.zeros(3))     # 报错前没有改动滑动平均


def test_batch_of_one_image_in_training_uses_its_pixels(rng):
    """批大小 1、但有 H×W 个位置：照常工作，统计量在这张图的像素上求（文档里写明的行为）。"""
    x = rng.standard_normal((1, 2, 4, 4))
    y = BatchNorm2d(2).astype(np.float64)(Tensor(x)).data
    assert np.all(np.isfinite(y)) and np.allclose(y.mean(axis=(0, 2, 3)), 0)


@pytest.mark.parametrize('kwargs', [dict(channels=0), dict(channels=2.5), dict(channels=2, momentum=1.5),
                                    dict(channels=2, eps=0)])
def test_bad_arguments(raises_chinese, kwargs):
    with raises_chinese(ValueError, 'BatchNorm2d'):
        BatchNorm2d(**kwargs)


def test_str():
    assert str(BatchNorm2d(4)) == 'BatchNorm2d[channels=4; momentum=0.1]'
