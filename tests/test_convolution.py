"""卷积层：梯度检验、与独立参照（scipy 与逐像素循环）对照、im2col/col2im、初始化与错误输入。"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from lib import Convolution, Tensor, col2im, conv2d_loop, im2col, output_size
from lib.convolution import _columns, _columns_adjoint
from lib.gradcheck import assert_gradients_ok, layer_gradient_errors

# ---- 梯度检验 ----

CONV_CASES = [
    # N, C, F, H, W, k, stride, padding
    (1, 1, 1, 4, 4, 3, 1, 0),
    (2, 3, 4, 7, 6, 3, 2, 1),
    (3, 2, 3, 5, 5, 2, 1, 0),
    (2, 1, 2, 8, 7, 3, 3, 2),
    (2, 2, 2, 6, 6, 2, 3, 0),   # 步长大于核：有的像素不在任何窗口里，梯度为 0
    (2, 3, 2, 4, 5, 1, 1, 1),   # 1×1 卷积加补零
    (1, 2, 3, 3, 3, 5, 1, 1),   # 核比原图大，但不比补零后的大
]


@pytest.mark.parametrize('N, C, F, H, W, k, stride, padding', CONV_CASES)
def test_gradcheck_convolution(rng, N, C, F, H, W, k, stride, padding):
    layer = Convolution(C, F, k, stride=stride, padding=padding)
    layer.astype(np.float64)
    layer.bias.data = rng.standard_normal(F)
    errors = layer_gradient_errors(layer, rng.standard_normal((N, C, H, W)), rng)
    assert set(errors) == {'x', f'参数0{(F, C, k, k)}', f'参数1{(F,)}'}
    assert_gradients_ok(errors)


def test_convolution_uncovered_pixels_get_zero_grad(rng):
    layer = Convolution(1, 1, 2, stride=3)
    x = Tensor(rng.standard_normal((1, 1, 6, 6)))
    layer(x).backward(np.ones((1, 1, 2, 2)))
    covered = np.zeros((6, 6), bool)
    covered[[0, 1, 3, 4]] = True
    covered[:, [2, 5]] = False
    assert not np.any(x.grad[0, 0][~covered])
    assert np.all(x.grad[0, 0][covered] != 0)


# ---- 前向：与两个独立参照对照 ----

def scipy_reference(x, weight, bias, stride, padding):
    """scipy.signal.correlate（valid，三维同时对通道求和）作用在补零后的输入上，再按步长取样。"""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    N, F = x.shape[0], weight.shape[0]
    rows = []
    for n in range(N):
        maps = [signal.correlate(xp[n], weight[f], mode='valid', method='direct')[0] + bias[f]
                for f in range(F)]
        rows.append(np.stack(maps)[:, ::stride, ::stride])
    return np.stack(rows)


@st.composite
def conv_problems(draw):
    k = draw(st.integers(1, 4))
    padding = draw(st.integers(0, 2))
    low = max(1, k - 2 * padding)
    return dict(N=draw(st.integers(1, 3)), C=draw(st.integers(1, 3)), F=draw(st.integers(1, 3)),
                H=draw(st.integers(low, 9)), W=draw(st.integers(low, 9)), k=k,
                stride=draw(st.integers(1, 3)), padding=padding, seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=40, deadline=None, database=None)
@given(conv_problems())
def test_forward_matches_scipy_and_loop(problem):
    p = problem
    rng = np.random.default_rng(p['seed'])
    x = rng.standard_normal((p['N'], p['C'], p['H'], p['W']))
    layer = Convolution(p['C'], p['F'], p['k'], stride=p['stride'], padding=p['padding']).astype(np.float64)
    layer.weight.data = rng.standard_normal(layer.weight.data.shape)
    layer.bias.data = rng.standard_normal(p['F'])

    out = layer(Tensor(x)).data
    out_h = (p['H'] + 2 * p['padding'] - p['k']) // p['stride'] + 1
    out_w = (p['W'] + 2 * p['padding'] - p['k']) // p['stride'] + 1
    assert out.shape == (p['N'], p['F'], out_h, out_w)

    expected = scipy_reference(x, layer.weight.data, layer.bias.data, p['stride'], p['padding'])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    loop = conv2d_loop(x, layer.weight.data, layer.bias.data, p['stride'], p['padding'])
    np.testing.assert_allclose(out, loop, rtol=1e-10, atol=1e-12)


def test_conv2d_loop_matches_hand_example():
    """手算的小例子：3×3 输入、2×2 全 1 核，每个输出是窗口之和。"""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    out = conv2d_loop(x, np.ones((1, 1, 2, 2)), np.array([0.5]))
    np.testing.assert_array_equal(out[0, 0], [[8.5, 12.5], [20.5, 24.5]])


def test_float32_forward(rng):
    """默认 float32 参数、float32 输入：结果与 float64 参照接近。"""
    layer = Convolution(2, 3, 3, padding=1)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    out = layer(Tensor(x)).data
    assert out.dtype == np.float32
    expected = conv2d_loop(x.astype(np.float64), layer.weight.data.astype(np.float64), None, 1, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


# ---- im2col / col2im ----

@settings(max_examples=40, deadline=None, database=None)
@given(conv_problems())
def test_im2col_col2im_adjoint(problem):
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩：col2im 是 im2col 的伴随。"""
    p = problem
    rng = np.random.default_rng(p['seed'])
    shape = (p['N'], p['C'], p['H'], p['W'])
    x = rng.standard_normal(shape)
    cols = im2col(x, p['k'], p['stride'], p['padding'])
    c = rng.standard_normal(cols.shape)
    left = np.sum(cols * c)
    right = np.sum(x * col2im(c, shape, p['k'], p['stride'], p['padding']))
    np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None, database=None)
