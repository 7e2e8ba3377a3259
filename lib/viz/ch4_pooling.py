"""画图、控件与小工具（第 4 章 池化与更深的网络）。

图里的每个数字都来自 lib：特征图由 ``lib.Convolution``（固定的卷积核预设）与 ``lib.ReLU`` 算出，
池化由 ``lib.MaxPool``、``lib.AvgPool`` 算出，平移用 ``lib.augment.shift_images``，
感受野的实测用 lib 的自动微分，参数个数由 ``parameter_count()`` 数出。

* ``pool_example_figure``：手算的小例子（4×4 → 2×2 的最大池化与平均池化）。
* ``pooling_state``、``PoolingFigure``、``PoolingExplorer``：选数字、池化窗口 2/3/4、最大/平均，
  看几个固定卷积核的特征图池化前后的样子（ipywidgets）；``pooling_grid`` 是给在线书的静态图。
* ``shift_change``、``shift_change_curves``、``shift_change_plot``、``shift_example_figure``：
  数字平移几个像素后，卷积特征图与池化后的特征图各变了多少。
* ``receptive_fields``、``input_gradient``、``footprint``、``receptive_field_figure``：感受野的公式与实测。
* ``layer_rows``：逐层的输出形状与参数个数（表格用 ``lib.viz.draw.markdown_table``）。
* ``shifted_accuracy``：把测试数字平移后的准确率。
"""

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.colors import ListedColormap

from ..augment import shift_images
from ..convolution import Convolution
from ..data import accuracy, load_digits
from ..layers import Flatten, ReLU, Sequential
from ..pooling import AvgPool, MaxPool, Pool
from ..tensor import Tensor, shape_error
from .draw import draw_numbers, markdown_table, outline, show_image
from .explorer import Explorer
from .kernels import fixed_convolution
from .style import POOL_COLORS

__all__ = ['DEMO_KERNELS', 'POOL_SIZES', 'MODES', 'pool_example_figure', 'fixed_convolution',
           'make_pool', 'pooling_state', 'PoolingFigure', 'PoolingExplorer', 'pooling_grid',
           'shift_change', 'shift_change_curves', 'shift_change_plot', 'shift_example_figure',
           'receptive_fields', 'input_gradient', 'footprint', 'receptive_field_figure',
           'layer_rows', 'markdown_table', 'shifted_accuracy', 'load_digits']


DEMO_KERNELS = ('恒等', '水平边缘', '竖直边缘', '拉普拉斯')   # 控件与静态图用的固定卷积核
POOL_SIZES = (2, 3, 4)
MODES = {'max': '最大池化', 'avg': '平均池化'}


def make_pool(size, mode):
    """``mode`` 为 'max' 或 'avg'：返回 ``lib.MaxPool(size)`` 或 ``lib.AvgPool(size)``。"""
    if mode not in MODES:
        raise ValueError(f'池化方式期望是 {list(MODES)} 之一，实际得到 {mode!r}')
    return MaxPool(size) if mode == 'max' else AvgPool(size)


# ---- 手算的小例子 ----

