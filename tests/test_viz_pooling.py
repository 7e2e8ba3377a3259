"""第 4 章的画图、控件与小工具（lib.viz_pooling）。

直接驱动池化探索器（ipywidgets，不需要浏览器）：改数字、池化窗口与方式，核对图里显示的池化结果
等于独立算出的“逐窗口最大值/平均值”；核对感受野的公式与梯度实测一致、平移变化的定义、
逐层形状表与参数个数、平移后的准确率。
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import signal

import lib
import lib.augment
from lib.viz import ch4_pooling as vp
from lib.viz.kernels import KERNELS

pytest.importorskip('ipywidgets')



@pytest.fixture(scope='module')
def digits():
    images, labels = lib.load_digits()
    return images[:30], labels[:30]


def reference_pooled(image, kernel_name, size, mode):
    """独立于控件的参照：SciPy 互相关（补一圈 0）→ ReLU → 逐窗口循环池化。"""
    padded = np.pad(np.asarray(image, dtype=np.float64), 1)
    kernel = KERNELS[kernel_name].astype(np.float64)
    fmap = np.maximum(signal.correlate2d(padded, kernel, mode='valid'), 0)
    h, w = fmap.shape[0] // size, fmap.shape[1] // size
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            window = fmap[i * size:(i + 1) * size, j * size:(j + 1) * size]
            out[i, j] = window.max() if mode == 'max' else window.mean()
    return fmap, out


@pytest.mark.parametrize('size, mode', [(2, 'max'), (3, 'avg'), (4, 'max'), (2, 'avg'), (3, 'max')])
def test_pooling_state_matches_reference(digits, size, mode):
    images, _ = digits
    state = vp.pooling_state(images[4], size, mode)
    assert state['pooled'].shape == (len(vp.DEMO_KERNELS), 28 // size, 28 // size)
    assert state['cropped'] == (28 % size, 28 % size)
    for i, name in enumerate(vp.DEMO_KERNELS):
        fmap, pooled = reference_pooled(images[4], name, size, mode)
        np.testing.assert_allclose(state['maps'][i], fmap, atol=1e-5)
        np.testing.assert_allclose(state['pooled'][i], pooled, atol=1e-5)


def test_explorer_shows_lib_pooling_for_several_settings(digits):
    images, labels = digits
    explorer = vp.PoolingExplorer(images, labels)
    assert explorer.state is not None and explorer.figure.state is explorer.state
    for digit, size, mode in [(0, 2, 'max'), (7, 3, 'avg'), (12, 4, 'max'), (29, 4, 'avg'), (3, 3, 'max')]:
        explorer.digit.value, explorer.size.value, explorer.mode.value = digit, size, mode
        state = explorer.state
        for column, name in enumerate(vp.DEMO_KERNELS, start=1):
            _, pooled = reference_pooled(images[digit], name, size, mode)
            shown = explorer.figure.shown(1, column)
            assert shown.shape == (28 // size, 28 // size)
            np.testing.assert_allclose(shown, pooled, atol=1e-5)
            np.testing.assert_allclose(explorer.figure.shown(0, column), state['maps'][column - 1])
        np.testing.assert_array_equal(explorer.figure.shown(0, 0), images[digit])
        summary = explorer.figure.summary.get_text()
        assert vp.MODES[mode] in summary and f'{28 // size}×{28 // size}' in summary
        assert ('裁掉' in summary) == (28 % size != 0)
        assert str(labels[digit]) in explorer.figure.axes[0, 0].get_title()
    plt.close(explorer.figure.fig)


def test_every_change_redraws_once(digits, monkeypatch):
    """每改一个控件，图就重画一次，放进控件自己的 output（没有内核时 Output 不收集，这里直接记下调用）。"""
    images, labels = digits
    calls = []
    monkeypatch.setattr(lib.viz.explorer, 'display_figure', lambda output, fig: calls.append((output, fig)))
    explorer = vp.PoolingExplorer(images, labels)
    assert len(calls) == 1
    explorer.size.value = 3
    explorer.mode.value = 'avg'
    explorer.digit.value = 9
    assert len(calls) == 4
    assert all(output is explorer.output and fig is explorer.figure.fig for output, fig in calls)
    explorer.update(draw=False)
    assert len(calls) == 4
    plt.close(explorer.figure.fig)


def test_pooling_grid_and_example_figures(digits):
    images, labels = digits
    fig = vp.pooling_grid(images[0], label=labels[0])
    assert len(fig.axes) == 4 * len(vp.DEMO_KERNELS)
    assert fig.axes[4].get_images()[0].get_array().shape == (14, 14)          # 第二排：最大池化 2×2
    assert fig.axes[12].get_images()[0].get_array().shape == (7, 7)           # 第四排：最大池化 4×4
    x = np.array([[1, 3, 2, 0], [4, 6, 5, 1], [7, 2, 0, 3], [1, 8, 4, 4]], dtype=float)
    fig = vp.pool_example_figure(x)
    np.testing.assert_array_equal(fig.axes[1].get_images()[0].get_array(), [[6, 5], [8, 4]])
    np.testing.assert_array_equal(fig.axes[2].get_images()[0].get_array(), [[3.5, 2], [4.5, 2.75]])
    numbers = [t.get_text() for t in fig.axes[1].texts]
    assert numbers == ['6', '5', '8', '4']
    with pytest.raises(ValueError, match='整数倍'):
        vp.pool_example_figure(np.zeros((3, 4)))


def test_make_pool_and_bad_mode():
    assert isinstance(vp.make_pool(3, 'max'), lib.MaxPool) and vp.make_pool(3, 'max').stride == 3
    assert isinstance(vp.make_pool(2, 'avg'), lib.AvgPool)
    with pytest.raises(ValueError, match='池化方式'):
        vp.make_pool(2, 'min')


# ---- 平移 ----

def test_shift_change_definition(digits):
    images, _ = digits
    change = vp.shift_change(images[:6], 2, [lib.MaxPool(2)], kernels=('恒等',), direction='down')
    for n in range(6):
        shifted = np.zeros_like(images[n])
        shifted[2:] = images[n][:-2]
        before = reference_pooled(images[n], '恒等', 2, 'max')[1]
        after = reference_pooled(shifted, '恒等', 2, 'max')[1]
        expected = np.linalg.norm(after - before) / np.linalg.norm(before)
        assert change[n] == pytest.approx(expected, rel=1e-5)
    assert np.all(vp.shift_change(images[:3], 0) == 0)
    with pytest.raises(ValueError, match='direction'):
        vp.shift_change(images[:3], 1, direction='sideways')


def test_shift_change_curves_order(digits):
    images, _ = digits
    curves = vp.shift_change_curves(images, [0, 1, 2], {'a': [], 'b': [lib.MaxPool(2)],
                                                        'c': [lib.MaxPool(2), lib.MaxPool(2)]})
    assert list(curves) == ['a', 'b', 'c'] and all(v[0] == 0 for v in curves.values())
    assert np.all(curves['a'][1:] > curves['b'][1:]) and np.all(curves['b'][1:] > curves['c'][1:])
    fig = vp.shift_change_plot([0, 1, 2], curves)
    assert len(fig.axes[0].lines) == 3
    fig = vp.shift_example_figure(images[0], 1)
    assert len(fig.axes) == 8


# ---- 感受野 ----

def test_receptive_field_formula():
    layers = [lib.Convolution(1, 2, 3, padding=1), lib.ReLU(), lib.MaxPool(2),
              lib.Convolution(2, 2, 3, padding=1), lib.ReLU(), lib.MaxPool(2),
              lib.Flatten(), lib.Linear(98, 2)]
    rows = vp.receptive_fields(lib.Sequential(layers))
    assert [(r['layer'], r['r'], r['j']) for r in rows] == [
        ('Convolution', 3, 1), ('MaxPool', 4, 2), ('Convolution', 8, 2), ('MaxPool', 10, 4)]
    rows = vp.receptive_fields([lib.Convolution(1, 1, 5, stride=2), lib.AvgPool(3, 1),
                                lib.Convolution(1, 1, 3)])
    assert [(r['r'], r['j']) for r in rows] == [(5, 2), (9, 2), (13, 2)]


@pytest.mark.parametrize('stack, row', [
    ([('conv', 3, 1, 1), ('avg', 2, 2), ('conv', 3, 1, 1), ('avg', 2, 2)], 3),
    ([('conv', 5, 1, 0), ('avg', 3, 1), ('conv', 3, 2, 0)], 4),
    ([('conv', 3, 1, 0), ('conv', 3, 1, 0), ('avg', 2, 2)], 5),
])
def test_receptive_field_formula_matches_gradient(stack, row):
    """无 ReLU、平均池化时，一个输出的梯度不为 0 的区域恰好是公式给出的 r×r 方块。"""
    lib.seed(1)
    layers = []
    for spec in stack:
        if spec[0] == 'conv':
            _, k, s, p = spec
            layers.append(lib.Convolution(1, 2, k, stride=s, padding=p) if not layers
                          else lib.Convolution(2, 2, k, stride=s, padding=p))
        else:
            layers.append(lib.AvgPool(spec[1], spec[2]))
    network = lib.Sequential(layers)
    r = vp.receptive_fields(network)[-1]['r']
    image = np.random.default_rng(0).random((30, 30))
    box = vp.footprint(vp.input_gradient(network, image, channel=1, row=row, col=row))
    assert (box['height'], box['width'], box['count']) == (r, r, r * r)


def test_max_pool_footprint_is_inside_receptive_field(digits):
    images, _ = digits
    lib.seed(2)
    full_net = lib.Sequential([lib.Convolution(1, 4, 3, padding=1), lib.AvgPool(2)])
    sparse_net = lib.Sequential([lib.Convolution(1, 4, 3, padding=1), lib.ReLU(), lib.MaxPool(2)])
    sparse_net.layers[0].weight.data = full_net.layers[0].weight.data.copy()
    full = vp.input_gradient(full_net, images[0], 0, 7, 7)
    sparse = vp.input_gradient(sparse_net, images[0], 0, 7, 7)
    assert vp.footprint(full)['count'] == 16
    assert np.all(sparse[full == 0] == 0)
    assert vp.footprint(np.zeros((4, 4))) == {'count': 0, 'rows': None, 'cols': None, 'height': 0, 'width': 0}
    fig = vp.receptive_field_figure([('a', full, None), ('b', sparse, images[0])], field=(12, 12, 4))
    assert len(fig.axes) == 2
    overlay = fig.axes[1].get_images()[1].get_array()
    np.testing.assert_array_equal(~np.ma.getmaskarray(overlay), sparse != 0)    # 橙色的正是梯度不为 0 的像素
    dashed = fig.axes[0].patches[0]
    assert (dashed.get_x(), dashed.get_y(), dashed.get_width()) == (11.5, 11.5, 4)


def test_input_gradient_bad_inputs():
    with pytest.raises(ValueError, match='单张灰度图'):
        vp.input_gradient(lib.MaxPool(2), np.zeros((1, 4, 4)), 0, 0, 0)
    with pytest.raises(ValueError, match='网络输出形状'):
        vp.input_gradient(lib.Sequential([lib.MaxPool(2), lib.Flatten()]), np.zeros((4, 4)), 0, 0, 0)


# ---- 逐层形状、表格、平移后的准确率 ----

def test_layer_rows_and_table():
    network = lib.Sequential([lib.Convolution(1, 8, 3, padding=1), lib.ReLU(), lib.MaxPool(2),
                              lib.Convolution(8, 16, 3, padding=1), lib.ReLU(), lib.MaxPool(2),
                              lib.Flatten(), lib.Dropout(), lib.Linear(784, 64), lib.ReLU(),
                              lib.Linear(64, 10)])
    rows = vp.layer_rows(network, (1, 1, 28, 28))
    assert [r['shape'] for r in rows][:7] == [(8, 28, 28), (8, 28, 28), (8, 14, 14), (16, 14, 14),
                                               (16, 14, 14), (16, 7, 7), (784,)]
    assert sum(r['count'] for r in rows) == network.parameter_count() == 52_138
    assert network.training                                   # 恢复原来的模式
    table = vp.markdown_table(('a', 'b'), [(1, 2), ('x', 'y')])
    assert table.splitlines() == ['| a | b |', '| --- | --- |', '| 1 | 2 |', '| x | y |']


def test_shifted_accuracy(digits):
    images, labels = digits
    seen = []

    class Recorder(lib.Layer):
        """“网络”：记下收到的图；给出的分数在“图恰好是某张数字平移 d 个像素”时指向正确的标签。"""

        def __init__(self, shift):
            super().__init__()
            self.shift = shift

        def forward(self, x):
            seen.append(x.data.copy())
            scores = np.zeros((len(x.data), 10))
            d = self.shift
            for n, picture in enumerate(x.data[:, 0]):
                candidates = [lib.augment.shift_images(images[n][None, None], [dy], [dx])[0, 0]
                              for dy, dx in ((d, 0), (-d, 0), (0, d), (0, -d))]
                if any(np.array_equal(picture, c) for c in candidates):
                    scores[n, labels[n]] = 1
            return lib.Tensor(scores)

    for shift in (0, 1, 3):
        recorder = Recorder(shift)
        # 每张图都恰好平移了 shift 个像素
        assert vp.shifted_accuracy(recorder, images, labels, shift) == 1.0
        assert recorder.training                                               # 恢复原来的模式
    moved = seen[-1][:, 0]
    down = [np.array_equal(m, lib.augment.shift_images(i[None, None], [3], [0])[0, 0])
            for m, i in zip(moved, images, strict=True)]
    directions = {'down' if d else 'other' for d in down}
    assert directions == {'down', 'other'}                                     # 方向是随机的，不全一样
    assert vp.shifted_accuracy(Recorder(2), images, labels, 1) < 0.2           # 平移距离不对，就认不出
