"""lib.viz 的测试：控件与图显示的数字必须与 lib 的卷积一致。

直接驱动 ipywidgets 控件（不需要浏览器）：改数字、预设、单个权重、行列、播放值，
再把 ``explorer.state`` 与 ``lib.Convolution`` / ``lib.conv2d_loop`` /
``scipy.signal.correlate2d`` 三个独立算法对照。

``python tests/test_viz.py`` 额外测量探索器一次重绘的用时（计算与渲染分开）。
"""

import re
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import signal

import lib
from lib.viz import ch1_intuition as viz
from lib.viz import style

pytest.importorskip('ipywidgets')


@pytest.fixture
def explorer(digits):
    images, labels = digits
    e = viz.KernelExplorer(images[:50], labels[:50])
    yield e
    plt.close(e.figure.fig)



def layer_output(image, kernel):
    """独立地用 lib.Convolution 算特征图（不经过 viz）。"""
    conv = lib.Convolution(1, 1, 3)
    conv.weight.data = np.asarray(kernel, dtype=np.float32).reshape(1, 1, 3, 3)
    return conv(lib.Tensor(np.asarray(image, dtype=np.float32)[None, None])).data[0, 0]


def check_state(e):
    """探索器显示的每个数都与 lib.Convolution 一致。"""
    state, row, col = e.state, e.row.value, e.col.value
    image = e.images[e.digit.value]
    expected = layer_output(image, e.kernel())
    np.testing.assert_allclose(state['feature_map'], expected, atol=1e-5)
    np.testing.assert_array_equal(state['window'], image[row:row + 3, col:col + 3])
    np.testing.assert_allclose(state['products'], state['window'] * e.kernel(), atol=1e-6)
    assert state['total'] == pytest.approx(expected[row, col], abs=1e-5)
    # 图上的文字也是这些数
    fig = e.figure
    assert fig.axes[3].get_title().endswith(f'{state["total"]:.3f}')
    assert fig.axes[4].get_title() == f'特征图 [{row}, {col}] = {expected[row, col]:.3f}'
    shown = [[float(t.get_text()) for t in r] for r in fig.window_texts]
    np.testing.assert_allclose(shown, state['window'], atol=0.005)
    shown = [[float(t.get_text()) for t in r] for r in fig.kernel_texts]
    np.testing.assert_allclose(shown, e.kernel(), atol=0.005)
    # 橙色方框框住输入里的窗口
    assert fig.rect.get_xy() == (col - 0.5, row - 0.5)
    assert (fig.rect.get_width(), fig.rect.get_height()) == (3, 3)
    # 特征图填到当前位置为止（按行扫描），之后留空
    filled = fig.map_img.get_array()
    n = row * filled.shape[1] + col + 1
    np.testing.assert_allclose(np.ma.filled(filled, np.nan).flat[:n], expected.flat[:n], atol=1e-5)
    assert np.all(np.isnan(np.ma.filled(filled, np.nan).flat[n:]))


def test_explorer_initial_state(explorer):
    np.testing.assert_array_equal(explorer.kernel(), viz.KERNELS['竖直边缘'])
    assert explorer.row.value == explorer.col.value == 13
    check_state(explorer)


@pytest.mark.parametrize('digit, preset, row, col', [
    (0, '恒等', 0, 0), (3, '模糊', 10, 17), (7, '锐化', 25, 25), (12, '水平边缘', 5, 20),
    (20, '竖直边缘', 14, 3), (49, '拉普拉斯', 9, 9)])
def test_explorer_settings(explorer, digit, preset, row, col):
    explorer.digit.value = digit
    explorer.preset.value = preset
    explorer.row.value = row
    explorer.col.value = col
    np.testing.assert_allclose(explorer.kernel(), viz.KERNELS[preset], atol=1e-4)
    assert explorer.figure.axes[0].get_title() == f'输入（数字 {explorer.labels[digit]}）与窗口'
    check_state(explorer)


def test_preset_updates_the_nine_boxes(explorer):
    for name, kernel in viz.KERNELS.items():
        if name == explorer.preset.value:
            continue
        explorer.preset.value = name
        values = [box.value for box in explorer.weights]
        np.testing.assert_allclose(values, kernel.ravel(), atol=1e-4)
        check_state(explorer)


