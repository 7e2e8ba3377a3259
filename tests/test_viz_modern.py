"""第 7 章的图与控件：逐层统计量、类激活图、探索器、特征图。"""

import numpy as np
import pytest

import lib
from lib import Tensor
from lib.viz import ch7_modern as v7


@pytest.fixture
def probe(digits):
    images, labels = digits
    return images[:8], labels[:8]


def test_stack_statistics_shapes_and_seed(probe):
    stats = v7.stack_statistics(*probe, blocks=4, width=4)
    assert len(stats['activation_std']) == len(stats['activation_grad']) == 4
    assert len(stats['weight_grad']) == 2 * 4 + 1
    again = v7.stack_statistics(*probe, blocks=4, width=4)
    assert np.array_equal(stats['weight_grad'], again['weight_grad'])       # 同一个种子，同样的结果


def test_stack_statistics_keeps_layer_rng(probe):
    lib.seed(3)
    expected = lib.layers.rng.random()
    lib.seed(3)
    v7.stack_statistics(*probe, blocks=2, width=4)
    assert lib.layers.rng.random() == expected


def test_stack_statistics_weight_grad_matches_backward(probe):
    """第一个卷积层的权重梯度范数，与自己搭同一个网络、反向传播一次得到的一致。"""
    images, labels = probe
    stats = v7.stack_statistics(images, labels, blocks=2, width=4, batchnorm=False, shortcut=True, seed=5)
    lib.seed(5)
    network = lib.zoo.deep_stack(2, 4, batchnorm=False, shortcut=True)
    targets = Tensor(v7.one_hot(labels))
    lib.CELoss()(network(Tensor(images[:, None])), targets).backward()
    assert np.isclose(stats['weight_grad'][0], np.linalg.norm(network.layers[0].weight.grad), rtol=1e-5)


def test_residual_without_bn_grows(probe):
    stats = v7.stack_statistics(*probe, blocks=8, width=8, batchnorm=False, shortcut=True)
    assert stats['activation_std'][-1] > 10 * stats['activation_std'][0]


def test_statistics_figure_and_ratio(probe):
    results = {config: v7.stack_statistics(*probe, blocks=3, width=4, batchnorm=config[0],
                                           shortcut=config[1]) for config in v7.CONFIGS}
    fig = v7.statistics_figure(results)
    assert len(fig.axes) == 3 and all(len(ax.lines) == 4 for ax in fig.axes)
    stats = results[(True, True)]
    assert v7.gradient_ratio(stats) == stats['weight_grad'][0] / stats['weight_grad'][-1]


def test_deep_stack_explorer(probe):
    explorer = v7.DeepStackExplorer(*probe, blocks=4, width=4)
    first = explorer.state
    assert np.array_equal(first['weight_grad'], v7.stack_statistics(*probe, blocks=4, width=4)['weight_grad'])
    explorer.shortcut.value = False
    assert explorer.state is not first and len(explorer.state['weight_grad']) == 9
    explorer.blocks.value = 8
    assert len(explorer.state['weight_grad']) == 17
    explorer.blocks.value, explorer.shortcut.value = 4, True
    assert explorer.state is first                                          # 算过的结构不重算
    assert '4 个块' in explorer.figure.fig._suptitle.get_text()


def test_deep_stack_explorer_uses_given_results(probe):
    computed = {(True, True): v7.stack_statistics(*probe, blocks=4, width=4)}
    explorer = v7.DeepStackExplorer(*probe, blocks=4, width=4, computed=computed)
    assert explorer.state is computed[(True, True)]


def test_class_activation_maps_sum_to_scores(digits):
    images, _ = digits
    network = lib.zoo.small_resnet()
    network.train()
    cams, scores = v7.class_activation_maps(network, images[:5])
    assert cams.shape == (5, 10, 7, 7)
    assert np.allclose(cams.mean(axis=(2, 3)) + network.layers[-1].bias.data, scores, atol=1e-5)
    network.eval()
    assert np.allclose(network(Tensor(images[:5, None])).data, scores, atol=1e-5)
    assert network.training is False


def test_class_activation_maps_restore_training_mode(digits):
    network = lib.zoo.small_resnet()
    v7.class_activation_maps(network, digits[0][:2])
    assert network.training and network.layers[1].training


def test_class_activation_maps_bad_inputs(raises_chinese, digits):
    with raises_chinese(ValueError, 'GlobalAvgPool'):
        v7.class_activation_maps(lib.zoo.lenet(), digits[0][:2])
    with raises_chinese(ValueError, '(N, H, W)'):
        v7.class_activation_maps(lib.zoo.small_resnet(), digits[0][0])


def test_cam_figure_and_explorer(digits):
    images, labels = digits
    network = lib.zoo.small_resnet()
    fig = v7.cam_figure(network, images, labels, range(4))
    assert len(fig.axes) >= 12
    viewer = v7.CAMExplorer(network, images, labels)
    cams, scores = v7.class_activation_maps(network, images[7:8])
    viewer.digit.value = 7
    assert viewer.state['chosen'] == int(scores[0].argmax())
    assert np.allclose(viewer.state['cam'], cams[0, viewer.state['chosen']])
    assert np.isclose(viewer.state['probabilities'].sum(), 1)
    viewer.target.value = 2
    assert viewer.state['chosen'] == 2 and np.allclose(viewer.state['cam'], cams[0, 2])


def test_upsample_keeps_range():
    cam = np.arange(49, dtype=float).reshape(7, 7)
    big = v7.upsample(cam, 28)
    assert big.shape == (28, 28) and big.min() >= 0 and big.max() <= 48


def test_second_layer_maps_and_figures(digits):
    image = digits[0][0]
    lenet, resnet = lib.zoo.lenet(), lib.zoo.small_resnet()
    expected = lib.Sequential(lenet.layers[:5])(Tensor(image[None, None])).data[0]
    assert np.allclose(v7.second_layer_maps(lenet, image), expected)
    maps = v7.second_layer_maps(resnet, image)
    assert maps.shape == (16, 14, 14) and maps.min() >= 0
    fig = v7.kernel_figure([('a', lenet.layers[0].weight.data), ('b', resnet.layers[0].weight.data)])
    assert len(fig.axes) == 2 * 16
    fig = v7.feature_map_figure([('a', maps), ('b', maps)])
    assert len(fig.axes) == 2 * 16


def test_curves_figure():
    curves = {('有', 0.1): [2.3, 2.0], ('无', 0.1): [2.3, np.nan], ('有', 0.5): [2.3, 1.0],
              ('无', 0.5): [2.3, 1e9]}
    fig = v7.curves_figure(curves, (0.1, 0.5))
    assert len(fig.axes) == 2 and all(len(ax.lines) == 2 for ax in fig.axes)
    top = fig.axes[1].lines[1].get_ydata()
    assert top[-1] == 5                                        # 发散的画在顶上
