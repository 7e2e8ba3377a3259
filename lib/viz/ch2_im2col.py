"""画图与交互控件（第 2 章 图转列）：图转列（im2col）。

图里的每个数字都来自 lib：窗口矩阵由 ``lib.im2col`` 算出，输出由 ``lib.Convolution`` 算出，
窗口直接从填充后的输入里切出来。三者在图中用同一种颜色框出，控件和测试核对它们一致。

* ``im2col_state``：输出位置 (i, j) 对应的窗口、列、输出像素，以及整个窗口矩阵与输出。
* ``Im2colFigure``：输入（含窗口）、卷积核、窗口矩阵（含那一列）、输出（含那个像素）四联图。
* ``Im2colExplorer``：ipywidgets 控件（需要 Jupyter 内核），可调位置、步幅与填充。
* ``im2col_animation``：给在线书用的 jshtml 动画；``windows_to_columns_figure``、
  ``offset_slices_figure``、``coverage_figure``：本章的几张静态图。
"""

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from ..convolution import Convolution, col2im, im2col, output_size, pad
from ..tensor import Tensor, shape_error
from .draw import agg_canvas, animation_html, draw_numbers, number_format, outline
from .explorer import Explorer
from .style import WINDOW_COLORS

__all__ = ['TINY_KERNEL', 'TINY_BIAS', 'tiny_input', 'tiny_layer', 'im2col_state', 'animation_html',
           'draw_numbers', 'Im2colFigure', 'Im2colExplorer', 'animation_frames', 'im2col_animation',
           'windows_to_columns_figure', 'offset_slices_figure', 'coverage_figure']


# 本章的小例子：4×4 输入（数值 0..15）、一个整数 3×3 卷积核、偏置 1，算出来的数都好认。
TINY_KERNEL = np.array([[1, 0, -1],
                        [2, 1, 0],
                        [0, -1, 1]], dtype=np.float32)
TINY_BIAS = 1.0


def tiny_input(size=4):
    """数值为 0, 1, …, size²-1 的 size×size 小图（float32）。"""
    return np.arange(size * size, dtype=np.float32).reshape(size, size)


def tiny_layer(kernel=TINY_KERNEL, bias=TINY_BIAS, stride=1, padding=0):
    """一个 1→1 通道的 ``lib.Convolution``，权重换成给定的 k×k 卷积核与偏置。"""
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise shape_error('tiny_layer', '正方形卷积核，例如形状 (3, 3)', kernel.shape)
    conv = Convolution(1, 1, kernel.shape[0], stride=stride, padding=padding)
    conv.weight.data = kernel[np.newaxis, np.newaxis].copy()
    conv.bias.data = np.array([bias], dtype=np.float32)
    return conv


