"""各层：梯度检验、丢弃层、初始化、错误输入、打印与参数发现。"""

import numpy as np
import pytest

import lib
from lib import Convolution, Dropout, Flatten, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, Tensor
from lib.gradcheck import assert_gradients_ok, layer_gradient_errors


def away_from_zero(rng, shape, low=0.1):
    """远离 0 的输入，避免 ReLU 在拐点处的差分出错。"""
    return rng.uniform(low, 1.0, shape) * rng.choice([-1.0, 1.0], shape)


# ---- 梯度检验 ----

@pytest.mark.parametrize('batch, in_size, out_size', [(1, 3, 2), (4, 5, 3), (3, 1, 6)])
def test_gradcheck_linear(rng, batch, in_size, out_size):
    x = rng.standard_normal((batch, in_size))
    assert_gradients_ok(layer_gradient_errors(Linear(in_size, out_size), x, rng))


@pytest.mark.parametrize('shape', [(2, 3), (2, 3, 4, 5), (3, 2, 2)])
def test_gradcheck_flatten(rng, shape):
    assert_gradients_ok(layer_gradient_errors(Flatten(), rng.standard_normal(shape), rng))


def test_gradcheck_dropout_train_with_fixed_mask(rng):
    """训练模式：每次前向前 lib.seed(7)，掩码重复，梯度检验可行。"""
    layer = Dropout(0.5)
    x = rng.standard_normal((4, 6))
    lib.seed(7)
    out = layer(Tensor(x)).data
    assert np.any(out == 0) and np.any(out != 0)  # 掩码确实起作用
    assert_gradients_ok(layer_gradient_errors(layer, x, rng, before_forward=lambda: lib.seed(7)))


def test_gradcheck_dropout_eval(rng):
    layer = Dropout(0.5)
    layer.eval()
    assert_gradients_ok(layer_gradient_errors(layer, rng.standard_normal((3, 5)), rng))


def test_gradcheck_relu(rng):
    x = away_from_zero(rng, (4, 7))
    assert np.any(x < 0) and np.any(x > 0)
    assert_gradients_ok(layer_gradient_errors(ReLU(), x, rng))


@pytest.mark.parametrize('layer_type', [Tanh, Sigmoid])
def test_gradcheck_smooth_activations(rng, layer_type):
    assert_gradients_ok(layer_gradient_errors(layer_type(), 2 * rng.standard_normal((3, 5)), rng))


@pytest.mark.parametrize('axis, shape', [(-1, (3, 5)), (1, (2, 4, 3)), (0, (4, 2))])
def test_gradcheck_softmax(rng, axis, shape):
    assert_gradients_ok(layer_gradient_errors(Softmax(axis=axis), rng.standard_normal(shape), rng))


def test_gradcheck_sequential(rng):
    """几层串起来（含卷积、嵌套的 Sequential 与固定掩码的丢弃层），对输入和全部参数检验。"""
    layer = Sequential([
        Convolution(2, 3, 3, stride=2, padding=1),
        Tanh(),
        Flatten(),
        Dropout(0.3),
        Sequential([Linear(3 * 3 * 3, 5), Sigmoid()]),
        Linear(5, 4),
        Softmax(),
    ])
    assert len(layer.parameters()) == 6
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 5, 6)), rng,
                                   before_forward=lambda: lib.seed(3))
    assert len(errors) == 7
    assert_gradients_ok(errors)


# ---- 丢弃层 ----

def test_dropout_eval_is_identity(rng):
    layer = Dropout(0.5)
    layer.eval()
    x = rng.standard_normal((10, 10))
    np.testing.assert_array_equal(layer(Tensor(x)).data, x)


def test_dropout_rate_zero_is_identity_in_training(rng):
    x = rng.standard_normal((10, 10))
    np.testing.assert_array_equal(Dropout(0.0)(Tensor(x)).data, x)


def test_dropout_statistics():
    """1e6 个 1，丢弃率 0.3：均值仍约为 1，零的比例约为 0.3，留下的值是 1/0.7。"""
    rate = 0.3
    out = Dropout(rate)(Tensor(np.ones(1_000_000))).data
    assert abs(out.mean() - 1) < 0.005
    assert abs(np.mean(out == 0) - rate) < 0.005
    np.testing.assert_allclose(out[out != 0], 1 / (1 - rate), rtol=1e-6)


def test_dropout_scales_survivors(rng):
    rate = 0.25
    x = rng.uniform(0.5, 1.5, (50, 40))
    out = Dropout(rate)(Tensor(x)).data
    kept = out != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-6)


def test_dropout_mask_changes_between_calls_and_repeats_with_seed(rng):
    layer, x = Dropout(0.5), Tensor(np.ones((20, 20)))
    a, b = layer(x).data, layer(x).data
    assert not np.array_equal(a, b)
    lib.seed(11)
    c = layer(x).data
    lib.seed(11)
    np.testing.assert_array_equal(layer(x).data, c)


# ---- 初始化 ----

def test_linear_init_he_normal():
    layer = Linear(1000, 400)
    w = layer.weight.data
    expected_std = np.sqrt(2 / 1000)
    assert np.any(w > 0) and np.any(w < 0)
    assert abs(w.mean()) < 0.02 * expected_std
    assert abs(w.std() / expected_std - 1) < 0.02
    assert layer.bias.data.shape == (400,) and not np.any(layer.bias.data)


def test_init_repeats_with_seed():
    lib.seed(5)
    a = Linear(10, 4).weight.data.copy()
    lib.seed(5)
    b = Linear(10, 4).weight.data
    c = Linear(10, 4).weight.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


