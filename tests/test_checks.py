"""练习的自动检查（lib.exercises）：参考答案通过；典型的错误答案失败，并且报出说得清的中文信息。"""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import signal

import lib
from lib.exercises import ch1_intuition, ch2_im2col, ch3_training, ch4_pooling, harness
from lib.exercises.harness import CheckError

# 各章的检查与共用部分合在一个命名空间里，测试里统一写 checks.xxx
MODULES = (harness, ch1_intuition, ch2_im2col, ch3_training, ch4_pooling)
checks = SimpleNamespace(**{name: value for module in MODULES
                            for name, value in vars(module).items() if not name.startswith('_')})

# ---- 参考答案（与 lib 无关的写法，免得“拿 lib 检查 lib”） ----


def output_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def correlate2d(image, kernel):
    k = kernel.shape[0]
    out = np.empty((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)
    return out


def im2col_per_pixel(x, kernel_size, stride=1, padding=0):
    """逐个输出位置取窗口（与 lib.im2col 的按偏移取法不同）。"""
    N, C, H, W = x.shape
    k = kernel_size
    out_h, out_w = output_size(H, k, stride, padding), output_size(W, k, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = [xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k].reshape(N, -1)
               for i in range(out_h) for j in range(out_w)]
    return np.stack(windows, axis=2)


def col2im_per_pixel(cols, input_shape, kernel_size, stride=1, padding=0):
    N, C, H, W = input_shape
    k = kernel_size
    out_h, out_w = output_size(H, k, stride, padding), output_size(W, k, stride, padding)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(out_h):
        for j in range(out_w):
            xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += \
                cols[:, :, i * out_w + j].reshape(N, C, k, k)
    return xp[:, :, padding:padding + H, padding:padding + W]


def conv_backward(x, weight, grad_out, stride=1, padding=0, col2im=col2im_per_pixel):
    N, F, k = x.shape[0], weight.shape[0], weight.shape[2]
    cols = im2col_per_pixel(x, k, stride, padding)
    dY = grad_out.reshape(N, F, -1)
    W = weight.reshape(F, -1)
    dw = (dY @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    db = dY.sum(axis=(0, 2))
    dx = col2im(W.T @ dY, x.shape, k, stride, padding)
    return dx, dw, db


def parameter_count(kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10):
    side = size + 2 * padding - kernel_size + 1
    return (kernels * channels * kernel_size ** 2 + kernels) + (kernels * side * side * hidden + hidden) \
        + (hidden * classes + classes)


DIAGONAL = np.array([[0, 1, 1], [-1, 0, 1], [-1, -1, 0]], dtype=float)


def fails(check, answer, *fragments, **kwargs):
    """check(answer) 必须抛出 CheckError，信息是中文并包含每个片段；返回信息。"""
    with pytest.raises(CheckError) as info:
        check(answer, **kwargs)
    message = str(info.value)
    assert any('\u4e00' <= ch <= '\u9fff' for ch in message), message
    for fragment in fragments:
        assert fragment in message, f'信息里缺少 {fragment!r}：\n{message}'
    return message


# ---- 参考答案都能通过 ----

PASSING = [
    (checks.check_output_size, output_size),
    (checks.check_correlate2d, correlate2d),
    (checks.check_diagonal_kernel, lambda: DIAGONAL),
    (checks.check_diagonal_kernel, lambda: -DIAGONAL.T),                      # 另一种极性
    (checks.check_diagonal_kernel, lambda: DIAGONAL[:, ::-1]),                # 另一条对角线
    (checks.check_diagonal_kernel, lambda: [[1, 0, 0], [0, 0, 0], [0, 0, -1]]),   # 列表也行
    (checks.check_diagonal_kernel, lambda: np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]])),
    (checks.check_im2col, im2col_per_pixel),
    (checks.check_col2im, col2im_per_pixel),
    (checks.check_conv_backward, conv_backward),
    (checks.check_parameter_count, parameter_count),
]