def pool_example_figure(x, k=2):
    """一个小矩阵的 k×k 最大池化与平均池化：输入里的每个窗口与输出里对应的格子同色。

    Parameters
    ----------
    x : ndarray，形状 (H, W)，H、W 是 k 的整数倍
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] % k or x.shape[1] % k:
        raise shape_error('pool_example_figure', f'二维矩阵，边长是 {k} 的整数倍', x.shape)
    batch = Tensor(x[None, None])
    outputs = {'max': MaxPool(k)(batch).data[0, 0], 'avg': AvgPool(k)(batch).data[0, 0]}
    fig, axes = plt.subplots(1, 3, figsize=(8.6, 3.0), gridspec_kw={'width_ratios': [x.shape[1], 2.6, 2.6]})
    draw_numbers(axes[0], x, '输入', cmap='Greys', vmin=x.min() - 0.5 * np.ptp(x), vmax=x.max() * 1.6)
    out_h, out_w = x.shape[0] // k, x.shape[1] // k
    for ax, mode in zip(axes[1:], ('max', 'avg'), strict=True):
        draw_numbers(ax, outputs[mode], f'{MODES[mode]} {k}×{k}', cmap='Greys',
                     vmin=x.min() - 0.5 * np.ptp(x), vmax=x.max() * 1.6)
    for index in range(out_h * out_w):
        i, j = divmod(index, out_w)
        color = POOL_COLORS[index % len(POOL_COLORS)]
        outline(axes[0], i * k, j * k, k, k, color=color, linewidth=3)
        for ax in axes[1:]:
            outline(ax, i, j, 1, 1, color=color, linewidth=3)
    fig.tight_layout()
    return fig


# ---- 池化前后的特征图：控件与静态图 ----


def pooling_state(image, size=2, mode='max', kernels=DEMO_KERNELS):
    """一张数字图经过“卷积（固定卷积核）→ ReLU → 池化”的全部中间结果。

    Parameters
    ----------
    image : ndarray，形状 (H, W)
    size : int，池化窗口边长（步幅与之相同）
    mode : 'max' 或 'avg'

    Returns
    -------
    dict：``maps``（卷积 + ReLU，形状 (F, H, W)）、``pooled``（池化后，形状 (F, H // size, W // size)）、
    ``pool``（所用的池化层）、``cropped``（因凑不满窗口而被裁掉的行数与列数）。
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise shape_error('pooling_state', '单张灰度图，形状 (H, W)', image.shape)
    pool = make_pool(size, mode)
    maps = ReLU()(fixed_convolution(kernels, padding=1)(Tensor(image[None, None])))
    pooled = pool(maps)
    H, W = image.shape
    return {'maps': maps.data[0], 'pooled': pooled.data[0], 'pool': pool,
            'cropped': (H % size, W % size)}


class PoolingFigure:
    """两排图：上排是原图与各卷积核的特征图（卷积 + ReLU），下排是它们池化之后的样子。

    同一列的两张图用同一个色阶，平均池化让数值变小，颜色也就变淡。
    ``update`` 只替换图元的数据，不重新建图。
    """

    def __init__(self, image, size=2, mode='max', kernels=DEMO_KERNELS, label=None, figsize=None, dpi=None):
        self.kernels = tuple(kernels)
        columns = len(self.kernels) + 1
        self.fig, self.axes = plt.subplots(2, columns, figsize=figsize or (2.05 * columns, 4.5), dpi=dpi,
                                           squeeze=False)
        self.top = [show_image(self.axes[0, 0], np.zeros((2, 2)), vmin=0, vmax=1)]
        self.bottom = [None]
        self.axes[1, 0].axis('off')
        self.summary = self.axes[1, 0].text(0.5, 0.5, '', ha='center', va='center', fontsize=9.5,
                                            transform=self.axes[1, 0].transAxes, linespacing=1.6)
        for column, name in enumerate(self.kernels, start=1):
            self.top.append(show_image(self.axes[0, column], np.zeros((2, 2)), f'{name}：卷积 + ReLU',
                                       cmap='magma', vmin=0, vmax=1))
            self.bottom.append(show_image(self.axes[1, column], np.zeros((2, 2)), '', cmap='magma',
                                          vmin=0, vmax=1))
        for ax in self.axes.flat:
            ax.title.set_fontsize(9)
        self.state = None
        self.update(image, size, mode, label)
        self.fig.tight_layout()

    @staticmethod
    def _set(artist, data, vmax):
        h, w = data.shape
        artist.set_data(data)
        artist.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
        artist.set_clim(0, vmax)
        artist.axes.set_xlim(-0.5, w - 0.5)
        artist.axes.set_ylim(h - 0.5, -0.5)

    def update(self, image, size=2, mode='max', label=None):
        """换一张数字图或换一种池化，返回 ``pooling_state`` 的结果。"""
        state = pooling_state(image, size, mode, self.kernels)
        image = np.asarray(image, dtype=np.float32)
        self._set(self.top[0], image, 1.0)
        self.axes[0, 0].set_title('原图' if label is None else f'原图（数字 {label}）', fontsize=9)
        for column in range(1, len(self.kernels) + 1):
            vmax = max(float(state['maps'][column - 1].max()), 1e-6)   # 同一列共用色阶
            self._set(self.top[column], state['maps'][column - 1], vmax)
            self._set(self.bottom[column], state['pooled'][column - 1], vmax)
            h, w = state['pooled'].shape[1:]
            self.axes[1, column].set_title(f'{MODES[mode]} {size}×{size} → {h}×{w}', fontsize=9)
        H, W = image.shape
        h, w = state['pooled'].shape[1:]
        lines = [f'{MODES[mode]}', f'窗口 {size}×{size}，步幅 {size}', f'{H}×{W} → {h}×{w}',
                 f'每张图 {H * W} → {h * w} 个数']
        if any(state['cropped']):
            lines.append(f'（裁掉最后 {state["cropped"][0]} 行、{state["cropped"][1]} 列）')
        self.summary.set_text('\n'.join(lines))
        self.state = state
        return state

    def shown(self, row, column):
        """图里第 row 排、第 column 列显示的数组（测试用）。"""
        artist = (self.top if row == 0 else self.bottom)[column]
        return np.asarray(artist.get_array())


class PoolingExplorer(Explorer):
    """池化探索器（ipywidgets）：选数字、池化窗口（2、3、4）、最大或平均，看池化前后的特征图。

    需要在 Jupyter 里运行；在线书在同一位置显示页内探索器（``booktools/explorers/pooling.js``）。
    控件都是公开属性：``digit``、``size``、``mode``；
    ``state`` 保存最近一次显示的数字（``pooling_state`` 的结果）。
    """

    def __init__(self, images=None, labels=None, index=0, size=2, mode='max', kernels=DEMO_KERNELS):
        import ipywidgets as w

        super().__init__()
        if images is None:
            images, labels = load_digits()
        self.images = np.asarray(images, dtype=np.float32)
        self.labels = labels
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.size = w.ToggleButtons(options=[(f'{s}×{s}', s) for s in POOL_SIZES], value=size,
                                    description='池化窗口')
        self.mode = w.ToggleButtons(options=[(name, key) for key, name in MODES.items()], value=mode,
                                    description='方式')
        self.figure = self.own(PoolingFigure(self.images[index], size, mode, kernels, self._label()))
        self.watch(self.digit, self.size, self.mode)
        self.widget = w.VBox([w.HBox([self.digit]), self.size, self.mode, self.output])
        self.update()

    def _label(self):
        return None if self.labels is None else int(self.labels[self.digit.value])

    def compute(self):
        return self.figure.update(self.images[self.digit.value], self.size.value, self.mode.value,
                                  self._label())


def pooling_grid(image, settings=((2, 'max'), (2, 'avg'), (4, 'max')), kernels=DEMO_KERNELS, label=None):
    """静态图：第一排是卷积 + ReLU 的特征图，下面每排是一种池化（窗口边长, 方式）之后的样子。"""
    columns = len(kernels)
    fig, axes = plt.subplots(1 + len(settings), columns, figsize=(2.0 * columns, 2.05 * (1 + len(settings))),
                             squeeze=False)
    states = [pooling_state(image, size, mode, kernels) for size, mode in settings]
    maps = states[0]['maps']
    for column, name in enumerate(kernels):
        vmax = max(float(maps[column].max()), 1e-6)
        show_image(axes[0, column], maps[column], f'{name}：卷积 + ReLU', cmap='magma', vmin=0, vmax=vmax)
        for row, ((size, mode), state) in enumerate(zip(settings, states, strict=True), start=1):
            pooled = state['pooled'][column]
            title = f'{MODES[mode]} {size}×{size} → {pooled.shape[0]}×{pooled.shape[1]}'
            show_image(axes[row, column], pooled, title, cmap='magma', vmin=0, vmax=vmax)
    for ax in axes.flat:
        ax.title.set_fontsize(9)
    if label is not None:
        fig.suptitle(f'数字 {label}', fontsize=10)
    fig.tight_layout()
    return fig


# ---- 平移：特征图变了多少 ----

def shift_change(images, shift, pools=(), kernels=DEMO_KERNELS, direction='right'):
    """每张数字平移 ``shift`` 个像素之后，“卷积 → ReLU → 池化…”的输出相对变化了多少。

    相对变化 = ‖f(平移后的图) − f(原图)‖ / ‖f(原图)‖，按位置逐个比较（不把平移挪回来）。

    Parameters
    ----------
    images : ndarray，形状 (N, H, W)
    shift : int，像素数
    pools : 一串池化层，依次接在 ReLU 后面；空的时候就是卷积 + ReLU 本身
    direction : 'right'、'left'、'down'、'up'

    Returns
    -------
    ndarray，形状 (N,)，每张数字的相对变化。
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise shape_error('shift_change', '一批灰度图，形状 (N, H, W)', images.shape)
    steps = {'right': (0, 1), 'left': (0, -1), 'down': (1, 0), 'up': (-1, 0)}
    if direction not in steps:
        raise ValueError(f'direction 期望是 {list(steps)} 之一，实际得到 {direction!r}')
    x = images[:, None]
    dy, dx = (np.full(len(x), shift * step) for step in steps[direction])
    network = Sequential([fixed_convolution(kernels, padding=1), ReLU(), *pools])
    before = network(Tensor(x)).data.reshape(len(x), -1)
    after = network(Tensor(shift_images(x, dy, dx))).data.reshape(len(x), -1)
    return np.linalg.norm(after - before, axis=1) / np.maximum(np.linalg.norm(before, axis=1), 1e-12)


def shift_change_curves(images, shifts, pipelines, kernels=DEMO_KERNELS):
    """对每条流水线（名字 → 池化层列表）和每个平移距离，求四个方向、全部数字的平均相对变化。

    Returns
    -------
    dict：名字 → ndarray，形状 (len(shifts),)
    """
    return {name: np.array([np.mean([shift_change(images, s, pools, kernels, d)
                                     for d in ('right', 'left', 'down', 'up')]) for s in shifts])
            for name, pools in pipelines.items()}


def shift_change_plot(shifts, curves):
    """平移距离 → 平均相对变化的折线图。"""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, (name, values) in enumerate(curves.items()):
        ax.plot(shifts, np.asarray(values) * 100, 'o-', color=f'C{i}', label=name)
    ax.set(xlabel='平移的像素数', ylabel='特征图的相对变化（%）', xticks=list(shifts))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    ax.set_title('数字平移之后，特征图变了多少（越低越稳）', fontsize=10)
    fig.tight_layout()
    return fig


def shift_example_figure(image, shift=1, kernel='竖直边缘', sizes=(2, 4)):
    """一张数字图和它平移后的样子：原图、卷积 + ReLU、再经过各种最大池化，两排上下对照。"""
    image = np.asarray(image, dtype=np.float32)
    shifted = shift_images(image[None, None], [0], [shift])[0, 0]
    fig, axes = plt.subplots(2, 2 + len(sizes), figsize=(2.05 * (2 + len(sizes)), 4.4), squeeze=False)
    for row, (picture, title) in enumerate([(image, '原图'), (shifted, f'右移 {shift} 像素')]):
        show_image(axes[row, 0], picture, title, vmin=0, vmax=1)
        maps = pooling_state(picture, sizes[0], 'max', (kernel,))['maps'][0]
        vmax = max(float(pooling_state(image, sizes[0], 'max', (kernel,))['maps'].max()), 1e-6)
        show_image(axes[row, 1], maps, f'{kernel}：卷积 + ReLU', cmap='magma', vmin=0, vmax=vmax)
        for column, size in enumerate(sizes, start=2):
            pooled = pooling_state(picture, size, 'max', (kernel,))['pooled'][0]
            show_image(axes[row, column], pooled, f'最大池化 {size}×{size}', cmap='magma', vmin=0, vmax=vmax)
    for ax in axes.flat:
        ax.title.set_fontsize(9)
    fig.tight_layout()
    return fig


# ---- 感受野 ----

def receptive_fields(layers):
    """按公式逐层算感受野（receptive field）。

    记 r 为感受野边长，j 为相邻两个输出在输入上相隔的像素数（跳距，jump）。
    输入本身 r = 1、j = 1；经过窗口 k、步幅 s 的一层（卷积或池化）：

        r ← r + (k − 1)·j，  j ← j·s

    ReLU 等逐元素的层不改变 r 与 j；遇到 ``Flatten`` 就停下。填充不改变感受野的大小，
    只让边上的输出有一部分感受野落在补的 0 上。

    Parameters
    ----------
    layers : Sequential 或一串 Layer

    Returns
    -------
    list of dict：每个卷积层、池化层一行，含 ``layer``、``k``、``s``、``r``、``j``。
    """
    if isinstance(layers, Sequential):
        layers = layers.layers
    rows, r, j = [], 1, 1
    for layer in layers:
        if isinstance(layer, Flatten):
            break
        if isinstance(layer, (Convolution, Pool)):
            k, s = layer.kernel_size, layer.stride
            r, j = r + (k - 1) * j, j * s
            rows.append({'layer': str(layer).split('[')[0], 'k': k, 's': s, 'r': r, 'j': j})
    return rows


def input_gradient(network, image, channel, row, col):
    """一个输出 (channel, row, col) 对输入每个像素的梯度（用 lib 的自动微分）。

    Parameters
    ----------
    network : Layer，输入 (1, 1, H, W)，输出 (1, F, h, w)
    image : ndarray，形状 (H, W)

    Returns
    -------
    ndarray，形状 (H, W)

    注意：这次反向传播也会把梯度累加到网络参数的 ``grad`` 上（训练时优化器每步先清零，不受影响）。
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise shape_error('input_gradient', '单张灰度图，形状 (H, W)', image.shape)
    x = Tensor(image[None, None].copy())
    y = network(x)
    if y.data.ndim != 4:
        raise shape_error('input_gradient', '网络输出形状 (1, F, h, w)', y.data.shape)
    grad = np.zeros_like(y.data)
    grad[0, channel, row, col] = 1.0
    y.backward(grad)
    return x.grad[0, 0]


def footprint(gradient):
    """梯度不为 0 的像素：个数，以及把它们框住的最小矩形（行范围、列范围，含两端）。"""
    rows, cols = np.nonzero(gradient)
    if len(rows) == 0:
        return {'count': 0, 'rows': None, 'cols': None, 'height': 0, 'width': 0}
    return {'count': int(len(rows)), 'rows': (int(rows.min()), int(rows.max())),
            'cols': (int(cols.min()), int(cols.max())),
            'height': int(rows.max() - rows.min() + 1), 'width': int(cols.max() - cols.min() + 1)}


def receptive_field_figure(panels, field=None):
    """并排画几张输入梯度：梯度不为 0 的像素涂成橙色，其余为 0 的像素露出背景。

    Parameters
    ----------
    panels : list of (标题, 梯度 (H, W), 背景图 (H, W) 或 None)
    field : (top, left, size)，可选
        按公式算出的感受野方块，画成蓝色虚线框；不给时框出梯度不为 0 的范围。
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.5), squeeze=False)
    touched = ListedColormap(['#e8743b'])
    for ax, (title, gradient, background) in zip(axes[0], panels, strict=True):
        background = np.zeros_like(gradient) if background is None else background
        show_image(ax, background, None, vmin=0, vmax=1.6)          # 背景调暗，橙色更显眼
        ax.imshow(np.ma.masked_where(gradient == 0, np.ones_like(gradient)), cmap=touched, alpha=0.85)
        if field is not None:
            top, left, size = field
            outline(ax, top, left, size, size, color='#4c9be8', linewidth=1.8, linestyle='--')
        else:
            box = footprint(gradient)
            if box['count']:
                outline(ax, box['rows'][0], box['cols'][0], box['height'], box['width'], color='#4c9be8',
                        linewidth=1.8, linestyle='--')
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


# ---- 逐层的形状与参数 ----

def layer_rows(network, input_shape):
    """让一批全零输入走一遍网络，记下每层的输出形状与参数个数。

    Returns
    -------
    list of dict：``layer``（打印出来的样子）、``shape``（输出形状，不含批维）、``count``（参数个数）。
    """
    training = network.training
    network.eval()                                   # 丢弃层原样通过
    x = Tensor(np.zeros(input_shape, dtype=np.float32), requires_grad=False)
    rows = []
    for layer in network.layers:
        x = layer(x)
        rows.append({'layer': str(layer), 'shape': x.data.shape[1:], 'count': layer.parameter_count()})
    if training:
        network.train()
    return rows


# ---- 整个网络：平移后的测试准确率 ----

def shifted_accuracy(network, images, labels, shift, seed=0):
    """把每张测试数字朝上、下、左、右中随机的一个方向平移 ``shift`` 个像素，再求准确率。

    Parameters
    ----------
    network : Layer，输入 (N, 1, H, W)，输出 (N, 10) 的分数
    images : ndarray，形状 (N, H, W)
    labels : ndarray，形状 (N,)，整数标签
    """
    images = np.asarray(images, dtype=np.float32)
    rng = np.random.default_rng(seed)
    direction = rng.integers(0, 4, size=len(images))
    dy = np.choose(direction, [shift, -shift, 0, 0])
    dx = np.choose(direction, [0, 0, shift, -shift])
    training = network.training
    network.eval()
    scores = network(Tensor(shift_images(images[:, None], dy, dx), requires_grad=False)).data
    if training:
        network.train()
    return accuracy(scores, labels)
