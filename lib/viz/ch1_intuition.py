"""画图与交互控件（第 1 章 卷积的直觉）：数字、卷积核、特征图，以及“卷积核探索器”。

所有数值都来自 lib 本身：特征图由 ``lib.Convolution`` 算出，窗口里的乘积与和
由同一个 ``im2col`` 取出的窗口算出，所以控件显示的就是层的真实计算。

* ``kernel_state``：某个位置上的窗口、逐元素乘积、和，以及整张特征图。
* ``KernelFigure``：五联图（输入与窗口、窗口、卷积核、乘积、特征图），控件与动画共用。
* ``KernelExplorer``、``GalleryExplorer``：ipywidgets 控件（需要 Jupyter 内核）。
* ``feature_map_gallery``、``sliding_animation``：给在线书用的静态图与动画。

卷积核预设（``KERNELS``）与 ``feature_maps`` 来自 ``lib.viz.kernels``，画图的小工具来自
``lib.viz.draw``；为了章节里少写几行导入，这里一并可用。
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from ..convolution import im2col, output_size
from ..data import load_digits
from ..tensor import shape_error
from .draw import animation_html, display_figure, recolor_numbers, show_image, show_matrix
from .explorer import Explorer
from .kernels import KERNELS, as_kernel, feature_maps
from .style import DIVERGING, FEATURE_CMAP, HIGHLIGHT, symmetric_limit

__all__ = ['KERNELS', 'load_digits', 'feature_maps', 'show_image', 'animation_html', 'kernel_state',
           'feature_map_gallery', 'KernelFigure', 'sliding_positions', 'sliding_animation',
           'KernelExplorer', 'GalleryExplorer']


def kernel_state(image, kernel, row, col, stride=1, padding=0):
    """卷积核停在输出位置 (row, col) 时的全部数字。

    Returns
    -------
    dict：``window``（输入窗口）、``products``（逐元素乘积）、``total``（乘积之和），
    ``feature_map``（整张特征图）与 ``top_left``（窗口左上角在填充后输入里的坐标）。
    ``total`` 与 ``feature_map[row, col]`` 相等：前者来自 im2col 取出的窗口，后者来自卷积层。
    """
    kernel = as_kernel(kernel)
    k = kernel.shape[0]
    image = np.asarray(image, dtype=np.float32)
    out_h = output_size(image.shape[0], k, stride, padding)
    out_w = output_size(image.shape[1], k, stride, padding)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f'位置期望在 0 ≤ 行 < {out_h}、0 ≤ 列 < {out_w} 之内，实际得到 ({row}, {col})')
    cols = im2col(image[np.newaxis, np.newaxis], k, stride, padding)[0]   # (k·k, out_h·out_w)
    window = cols[:, row * out_w + col].reshape(k, k)
    products = window * kernel
    return {'window': window, 'products': products, 'total': float(products.sum()),
            'feature_map': feature_maps(image, [kernel], stride, padding)[0],
            'top_left': (row * stride, col * stride)}


# ---- 画图 ----


def feature_map_gallery(image, kernels=tuple(KERNELS), label=None):
    """一张数字图在多个卷积核下的特征图，并排展示（静态图，在线书可用）。

    上排是卷积核，下排是原图和对应的特征图（红正蓝负，每张图各自按最大绝对值着色）。
    """
    maps = feature_maps(image, kernels)
    fig, axes = plt.subplots(2, len(kernels) + 1, figsize=(1.9 * (len(kernels) + 1), 4.1),
                             gridspec_kw={'height_ratios': [1, 2.2]}, squeeze=False)
    axes[0, 0].axis('off')
    axes[0, 0].text(0.5, 0.5, '卷积核 →', ha='center', va='center', fontsize=10)
    show_image(axes[1, 0], image, '原图' if label is None else f'原图（数字 {label}）')
    for i, (name, fmap) in enumerate(zip(kernels, maps, strict=True), start=1):
        show_matrix(axes[0, i], as_kernel(name), fmt='{:.2g}', fontsize=7)
        limit = symmetric_limit(fmap)
        show_image(axes[1, i], fmap, name if isinstance(name, str) else f'卷积核 {i}',
                   cmap=DIVERGING, vmin=-limit, vmax=limit)
    fig.tight_layout()
    return fig


class KernelFigure:
    """“卷积核滑过数字”的五联图：原图与窗口、窗口数值、卷积核、逐元素乘积、特征图。

    ``update`` 只改变已有图元的数据，不重新建图，便于控件与动画快速重绘；
    ``set_image`` 换一张输入图。
    """

    def __init__(self, image, kernel, stride=1, padding=0, figsize=(13, 3), label=None, dpi=None):
        self.stride, self.padding = stride, padding
        self.kernel = as_kernel(kernel)
        self.k = self.kernel.shape[0]
        self.fig, axes = plt.subplots(1, 5, figsize=figsize, dpi=dpi,
                                      gridspec_kw={'width_ratios': [1.3, 1, 1, 1, 1.3]})
        self.axes = axes
        self.image = None
        image = np.asarray(image, dtype=np.float32)
        self.input_img = show_image(axes[0], np.pad(image, padding), '输入与窗口')
        self.rect = Rectangle((-0.5, -0.5), self.k, self.k, fill=False, edgecolor=HIGHLIGHT, linewidth=2)
        axes[0].add_patch(self.rect)
        blank = np.zeros((self.k, self.k))
        self.window_texts = show_matrix(axes[1], blank, '窗口 X', cmap='gray')
        self.kernel_texts = show_matrix(axes[2], blank, '卷积核 W')
        self.product_texts = show_matrix(axes[3], blank, '逐元素乘积 X·W')
        self.window_img, self.kernel_img, self.product_img = (ax.images[0] for ax in axes[1:4])
        out_h = output_size(image.shape[0], self.k, stride, padding)
        out_w = output_size(image.shape[1], self.k, stride, padding)
        self.map_img = show_image(axes[4], np.full((out_h, out_w), np.nan), '特征图', cmap=FEATURE_CMAP)
        self.marker = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=HIGHLIGHT, linewidth=2)
        axes[4].add_patch(self.marker)
        self.set_image(image, label)
        self.fig.tight_layout()

    def set_image(self, image, label=None):
        """换一张输入图（形状须与原来相同）；下一次 ``update`` 时重算数字。"""
        image = np.asarray(image, dtype=np.float32)
        if self.image is not None and image.shape != self.image.shape:
            raise shape_error('KernelFigure.set_image', f'形状 {self.image.shape} 的图', image.shape)
        self.image = image
        self.input_img.set_data(np.pad(image, self.padding))
        self.low, self.high = float(image.min()), max(float(image.max()), float(image.min()) + 1e-6)
        self.input_img.set_clim(self.low, self.high)
        self.axes[0].set_title('输入与窗口' if label is None else f'输入（数字 {label}）与窗口', fontsize=10)

    def update(self, row, col, kernel=None):
        """把窗口移到输出位置 (row, col)；可同时换卷积核。返回 kernel_state 的结果。"""
        if kernel is not None:
            self.kernel = as_kernel(kernel)
        state = kernel_state(self.image, self.kernel, row, col, self.stride, self.padding)
        top, left = state['top_left']
        self.rect.set_xy((left - 0.5, top - 0.5))
        # 窗口用与输入相同的灰度范围；卷积核与乘积用对称的红蓝色图（红正蓝负）
        panels = ((self.window_img, self.window_texts, state['window'], (self.low, self.high)),
                  (self.kernel_img, self.kernel_texts, self.kernel, None),
                  (self.product_img, self.product_texts, state['products'], None))
        for img, texts, values, clim in panels:
            if clim is None:
                limit = symmetric_limit(values)
                clim = (-limit, limit)
            img.set_clim(*clim)
            recolor_numbers(img, texts, values)
        self.axes[3].set_title(f'逐元素乘积，和 = {state["total"]:.3f}', fontsize=10)
        # 特征图只显示到当前位置（按行扫描），其余留空（灰色）
        fmap = state['feature_map']
        shown = np.full(fmap.shape, np.nan)
        filled = row * fmap.shape[1] + col + 1
        shown.flat[:filled] = fmap.flat[:filled]
        limit = symmetric_limit(fmap)
        self.map_img.set_data(shown)
        self.map_img.set_clim(-limit, limit)
        self.marker.set_xy((col - 0.5, row - 0.5))
        self.axes[4].set_title(f'特征图 [{row}, {col}] = {fmap[row, col]:.3f}', fontsize=10)
        return state


def sliding_positions(out_h, out_w, step=4):
    """动画里窗口依次停留的输出位置：按行扫描，每隔 ``step`` 个像素一站，最后停在右下角。"""
    positions = [(i, j) for i in range(0, out_h, step) for j in range(0, out_w, step)]
    if positions[-1] != (out_h - 1, out_w - 1):
        positions.append((out_h - 1, out_w - 1))
    return positions


def sliding_animation(image, kernel, step=4, interval=300, dpi=60, label=None):
    """卷积核按行扫过整张图的动画（matplotlib FuncAnimation）。

    在线书里用 ``animation_html(anim, alt)``（即 ``anim.to_jshtml()`` 加替代文字）嵌入：
    帧是图片，播放器是页面里自带的 JavaScript，不需要内核，也不访问任何外部网站。
    ``step`` 是相邻两帧之间窗口移动的像素数。
    返回的动画带有 ``positions`` 属性（每帧的输出位置）与 ``figure``（KernelFigure）。
    """
    # dpi 要在建图时给定：plt.close 会把事后 set_dpi 的图恢复成原来的 dpi
    figure = KernelFigure(image, kernel, figsize=(11, 2.5), label=label, dpi=dpi)
    positions = sliding_positions(*figure.map_img.get_array().shape, step=step)
    anim = FuncAnimation(figure.fig, lambda f: figure.update(*positions[f]), frames=len(positions),
                         interval=interval)
    anim.positions, anim.figure = positions, figure
    plt.close(figure.fig)
    return anim


class KernelExplorer(Explorer):
    """卷积核探索器（ipywidgets）：选数字、选或改卷积核、拖动窗口，看每一步的计算。

    需要在 Jupyter 里运行；在线书在同一位置显示页内探索器（``booktools/explorers/kernel.js``）。
    ``state`` 保存最近一次显示的数字（``kernel_state`` 的结果），测试直接读取它。
    所有控件都是公开属性：``digit``、``preset``、``weights``（9 个输入框）、``row``、``col``、``play``。
    """

    def __init__(self, images=None, labels=None, index=0, kernel='竖直边缘'):
        import ipywidgets as w

        super().__init__()
        if images is None:
            images, labels = load_digits()
        self.images = np.asarray(images, dtype=np.float32)
        self.labels = labels
        self.size = output_size(self.images.shape[1], 3)   # 3×3 卷积核、步幅 1、不填充
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.preset = w.Dropdown(options=list(KERNELS), value=kernel, description='预设')
        self.weights = [w.FloatText(value=0.0, step=0.1, layout=w.Layout(width='70px')) for _ in range(9)]
        middle = self.size // 2
        self.row = w.IntSlider(value=middle, min=0, max=self.size - 1, description='行 i')
        self.col = w.IntSlider(value=middle, min=0, max=self.size - 1, description='列 j')
        self.play = w.Play(value=middle * self.size + middle, min=0, max=self.size ** 2 - 1, step=1,
                           interval=300, description='播放')
        self._set_weights(KERNELS[kernel], redraw=False)
        self.figure = self.own(KernelFigure(self.images[index], self.kernel(), label=self._label()))

        self.watch(self.preset, handler=lambda change: self._set_weights(KERNELS[change['new']]))
        self.watch(self.digit, handler=self._on_digit)
        self.watch(*self.weights)
        self.watch(self.row, self.col, handler=self._on_position)
        self.watch(self.play, handler=self._on_play)

        grid = w.GridBox(self.weights, layout=w.Layout(grid_template_columns='repeat(3, 76px)'))
        controls = w.VBox([self.digit, self.preset, w.Label('卷积核权重（可编辑）'), grid])
        position = w.VBox([self.row, self.col, w.HBox([w.Label('按行扫描'), self.play])])
        self.widget = w.VBox([w.HBox([controls, position]), self.output])
        self.update()

    def kernel(self):
        """9 个输入框里的卷积核，形状 (3, 3)。"""
        return np.array([box.value for box in self.weights], dtype=np.float32).reshape(3, 3)

    def _label(self):
        return None if self.labels is None else int(self.labels[self.digit.value])

    def _set_weights(self, kernel, redraw=True):
        with self.silently():   # 一次改 9 个数，只重算一次
            for box, value in zip(self.weights, np.asarray(kernel).ravel(), strict=True):
                box.value = round(float(value), 4)
        if redraw:
            self.update()

    def _on_digit(self, change):
        self.figure.set_image(self.images[change['new']], self._label())
        self.update()

    def _on_position(self, change):
        if self._silent:
            return
        with self.silently():   # 让播放按钮从当前位置接着扫
            self.play.value = self.row.value * self.size + self.col.value
        self.update()

    def _on_play(self, change):
        if self._silent:
            return
        with self.silently():
            self.row.value, self.col.value = divmod(change['new'], self.size)
        self.update()

    def compute(self):
        return self.figure.update(self.row.value, self.col.value, self.kernel())


class GalleryExplorer(Explorer):
    """特征图画廊（ipywidgets）：选一个数字和几个卷积核，并排看它们的特征图。

    图由 ``feature_map_gallery`` 画出；``maps`` 保存最近一次的特征图（测试读取）。
    """

    def __init__(self, images=None, labels=None, index=0, kernels=tuple(KERNELS)):
        import ipywidgets as w

        super().__init__()
        if images is None:
            images, labels = load_digits()
        self.images, self.labels = np.asarray(images, dtype=np.float32), labels
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.kernels = w.SelectMultiple(options=list(KERNELS), value=tuple(kernels), rows=len(KERNELS),
                                        description='卷积核')
        self.fig = self.maps = None
        self.watch(self.digit, self.kernels)
        self.widget = w.VBox([w.HBox([self.digit, self.kernels]), self.output])
        self.update()

    def compute(self):
        names = list(self.kernels.value) or ['恒等']   # 一个都没选时显示原图
        image = self.images[self.digit.value]
        label = None if self.labels is None else int(self.labels[self.digit.value])
        if self.fig is not None:
            plt.close(self.fig)
        self.maps = feature_maps(image, names)
        self.fig = self.own(feature_map_gallery(image, names, label))
        return self.maps

    def show(self):
        display_figure(self.output, self.fig)