def im2col_state(image, kernel=TINY_KERNEL, bias=TINY_BIAS, row=0, col=0, stride=1, padding=0):
    """输出位置 (row, col) 上的全部数字。

    Parameters
    ----------
    image : ndarray，形状 (H, W)
    kernel : ndarray，形状 (k, k)

    Returns
    -------
    dict：
    ``padded``（填充后的输入 (H+2p, W+2p)）、``top_left``（窗口左上角在其中的坐标）、
    ``window``（直接从 ``padded`` 切出的 k×k 窗口）、``cols``（``lib.im2col`` 的窗口矩阵
    (k·k, out_h·out_w)）、``index``（列号 p = row·out_w + col）、``column``（第 p 列）、
    ``value``（W 展平 · 第 p 列 + b）、``output``（``lib.Convolution`` 算出的整张输出）。
    ``window.ravel()``、``column`` 相等，``value`` 与 ``output[row, col]`` 相等。
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise shape_error('im2col_state', '单张灰度图，形状 (H, W)', image.shape)
    kernel = np.asarray(kernel, dtype=np.float32)
    k = kernel.shape[0]
    out_h = output_size(image.shape[0], k, stride, padding)
    out_w = output_size(image.shape[1], k, stride, padding)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f'位置期望在 0 ≤ 行 < {out_h}、0 ≤ 列 < {out_w} 之内，实际得到 ({row}, {col})')
    x = image[np.newaxis, np.newaxis]
    padded = pad(x, padding)[0, 0]
    top, left = row * stride, col * stride
    cols = im2col(x, k, stride, padding)[0]              # (k·k, out_h·out_w)
    index = row * out_w + col
    column = cols[:, index]
    products = kernel.ravel() * column
    output = tiny_layer(kernel, bias, stride, padding)(Tensor(x)).data[0, 0]
    return {'padded': padded, 'top_left': (top, left), 'window': padded[top:top + k, left:left + k],
            'cols': cols, 'index': index, 'column': column, 'products': products,
            'value': float(products.sum() + bias), 'output': output, 'bias': float(bias)}


# ---- 画图 ----


def wrap(value):
    """负数加括号，用在乘式里：(-1)·7。"""
    return f'({number_format(value)})' if value < 0 else number_format(value)


def shade_padding(ax, shape, padding):
    """把补出来的零格盖上一层灰，并用虚线框出原图。"""
    if padding == 0:
        return
    rows, cols = shape
    mask = np.zeros(shape)
    mask[:padding], mask[-padding:], mask[:, :padding], mask[:, -padding:] = 1, 1, 1, 1
    ax.imshow(np.ma.masked_equal(mask, 0), cmap='Greys', vmin=0, vmax=2.5, alpha=0.45)
    outline(ax, padding, padding, rows - 2 * padding, cols - 2 * padding, color='0.3', linewidth=1.2,
            linestyle='--')


def row_labels(k, channels=1):
    """窗口矩阵各行对应的 (通道, m, n)；单通道时只写 (m, n)。"""
    if channels == 1:
        return [f'({m},{n})' for m in range(k) for n in range(k)]
    return [f'({c},{m},{n})' for c in range(channels) for m in range(k) for n in range(k)]


class Im2colFigure:
    """四联图：填充后的输入与窗口、卷积核、窗口矩阵与那一列、输出与那个像素。

    ``set_config`` 换步幅或填充（窗口矩阵的形状随之改变，所以重新建图）；
    ``update`` 只移动高亮框、改写说明文字，便于控件与动画快速重绘。
    """

    def __init__(self, image=None, kernel=TINY_KERNEL, bias=TINY_BIAS, stride=1, padding=0,
                 figsize=(12, 5.6), dpi=None):
        self.image = tiny_input() if image is None else np.asarray(image, dtype=np.float32)
        self.kernel = np.asarray(kernel, dtype=np.float32)
        self.k = self.kernel.shape[0]
        self.bias = float(bias)
        self.fig = plt.figure(figsize=figsize, dpi=dpi)
        self.stride = self.padding = None
        self.state = None
        self.set_config(stride, padding)

    def out_shape(self):
        return (output_size(self.image.shape[0], self.k, self.stride, self.padding),
                output_size(self.image.shape[1], self.k, self.stride, self.padding))

    def set_config(self, stride, padding):
        """换步幅与填充，重新画出整张图（位置回到 (0, 0)）。"""
        if (stride, padding) == (self.stride, self.padding):
            return
        self.stride, self.padding = stride, padding
        out_h, out_w = self.out_shape()
        state = im2col_state(self.image, self.kernel, self.bias, 0, 0, stride, padding)
        padded, cols, output = state['padded'], state['cols'], state['output']
        k, n_cols = self.k, cols.shape[1]

        self.fig.clf()
        width, height = self.fig.get_size_inches()
        # 上排：输入、卷积核、输出；下排：整行宽的窗口矩阵
        widths = [max(padded.shape[1], 4), 0.75 * k, max(out_w, 4) + 1]
        grid = self.fig.add_gridspec(2, 3, width_ratios=widths, height_ratios=[1, 1.15], left=0.08,
                                     right=0.98, top=0.9, bottom=0.11, hspace=0.3, wspace=0.3)
        ax_in, ax_k, ax_out = (self.fig.add_subplot(grid[0, i]) for i in range(3))
        ax_cols = self.fig.add_subplot(grid[1, :])
        self.axes = (ax_in, ax_k, ax_cols, ax_out)
        # 格子越小，字越小
        cell = min(width * 0.88 / (n_cols + 1), height * 0.38 / (k * k))
        fontsize = float(np.clip(cell * 38, 6, 10))
        top_cell = min(width * 0.9 / (padded.shape[1] + out_w + k + 6), height * 0.36 / padded.shape[0])
        top_fontsize = float(np.clip(top_cell * 32, 6, 11))

        low, high = min(0.0, float(self.image.min())), float(self.image.max())
        self.input_img, _ = draw_numbers(ax_in, padded, f'输入 x（填充 {padding} 圈）', vmin=low, vmax=high,
                                         fontsize=top_fontsize)
        shade_padding(ax_in, padded.shape, padding)
        self.window_rect = outline(ax_in, 0, 0, k, k)

        limit = float(np.abs(self.kernel).max())
        self.kernel_img, _ = draw_numbers(ax_k, self.kernel, f'卷积核 W，偏置 b = {number_format(self.bias)}',
                                          cmap='RdBu_r', vmin=-limit, vmax=limit, fontsize=11)

        self.cols_img, _ = draw_numbers(ax_cols, cols, f'窗口矩阵 cols = im2col(x)：{k * k} 行 × {n_cols} 列'
                                        f'（每列一个窗口）', vmin=low, vmax=high, fontsize=fontsize)
        ax_cols.set_yticks(range(k * k), row_labels(k), fontsize=9)
        ax_cols.set_xticks(range(n_cols), [str(p) for p in range(n_cols)], fontsize=min(fontsize, 9))
        ax_cols.tick_params(length=0)
        ax_cols.set_ylabel('偏移 (m, n)', fontsize=9)
        self.column_rect = outline(ax_cols, 0, 0, k * k, 1)

        limit = max(float(np.abs(output).max()), 1e-6)
        self.output_img, _ = draw_numbers(ax_out, output, f'输出 Y：{out_h} × {out_w}（lib.Convolution）',
                                          cmap='RdBu_r', vmin=-limit, vmax=limit, fontsize=top_fontsize)
        self.output_marker = outline(ax_out, 0, 0, 1, 1)
        self.formula = self.fig.text(0.5, 0.025, '', ha='center', va='center', fontsize=11)
        self.fig.suptitle(f'步幅 stride = {stride}，填充 padding = {padding}', fontsize=12)
        self.state = None
        self._background = None     # 静态部分的像素缓存，见 render()

    def update(self, row, col, stride=None, padding=None):
        """高亮输出位置 (row, col) 的窗口、列与输出像素；返回 ``im2col_state`` 的结果。"""
        self.set_config(self.stride if stride is None else stride,
                        self.padding if padding is None else padding)
        state = im2col_state(self.image, self.kernel, self.bias, row, col, self.stride, self.padding)
        top, left = state['top_left']
        p = state['index']
        self.window_rect.set_xy((left - 0.5, top - 0.5))
        self.column_rect.set_xy((p - 0.5, -0.5))
        self.output_marker.set_xy((col - 0.5, row - 0.5))
        self.axes[0].set_xlabel(f'窗口左上角 ({top}, {left}) = ({row}·{self.stride}, {col}·{self.stride})',
                                fontsize=9)
        self.axes[2].set_xlabel(f'第 p = {row}·{self.out_shape()[1]} + {col} = {p} 列', fontsize=9)
        self.axes[3].set_xlabel(f'Y[{row}, {col}] = {number_format(state["output"][row, col])}', fontsize=9)
        pairs = zip(self.kernel.ravel(), state['column'], strict=True)
        dot = ' + '.join(f'{wrap(w)}·{wrap(v)}' for w, v in pairs if w != 0)   # 权重为 0 的项略去
        self.formula.set_text(f'Y[{row}, {col}] = W展平 · cols[:, {p}] + b = {dot} + '
                              f'{number_format(self.bias)} = {number_format(state["value"])}')
        self.state = state
        return state

    def moving_artists(self):
        """随位置变化的图元：三个高亮框与几行说明文字。"""
        ax_in, _, ax_cols, ax_out = self.axes
        return [self.window_rect, self.column_rect, self.output_marker, self.formula,
                ax_in.xaxis.label, ax_cols.xaxis.label, ax_out.xaxis.label]

    def render(self):
        """把当前画面渲染成 RGBA 数组 (高, 宽, 4)。

        几百个数字每种步幅/填充只画一次并缓存像素；之后只在缓存上重画会动的
        高亮框与说明文字（blitting），拖动滑块时快得多。
        """
        canvas = agg_canvas(self.fig)   # plt.close 之后，给图配一块 Agg 画布
        moving = self.moving_artists()
        if self._background is None:
            for artist in moving:
                artist.set_visible(False)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            for artist in moving:
                artist.set_visible(True)
        else:
            canvas.restore_region(self._background)
        for artist in moving:
            self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba()).copy()

    def render_png(self):
        """``render()`` 的结果编码成 PNG 字节（给 ipywidgets.Image）。"""
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(self.render()[..., :3]).save(buffer, format='png', compress_level=1)  # 快速压缩即可
        return buffer.getvalue()

    def highlighted(self):
        """从图上读回三处高亮的数字（测试用）：窗口、列、输出像素。"""
        x0, y0 = self.window_rect.get_xy()
        top, left = int(round(y0 + 0.5)), int(round(x0 + 0.5))
        h, w = int(self.window_rect.get_height()), int(self.window_rect.get_width())
        window = np.asarray(self.input_img.get_array())[top:top + h, left:left + w]
        p = int(round(self.column_rect.get_x() + 0.5))
        column = np.asarray(self.cols_img.get_array())[:, p]
        mx, my = self.output_marker.get_xy()
        row, col = int(round(my + 0.5)), int(round(mx + 0.5))
        pixel = float(np.asarray(self.output_img.get_array())[row, col])
        return {'window': window, 'column': column, 'index': p, 'position': (row, col), 'pixel': pixel}


class Im2colExplorer(Explorer):
    """三者联动的控件（ipywidgets）：选输出位置 (i, j)、步幅与填充，
    同时高亮输入里的窗口、窗口矩阵里的那一列和输出里的那个像素。

    需要在 Jupyter 里运行；在线书在同一位置显示同样数据的页内探索器（``booktools/explorers/im2col.js``）。
    ``state`` 保存最近一次显示的数字，测试直接读取它。
    """

    def __init__(self, image=None, kernel=TINY_KERNEL, bias=TINY_BIAS, stride=1, padding=0,
                 max_stride=3, max_padding=2, draw=True, dpi=80):
        import ipywidgets as w

        super().__init__()
        self.figure = self.own(Im2colFigure(image, kernel, bias, stride, padding, dpi=dpi))
        out_h, out_w = self.figure.out_shape()
        self.row = w.IntSlider(value=0, min=0, max=out_h - 1, description='输出行 i')
        self.col = w.IntSlider(value=0, min=0, max=out_w - 1, description='输出列 j')
        self.stride = w.IntSlider(value=stride, min=1, max=max_stride, description='步幅')
        self.padding = w.IntSlider(value=padding, min=0, max=max_padding, description='填充')
        self.image = w.Image(format='png')    # 画面直接换 PNG 字节，比 Output 里重新显示更快
        self.draw = draw
        self.watch(self.row, self.col)
        self.watch(self.stride, self.padding, handler=self._on_config)
        self.widget = w.VBox([w.HBox([w.VBox([self.row, self.col]), w.VBox([self.stride, self.padding])]),
                              self.image])
        self.update()

    def _on_config(self, change):
        with self.silently():     # 先改好滑块范围，再只重绘一次
            self.figure.set_config(self.stride.value, self.padding.value)
            out_h, out_w = self.figure.out_shape()
            self.row.value, self.col.value = min(self.row.value, out_h - 1), min(self.col.value, out_w - 1)
            self.row.max, self.col.max = out_h - 1, out_w - 1
        self.update()

    def compute(self):
        return self.figure.update(self.row.value, self.col.value, self.stride.value, self.padding.value)

    def update(self, draw=None):
        """按当前滑块重新计算并重绘，返回 state（``draw`` 默认取建控件时的设置）。"""
        return super().update(self.draw if draw is None else draw)

    def show(self):
        self.image.value = self.figure.render_png()


def animation_frames(image_shape=(4, 4), k=3, settings=((1, 0), (1, 1), (2, 1))):
    """动画的帧：每组 (步幅, 填充) 下按行扫过所有输出位置，列表元素为 (stride, padding, i, j)。"""
    frames = []
    for stride, padding in settings:
        out_h = output_size(image_shape[0], k, stride, padding)
        out_w = output_size(image_shape[1], k, stride, padding)
        frames += [(stride, padding, i, j) for i in range(out_h) for j in range(out_w)]
    return frames


def im2col_animation(image=None, kernel=TINY_KERNEL, bias=TINY_BIAS, settings=((1, 0), (1, 1), (2, 1)),
                     interval=700, dpi=60):
    """小例子的 jshtml 动画：依次在几组 (步幅, 填充) 下扫过每个输出位置。

    用 ``IPython.display.HTML(viz.animation_html(anim, alt))`` 嵌入在线书：帧是图片，播放器是页面自带的
    JavaScript，不需要内核。``anim.frame_list`` 是各帧的 (stride, padding, i, j)。
    """
    figure = Im2colFigure(image, kernel, bias, *settings[0], dpi=dpi)  # 建图时给定 dpi：plt.close 会还原它
    frames = animation_frames(figure.image.shape, figure.k, settings)
    anim = FuncAnimation(figure.fig, lambda f: figure.update(frames[f][2], frames[f][3], *frames[f][:2]),
                         frames=len(frames), interval=interval)
    anim.frame_list = frames
    plt.close(figure.fig)
    return anim


def windows_to_columns_figure(image=None, k=3, stride=1, padding=0):
    """每个窗口一种颜色：左边几张小图各框出一个窗口，右边窗口矩阵里同色框出它变成的那一列。"""
    image = tiny_input() if image is None else np.asarray(image, dtype=np.float32)
    x = image[np.newaxis, np.newaxis]
    padded = pad(x, padding)[0, 0]
    cols = im2col(x, k, stride, padding)[0]
    out_w = output_size(image.shape[1], k, stride, padding)
    n = cols.shape[1]
    low, high = min(0.0, float(image.min())), float(image.max())
    fig, axes = plt.subplots(1, n + 1, figsize=(2.2 * n + 0.45 * n + 1.5, 3.6), layout='constrained',
                             gridspec_kw={'width_ratios': [padded.shape[1]] * n + [n + 2]})
    for p, ax in enumerate(axes[:-1]):
        i, j = divmod(p, out_w)
        draw_numbers(ax, padded, f'窗口 ({i}, {j}) → 第 {p} 列', vmin=low, vmax=high, fontsize=8)
        shade_padding(ax, padded.shape, padding)
        outline(ax, i * stride, j * stride, k, k, color=WINDOW_COLORS[p % len(WINDOW_COLORS)], linewidth=3)
    ax = axes[-1]
    draw_numbers(ax, cols, f'窗口矩阵：{k * k} × {n}', vmin=low, vmax=high, fontsize=8)
    ax.set_yticks(range(k * k), row_labels(k), fontsize=8)
    ax.set_xticks(range(n), [str(p) for p in range(n)], fontsize=8)
    ax.set_xlabel('列号 p = i·out_w + j', fontsize=9)
    ax.tick_params(length=0)
    for p in range(n):
        outline(ax, 0, p, k * k, 1, color=WINDOW_COLORS[p % len(WINDOW_COLORS)], linewidth=3)
    return fig


def offset_slices_figure(image=None, k=3, stride=2, padding=1):
    """k×k 张小图：偏移 (m, n) 在所有窗口里取到的像素，恰好是填充输入的一个步幅切片。"""
    image = tiny_input() if image is None else np.asarray(image, dtype=np.float32)
    x = image[np.newaxis, np.newaxis]
    padded = pad(x, padding)[0, 0]
    out_h = output_size(image.shape[0], k, stride, padding)
    out_w = output_size(image.shape[1], k, stride, padding)
    cols = im2col(x, k, stride, padding)[0]
    low, high = min(0.0, float(image.min())), float(image.max())
    fig, axes = plt.subplots(k, k, figsize=(2.3 * k, 2.5 * k), layout='constrained')
    for m in range(k):
        for n in range(k):
            ax = axes[m, n]
            draw_numbers(ax, padded, vmin=low, vmax=high, fontsize=7)
            shade_padding(ax, padded.shape, padding)
            picked = padded[m:m + stride * out_h:stride, n:n + stride * out_w:stride]
            for a in range(out_h):
                for b in range(out_w):
                    outline(ax, m + a * stride, n + b * stride, 1, 1, linewidth=2)
            row = cols[m * k + n]
            assert np.array_equal(picked.ravel(), row)  # 这个切片正是窗口矩阵的第 m·k+n 行
            rows_slice = f'{m}:{m + stride * out_h}:{stride}'
            cols_slice = f'{n}:{n + stride * out_w}:{stride}'
            ax.set_title(f'偏移 ({m},{n}) → 第 {m * k + n} 行\n[{rows_slice}, {cols_slice}]', fontsize=8)
    return fig


def coverage_figure(shape=(4, 4), k=3, settings=((1, 0), (1, 1), (2, 1))):
    """col2im(全 1 的窗口矩阵)：每个像素被多少个窗口覆盖（反向传播时它收到几份梯度）。"""
    fig, axes = plt.subplots(1, len(settings), figsize=(3.2 * len(settings), 3.5), layout='constrained')
    counts = []
    for ax, (stride, padding) in zip(np.atleast_1d(axes), settings, strict=True):
        out_h, out_w = output_size(shape[0], k, stride, padding), output_size(shape[1], k, stride, padding)
        ones = np.ones((1, k * k, out_h * out_w))
        count = col2im(ones, (1, 1, *shape), k, stride, padding)[0, 0]
        counts.append(count)
        draw_numbers(ax, count, f'步幅 {stride}，填充 {padding}（{out_h * out_w} 个窗口）', cmap='Oranges',
                     vmin=0, vmax=max(float(count.max()), 1), fontsize=10)
    fig.counts = counts
    return fig
