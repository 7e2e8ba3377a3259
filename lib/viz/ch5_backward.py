"""画图与控件（第 5 章 反向传播也是卷积）。

图里的数都由调用者用 lib 算好再传进来（``lib.Convolution``、``lib.ConvTranspose``、
``lib.transposed.dilate``）；这里只负责画。控件的几何关系（谁读谁）由 ``backward_state`` 按公式
``输入行 p = i·s + m`` 算出，测试再用 lib 的自动微分逐个核对。

* ``backward_example_figure``：手算的小例子，dW = X ⋆ dY 与 dX = 填充的 dY ⋆ 翻转的 W。
* ``dilation_figure``：步幅 2 时，dY 先插 0（膨胀）、再填充，翻转的卷积核滑过它。
* ``matrix_figure``：卷积的矩阵 C 与它的转置 Cᵀ。
* ``image_row``：一排热图（上采样、棋盘格、膨胀卷积的取样点）。
* ``backward_state``、``BackwardFigure``、``BackwardExplorer``、``backward_animation``：
  选一个输出像素，看它的梯度到达哪些输入像素和权重；选一个输入像素，看哪些输出读了它；
  步幅 1 或 2（ipywidgets；在线书在同一位置显示页内探索器 ``booktools/explorers/backward.js``）。
"""

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.animation import FuncAnimation
from matplotlib.colors import ListedColormap

from ..tensor import shape_error
from .draw import animation_html, draw_numbers, outline, show_image
from .explorer import Explorer
from .style import DIVERGING, HIGHLIGHT, symmetric_limit

__all__ = ['backward_example_figure', 'dilation_figure', 'matrix_figure', 'image_row', 'weight_name',
           'backward_state', 'BackwardFigure', 'BackwardExplorer', 'backward_animation', 'animation_html',
           'MODES']

MODES = {'input': '选输入像素：哪些输出读了它', 'output': '选输出像素：它的梯度去哪里'}
# 格子的三种底色：普通、被牵连的、选中的
CELL_COLORS = ListedColormap(['#f2f2f2', '#fdd0a2', HIGHLIGHT])


def weight_name(m, n, k):
    """卷积核第 m 行第 n 列的权重的名字：k ≤ 5 时是字母 a、b、c……（按行），否则是 ``m,n``。"""
    return 'abcdefghijklmnopqrstuvwxy'[m * k + n] if k <= 5 else f'{m},{n}'


# ---- 手算的小例子 ----

def integer_format(value):
    return f'{value:g}'


def backward_example_figure(X, W, dY, dW, dX):
    """两排图。上排：X、dY、dW = X ⋆ dY；下排：填充的 dY、翻转的 W、dX。

    Parameters
    ----------
    X : (H, W)；W : (k, k)；dY : (out_h, out_w)，步幅 1、不填充；dW、dX：调用者算出的梯度。
    """
    X, W, dY = (np.asarray(a, dtype=float) for a in (X, W, dY))
    k = W.shape[0]
    if dY.shape != (X.shape[0] - k + 1, X.shape[1] - k + 1):
        raise shape_error('backward_example_figure', f'dY 形状 {(X.shape[0] - k + 1, X.shape[1] - k + 1)}',
                          dY.shape)
    padded = np.pad(dY, k - 1)
    panels = [[(X, 'X（输入）'), (dY, 'dY（输出的梯度）'), (dW, 'dW = X ⋆ dY')],
              [(padded, f'dY 四周补 {k - 1} 圈 0'), (W[::-1, ::-1], 'W 翻转 180°'),
               (dX, 'dX = 填充的 dY ⋆ 翻转的 W')]]
    widths = [max(p[0].shape[1] for p in column) for column in zip(*panels, strict=True)]
    fig, axes = plt.subplots(2, 3, figsize=(10, 6.2), gridspec_kw={'width_ratios': widths})
    for row, ax_row in zip(panels, axes, strict=True):
        for (matrix, title), ax in zip(row, ax_row, strict=True):
            limit = symmetric_limit(matrix)
            draw_numbers(ax, matrix, title, cmap=DIVERGING, vmin=-limit, vmax=limit, fmt=integer_format)
    outline(axes[0, 0], 0, 0, *dY.shape)                     # dY 作为“卷积核”的第一个位置
    outline(axes[1, 0], 0, 0, k, k)                          # 翻转的 W 的第一个位置
    for ax in axes.flat:
        ax.title.set_fontsize(10)
    fig.tight_layout()
    return fig