@pytest.mark.parametrize('check, answer', PASSING, ids=lambda v: getattr(v, '__name__', '')[:30])
def test_reference_answers_pass(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith('✓ 通过：')


@pytest.mark.parametrize('check, answer', [
    (checks.check_output_size, output_size), (checks.check_im2col, im2col_per_pixel),
    (checks.check_col2im, col2im_per_pixel), (checks.check_conv_backward, conv_backward),
    (checks.check_diagonal_kernel, lambda: DIAGONAL), (checks.check_correlate2d, correlate2d),
    (checks.check_parameter_count, parameter_count),
], ids=lambda v: getattr(v, '__name__', '')[:30])
def test_stricter_hidden_calls_pass(check, answer, capsys):
    check(answer, trials=60, seed=1)
    assert '60' in capsys.readouterr().out


# ---- 还没做的练习：只看到 NotImplementedError ----

def stub(*args, **kwargs):
    raise NotImplementedError('请完成这个练习：stub')


ALL_CHECKS = [checks.check_output_size, checks.check_correlate2d, checks.check_diagonal_kernel,
              checks.check_im2col, checks.check_col2im, checks.check_conv_backward,
              checks.check_parameter_count, checks.check_settings]


@pytest.mark.parametrize('check', ALL_CHECKS, ids=lambda c: c.__name__)
def test_unfinished_stub_raises_not_implemented_unchanged(check):
    with pytest.raises(NotImplementedError, match='请完成这个练习'):
        check(stub)


# ---- 第 1 章 ----

def test_output_size_off_by_one():
    fails(checks.check_output_size, lambda n, k, stride=1, padding=0: (n + 2 * padding - k) // stride,
          'output_size(28, 3, stride=1, padding=0) 应为 26，实际得到 25')


def test_output_size_true_division():
    fails(checks.check_output_size, lambda n, k, stride=1, padding=0: (n + 2 * padding - k) / stride + 1,
          '应该返回整数', '//')


def test_output_size_ignores_padding():
    fails(checks.check_output_size, lambda n, k, stride=1, padding=0: (n - k) // stride + 1,
          'output_size(28, 3, stride=2, padding=1) 应为 14，实际得到 13')


def test_output_size_error_names_the_case():
    fails(checks.check_output_size, lambda n, k, stride=1, padding=0: (n + 2 * padding - k) // (stride - 1),
          'output_size(28, 3, stride=1, padding=0)', 'ZeroDivisionError')


def test_correlate2d_transposed_kernel():
    fails(checks.check_correlate2d, lambda image, kernel: correlate2d(image, kernel.T),
          '返回的特征图的数值不对', '第一个不同的位置 (', '期望', '实际', 'image 形状 (7, 9)')


def test_correlate2d_flipped_kernel_is_convolution():
    fails(checks.check_correlate2d, lambda image, kernel: correlate2d(image, kernel[::-1, ::-1]),
          '数值不对', '第一个不同的位置')


def test_correlate2d_off_by_one_output():
    def short(image, kernel):
        k = kernel.shape[0]
        return correlate2d(image, kernel)[:image.shape[0] - k, :image.shape[1] - k]   # 少了最后一行一列

    fails(checks.check_correlate2d, short, '形状不对', '期望形状 (5, 7)，实际形状 (4, 6)')


def test_correlate2d_missing_return_and_in_place_edit():
    fails(checks.check_correlate2d, lambda image, kernel: None, '忘了 return')

    def in_place(image, kernel):
        result = correlate2d(image, kernel)
        image *= 0
        return result

    fails(checks.check_correlate2d, in_place, '修改了传给它的输入数组')


@pytest.mark.parametrize('kernel, fragment', [
    ([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], '水平边缘 '),             # 检测水平边缘
    ([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], '竖直边缘 '),             # 检测竖直边缘
    ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], '1.2 倍'),                # Sobel 水平
    ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], '1.2 倍'),                  # 拉普拉斯：各方向差不多
    ([[1, 1, 1], [1, -8, 1], [1, 1, 1]], '1.2 倍'),
], ids=['horizontal', 'vertical', 'sobel', 'laplacian', 'laplacian8'])
def test_diagonal_kernel_rejects_other_orientations(kernel, fragment):
    fails(checks.check_diagonal_kernel, lambda: np.array(kernel, dtype=float),
          '对角边缘上的最大响应应至少是水平、竖直边缘上的 1.2 倍', fragment)


def test_diagonal_kernel_needs_zero_sum_and_3x3():
    fails(checks.check_diagonal_kernel, lambda: np.eye(3), '权重之和应为 0', '3')
    fails(checks.check_diagonal_kernel, lambda: np.array([[1, 0], [0, -1]]), '卷积核应是 3×3', '(2, 2)')
    fails(checks.check_diagonal_kernel, lambda: np.zeros((3, 3)), '非零')


