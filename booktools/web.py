"""在线书的页内探索器：自带数据与 JavaScript 的 HTML，不需要 Python 内核，也不访问任何外部网站。

每个探索器 = 一个 ``div.book-explorer[data-kind=…]`` + 一段 JSON 配置（数据由 Python 在构建时写入）
+ 共用的小模块 ``explorers/common.js``（画矩阵、色阶、带标签的控件、与 lib 同样定义的卷积/池化/线性层）
+ 这个探索器自己的 ``explorers/<kind>.js``。数据都来自 lib：数字来自 ``lib.load_digits()``，
卷积核预设来自 ``lib.viz.kernels.KERNELS``，颜色来自 ``lib.viz.style.palette_data()``，训练好的网络的权重
来自构建时执行的章节（所以不是手工提交的文件）。控件取值很少、每一种都要训练或前向的（第 7 章的深网络
统计量、类激活图），在构建时用 lib 把每一种都算好写进配置，网页只负责选择与显示。

笔记本里的控件（``lib.viz.explorer.Explorer`` 的子类）在显示时同时给出两种表示：JupyterLab 显示
ipywidgets 控件，在线书（myst-nb，见 _config.yml 的 ``nb_mime_priority_overrides``）显示这里生成的
页内探索器，二者用同样的数据：``page_html(explorer)``。

给新的一章加一个页内探索器：
1. 写 ``booktools/explorers/<kind>.js``：``bookExplorer.register('<kind>', (div, config, ui) => {…})``，
   用 ``ui`` 里的控件与画图函数搭界面，把显示的数字放进 ``div.explorerState`` 供测试读取；
2. 在这里写 ``<kind>_config(…)``（返回可 ``json.dumps`` 的 dict），并在 ``PAGE_EXPLORERS`` 里把控件的类名
   映射到一个从控件实例取数据的函数；
3. 在 tests/test_web_explorers.py（第 1–4 章）或 tests/test_web_explorers_advanced.py（第 5–7 章）里
   加一个浏览器测试：改控件，读 ``explorerState``，与 lib 对照。
"""

import base64
import json
from html import escape
from pathlib import Path

import numpy as np

from lib.data import load_digits
from lib.viz.kernels import KERNELS, feature_maps
from lib.viz.style import palette_data

HERE = Path(__file__).resolve().parent / 'explorers'
COMMON_JS = HERE / 'common.js'
EXPLORER_JS = HERE / 'kernel.js'          # 第 1 章卷积核探索器（旧名字，测试仍用它）
ONLINE_DIGITS = 100                       # 页内探索器带上测试集的前 100 张数字
NOSCRIPT = ('这个探索器需要 JavaScript；也可以在 Jupyter 里运行本章（make lab），'
            '用笔记本里的控件做同样的实验。')


def script(kind):
    """``explorers/<kind>.js`` 的源码。"""
    path = HERE / f'{kind}.js'
    if not path.is_file():
        raise ValueError(f'没有页内探索器 {kind!r}：期望文件 {path}')
    return path.read_text(encoding='utf-8')


def explorer_block(kind, config, css_class=''):
    """一个页内探索器的完整 HTML：容器、JSON 配置、``<noscript>`` 说明，以及内联的共用模块与它自己的脚本。

    两个脚本在同一页面里出现多次也无妨：共用模块只定义一次，每个探索器只初始化一次。
    """
    data = json.dumps(config, ensure_ascii=False, separators=(',', ':'))
    data = data.replace('</', '<\\/')          # JSON 里不能出现 </script>
    classes = ' '.join(filter(None, ['book-explorer', css_class]))
    return (f'<div class="{classes}" data-kind="{kind}">\n'
            f'<script type="application/json">{data}</script>\n'
            f'<noscript><p>{escape(NOSCRIPT)}</p></noscript>\n'
            f'</div>\n<script>\n{COMMON_JS.read_text(encoding="utf-8")}</script>\n'
            f'<script>\n{script(kind)}</script>\n')


