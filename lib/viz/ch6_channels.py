"""画图、控件与小工具（第 6 章 通道、1×1 卷积与卷积的代价）。

图里的每个数字都来自 lib：特征图由 ``lib.Convolution`` 算出，参数、乘加与激活内存由
``lib.summary`` 数出，四种算法来自 ``lib.fastconv``。

* ``channels_state``、``ChannelsFigure``、``channels_animation``：CS231n 式的多通道卷积演示——
  C 个输入通道叠成一个体，F 个卷积核各是一个 C×k×k 的体，每个输出数是一个窗口体与一个卷积核体的
  逐元素乘积之和再加偏置；动画逐个输出位置播放（在线书用它）。
* ``cost_state``、``CostFigure``、``CostExplorer``：选 C、F、k、步幅、填充、H，看三个体的形状
  与参数、乘加、激活内存（ipywidgets；在线书里是页内探索器）；``cost_table`` 是几个典型设置的静态表。
* ``time_algorithms``、``matmul_gflops``、``timing_figure``：在本机给四种算法计时并画图。
"""

import timeit

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Polygon

from .. import layers
from ..convolution import Convolution, output_size
from ..fastconv import conv_direct, conv_fft, conv_im2col, conv_winograd, multiplications
from ..layers import Sequential
from ..summary import summary
from ..tensor import Tensor
from .draw import draw_numbers, markdown_table, outline
from .explorer import Explorer
from .style import HIGHLIGHT, WINDOW_COLORS

__all__ = ['channels_state', 'ChannelsFigure', 'channels_animation', 'cost_state', 'CostFigure',
           'CostExplorer', 'cost_table', 'time_algorithms', 'matmul_gflops', 'timing_figure',
           'ALGORITHMS', 'markdown_table']


# ---- 多通道卷积的演示（CS231n 的 5×5×3 输入、两个 3×3×3 卷积核、步幅 2、填充 1）----

def demo_layer(C=3, F=2, k=3, stride=2, padding=1, seed_value=3):
    """演示用的卷积层：权重是 −1、0、1，偏置是 1 与 0，都来自 lib（固定随机种子）。"""
    rng = np.random.default_rng(seed_value)
    saved = layers.rng.bit_generator.state
    layer = Convolution(C, F, k, stride, padding).astype(np.float64)
    layers.rng.bit_generator.state = saved
    layer.weight.data = rng.integers(-1, 2, (F, C, k, k)).astype(np.float64)
    layer.bias.data = np.arange(F, 0, -1, dtype=np.float64) - 1          # 偏置 F−1, …, 1, 0
    return layer


def demo_input(C=3, H=5, seed_value=2):
    """演示用的输入：0、1、2 组成的 (1, C, H, H)。"""
    return np.random.default_rng(seed_value).integers(0, 3, (1, C, H, H)).astype(np.float64)


def channels_state(x, layer, f, i, j):
    """输出通道 f、位置 (i, j) 的那个数是怎样算出来的。

    Returns
    -------
    dict：``padded`` (C, H+2p, W+2p)，``window`` (C, k, k)，``kernel`` (C, k, k)，``per_channel``（每个
    通道的乘积之和），``bias``，``value``（= Σ per_channel + bias），``output`` (F, H′, W′)（lib 算的），
    ``top``、``left``（窗口在填充后的输入里的左上角）。
    """
    s, p, k = layer.stride, layer.padding, layer.kernel_size
    padded = np.pad(x[0], ((0, 0), (p, p), (p, p)))
    top, left = i * s, j * s
    window = padded[:, top:top + k, left:left + k]
    kernel = layer.weight.data[f]
    per_channel = (window * kernel).sum(axis=(1, 2))
    output = layer(Tensor(x, requires_grad=False)).data[0]
    return dict(padded=padded, window=window, kernel=kernel, per_channel=per_channel,
                bias=float(layer.bias.data[f]), value=float(per_channel.sum() + layer.bias.data[f]),
                output=output, top=top, left=left, f=f, i=i, j=j)