def test_diagonal_kernel_robust_over_many_images():
    for kernel in (DIAGONAL, [[1, 0, 0], [0, 0, 0], [0, 0, -1]], [[0, 0, 1], [0, 0, 0], [-1, 0, 0]]):
        checks.check_diagonal_kernel(lambda kernel=kernel: kernel, trials=300, seed=7)


# ---- 第 2 章 ----

def test_im2col_windows_as_rows():
    def rows(x, k, stride=1, padding=0):
        return im2col_per_pixel(x, k, stride, padding).transpose(0, 2, 1)

    fails(checks.check_im2col, rows, '每个窗口应该是一列', '期望 (2, 27, 35)，实际 (2, 35, 27)')


def test_im2col_row_order_channel_last():
    def channel_last(x, k, stride=1, padding=0):       # 每列按 (m, n, c) 排，与 weight.reshape(F, -1) 对不上
        cols = im2col_per_pixel(x, k, stride, padding)
        N, _, P = cols.shape
        return cols.reshape(N, x.shape[1], k * k, P).transpose(0, 2, 1, 3).reshape(N, -1, P)

    fails(checks.check_im2col, channel_last, '返回的列矩阵的数值不对', '第一个不同的位置 (0, 1, 0)')


def test_im2col_missing_channels():
    def first_channel(x, k, stride=1, padding=0):      # 只取了第 0 个通道
        return im2col_per_pixel(x[:, :1], k, stride, padding)

    fails(checks.check_im2col, first_channel, '形状不对', '期望形状 (2, 27, 35)，实际形状 (2, 9, 35)')


def test_im2col_ignores_stride_or_padding():
    fails(checks.check_im2col, lambda x, k, stride=1, padding=0: im2col_per_pixel(x, k, 1, padding),
          '形状不对', 'stride=2，padding=1', '期望形状 (2, 18, 9)，实际形状 (2, 18, 30)')
    fails(checks.check_im2col, lambda x, k, stride=1, padding=0: im2col_per_pixel(x, k, stride, 0),
          '形状不对', 'stride=2，padding=1', '期望形状 (2, 18, 9)，实际形状 (2, 18, 4)')


def test_im2col_wrong_on_a_single_kind_of_case_still_fails():
    def wrong_for_big_padding(x, k, stride=1, padding=0):
        cols = im2col_per_pixel(x, k, stride, padding)
        return cols + (padding == 2)

    fails(checks.check_im2col, wrong_for_big_padding, 'padding=2', '数值不对')


def test_im2col_exception_names_the_case():
    def crash(x, k, stride=1, padding=0):
        if stride == 2:
            raise ValueError('boom')
        return im2col_per_pixel(x, k, stride, padding)

    fails(checks.check_im2col, crash,
          '出错了', '输入形状 (N, C, H, W) = (2, 2, 6, 5)', 'stride=2', 'ValueError: boom')


def col2im_assign(cols, input_shape, k, stride=1, padding=0):
    """常见错误：= 代替 +=，重叠处只留下最后一份。"""
    N, C, H, W = input_shape
    out_h, out_w = output_size(H, k, stride, padding), output_size(W, k, stride, padding)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    windows = cols.reshape(N, C, k, k, out_h, out_w)
    for m in range(k):
        for n in range(k):
            xp[:, :, m:m + stride * out_h:stride, n:n + stride * out_w:stride] = windows[:, :, m, n]
    return xp[:, :, padding:padding + H, padding:padding + W]


def test_col2im_assign_instead_of_add():
    fails(checks.check_col2im, col2im_assign, '返回的图的数值不对', '第一个不同的位置', 'stride=1，padding=0')


def test_col2im_forgets_to_crop_padding():
    def uncropped(cols, input_shape, k, stride=1, padding=0):
        N, C, H, W = input_shape
        return np.pad(col2im_per_pixel(cols, input_shape, k, stride, padding),
                      ((0, 0), (0, 0), (padding, padding), (padding, padding)))

    fails(checks.check_col2im, uncropped, '形状不对', '期望形状 (2, 2, 6, 5)，实际形状 (2, 2, 8, 7)')


