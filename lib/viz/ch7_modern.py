"""第 7 章 现代卷积网络的积木：图与控件。

* 深网络在初始化时的逐层统计量：``stack_statistics``（每个块输出的标准差、梯度的均方根，
  每个卷积层权重梯度的范数），``statistics_figure`` 把几种结构画在一起；
  ``DeepStackExplorer``（开关批归一化与捷径、换深度）。
* 批归一化与学习率：``curves_figure`` 把几条训练曲线并排画出。
* 类激活图（class activation map，CAM）：``class_activation_maps``、``cam_figure``、``CAMExplorer``。
* 网络学到了什么：``kernel_figure``（第一层卷积核）、``second_layer_maps``、``feature_map_figure``。
"""

import numpy as np
from matplotlib import pyplot as plt
from scipy.ndimage import zoom

from .. import layers
from ..blocks import GlobalAvgPool, ResidualBlock
from ..convolution import Convolution
from ..data import load_digits
from ..layers import Linear
from ..losses import CELoss
from ..tensor import Tensor, shape_error
from ..zoo import deep_stack
from .draw import show_image
from .explorer import Explorer
from .style import DIVERGING, symmetric_limit

# (批归一化, 捷径) → 名字与颜色
CONFIGS = {(False, False): '平坦，无批归一化', (False, True): '残差，无批归一化',
           (True, False): '平坦 + 批归一化', (True, True): '残差 + 批归一化'}
CONFIG_COLORS = {(False, False): '#8c8c8c', (False, True): '#d62728', (True, False): '#ff7f0e',
                 (True, True): '#1f77b4'}
DEPTHS = (4, 8, 16, 24)


def one_hot(labels, classes=10):
    labels = np.asarray(labels, dtype=np.intp)
    targets = np.zeros((len(labels), classes), dtype=np.float32)
    targets[np.arange(len(labels)), labels] = 1
    return targets


def conv_layers(network):
    """网络里的卷积层，按前向的顺序（残差块里先 conv1 再 conv2，不含 1×1 投影）。"""
    found = []
    for layer in network.layers:
        if isinstance(layer, Convolution):
            found.append(layer)
        elif isinstance(layer, ResidualBlock):
            found += [layer.conv1, layer.conv2]
    return found


def stack_statistics(images, labels, blocks=16, width=8, batchnorm=True, shortcut=True, seed=0):
    """搭一个 ``lib.zoo.deep_stack``（随机初始化，不训练），让一批数字前向、反向各一次，记下逐层的统计量。

    Parameters
    ----------
    images : ndarray，形状 (N, 28, 28)
    labels : ndarray，形状 (N,)，整数标签
    seed : int
        权重初始化的种子（只在这里用，不打乱各层共用的随机数序列）。

    Returns
    -------
    dict：``activation_std``（每个块输出的标准差）、``activation_grad``（损失对每个块输出的梯度的均方根）、
    ``weight_grad``（每个卷积层权重梯度的范数，共 2·blocks + 1 个）、``loss``。
    """
    saved = layers.rng
    layers.seed(seed)
    try:
        network = deep_stack(blocks, width, batchnorm=batchnorm, shortcut=shortcut)
    finally:
        layers.rng = saved
    h = Tensor(np.asarray(images, dtype=np.float32)[:, None], requires_grad=False)
    outputs = []
    for layer in network.layers:
        h = layer(h)
        if isinstance(layer, ResidualBlock):
            outputs.append(h)
    loss = CELoss()(h, Tensor(one_hot(labels), requires_grad=False))
    loss.backward()
    return {'activation_std': np.array([float(o.data.std()) for o in outputs]),
            'activation_grad': np.array([float(np.sqrt(np.mean(o.grad ** 2))) for o in outputs]),
            'weight_grad': np.array([float(np.linalg.norm(c.weight.grad)) for c in conv_layers(network)]),
            'loss': float(loss.data)}