@given(conv_problems(), st.integers(1, 3))
def test_batched_columns_are_im2col_side_by_side(problem, dilation):
    """层内部的列矩阵 (C·k·k, L·N) 就是 im2col 的 N 个 (C·k·k, L) 交错并排；它的伴随就是 col2im。"""
    p = problem
    k, s, pd, d = p['k'], p['stride'], p['padding'], dilation
    H, W = max(p['H'], d * (k - 1) + 1), max(p['W'], d * (k - 1) + 1)     # 膨胀后放得下卷积核
    rng = np.random.default_rng(p['seed'])
    shape = (p['N'], p['C'], H, W)
    x = rng.standard_normal(shape)
    cols = im2col(x, k, s, pd, d)                                # (N, C·k·k, L)
    side_by_side = cols.transpose(1, 2, 0).reshape(cols.shape[1], -1)       # 列按 (位置, n) 排列
    np.testing.assert_array_equal(_columns(x, k, s, pd, d), side_by_side)
    # 输入是转置视图（上一层卷积输出的内存布局）时结果相同
    np.testing.assert_array_equal(_columns(np.ascontiguousarray(x.transpose(1, 2, 3, 0))
                                           .transpose(3, 0, 1, 2), k, s, pd, d), side_by_side)
    c = rng.standard_normal(side_by_side.shape)
    back = col2im(c.reshape(cols.shape[1], -1, p['N']).transpose(2, 0, 1), shape, k, s, pd, d)
    np.testing.assert_allclose(_columns_adjoint(c, shape, k, s, pd, d), back, rtol=1e-12, atol=1e-12)


def coverage_by_loop(H, W, k, stride, padding):
    """逐个窗口数出每个像素被覆盖的次数（独立于 col2im 的写法）。"""
    counts = np.zeros((H + 2 * padding, W + 2 * padding))
    out_h = (H + 2 * padding - k) // stride + 1
    out_w = (W + 2 * padding - k) // stride + 1
    for i in range(out_h):
        for j in range(out_w):
            counts[i * stride:i * stride + k, j * stride:j * stride + k] += 1
    return counts[padding:padding + H, padding:padding + W]


def test_col2im_counts_5x5_k3():
    counts = col2im(np.ones((1, 9, 9)), (1, 1, 5, 5), 3)[0, 0]
    profile = np.array([1, 2, 3, 2, 1])
    np.testing.assert_array_equal(counts, np.outer(profile, profile))


def test_col2im_counts_7x7_k3():
    counts = col2im(np.ones((1, 9, 25)), (1, 1, 7, 7), 3)[0, 0]
    np.testing.assert_array_equal(counts[3], 3 * np.array([1, 2, 3, 3, 3, 2, 1]))


@pytest.mark.parametrize('N, C, H, W, k, stride, padding', [
    (1, 1, 5, 5, 3, 1, 0), (2, 3, 7, 6, 3, 2, 1), (1, 2, 8, 8, 4, 2, 2), (1, 1, 6, 9, 2, 3, 1),
])
def test_col2im_sums_overlaps(N, C, H, W, k, stride, padding):
    shape = (N, C, H, W)
    ones = np.ones_like(im2col(np.zeros(shape), k, stride, padding))
    counts = col2im(ones, shape, k, stride, padding)
    expected = coverage_by_loop(H, W, k, stride, padding)
    np.testing.assert_array_equal(counts, np.broadcast_to(expected, shape))