# ---- 数据的编码 ----

def digits_data(images, labels, count=ONLINE_DIGITS):
    """前 ``count`` 张数字：{labels, size, pixels}，pixels 是 uint8（0–255）的 base64。

    tinymnist 存的就是 uint8，``lib.load_digits`` 除以 255；网页同样除以 255，所以像素与 lib 完全相同。
    """
    images = np.asarray(images)[:count]
    pixels = np.rint(images * 255) if images.dtype != np.uint8 else images
    if np.abs(pixels / 255 - images).max() > 1e-6:
        raise ValueError('页内探索器期望灰度为 k/255 的数字图（与 tinymnist 相同）')
    return {'labels': [int(v) for v in np.asarray(labels)[:count]], 'size': int(images.shape[1]),
            'pixels': base64.b64encode(pixels.astype(np.uint8).tobytes()).decode('ascii')}


def float32_data(array):
    """float32 数组（小端）的 base64：权重原样写进页面，不丢精度。"""
    return base64.b64encode(np.asarray(array, dtype='<f4').tobytes()).decode('ascii')


def kernel_presets(names=None):
    return {name: np.round(KERNELS[name].astype(float), 8).tolist() for name in (names or KERNELS)}


def default_digit_indices(labels):
    """每个类别 0–9 在测试集里的第一张图的序号，按类别排列。"""
    return [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]


def pixel_list(image):
    """图像的嵌套列表，保留 4 位小数；0 与 1 写成整数，让 JSON 短一些。"""
    return [[v if v % 1 else int(v) for v in row] for row in np.round(image.astype(float), 4).tolist()]


# ---- 各个探索器的配置 ----

def explorer_config(index=0, default_preset='竖直边缘', images=None, labels=None):
    """第 1 章卷积核探索器的配置：与 ``KernelExplorer(images, labels, index, kernel)`` 相同的数字与预设。

    窗口一开始停在这张数字响应最强（绝对值最大）的位置 ``start``，而不是空白处。
    """
    if default_preset not in KERNELS:
        raise ValueError(f'未知的卷积核预设 {default_preset!r}，可选：{list(KERNELS)}')
    if images is None:
        images, labels = load_digits()
    fmap = feature_maps(images[index], [default_preset])[0]
    start = [int(v) for v in np.unravel_index(np.abs(fmap).argmax(), fmap.shape)]
    return {'digits': digits_data(images, labels), 'presets': kernel_presets(), 'preset': default_preset,
            'index': int(index), 'start': start, 'palette': palette_data()}


def gallery_config(index=0, kernels=tuple(KERNELS), images=None, labels=None):
    """第 1 章特征图画廊的配置（``GalleryExplorer``）。"""
    if images is None:
        images, labels = load_digits()
    return {'digits': digits_data(images, labels), 'presets': kernel_presets(), 'selected': list(kernels),
            'index': int(index), 'palette': palette_data()}


def im2col_config(image, kernel, bias, stride=1, padding=0, max_stride=3, max_padding=2):
    """第 2 章图转列探索器的配置（``Im2colExplorer``）：小图、卷积核、偏置与滑块范围。"""
    return {'image': np.asarray(image, dtype=float).tolist(),
            'kernel': np.asarray(kernel, dtype=float).tolist(), 'bias': float(bias),
            'stride': int(stride), 'padding': int(padding), 'max_stride': int(max_stride),
            'max_padding': int(max_padding), 'palette': palette_data()}