def statistics_figure(results, figsize=(11, 3.6)):
    """三张图：每个块输出的标准差、损失对它的梯度（均方根）、每个卷积层权重梯度的范数，纵轴对数。

    Parameters
    ----------
    results : dict，(批归一化, 捷径) → ``stack_statistics`` 的结果
    """
    fig, axes = plt.subplots(1, 3, figsize=figsize)
    panels = (('activation_std', '每个块输出的标准差', '块'),
              ('activation_grad', '损失对块输出的梯度（均方根）', '块'),
              ('weight_grad', '卷积层权重梯度的范数', '卷积层（从输入数起）'))
    for ax, (key, title, xlabel) in zip(axes, panels, strict=True):
        for config, stats in results.items():
            values = stats[key]
            ax.plot(np.arange(1, len(values) + 1), values, marker='.', color=CONFIG_COLORS[config],
                    label=CONFIGS[config])
        ax.set_yscale('log')
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def gradient_ratio(stats):
    """第一个卷积层与最后一个卷积层的权重梯度范数之比：远大于 1 是梯度爆炸，远小于 1 是梯度消失。"""
    return float(stats['weight_grad'][0] / stats['weight_grad'][-1])


class StackFigure:
    """``DeepStackExplorer`` 的图：当前结构的三条曲线，外加一行说明。"""

    def __init__(self):
        self.fig = None

    def update(self, config, stats, blocks):
        if self.fig is not None:
            plt.close(self.fig)
        self.fig = statistics_figure({config: stats})
        self.fig.suptitle(f'{CONFIGS[config]}，{blocks} 个块（{2 * blocks + 1} 个卷积层）：初始损失 '
                          f'{stats["loss"]:.3g}，第一层与最后一层的权重梯度之比 {gradient_ratio(stats):.3g}',
                          fontsize=10)
        self.fig.tight_layout()
        plt.close(self.fig)


class DeepStackExplorer(Explorer):
    """深网络探索器（ipywidgets）：开关批归一化与捷径、换块数，重画初始化时的逐层统计量。

    需要在 Jupyter 里运行；在线书在同一位置显示页内探索器（``booktools/explorers/deepstack.js``），
    它的数据是构建时用 ``stack_statistics`` 算好的全部 16 种取值。

    控件是公开属性 ``batchnorm``、``shortcut``、``blocks``；``state`` 是当前结构的
    ``stack_statistics`` 结果（算过的结构会记住，来回切换不必重算）。
    """

    def __init__(self, images, labels, blocks=16, width=8, seed=0, computed=None):
        """``computed``：已经算好的 {(批归一化, 捷径): ``stack_statistics`` 的结果}（同样的 blocks、width、
        seed），例如章节里刚算过的四种结构，控件就不必再算一遍。"""
        import ipywidgets as w

        super().__init__()
        self.images, self.labels, self.width, self.seed = images, labels, width, seed
        self.batchnorm = w.Checkbox(value=True, description='批归一化')
        self.shortcut = w.Checkbox(value=True, description='捷径（残差连接）')
        self.blocks = w.ToggleButtons(options=[(f'{d} 个块', d) for d in DEPTHS], value=blocks,
                                      description='深度')
        self.cache = {(*config, blocks): stats for config, stats in (computed or {}).items()}
        self.figure = StackFigure()
        self.watch(self.batchnorm, self.shortcut, self.blocks)
        self.widget = w.VBox([w.HBox([self.batchnorm, self.shortcut]), self.blocks, self.output])
        self.update()

    def compute(self):
        config = (self.batchnorm.value, self.shortcut.value)
        key = (*config, self.blocks.value)
        if key not in self.cache:
            self.cache[key] = stack_statistics(self.images, self.labels, self.blocks.value, self.width,
                                               *config, seed=self.seed)
        self.figure.update(config, self.cache[key], self.blocks.value)
        return self.cache[key]


# ---- 批归一化与学习率：训练曲线 ----

def curves_figure(curves, learning_rates, figsize=None):
    """每个学习率一张图，画出有、无批归一化的训练损失（每一步）。

    Parameters
    ----------
    curves : dict，(名字, 学习率) → 每一步的损失（list）；名字相同的曲线用同一个颜色
    learning_rates : 学习率的列表，从左到右
    """
    names = list(dict.fromkeys(name for name, _ in curves))
    colors = dict(zip(names, ('#1f77b4', '#8c8c8c', '#ff7f0e', '#2ca02c'), strict=False))
    fig, axes = plt.subplots(1, len(learning_rates), figsize=figsize or (3.6 * len(learning_rates), 3.2),
                             sharey=True, squeeze=False)
    for ax, lr in zip(axes[0], learning_rates, strict=True):
        for name in names:
            losses = np.asarray(curves[(name, lr)], dtype=float)
            shown = np.where(np.isfinite(losses), np.minimum(losses, 5), 5)   # 发散的画在顶上
            ax.plot(np.arange(1, len(losses) + 1), shown, color=colors[name], label=name)
        ax.set_title(f'学习率 {lr}', fontsize=10)
        ax.set_xlabel('训练步数')
        ax.set_ylim(0, 5)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel('训练损失（高于 5 的画在顶上）')
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---- 类激活图 ----