def dilation_figure(dY, stride, kernel_size, dilated, pixel=(0, 0)):
    """步幅 s 时的 dY：原样、膨胀（相邻元素之间插 s - 1 个 0）、再四周补 k - 1 圈 0；
    最后一张上框出翻转的卷积核在输入像素 ``pixel`` 处的位置。``dilated`` 由调用者用 lib 算好。"""
    dY = np.asarray(dY, dtype=float)
    k = kernel_size
    padded = np.pad(dilated, k - 1)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6),
                             gridspec_kw={'width_ratios': [dY.shape[1], dilated.shape[1], padded.shape[1]]})
    titles = ['dY', f'膨胀：相邻元素之间插 {stride - 1} 个 0', f'再四周补 {k - 1} 圈 0（full）']
    for ax, matrix, title in zip(axes, (dY, dilated, padded), titles, strict=True):
        limit = symmetric_limit(matrix)
        draw_numbers(ax, matrix, title, cmap=DIVERGING, vmin=-limit, vmax=limit, fmt=integer_format)
        ax.title.set_fontsize(10)
    outline(axes[2], pixel[0], pixel[1], k, k)
    fig.tight_layout()
    return fig


def matrix_figure(C, in_shape, out_shape):
    """卷积的矩阵 C（形状 (输出像素数, 输入像素数)）与 Cᵀ，红正蓝负、0 为白色。"""
    C = np.asarray(C, dtype=float)
    if C.shape != (int(np.prod(out_shape)), int(np.prod(in_shape))):
        raise shape_error('matrix_figure', f'C 形状 {(int(np.prod(out_shape)), int(np.prod(in_shape)))}',
                          C.shape)
    limit = symmetric_limit(C)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={'width_ratios': [C.shape[1], C.shape[0]]})
    for ax, matrix, title, rows, columns in (
            (axes[0], C, f'C：{C.shape[0]}×{C.shape[1]}（y = C x）', '输出像素', '输入像素'),
            (axes[1], C.T, f'Cᵀ：{C.shape[1]}×{C.shape[0]}（dx = Cᵀ dy）', '输入像素', '输出像素')):
        ax.imshow(matrix, cmap=DIVERGING, vmin=-limit, vmax=limit)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f'{columns}（按行展平）', fontsize=9)
        ax.set_ylabel(rows, fontsize=9)
        ax.set_xticks(np.arange(-0.5, matrix.shape[1], 5), minor=True)
        ax.set_yticks(np.arange(-0.5, matrix.shape[0], 5), minor=True)
        ax.grid(which='minor', color='#dddddd', linewidth=0.5)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def image_row(images, titles, cmap='gray', shared=False, size=2.4, marks=None):
    """一排图。``shared`` 时共用一个色阶；``marks`` 是每张图上要标出的像素列表 [(行, 列), …] 或 None。"""
    images = [np.asarray(image, dtype=float) for image in images]
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.5), squeeze=False)
    low = min(float(image.min()) for image in images)
    high = max(float(image.max()) for image in images)
    for index, (ax, image, title) in enumerate(zip(axes[0], images, titles, strict=True)):
        limits = dict(vmin=low, vmax=high) if shared else {}
        show_image(ax, image, title, cmap=cmap, **limits)
        ax.title.set_fontsize(9)
        if marks is not None and marks[index]:
            rows, columns = zip(*marks[index], strict=True)
            ax.scatter(columns, rows, s=22, facecolors='none', edgecolors=HIGHLIGHT, linewidths=1.6)
    fig.tight_layout()
    return fig