# ---- 错误输入 ----

@pytest.mark.parametrize('shape', [(5,), (2, 3, 4)])
def test_linear_wrong_ndim(raises_chinese, shape):
    with raises_chinese(ValueError, 'Linear', str(shape)):
        Linear(4, 2)(Tensor(np.zeros(shape)))


def test_linear_feature_mismatch(raises_chinese):
    with raises_chinese(ValueError, '(N, 4)', '(3, 5)'):
        Linear(4, 2)(Tensor(np.zeros((3, 5))))


def test_linear_non_tensor_input(raises_chinese):
    with raises_chinese(TypeError, 'ndarray'):
        Linear(4, 2)(np.zeros((3, 4)))


def test_linear_failed_forward_keeps_state(rng):
    layer = Linear(4, 2)
    before = [p.data.copy() for p in layer.parameters()]
    with pytest.raises(ValueError):
        layer(Tensor(np.zeros((3, 5))))
    for p, old in zip(layer.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, old)
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ before[0].T + before[1], rtol=1e-6)


@pytest.mark.parametrize('rate', [1.0, -0.1, 1.5])
def test_dropout_invalid_rate(raises_chinese, rate):
    with raises_chinese(ValueError, str(rate)):
        Dropout(rate)


def test_sequential_rejects_non_layer(raises_chinese):
    with raises_chinese(TypeError, 'int'):
        Sequential([ReLU(), 3])


# ---- 打印、参数发现、train/eval ----

def test_str_lists_layers_and_parameter_count():
    model = Sequential([Linear(6, 4), ReLU(), Dropout(0.25), Linear(4, 2)])
    text = str(model)
    lines = text.splitlines()
    assert lines[0] == 'Linear[weight(4, 6); bias(4,)]'
    assert lines[1] == 'ReLU[]'
    assert lines[2] == 'Dropout[rate=0.25]'
    assert lines[3] == 'Linear[weight(2, 4); bias(2,)]'
    assert lines[4] == f'参数总数：{6 * 4 + 4 + 4 * 2 + 2:,}'


def test_parameter_count_thousands_separator():
    assert f'{1000 * 100 + 100:,}' in str(Sequential([Linear(1000, 100)]))


def test_parameters_recurse_into_nested_sequential():
    inner_linear, conv, outer_linear = Linear(3, 2), Convolution(1, 2, 3), Linear(2, 1)
    model = Sequential([conv, Sequential([ReLU(), Sequential([inner_linear])]), outer_linear])
    params = model.parameters()
    expected = [conv.weight, conv.bias, inner_linear.weight, inner_linear.bias,
                outer_linear.weight, outer_linear.bias]
    assert len(params) == len(expected)
    assert all(a is b for a, b in zip(params, expected, strict=True))
    assert model.parameter_count() == sum(p.data.size for p in expected)


def test_train_eval_propagate_to_children():
    dropout = Dropout(0.5)
    inner = Sequential([Linear(2, 2), dropout])
    model = Sequential([inner, ReLU()])
    layers = [model, inner, dropout, *inner.layers, *model.layers]
    model.eval()
    assert not any(layer.training for layer in layers)
    x = Tensor(np.ones((4, 2)))
    np.testing.assert_array_equal(model(x).data, model(x).data)  # 评估模式下没有随机性
    model.train()
    assert all(layer.training for layer in layers)


def test_astype_converts_parameters():
    model = Sequential([Linear(3, 2), Sequential([Convolution(1, 1, 2)])])
    assert model.astype(np.float64) is model
    assert all(p.data.dtype == np.float64 for p in model.parameters())


def test_sigmoid_extreme_inputs_do_not_overflow():
    with np.errstate(over='raise'):
        out = Sigmoid()(Tensor(np.array([-1000.0, 0.0, 1000.0]))).data
    np.testing.assert_allclose(out, [0, 0.5, 1], atol=1e-12)


def test_softmax_rows_are_probabilities(rng):
    out = Softmax()(Tensor(rng.standard_normal((4, 7)) * 50)).data
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-12)


def test_shared_layer_parameters_counted_once():
    shared = Linear(3, 3)
    model = Sequential([shared, ReLU(), shared])
    assert len(model.parameters()) == 2
    assert model.parameter_count() == 12


def test_no_input_gradient_for_data_batches():
    """数据批次 requires_grad=False：层不为它分配、计算输入梯度，但参数梯度照常。"""
    conv, linear = Convolution(1, 2, 3), Linear(4, 2)
    for layer, shape in ((conv, (2, 1, 5, 5)), (linear, (2, 4))):
        x = Tensor(np.random.default_rng(0).random(shape), requires_grad=False)
        layer(x).sum().backward()
        assert x._grad is None
        assert np.abs(layer.weight.grad).sum() > 0


@pytest.mark.parametrize('make', [lambda: (Convolution(2, 3, 3, padding=1), (2, 2, 5, 5)),
                                  lambda: (Linear(4, 3), (2, 4))])
def test_parameter_gradients_accumulate_over_two_backward_passes(make):
    """不清零时，两次反向传播的参数梯度相加（第一次接管数组，第二次累加）。"""
    layer, shape = make()
    x = Tensor(np.random.default_rng(1).standard_normal(shape))
    layer(x).sum().backward()
    once = [p.grad.copy() for p in layer.parameters()]
    layer(x).sum().backward()
    for p, g in zip(layer.parameters(), once, strict=True):
        assert p.grad.shape == p.data.shape
        assert np.allclose(p.grad, 2 * g)