def check_gap_network(network):
    layers_ = getattr(network, 'layers', None)
    if not layers_ or len(layers_) < 3 or not isinstance(layers_[-2], GlobalAvgPool) \
            or not isinstance(layers_[-1], Linear):
        raise ValueError('类激活图期望网络是 Sequential，最后两层是 GlobalAvgPool 与 Linear，'
                         f'实际最后两层是 {[type(layer).__name__ for layer in (layers_ or [])[-2:]]}')


def class_activation_maps(network, images):
    """类激活图（Zhou et al., 2016）：最后一层卷积的特征图按线性层的权重加权求和。

    对类别 c：``cam[c] = Σ_k W[c, k] · features[k]``（每个位置一个数）。全局平均池化与线性层
    都是线性的，所以 ``cam[c]`` 的平均值加上偏置 ``b[c]`` 恰好就是类别 c 的分数。

    Parameters
    ----------
    network : Sequential，最后两层是 GlobalAvgPool 与 Linear
    images : ndarray，形状 (N, H, W)

    Returns
    -------
    cams : ndarray，形状 (N, 类别数, h, w)（h、w 是最后一层特征图的高宽）
    scores : ndarray，形状 (N, 类别数)
    """
    check_gap_network(network)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise shape_error('class_activation_maps', '一批图，形状 (N, H, W)', images.shape)
    training = network.training
    network.eval()
    h = Tensor(images[:, None], requires_grad=False)
    for layer in network.layers[:-2]:
        h = layer(h)
    scores = network.layers[-1](network.layers[-2](h)).data
    if training:
        network.train()
    weight = network.layers[-1].weight.data                        # (类别数, C)
    cams = np.einsum('kc,nchw->nkhw', weight, h.data)
    return cams, scores


def upsample(cam, size):
    """把 h×w 的激活图双线性放大到 size×size，盖在原图上。"""
    return zoom(cam, (size / cam.shape[0], size / cam.shape[1]), order=1)


def show_cam(ax, image, cam, title=None):
    """原图（灰度）上半透明地盖一层类激活图（只显示正的部分，越红越“看”这里）。"""
    show_image(ax, image, title, vmin=0, vmax=1)
    big = upsample(np.maximum(cam, 0), image.shape[0])
    return ax.imshow(big / max(big.max(), 1e-12), cmap='jet', alpha=0.45, vmin=0, vmax=1)


def cam_figure(network, images, labels, indices):
    """几张测试数字：第一排原图，第二排预测类别的类激活图，第三排次高分类别的类激活图。"""
    images = np.asarray(images)[list(indices)]
    cams, scores = class_activation_maps(network, images)
    order = np.argsort(-scores, axis=1)
    fig, axes = plt.subplots(3, len(indices), figsize=(1.5 * len(indices), 4.9), squeeze=False)
    for j, index in enumerate(indices):
        first, second = int(order[j, 0]), int(order[j, 1])
        show_image(axes[0, j], images[j], f'#{index}：数字 {labels[index]}', vmin=0, vmax=1)
        show_cam(axes[1, j], images[j], cams[j, first], f'预测 {first}')
        show_cam(axes[2, j], images[j], cams[j, second], f'次高 {second}')
    axes[1, 0].set_ylabel('预测类别', fontsize=9)
    axes[2, 0].set_ylabel('次高的类别', fontsize=9)
    for ax in axes.flat:
        ax.title.set_fontsize(9)
    fig.tight_layout()
    return fig


class CAMFigure:
    """``CAMExplorer`` 的图：原图、类激活图、十个类别的概率。"""

    def __init__(self):
        self.fig, self.axes = plt.subplots(1, 3, figsize=(9, 3), gridspec_kw={'width_ratios': [1, 1, 1.6]})
        plt.close(self.fig)

    def update(self, image, cam, probabilities, label, chosen):
        for ax in self.axes:
            ax.clear()
        show_image(self.axes[0], image, f'测试数字（标签 {label}）', vmin=0, vmax=1)
        show_cam(self.axes[1], image, cam, f'类别 {chosen} 的类激活图')
        colors = ['#1f77b4'] * 10
        colors[chosen] = '#d62728'
        self.axes[2].bar(range(10), probabilities, color=colors)
        self.axes[2].set_xticks(range(10))
        self.axes[2].set_ylim(0, 1)
        self.axes[2].set_title('各类别的概率（红色：当前类别）', fontsize=10)
        self.fig.tight_layout()


