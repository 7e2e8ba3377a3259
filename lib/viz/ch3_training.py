"""画图与交互控件（第 3 章 训练卷积网络）。

图里的每个数字都来自 lib：特征图由训练好的 ``lib.Convolution`` 的前向传播算出
（需要时再经过 ``lib.ReLU``），卷积核就是这一层的权重，错分的数字由网络的预测与标签比较得出，
参数个数由各层的 ``parameters()`` 数出。

* ``training_curves``：每轮的损失与准确率曲线（数字网格 ``image_grid`` 来自 ``lib.viz.draw``）。
* ``layer_feature_maps``、``feature_map_state``：一张数字图经过（训练好的）卷积层后的特征图。
* ``kernel_grid``、``feature_map_grid``：学到的卷积核与特征图（静态图，在线书可用）。
* ``FeatureMapFigure``、``FeatureMapExplorer``：数字、卷积核、特征图三联图与 ipywidgets 控件。
* ``misclassified``、``misclassified_gallery``：错分的测试数字。
* ``parameter_breakdown``、``parameter_table``、``parameter_chart``：各层的参数个数。
"""

import matplotlib.pyplot as plt
import numpy as np

from ..convolution import Convolution
from ..data import as_classes, load_digits
from ..layers import ReLU, Sequential
from ..tensor import Tensor, shape_error
from .draw import image_grid, markdown_table, recolor_numbers, show_image, show_matrix
from .explorer import Explorer
from .style import DIVERGING, symmetric_limit, text_color

__all__ = ['image_grid', 'training_curves', 'find_convolution', 'layer_feature_maps',
           'feature_map_state', 'kernel_grid', 'feature_map_grid', 'FeatureMapFigure',
           'FeatureMapExplorer', 'misclassified', 'misclassified_gallery', 'parameter_breakdown',
           'markdown_table', 'parameter_table', 'parameter_chart']


# ---- 数字与曲线 ----


def training_curves(histories, test_accuracy=None):
    """每轮（epoch）的平均训练损失与训练准确率。

    Parameters
    ----------
    histories : dict，名字 → ``NNModel.history``（含 ``loss``、``accuracy`` 两个按轮记录的列表）
    test_accuracy : dict，可选，名字 → 训练结束后的测试准确率（画成同色虚线）
    """
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, (name, history) in enumerate(histories.items()):
        epochs = np.arange(1, len(history['loss']) + 1)
        color = f'C{i}'
        ax_loss.plot(epochs, history['loss'], 'o-', color=color, label=name)
        ax_acc.plot(epochs, np.asarray(history['accuracy']) * 100, 'o-', color=color, label=f'{name}：训练')
        if test_accuracy and name in test_accuracy:
            ax_acc.axhline(test_accuracy[name] * 100, color=color, linestyle='--',
                           label=f'{name}：测试 {test_accuracy[name]:.2%}')
    ax_loss.set(xlabel='轮次（epoch）', ylabel='平均训练损失', yscale='log')
    ax_loss.set_title('损失（对数坐标）', fontsize=10)
    ax_acc.set(xlabel='轮次（epoch）', ylabel='准确率（%）')
    ax_acc.set_title('准确率', fontsize=10)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---- 卷积核与特征图 ----

def find_convolution(layer):
    """网络里的第一个卷积层（也可以直接传入卷积层本身）。"""
    if isinstance(layer, Convolution):
        return layer
    for child in layer.children():
        found = find_convolution(child)
        if found is not None:
            return found
    return None


def single_channel_kernels(conv):
    """卷积核 (F, k, k)；只支持单通道输入（灰度数字）的卷积层。"""
    if not isinstance(conv, Convolution):
        raise TypeError(f'期望 lib.Convolution，实际得到 {type(conv).__name__}')
    if conv.in_channels != 1:
        raise ValueError(f'期望单通道输入的卷积层（in_channels = 1），实际 in_channels = {conv.in_channels}')
    return conv.weight.data[:, 0]


def layer_feature_maps(conv, image, relu=False):
    """用卷积层的前向传播算出一张数字图的全部特征图。

    Parameters
    ----------
    conv : lib.Convolution，in_channels = 1
    image : ndarray，形状 (H, W)
    relu : bool，是否再经过 ``lib.ReLU``

    Returns
    -------
    ndarray，形状 (F, out_h, out_w)
    """
    single_channel_kernels(conv)
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise shape_error('layer_feature_maps', '单张灰度图，形状 (H, W)', image.shape)
    out = conv(Tensor(image[np.newaxis, np.newaxis]))
    if relu:
        out = ReLU()(out)
    return out.data[0]


def feature_map_state(conv, image, channel, relu=False):
    """第 ``channel`` 个卷积核与它在这张数字上的特征图。

    Returns
    -------
    dict：``kernel`` (k, k)、``bias``（标量）、``feature_map`` (out_h, out_w)、``channel``、``relu``。
    """
    kernels = single_channel_kernels(conv)
    if not 0 <= channel < len(kernels):
        raise ValueError(f'通道期望在 0 到 {len(kernels) - 1} 之间，实际得到 {channel}')
    maps = layer_feature_maps(conv, image, relu)
    return {'kernel': kernels[channel], 'bias': float(conv.bias.data[channel]),
            'feature_map': maps[channel], 'channel': channel, 'relu': relu}