def test_conv_backward_dw_not_summed_over_batch():
    def per_image(x, weight, grad_out, stride=1, padding=0):
        dx, _, db = conv_backward(x, weight, grad_out, stride, padding)
        N, F, k = x.shape[0], weight.shape[0], weight.shape[2]
        cols = im2col_per_pixel(x, k, stride, padding)
        dw = (grad_out.reshape(N, F, -1) @ cols.transpose(0, 2, 1)).reshape(N, *weight.shape)
        return dx, dw, db

    fails(checks.check_conv_backward, per_image,
          'dw的形状不对', '期望形状 (2, 3, 3, 3)，实际形状 (2, 2, 3, 3, 3)')


def test_conv_backward_db_mean_instead_of_sum():
    def mean_bias(x, weight, grad_out, stride=1, padding=0):
        dx, dw, _ = conv_backward(x, weight, grad_out, stride, padding)
        return dx, dw, grad_out.mean(axis=(0, 2, 3))

    fails(checks.check_conv_backward, mean_bias, '梯度检验未通过：db', '相对误差', '数值梯度', '你的结果')


def test_conv_backward_db_missing_batch_sum():
    def no_batch_sum(x, weight, grad_out, stride=1, padding=0):
        dx, dw, _ = conv_backward(x, weight, grad_out, stride, padding)
        return dx, dw, grad_out.sum(axis=(2, 3))

    fails(checks.check_conv_backward, no_batch_sum, 'db的形状不对', '期望形状 (2,)，实际形状 (2, 2)')


def test_conv_backward_dx_without_overlap_sum():
    fails(checks.check_conv_backward,
          lambda x, w, g, stride=1, padding=0: conv_backward(x, w, g, stride, padding, col2im=col2im_assign),
          '梯度检验未通过：dx', '应小于 1e-06')


def test_conv_backward_flipped_dw_and_wrong_arity():
    def flipped(x, weight, grad_out, stride=1, padding=0):
        dx, dw, db = conv_backward(x, weight, grad_out, stride, padding)
        return dx, dw[:, :, ::-1, ::-1], db

    fails(checks.check_conv_backward, flipped, '梯度检验未通过：dw')
    def two(x, weight, grad_out, stride=1, padding=0):
        return conv_backward(x, weight, grad_out, stride, padding)[:2]

    fails(checks.check_conv_backward, two, '应返回三个数组 (dx, dw, db)', '长度 2')


# ---- 第 3 章 ----

def test_parameter_count_forgets_biases():
    def no_biases(kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10):
        total = parameter_count(kernels, kernel_size, hidden, padding, size, channels, classes)
        return total - kernels - hidden - classes

    fails(checks.check_parameter_count, no_biases,
          'parameter_count(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10) '
          '应为 693,098，实际得到 693,008', 'Convolution 160', 'Linear 692,288', 'Linear 650')


def test_parameter_count_ignores_padding_and_off_by_one():
    fails(checks.check_parameter_count,
          lambda kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10:
          parameter_count(kernels, kernel_size, hidden, 0, size, channels, classes),
          'padding=1', '应为 803,690')
    fails(checks.check_parameter_count,
          lambda kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10:
          parameter_count(kernels, kernel_size, hidden, padding, size - 1, channels, classes),
          '应为 693,098')


@pytest.mark.parametrize('settings, fragments', [
    (dict(lr=0.01, batch_size=2, epochs=3, momentum=0.0), ('batch_size 应是不小于 16 的整数', '2')),
    (dict(lr=0.01, batch_size=16, epochs=10, momentum=0.0), ('epochs 应是 1 到 3 之间的整数', '10')),
    (dict(lr=0.01, batch_size=16, epochs=3), ("缺少 ['momentum']",)),
    (dict(lr=-0.1, batch_size=16, epochs=3, momentum=0.0), ('lr 应是正数',)),
    (dict(lr=0.1, batch_size=16, epochs=3, momentum=1.0), ('momentum 应满足 0 ≤ momentum < 1',)),
    ([0.01, 16, 3, 0.9], ('应返回一个字典',)),
], ids=['small-batch', 'too-many-epochs', 'missing-key', 'negative-lr', 'momentum-1', 'list'])
def test_settings_rejected_before_training(settings, fragments):
    fails(checks.check_settings, lambda: settings, *fragments)


