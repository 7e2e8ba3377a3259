"""在线书里的卷积核探索器：一段自带数据与 JavaScript 的 HTML，不需要 Python 内核。

数字来自 ``lib.load_digits()``，卷积核预设来自 ``lib.viz.kernels.KERNELS``，颜色（红蓝色图、
框线色、黑白字的亮度分界）来自 ``lib.viz.style.palette_data()``，所以与笔记本里的
``KernelExplorer`` 用同样的数据与颜色；计算（互相关、不补零、步幅 1）由 ``explorer.js``
在浏览器里完成。页面不加载任何外部文件。
"""

import json
from html import escape
from pathlib import Path

import numpy as np

from lib.data import load_digits
from lib.viz.kernels import KERNELS, feature_maps
from lib.viz.style import palette_data

EXPLORER_JS = Path(__file__).resolve().parent / 'explorer.js'
NOSCRIPT = ('卷积核探索器需要 JavaScript；'
            '也可以在 Jupyter 里运行本章，用 lib.viz.ch1_intuition.KernelExplorer 做同样的实验。')


def default_digit_indices(labels):
    """每个类别 0–9 在测试集里的第一张图的序号，按类别排列。"""
    return [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]


def pixel_list(image):
    """图像的嵌套列表，保留 4 位小数；0 与 1 写成整数，让 JSON 短一些。"""
    return [[v if v % 1 else int(v) for v in row] for row in np.round(image.astype(float), 4).tolist()]


def explorer_config(digit_indices=None, default_preset='竖直边缘'):
    """探索器的 JSON 配置（dict）：``digits``（label、index、pixels）、``presets``、``preset``，
    窗口一开始的位置 ``start``（行, 列），以及调色板 ``palette``（见 ``lib.viz.style.palette_data``）。

    Parameters
    ----------
    digit_indices : list of int，可选
        测试集里的图像序号；默认取每个类别的第一张。
    default_preset : str
        一开始选中的卷积核预设，须是 ``KERNELS`` 的键。

    Returns
    -------
    dict，像素保留 4 位小数，可直接 ``json.dumps``。
    """
    if default_preset not in KERNELS:
        raise ValueError(f'未知的卷积核预设 {default_preset!r}，可选：{list(KERNELS)}')
    images, labels = load_digits()
    if digit_indices is None:
        digit_indices = default_digit_indices(labels)
    digits = [{'label': int(labels[i]), 'index': int(i), 'pixels': pixel_list(images[i])}
              for i in digit_indices]
    presets = {name: np.round(kernel.astype(float), 8).tolist() for name, kernel in KERNELS.items()}
    # 窗口一开始停在第一个数字响应最强（绝对值最大）的位置，而不是空白处
    fmap = feature_maps(images[digit_indices[0]], [default_preset])[0]
    start = [int(v) for v in np.unravel_index(np.abs(fmap).argmax(), fmap.shape)]
    return {'digits': digits, 'presets': presets, 'preset': default_preset, 'start': start,
            'palette': palette_data()}


def explorer_html(digit_indices=None, default_preset='竖直边缘'):
    """卷积核探索器的完整 HTML：容器、JSON 配置、内联的 ``explorer.js`` 与 ``<noscript>`` 说明。

    参数见 ``explorer_config``。脚本在同一页面出现多次也无妨（每个探索器只初始化一次）。

    Returns
    -------
    str
    """
    config = json.dumps(explorer_config(digit_indices, default_preset), ensure_ascii=False,
                        separators=(',', ':'))
    config = config.replace('</', '<\\/')          # JSON 里不能出现 </script>
    script = EXPLORER_JS.read_text(encoding='utf-8')
    return (f'<div class="kernel-explorer">\n'
            f'<script type="application/json">{config}</script>\n'
            f'<noscript><p>{escape(NOSCRIPT)}</p></noscript>\n'
            f'</div>\n<script>\n{script}</script>\n')


def show_explorer(digit_indices=None, default_preset='竖直边缘'):
    """在笔记本单元格里显示探索器：返回 ``IPython.display.HTML``，参数见 ``explorer_config``。"""
    from IPython.display import HTML

    return HTML(explorer_html(digit_indices, default_preset))