def kernel_grid(conv, columns=4, numbers=True):
    """卷积层学到的全部卷积核，排成网格，共用一个对称色阶（红正蓝负）。"""
    kernels = single_channel_kernels(conv)
    limit = symmetric_limit(kernels)
    rows = -(-len(kernels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.45 * columns + 0.8, 1.5 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(kernels):
            ax.axis('off')
            continue
        artist = show_image(ax, kernels[i], f'通道 {i}', cmap=DIVERGING, vmin=-limit, vmax=limit)
        if numbers:
            colors = text_color(artist, kernels[i])
            for (r, c), value in np.ndenumerate(kernels[i]):
                ax.text(c, r, f'{value:.1f}', ha='center', va='center', fontsize=6.5, color=colors[r, c])
    fig.tight_layout()
    fig.colorbar(artist, ax=axes, shrink=0.8, label='权重')
    return fig


def feature_map_grid(conv, image, label=None, relu=False, columns=4):
    """一张数字图与它的全部特征图（每张图按自己的最大绝对值着色）。"""
    maps = layer_feature_maps(conv, image, relu)
    rows = -(-len(maps) // columns)
    fig = plt.figure(figsize=(2.6 + 1.6 * columns, 1.6 * rows))
    grid = fig.add_gridspec(rows, columns + 2, width_ratios=[2.2, 0.3] + [1] * columns)
    ax = fig.add_subplot(grid[:, 0])
    show_image(ax, image, '原图' if label is None else f'原图（数字 {label}）', vmin=0, vmax=1)
    for i, fmap in enumerate(maps):
        ax = fig.add_subplot(grid[i // columns, 2 + i % columns])
        limit = symmetric_limit(fmap)
        show_image(ax, fmap, f'通道 {i}', cmap=DIVERGING, vmin=-limit, vmax=limit)
    fig.suptitle('卷积层 + ReLU 的输出' if relu else '卷积层的输出（特征图）', fontsize=11)
    fig.tight_layout()
    return fig


class FeatureMapFigure:
    """三联图：数字、所选通道的卷积核（带数值）、它的特征图。

    ``update`` 只改已有图元的数据，不重新建图，控件重绘更快。
    """

    def __init__(self, conv, image, channel=0, relu=False, figsize=(10, 3.3)):
        self.conv = conv
        k = conv.kernel_size
        self.fig, self.axes = plt.subplots(1, 3, figsize=figsize, gridspec_kw={'width_ratios': [1, 1, 1.15]})
        self.image_img = show_image(self.axes[0], np.zeros_like(image), '数字', vmin=0, vmax=1)
        self.kernel_texts = show_matrix(self.axes[1], np.zeros((k, k)), '卷积核', cmap=DIVERGING)
        self.kernel_img = self.axes[1].images[0]
        out = layer_feature_maps(conv, image)[0]
        self.map_img = show_image(self.axes[2], np.zeros_like(out), '特征图', cmap=DIVERGING)
        self.fig.colorbar(self.map_img, ax=self.axes[2], shrink=0.85)
        self.fig.tight_layout()
        self.state = None
        self.update(image, channel, relu)

    def update(self, image, channel, relu=False, title=None):
        """换数字、通道或是否经过 ReLU，返回 ``feature_map_state`` 的结果。"""
        state = feature_map_state(self.conv, image, channel, relu)
        self.image_img.set_data(image)
        self.axes[0].set_title(title or '数字', fontsize=10)
        kernel = state['kernel']
        limit = symmetric_limit(kernel)
        self.kernel_img.set_clim(-limit, limit)
        recolor_numbers(self.kernel_img, self.kernel_texts, kernel)
        self.axes[1].set_title(f'通道 {channel} 的卷积核（偏置 {state["bias"]:+.3f}）', fontsize=10)
        fmap = state['feature_map']
        limit = symmetric_limit(fmap)
        self.map_img.set_data(fmap)
        self.map_img.set_clim(-limit, limit)
        self.axes[2].set_title(f'{"卷积 + ReLU" if relu else "特征图"}：'
                               f'最小 {fmap.min():.2f}，最大 {fmap.max():.2f}', fontsize=10)
        self.state = state
        return state

    def shown_feature_map(self):
        """图里正在显示的特征图（测试用它与卷积层的输出比较）。"""
        return np.asarray(self.map_img.get_array())


class FeatureMapExplorer(Explorer):
    """特征图探索器（ipywidgets）：选一张测试数字和一个通道，看卷积核与特征图。

    需要在 Jupyter 里运行；在线书在同一位置显示同样数据、同样权重的页内探索器
    （``booktools/explorers/featuremap.js``）。
    控件是公开属性 ``digit``、``channel``、``relu``；``state`` 是最近一次显示的数字。

    Parameters
    ----------
    conv : lib.Convolution（训练好的卷积层）或含有它的网络
    images, labels : 数字图像 (n, H, W) 与整数标签 (n,)；默认 tinymnist 的测试集
    predictions : ndarray，可选，形状 (n, 10)，网络对这些图的打分（标题里显示判断结果）
    """

    def __init__(self, conv, images=None, labels=None, predictions=None, index=0, channel=0, relu=False):
        import ipywidgets as w

        super().__init__()
        self.conv = find_convolution(conv)
        if self.conv is None:
            raise ValueError('期望一个 lib.Convolution 或含有卷积层的网络，实际没有找到卷积层')
        if images is None:
            images, labels = load_digits()
        self.images = np.asarray(images, dtype=np.float32)
        self.labels = labels
        self.predicted = None if predictions is None else as_classes(predictions)
        channels = self.conv.out_channels
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.channel = w.IntSlider(value=channel, min=0, max=channels - 1, description='通道')
        self.relu = w.Checkbox(value=relu, description='经过 ReLU')
        self.figure = self.own(FeatureMapFigure(self.conv, self.images[index], channel, relu))
        self.watch(self.digit, self.channel, self.relu)
        self.widget = w.VBox([w.HBox([self.digit, self.channel, self.relu]), self.output])
        self.update()

    def title(self, index):
        parts = [f'序号 {index}']
        if self.labels is not None:
            parts.insert(0, f'数字 {int(self.labels[index])}')
        if self.predicted is not None:
            parts.append(f'网络判为 {int(self.predicted[index])}')
        return '，'.join(parts)

    def compute(self):
        index = self.digit.value
        state = self.figure.update(self.images[index], self.channel.value, self.relu.value,
                                   title=self.title(index))
        state['index'] = index
        return state


# ---- 错分的数字 ----


def misclassified(predictions, labels):
    """预测的类别（打分最大处）与真实类别不同的样本序号，从小到大。

    Parameters
    ----------
    predictions : Tensor 或 ndarray，形状 (N, 10)
    labels : ndarray，形状 (N,)（整数）或 (N, 10)（独热）
    """
    predicted, true = as_classes(predictions), as_classes(labels)
    if predicted.shape != true.shape:
        raise shape_error('misclassified', f'预测与标签的样本数相同，预测 {predicted.shape}',
                          f'标签 {true.shape}')
    return np.flatnonzero(predicted != true)


def misclassified_gallery(images, labels, predictions, limit=24, columns=8):
    """错分的测试数字：标题写“真 → 判”。

    Returns
    -------
    fig, shown：图，以及图中依次展示的样本序号（最多 ``limit`` 个）。
    """
    wrong = misclassified(predictions, labels)
    shown = wrong[:limit]
    true, predicted = as_classes(labels), as_classes(predictions)
    titles = [f'真 {true[i]} → 判 {predicted[i]}' for i in shown]
    suptitle = f'错分的测试数字：共 {len(wrong)} 张'
    if len(shown) < len(wrong):
        suptitle += f'，这里是前 {len(shown)} 张'
    fig = image_grid(np.asarray(images)[shown], titles, columns=columns, suptitle=suptitle, size=1.35)
    return fig, shown


# ---- 参数 ----

def parameter_breakdown(network):
    """网络里每一层的参数个数与占比。

    Parameters
    ----------
    network : lib.Sequential

    Returns
    -------
    list of dict：``index``、``layer``（``str(layer)``，与 ``print(network)`` 的一行相同）、
    ``name``（类名）、``count``（参数个数）、``share``（占全部参数的比例，0–1）。
    """
    if not isinstance(network, Sequential):
        raise TypeError(f'期望 lib.Sequential，实际得到 {type(network).__name__}')
    total = network.parameter_count()
    rows = []
    for index, layer in enumerate(network.layers):
        count = sum(p.data.size for p in layer.parameters())
        rows.append({'index': index, 'layer': str(layer), 'name': type(layer).__name__,
                     'count': int(count), 'share': count / total if total else 0.0})
    return rows


def parameter_table(rows):
    """``parameter_breakdown`` 的结果写成 Markdown 表格，最后一行是合计。"""
    body = [(r['index'], f'`{r["layer"]}`', f'{r["count"]:,}', f'{r["share"]:.2%}') for r in rows]
    total = sum(r['count'] for r in rows)
    body.append(('', '**合计**', f'**{total:,}**', '**100%**'))
    return markdown_table(('#', '层', '参数个数', '占比'), body)


def parameter_chart(rows):
    """有参数的各层的参数个数，横向条形图，标出个数与占比。"""
    rows = [r for r in rows if r['count'] > 0]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(rows) + 1.2))
    names = [f'{r["index"]}: {r["name"]}' for r in rows]
    counts = [r['count'] for r in rows]
    bars = ax.barh(names, counts, color=[f'C{i}' for i in range(len(rows))])
    for bar, r in zip(bars, rows, strict=True):
        ax.text(bar.get_width() + max(counts) * 0.01, bar.get_y() + bar.get_height() / 2,
                f'{r["count"]:,}（{r["share"]:.2%}）', va='center', fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(counts) * 1.3)
    ax.set_xlabel('参数个数')
    ax.set_title('各层的参数个数', fontsize=11)
    fig.tight_layout()
    return fig
