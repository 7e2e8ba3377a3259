"""生成第 1 章的“卷积操作示意图” images/kernel.png。

运行：python images/make_kernel_figure.py（在仓库根目录或任何目录都可以）。
图中的数字与第 1 章手算的例子相同；输出值由 ``lib.conv2d_loop`` 算出。
"""

from pathlib import Path

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

import lib  # noqa: E402
import lib.viz  # noqa: E402

lib.viz.setup()   # 图里的汉字用已安装的中文字体

# 与第 1 章“手算一个小例子”一节相同的数字
X = np.array([[1, 2, 0, 1, 3],
              [0, 1, 3, 2, 1],
              [2, 0, 1, 0, 2],
              [1, 3, 2, 1, 0],
              [0, 1, 0, 2, 1]], dtype=float)
W = np.array([[1, 0, 2],
              [0, 1, 0],
              [-1, 0, 1]], dtype=float)
B = 1.0
ROW, COL = 1, 2          # 窗口所在的输出位置 (i, j)

ORANGE, LIGHT_ORANGE, LIGHT_BLUE = '#ff7f0e', '#ffe0c2', '#dbe9f6'
OUT = Path(__file__).resolve().parent / 'kernel.png'


def draw_grid(ax, values, x0, y0, fill=None, texts=None, color='black'):
    """以 (x0, y0) 为左上角画一个数字方格；fill(i, j) 给出底色，texts(i, j) 给出文字。"""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            face = fill(i, j) if fill else 'white'
            ax.add_patch(Rectangle((x0 + j, y0 - i - 1), 1, 1, facecolor=face, edgecolor='#555555', lw=1))
            text = texts(i, j) if texts else f'{values[i, j]:g}'
            ax.text(x0 + j + 0.5, y0 - i - 0.5, text, ha='center', va='center', fontsize=15, color=color)


def main():
    k = W.shape[0]
    Y = lib.conv2d_loop(X[None, None], W[None, None], np.array([B]))[0, 0]
    window = X[ROW:ROW + k, COL:COL + k]
    assert np.isclose((window * W).sum() + B, Y[ROW, COL])

    fig, ax = plt.subplots(figsize=(11, 5.2))
    ax.set_xlim(-0.6, 17.6)
    ax.set_ylim(-7.4, 1.6)
    ax.set_aspect('equal')
    ax.axis('off')

    # 输入：窗口里的格子涂成浅橙色，外面加粗框
    in_window = lambda i, j: ROW <= i < ROW + k and COL <= j < COL + k  # noqa: E731
    draw_grid(ax, X, 0, 0, fill=lambda i, j: LIGHT_ORANGE if in_window(i, j) else 'white')
    ax.add_patch(Rectangle((COL, -ROW - k), k, k, fill=False, edgecolor=ORANGE, lw=3.5))
    ax.text(2.5, 0.6, '输入 X（5×5）', ha='center', fontsize=15)

    # 卷积核
    kx, ky = 7.5, -1.0
    draw_grid(ax, W, kx, ky, fill=lambda i, j: LIGHT_BLUE)
    ax.text(kx + 1.5, ky + 0.6, '卷积核 W（3×3）', ha='center', fontsize=15)
    ax.text(kx + 1.5, ky - 3.6, f'偏置 b = {B:g}', ha='center', fontsize=15)

    # 输出：已算过的格子写灰色数字，当前格子橙色，其余留空
    ox, oy = 14.0, -1.0
    done = lambda i, j: i * Y.shape[1] + j < ROW * Y.shape[1] + COL  # noqa: E731
    draw_grid(ax, Y, ox, oy, fill=lambda i, j: LIGHT_ORANGE if (i, j) == (ROW, COL) else 'white',
              texts=lambda i, j: f'{Y[i, j]:g}' if done(i, j) else '', color='#888888')
    ax.text(ox + COL + 0.5, oy - ROW - 0.5, f'{Y[ROW, COL]:g}', ha='center', va='center', fontsize=17,
            color='black')
    ax.add_patch(Rectangle((ox + COL, oy - ROW - 1), 1, 1, fill=False, edgecolor=ORANGE, lw=3.5))
    ax.text(ox + 1.5, oy + 0.6, '输出 Y（3×3）', ha='center', fontsize=15)

    # 箭头：窗口 → 卷积核（逐元素相乘）→ 输出格子（求和再加 b）
    arrow = dict(arrowstyle='-|>', mutation_scale=22, lw=2, color=ORANGE)
    ax.add_patch(FancyArrowPatch((5.15, -2.5), (kx - 0.15, -2.5), **arrow))
    ax.text((5.15 + kx) / 2, -2.2, '逐元素相乘', ha='center', fontsize=12)
    ax.add_patch(FancyArrowPatch((kx + 3.15, -2.5), (ox - 0.15, -2.5), **arrow))
    ax.text((kx + 3 + ox) / 2, -2.2, '求和 + b', ha='center', fontsize=12)

    # 底部写出这一格的完整算式
    terms = ' + '.join(f'{x:g}×{w:g}' if w >= 0 else f'{x:g}×({w:g})'
                       for x, w in zip(window.ravel(), W.ravel(), strict=True))
    ax.text(8.5, -5.9, f'Y[{ROW},{COL}] = {terms} + b', ha='center', fontsize=13)
    ax.text(8.5, -6.8, f'= {(window * W).sum():g} + {B:g} = {Y[ROW, COL]:g}', ha='center', fontsize=13)

    fig.savefig(OUT, dpi=110, bbox_inches='tight', facecolor='white')
    plt.close(fig)
    print(f'已写入 {OUT}')


if __name__ == '__main__':
    main()
