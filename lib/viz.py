"""画图与交互控件（第 1 章）：数字、卷积核、特征图，以及“卷积核探索器”。

所有数值都来自 lib 本身：特征图由 ``lib.Convolution`` 算出，窗口里的乘积与和
由同一个 ``im2col`` 取出的窗口算出，所以控件显示的就是层的真实计算。

* ``KERNELS``：常用 3×3 卷积核预设。
* ``kernel_state``：某个位置上的窗口、逐元素乘积、和，以及整张特征图。
* ``KernelFigure``：五联图（输入与窗口、窗口、卷积核、乘积、特征图），控件与动画共用。
* ``KernelExplorer``、``GalleryExplorer``：ipywidgets 控件（需要 Jupyter 内核）。
* ``feature_map_gallery``、``sliding_animation``、``animation_html``：给在线书用的静态图与动画。
"""

import io
import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle

from .convolution import Convolution, im2col, output_size
from .data import TINYMNIST_PATH, MNISTDataset
from .tensor import Tensor, shape_error

# ---- 中文字体 ----

CJK_FONTS = ('Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei',
             'SimHei', 'Microsoft YaHei', 'PingFang SC', 'Heiti SC')


def setup_fonts():
    """让 matplotlib 用已安装的中文字体显示汉字，返回所用字体名。

    只把真正装了的字体放进列表（列出未安装的字体会让 matplotlib 打印警告）；
    DejaVu Sans 排在前面负责西文与数字，其余字形逐字回退到中文字体。
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in installed), None)
    if found is None:
        raise RuntimeError('没有找到中文字体，图中的汉字会显示成方框。请安装一种，例如 Debian/Ubuntu：'
                           'sudo apt-get install fonts-wqy-microhei（或 fonts-noto-cjk），'
                           '然后删除 matplotlib 的字体缓存（~/.cache/matplotlib）再试。')
    matplotlib.rcParams['font.family'] = ['DejaVu Sans', found]
    matplotlib.rcParams['axes.unicode_minus'] = False
    return found


FONT = setup_fonts()

# ---- 卷积核预设 ----

KERNELS = {
    '恒等': [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    '模糊': [[1 / 9] * 3] * 3,
    '锐化': [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    '水平边缘': [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    '竖直边缘': [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    '拉普拉斯': [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}
KERNELS = {name: np.array(k, dtype=np.float32) for name, k in KERNELS.items()}
KERNEL_ENGLISH = {'恒等': 'identity', '模糊': 'blur', '锐化': 'sharpen', '水平边缘': 'horizontal edge',
                  '竖直边缘': 'vertical edge', '拉普拉斯': 'Laplacian'}


def load_digits(filename=TINYMNIST_PATH):
    """tinymnist 的测试图像 (1000, 28, 28)，取值 [0, 1]，以及整数标签 (1000,)。"""
    dataset = MNISTDataset(filename, shuffle=False)
    dataset.eval()
    return dataset.features[:, 0], dataset.digits()


def as_kernel(kernel):
    """把预设名或 3×3 数组变成 float32 数组。"""
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(f'未知的卷积核预设 {kernel!r}，可选：{list(KERNELS)}')
        return KERNELS[kernel]
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise shape_error('卷积核', '正方形二维数组，例如形状 (3, 3)', kernel.shape)
    return kernel


def feature_maps(image, kernels, stride=1, padding=0):
    """用 ``lib.Convolution`` 把若干卷积核作用在一张图上。

    Parameters
    ----------
    image : ndarray，形状 (H, W)
    kernels : list，每个是预设名或 k×k 数组（大小相同）

    Returns
    -------
    ndarray，形状 (len(kernels), out_h, out_w)
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise shape_error('feature_maps', '单张灰度图，形状 (H, W)', image.shape)
    weights = np.stack([as_kernel(k) for k in kernels])        # (F, k, k)
    conv = Convolution(1, len(weights), weights.shape[-1], stride=stride, padding=padding)
    conv.weight.data = weights[:, np.newaxis]                  # (F, 1, k, k)：换成我们的卷积核
    return conv(Tensor(image[np.newaxis, np.newaxis])).data[0]


