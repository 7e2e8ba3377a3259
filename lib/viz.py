"""画图与交互控件（第 1 章）：数字、卷积核、特征图，以及“卷积核探索器”。

所有数值都来自 lib 本身：特征图由 ``lib.Convolution`` 算出，窗口里的乘积与和
由同一个 ``im2col`` 取出的窗口算出，所以控件显示的就是层的真实计算。

* ``KERNELS``：常用 3×3 卷积核预设。
* ``kernel_state``：某个位置上的窗口、逐元素乘积、和，以及整张特征图。
* ``KernelExplorer``：ipywidgets 控件（需要 Jupyter 内核）。
* ``feature_map_gallery``、``sliding_animation``：给在线书用的静态图与动画。
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.animation import FuncAnimation
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
    limit = max(float(np.abs(matrix).max()), 1e-6)
    show_image(ax, matrix, title, cmap=cmap, vmin=-limit, vmax=limit)
    texts = [[ax.text(j, i, fmt.format(matrix[i, j]), ha='center', va='center', fontsize=fontsize,
                      color=text_color(matrix[i, j], limit))
              for j in range(matrix.shape[1])] for i in range(matrix.shape[0])]
    return texts


def text_color(value, limit):
    """深色格子上用白字，浅色格子上用黑字。"""
    return 'white' if abs(value) > 0.6 * limit else 'black'


def feature_map_gallery(image, kernels=tuple(KERNELS), label=None):
    """一张数字在多个卷积核下的特征图，并排展示（静态图，在线书可用）。"""
    maps = feature_maps(image, kernels)
    fig, axes = plt.subplots(2, len(kernels) + 1, figsize=(1.9 * (len(kernels) + 1), 4.1),
                             gridspec_kw={'height_ratios': [1, 2.2]})
    axes[0, 0].axis('off')
    show_image(axes[1, 0], image, '原图' if label is None else f'原图（数字 {label}）')
    for i, (name, fmap) in enumerate(zip(kernels, maps), start=1):
        show_matrix(axes[0, i], as_kernel(name), fmt='{:.2g}', fontsize=7)
        show_image(axes[1, i], fmap, name, cmap='RdBu_r',
                   vmin=-np.abs(fmap).max(), vmax=np.abs(fmap).max())
    fig.tight_layout()
    return fig


class KernelFigure:
    """“卷积核滑过数字”的五联图：原图与窗口、窗口数值、卷积核、逐元素乘积、特征图。

    ``update`` 只改变已有图元的数据，不重新建图，便于控件与动画快速重绘。
    """

    def __init__(self, image, kernel, stride=1, padding=0, figsize=(13, 3)):
        self.image = np.asarray(image, dtype=np.float32)
        self.stride, self.padding = stride, padding
        self.fig, axes = plt.subplots(1, 5, figsize=figsize,
                                      gridspec_kw={'width_ratios': [1.3, 1, 1, 1, 1.3]})
        self.axes = axes
        padded = np.pad(self.image, padding)
        show_image(axes[0], padded, '输入与窗口')
        self.rect = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor='#ff7f0e', linewidth=2)
        axes[0].add_patch(self.rect)
        self.kernel = as_kernel(kernel)
        self.k = self.kernel.shape[0]
        blank = np.zeros((self.k, self.k))
        self.window_texts = show_matrix(axes[1], blank, '窗口 X', cmap='gray')
        self.kernel_texts = show_matrix(axes[2], blank, '卷积核 W')
        self.product_texts = show_matrix(axes[3], blank, '逐元素乘积 X·W')
        self.window_img, self.kernel_img, self.product_img = (ax.images[0] for ax in axes[1:4])
        out_h = output_size(self.image.shape[0], self.k, stride, padding)
        out_w = output_size(self.image.shape[1], self.k, stride, padding)
        self.map_img = show_image(axes[4], np.full((out_h, out_w), np.nan), '特征图', cmap='RdBu_r')
        self.marker = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor='#ff7f0e', linewidth=2)
        axes[4].add_patch(self.marker)
        self.fig.tight_layout()

    def update(self, row, col, kernel=None):
        """把窗口移到输出位置 (row, col)；可同时换卷积核。返回 kernel_state 的结果。"""
        if kernel is not None:
            self.kernel = as_kernel(kernel)
        state = kernel_state(self.image, self.kernel, row, col, self.stride, self.padding)
        top, left = state['top_left']
        self.rect.set_xy((left - 0.5, top - 0.5))
        self.rect.set_width(self.k)
        self.rect.set_height(self.k)
        for img, texts, values, cmap_sym in ((self.window_img, self.window_texts, state['window'], False),
                                             (self.kernel_img, self.kernel_texts, self.kernel, True),
                                             (self.product_img, self.product_texts, state['products'], True)):
            limit = max(float(np.abs(values).max()), 1e-6)
            img.set_data(values)
            img.set_clim(-limit if cmap_sym else 0, limit)
            for i in range(self.k):
                for j in range(self.k):
                    texts[i][j].set_text(f'{values[i, j]:.2f}')
                    texts[i][j].set_color('black' if not cmap_sym and values[i, j] > 0.6 * limit
                                          else text_color(values[i, j], limit))
        self.axes[3].set_title(f'逐元素乘积，和 = {state["total"]:.3f}', fontsize=10)
        # 特征图只显示到当前位置（按行扫描），其余留空
        fmap = state['feature_map']
        shown = np.full(fmap.shape, np.nan)
        flat = row * fmap.shape[1] + col + 1
        shown.flat[:flat] = fmap.flat[:flat]
        limit = max(float(np.abs(fmap).max()), 1e-6)
        self.map_img.set_data(shown)
        self.map_img.set_clim(-limit, limit)
        self.marker.set_xy((col - 0.5, row - 0.5))
        self.axes[4].set_title(f'特征图 [{row}, {col}] = {fmap[row, col]:.3f}', fontsize=10)
        return state


def sliding_animation(image, kernel, step=3, interval=250, dpi=60):
    """卷积核按行扫过整张图的动画（matplotlib FuncAnimation）。

    在线书里用 ``anim.to_jshtml()`` 嵌入：帧是图片，播放器是页面里自带的 JavaScript，
    不需要内核，也不访问任何外部网站。``step`` 是相邻两帧之间窗口移动的像素数。
    """
    figure = KernelFigure(image, kernel, figsize=(11, 2.5))
    figure.fig.set_dpi(dpi)
    n = figure.map_img.get_array().shape
    positions = [(i, j) for i in range(0, n[0], step) for j in range(0, n[1], step)]
    positions.append((n[0] - 1, n[1] - 1))
    anim = FuncAnimation(figure.fig, lambda f: figure.update(*positions[f]), frames=len(positions),
                         interval=interval)
    plt.close(figure.fig)
    return anim


class KernelExplorer:
    """卷积核探索器（ipywidgets）：选数字、选或改卷积核、拖动窗口，看每一步的计算。

    需要在 Jupyter 里运行；在线书用 ``sliding_animation`` 与 ``feature_map_gallery`` 代替。
    ``state`` 保存最近一次显示的数字，测试直接读取它。
    """

    def __init__(self, images=None, labels=None, index=0, kernel='竖直边缘'):
        import ipywidgets as w

        if images is None:
            images, labels = load_digits()
        self.images, self.labels = images, labels
        size = output_size(images.shape[1], 3)
        self.digit = w.BoundedIntText(value=index, min=0, max=len(images) - 1, description='数字序号')
        self.preset = w.Dropdown(options=list(KERNELS), value=kernel, description='预设')
        self.weights = [w.FloatText(value=0.0, step=0.1, layout=w.Layout(width='70px')) for _ in range(9)]
        self.row = w.IntSlider(value=size // 2, min=0, max=size - 1, description='行 i')
        self.col = w.IntSlider(value=size // 2, min=0, max=size - 1, description='列 j')
        self.play = w.Play(value=0, min=0, max=size * size - 1, step=1, interval=150, description='播放')
        self.output = w.Output()
        self.state = None
        self._silent = False
        self._set_weights(KERNELS[kernel])
        self.figure, self.figure_index = None, None

        self.preset.observe(lambda change: self._set_weights(KERNELS[change['new']]), names='value')
        for widget in (self.digit, self.row, self.col, *self.weights):
            widget.observe(lambda change: self.update(), names='value')
        self.play.observe(self._on_play, names='value')

        grid = w.GridBox(self.weights, layout=w.Layout(grid_template_columns='repeat(3, 76px)'))
        controls = w.VBox([self.digit, self.preset, w.Label('卷积核权重（可编辑）'), grid])
        position = w.VBox([self.row, self.col, w.HBox([w.Label('按行扫描'), self.play])])
        self.widget = w.VBox([w.HBox([controls, position]), self.output])
        self.update()

    def kernel(self):
        return np.array([box.value for box in self.weights], dtype=np.float32).reshape(3, 3)

    def _set_weights(self, kernel):
        self._silent = True  # 一次改 9 个数，只重绘一次
        for box, value in zip(self.weights, np.asarray(kernel).ravel()):
            box.value = round(float(value), 4)
        self._silent = False
        self.update()

    def _on_play(self, change):
        size = self.row.max + 1
        self._silent = True
        self.row.value, self.col.value = divmod(change['new'], size)
        self._silent = False
        self.update()

    def update(self, draw=True):
        """重新计算（并在 draw=True 时重绘）当前设置下的全部数字，返回 state。"""
        if self._silent:
            return self.state
        if self.figure is None or self.figure_index != self.digit.value:
            self.figure_index = self.digit.value
            self.figure = KernelFigure(self.images[self.figure_index], self.kernel())
            plt.close(self.figure.fig)  # 由我们自己决定何时显示
        self.state = self.figure.update(self.row.value, self.col.value, self.kernel())
        if draw:
            from IPython.display import display

            with self.output:
                self.output.clear_output(wait=True)
                display(self.figure.fig)
        return self.state

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