class ChannelsFigure:
    """左列：C 个输入通道（填充后）；中间：F 个卷积核，每个 C 层；右列：F 张输出特征图。

    数值只画一次；``update(f, i, j)`` 只移动框线、改写标题：当前的窗口（在每个通道上）、
    卷积核与输出格子用同一种颜色框出，标题写出每个通道的乘积之和与偏置。
    """

    def __init__(self, x, layer, dpi=80):
        self.x, self.layer = x, layer
        C, F, k = layer.in_channels, layer.out_channels, layer.kernel_size
        rows = max(C, F)
        self.fig, self.axes = plt.subplots(rows, F + 2, figsize=(2.1 * (F + 2), 2.0 * rows + 0.5),
                                           squeeze=False, dpi=dpi)
        for ax in self.axes.flat:
            ax.axis('off')
        state = channels_state(x, layer, 0, 0, 0)
        self.windows = []
        for c in range(C):
            draw_numbers(self.axes[c, 0], state['padded'][c], f'输入通道 {c}（填充 {layer.padding}）',
                         cmap='Greys', vmin=-1, vmax=4)
            self.windows.append(outline(self.axes[c, 0], 0, 0, k, k))
            for g in range(F):
                draw_numbers(self.axes[c, 1 + g], layer.weight.data[g, c], f'卷积核 {g}，第 {c} 层',
                             cmap='RdBu_r', vmin=-1.5, vmax=1.5)
        self.kernel_boxes = [[outline(self.axes[c, 1 + g], 0, 0, k, k, visible=False) for c in range(C)]
                             for g in range(F)]
        self.cells = []
        for g in range(F):
            draw_numbers(self.axes[g, F + 1], state['output'][g],
                         f'输出通道 {g}（偏置 {layer.bias.data[g]:g}）', cmap='Greys', vmin=-8, vmax=8)
            self.cells.append(outline(self.axes[g, F + 1], 0, 0, 1, 1, visible=False))
        for ax in self.axes.flat:
            ax.title.set_fontsize(8.5)
        self.title = self.fig.suptitle('', fontsize=11)
        self.fig.tight_layout()
        self.update(0, 0, 0)

    def update(self, f, i, j):
        state = channels_state(self.x, self.layer, f, i, j)
        color = WINDOW_COLORS[f % len(WINDOW_COLORS)]
        for box in self.windows:
            box.set_xy((state['left'] - 0.5, state['top'] - 0.5))
            box.set_edgecolor(color)
        for g, (boxes, cell) in enumerate(zip(self.kernel_boxes, self.cells, strict=True)):
            for box in boxes:
                box.set_visible(g == f)
                box.set_edgecolor(color)
            cell.set_visible(g == f)
            cell.set_xy((j - 0.5, i - 0.5))
            cell.set_edgecolor(color)
        terms = ' + '.join(f'{v:g}' for v in state['per_channel'])
        self.title.set_text(f'输出通道 {f} 的 ({i}, {j}) = 各通道的乘积之和 {terms} + 偏置 {state["bias"]:g}'
                            f' = {state["value"]:g}')
        self.state = state
        return state


def channels_positions(layer, x):
    """动画的帧：依次每个输出通道 f、每个位置 (i, j)。"""
    out = output_size(x.shape[2], layer.kernel_size, layer.stride, layer.padding)
    return [(f, i, j) for f in range(layer.out_channels) for i in range(out) for j in range(out)]


def channels_animation(x=None, layer=None, interval=700, dpi=60):
    """多通道卷积的动画（FuncAnimation）：窗口体在 C 个通道上一起移动，每帧填一个输出数。

    在线书里用 ``lib.viz.draw.animation_html(anim, alt)`` 嵌入。返回的动画带 ``positions`` 与 ``figure``。
    """
    x = demo_input() if x is None else x
    layer = demo_layer() if layer is None else layer
    figure = ChannelsFigure(x, layer, dpi=dpi)
    positions = channels_positions(layer, x)
    anim = FuncAnimation(figure.fig, lambda n: figure.update(*positions[n]), frames=len(positions),
                         interval=interval)
    anim.positions, anim.figure = positions, figure
    plt.close(figure.fig)
    return anim


# ---- 形状与代价 ----

def cost_state(C=3, F=8, k=3, stride=1, padding=1, H=32, N=1):
    """Convolution(C, F, k, stride, padding) 用在 (N, C, H, H) 上：形状、参数、乘加与内存。"""
    state = layers.rng.bit_generator.state                       # 建层会用 lib 各层共用的随机数：
    layer = Convolution(C, F, k, stride, padding)                # 用完恢复，不打乱笔记本里的随机序列
    layers.rng.bit_generator.state = state
    report = summary(Sequential([layer]), (N, C, H, H))
    out = report.rows[0].output_shape
    return dict(C=C, F=F, k=k, stride=stride, padding=padding, H=H, N=N,
                input_shape=(N, C, H, H), weight_shape=layer.weight.data.shape, output_shape=out,
                parameters=report.total_parameters, multiply_adds=report.total_multiply_adds,
                input_bytes=N * C * H * H * 4, activation_bytes=report.total_activation_bytes,
                columns_bytes=N * C * k * k * out[2] * out[3] * 4)


