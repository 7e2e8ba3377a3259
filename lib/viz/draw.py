"""全书共用的画图词汇：灰度图、带数值的小矩阵、框线、图片网格、把图变成 PNG、Markdown 表格。

各章的画图模块只从这里取这些小工具，不互相引用；颜色与黑白字的规则来自 ``style``。
``animation_html`` 把 matplotlib 动画变成在线书里能直接播放的 HTML。
"""

import io
import re
from html import escape

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle

from .style import DIVERGING, HIGHLIGHT, symmetric_limit, text_color


def show_image(ax, image, title=None, cmap='gray', **kwargs):
    """在 ax 上画一张灰度图，不带坐标轴。"""
    artist = ax.imshow(image, cmap=cmap, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return artist


def number_format(value):
    """整数显示成整数，其余保留两位小数。"""
    return f'{value:.0f}' if float(value).is_integer() else f'{value:.2f}'


def draw_numbers(ax, matrix, title=None, cmap='Blues', vmin=None, vmax=None, fontsize=9, fmt=number_format):
    """把矩阵画成热图并在每格写上数值（黑字或白字，见 ``style.text_color``）；返回 (图像, 文字二维列表)。"""
    matrix = np.asarray(matrix, dtype=float)
    vmin = float(np.nanmin(matrix)) if vmin is None else vmin
    vmax = float(np.nanmax(matrix)) if vmax is None else vmax
    if vmax <= vmin:
        vmax = vmin + 1
    artist = show_image(ax, matrix, title, cmap=cmap, vmin=vmin, vmax=vmax)
    colors = text_color(artist, matrix)
    texts = [[ax.text(j, i, fmt(matrix[i, j]), ha='center', va='center', fontsize=fontsize,
                      color=colors[i, j], family='DejaVu Sans')   # 只有数字：不必逐字查找中文字体
              for j in range(matrix.shape[1])] for i in range(matrix.shape[0])]
    return artist, texts


def show_matrix(ax, matrix, title=None, fmt='{:.2f}', cmap=DIVERGING, fontsize=9):
    """画一个小矩阵（对称色阶，红正蓝负），每格写上数值；返回文字二维列表（用于窗口、卷积核、乘积）。"""
    limit = symmetric_limit(matrix)
    return draw_numbers(ax, matrix, title, cmap=cmap, vmin=-limit, vmax=limit, fontsize=fontsize,
                        fmt=fmt.format)[1]


def recolor_numbers(artist, texts, values, fmt='{:.2f}'):
    """已画好的数值矩阵换上新数据：改写每格的文字与字色（色阶由调用者先设好）。"""
    artist.set_data(values)
    colors = text_color(artist, values)
    for (i, j), value in np.ndenumerate(values):
        texts[i][j].set_text(fmt.format(value + 0.0))      # + 0.0：不显示 -0.00
        texts[i][j].set_color(colors[i, j])


def outline(ax, top, left, height, width, color=HIGHLIGHT, linewidth=2.5, **kwargs):
    """在 ax 上框出从 (top, left) 起 height×width 个格子。"""
    rect = Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=color,
                     linewidth=linewidth, **kwargs)
    ax.add_patch(rect)
    return rect


def image_grid(images, titles=None, columns=8, suptitle=None, size=1.25):
    """把若干张灰度图排成网格（多余的格子留空）。

    Parameters
    ----------
    images : ndarray，形状 (n, H, W)
    titles : list of str，可选，每张图的标题
    """
    images = np.asarray(images)
    n = len(images)
    rows = max(1, -(-n // columns))
    height = size * rows + (0.4 if suptitle else 0.1)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, height), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(ax, images[i], None if titles is None else titles[i], vmin=0, vmax=1)
        else:
            ax.axis('off')
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return fig


def agg_canvas(fig):
    """图的 Agg 画布（``plt.close`` 之后的图没有画布，就配一块）。"""
    return fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)


def figure_png(fig):
    """把图画成 PNG 字节（Agg 画布按图本身的 dpi 画一次，不做 savefig 的额外排版）。"""
    buffer = io.BytesIO()
    agg_canvas(fig).print_png(buffer)
    return buffer.getvalue()


def display_figure(output, fig):
    """在 ipywidgets.Output 里换上一张新图（先清空，等新图到了再换，避免闪烁）。"""
    from IPython.display import Image, display

    png = figure_png(fig)
    with output:
        output.clear_output(wait=True)
        display(Image(data=png, format='png'))