# ---- 控件：谁读谁 ----

def backward_state(size=7, kernel_size=3, stride=1, mode='input', row=3, col=3):
    """一层 ``size×size`` 输入、k×k 卷积核、步幅 ``stride``、不填充的卷积里“谁读谁”。

    前向：输出 (i, j) 读输入 (i·s + m, j·s + n)，乘权重 (m, n)。

    * ``mode='output'``：(row, col) 是输出像素。它的梯度 dY[i, j] 到达窗口里的 k² 个输入像素
      （dX[i·s + m, j·s + n] += dY[i, j]·W[m, n]）和全部 k² 个权重（dW[m, n] += dY[i, j]·X[…]）。
    * ``mode='input'``：(row, col) 是输入像素 (p, q)。读它的输出是满足 p = i·s + m、q = j·s + n
      的 (i, j)，最多 k² 个；步幅 2 时少得多。这正是 dY 膨胀后，翻转的卷积核在 (p, q) 处盖住的非零元素。

    Returns
    -------
    dict：``out``（输出边长）、``row``、``col``（截到有效范围内）、``inputs``、``outputs``
    （{像素: 连接它们的权重 (m, n)，选中的那个像素为 None}）、``weights``（用到的权重集合）、
    ``dilated``（膨胀并填充后的 dY 里，每个真实元素的位置 → 输出像素）、``window``（input 模式下
    翻转的卷积核在那张图上的左上角，否则 None）。
    """
    k, s = kernel_size, stride
    if mode not in MODES:
        raise ValueError(f'mode 期望是 {list(MODES)} 之一，实际得到 {mode!r}')
    if size < k:
        raise ValueError(f'backward_state 期望输入边长 size ≥ 卷积核边长 {k}，实际 size={size}')
    out = (size - k) // s + 1
    limit = (size if mode == 'input' else out) - 1
    row, col = min(max(row, 0), limit), min(max(col, 0), limit)
    if mode == 'output':
        inputs = {(row * s + m, col * s + n): (m, n) for m in range(k) for n in range(k)}
        outputs = {(row, col): None}
        weights = {(m, n) for m in range(k) for n in range(k)}
    else:
        outputs = {((row - m) // s, (col - n) // s): (m, n) for m in range(k) for n in range(k)
                   if (row - m) % s == 0 and (col - n) % s == 0
                   and 0 <= (row - m) // s < out and 0 <= (col - n) // s < out}
        inputs = {(row, col): None}
        weights = set(outputs.values())
    dilated = {(i * s + k - 1, j * s + k - 1): (i, j) for i in range(out) for j in range(out)}
    return {'size': size, 'k': k, 'stride': s, 'mode': mode, 'out': out, 'row': row, 'col': col,
            'inputs': inputs, 'outputs': outputs, 'weights': weights, 'dilated': dilated,
            'window': (row, col) if mode == 'input' else None}


class CellPanel:
    """一张格子图：底色（0 普通、1 被牵连、2 选中）与每格的文字，``show`` 只换数据、不重建图元。"""

    def __init__(self, ax, shape, fontsize=9, ticks=True):
        self.ax, self.shape = ax, shape
        self.image = ax.imshow(np.zeros(shape), cmap=CELL_COLORS, vmin=0, vmax=2)
        ax.set_xticks(np.arange(-0.5, shape[1], 1), minor=True)
        ax.set_yticks(np.arange(-0.5, shape[0], 1), minor=True)
        ax.grid(which='minor', color='white', linewidth=1.5)
        ax.tick_params(which='both', length=0, labelsize=7)
        ax.set_xticks(range(shape[1]) if ticks else [])     # 行号、列号（刻度画起来慢：只在需要的图上画）
        ax.set_yticks(range(shape[0]) if ticks else [])
        self.texts = [[ax.text(j, i, '', ha='center', va='center', fontsize=fontsize,
                               family='DejaVu Sans') for j in range(shape[1])] for i in range(shape[0])]
        self.box = outline(ax, 0, 0, 1, 1)

    def show(self, levels, labels, title, box=None):
        """``levels``：{(行, 列): 0/1/2}；``labels``：{(行, 列): 文字}；``box``：(行, 列, 高, 宽) 或 None。"""
        grid = np.zeros(self.shape)
        for place, level in levels.items():
            grid[place] = level
        self.image.set_data(grid)
        for i, row in enumerate(self.texts):
            for j, text in enumerate(row):
                text.set_text(labels.get((i, j), ''))
        self.ax.set_title(title, fontsize=9.5)
        self.box.set_visible(box is not None)
        if box is not None:
            top, left, height, width = box
            self.box.set_xy((left - 0.5, top - 0.5))
            self.box.set_height(height)
            self.box.set_width(width)


class BackwardFigure:
    """四张格子图：输入 X、卷积核 W（权重记作 a、b、c……）、输出 dY、膨胀并填充的 dY。

    ``update`` 只换格子的底色与文字（步幅变了才重建格子），返回 ``backward_state`` 的结果。
    """

    def __init__(self, size=7, kernel_size=3, stride=1, mode='input', row=3, col=3, figsize=(13, 3.9),
                 dpi=None):
        self.size, self.k = size, kernel_size
        self.fig, self.axes = plt.subplots(1, 4, figsize=figsize, dpi=dpi,
                                           gridspec_kw={'width_ratios': [size, kernel_size + 1, size, 9]})
        self.title = self.fig.suptitle('', fontsize=11)
        self.stride, self.panels, self.state = None, None, None
        self.update(stride, mode, row, col)
        self.fig.tight_layout()              # 只排一次版：每次都排版太慢（动画有几十帧）

    def _build(self, stride):
        """按步幅建四张格子图（输出与膨胀 dY 的大小随步幅变）。"""
        k = self.k
        out = (self.size - k) // stride + 1
        side = (out - 1) * stride + 1 + 2 * (k - 1)
        for ax in self.axes:
            ax.clear()
        self.panels = [CellPanel(self.axes[0], (self.size, self.size)),
                       CellPanel(self.axes[1], (k, k), ticks=False),
                       CellPanel(self.axes[2], (out, out)),
                       CellPanel(self.axes[3], (side, side), fontsize=7.5, ticks=False)]
        self.stride = stride

    def update(self, stride=1, mode='input', row=3, col=3):
        state = backward_state(self.size, self.k, stride, mode, row, col)
        if stride != self.stride:
            self._build(stride)
        k, s = self.k, stride
        name = {(m, n): weight_name(m, n, k) for m in range(k) for n in range(k)}
        x_panel, w_panel, y_panel, dilated_panel = self.panels
        # 输入
        levels = {place: (2 if w is None else 1) for place, w in state['inputs'].items()}
        labels = {place: name[w] for place, w in state['inputs'].items() if w is not None}
        if mode == 'output':
            x_panel.show(levels, labels, f'X：窗口里的 {len(labels)} 个像素收到梯度')
        else:
            x_panel.show(levels, labels, f'X：选中像素 ({state["row"]}, {state["col"]})')
        # 卷积核
        w_panel.show({w: 1 for w in state['weights']}, name, f'W：用到 {len(state["weights"])} 个权重')
        # 输出
        levels = {place: (2 if w is None else 1) for place, w in state['outputs'].items()}
        labels = {place: name[w] for place, w in state['outputs'].items() if w is not None}
        if mode == 'output':
            y_panel.show(levels, labels, f'dY：选中输出 ({state["row"]}, {state["col"]})')
        else:
            y_panel.show(levels, labels, f'dY：{len(labels)} 个输出读了它（步幅 {s}）')
        # 膨胀并填充的 dY：数字是输出的行列；input 模式下框出翻转的卷积核
        levels = {place: (2 if ij in state['outputs'] else 1) for place, ij in state['dilated'].items()}
        labels = {place: f'{ij[0]}{ij[1]}' for place, ij in state['dilated'].items()}
        if mode == 'input':
            p, q = state['window']
            for u in range(k):
                for v in range(k):
                    flipped = name[k - 1 - u, k - 1 - v]                      # 翻转的卷积核
                    ij = state['dilated'].get((p + u, q + v))
                    labels[p + u, q + v] = flipped if ij is None else f'{ij[0]}{ij[1]}·{flipped}'
            dilated_panel.show(levels, labels, '膨胀、填充的 dY；框里是翻转的 W', box=(p, q, k, k))
        else:
            dilated_panel.show(levels, labels, '膨胀、填充的 dY（数字是输出的行列）')
        self.title.set_text(f'{self.size}×{self.size} 输入，{k}×{k} 卷积核，步幅 {s}：{MODES[mode]}')
        self.state = state
        return state


class BackwardExplorer(Explorer):
    """反向传播探索器（ipywidgets）：选输入像素或输出像素，步幅 1 或 2。

    需要 Jupyter 内核；在线书在同一位置显示页内探索器（``booktools/explorers/backward.js``）。
    控件都是公开属性：``mode``、``stride``、``row``、``col``；``state`` 是最近一次的 ``backward_state``。
    """

    def __init__(self, size=7, kernel_size=3, stride=1, mode='input', row=3, col=3):
        import ipywidgets as w

        super().__init__()
        self.mode = w.ToggleButtons(options=[(text, key) for key, text in MODES.items()], value=mode,
                                    description='看什么')
        self.stride = w.ToggleButtons(options=[('1', 1), ('2', 2)], value=stride, description='步幅')
        self.row = w.IntSlider(value=row, min=0, max=size - 1, description='行')
        self.col = w.IntSlider(value=col, min=0, max=size - 1, description='列')
        self.figure = self.own(BackwardFigure(size, kernel_size, stride, mode, row, col))
        self.watch(self.mode, self.stride, handler=self._on_layout)
        self.watch(self.row, self.col)
        self.widget = w.VBox([self.mode, self.stride, w.HBox([self.row, self.col]), self.output])
        self._on_layout()

    def _on_layout(self, change=None):
        """换模式或步幅时，行、列滑块的范围跟着变（输入像素或输出像素）。"""
        f = self.figure
        out = (f.size - f.k) // self.stride.value + 1
        limit = (f.size if self.mode.value == 'input' else out) - 1
        with self.silently():
            for slider in (self.row, self.col):
                slider.max = limit
                slider.value = min(slider.value, limit)
        self.update()

    def compute(self):
        return self.figure.update(self.stride.value, self.mode.value, self.row.value, self.col.value)


def backward_animation(stride=2, mode='input', size=7, kernel_size=3, side=None, interval=800, dpi=60):
    """``mode`` 下依次选每个像素（按行）的动画；在线书里用 ``animation_html(anim, alt)`` 嵌入。

    ``side`` 给出时只走左上角 side×side 个像素（步幅 2 时，4×4 个就包含了每一种情形）。
    返回的动画带 ``positions``（每帧选中的像素）与 ``figure``（BackwardFigure）。
    """
    figure = BackwardFigure(size, kernel_size, stride, mode, 0, 0, dpi=dpi)
    limit = size if mode == 'input' else (size - kernel_size) // stride + 1
    side = limit if side is None else min(side, limit)
    positions = [(i, j) for i in range(side) for j in range(side)]
    anim = FuncAnimation(figure.fig, lambda f: figure.update(stride, mode, *positions[f]),
                         frames=len(positions), interval=interval)
    anim.positions, anim.figure = positions, figure
    plt.close(figure.fig)
    return anim