def feature_map_config(conv, images, labels, predicted=None, index=0, channel=0, relu=False):
    """第 3 章特征图探索器的配置（``FeatureMapExplorer``）：训练好的卷积层的权重与偏置（float32 原样）。"""
    weight = np.asarray(conv.weight.data, dtype=np.float32)
    if weight.shape[1] != 1:
        raise ValueError(f'特征图探索器期望单通道输入的卷积层，实际权重形状 {weight.shape}')
    if predicted is not None:
        predicted = [int(v) for v in np.asarray(predicted)[:ONLINE_DIGITS]]
    return {'digits': digits_data(images, labels), 'predicted': predicted,
            'weight': float32_data(weight), 'bias': float32_data(conv.bias.data),
            'channels': int(weight.shape[0]), 'k': int(weight.shape[-1]), 'index': int(index),
            'channel': int(channel), 'relu': bool(relu), 'palette': palette_data()}


def pooling_config(images, labels, kernels, index=0, size=2, mode='max', sizes=(2, 3, 4)):
    """第 4 章池化探索器的配置（``PoolingExplorer``）。"""
    from lib.viz.ch4_pooling import MODES

    return {'digits': digits_data(images, labels), 'kernels': kernel_presets(kernels), 'sizes': list(sizes),
            'modes': dict(MODES), 'index': int(index), 'size': int(size), 'mode': mode,
            'palette': palette_data()}


def backward_config(size=7, kernel_size=3, stride=1, mode='input', row=3, col=3):
    """第 5 章反向传播探索器的配置（``BackwardExplorer``）：几何关系在网页里按同一公式算。"""
    from matplotlib.colors import to_hex

    from lib.viz.ch5_backward import CELL_COLORS, MODES, weight_name

    k = int(kernel_size)
    return {'size': int(size), 'k': k, 'stride': int(stride), 'mode': mode, 'row': int(row), 'col': int(col),
            'modes': dict(MODES), 'names': [weight_name(m, n, k) for m in range(k) for n in range(k)],
            'cell_colors': [to_hex(c) for c in CELL_COLORS.colors], 'palette': palette_data()}


def deep_stack_config(images, labels, blocks=16, width=8, seed=0, batchnorm=True, shortcut=True,
                      cache=None):
    """第 7 章深网络探索器的配置（``DeepStackExplorer``）：控件只有 2×2×4 种取值，每一种都在构建时
    用 lib 算好（``stack_statistics``，同一批数字、同一个种子）。``cache`` 里已有的
    （键 (批归一化, 捷径, 块数)）直接用，新算的也放进去。网页的键写成 ``"true,false,16"``。"""
    from lib.viz.ch7_modern import CONFIG_COLORS, CONFIGS, DEPTHS, stack_statistics

    def key(*parts):
        return ','.join(str(p).lower() for p in parts)

    cache = {} if cache is None else cache
    stats = {}
    for bn, sc in CONFIGS:
        for depth in DEPTHS:
            if (bn, sc, depth) not in cache:
                cache[bn, sc, depth] = stack_statistics(images, labels, depth, width, bn, sc, seed=seed)
            result = cache[bn, sc, depth]
            stats[key(bn, sc, depth)] = {name: [float(v) for v in result[name]]
                                         for name in ('activation_std', 'activation_grad', 'weight_grad')}
            stats[key(bn, sc, depth)]['loss'] = float(result['loss'])
    return {'depths': list(DEPTHS), 'blocks': int(blocks), 'batchnorm': bool(batchnorm),
            'shortcut': bool(shortcut), 'configs': {key(*c): name for c, name in CONFIGS.items()},
            'colors': {key(*c): colour for c, colour in CONFIG_COLORS.items()}, 'stats': stats,
            'palette': palette_data()}