@pytest.mark.parametrize('k, stride, padding', [(3, 1, 0), (2, 2, 1), (3, 2, 2)])
def test_im2col_column_layout(rng, k, stride, padding):
    """cols[n, :, i·out_w + j] 是输出位置 (i, j) 的窗口展平（通道、行、列的顺序）。"""
    x = rng.standard_normal((2, 3, 7, 6))
    cols = im2col(x, k, stride, padding)
    out_h, out_w = output_size(7, k, stride, padding), output_size(6, k, stride, padding)
    assert cols.shape == (2, 3 * k * k, out_h * out_w)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    for n in range(2):
        for i in range(out_h):
            for j in range(out_w):
                window = xp[n, :, i * stride:i * stride + k, j * stride:j * stride + k]
                np.testing.assert_array_equal(cols[n, :, i * out_w + j], window.ravel())


def test_col2im_wrong_shape(raises_chinese):
    with raises_chinese(ValueError, '(1, 9, 9)', '(9, 9)'):
        col2im(np.ones((9, 9)), (1, 1, 5, 5), 3)


@pytest.mark.parametrize('size, k, stride, padding, expected', [
    (28, 3, 1, 0, 26), (28, 3, 2, 1, 14), (5, 5, 1, 0, 1), (7, 3, 3, 0, 2), (4, 1, 1, 2, 8),
])
def test_output_size(size, k, stride, padding, expected):
    assert output_size(size, k, stride, padding) == expected


# ---- 初始化 ----

def test_convolution_init_he_normal():
    layer = Convolution(32, 128, 3)
    w = layer.weight.data
    expected_std = np.sqrt(2 / (32 * 3 * 3))
    assert w.shape == (128, 32, 3, 3)
    assert np.any(w > 0) and np.any(w < 0)
    assert abs(w.mean()) < 0.02 * expected_std
    assert abs(w.std() / expected_std - 1) < 0.02
    assert not np.any(layer.bias.data)


# ---- 错误输入 ----

@pytest.mark.parametrize('shape', [(3, 28, 28), (28, 28), (1, 1, 1, 28, 28)])
def test_wrong_ndim(raises_chinese, shape):
    with raises_chinese(ValueError, 'Convolution', str(shape)):
        Convolution(1, 2, 3)(Tensor(np.zeros(shape)))


def test_channel_mismatch(raises_chinese):
    with raises_chinese(ValueError, '(N, 3, H, W)', '(2, 1, 8, 8)'):
        Convolution(3, 2, 3)(Tensor(np.zeros((2, 1, 8, 8))))


def test_kernel_larger_than_padded_input(raises_chinese):
    with raises_chinese(ValueError, '5×5', '(1, 1, 2, 6)', '4×8'):
        Convolution(1, 1, 5, padding=1)(Tensor(np.zeros((1, 1, 2, 6))))


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(stride=0), 'stride'), (dict(padding=-1), 'padding'), (dict(stride=1.5), 'stride'),
])
def test_invalid_constructor_args(raises_chinese, kwargs, fragment):
    with raises_chinese(ValueError, fragment, repr(next(iter(kwargs.values())))):
        Convolution(1, 2, 3, **kwargs)


@pytest.mark.parametrize('args', [(0, 2, 3), (1, 0, 3), (1, 2, 0)])
def test_invalid_sizes(raises_chinese, args):
    with raises_chinese(ValueError, '0'):
        Convolution(*args)


def test_failed_forward_keeps_state(rng):
    """出错的前向不破坏层：权重不变，之后正确的输入照常工作。"""
    layer = Convolution(2, 3, 3)
    weight, bias = layer.weight.data.copy(), layer.bias.data.copy()
    for bad in (np.zeros((1, 1, 5, 5)), np.zeros((2, 5, 5)), np.zeros((1, 2, 2, 2))):
        with pytest.raises(ValueError):
            layer(Tensor(bad))
    np.testing.assert_array_equal(layer.weight.data, weight)
    np.testing.assert_array_equal(layer.bias.data, bias)
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, conv2d_loop(x, weight, bias), rtol=1e-5, atol=1e-6)


def test_describe():
    assert str(Convolution(1, 16, 3, stride=2, padding=1)) == (
        'Convolution[weight(16, 1, 3, 3); bias(16,); kernels=3; stride=2; padding=1]')