def cuboid(ax, x0, depth, height, width, color, label, scale):
    """在 ax 上画一个伪三维的长方体：正面 height×width，向右上方伸出 depth（通道数）。"""
    h, w, d = height * scale, width * scale, depth * scale * 0.5
    front = [(x0, 0), (x0 + w, 0), (x0 + w, h), (x0, h)]
    top = [(x0, h), (x0 + w, h), (x0 + w + d, h + d), (x0 + d, h + d)]
    side = [(x0 + w, 0), (x0 + w + d, d), (x0 + w + d, h + d), (x0 + w, h)]
    for points, alpha in ((front, 0.55), (top, 0.35), (side, 0.25)):
        ax.add_patch(Polygon(points, closed=True, facecolor=color, edgecolor='black', alpha=alpha, lw=1))
    ax.text(x0 + w / 2, -0.12 * max(h, 1), label, ha='center', va='top', fontsize=9)
    return x0 + w + d


class CostFigure:
    """三个体：输入 (C, H, H)、F 个卷积核 (C, k, k)、输出 (F, H′, W′)；下面写出参数、乘加与内存。"""

    def __init__(self, state, dpi=80):
        self.fig, self.ax = plt.subplots(figsize=(9, 3.6), dpi=dpi)
        self.update(state)

    def update(self, state):
        ax = self.ax
        ax.clear()
        ax.axis('off')
        _, F, H_out, W_out = state['output_shape']
        biggest = max(state['H'], H_out, state['C'], F, 1)
        scale = 1.0 / biggest
        x = cuboid(ax, 0, state['C'], state['H'], state['H'], '#4c9be8',
                   f"输入 ({state['C']}, {state['H']}, {state['H']})", scale)
        x = cuboid(ax, x + 0.3, state['C'], state['k'], state['k'], HIGHLIGHT,
                   f"{F} 个卷积核，各 ({state['C']}, {state['k']}, {state['k']})", scale)
        cuboid(ax, x + 0.6, F, H_out, W_out, '#5bb774', f'输出 ({F}, {H_out}, {W_out})', scale)
        ax.set_xlim(-0.1, x + 0.6 + 1.6)
        ax.set_ylim(-0.45, 1.6)
        ax.set_aspect('equal')
        text = (f"参数 F·C·k² + F = {state['parameters']:,}　　"
                f"乘加 N·F·C·k²·H′·W′ = {state['multiply_adds']:,}\n"
                f"输出（激活）{state['activation_bytes']:,} 字节　　"
                f"im2col 的窗口矩阵 {state['columns_bytes']:,} 字节（输入 {state['input_bytes']:,} 字节）")
        ax.set_title(text, fontsize=9.5, loc='left')
        self.state = state
        return state


class CostExplorer(Explorer):
    """卷积代价探索器（ipywidgets）：选 C、F、k、步幅、填充与 H，看三个体与参数、乘加、内存。

    需要在 Jupyter 里运行；在线书在同一位置显示页内探索器（``booktools/explorers/cost.js``）。
    控件都是公开属性：``C``、``F``、``k``、``stride``、``padding``、``H``；
    ``state`` 是 ``cost_state`` 的结果。
    """

    def __init__(self, C=3, F=8, k=3, stride=1, padding=1, H=32):
        import ipywidgets as w

        super().__init__()
        self.C = w.IntSlider(value=C, min=1, max=64, description='输入通道 C')
        self.F = w.IntSlider(value=F, min=1, max=64, description='卷积核数 F')
        self.k = w.IntSlider(value=k, min=1, max=11, step=2, description='边长 k')
        self.stride = w.IntSlider(value=stride, min=1, max=4, description='步幅 s')
        self.padding = w.IntSlider(value=padding, min=0, max=5, description='填充 p')
        self.H = w.IntSlider(value=H, min=4, max=64, description='输入边长 H')
        self.message = w.HTML()
        self.figure = self.own(CostFigure(cost_state(C, F, k, stride, padding, H)))
        self.watch(self.C, self.F, self.k, self.stride, self.padding, self.H)
        self.widget = w.VBox([w.HBox([self.C, self.F, self.k]), w.HBox([self.stride, self.padding, self.H]),
                              self.message, self.output])
        self.update()

    def compute(self):
        values = dict(C=self.C.value, F=self.F.value, k=self.k.value, stride=self.stride.value,
                      padding=self.padding.value, H=self.H.value)
        if values['H'] + 2 * values['padding'] < values['k']:
            self.message.value = (f"卷积核 {values['k']}×{values['k']} 大于填充后的输入 "
                                  f"{values['H'] + 2 * values['padding']}：请加大 H 或 p")
            return self.state
        self.message.value = ''
        return self.figure.update(cost_state(**values))


