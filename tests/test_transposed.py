"""第 5 章的 lib：膨胀卷积、转置卷积（ConvTranspose）与逐像素的反向传播（conv2d_backward_loop）。

参照：float64 的中心差分；scipy.signal（膨胀的卷积核 = 在权重之间插 0 的大卷积核，转置卷积 =
把输入隔行隔列插 0 后做 full 模式的数学卷积）；伴随恒等式 ⟨C x, y⟩ = ⟨x, Cᵀ y⟩；逐像素的循环。
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from lib import (
    Convolution,
    ConvTranspose,
    Tensor,
    col2im,
    conv2d_backward_loop,
    conv2d_loop,
    im2col,
    output_size,
    transposed_output_size,
)
from lib.gradcheck import assert_gradients_ok, layer_gradient_errors, numerical_gradient, relative_error


def spread(a, step):
    """在最后两维相邻元素之间插入 step - 1 个 0（膨胀卷积核，或按步幅膨胀 dY）。"""
    *lead, h, w = a.shape
    out = np.zeros((*lead, (h - 1) * step + 1, (w - 1) * step + 1), dtype=a.dtype)
    out[..., ::step, ::step] = a
    return out


# ---- 梯度检验（float64，中心差分，相对误差 < 1e-6） ----

TRANSPOSE_CASES = [
    # N, C_in, C_out, H, W, k, stride, padding, output_padding, dilation
    (2, 3, 2, 4, 5, 3, 1, 0, 0, 1),
    (2, 2, 3, 3, 4, 3, 2, 1, 0, 1),
    (3, 2, 2, 3, 3, 4, 2, 1, 1, 1),
    (2, 1, 2, 4, 3, 2, 3, 0, 2, 1),
    (2, 3, 2, 3, 4, 3, 2, 2, 1, 2),
    (2, 2, 1, 5, 4, 1, 2, 0, 1, 1),
]


@pytest.mark.parametrize('N, C, F, H, W, k, stride, padding, output_padding, dilation', TRANSPOSE_CASES)
def test_gradcheck_conv_transpose(rng, N, C, F, H, W, k, stride, padding, output_padding, dilation):
    layer = ConvTranspose(C, F, k, stride=stride, padding=padding, output_padding=output_padding,
                          dilation=dilation).astype(np.float64)
    layer.bias.data = rng.standard_normal(F)
    errors = layer_gradient_errors(layer, rng.standard_normal((N, C, H, W)), rng)
    assert set(errors) == {'x', f'参数0{(C, F, k, k)}', f'参数1{(F,)}'}
    assert_gradients_ok(errors)


DILATED_CASES = [
    # N, C, F, H, W, k, stride, padding, dilation
    (2, 3, 2, 7, 8, 3, 1, 0, 2),
    (2, 2, 3, 9, 7, 3, 2, 2, 2),
    (3, 2, 2, 8, 8, 2, 1, 1, 3),
    (2, 1, 2, 10, 9, 3, 3, 1, 3),
    (2, 2, 2, 5, 6, 2, 2, 3, 4),    # 覆盖范围 5 大于原图，但不大于补零后的
]


@pytest.mark.parametrize('N, C, F, H, W, k, stride, padding, dilation', DILATED_CASES)
def test_gradcheck_dilated_convolution(rng, N, C, F, H, W, k, stride, padding, dilation):
    layer = Convolution(C, F, k, stride=stride, padding=padding, dilation=dilation).astype(np.float64)
    layer.bias.data = rng.standard_normal(F)
    errors = layer_gradient_errors(layer, rng.standard_normal((N, C, H, W)), rng)
    assert set(errors) == {'x', f'参数0{(F, C, k, k)}', f'参数1{(F,)}'}
    assert_gradients_ok(errors)


@pytest.mark.parametrize('N, C, F, H, W, k, stride, padding, dilation', DILATED_CASES + [
    (2, 3, 2, 6, 7, 3, 2, 1, 1), (1, 2, 3, 5, 5, 4, 3, 2, 1)])
def test_backward_loop_matches_numerical_gradient(rng, N, C, F, H, W, k, stride, padding, dilation):
    """conv2d_backward_loop 自己也要对：与 conv2d_loop 的中心差分比较。"""
    x = rng.standard_normal((N, C, H, W))
    weight = rng.standard_normal((F, C, k, k))
    bias = rng.standard_normal(F)
    out_shape = (N, F, *(output_size(n, k, stride, padding, dilation) for n in (H, W)))
    grad_out = rng.standard_normal(out_shape)

    def loss():
        return np.sum(conv2d_loop(x, weight, bias, stride, padding, dilation) * grad_out)

    dx, dw, db = conv2d_backward_loop(x, weight, grad_out, stride, padding, dilation)
    for analytic, array in ((dx, x), (dw, weight), (db, bias)):
        assert relative_error(analytic, numerical_gradient(loss, array)) < 1e-6


# ---- 独立参照 ----

@st.composite
def problems(draw):
    k = draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    span = dilation * (k - 1) + 1
    low = max(1, span - 2 * padding)
    return dict(N=draw(st.integers(1, 3)), C=draw(st.integers(1, 3)), F=draw(st.integers(1, 3)),
                H=draw(st.integers(low, low + 6)), W=draw(st.integers(low, low + 6)), k=k,
                stride=draw(st.integers(1, 3)), padding=padding, dilation=dilation,
                seed=draw(st.integers(0, 2**32 - 1)))


def conv_layer(p, rng):
    layer = Convolution(p['C'], p['F'], p['k'], p['stride'], p['padding'], p['dilation']).astype(np.float64)
    layer.weight.data = rng.standard_normal(layer.weight.data.shape)
    layer.bias.data = rng.standard_normal(p['F'])
    return layer


def transpose_layer(p, rng, output_padding=0):
    """与 conv_layer 互为转置：ConvTranspose(F, C, k, …)，权重形状同为 (F, C, k, k)。"""
    layer = ConvTranspose(p['F'], p['C'], p['k'], p['stride'], p['padding'], output_padding,
                          p['dilation']).astype(np.float64)
    layer.weight.data = rng.standard_normal(layer.weight.data.shape)
    return layer


@settings(max_examples=40, deadline=None, database=None)
@given(problems())
def test_dilated_forward_matches_scipy_and_loop(problem):
    """膨胀卷积 = 用插了 0 的大卷积核做普通卷积：scipy.signal.correlate（valid）再按步幅取样。"""
    p = problem
    rng = np.random.default_rng(p['seed'])
    layer = conv_layer(p, rng)
    x = rng.standard_normal((p['N'], p['C'], p['H'], p['W']))
    out = layer(Tensor(x)).data
    xp = np.pad(x, ((0, 0), (0, 0), (p['padding'],) * 2, (p['padding'],) * 2))
    big = spread(layer.weight.data, p['dilation'])
    expected = np.stack([np.stack([signal.correlate(xp[n], big[f], mode='valid')[0] + layer.bias.data[f]
                                   for f in range(p['F'])]) for n in range(p['N'])])
    expected = expected[:, :, ::p['stride'], ::p['stride']]
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    loop = conv2d_loop(x, layer.weight.data, layer.bias.data, p['stride'], p['padding'], p['dilation'])
    np.testing.assert_allclose(out, loop, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None, database=None)
@given(problems(), st.data())
def test_conv_transpose_matches_scipy(problem, data):
    """转置卷积 = 输入按步幅插 0，与膨胀的卷积核做 full 模式的数学卷积（scipy.signal.convolve），
    再从四周各裁掉 padding 圈（下边、右边按 output_padding 补 0 行列）。"""
    p = problem
    rng = np.random.default_rng(p['seed'])
    output_padding = data.draw(st.integers(0, p['stride'] - 1))
    layer = transpose_layer(p, rng, output_padding)
    layer.bias.data = rng.standard_normal(p['C'])
    y = rng.standard_normal((p['N'], p['F'], p['H'], p['W']))
    try:
        out_h, out_w = (transposed_output_size(p[n], p['k'], p['stride'], p['padding'], output_padding,
                                               p['dilation']) for n in ('H', 'W'))
    except ValueError:
        return                                       # padding 太大、输出为空的情形在错误输入的测试里
    out = layer(Tensor(y)).data
    assert out.shape == (p['N'], p['C'], out_h, out_w)
    kernel = spread(layer.weight.data, p['dilation'])              # (F, C, span, span)
    expected = np.zeros_like(out)
    pd = p['padding']
    for n in range(p['N']):
        for c in range(p['C']):
            full = sum(signal.convolve(spread(y[n, f], p['stride']), kernel[f, c], mode='full')
                       for f in range(p['F']))
            full = np.pad(full, ((0, output_padding + pd), (0, output_padding + pd)))
            expected[n, c] = full[pd:pd + out_h, pd:pd + out_w] + layer.bias.data[c]
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def matching_sizes(p):
    """让 W 与 H 除以步幅的余数相同：卷积时两边向下取整丢掉的行数、列数一样，
    一个 output_padding 就能让转置卷积的输出回到 x 的形状。返回 (新的 p, output_padding)。"""
    p = dict(p, W=p['H'] + p['stride'] * (p['W'] % 3))
    span = p['dilation'] * (p['k'] - 1) + 1
    return p, (p['H'] + 2 * p['padding'] - span) % p['stride']


@settings(max_examples=40, deadline=None, database=None)
@given(problems())
def test_adjoint_identity(problem):
    """⟨C x, y⟩ = ⟨x, Cᵀ y⟩：同一个权重下，ConvTranspose 的前向是 Convolution 前向的伴随。"""
    p, output_padding = matching_sizes(problem)
    rng = np.random.default_rng(p['seed'])
    conv = conv_layer(p, rng)
    conv.bias.data[:] = 0
    transpose = transpose_layer(p, rng, output_padding)
    transpose.weight.data = conv.weight.data
    x = rng.standard_normal((p['N'], p['C'], p['H'], p['W']))
    cx = conv(Tensor(x)).data
    y = rng.standard_normal(cx.shape)
    cty = transpose(Tensor(y)).data
    assert cty.shape == x.shape
    np.testing.assert_allclose(np.sum(cx * y), np.sum(x * cty), rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None, database=None)
@given(problems())
def test_transpose_forward_is_conv_backward_and_back(problem):
    """ConvTranspose 的前向 = Convolution 对输入的反向传播；ConvTranspose 的反向 = Convolution 的前向。
    两者再与逐像素的 conv2d_backward_loop 对照（dx、dW、db）。"""
    p, output_padding = matching_sizes(problem)
    rng = np.random.default_rng(p['seed'])
    conv = conv_layer(p, rng)
    x = Tensor(rng.standard_normal((p['N'], p['C'], p['H'], p['W'])))
    y = conv(x)
    dy = rng.standard_normal(y.data.shape)
    y.backward(dy)
    dx, dw, db = conv2d_backward_loop(x.data, conv.weight.data, dy, p['stride'], p['padding'], p['dilation'])
    np.testing.assert_allclose(conv.weight.grad, dw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.bias.grad, db, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x.grad, dx, rtol=1e-10, atol=1e-10)

    transpose = transpose_layer(p, rng, output_padding)
    transpose.weight.data = conv.weight.data
    dy_tensor = Tensor(dy)
    up = transpose(dy_tensor)
    np.testing.assert_allclose(up.data, x.grad, rtol=1e-10, atol=1e-10)             # 前向 = 卷积的反向
    g = rng.standard_normal(up.data.shape)
    up.backward(g)
    conv.bias.data[:] = 0
    np.testing.assert_allclose(dy_tensor.grad, conv(Tensor(g)).data, rtol=1e-10, atol=1e-10)  # 反向 = 前向


@settings(max_examples=40, deadline=None, database=None)
@given(problems())
def test_dilated_im2col_col2im_adjoint(problem):
    p = problem
    rng = np.random.default_rng(p['seed'])
    shape = (p['N'], p['C'], p['H'], p['W'])
    x = rng.standard_normal(shape)
    cols = im2col(x, p['k'], p['stride'], p['padding'], p['dilation'])
    c = rng.standard_normal(cols.shape)
    right = np.sum(x * col2im(c, shape, p['k'], p['stride'], p['padding'], p['dilation']))
    np.testing.assert_allclose(np.sum(cols * c), right, rtol=1e-10, atol=1e-10)


def test_dilated_im2col_column_is_spaced_window(rng):
    """dilation=2 的一列是窗口里隔一个取一个的像素。"""
    x = rng.standard_normal((1, 2, 7, 8))
    cols = im2col(x, 3, stride=1, padding=0, dilation=2)
    out_w = output_size(8, 3, 1, 0, 2)
    assert cols.shape == (1, 2 * 9, output_size(7, 3, 1, 0, 2) * out_w) == (1, 18, 3 * 4)
    i, j = 1, 2
    np.testing.assert_array_equal(cols[0, :, i * out_w + j], x[0, :, i:i + 5:2, j:j + 5:2].ravel())


# ---- 尺寸 ----

@pytest.mark.parametrize('size, k, stride, padding, dilation, expected', [
    (28, 3, 1, 0, 2, 24), (28, 3, 1, 2, 2, 28), (28, 3, 2, 0, 3, 11), (7, 3, 1, 0, 3, 1), (5, 1, 1, 0, 4, 5),
])
def test_dilated_output_size(size, k, stride, padding, dilation, expected):
    assert output_size(size, k, stride, padding, dilation) == expected


@pytest.mark.parametrize('size, k, stride, padding, output_padding, dilation, expected', [
    (14, 4, 2, 1, 0, 1, 28), (7, 3, 2, 1, 1, 1, 14), (7, 3, 2, 1, 0, 1, 13), (3, 3, 1, 0, 0, 2, 7),
    (5, 2, 3, 0, 2, 1, 16),
])
def test_transposed_output_size(size, k, stride, padding, output_padding, dilation, expected):
    assert transposed_output_size(size, k, stride, padding, output_padding, dilation) == expected


@pytest.mark.parametrize('size', range(1, 9))
@pytest.mark.parametrize('k, stride, padding, dilation',
                         [(3, 2, 1, 1), (4, 2, 1, 1), (3, 3, 0, 2), (2, 1, 1, 1)])
def test_transposed_size_inverts_conv_size(size, k, stride, padding, dilation):
    """每个 output_padding 给出的边长，卷积回去都正好是 size：转置卷积把卷积的尺寸公式倒过来。"""
    for output_padding in range(stride):
        try:
            out = transposed_output_size(size, k, stride, padding, output_padding, dilation)
        except ValueError:
            continue
        assert output_size(out, k, stride, padding, dilation) == size


def test_checkerboard_of_stride_2_kernel_3():
    """全 1 的输入、全 1 的卷积核：k=3 时各像素收到的块数 1、2 交替（棋盘格），k=4 时内部处处是 2。"""
    ones = Tensor(np.ones((1, 1, 6, 6)))
    counts = {}
    for k in (3, 4):
        layer = ConvTranspose(1, 1, k, stride=2, padding=1).astype(np.float64)
        layer.weight.data[:] = 1
        counts[k] = layer(ones).data[0, 0]
    inner3, inner4 = counts[3][1:-1, 1:-1], counts[4][1:-1, 1:-1]
    assert set(np.unique(inner3)) == {1, 2, 4}
    assert np.all(inner4 == 4)                       # 每个内部像素被 2×2 个块盖住
    assert counts[3][1, 1] == 4 and counts[3][2, 2] == 1 and counts[3][1, 2] == 2


# ---- 描述与错误输入 ----

def test_describe():
    assert str(Convolution(1, 16, 3, padding=2, dilation=2)) == (
        'Convolution[weight(16, 1, 3, 3); bias(16,); kernels=3; stride=1; padding=2; dilation=2]')
    assert str(ConvTranspose(16, 1, 4, stride=2, padding=1)) == (
        'ConvTranspose[weight(16, 1, 4, 4); bias(1,); kernels=4; stride=2; padding=1]')
    assert str(ConvTranspose(2, 3, 3, stride=2, output_padding=1, dilation=2)) == (
        'ConvTranspose[weight(2, 3, 3, 3); bias(3,); kernels=3; stride=2; padding=0; '
        'output_padding=1; dilation=2]')


@pytest.mark.parametrize('dilation', [0, -1, 1.5, True])
def test_invalid_dilation(raises_chinese, dilation):
    for make in (lambda: Convolution(1, 1, 3, dilation=dilation),
                 lambda: ConvTranspose(1, 1, 3, dilation=dilation),
                 lambda: output_size(9, 3, dilation=dilation),
                 lambda: im2col(np.zeros((1, 1, 9, 9)), 3, dilation=dilation)):
        with raises_chinese(ValueError, 'dilation', repr(dilation)):
            make()


def test_kernel_larger_than_dilated_extent(raises_chinese):
    with raises_chinese(ValueError, '3×3', 'dilation=3', '覆盖 7×7', '(1, 1, 5, 8)', '5×8'):
        Convolution(1, 1, 3, dilation=3)(Tensor(np.zeros((1, 1, 5, 8))))
    with raises_chinese(ValueError, '3×3', 'dilation=2', '覆盖 5×5', '4'):
        output_size(4, 3, dilation=2)
    with raises_chinese(ValueError, '覆盖 5×5'):
        im2col(np.zeros((1, 1, 4, 4)), 3, dilation=2)


def test_conv_transpose_channel_mismatch(raises_chinese):
    with raises_chinese(ValueError, 'ConvTranspose', '(N, 3, H, W)', '(2, 1, 8, 8)'):
        ConvTranspose(3, 2, 3)(Tensor(np.zeros((2, 1, 8, 8))))


@pytest.mark.parametrize('shape', [(3, 8, 8), (1, 1, 1, 8, 8)])
def test_conv_transpose_wrong_ndim(raises_chinese, shape):
    with raises_chinese(ValueError, 'ConvTranspose', str(shape)):
        ConvTranspose(1, 2, 3)(Tensor(np.zeros(shape)))


@pytest.mark.parametrize('kwargs, fragments', [
    (dict(stride=0), ('stride', '0')), (dict(padding=-1), ('padding', '-1')),
    (dict(output_padding=2, stride=2), ('output_padding', 'stride=2', 'output_padding=2')),
    (dict(output_padding=1), ('output_padding < stride=1',)),
])
def test_conv_transpose_invalid_args(raises_chinese, kwargs, fragments):
    with raises_chinese(ValueError, *fragments):
        ConvTranspose(1, 2, 3, **kwargs)


def test_conv_transpose_padding_too_large(raises_chinese):
    with raises_chinese(ValueError, '(1 - 1)×1 - 2×2 + 3 + 0 = -1', '≥ 1'):
        ConvTranspose(1, 1, 3, padding=2)(Tensor(np.zeros((1, 1, 1, 1))))


def test_backward_loop_wrong_grad_shape(raises_chinese):
    with raises_chinese(ValueError, '(1, 2, 3, 3)', '(1, 2, 5, 5)'):
        conv2d_backward_loop(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros((1, 2, 5, 5)))


def test_float32_conv_transpose(rng):
    """默认 float32 的层与 float32 输入：结果是 float32，与 float64 的 Convolution 反向传播接近。"""
    layer = ConvTranspose(3, 2, 3, stride=2, padding=1, output_padding=1)
    y = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    out = layer(Tensor(y)).data
    assert out.dtype == np.float32 and out.shape == (2, 2, 8, 8)
    dx, _, _ = conv2d_backward_loop(np.zeros((2, 2, 8, 8)), layer.weight.data.astype(np.float64),
                                    y.astype(np.float64), stride=2, padding=1)
    np.testing.assert_allclose(out, dx, rtol=1e-4, atol=1e-5)


def test_dilate_inserts_zeros():
    from lib.transposed import dilate

    a = np.arange(1.0, 7.0).reshape(1, 2, 3)
    out = dilate(a, 3)
    assert out.shape == (1, 4, 7)
    np.testing.assert_array_equal(out[0, ::3, ::3], a[0])
    assert np.count_nonzero(out) == a.size
    np.testing.assert_array_equal(dilate(a, 1), a)
    np.testing.assert_array_equal(dilate(a, 2), spread(a, 2))