def test_editing_one_weight(explorer):
    explorer.preset.value = '恒等'
    explorer.row.value, explorer.col.value = 8, 11
    before = explorer.state['total']
    explorer.weights[0].value = 2.5     # 左上角的权重
    pixel = explorer.images[explorer.digit.value][8, 11]
    assert explorer.state['total'] == pytest.approx(before + 2.5 * pixel, abs=1e-5)
    explorer.weights[8].value = -1.0    # 右下角的权重
    check_state(explorer)


def test_play_moves_the_window_row_by_row(explorer):
    size = explorer.size
    for value in (0, 1, size - 1, size, 5 * size + 7, size * size - 1):
        explorer.play.value = value
        assert (explorer.row.value, explorer.col.value) == divmod(value, size)
        check_state(explorer)
    # 拖动滑块后，播放从当前位置接着走
    explorer.row.value, explorer.col.value = 2, 3
    assert explorer.play.value == 2 * size + 3


def test_one_update_per_preset_change(explorer, monkeypatch):
    calls = []
    original = explorer.figure.update
    monkeypatch.setattr(explorer.figure, 'update', lambda *a: calls.append(a) or original(*a))
    explorer.preset.value = '拉普拉斯'
    assert len(calls) == 1             # 9 个输入框一起改，只重算一次


@pytest.mark.parametrize('name', list(viz.KERNELS))
def test_kernel_state_matches_conv2d_loop(digits, name):
    image = digits[0][1]
    kernel = viz.KERNELS[name]
    expected = lib.conv2d_loop(image[None, None].astype(np.float64), kernel[None, None].astype(np.float64))
    for row, col in [(0, 0), (4, 21), (13, 13), (25, 0), (25, 25)]:
        state = viz.kernel_state(image, name, row, col)
        assert state['total'] == pytest.approx(expected[0, 0, row, col], abs=1e-5)
        np.testing.assert_allclose(state['feature_map'], expected[0, 0], atol=1e-5)
        assert state['top_left'] == (row, col)