class CAMExplorer(Explorer):
    """类激活图探索器（ipywidgets）：换测试数字、换类别，看网络“看”哪里。

    需要在 Jupyter 里运行；在线书在同一位置显示页内查看器（``booktools/explorers/cam.js``），
    它的数据是构建时用 ``class_activation_maps`` 算好的前 100 张测试数字的类激活图与分数。

    控件是公开属性 ``digit``（测试数字序号）与 ``target``（-1 表示预测的类别）；
    ``state`` 含 ``cam``（h×w）、``chosen``（显示的类别）、``probabilities``。
    """

    def __init__(self, network, images=None, labels=None, index=0):
        import ipywidgets as w

        super().__init__()
        check_gap_network(network)
        if images is None:
            images, labels = load_digits()
        self.network, self.images, self.labels = network, np.asarray(images, np.float32), labels
        self.digit = w.BoundedIntText(value=index, min=0, max=len(self.images) - 1, description='数字序号')
        self.target = w.Dropdown(options=[('预测的类别', -1)] + [(str(c), c) for c in range(10)], value=-1,
                                 description='类别')
        self.figure = CAMFigure()
        self.watch(self.digit, self.target)
        self.widget = w.VBox([w.HBox([self.digit, self.target]), self.output])
        self.update()

    def compute(self):
        image = self.images[self.digit.value]
        cams, scores = class_activation_maps(self.network, image[None])
        exp = np.exp(scores[0] - scores[0].max())
        probabilities = exp / exp.sum()
        chosen = int(scores[0].argmax()) if self.target.value < 0 else self.target.value
        label = None if self.labels is None else int(self.labels[self.digit.value])
        self.figure.update(image, cams[0, chosen], probabilities, label, chosen)
        return {'cam': cams[0, chosen], 'chosen': chosen, 'probabilities': probabilities}


# ---- 网络学到了什么 ----

def kernel_figure(panels, size=0.75):
    """每行一组第一层卷积核（对称色阶，红正蓝负）。

    Parameters
    ----------
    panels : list of (标题, weight)，weight 形状 (F, 1, k, k)
    """
    columns = max(len(weight) for _, weight in panels)
    fig, axes = plt.subplots(len(panels), columns, figsize=(size * columns + 1.6, size * len(panels) + 0.3),
                             squeeze=False)
    for row, (title, weight) in enumerate(panels):
        limit = symmetric_limit(weight)
        for j in range(columns):
            ax = axes[row, j]
            if j < len(weight):
                show_image(ax, weight[j, 0], cmap=DIVERGING, vmin=-limit, vmax=limit)
            else:
                ax.axis('off')
        axes[row, 0].set_ylabel(title, rotation=0, ha='right', va='center', fontsize=9)
    fig.tight_layout()
    return fig


def second_layer_maps(network, image):
    """第二个卷积层（接 ReLU）之后的特征图，形状 (C, h, w)。

    LeNet 风格网络：卷积 → ReLU → 池化 → 卷积 → ReLU；小残差网络：卷积 → 批归一化 → ReLU → 池化 →
    第一个残差块里的第一个卷积 → 批归一化 → ReLU。
    """
    training = network.training
    network.eval()
    h = Tensor(np.asarray(image, dtype=np.float32)[None, None], requires_grad=False)
    if isinstance(network.layers[4], ResidualBlock):
        for layer in network.layers[:4]:
            h = layer(h)
        block = network.layers[4]
        h = block.relu(block.bn1(block.conv1(h)))
    else:
        for layer in network.layers[:5]:
            h = layer(h)
    if training:
        network.train()
    return h.data[0]


def feature_map_figure(panels, size=0.72, columns=16):
    """每行一组特征图（每张图各用自己的色阶，亮的地方响应强）。

    Parameters
    ----------
    panels : list of (标题, maps)，maps 形状 (C, h, w)
    """
    fig, axes = plt.subplots(len(panels), columns, figsize=(size * columns + 1.8, size * len(panels) + 0.3),
                             squeeze=False)
    for row, (title, maps) in enumerate(panels):
        for j in range(columns):
            ax = axes[row, j]
            if j < len(maps):
                show_image(ax, maps[j], cmap='magma')
            else:
                ax.axis('off')
        axes[row, 0].set_ylabel(title, rotation=0, ha='right', va='center', fontsize=9)
    fig.tight_layout()
    return fig
