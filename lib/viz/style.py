"""全书图的样式：中文字体、调色板、色图，以及“格子上写黑字还是白字”的规则。

这里的颜色与规则只定义一次：笔记本里的图用它们，在线书的探索器（``booktools``）在构建时
把它们写进页面的 JSON 数据，所以网页与笔记本的颜色不会各说各话。

字体不在导入时设置：画图之前调用一次 ``setup()``（各章的导入单元格里都有）。
"""

import matplotlib
import numpy as np
from matplotlib import font_manager

# ---- 调色板 ----

HIGHLIGHT = '#ff7f0e'     # 窗口、列、当前输出像素的框线
PENDING = '#c8c8c8'       # 特征图里还没算到的格子
WINDOW_COLORS = ('#ff7f0e', '#d62728', '#2ca02c', '#9467bd', '#e377c2', '#8c564b', '#bcbd22', '#17becf')
POOL_COLORS = ('#e8743b', '#4c9be8', '#5bb774', '#b07cc6')   # 池化小例子里四个窗口的颜色
DIVERGING = 'RdBu_r'      # 卷积核、乘积、特征图：红正蓝负，0 为近白色
SEQUENTIAL = 'magma'      # 只有非负值的图（ReLU、池化之后）：0 黑，最大值亮黄
LUMINANCE_THRESHOLD = 0.179   # 底色的相对亮度高于它时写黑字（WCAG 对比度的分界）

# 特征图里尚未算到的位置（NaN）涂成灰色，与数值 0 的近白色区分开
FEATURE_CMAP = matplotlib.colormaps[DIVERGING].with_extremes(bad=PENDING)

# ---- 中文字体 ----

CJK_FONTS = ('Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei',
             'SimHei', 'Microsoft YaHei', 'PingFang SC', 'Heiti SC')


def setup():
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


# ---- 颜色规则 ----

def relative_luminance(rgb):
    """sRGB 颜色（各分量 0–1，最后一维是 r、g、b）的相对亮度（WCAG 2 的定义）。"""
    rgb = np.asarray(rgb, dtype=float)[..., :3]
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ [0.2126, 0.7152, 0.0722]


def text_color(artist, value):
    """格子底色够亮就写黑字，否则写白字；``value`` 可以是一个数或一个数组。

    底色取自图元自己的色图与数值范围（``artist.cmap(artist.norm(value))``）。
    """
    colors = np.where(relative_luminance(artist.cmap(artist.norm(value))) > LUMINANCE_THRESHOLD,
                      'black', 'white')
    return str(colors) if colors.ndim == 0 else colors


def symmetric_limit(values):
    """红蓝色图的对称范围：±最大绝对值（全零时取一个很小的正数）。"""
    return max(float(np.nanmax(np.abs(values))), 1e-6)


def palette_data(steps=256):
    """给网页用的调色板（可直接 ``json.dumps``）：红蓝色图的 ``steps`` 个采样点（0–255 的整数 RGB，
    从 -1 到 +1）、顺序色图 magma 的采样点（从 0 到 1）、框线色、未算到的格子的颜色与黑白字的亮度分界。"""
    samples = matplotlib.colormaps[DIVERGING](np.linspace(0, 1, steps))[:, :3]
    sequential = matplotlib.colormaps[SEQUENTIAL](np.linspace(0, 1, steps))[:, :3]
    return {'diverging': np.round(samples * 255).astype(int).tolist(),
            'sequential': np.round(sequential * 255).astype(int).tolist(), 'highlight': HIGHLIGHT,
            'pending': PENDING, 'luminance_threshold': LUMINANCE_THRESHOLD}
