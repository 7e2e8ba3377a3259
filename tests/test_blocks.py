"""全局平均池化与残差块：梯度检验、捷径的两份梯度、形状与参数个数、错误输入；第 7 章的网络。"""

import numpy as np
import pytest

import lib
from lib import BatchNorm2d, GlobalAvgPool, ResidualBlock, Sequential, Tensor
from lib.gradcheck import assert_gradients_ok, layer_gradient_errors, numerical_gradient, relative_error


def test_gradcheck_global_avg_pool(rng):
    assert_gradients_ok(layer_gradient_errors(GlobalAvgPool(), rng.standard_normal((3, 4, 5, 2)), rng))


def test_global_avg_pool_values(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    assert np.allclose(GlobalAvgPool()(Tensor(x)).data, x.mean(axis=(2, 3)))
    assert GlobalAvgPool().parameter_count() == 0


def test_global_avg_pool_wrong_ndim(raises_chinese, rng):
    with raises_chinese(ValueError, '4 维', '(2, 3)'):
        GlobalAvgPool()(Tensor(rng.standard_normal((2, 3))))


def block_errors(block, x, rng):
    """残差块的梯度检验。紧跟批归一化的卷积偏置梯度恒为 0（批归一化减去了均值）：
    两边都是舍入误差，相对误差没有意义，单独要求它们的绝对值近于 0。"""
    errors = layer_gradient_errors(block, x, rng)
    redundant = [conv.bias for conv in (block.conv1, block.conv2) if block.batchnorm]
    if block.batchnorm and block.projection:
        redundant.append(block.projection[0].bias)
    for bias in redundant:
        assert np.abs(bias.grad).max() < 1e-10
    params = block.parameters()
    keys = [key for key, p in zip(list(errors)[1:], params, strict=True)
            if not any(p is b for b in redundant)]
    return {key: errors[key] for key in ['x', *keys]}


@pytest.mark.parametrize('in_c, out_c, stride, batchnorm, shortcut', [
    (3, 3, 1, True, True),       # 恒等捷径
    (2, 4, 1, True, True),       # 通道变了：1×1 投影
    (2, 4, 2, True, True),       # 步幅 2：1×1 投影，高宽减半
    (3, 3, 1, False, True),      # 无批归一化
    (3, 3, 1, True, False),      # 无捷径
    (2, 3, 2, False, False),
])
def test_gradcheck_residual_block(rng, in_c, out_c, stride, batchnorm, shortcut):
    block = ResidualBlock(in_c, out_c, stride=stride, batchnorm=batchnorm, shortcut=shortcut)
    assert_gradients_ok(block_errors(block, rng.standard_normal((3, in_c, 6, 5)), rng))


def test_shortcut_tensor_gets_both_gradients(rng):
    """x 用了两次（经 F 与经捷径）：x 的梯度 = 经 F 的一份 + 捷径上原样的一份。"""
    lib.seed(1)
    block = ResidualBlock(2, 2).astype(np.float64)
    x = Tensor(rng.standard_normal((4, 2, 5, 5)))
    y = block(x)
    upstream = rng.standard_normal(y.data.shape)
    y.backward(upstream)
    # 单独算两份：relu 之后的梯度 g，经 F 传回的 dF，与捷径的 g
    out_f = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(Tensor(x.data))))))
    g = upstream * ((out_f.data + x.data) > 0)
    x_f = Tensor(x.data.copy())
    block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x_f))))).backward(g)
    assert np.allclose(x.grad, x_f.grad + g)
    assert not np.allclose(x.grad, x_f.grad) and not np.allclose(x.grad, g)   # 两份都不可少
    numeric = numerical_gradient(lambda: float(np.sum(block(Tensor(x.data)).data * upstream)), x.data)
    assert relative_error(x.grad, numeric) < 1e-6


def test_shapes_and_parameter_counts():
    x = Tensor(np.zeros((2, 16, 14, 14), dtype=np.float32))
    assert ResidualBlock(16, 16)(x).data.shape == (2, 16, 14, 14)
    assert ResidualBlock(16, 32, stride=2)(x).data.shape == (2, 32, 7, 7)
    conv = lambda c_in, c_out, k: c_in * c_out * k * k + c_out       # noqa: E731
    assert ResidualBlock(16, 16).parameter_count() == 2 * conv(16, 16, 3) + 2 * 2 * 16
    assert ResidualBlock(16, 32, stride=2).parameter_count() == (
        conv(16, 32, 3) + conv(32, 32, 3) + 2 * 2 * 32 + conv(16, 32, 1) + 2 * 32)
    assert ResidualBlock(16, 16, batchnorm=False).parameter_count() == 2 * conv(16, 16, 3)
    assert ResidualBlock(8, 16, shortcut=False).projection is None


def test_block_parameters_and_mode_reach_projection():
    block = ResidualBlock(2, 4, stride=2)
    conv, norm = block.projection
    params = block.parameters()
    assert any(p is conv.weight for p in params) and any(p is norm.gamma for p in params)
    block.eval()
    assert not norm.training
    assert '1×1 投影捷径' in str(block) and '恒等捷径' in str(ResidualBlock(2, 2))


def test_channel_mismatch(raises_chinese, rng):
    with raises_chinese(ValueError, '(N, 3, H, W)', '(1, 2, 5, 5)'):
        ResidualBlock(3, 3)(Tensor(rng.standard_normal((1, 2, 5, 5))))


def test_small_resnet():
    """第 7 章的小残差网络：19,850 个参数（其中 144 个是紧跟批归一化、梯度恒为 0 的卷积偏置）。"""
    network = lib.zoo.small_resnet()
    assert network.parameter_count() == 19_850 <= 25_000
    assert network(Tensor(np.zeros((2, 1, 28, 28), dtype=np.float32))).data.shape == (2, 10)
    norms = [layer for layer in network.layers if isinstance(layer, BatchNorm2d)]
    network.eval()
    assert not norms[0].training and not network.layers[5].projection[1].training


@pytest.mark.parametrize('batchnorm, shortcut', [(True, True), (False, False)])
def test_deep_stack(batchnorm, shortcut):
    network = lib.zoo.deep_stack(blocks=3, width=4, batchnorm=batchnorm, shortcut=shortcut)
    assert isinstance(network, Sequential)
    blocks = [layer for layer in network.layers if isinstance(layer, ResidualBlock)]
    assert len(blocks) == 3 and all(b.shortcut == shortcut and b.batchnorm == batchnorm for b in blocks)
    assert network(Tensor(np.zeros((2, 1, 28, 28)))).data.shape == (2, 10)
