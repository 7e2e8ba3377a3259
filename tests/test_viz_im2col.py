"""第 2 章的图与控件：高亮的窗口、列与输出像素，必须就是 lib 算出的数。

不开浏览器：直接拨动控件的滑块（触发与 Jupyter 里相同的回调），再从图上读回
三处高亮的数字，与独立调用 lib.im2col、lib.Convolution、lib.conv2d_loop 的结果比较。
"""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

import lib
from lib.viz import ch2_im2col as vi

SETTINGS = [(1, 0), (1, 1), (2, 0), (2, 1), (1, 2), (3, 2), (2, 2)]


def reference(image, kernel, bias, stride, padding):
    """不经过 viz_im2col，直接由 lib 算出窗口矩阵、补零输入、卷积层输出与循环版输出。"""
    k = kernel.shape[0]
    x = image[np.newaxis, np.newaxis]
    cols = lib.im2col(x, k, stride, padding)[0]
    conv = lib.Convolution(1, 1, k, stride=stride, padding=padding)
    conv.weight.data = kernel[np.newaxis, np.newaxis].astype(np.float32)
    conv.bias.data = np.array([bias], dtype=np.float32)
    out = conv(lib.Tensor(x)).data[0, 0]
    loop = lib.conv2d_loop(x, kernel[np.newaxis, np.newaxis], np.array([bias]), stride, padding)[0, 0]
    padded = np.pad(image, padding)
    return cols, padded, out, loop


def check_highlight(figure, image, kernel, bias, stride, padding, row, col):
    k = kernel.shape[0]
    cols, padded, out, loop = reference(image, kernel, bias, stride, padding)
    out_w = out.shape[1]
    shown = figure.highlighted()
    p = row * out_w + col
    assert shown['position'] == (row, col)
    assert shown['index'] == p
    window = padded[row * stride:row * stride + k, col * stride:col * stride + k]
    np.testing.assert_array_equal(shown['window'], window)          # 输入里框出的窗口
    np.testing.assert_array_equal(shown['column'], cols[:, p])      # 窗口矩阵里框出的列
    np.testing.assert_array_equal(shown['window'].ravel(), shown['column'])
    assert shown['pixel'] == pytest.approx(float(out[row, col]), abs=1e-5)   # 输出里框出的像素
    assert shown['pixel'] == pytest.approx(float(loop[row, col]), abs=1e-5)
    state = figure.state
    assert state['value'] == pytest.approx(float(kernel.ravel() @ cols[:, p] + bias), abs=1e-5)
    assert state['value'] == pytest.approx(float(out[row, col]), abs=1e-4)
    # 说明文字里写的结果就是这个像素
    assert figure.formula.get_text().endswith(f'= {vi.number_format(state["value"])}')


@pytest.fixture
def explorer():
    ex = vi.Im2colExplorer()
    yield ex
    plt.close(ex.figure.fig)


def test_explorer_highlights_agree_with_lib():
    # 逐个位置拨动滑块（与 Jupyter 里相同的回调）；draw=False 只省去编码 PNG，渲染另有测试
    explorer = vi.Im2colExplorer(draw=False)
    image, kernel, bias = vi.tiny_input(), vi.TINY_KERNEL, vi.TINY_BIAS
    checked = 0
    for stride, padding in SETTINGS:
        explorer.stride.value = stride
        explorer.padding.value = padding
        out_h = lib.output_size(4, 3, stride, padding)
        out_w = lib.output_size(4, 3, stride, padding)
        assert (explorer.row.max, explorer.col.max) == (out_h - 1, out_w - 1)
        assert explorer.figure.cols_img.get_array().shape == (9, out_h * out_w)
        for row in range(out_h):
            for col in range(out_w):
                explorer.row.value = row
                explorer.col.value = col
                assert explorer.state is explorer.figure.state
                check_highlight(explorer.figure, image, kernel, bias, stride, padding, row, col)
                checked += 1
    assert checked > 50
    plt.close(explorer.figure.fig)


def full_redraw(figure):
    figure.fig.canvas.draw()
    return np.asarray(figure.fig.canvas.buffer_rgba()).copy()


def test_widget_image_is_the_figure_and_blitting_matches_a_full_redraw(explorer):
    assert explorer.image.value[:8] == b'\x89PNG\r\n\x1a\n'
    for stride, padding, positions in [(1, 1, [(0, 0), (3, 3), (1, 2)]), (2, 2, [(2, 0), (0, 2)])]:
        explorer.stride.value, explorer.padding.value = stride, padding
        for row, col in positions:
            explorer.row.value, explorer.col.value = row, col
        blit = explorer.figure.render()          # 缓存的背景 + 重画的高亮框
        full = full_redraw(explorer.figure)      # 从头画一遍
        assert blit.shape == full.shape == (448, 960, 4)    # 12×5.6 英寸，dpi 80
        # 只允许抗锯齿边缘的零星差别；残留一个旧高亮框会差约 1%
        assert np.any(blit != full, axis=-1).mean() < 3e-3