def markdown_table(header, rows):
    """由表头与各行拼成 Markdown 表格（字符串），笔记本里用 ``IPython.display.Markdown`` 显示。"""
    lines = ['| ' + ' | '.join(map(str, header)) + ' |', '|' + ' --- |' * len(header)]
    lines += ['| ' + ' | '.join(map(str, row)) + ' |' for row in rows]
    return '\n'.join(lines)


# jshtml 播放器的按钮图标原本来自 CDN 上的 Font Awesome；换成普通字符，页面就不必访问外网
PLAYER_ICONS = {'fa fa-minus': '−', 'fa fa-fast-backward': '«', 'fa fa-step-backward': '‹',
                'fa fa-play fa-flip-horizontal': '◀', 'fa fa-pause': '❚❚', 'fa fa-play': '▶',
                'fa fa-step-forward': '›', 'fa fa-fast-forward': '»', 'fa fa-plus': '+'}
# 播放器里的英文换成中文：按钮的提示与名字、循环方式的标签；帧滑块加上名字（无障碍）
PLAYER_TEXT = {'Decrease speed': '减慢', 'First frame': '第一帧', 'Previous frame': '上一帧',
               'Play backwards': '倒放', 'Pause': '暂停', 'Play': '播放', 'Next frame': '下一帧',
               'Last frame': '最后一帧', 'Increase speed': '加快'}
PLAYER_MODES = {'Once': '播放一次', 'Loop': '循环', 'Reflect': '往返'}
# 第一帧（嵌入的 data: 网址；base64 按行折开，行尾是 JavaScript 的续行符“\”）
FIRST_FRAME = re.compile(r'frames\[0\] = "(data:image/[\w+.-]+;base64,[^"]*)"')
# matplotlib 用 setTimeout(…, 0) 推迟创建播放器；那一刻播放器若不在页面里（例如 JupyterLab 把单元格
# 暂时从页面上摘下），getElementById 得到 null，创建失败，图片一直是 0×0
DEFERRED_START = re.compile(r'(?:/\*[^*]*set a timeout[^*]*\*/\s*)?'
                            r'setTimeout\(function\(\) \{\s*(anim\w+ = new Animation\([^)]*\);)\s*\}, 0\);')
START = """/* lib.viz：脚本运行时上面的元素已在页面里，立即创建播放器；
       万一还找不到，每 100 毫秒再试一次，最多 60 秒。
       （用 var 语句开头：上一行的帧数据没有分号，以“(”开头会被当成函数调用） */
    var start = function(tries) {{
        if (document.getElementById(slider_id) && document.getElementById(img_id)) {{
            {create}
        }} else if (tries < 600) {{
            setTimeout(function() {{ start(tries + 1); }}, 100);
        }}
    }};
    start(0);"""


def animation_html(anim, alt):
    """动画的 HTML：帧与播放器都内嵌在页面里（``anim.to_jshtml()``），不访问任何外部网站。

    在 matplotlib 的 jshtml 上改几处：

    * 帧图片加上替代文字 ``alt``；去掉指向 CDN 的 Font Awesome 样式表，按钮图标改用字符；
    * 第一帧直接写进 ``<img src>``：脚本没有运行时（JupyterLab 里不受信任的输出会被去掉脚本，
      例如在别处运行、保存过的笔记本），也能看到图，而不是 0×0 的空白；
    * 播放器在脚本运行时立即创建，而不是 ``setTimeout(…, 0)`` 之后（那时播放器可能已不在页面里）；
    * 按钮、循环方式的英文换成中文，帧滑块有名字（``aria-label``），页面里没有英文界面文字。
    """
    html = anim.to_jshtml()
    first = FIRST_FRAME.search(html)
    html = html.replace('<img id=', f'<img alt="{escape(alt)}" id=', 1)
    if first:
        src = first.group(1).replace('\\\n', '')               # 去掉续行符
        html = re.sub(r'(<img alt="[^"]*" id="_anim_img\w+")>', lambda m: f'{m.group(1)} src="{src}">',
                      html, count=1)
    html = DEFERRED_START.sub(lambda match: START.format(create=match.group(1)), html, count=1)
    html = re.sub(r'<link rel="stylesheet"\s*href="https?://[^"]*font-awesome[^"]*">', '', html)
    for icon, text in PLAYER_ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{text}</span>')
    for english, chinese in PLAYER_TEXT.items():
        html = html.replace(f'title="{english}" aria-label="{english}"',
                            f'title="{chinese}" aria-label="{chinese}"')
    for english, chinese in PLAYER_MODES.items():
        html = re.sub(rf'(<label for="_anim_radio\d_\w+">){english}<', rf'\g<1>{chinese}<', html)
    html = html.replace('<input id="_anim_slider', '<input aria-label="帧" id="_anim_slider')
    return html