def test_settings_that_diverge_or_learn_too_little():
    fails(checks.check_settings, lambda: dict(lr=0.16, batch_size=32, epochs=1, momentum=0.0),
          '测试准确率 10.00% 未达到目标 91.5%', '训练发散了')
    fails(checks.check_settings, lambda: dict(lr=0.001, batch_size=64, epochs=1, momentum=0.0),
          '未达到目标 91.5%', 'lr=0.001，batch_size=64，epochs=1', '每轮的训练损失')


def test_settings_reference_passes_and_keeps_layer_rng(capsys):
    lib.seed(5)
    expected = lib.Linear(3, 2).weight.data
    lib.seed(5)
    checks.check_settings(lambda: dict(lr=0.01, batch_size=16, epochs=3, momentum=0.9))
    assert '✓ 通过' in capsys.readouterr().out
    assert np.array_equal(lib.Linear(3, 2).weight.data, expected)    # 检查不打乱笔记本里的随机序列


# ---- 共用的核心 ----

def test_cases_are_reproducible_and_fit():
    a, b = checks.conv_cases(40, seed=3), checks.conv_cases(40, seed=3)
    assert a == b and a != checks.conv_cases(40, seed=4)
    assert a[:len(checks.TYPICAL_CASES)] == list(checks.TYPICAL_CASES)
    assert all(min(c.H, c.W) + 2 * c.padding >= c.k for c in a)
    assert {c.stride for c in a} == {1, 2, 3} and {c.padding for c in a} == {0, 1, 2}
    only = checks.conv_cases(10, seed=0, paddings=(0,), strides=(2,))      # 例如池化：不补零
    assert all(c.padding == 0 and c.stride == 2 for c in only) and len(only) == 10


def test_conv_backward_check_keeps_layer_rng():
    lib.seed(11)
    expected = lib.Linear(4, 4).weight.data
    lib.seed(11)
    checks.check_conv_backward(conv_backward, trials=3)
    assert np.array_equal(lib.Linear(4, 4).weight.data, expected)


def test_compare_reports_first_difference_and_nan():
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[1, 2] = 5.0
    with pytest.raises(CheckError, match=r'第一个不同的位置 \(1, 2\)：期望 0，实际 5'):
        checks.compare('结果', '某个情形', expected, actual)
    actual[0, 0] = np.nan
    with pytest.raises(CheckError, match=r'\(0, 0\)'):
        checks.compare('结果', '某个情形', expected, actual)
    with pytest.raises(CheckError, match='应该是数值数组'):
        checks.compare('结果', '某个情形', expected, 'abc')


def test_gradient_check_catches_nan():
    numeric = np.ones(3)
    with pytest.raises(CheckError, match='梯度检验未通过'):
        checks.gradient_check('dw', '某个情形', np.array([1.0, np.nan, 1.0]), numeric)
    checks.gradient_check('dw', '某个情形', numeric + 1e-12, numeric)


# ---- 第 4 章：池化 ----