def test_a_stale_highlight_would_be_caught():
    figure = vi.Im2colFigure(dpi=80)
    figure.update(0, 0)
    figure.render()
    figure.update(1, 1)
    canvas = figure.fig.canvas
    for artist in figure.moving_artists():    # 故意不恢复背景：旧框留在画面上
        figure.fig.draw_artist(artist)
    stale = np.asarray(canvas.buffer_rgba()).copy()
    assert np.any(stale != full_redraw(figure), axis=-1).mean() > 3e-3
    plt.close(figure.fig)


def test_sliders_clamp_when_output_shrinks(explorer):
    explorer.padding.value = 2              # 6×6 个输出位置
    explorer.row.value, explorer.col.value = 5, 4
    explorer.stride.value = 3               # 只剩 2×2
    assert (explorer.row.value, explorer.col.value) == (1, 1)
    check_highlight(explorer.figure, vi.tiny_input(), vi.TINY_KERNEL, vi.TINY_BIAS, 3, 2, 1, 1)


def test_other_images_and_kernels(rng):
    image = rng.integers(-5, 6, size=(6, 7)).astype(np.float32)
    kernel = rng.integers(-2, 3, size=(2, 2)).astype(np.float32)
    ex = vi.Im2colExplorer(image, kernel, 0.5, draw=False)
    try:
        for stride, padding in [(1, 0), (2, 1), (3, 1)]:
            ex.stride.value, ex.padding.value = stride, padding
            ex.row.value, ex.col.value = ex.row.max, ex.col.max
            check_highlight(ex.figure, image, kernel, 0.5, stride, padding, ex.row.max, ex.col.max)
    finally:
        plt.close(ex.figure.fig)


def test_a_misplaced_highlight_is_caught():
    """检查本身能失败：把列的高亮框挪一格，比较就不再成立。"""
    figure = vi.Im2colFigure(stride=1, padding=1)
    figure.update(1, 2)
    figure.column_rect.set_x(figure.column_rect.get_x() + 1)
    with pytest.raises(AssertionError):
        check_highlight(figure, vi.tiny_input(), vi.TINY_KERNEL, vi.TINY_BIAS, 1, 1, 1, 2)
    plt.close(figure.fig)


def test_state_rejects_positions_outside_the_output(raises_chinese):
    with raises_chinese(ValueError, '(2, 0)'):
        vi.im2col_state(vi.tiny_input(), row=2, col=0)


def test_animation_frames():
    frames = vi.animation_frames()                 # 本章动画的默认设置
    assert len(frames) == 4 + 16 + 4 <= 40
    assert frames[0] == (1, 0, 0, 0) and frames[4] == (1, 1, 0, 0) and frames[-1] == (2, 1, 1, 1)
    settings = ((1, 0), (2, 1))                    # 渲染一个短一些的版本，省时间
    frames = vi.animation_frames((4, 4), 3, settings)
    anim = vi.im2col_animation(settings=settings, dpi=60)
    assert anim.frame_list == frames
    html = anim.to_jshtml()
    assert len(re.findall(r'frames\[\d+\] = "data:image/png', html)) == len(frames)
    # 帧按 dpi 60 保存（12 英寸宽 → 720 像素），嵌入的页面不超过 3 MB
    assert _first_frame_width(html) == 720
    assert len(html) < 3e6


def _first_frame_width(html):
    import base64
    import struct

    start = html.index('data:image/png;base64,') + len('data:image/png;base64,')
    head = base64.b64decode(html[start:start + 44])   # PNG 头：IHDR 里的宽度在第 16–19 字节
    return struct.unpack('>I', head[16:20])[0]


def test_static_figures():
    fig = vi.coverage_figure((4, 4), 3, ((1, 0), (2, 1)))
    np.testing.assert_array_equal(fig.counts[0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    ones = np.ones((1, 9, 4))
    np.testing.assert_array_equal(fig.counts[1], lib.col2im(ones, (1, 1, 4, 4), 3, 2, 1)[0, 0])
    assert fig.counts[0].sum() == 4 * 9           # 4 个窗口，每个 9 个像素
    plt.close(fig)
    for make in (vi.windows_to_columns_figure, vi.offset_slices_figure):
        plt.close(make())