def cam_config(network, images, labels, index=0, target=-1, count=ONLINE_DIGITS):
    """第 7 章类激活图查看器的配置（``CAMExplorer``）：前 ``count`` 张测试数字每个类别的类激活图与分数，
    由 lib 在构建时算好（``class_activation_maps``，网络是构建时训练的那一个），float32 原样写进页面。"""
    import matplotlib

    from lib.viz.ch7_modern import class_activation_maps

    images = np.asarray(images)[:count]
    cams, scores = class_activation_maps(network, images)
    jet = matplotlib.colormaps['jet'](np.linspace(0, 1, 256))[:, :3]
    return {'digits': digits_data(images, labels, count), 'cams': float32_data(cams),
            'scores': float32_data(scores), 'bias': [float(b) for b in network.layers[-1].bias.data],
            'h': int(cams.shape[2]), 'w': int(cams.shape[3]), 'classes': int(cams.shape[1]),
            'index': int(index) if index < count else 0, 'target': int(target),
            'jet': np.round(jet * 255).astype(int).tolist(), 'alpha': 0.45, 'palette': palette_data()}


def cost_config(values, ranges, N=1):
    """第 6 章卷积代价探索器的配置（``CostExplorer``）：六个滑块的当前值与范围
    {名字: [min, max, step, 标签]}；形状、参数、乘加与字节数在网页里按 ``lib.summary`` 的公式算。"""
    from lib.viz.style import HIGHLIGHT

    names = ('C', 'F', 'k', 'stride', 'padding', 'H')
    if set(values) != set(names) or set(ranges) != set(names):
        raise ValueError(f'卷积代价探索器期望 {names} 六个值，实际得到 {sorted(values)}')
    return {'values': {n: int(values[n]) for n in names},
            'ranges': {n: [int(r[0]), int(r[1]), int(r[2]), str(r[3])] for n, r in ranges.items()},
            'N': int(N), 'colors': ['#4c9be8', HIGHLIGHT, '#5bb774'], 'palette': palette_data()}


def network_layers(network):
    """把 ``lib.Sequential`` 的层写成网页能算的列表（丢弃层在推断时是恒等，省略）。"""
    from lib import AvgPool, Convolution, Dropout, Flatten, Linear, MaxPool, ReLU

    layers = []
    for layer in getattr(network, 'layers', [network]):
        name = type(layer).__name__
        if isinstance(layer, Convolution):
            w = layer.weight.data
            name = f'Convolution({w.shape[1]}, {w.shape[0]}, {w.shape[-1]}, padding={layer.padding})'
        elif isinstance(layer, Linear):
            name = f'Linear({layer.weight.data.shape[1]}, {layer.weight.data.shape[0]})'
        elif isinstance(layer, (MaxPool, AvgPool)):
            name = f'{name}({layer.kernel_size})'
        if isinstance(layer, Convolution):
            if getattr(layer, 'dilation', 1) != 1:
                raise ValueError('页内网络还不支持空洞卷积（dilation ≠ 1）')
            w = layer.weight.data
            layers.append({'type': 'conv', 'name': name, 'out': int(w.shape[0]), 'k': int(w.shape[-1]),
                           'stride': int(layer.stride), 'padding': int(layer.padding),
                           'weight': float32_data(w), 'bias': float32_data(layer.bias.data)})
        elif isinstance(layer, Linear):
            w = layer.weight.data
            layers.append({'type': 'linear', 'name': name, 'out': int(w.shape[0]),
                           'weight': float32_data(w), 'bias': float32_data(layer.bias.data)})
        elif isinstance(layer, (MaxPool, AvgPool)):
            if layer.stride != layer.kernel_size:
                raise ValueError('页内网络只支持步幅等于窗口的池化')
            layers.append({'type': 'maxpool' if isinstance(layer, MaxPool) else 'avgpool', 'name': name,
                           'k': int(layer.kernel_size)})
        elif isinstance(layer, ReLU):
            layers.append({'type': 'relu', 'name': name})
        elif isinstance(layer, Flatten):
            layers.append({'type': 'flatten', 'name': name})
        elif isinstance(layer, Dropout):
            continue
        else:
            raise ValueError(f'页内网络不认识这一层：{name}')
    return layers


