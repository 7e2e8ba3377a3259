"""池化层：梯度检验、与逐窗口循环的参照对照（hypothesis）、并列规则、两条路线一致、错误输入。"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib
from lib import AvgPool, MaxPool, Tensor
from lib.gradcheck import assert_gradients_ok, layer_gradient_errors
from lib.pooling import pool_windows, pool_windows_adjoint

POOLS = [MaxPool, AvgPool]


def distinct_values(rng, shape):
    """互不相同、两两至少相差 0.01 的数：中心差分的 ε = 1e-6 不会改变窗口里谁最大。"""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1.0).astype(np.float64)


# ---- 参照实现：逐个输出位置取窗口 ----

def pool_loop(x, k, s, mode):
    """逐窗口循环的前向参照。"""
    N, C, H, W = x.shape
    out_h, out_w = (H - k) // s + 1, (W - k) // s + 1
    out = np.zeros((N, C, out_h, out_w))
    for n in range(N):
        for c in range(C):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * s:i * s + k, j * s:j * s + k]
                    out[n, c, i, j] = window.max() if mode == 'max' else window.mean()
    return out


def pool_loop_backward(x, grad, k, s, mode):
    """逐窗口循环的反向参照：最大池化把梯度给窗口里按行优先第一个最大值，平均池化平分给 k² 个像素。"""
    N, C, H, W = x.shape
    out = np.zeros_like(x, dtype=np.float64)
    for n in range(N):
        for c in range(C):
            for i in range(grad.shape[2]):
                for j in range(grad.shape[3]):
                    window = x[n, c, i * s:i * s + k, j * s:j * s + k]
                    if mode == 'max':
                        m, q = divmod(int(np.argmax(window)), k)    # np.argmax：按行优先的第一个最大值
                        out[n, c, i * s + m, j * s + q] += grad[n, c, i, j]
                    else:
                        out[n, c, i * s:i * s + k, j * s:j * s + k] += grad[n, c, i, j] / (k * k)
    return out


# ---- 梯度检验 ----

POOL_CASES = [
    # N, C, H, W, k, stride
    (2, 3, 4, 6, 2, None),   # 不重叠，整除：变形路线
    (2, 2, 5, 7, 2, None),   # 不重叠，不整除：多出的行列被裁掉
    (3, 2, 6, 6, 3, 3),      # 不重叠，3×3
    (2, 3, 5, 6, 3, 2),      # 重叠：图转列路线
    (2, 2, 4, 5, 2, 1),      # 重叠，步幅 1
    (2, 2, 7, 7, 2, 3),      # 步幅大于窗口：有的像素不在任何窗口里
    (1, 1, 3, 3, 3, 1),      # 窗口与输入一样大
    (2, 2, 4, 4, 1, 1),      # 1×1 窗口：原样输出
]


@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
@pytest.mark.parametrize('N, C, H, W, k, stride', POOL_CASES)
def test_gradcheck_pool(rng, Pool, N, C, H, W, k, stride):
    layer = Pool(k, stride)
    errors = layer_gradient_errors(layer, distinct_values(rng, (N, C, H, W)), rng)
    assert set(errors) == {'x'}
    assert_gradients_ok(errors)


def test_gradcheck_pool_inside_network(rng):
    """卷积 → ReLU → 最大池化 → 卷积 → 平均池化 → 展平 → 线性：池化层把梯度传给前面的参数。"""
    lib.seed(5)
    network = lib.Sequential([lib.Convolution(2, 3, 3, padding=1), lib.ReLU(), MaxPool(2),
                              lib.Convolution(3, 2, 2), AvgPool(2, 1), lib.Flatten(),
                              lib.Linear(2 * 2 * 2, 3)])
    errors = layer_gradient_errors(network, rng.standard_normal((2, 2, 8, 8)), rng)
    assert len(errors) == 1 + 6
    assert_gradients_ok(errors, tolerance=1e-5)


# ---- 与参照对照（随机形状、步幅；包括大量并列的情形） ----

@st.composite
def pool_problems(draw):
    k = draw(st.integers(1, 4))
    return dict(N=draw(st.integers(1, 3)), C=draw(st.integers(1, 3)),
                H=draw(st.integers(k, 10)), W=draw(st.integers(k, 10)), k=k,
                stride=draw(st.one_of(st.none(), st.integers(1, 4))),
                ties=draw(st.booleans()), seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=60, deadline=None, database=None)
@given(pool_problems(), st.sampled_from(['max', 'avg']))
def test_matches_loop_reference(problem, mode):
    p = problem
    rng = np.random.default_rng(p['seed'])
    shape = (p['N'], p['C'], p['H'], p['W'])
    # ties=True 时取值只有 0、1、2 三种，窗口里几乎总有并列的最大值
    x = rng.integers(0, 3, shape).astype(np.float64) if p['ties'] else rng.standard_normal(shape)
    k, s = p['k'], p['stride'] or p['k']
    layer = (MaxPool if mode == 'max' else AvgPool)(k, p['stride'])
    inputs = Tensor(x)
    y = layer(inputs)
    expected = pool_loop(x, k, s, mode)
    assert y.data.shape == expected.shape == layer.output_shape(shape)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)

    grad = rng.standard_normal(y.data.shape)
    y.backward(grad)
    np.testing.assert_allclose(inputs.grad, pool_loop_backward(x, grad, k, s, mode), rtol=1e-12, atol=1e-12)


# ---- 最大池化的并列规则 ----

def test_max_tie_goes_to_first_in_row_major_order():
    x = Tensor(np.array([[[[1.0, 5.0],
                           [5.0, 2.0]]]]))
    y = MaxPool(2)(x)
    y.backward(np.array([[[[3.0]]]]))
    assert y.data[0, 0, 0, 0] == 5.0
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 3.0], [0.0, 0.0]])   # 第 0 行的 5 先出现


@pytest.mark.parametrize('method', ['reshape', 'im2col'])
def test_all_equal_window_gives_top_left(method):
    """ReLU 之后常见全 0 的窗口：整份梯度给左上角（两条路线相同）。"""
    x = Tensor(np.zeros((1, 2, 4, 6)))
    y = MaxPool(2, method=method)(x)
    y.backward(np.ones(y.data.shape))
    expected = np.zeros((4, 6))
    expected[::2, ::2] = 1.0
    for c in range(2):
        np.testing.assert_array_equal(x.grad[0, c], expected)


def test_overlapping_ties_accumulate():
    """窗口重叠、处处并列：每个窗口的梯度都给它的左上角，左上角被几个窗口共用就收到几份。"""
    x = Tensor(np.zeros((1, 1, 3, 3)))
    y = MaxPool(2, stride=1)(x)
    y.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_gradient_goes_to_argmax_only(rng):
    x = Tensor(distinct_values(rng, (2, 3, 6, 6)))
    y = MaxPool(2)(x)
    y.backward(np.ones(y.data.shape))
    assert x.grad.sum() == y.data.size                     # 每个窗口恰好一个像素收到梯度
    assert set(np.unique(x.grad)) == {0.0, 1.0}
    # 收到梯度的像素恰好是各窗口的最大值
    assert np.array_equal(np.sort(x.data[x.grad == 1]), np.sort(y.data.reshape(-1)))


# ---- 变形路线与图转列路线一致 ----

@pytest.mark.parametrize('shape, k', [((2, 3, 8, 8), 2), ((2, 2, 7, 9), 2), ((1, 3, 9, 10), 3),
                                      ((3, 1, 5, 5), 5)])
@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
def test_reshape_and_im2col_paths_agree(rng, shape, k, Pool):
    x = rng.standard_normal(shape)
    x[..., 0, :] = 0.0                                      # 加一些并列
    np.testing.assert_array_equal(pool_windows(x, k, k, 'reshape'), pool_windows(x, k, k, 'im2col'))
    results = []
    for method in ('reshape', 'im2col', 'auto'):          # auto：层在 k×k 个偏移的切片上计算
        inputs = Tensor(x.copy())
        y = Pool(k, method=method)(inputs)
        y.backward(np.arange(y.data.size, dtype=np.float64).reshape(y.data.shape))
        results.append((y.data, inputs.grad))
    for y, grad in results[1:]:
        np.testing.assert_allclose(y, results[0][0], rtol=1e-14, atol=0)
        np.testing.assert_allclose(grad, results[0][1], rtol=1e-14, atol=0)


def test_auto_method_choice():
    x = np.zeros((1, 1, 6, 6))
    assert MaxPool(2).method == 'auto'
    for stride in (1, 2, 3):   # 自动选择：窗口不重叠时变形，否则图转列；两者结果一样，这里只检查能运行
        out = (6 - 2) // stride + 1
        assert MaxPool(2, stride)(Tensor(x)).data.shape == (1, 1, out, out)


@pytest.mark.parametrize('shape, k, stride', [((2, 3, 7, 5), 2, 2), ((1, 2, 8, 8), 3, 2),
                                              ((2, 1, 9, 6), 2, 3)])
@pytest.mark.parametrize('method', ['auto', 'im2col'])
def test_windows_adjoint(rng, shape, k, stride, method):
    """伴随：⟨windows(x), g⟩ = ⟨x, adjoint(g)⟩。"""
    if method == 'auto' and stride != k:
        method = 'im2col'
    x = rng.standard_normal(shape)
    windows = pool_windows(x, k, stride, method)
    g = rng.standard_normal(windows.shape)
    back = pool_windows_adjoint(g, shape, k, stride, method)
    assert back.shape == shape
    assert np.isclose(np.sum(windows * g), np.sum(x * back))


# ---- 多出的行列、形状、dtype ----

@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
def test_leftover_rows_and_columns_are_dropped(rng, Pool):
    x = rng.standard_normal((2, 2, 5, 7))
    inputs = Tensor(x.copy())
    y = Pool(2)(inputs)
    assert y.data.shape == (2, 2, 2, 3)                      # 5 // 2 = 2，7 // 2 = 3
    np.testing.assert_array_equal(y.data, Pool(2)(Tensor(x[:, :, :4, :6].copy())).data)
    y.backward(np.ones(y.data.shape))
    assert not inputs.grad[:, :, 4, :].any() and not inputs.grad[:, :, :, 6].any()
    changed = x.copy()
    changed[:, :, 4, :] = 100.0                              # 改最后一行：输出不变
    np.testing.assert_array_equal(Pool(2)(Tensor(changed)).data, y.data)


@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
def test_float32_stays_float32_and_no_parameters(Pool):
    x = Tensor(np.ones((2, 3, 8, 8), dtype=np.float32))
    layer = Pool(2)
    y = layer(x)
    y.backward(np.ones(y.data.shape, dtype=np.float32))
    assert y.data.dtype == np.float32 and x.grad.dtype == np.float32
    assert layer.parameters() == [] and layer.parameter_count() == 0


@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
def test_data_batch_gets_no_gradient(Pool):
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=False)
    y = Pool(2)(x)
    y.backward(np.ones(y.data.shape))
    assert x._grad is None                                   # 数据批次：不分配、不计算输入梯度


def test_avg_pool_small_example():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(MaxPool(2)(Tensor(x)).data[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(AvgPool(2)(Tensor(x)).data[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_describe_and_sequential_printing():
    assert str(MaxPool(2)) == 'MaxPool[kernel_size=2; stride=2]'
    assert str(AvgPool(3, 1)) == 'AvgPool[kernel_size=3; stride=1]'
    network = lib.Sequential([lib.Convolution(1, 2, 3), lib.ReLU(), MaxPool(2), lib.Flatten()])
    text = str(network)
    assert 'MaxPool[kernel_size=2; stride=2]' in text and text.endswith('参数总数：20')
    network.eval()
    assert not network.layers[2].training


# ---- 错误输入 ----

@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
def test_wrong_ndim(raises_chinese, Pool):
    name = Pool.__name__
    with raises_chinese(ValueError, name, '4 维', '(N, C, H, W)', '3 维', '(1, 28, 28)'):
        Pool(2)(Tensor(np.zeros((1, 28, 28))))
    with raises_chinese(TypeError, name, 'Tensor', 'ndarray'):
        Pool(2)(np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
def test_window_larger_than_input(raises_chinese, Pool):
    with raises_chinese(ValueError, Pool.__name__, '3×3', '(2, 1, 2, 5)', '2×5'):
        Pool(3)(Tensor(np.zeros((2, 1, 2, 5))))


@pytest.mark.parametrize('Pool', POOLS, ids=lambda p: p.__name__)
@pytest.mark.parametrize('kwargs, fragments', [
    (dict(kernel_size=0), ['kernel_size', '≥ 1', '0']),
    (dict(kernel_size=-2), ['kernel_size', '-2']),
    (dict(kernel_size=2.5), ['kernel_size', '2.5']),
    (dict(kernel_size='2'), ['kernel_size', "'2'"]),
    (dict(kernel_size=True), ['kernel_size', 'True']),
    (dict(kernel_size=2, stride=0), ['stride', '0']),
    (dict(kernel_size=2, stride=1.5), ['stride', '1.5']),
    (dict(kernel_size=2, method='fast'), ['method', "'fast'"]),
    (dict(kernel_size=2, stride=1, method='reshape'), ['stride == kernel_size', 'stride=1']),
])
def test_bad_arguments(raises_chinese, Pool, kwargs, fragments):
    with raises_chinese(ValueError, *fragments):
        Pool(**kwargs)