def kernel_state(image, kernel, row, col, stride=1, padding=0):
    """卷积核停在输出位置 (row, col) 时的全部数字。

    Returns
    -------
    dict：``window``（输入窗口）、``products``（逐元素乘积）、``total``（乘积之和），
    ``feature_map``（整张特征图）与 ``top_left``（窗口左上角在补零后输入里的坐标）。
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

def show_image(ax, image, title=None, cmap='gray', **kwargs):
    """在 ax 上画一张灰度图，不带坐标轴。"""
    artist = ax.imshow(image, cmap=cmap, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return artist


def show_matrix(ax, matrix, title=None, fmt='{:.2f}', cmap='RdBu_r', fontsize=9):
    """画一个小矩阵，并在每格写上数值（用于窗口、卷积核、乘积）。"""
    matrix = np.asarray(matrix)
    limit = symmetric_limit(matrix)
    artist = show_image(ax, matrix, title, cmap=cmap, vmin=-limit, vmax=limit)
    texts = [[ax.text(j, i, fmt.format(matrix[i, j]), ha='center', va='center', fontsize=fontsize,
                      color=text_color(artist, matrix[i, j]))
              for j in range(matrix.shape[1])] for i in range(matrix.shape[0])]
    return texts


def text_color(artist, value):
    """格子底色够亮就写黑字，否则写白字；``value`` 可以是一个数或一个数组。

    底色取自图元自己的色图与数值范围（``artist.cmap(artist.norm(value))``），
    再按相对亮度（WCAG 的定义）判断：亮度高于约 0.18 时黑字的对比度更高。
    """
    rgb = np.asarray(artist.cmap(artist.norm(value)))[..., :3]
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    colors = np.where(linear @ [0.2126, 0.7152, 0.0722] > 0.179, 'black', 'white')
    return str(colors) if colors.ndim == 0 else colors


def symmetric_limit(values):
    """红蓝色图的对称范围：±最大绝对值（全零时取一个很小的正数）。"""
    return max(float(np.nanmax(np.abs(values))), 1e-6)


def feature_map_gallery(image, kernels=tuple(KERNELS), label=None):
    """一张数字在多个卷积核下的特征图，并排展示（静态图，在线书可用）。

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
                   cmap='RdBu_r', vmin=-limit, vmax=limit)
    fig.tight_layout()
    return fig


# 特征图里尚未算到的位置（NaN）涂成灰色，与数值 0 的近白色区分开
FEATURE_CMAP = matplotlib.colormaps['RdBu_r'].with_extremes(bad='#c8c8c8')


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
        self.rect = Rectangle((-0.5, -0.5), self.k, self.k, fill=False, edgecolor='#ff7f0e', linewidth=2)
        axes[0].add_patch(self.rect)
        blank = np.zeros((self.k, self.k))
        self.window_texts = show_matrix(axes[1], blank, '窗口 X', cmap='gray')
        self.kernel_texts = show_matrix(axes[2], blank, '卷积核 W')
        self.product_texts = show_matrix(axes[3], blank, '逐元素乘积 X·W')
        self.window_img, self.kernel_img, self.product_img = (ax.images[0] for ax in axes[1:4])
        out_h = output_size(image.shape[0], self.k, stride, padding)
        out_w = output_size(image.shape[1], self.k, stride, padding)
        self.map_img = show_image(axes[4], np.full((out_h, out_w), np.nan), '特征图', cmap=FEATURE_CMAP)
        self.marker = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor='#ff7f0e', linewidth=2)
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
            img.set_data(values)
            img.set_clim(*clim)
            colors = text_color(img, values)
            for i in range(self.k):
                for j in range(self.k):
                    texts[i][j].set_text(f'{values[i, j] + 0.0:.2f}')   # + 0.0：不显示 -0.00
                    texts[i][j].set_color(colors[i, j])
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


# jshtml 播放器的按钮图标原本来自 CDN 上的 Font Awesome；换成普通字符，页面就不必访问外网
PLAYER_ICONS = {'fa fa-minus': '−', 'fa fa-fast-backward': '«', 'fa fa-step-backward': '‹',
                'fa fa-play fa-flip-horizontal': '◀', 'fa fa-pause': '❚❚', 'fa fa-play': '▶',
                'fa fa-step-forward': '›', 'fa fa-fast-forward': '»', 'fa fa-plus': '+'}


def animation_html(anim, alt):
    """动画的 HTML：帧与播放器都内嵌在页面里（``anim.to_jshtml()``），不访问任何外部网站。

    给帧图片加上替代文字 ``alt``，去掉指向 CDN 的 Font Awesome 样式表，按钮图标改用字符。
    """
    from html import escape

    html = anim.to_jshtml().replace('<img id=', f'<img alt="{escape(alt)}" id=', 1)
    html = re.sub(r'<link rel="stylesheet"\s*href="https?://[^"]*font-awesome[^"]*">', '', html)
    for icon, text in PLAYER_ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{text}</span>')
    return html


def figure_png(fig):
    """把图画成 PNG 字节（Agg 画布按图本身的 dpi 画一次，不做 savefig 的额外排版）。"""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def display_figure(output, fig):
    """在 ipywidgets.Output 里换上一张新图（先清空，等新图到了再换，避免闪烁）。"""
    from IPython.display import Image, display

    png = figure_png(fig)
    with output:
        output.clear_output(wait=True)
        display(Image(data=png, format='png'))