def cost_table(settings):
    """静态表：每个设置一行，形状、参数、乘加、激活与窗口矩阵的字节数。"""
    rows = []
    for values in settings:
        s = cost_state(**values)
        rows.append((f"C={s['C']}, F={s['F']}, k={s['k']}, s={s['stride']}, p={s['padding']}, H={s['H']}",
                     str(s['weight_shape']), str(s['output_shape'][1:]), f"{s['parameters']:,}",
                     f"{s['multiply_adds']:,}", f"{s['activation_bytes']:,}", f"{s['columns_bytes']:,}"))
    return markdown_table(('设置', '卷积核 (F, C, k, k)', '输出 (F, H′, W′)', '参数', '乘加',
                           '激活（字节）', '窗口矩阵（字节）'), rows)


# ---- 四种算法的计时 ----

ALGORITHMS = {'直接法': conv_direct, 'im2col + GEMM': conv_im2col, 'FFT': conv_fft,
              'Winograd F(2,3)': conv_winograd}
METHOD_KEYS = {'直接法': 'direct', 'im2col + GEMM': 'im2col', 'FFT': 'fft', 'Winograd F(2,3)': 'winograd'}


def best_seconds(fn, repeat=3, number=1):
    fn()                                                   # 预热一次（分配内存、载入代码）
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def matmul_gflops(n=384, repeat=5):
    """本机 float32 矩阵乘法的速度（GFLOP/s）：n×n 乘 n×n 是 2n³ 次浮点运算，取最快的一次。"""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    return 2 * n ** 3 / best_seconds(lambda: a @ b, repeat=repeat, number=3) / 1e9


def time_algorithms(sizes=(14, 28), kernels=(3, 5, 7, 9, 11), N=8, C=16, F=16, repeat=3):
    """在本机给四种算法计时（float32，填充 k // 2 让输出与输入同大；Winograd 只测 3×3）。

    Returns
    -------
    list of dict：``H``、``k``、``method``、``seconds``、``gflops``（按直接法的 2·乘加数折算的速度）、
    ``multiplications``（这个算法实际做的乘法，见 ``lib.fastconv.multiplications``）。
    """
    rng = np.random.default_rng(0)
    rows = []
    for H in sizes:
        x = rng.standard_normal((N, C, H, H)).astype(np.float32)
        for k in kernels:
            weight = rng.standard_normal((F, C, k, k)).astype(np.float32)
            direct_flops = 2 * multiplications('direct', N, C, F, H, H, k)
            for name, fn in ALGORITHMS.items():
                if fn is conv_winograd and k != 3:
                    continue
                seconds = best_seconds(lambda fn=fn, x=x, w=weight, p=k // 2: fn(x, w, None, p), repeat)
                rows.append(dict(H=H, k=k, method=name, seconds=seconds, gflops=direct_flops / seconds / 1e9,
                                 multiplications=multiplications(METHOD_KEYS[name], N, C, F, H, H, k)))
    return rows


def timing_figure(rows, peak):
    """每个图像边长一幅：横轴卷积核边长 k，纵轴用时（对数）；右边一幅是折算的 GFLOP/s 与本机峰值。"""
    sizes = sorted({row['H'] for row in rows})
    fig, axes = plt.subplots(1, len(sizes) + 1, figsize=(4.2 * (len(sizes) + 1), 3.4))
    markers = dict(zip(ALGORITHMS, 'osD^', strict=True))
    for ax, H in zip(axes, sizes, strict=False):
        for name in ALGORITHMS:
            points = [(row['k'], row['seconds'] * 1e3) for row in rows
                      if row['H'] == H and row['method'] == name]
            if points:
                ks, ms = zip(*points, strict=True)
                ax.plot(ks, ms, marker=markers[name], label=name)
        ax.set_yscale('log')
        ax.set_xlabel('卷积核边长 k')
        ax.set_ylabel('一次前向的用时（毫秒）')
        ax.set_title(f'输入 {H}×{H}')
        ax.grid(alpha=0.3)
    ax = axes[-1]
    for name in ALGORITHMS:
        points = [(row['k'], row['gflops']) for row in rows
                  if row['H'] == sizes[-1] and row['method'] == name]
        if points:
            ks, rates = zip(*points, strict=True)
            ax.plot(ks, rates, marker=markers[name], label=name)
    ax.axhline(peak, color='black', linestyle='--', label=f'本机矩阵乘法 {peak:.0f} GFLOP/s')
    ax.set_xlabel('卷积核边长 k')
    ax.set_ylabel('折算速度（GFLOP/s）')
    ax.set_title(f'输入 {sizes[-1]}×{sizes[-1]}：按 2·N·F·C·k²·H′·W′ 折算')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