@pytest.mark.parametrize('stride, padding', [(1, 1), (2, 0), (2, 1), (3, 2)])
def test_kernel_state_with_stride_and_padding(digits, stride, padding):
    image = digits[0][2]
    kernel = viz.KERNELS['锐化']
    expected = lib.conv2d_loop(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    padded = np.pad(image, padding)
    for row, col in [(0, 0), (expected.shape[0] - 1, 1), (expected.shape[0] // 2, expected.shape[1] - 1)]:
        state = viz.kernel_state(image, kernel, row, col, stride, padding)
        top, left = state['top_left']
        assert (top, left) == (row * stride, col * stride)
        np.testing.assert_array_equal(state['window'], padded[top:top + 3, left:left + 3])
        assert state['total'] == pytest.approx(expected[row, col], abs=1e-5)


def test_kernel_figure_set_image(digits):
    images, labels = digits
    figure = viz.KernelFigure(images[0], '模糊', label=labels[0])
    figure.set_image(images[5], labels[5])
    state = figure.update(4, 6)
    assert state['total'] == pytest.approx(layer_output(images[5], viz.KERNELS['模糊'])[4, 6], abs=1e-5)
    np.testing.assert_array_equal(figure.input_img.get_array(), images[5])
    with pytest.raises(ValueError, match='形状'):
        figure.set_image(images[0][:20])


def test_kernel_state_rejects_positions_outside(digits):
    with pytest.raises(ValueError, match='位置'):
        viz.kernel_state(digits[0][0], '恒等', 26, 0)


def test_feature_maps_match_scipy(digits):
    images, _ = digits
    for image in images[:5]:
        maps = viz.feature_maps(image, list(viz.KERNELS))
        assert maps.shape == (len(viz.KERNELS), 26, 26)
        for fmap, kernel in zip(maps, viz.KERNELS.values(), strict=True):
            np.testing.assert_allclose(fmap, signal.correlate2d(image, kernel, mode='valid'), atol=1e-5)


def test_identity_kernel_crops_the_image(digits):
    image = digits[0][0]
    np.testing.assert_array_equal(viz.feature_maps(image, ['恒等'])[0], image[1:-1, 1:-1])


def test_text_color_contrast():
    fig, ax = plt.subplots()
    artist = ax.imshow(np.array([[-1.0, 0.0, 1.0]]), cmap='RdBu_r', vmin=-1, vmax=1)
    colors = style.text_color(artist, np.array([-1.0, 0.0, 0.9, 1.0]))
    assert list(colors) == ['white', 'black', 'white', 'white']
    gray = ax.imshow(np.zeros((1, 1)), cmap='gray', vmin=0, vmax=1)
    assert style.text_color(gray, 0.1) == 'white' and style.text_color(gray, 0.9) == 'black'


def contrast(rgb, text):
    """WCAG 对比度：(较亮的亮度 + 0.05) / (较暗的亮度 + 0.05)。"""
    rgb = np.asarray(rgb[:3])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    background = linear @ [0.2126, 0.7152, 0.0722]
    foreground = 0.0 if text == 'black' else 1.0
    return (max(background, foreground) + 0.05) / (min(background, foreground) + 0.05)


@pytest.mark.parametrize('name', list(viz.KERNELS))
def test_kernel_figure_text_readable(digits, name):
    """每格的字都选了对比度更高的颜色：深红、深蓝、深灰底上是白字（曾经出现过深红底黑字）。"""
    figure = viz.KernelFigure(digits[0][0], name)
    figure.update(13, 12)
    for texts, img in ((figure.window_texts, figure.window_img), (figure.kernel_texts, figure.kernel_img),
                       (figure.product_texts, figure.product_img)):
        values = img.get_array()
        for i in range(3):
            for j in range(3):
                face = img.cmap(img.norm(values[i, j]))
                chosen = texts[i][j].get_color()
                other = 'white' if chosen == 'black' else 'black'
                assert contrast(face, chosen) >= contrast(face, other), (name, i, j, values[i, j], chosen)


def test_sharpen_centre_is_white_on_dark_red(digits):
    figure = viz.KernelFigure(digits[0][0], '锐化')
    figure.update(13, 13)
    assert figure.kernel_texts[1][1].get_text() == '5.00'
    assert figure.kernel_texts[1][1].get_color() == 'white'
    assert figure.kernel_texts[0][0].get_color() == 'black'


def test_gallery_panels(digits):
    images, labels = digits
    fig = viz.feature_map_gallery(images[0], label=labels[0])
    n = len(viz.KERNELS)
    assert len(fig.axes) == 2 * (n + 1)
    maps = viz.feature_maps(images[0], list(viz.KERNELS))
    for i in range(n):
        np.testing.assert_allclose(fig.axes[n + 2 + i].images[0].get_array(), maps[i])
        assert fig.axes[n + 2 + i].get_title() == list(viz.KERNELS)[i]
    fig = viz.feature_map_gallery(images[1], kernels=['模糊', '拉普拉斯'])
    assert len(fig.axes) == 6


def test_gallery_explorer(digits):
    images, labels = digits
    g = viz.GalleryExplorer(images[:20], labels[:20])
    assert len(g.fig.axes) == 2 * (len(viz.KERNELS) + 1)
    g.digit.value = 4
    g.kernels.value = ('水平边缘', '竖直边缘')
    assert len(g.fig.axes) == 6
    for i, name in enumerate(g.kernels.value):
        shown = g.fig.axes[3 + 1 + i].images[0].get_array()
        np.testing.assert_allclose(shown, signal.correlate2d(images[4], viz.KERNELS[name], mode='valid'),
                                   atol=1e-5)
        np.testing.assert_allclose(g.maps[i], shown)
    assert g.fig.axes[3].get_title() == f'原图（数字 {labels[4]}）'


def test_sliding_animation_frames(digits):
    images, labels = digits
    anim = viz.sliding_animation(images[0], '竖直边缘', label=labels[0])
    assert len(anim.positions) == 7 * 7 + 1 and anim.positions[-1] == (25, 25)   # step=4：0, 4, …, 24
    assert anim.positions == viz.sliding_positions(26, 26, 4)
    assert anim._save_count == len(anim.positions)
    # 逐帧画：每一帧的标题就是 lib 算出的像素值
    fmap = viz.feature_maps(images[0], ['竖直边缘'])[0]
    anim._init_draw()
    for frame in (0, 10, len(anim.positions) - 1):
        anim._draw_frame(frame)
        row, col = anim.positions[frame]
        assert anim.figure.axes[4].get_title() == f'特征图 [{row}, {col}] = {fmap[row, col]:.3f}'


def test_sliding_animation_jshtml(digits):
    """嵌入在线书的 HTML 里恰好有每个位置一帧。"""
    crop = digits[0][0][8:18, 8:18]                      # 10×10 → 特征图 8×8
    anim = viz.sliding_animation(crop, '锐化', step=4)
    assert anim.positions == [(0, 0), (0, 4), (4, 0), (4, 4), (7, 7)]
    html = viz.animation_html(anim, alt='卷积核 <滑过> 数字')
    frames = re.findall(r'frames\[(\d+)\] = ', html)
    assert [int(f) for f in frames] == list(range(len(anim.positions)))
    assert '<img alt="卷积核 &lt;滑过&gt; 数字" id=' in html


def measure_redraw(repeats=20):
    """探索器一次更新的用时（毫秒），计算与渲染分开：

    * 计算：``kernel_state``（im2col 取窗口、乘积与和、lib.Convolution 算整张特征图）；
    * 更新图元：``KernelFigure.update``（含上面的计算，再改图元的数据与文字）；
    * 渲染：``canvas.draw()``，以及控件实际显示用的 PNG（``figure_png``）。
    """
    images, labels = lib.load_digits()
    figure = viz.KernelFigure(images[0], '竖直边缘', label=labels[0])
    canvas = figure.fig.canvas
    canvas.draw()
    names = list(viz.KERNELS)
    settings = [(i % 26, (7 * i) % 26, viz.KERNELS[names[i % len(names)]]) for i in range(repeats)]

    def timed(step):
        start = time.perf_counter()
        for row, col, kernel in settings:
            step(row, col, kernel)
        return (time.perf_counter() - start) / repeats * 1000

    compute = timed(lambda row, col, kernel: viz.kernel_state(figure.image, kernel, row, col))
    artists = timed(lambda row, col, kernel: figure.update(row, col, kernel))
    draw = timed(lambda row, col, kernel: canvas.draw())
    png = timed(lambda row, col, kernel: draw.figure_png(figure.fig))
    plt.close('all')
    return {'计算 kernel_state': compute, '更新图元 KernelFigure.update': artists,
            '渲染 canvas.draw': draw, '渲染 PNG（控件显示）': png}


if __name__ == '__main__':
    for name, ms in measure_redraw().items():
        print(f'{name}: {ms:.1f} ms')


def test_animation_html_is_self_contained():
    """动画 HTML 不引用任何外部网站（原本的 Font Awesome 来自 CDN），帧图片有替代文字。"""
    images, labels = lib.load_digits()
    html = viz.animation_html(viz.sliding_animation(images[0], '模糊', step=13), alt='测试动画')
    assert 'http://' not in html and 'https://' not in html
    assert 'class="fa' not in html
    assert 'alt="测试动画"' in html


def test_animation_html_shows_first_frame_without_script(digits):
    """第一帧直接写在 <img src> 里（JupyterLab 去掉不受信任输出的脚本时也有图，而不是 0×0）；
    播放器在脚本运行时立即创建，不再用 setTimeout(…, 0) 推迟（推迟时播放器可能已不在页面里）。"""
    crop = digits[0][0][8:18, 8:18]
    html = viz.animation_html(viz.sliding_animation(crop, '锐化', step=4), alt='测试')
    img = re.search(r'<img alt="测试" id="_anim_img(\w+)" src="(data:image/png;base64,[A-Za-z0-9+/=]+)">',
                    html)
    assert img, '帧图片的 <img> 没有 src（第一帧）'
    first = re.search(r'frames\[0\] = "([^"]*)"', html).group(1).replace('\\\n', '')
    assert img.group(2) == first
    assert 'setTimeout(function() {\n        anim' not in html, \
        'matplotlib 的模板变了：播放器仍用 setTimeout 推迟创建（见 lib/viz/draw.py 的 DEFERRED_START）'
    assert f'anim{img.group(1)} = new Animation(' in html and 'start(0);' in html