class KernelExplorer:
    """卷积核探索器（ipywidgets）：选数字、选或改卷积核、拖动窗口，看每一步的计算。

    需要在 Jupyter 里运行；在线书用 ``sliding_animation`` 与 ``feature_map_gallery`` 代替。
    ``state`` 保存最近一次显示的数字（``kernel_state`` 的结果），测试直接读取它。
    所有控件都是公开属性：``digit``、``preset``、``weights``（9 个输入框）、``row``、``col``、``play``。
    """

    def __init__(self, images=None, labels=None, index=0, kernel='竖直边缘'):
        import ipywidgets as w

        if images is None:
            images, labels = load_digits()
        self.images = np.asarray(images, dtype=np.float32)
        self.labels = labels
        self.size = output_size(self.images.shape[1], 3)   # 3×3 卷积核、步幅 1、不补零
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.preset = w.Dropdown(options=list(KERNELS), value=kernel, description='预设')
        self.weights = [w.FloatText(value=0.0, step=0.1, layout=w.Layout(width='70px')) for _ in range(9)]
        middle = self.size // 2
        self.row = w.IntSlider(value=middle, min=0, max=self.size - 1, description='行 i')
        self.col = w.IntSlider(value=middle, min=0, max=self.size - 1, description='列 j')
        self.play = w.Play(value=middle * self.size + middle, min=0, max=self.size ** 2 - 1, step=1,
                           interval=300, description='播放')
        self.output = w.Output()
        self.state = None
        self._silent = False
        self._set_weights(KERNELS[kernel], redraw=False)
        self.figure = KernelFigure(self.images[index], self.kernel(), label=self._label())
        plt.close(self.figure.fig)   # 不让 pyplot 自动显示，由 update 放进 output

        self.preset.observe(lambda change: self._set_weights(KERNELS[change['new']]), names='value')
        self.digit.observe(self._on_digit, names='value')
        for box in self.weights:
            box.observe(lambda change: self.update(), names='value')
        for slider in (self.row, self.col):
            slider.observe(self._on_position, names='value')
        self.play.observe(self._on_play, names='value')

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
        self._silent = True   # 一次改 9 个数，只重算一次
        for box, value in zip(self.weights, np.asarray(kernel).ravel(), strict=True):
            box.value = round(float(value), 4)
        self._silent = False
        if redraw:
            self.update()

    def _on_digit(self, change):
        self.figure.set_image(self.images[change['new']], self._label())
        self.update()

    def _on_position(self, change):
        if self._silent:
            return
        self._silent = True   # 让播放按钮从当前位置接着扫
        self.play.value = self.row.value * self.size + self.col.value
        self._silent = False
        self.update()

    def _on_play(self, change):
        if self._silent:
            return
        self._silent = True
        self.row.value, self.col.value = divmod(change['new'], self.size)
        self._silent = False
        self.update()

    def update(self, draw=True):
        """按当前设置重算全部数字并更新图元；draw=True 时把图放进 output。返回 state。"""
        if self._silent:
            return self.state
        self.state = self.figure.update(self.row.value, self.col.value, self.kernel())
        if draw:
            display_figure(self.output, self.figure.fig)
        return self.state

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class GalleryExplorer:
    """特征图画廊（ipywidgets）：选一个数字和几个卷积核，并排看它们的特征图。

    图由 ``feature_map_gallery`` 画出；``maps`` 保存最近一次的特征图（测试读取）。
    """

    def __init__(self, images=None, labels=None, index=0, kernels=tuple(KERNELS)):
        import ipywidgets as w

        if images is None:
            images, labels = load_digits()
        self.images, self.labels = np.asarray(images, dtype=np.float32), labels
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.kernels = w.SelectMultiple(options=list(KERNELS), value=tuple(kernels), rows=len(KERNELS),
                                        description='卷积核')
        self.output = w.Output()
        self.fig = self.maps = None
        for widget in (self.digit, self.kernels):
            widget.observe(lambda change: self.update(), names='value')
        self.widget = w.VBox([w.HBox([self.digit, self.kernels]), self.output])
        self.update()

    def update(self, draw=True):
        names = list(self.kernels.value) or ['恒等']   # 一个都没选时显示原图
        image = self.images[self.digit.value]
        label = None if self.labels is None else int(self.labels[self.digit.value])
        if self.fig is not None:
            plt.close(self.fig)
        self.maps = feature_maps(image, names)
        self.fig = feature_map_gallery(image, names, label)
        plt.close(self.fig)
        if draw:
            display_figure(self.output, self.fig)
        return self.maps

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
