"""第 5 章的画图与控件（lib.viz.ch5_backward）。

“谁读谁”的几何（``backward_state``）与 lib 的自动微分逐个像素核对；直接驱动反向传播探索器
（ipywidgets，不需要浏览器），核对滑块范围、图上的文字；动画的帧数；画图函数的错误输入。
"""

import numpy as np
import pytest

import lib
from lib.viz import ch5_backward as vb

pytest.importorskip('ipywidgets')


def readers(size, k, stride, p, q):
    """独立参照：只在 (p, q) 为 1 的输入上做卷积（权重 1…k²），不为 0 的输出就是读过它的输出。"""
    layer = lib.Convolution(1, 1, k, stride=stride).astype(np.float64)
    layer.weight.data = np.arange(1.0, k * k + 1).reshape(1, 1, k, k)
    probe = np.zeros((1, 1, size, size))
    probe[0, 0, p, q] = 1
    out = layer(lib.Tensor(probe)).data[0, 0]
    return {(int(i), int(j)): divmod(int(out[i, j]) - 1, k) for i, j in zip(*np.nonzero(out), strict=True)}


def reached(size, k, stride, i, j):
    """独立参照：只给输出 (i, j) 送回梯度 1，梯度不为 0 的输入像素。"""
    layer = lib.Convolution(1, 1, k, stride=stride).astype(np.float64)
    layer.weight.data = np.arange(1.0, k * k + 1).reshape(1, 1, k, k)
    x = lib.Tensor(np.ones((1, 1, size, size)))
    y = layer(x)
    grad = np.zeros(y.data.shape)
    grad[0, 0, i, j] = 1
    y.backward(grad)
    nonzero = zip(*np.nonzero(x.grad[0, 0]), strict=True)
    return {(int(p), int(q)): divmod(int(x.grad[0, 0, p, q]) - 1, k) for p, q in nonzero}


@pytest.mark.parametrize('size, k, stride', [(7, 3, 1), (7, 3, 2), (8, 2, 3), (6, 3, 2), (5, 5, 1)])
def test_state_matches_autograd(size, k, stride):
    out = lib.output_size(size, k, stride)
    for p in range(size):
        for q in range(size):
            state = vb.backward_state(size, k, stride, 'input', p, q)
            assert state['outputs'] == readers(size, k, stride, p, q)
            assert state['weights'] == set(state['outputs'].values())
            assert state['inputs'] == {(p, q): None}
    for i in range(out):
        for j in range(out):
            state = vb.backward_state(size, k, stride, 'output', i, j)
            assert state['inputs'] == reached(size, k, stride, i, j)
            assert len(state['weights']) == k * k and state['outputs'] == {(i, j): None}


def test_dilated_grid_window_covers_exactly_the_readers():
    """翻转的卷积核放在膨胀补零的 dY 上 (p, q) 处：框里的真实元素 = 读过 (p, q) 的输出。"""
    for stride in (1, 2, 3):
        for p in range(7):
            state = vb.backward_state(7, 3, stride, 'input', p, 5)
            top, left = state['window']
            covered = {ij for (r, c), ij in state['dilated'].items()
                       if top <= r < top + 3 and left <= c < left + 3}
            assert covered == set(state['outputs'])


def test_stride_two_reads_fewer():
    counts = {s: [len(vb.backward_state(7, 3, s, 'input', p, q)['outputs'])
                  for p in range(7) for q in range(7)] for s in (1, 2)}
    assert max(counts[1]) == 9 and min(counts[1]) == 1
    assert max(counts[2]) == 4 and set(counts[2]) == {1, 2, 4}


def test_state_clamps_and_rejects():
    assert vb.backward_state(7, 3, 2, 'output', 9, -1)['row'] == 2
    with pytest.raises(ValueError, match='mode'):
        vb.backward_state(mode='both')
    with pytest.raises(ValueError, match='size'):
        vb.backward_state(size=2, kernel_size=3)


def shown_texts(panel):
    return {(i, j): t.get_text() for i, row in enumerate(panel.texts) for j, t in enumerate(row)
            if t.get_text()}


def test_explorer_controls_and_figure():
    explorer = vb.BackwardExplorer()
    assert explorer.row.max == 6 and explorer.state['mode'] == 'input'
    explorer.stride.value = 2
    explorer.row.value, explorer.col.value = 3, 3
    state = explorer.state
    assert state['outputs'] == readers(7, 3, 2, 3, 3)
    x_panel, w_panel, y_panel, dilated_panel = explorer.figure.panels
    assert shown_texts(y_panel) == {place: vb.weight_name(*w, 3) for place, w in state['outputs'].items()}
    assert dilated_panel.box.get_visible()
    explorer.mode.value = 'output'
    assert explorer.row.max == 2 and explorer.row.value == 2            # 滑块范围变成输出像素
    assert len(shown_texts(x_panel)) == 9 and not dilated_panel.box.get_visible()
    assert '步幅 2' in explorer.figure.title.get_text()
    explorer.stride.value = 1
    assert explorer.row.max == 4 and explorer.figure.panels[2].shape == (5, 5)


def test_animation_frames():
    anim = vb.backward_animation(stride=2, side=4)
    assert anim.positions == [(i, j) for i in range(4) for j in range(4)]
    anim._func(5)
    assert anim.figure.state['row'] == 1 and anim.figure.state['col'] == 1
    html = vb.animation_html(anim, alt='测试')
    assert 'alt="测试"' in html


def test_figure_functions_check_shapes(rng):
    with pytest.raises(ValueError, match='dY 形状'):
        vb.backward_example_figure(np.zeros((4, 4)), np.zeros((2, 2)), np.zeros((2, 2)), None, None)
    with pytest.raises(ValueError, match='C 形状'):
        vb.matrix_figure(np.zeros((9, 24)), (5, 5), (3, 3))
    fig = vb.image_row([rng.random((5, 5))] * 2, ['a', 'b'], marks=[[(1, 1)], None])
    assert len(fig.axes) == 2


def test_weight_names():
    assert [vb.weight_name(m, n, 3) for m in range(3) for n in range(3)] == list('abcdefghi')
    assert vb.weight_name(5, 6, 7) == '5,6'
