"""第 6 章的画图、控件与小工具（lib.viz.ch6_channels）。

多通道演示里每个数与 lib.Convolution 及独立的循环一致；代价探索器显示的形状、参数、乘加、内存与
公式一致，改控件不打乱 lib 的随机数；动画能嵌入；四种算法的计时表齐全、能画图。
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import lib
from lib.viz import ch6_channels as v6
from lib.viz.draw import animation_html

pytest.importorskip('ipywidgets')


def loop_value(padded, weight, bias, f, top, left):
    k = weight.shape[2]
    return sum(padded[c, top + m, left + q] * weight[f, c, m, q]
               for c in range(weight.shape[1]) for m in range(k) for q in range(k)) + bias[f]


def test_channels_state_matches_loop_and_lib():
    x, layer = v6.demo_input(), v6.demo_layer()
    assert layer.weight.data.shape == (2, 3, 3, 3) and set(np.unique(layer.weight.data)) <= {-1, 0, 1}
    for f, i, j in v6.channels_positions(layer, x):
        state = v6.channels_state(x, layer, f, i, j)
        expected = loop_value(state['padded'], layer.weight.data, layer.bias.data, f, 2 * i, 2 * j)
        assert state['value'] == expected == state['output'][f, i, j]
        assert np.isclose(state['per_channel'].sum() + state['bias'], state['value'])


def test_channels_figure_moves_the_boxes():
    x, layer = v6.demo_input(), v6.demo_layer()
    figure = v6.ChannelsFigure(x, layer)
    state = figure.update(1, 2, 1)
    assert all(box.get_xy() == (1.5, 3.5) for box in figure.windows)        # 左上角 (4, 2)，格子中心
    assert [box.get_visible() for box in figure.kernel_boxes[1]] == [True] * 3
    assert not any(box.get_visible() for box in figure.kernel_boxes[0])
    assert figure.cells[1].get_visible() and not figure.cells[0].get_visible()
    assert f'= {state["value"]:g}' in figure.title.get_text()
    plt.close(figure.fig)


def test_animation_embeds_offline():
    anim = v6.channels_animation(dpi=30)
    assert len(anim.positions) == 2 * 3 * 3
    html = animation_html(anim, alt='多通道卷积')
    assert 'alt="多通道卷积"' in html and 'font-awesome' not in html


@pytest.mark.parametrize('values', [dict(C=3, F=8, k=3, stride=1, padding=1, H=32),
                                    dict(C=16, F=4, k=5, stride=2, padding=0, H=20),
                                    dict(C=1, F=1, k=1, stride=3, padding=2, H=4)])
def test_cost_state_formulas(values):
    s = v6.cost_state(**values)
    C, F, k, st, p, H = (values[key] for key in ('C', 'F', 'k', 'stride', 'padding', 'H'))
    out = (H + 2 * p - k) // st + 1
    assert s['weight_shape'] == (F, C, k, k) and s['output_shape'] == (1, F, out, out)
    assert s['parameters'] == F * C * k * k + F
    assert s['multiply_adds'] == F * C * k * k * out * out
    assert s['activation_bytes'] == 4 * F * out * out
    assert s['columns_bytes'] == 4 * C * k * k * out * out


def test_explorer_updates_and_keeps_random_numbers():
    lib.seed(1)
    state_before = lib.layers.rng.bit_generator.state
    explorer = v6.CostExplorer()
    explorer.C.value, explorer.k.value = 16, 5
    assert explorer.state['weight_shape'] == (8, 16, 5, 5)
    assert explorer.figure.state is explorer.state
    explorer.H.value, explorer.padding.value, explorer.k.value = 4, 0, 7    # 卷积核大于输入：提示，不崩溃
    assert '大于' in explorer.message.value
    assert lib.layers.rng.bit_generator.state == state_before
    plt.close(explorer.figure.fig)


def test_cost_table_rows():
    table = v6.cost_table([dict(C=1, F=16, k=3, stride=1, padding=0, H=28)])
    assert '| C=1, F=16, k=3, s=1, p=0, H=28 | (16, 1, 3, 3) | (16, 26, 26) | 160 | 97,344 |' in table


def test_time_algorithms_and_figure():
    rows = v6.time_algorithms(sizes=(6,), kernels=(3, 5), N=1, C=2, F=2, repeat=1)
    assert {(row['k'], row['method']) for row in rows} == {
        (3, '直接法'), (3, 'im2col + GEMM'), (3, 'FFT'), (3, 'Winograd F(2,3)'),
        (5, '直接法'), (5, 'im2col + GEMM'), (5, 'FFT')}
    assert all(row['seconds'] > 0 and row['gflops'] > 0 for row in rows)
    assert v6.matmul_gflops(n=64, repeat=1) > 0
    fig = v6.timing_figure(rows, peak=10.0)
    assert len(fig.axes) == 2
    plt.close(fig)