def loop_pool(reduce):
    """逐个窗口的参考答案。"""
    def pool(x, kernel_size, stride=None):
        stride = stride or kernel_size
        N, C, H, W = x.shape
        out_h, out_w = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
        out = np.empty((N, C, out_h, out_w))
        for i in range(out_h):
            for j in range(out_w):
                window = x[:, :, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
                out[:, :, i, j] = reduce(window, axis=(2, 3))
        return out
    return pool


def test_pool_checks_pass_on_reference(capsys):
    checks.check_max_pool(loop_pool(np.max))
    checks.check_avg_pool(loop_pool(np.mean))
    assert capsys.readouterr().out.count('✓ 通过') == 2


def test_max_pool_check_catches_ignored_stride():
    def ignores_stride(x, kernel_size, stride=None):
        return loop_pool(np.max)(x, kernel_size, kernel_size)
    with pytest.raises(checks.CheckError, match='形状不对'):
        checks.check_max_pool(ignores_stride)


def test_max_pool_check_catches_off_by_one_size():
    def one_short(x, kernel_size, stride=None):
        return loop_pool(np.max)(x, kernel_size, stride)[:, :, :-1, :]
    with pytest.raises(checks.CheckError, match='形状不对'):
        checks.check_max_pool(one_short)


def test_avg_pool_check_catches_sum_instead_of_mean():
    with pytest.raises(checks.CheckError, match='数值不对'):
        checks.check_avg_pool(loop_pool(np.sum))


def test_avg_pool_check_catches_max():
    with pytest.raises(checks.CheckError, match='数值不对'):
        checks.check_avg_pool(loop_pool(np.max))


# ---- 不能把练习交给 lib 去做 ----

def delegate_parameter_count(**params):
    return lib.zoo.seed_network(**params).parameter_count()


def delegate_conv_backward(x, weight, grad_out, stride=1, padding=0):
    layer = lib.Convolution(weight.shape[1], weight.shape[0], weight.shape[2], stride, padding)
    layer.astype(np.float64).weight.data = weight.copy()
    x_tensor = lib.Tensor(x.copy())
    layer(x_tensor).backward(grad_out)
    return x_tensor.grad, layer.weight.grad, layer.bias.grad


DELEGATIONS = [
    ('check_output_size', lambda *a, **k: lib.output_size(*a, **k), 'lib.output_size'),
    ('check_correlate2d', lambda image, kernel: lib.conv2d_loop(image[None, None], kernel[None, None])[0, 0],
     'lib.conv2d_loop'),
    ('check_correlate2d', lambda image, kernel: signal.correlate2d(image, kernel, 'valid'), 'correlate2d'),
    ('check_im2col', lambda *a, **k: lib.im2col(*a, **k), 'lib.im2col'),
    ('check_im2col', lib.convolution.im2col, 'lib.im2col'),                # 直接交出 lib 的函数本身
    ('check_col2im', lambda *a, **k: lib.col2im(*a, **k), 'lib.col2im'),
    ('check_conv_backward', delegate_conv_backward, 'lib.Convolution.forward'),
    ('check_parameter_count', delegate_parameter_count, 'lib.seed_network'),
    ('check_max_pool', lambda x, k, stride=None: lib.MaxPool(k, stride)(lib.Tensor(x)).data,
     'lib.MaxPool.forward'),
    ('check_avg_pool', lambda x, k, stride=None: lib.AvgPool(k, stride)(lib.Tensor(x)).data,
     'lib.AvgPool.forward'),
]


@pytest.mark.parametrize('check, answer, name', DELEGATIONS, ids=[f'{c}-{n}' for c, _, n in DELEGATIONS])
def test_checks_refuse_delegating_to_lib(check, answer, name):
    with pytest.raises(CheckError) as info:
        getattr(checks, check)(answer)
    message = str(info.value)
    assert '这个练习要你自己写出' in message and name in message, message


def test_lib_used_as_a_tool_is_still_allowed(capsys):
    """用 lib 的另一个函数当工具（例如用 lib.im2col 写池化）可以：只禁止练习本身的那个函数。"""
    def max_pool_with_im2col(x, kernel_size, stride=None):
        stride = stride or kernel_size
        N, C, H, W = x.shape
        out_h, out_w = lib.output_size(H, kernel_size, stride), lib.output_size(W, kernel_size, stride)
        cols = lib.im2col(x.reshape(N * C, 1, H, W), kernel_size, stride)
        return cols.max(axis=1).reshape(N, C, out_h, out_w)
    checks.check_max_pool(max_pool_with_im2col)
    assert '✓ 通过' in capsys.readouterr().out


def test_guard_is_off_after_the_check():
    with pytest.raises(CheckError):
        checks.check_im2col(lambda *a, **k: lib.im2col(*a, **k))
    assert lib.im2col(np.zeros((1, 1, 3, 3)), 3).shape == (1, 9, 1)      # 检查之外照常可用


def test_rendered_traceback_hides_internal_frames():
    """IPython 显示 CheckError 时只给中文信息和学习者自己出错的那一行，不显示检查与 lib 的内部调用栈。"""
    def broken_im2col(x, kernel_size, stride=1, padding=0):
        return x[:, :, :, :, 99]                       # IndexError，在学习者自己的代码里
    with pytest.raises(CheckError) as info:
        checks.check_im2col(broken_im2col)
    rendered = '\n'.join(info.value._render_traceback_())
    assert 'broken_im2col' in rendered and 'x[:, :, :, :, 99]' in rendered
    assert 'CheckError: broken_im2col 在这个情形上出错了' in rendered
    assert '/lib/' not in rendered, rendered
