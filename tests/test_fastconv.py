"""lib.fastconv：四种卷积算法与 lib.Convolution 一致（float32 相对误差 < 1e-5，float64 < 1e-10）。"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lib
from lib import fastconv

ALGORITHMS = [fastconv.conv_direct, fastconv.conv_im2col, fastconv.conv_fft, fastconv.conv_winograd]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}


def reference(x, weight, bias, padding):
    F, C, k, _ = weight.shape
    layer = lib.Convolution(C, F, k, padding=padding).astype(x.dtype)
    layer.weight.data, layer.bias.data = weight.copy(), bias.copy()
    return layer(lib.Tensor(x)).data


@settings(max_examples=40, deadline=None, database=None)
@given(N=st.integers(1, 3), C=st.integers(1, 4), F=st.integers(1, 4), H=st.integers(3, 13),
       W=st.integers(3, 13), k=st.sampled_from([1, 2, 3, 3, 5]), padding=st.integers(0, 2),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_algorithms_match_lib_convolution(N, C, F, H, W, k, padding, dtype, seed):
    if min(H, W) + 2 * padding < k:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    weight = rng.standard_normal((F, C, k, k)).astype(dtype)
    bias = rng.standard_normal(F).astype(dtype)
    expected = reference(x, weight, bias, padding)
    for fn in ALGORITHMS:
        if fn is fastconv.conv_winograd and k != 3:
            continue
        actual = fn(x, weight, bias, padding)
        assert actual.shape == expected.shape and actual.dtype == dtype, fn.__name__
        error = np.abs(actual - expected).max() / np.abs(expected).max()
        assert error < TOLERANCE[dtype], f'{fn.__name__} 相对误差 {error:.1e}'


@pytest.mark.parametrize('H, W', [(4, 4), (5, 5), (6, 9), (28, 28), (7, 3)])
def test_winograd_odd_and_even_outputs(H, W):
    """输出边长为奇数时最后一块只用到一半：补零后裁掉，结果仍然精确。"""
    rng = np.random.default_rng(H * 100 + W)
    x = rng.standard_normal((2, 3, H, W))
    weight, bias = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    for padding in (0, 1):
        np.testing.assert_allclose(fastconv.conv_winograd(x, weight, bias, padding),
                                   reference(x, weight, bias, padding), rtol=1e-10, atol=1e-10)


def test_winograd_transforms_are_the_matrices():
    """winograd_bt、winograd_at 的加减就是乘以 Bᵀ、Aᵀ；一块的 Aᵀ[(GgGᵀ)⊙(BᵀdB)]A 等于 2×2 互相关。"""
    rng = np.random.default_rng(0)
    d4 = rng.standard_normal(4)
    np.testing.assert_allclose(fastconv.winograd_bt(*d4), fastconv.WINOGRAD_BT @ d4)
    np.testing.assert_allclose(fastconv.winograd_at(*d4), fastconv.WINOGRAD_AT @ d4)
    d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    BT, G, AT = fastconv.WINOGRAD_BT, fastconv.WINOGRAD_G, fastconv.WINOGRAD_AT
    tile = AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T
    direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(tile, direct, rtol=1e-12, atol=1e-12)


def test_multiplication_counts():
    assert fastconv.multiplications('im2col', 2, 3, 4, 6, 6, 3) == 2 * 4 * 3 * 9 * 36
    assert fastconv.multiplications('winograd', 2, 3, 4, 6, 6, 3) == 2 * 4 * 3 * 16 * 9   # 16 / 36
    assert fastconv.multiplications('fft', 1, 1, 1, 6, 6, 3) == 4 * 8 * 5


def test_bad_arguments(raises_chinese):
    x, weight = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 5, 5))
    with raises_chinese(ValueError, 'conv_winograd', '3×3', '5×5'):
        fastconv.conv_winograd(x, weight)
    with raises_chinese(ValueError, 'conv_fft', '(1, 2, 5, 5)', '(3, 4, 3, 3)'):
        fastconv.conv_fft(x, np.zeros((3, 4, 3, 3)))
    with raises_chinese(ValueError, 'conv_direct', '偏置'):
        fastconv.conv_direct(x, weight, np.zeros(2))
    with raises_chinese(ValueError, 'method'):
        fastconv.multiplications('magic', 1, 1, 1, 1, 1, 1)
