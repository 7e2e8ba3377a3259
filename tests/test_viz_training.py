"""第 3 章的画图与控件（lib.viz_training）。

直接驱动特征图探索器（ipywidgets，不需要浏览器）：改数字序号、通道和 ReLU 开关，
核对图里显示的特征图就是 lib.Convolution（必要时再经过 lib.ReLU）对这张数字、这个通道的输出。
另外检查错分画廊恰好挑出预测与标签不同的数字，参数分布加起来等于 parameter_count()。
"""

import numpy as np
import pytest

import lib
from lib.viz import ch3_training as vt

pytest.importorskip('ipywidgets')



@pytest.fixture(scope='module')
def digits():
    images, labels = lib.load_digits()
    return images[:40], labels[:40]


def small_network():
    """种子课程那张网络的缩小版：卷积(4 个 3×3) → 展平 → 丢弃 → 线性 → ReLU → 线性。"""
    return lib.Sequential([lib.Convolution(1, 4, 3), lib.Flatten(), lib.Dropout(),
                           lib.Linear(4 * 26 * 26, 8), lib.ReLU(), lib.Linear(8, 10)])


@pytest.fixture(scope='module')
def trained():
    """在 200 张训练图上训练 1 轮的小网络（固定种子），以及它在测试集前 40 张上的预测。"""
    lib.seed(3)
    network = small_network()
    data = lib.MNISTDataset(batch_size=8, seed=3)
    data.train_features, data.train_labels = data.train_features[:200], data.train_labels[:200]
    data.train()
    model = lib.NNModel(network, lib.CELoss(), lib.SGDOptimizer(network.parameters(), lr=0.05),
                        progress=False)
    model.train(data, 1)
    network.eval()
    images, _ = lib.load_digits()
    predictions = network(lib.Tensor(images[:40, None]))
    return network, predictions


def reference_map(conv, image, channel, relu):
    """独立于控件算出的特征图：lib.Convolution 的前向传播（+ lib.ReLU）。"""
    out = conv(lib.Tensor(np.asarray(image, dtype=np.float32)[None, None]))
    if relu:
        out = lib.ReLU()(out)
    return out.data[0, channel]


# ---- 特征图探索器 ----

@pytest.mark.parametrize('use_trained', [False, True], ids=['untrained', 'trained'])
def test_explorer_shows_the_layers_feature_map(use_trained, trained, digits):
    images, labels = digits
    if use_trained:
        network, predictions = trained
    else:
        lib.seed(11)
        network, predictions = small_network(), None
    conv = network.layers[0]
    explorer = vt.FeatureMapExplorer(network, images, labels, predictions)   # 从网络里找到卷积层
    assert explorer.conv is conv
    for index, channel, relu in [(0, 0, False), (5, 2, False), (5, 2, True), (39, 3, True), (12, 1, False)]:
        explorer.digit.value = index          # 通过控件的值触发重绘，就像在 Jupyter 里拖动一样
        explorer.channel.value = channel
        explorer.relu.value = relu
        expected = reference_map(conv, images[index], channel, relu)
        shown = explorer.figure.shown_feature_map()
        np.testing.assert_array_equal(shown, expected)
        np.testing.assert_array_equal(explorer.state['feature_map'], expected)
        np.testing.assert_array_equal(explorer.state['kernel'], conv.weight.data[channel, 0])
        np.testing.assert_array_equal(explorer.figure.image_img.get_array(), images[index])
        assert explorer.state['index'] == index
        assert explorer.state['bias'] == pytest.approx(float(conv.bias.data[channel]))
        if relu:
            assert shown.min() >= 0                                  # 经过 ReLU 后没有负值
        # 卷积核面板上的数字就是这个通道的权重
        texts = [t.get_text() for row in explorer.figure.kernel_texts for t in row]
        assert texts == [f'{v:.2f}' for v in conv.weight.data[channel, 0].ravel()]
        title = explorer.figure.axes[0].get_title()
        assert f'数字 {labels[index]}' in title and f'序号 {index}' in title


def test_explorer_sees_weight_changes(digits):
    """卷积层的权重变了（例如又训练了一步），下一次重绘显示的是新权重算出的特征图。"""
    images, labels = digits
    lib.seed(5)
    conv = lib.Convolution(1, 3, 3)
    explorer = vt.FeatureMapExplorer(conv, images, labels, channel=1)
    conv.weight.data = conv.weight.data * -2
    explorer.digit.value = 7
    expected = reference_map(conv, images[7], 1, False)
    np.testing.assert_array_equal(explorer.figure.shown_feature_map(), expected)


def test_explorer_shows_the_prediction(trained, digits):
    images, labels = digits
    network, predictions = trained
    explorer = vt.FeatureMapExplorer(network, images, labels, predictions, index=3)
    assert f'网络判为 {predictions.data[3].argmax()}' in explorer.figure.axes[0].get_title()