def digit_config(network, examples=None):
    """“写一个数字”的配置：训练好的网络的每一层，以及几张可直接载入的测试数字。"""
    images, labels = load_digits()
    if examples is None:
        examples = default_digit_indices(labels)
    return {'layers': network_layers(network),
            'examples': [{'label': int(labels[i]), 'index': int(i), 'pixels': pixel_list(images[i])}
                         for i in examples],
            'palette': palette_data()}


# ---- 由笔记本的控件生成页内探索器 ----

def _kernel(explorer):
    config = explorer_config(explorer.digit.value, explorer.preset.value, explorer.images, explorer.labels)
    return explorer_block('kernel', config, 'kernel-explorer')


def _gallery(explorer):
    config = gallery_config(explorer.digit.value, explorer.kernels.value, explorer.images, explorer.labels)
    return explorer_block('gallery', config)


def _im2col(explorer):
    f = explorer.figure
    config = im2col_config(f.image, f.kernel, f.bias, explorer.stride.value, explorer.padding.value,
                           explorer.stride.max, explorer.padding.max)
    return explorer_block('im2col', config)


def _feature_map(explorer):
    return explorer_block('featuremap', feature_map_config(explorer.conv, explorer.images, explorer.labels,
                                                           explorer.predicted, explorer.digit.value,
                                                           explorer.channel.value, explorer.relu.value))


def _pooling(explorer):
    config = pooling_config(explorer.images, explorer.labels, explorer.figure.kernels, explorer.digit.value,
                            explorer.size.value, explorer.mode.value)
    return explorer_block('pooling', config)


def _backward(explorer):
    f = explorer.figure
    config = backward_config(f.size, f.k, explorer.stride.value, explorer.mode.value, explorer.row.value,
                             explorer.col.value)
    return explorer_block('backward', config)


def _deep_stack(explorer):
    e = explorer
    config = deep_stack_config(e.images, e.labels, e.blocks.value, e.width, e.seed, e.batchnorm.value,
                               e.shortcut.value, e.cache)
    return explorer_block('deepstack', config)


def _cam(explorer):
    config = cam_config(explorer.network, explorer.images, explorer.labels, explorer.digit.value,
                        explorer.target.value)
    return explorer_block('cam', config)


def _cost(explorer):
    sliders = {name: getattr(explorer, name) for name in ('C', 'F', 'k', 'stride', 'padding', 'H')}
    config = cost_config({n: w.value for n, w in sliders.items()},
                         {n: (w.min, w.max, w.step, w.description) for n, w in sliders.items()})
    return explorer_block('cost', config)


PAGE_EXPLORERS = {'KernelExplorer': _kernel, 'GalleryExplorer': _gallery, 'Im2colExplorer': _im2col,
                  'FeatureMapExplorer': _feature_map, 'PoolingExplorer': _pooling,
                  'BackwardExplorer': _backward, 'DeepStackExplorer': _deep_stack, 'CAMExplorer': _cam,
                  'CostExplorer': _cost}


def page_html(explorer):
    """笔记本控件对应的页内探索器（HTML）；没有对应的页内探索器时返回 None。"""
    make = PAGE_EXPLORERS.get(type(explorer).__name__)
    return None if make is None else make(explorer)


# ---- 在笔记本里直接显示 ----

def explorer_html(index=0, default_preset='竖直边缘'):
    """第 1 章卷积核探索器的 HTML（参数见 ``explorer_config``）。"""
    return explorer_block('kernel', explorer_config(index, default_preset), 'kernel-explorer')


def show_explorer(index=0, default_preset='竖直边缘'):
    """在笔记本单元格里显示卷积核探索器：返回 ``IPython.display.HTML``。"""
    from IPython.display import HTML

    return HTML(explorer_html(index, default_preset))


def draw_digit(network, examples=None):
    """“写一个数字”：返回 ``IPython.display.HTML``（网络须是推断模式，见 ``network.eval()``）。"""
    from IPython.display import HTML

    return HTML(explorer_block('digit', digit_config(network, examples)))