def test_feature_map_state_rejects_bad_input(digits):
    images, _ = digits
    conv = lib.Convolution(1, 4, 3)
    with pytest.raises(ValueError, match='通道'):
        vt.feature_map_state(conv, images[0], 4)
    with pytest.raises(ValueError, match='单通道'):
        vt.layer_feature_maps(lib.Convolution(3, 4, 3), images[0])
    with pytest.raises(ValueError, match='形状'):
        vt.layer_feature_maps(conv, images[:2])
    with pytest.raises(ValueError, match='卷积层'):
        vt.FeatureMapExplorer(lib.Sequential([lib.Flatten(), lib.Linear(784, 10)]), images)


def test_static_grids_match_the_layer(trained, digits):
    images, labels = digits
    conv = trained[0].layers[0]
    fig = vt.feature_map_grid(conv, images[2], label=labels[2])
    maps = [np.asarray(ax.images[0].get_array()) for ax in fig.axes[1:]]
    assert len(maps) == conv.out_channels
    for channel, fmap in enumerate(maps):
        np.testing.assert_array_equal(fmap, reference_map(conv, images[2], channel, False))
    fig = vt.kernel_grid(conv)
    kernels = [np.asarray(ax.images[0].get_array()) for ax in fig.axes if ax.images][:conv.out_channels]
    np.testing.assert_array_equal(np.stack(kernels), conv.weight.data[:, 0])


# ---- 错分的数字 ----

def test_misclassified_picks_exactly_the_wrong_ones(rng):
    labels = rng.integers(0, 10, size=50)
    scores = rng.standard_normal((50, 10))
    scores[np.arange(50), labels] += 5                   # 先让每张都判对
    wrong = np.array([3, 17, 18, 41])
    for i in wrong:                                      # 再故意弄错几张
        scores[i, (labels[i] + 1 + i) % 10] += 20
    np.testing.assert_array_equal(vt.misclassified(scores, labels), wrong)
    one_hot = np.eye(10)[labels]                         # 标签也可以是独热编码，预测也可以是 Tensor
    np.testing.assert_array_equal(vt.misclassified(lib.Tensor(scores), one_hot), wrong)


def test_misclassified_gallery_matches_argmax(trained, digits):
    images, labels = digits
    _, predictions = trained
    expected = np.flatnonzero(predictions.data.argmax(axis=1) != labels)
    assert 0 < len(expected) < len(labels)               # 训练 1 轮的小网络：有对有错
    fig, shown = vt.misclassified_gallery(images, labels, predictions, limit=100)
    np.testing.assert_array_equal(shown, expected)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == len(expected)
    for ax, i in zip(panels, expected, strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), images[i])
        assert ax.get_title() == f'真 {labels[i]} → 判 {predictions.data[i].argmax()}'
    fig, shown = vt.misclassified_gallery(images, labels, predictions, limit=2)
    np.testing.assert_array_equal(shown, expected[:2])


# ---- 参数 ----

@pytest.mark.parametrize('make', [
    small_network,
    lambda: lib.Sequential([lib.Flatten(), lib.Linear(784, 30), lib.ReLU(), lib.Linear(30, 10)]),
    lib.zoo.seed_network,
], ids=['small-cnn', 'mlp', 'seed-cnn'])
def test_parameter_breakdown_sums_to_parameter_count(make):
    network = make()
    rows = vt.parameter_breakdown(network)
    assert [r['layer'] for r in rows] == [str(layer) for layer in network.layers]
    assert sum(r['count'] for r in rows) == network.parameter_count()
    assert sum(r['share'] for r in rows) == pytest.approx(1.0)
    for r, layer in zip(rows, network.layers, strict=True):
        assert r['count'] == sum(p.data.size for p in layer.parameters())
    table = vt.parameter_table(rows)
    assert f'{network.parameter_count():,}' in table
    fig = vt.parameter_chart(rows)
    widths = [bar.get_width() for bar in fig.axes[0].patches]
    assert widths == [r['count'] for r in rows if r['count'] > 0]


def test_seed_network_linear_layer_dominates():
    network = lib.zoo.seed_network()
    rows = vt.parameter_breakdown(network)
    assert rows[0]['count'] == 16 * 9 + 16
    assert rows[3]['count'] == 10816 * 64 + 64
    assert rows[3]['share'] == pytest.approx((10816 * 64 + 64) / 693098)


# ---- 曲线 ----

def test_training_curves_plot_history():
    history = {'loss': [1.0, 0.5, 0.25], 'accuracy': [0.5, 0.75, 0.9], 'seconds': [1, 1, 1]}
    fig = vt.training_curves({'a': history}, {'a': 0.8})
    loss_line, = fig.axes[0].lines
    np.testing.assert_array_equal(loss_line.get_ydata(), history['loss'])
    acc_line, test_line = fig.axes[1].lines
    np.testing.assert_allclose(acc_line.get_ydata(), [50, 75, 90])
    np.testing.assert_allclose(test_line.get_ydata(), [80, 80])
