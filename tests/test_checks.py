"""练习的自动检查（lib.exercises）：参考答案通过；典型的错误答案失败，并且报出说得清的中文信息。"""

import re
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
    (checks.check_diagonal_kernel, lambda: -DIAGONAL),                        # 变号
    (checks.check_diagonal_kernel, lambda: DIAGONAL[::-1]),                   # 上下翻转
    (checks.check_diagonal_kernel, lambda: DIAGONAL.T.astype(np.float32)),   # float32 也行
    (checks.check_diagonal_kernel, lambda: np.array([[0, 0, 0], [0, 1, 0], [0, 0, -1]])),   # 整数
    (checks.check_im2col, im2col_per_pixel),
    (checks.check_col2im, col2im_per_pixel),
    (checks.check_conv_backward, conv_backward),
    (checks.check_parameter_count, parameter_count),
    (checks.check_max_pool, loop_pool(np.max)),
    (checks.check_avg_pool, loop_pool(np.mean)),
]


@pytest.mark.parametrize('check, answer', PASSING, ids=lambda v: getattr(v, '__name__', '')[:30])
def test_reference_answers_pass(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith('✓ 通过：')


@pytest.mark.parametrize('check, answer', [
    (checks.check_output_size, output_size), (checks.check_im2col, im2col_per_pixel),
    (checks.check_col2im, col2im_per_pixel), (checks.check_conv_backward, conv_backward),
    (checks.check_diagonal_kernel, lambda: DIAGONAL), (checks.check_correlate2d, correlate2d),
    (checks.check_parameter_count, parameter_count), (checks.check_max_pool, loop_pool(np.max)),
    (checks.check_avg_pool, loop_pool(np.mean)),
], ids=lambda v: getattr(v, '__name__', '')[:30])
def test_stricter_hidden_calls_pass(check, answer, capsys):
    check(answer, trials=60, seed=1)
    assert '60' in capsys.readouterr().out


# ---- 还没做的练习：只看到 NotImplementedError ----

def stub(*args, **kwargs):
    raise NotImplementedError('请完成这个练习：stub')


ALL_CHECKS = [checks.check_output_size, checks.check_correlate2d, checks.check_diagonal_kernel,
              checks.check_im2col, checks.check_col2im, checks.check_conv_backward,
              checks.check_parameter_count, checks.check_settings, checks.check_max_pool,
              checks.check_avg_pool]


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


def test_output_size_wrong_default_is_caught_when_arguments_are_left_out():
    # 写出全部参数时都对；章节里写 output_size(28, 3)，这时用的是函数自己的默认值
    message = fails(checks.check_output_size,
                    lambda n, k, stride=1, padding=1: output_size(n, k, stride, padding),
                    'output_size(28, 3, stride=1, padding=0)；这次调用时省略了 stride=1，padding=0',
                    '省略 stride=1，padding=0 时的结果与写出它时不同，请检查函数的默认值', '期望 26，实际 28')
    assert message.index('请检查函数的默认值') < message.index('情形')      # 诊断在数字之前


def test_correlate2d_transposed_kernel():
    fails(checks.check_correlate2d, lambda image, kernel: correlate2d(image, kernel.T),
          '返回的特征图的数值不对：卷积核转置了', '第一个不同的位置 (', '期望', '实际', 'image 形状 (7, 9)')


def test_correlate2d_flipped_kernel_is_convolution():
    message = fails(checks.check_correlate2d, lambda image, kernel: correlate2d(image, kernel[::-1, ::-1]),
                    '数值不对：这是数学卷积（卷积核翻转了）；本课的卷积层是互相关', '第一个不同的位置')
    assert message.splitlines()[0].endswith('卷积核不翻转')                  # 诊断独占第一行，数字在后面


def test_correlate2d_signal_convolve_is_named_as_convolution():
    def scipy_convolve(image, kernel):          # 自己写的“真卷积”：翻转后再互相关
        return correlate2d(image, np.rot90(kernel, 2))

    fails(checks.check_correlate2d, scipy_convolve, '这是数学卷积')


def correlate2d_in(dtype):
    """在 dtype 里计算的互相关（常见：把输入转成 float32 省内存）。"""
    def correlate(image, kernel):
        image, kernel = image.astype(dtype), kernel.astype(dtype)
        k = kernel.shape[0]
        out = np.empty((image.shape[0] - k + 1, image.shape[1] - k + 1), dtype=dtype)
        for i, j in np.ndindex(out.shape):
            out[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)
        return out
    return correlate


def shown_values(message):
    """信息里“期望 …，实际 …”的两个数（按显示的文字）。"""
    return re.search(r'期望 (\S+?)，实际 (\S+?)[（\n]', message + '\n').groups()


def test_correlate2d_float32_result_is_named_and_shown_with_enough_digits():
    message = fails(checks.check_correlate2d, correlate2d_in(np.float32),
                    '结果是 float32，只有约 7 位有效数字', '结果也应是 float64')
    wanted, got = shown_values(message)
    assert wanted != got and float(wanted) != float(got), message          # 不再显示成两个一样的数


def test_correlate2d_float32_computation_returned_as_float64():
    def computed_in_float32(image, kernel):
        return correlate2d_in(np.float32)(image, kernel).astype(np.float64)

    message = fails(checks.check_correlate2d, computed_in_float32,
                    '像是 float32 的舍入误差', '是不是用了 float32')
    assert len(set(shown_values(message))) == 2, message


def test_correlate2d_float32_inputs_are_checked_with_float32_precision(capsys):
    seen = []

    def recording(image, kernel):
        seen.append(image.dtype)
        return correlate2d_in(image.dtype)(image, kernel)      # 保持输入的类型：float32 进，float32 出

    checks.check_correlate2d(recording)
    assert '✓ 通过' in capsys.readouterr().out
    assert np.dtype(np.float32) in seen and np.dtype(np.float64) in seen


def test_correlate2d_float32_case_is_named():
    def float64_only(image, kernel):
        if image.dtype != np.float64:
            raise TypeError(f'不支持 {image.dtype}')
        return correlate2d(image, kernel)

    fails(checks.check_correlate2d, float64_only, '都是 float32', 'TypeError')


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


LINE_DETECTOR = [[2, -1, -1], [-1, 2, -1], [-1, -1, 2]]


@pytest.mark.parametrize('kernel', [
    LINE_DETECTOR,                                      # 检测“\”走向的线条（二阶差分）
    np.array(LINE_DETECTOR)[:, ::-1],                   # 检测“/”走向的线条
    [[0, 1, -1], [-1, 0, 1], [1, -1, 0]],               # 各行各列和为 0，但不是边缘检测器
    [[-1, -1, 2], [-1, 2, -1], [2, -1, -1]],
], ids=['line', 'line-anti', 'zero-rows-and-columns', 'line-negated'])
def test_diagonal_kernel_rejects_line_detectors(kernel):
    """行、列之和都为 0 的卷积核对水平、竖直边缘的响应恰好是 0，方向比例必然满足；
    它们在对角边缘两侧一正一负，检测的是线条，不是边缘。"""
    message = fails(checks.check_diagonal_kernel, lambda: np.array(kernel, dtype=float),
                    '这个卷积核检测的是对角方向的线条，不是边缘', '一侧为正、另一侧为负', '响应：最大')
    assert message.index('不是边缘') < message.index('合成图')
    fails(checks.check_diagonal_kernel, lambda: np.array(kernel, dtype=float), '不是边缘', trials=50, seed=1)


def test_diagonal_kernel_needs_zero_sum_and_3x3():
    fails(checks.check_diagonal_kernel, lambda: np.eye(3), '权重之和应为 0', '3')
    fails(checks.check_diagonal_kernel, lambda: np.array([[1, 0], [0, -1]]), '卷积核应是 3×3', '(2, 2)')
    fails(checks.check_diagonal_kernel, lambda: np.zeros((3, 3)), '非零')


def test_diagonal_kernel_robust_over_many_images():
    for kernel in (DIAGONAL, [[1, 0, 0], [0, 0, 0], [0, 0, -1]], [[0, 0, 1], [0, 0, 0], [-1, 0, 0]],
                   -DIAGONAL, DIAGONAL[::-1], [[2, 1, 0], [1, 0, -1], [0, -1, -2]]):
        checks.check_diagonal_kernel(lambda kernel=kernel: kernel, trials=300, seed=7)
    with pytest.raises(CheckError, match='不是边缘'):
        checks.check_diagonal_kernel(lambda: LINE_DETECTOR, trials=300, seed=7)


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

    message = fails(checks.check_im2col, channel_last, '返回的窗口矩阵的数值不对：每一列里行的顺序不对',
                    '第一个不同的位置 (0, 1, 0) 应是 (c, m, n) = (0, 0, 1) 在输出位置 (i, j) = (0, 0) 的像素',
                    '你放的是 (c, m, n) = (1, 0, 0) 的', '第一个不同的位置 (0, 1, 0)：期望')
    assert message.index('行的顺序不对') < message.index('情形')


def test_im2col_kernel_offsets_transposed():
    def offsets_swapped(x, k, stride=1, padding=0):    # 窗口按 (c, n, m) 展平
        cols = im2col_per_pixel(x, k, stride, padding)
        N, _, P = cols.shape
        return cols.reshape(N, x.shape[1], k, k, P).transpose(0, 1, 3, 2, 4).reshape(N, -1, P)

    fails(checks.check_im2col, offsets_swapped, '每一列里行的顺序不对', '应是 (c, m, n) = (0, 0, 1)',
          '你放的是 (c, m, n) = (0, 1, 0) 的')


def test_im2col_windows_in_column_major_order():
    def column_major(x, k, stride=1, padding=0):       # 第 j·out_h + i 列放输出位置 (i, j)
        cols = im2col_per_pixel(x, k, stride, padding)
        N, rows, P = cols.shape
        out_h = output_size(x.shape[2], k, stride, padding)
        return cols.reshape(N, rows, out_h, P // out_h).transpose(0, 1, 3, 2).reshape(N, rows, P)

    fails(checks.check_im2col, column_major, '返回的窗口矩阵的数值不对：列的顺序不对',
          '第一个不同的位置 (0, 0, 1) 应是 (c, m, n) = (0, 0, 0) 在输出位置 (i, j) = (0, 1) 的像素',
          '你放的是输出位置 (1, 0) 的', 'out_w = 7')


def test_im2col_wrong_default_is_caught_when_arguments_are_left_out():
    fails(checks.check_im2col, lambda x, k, stride=1, padding=1: im2col_per_pixel(x, k, stride, padding),
          '省略参数时返回的窗口矩阵的形状不对：省略 stride=1，padding=0 时的结果与写出它时不同，'
          '请检查函数的默认值',
          '这次调用时省略了 stride=1，padding=0')


def test_im2col_float32_inputs_keep_or_widen_their_type(capsys):
    def float64_result(x, k, stride=1, padding=0):     # 结果一律 float64：数值相同，也算对
        return im2col_per_pixel(x, k, stride, padding).astype(np.float64)

    checks.check_im2col(float64_result)
    checks.check_im2col(im2col_per_pixel)              # 保持 float32：与 lib.im2col 相同
    assert capsys.readouterr().out.count('✓ 通过') == 2


def test_im2col_integer_result_is_named():
    def integer_cols(x, k, stride=1, padding=0):       # 常见：np.zeros(..., dtype=int) 再填进去
        cols = im2col_per_pixel(x, k, stride, padding)
        out = np.zeros(cols.shape, dtype=int)
        out[...] = cols
        return out

    fails(checks.check_im2col, integer_cols, '结果是整数数组（int64），小数部分丢掉了', 'dtype=x.dtype')


def test_im2col_failing_only_on_float32_names_the_type():
    def float64_only(x, k, stride=1, padding=0):
        if x.dtype != np.float64:
            raise TypeError(f'不支持 {x.dtype}')
        return im2col_per_pixel(x, k, stride, padding)

    fails(checks.check_im2col, float64_only, '输入形状 (N, C, H, W) = (2, 3, 8, 7)（float32）', 'TypeError')


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


def col2im_last_window_wins(cols, input_shape, k, stride=1, padding=0):
    """同样的错误，按输出位置循环：重叠处只留下最后一个窗口。"""
    N, C, H, W = input_shape
    out_h, out_w = output_size(H, k, stride, padding), output_size(W, k, stride, padding)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(out_h):
        for j in range(out_w):
            xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k] = \
                cols[:, :, i * out_w + j].reshape(N, C, k, k)
    return xp[:, :, padding:padding + H, padding:padding + W]


def col2im_average(cols, input_shape, k, stride=1, padding=0):
    """同样的错误的另一种：重叠处取了平均。"""
    total = col2im_per_pixel(cols, input_shape, k, stride, padding)
    count = col2im_per_pixel(np.ones_like(cols), input_shape, k, stride, padding)
    return total / np.maximum(count, 1)


@pytest.mark.parametrize('answer', [col2im_assign, col2im_last_window_wins, col2im_average],
                         ids=['offsets-assign', 'windows-assign', 'average'])
def test_col2im_overlaps_not_added(answer):
    message = fails(checks.check_col2im, answer, '返回的图的数值不对：重叠的窗口要相加',
                    '是不是用了 = 而不是 +=', '第一个不同的位置', 'stride=1，padding=0')
    assert message.index('重叠的窗口要相加') < message.index('第一个不同的位置')


def test_col2im_wrong_default_is_caught_when_arguments_are_left_out():
    fails(checks.check_col2im,
          lambda cols, shape, k, stride=2, padding=0: col2im_per_pixel(cols, shape, k, stride, padding),
          '请检查函数的默认值', '这次调用时省略了 stride=1')


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

    message = fails(checks.check_conv_backward, mean_bias, '梯度检验未通过：db', '相对误差', '数值梯度',
                    '你的结果', 'db：正好是期望的 1/70：是不是多除了 70')       # N·out_h·out_w = 2·5·7
    assert message.index('1/70') < message.index('差得最多的位置')


def test_conv_backward_dw_averaged_over_batch():
    def mean_weight(x, weight, grad_out, stride=1, padding=0):
        dx, dw, db = conv_backward(x, weight, grad_out, stride, padding)
        return dx, dw / x.shape[0], db

    fails(checks.check_conv_backward, mean_weight, '梯度检验未通过：dw', '正好是期望的 1/2')


def test_conv_backward_dx_with_wrong_sign():
    def negated(x, weight, grad_out, stride=1, padding=0):
        dx, dw, db = conv_backward(x, weight, grad_out, stride, padding)
        return -dx, dw, db

    fails(checks.check_conv_backward, negated, '梯度检验未通过：dx', '相反数（-1 倍）：符号反了')


def test_conv_backward_wrong_default_is_caught_when_arguments_are_left_out():
    fails(checks.check_conv_backward,
          lambda x, w, g, stride=1, padding=1: conv_backward(x, w, g, stride, padding),
          '写出 stride=1，padding=0 时结果正确，省略它时却出错了，请检查函数的默认值',
          '这次调用时省略了 stride=1，padding=0', 'ValueError')


def test_conv_backward_db_missing_batch_sum():
    def no_batch_sum(x, weight, grad_out, stride=1, padding=0):
        dx, dw, _ = conv_backward(x, weight, grad_out, stride, padding)
        return dx, dw, grad_out.sum(axis=(2, 3))

    fails(checks.check_conv_backward, no_batch_sum, 'db的形状不对', '期望形状 (2,)，实际形状 (2, 2)')


def test_conv_backward_dx_without_overlap_sum():
    fails(checks.check_conv_backward,
          lambda x, w, g, stride=1, padding=0: conv_backward(x, w, g, stride, padding, col2im=col2im_assign),
          '梯度检验未通过：dx', '应小于 1e-06', 'dx：重叠的窗口要相加')


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


def test_parameter_count_float_is_named_like_output_size():
    fails(checks.check_parameter_count,
          lambda kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10:
          float(parameter_count(kernels, kernel_size, hidden, padding, size, channels, classes)),
          'parameter_count(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10) '
          '应该返回整数 693,098，实际返回 693098.0（类型 float）', '参数的个数是整数', '//', 'Linear 692,288')

    def true_division(kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10):
        side = (size + 2 * padding - kernel_size) / 1 + 1          # 照抄输出尺寸公式，用了 /
        return (kernels * channels * kernel_size ** 2 + kernels) + (kernels * side * side * hidden + hidden) \
            + (hidden * classes + classes)

    fails(checks.check_parameter_count, true_division, '应该返回整数 693,098', '类型 float')


def test_parameter_count_wrong_default_is_caught_when_arguments_are_left_out():
    def default_size_32(kernels, kernel_size, hidden, padding=0, size=32, channels=1, classes=10):
        return parameter_count(kernels, kernel_size, hidden, padding, size, channels, classes)

    fails(checks.check_parameter_count, default_size_32,
          '省略 padding=0，size=28，channels=1，classes=10 时的结果与写出它时不同，请检查函数的默认值',
          '期望 693,098，实际 922,474')


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
    # 第一次训练就发散：平均已不可能达到目标，不再训练其余的种子
    fails(checks.check_settings, lambda: dict(lr=0.16, batch_size=32, epochs=1, momentum=0.0),
          '验证准确率太低，3 个种子的平均已不可能达到目标 90%', '训练发散了',
          '种子 0 上的验证准确率：10.0%')
    fails(checks.check_settings, lambda: dict(lr=0.001, batch_size=64, epochs=1, momentum=0.0),
          '不可能达到目标 90%', 'lr=0.001，batch_size=64，epochs=1',
          '种子 0 上的验证准确率：63.2%',
          '每轮的训练损失（种子 0）')


def test_settings_reference_passes_and_keeps_layer_rng(capsys):
    checks.train.cache_clear()                                  # 真的训练一遍，而不是取缓存
    lib.seed(5)
    expected = lib.Linear(3, 2).weight.data
    lib.seed(5)
    checks.check_settings(lambda: dict(lr=0.01, batch_size=16, epochs=3, momentum=0.9))
    out = capsys.readouterr().out
    assert '✓ 通过' in out and '种子 0、1、2 上的验证准确率' in out and '目标 ≥ 90%' in out, out
    assert np.array_equal(lib.Linear(3, 2).weight.data, expected)    # 检查不打乱笔记本里的随机序列


def test_settings_are_scored_on_validation_not_test():
    """训练只用 3500 张训练图，准确率在 500 张验证图上算：测试集不参与挑设置。"""
    seen = {}
    real = ch3_training.split_validation

    def spy(data, size=500, seed=0):
        split = real(data, size, seed)
        seen['split'] = split
        return split

    ch3_training.train.cache_clear()
    try:
        ch3_training.split_validation = spy
        ch3_training.train(0.01, 500, 1, 0.0, 0)
    finally:
        ch3_training.split_validation = real
        ch3_training.train.cache_clear()
    split, full = seen['split'], lib.MNISTDataset()
    assert (len(split.train_features), len(split.test_features)) == (3500, 500)
    train_images = {image.tobytes() for image in full.train_features}
    test_images = {image.tobytes() for image in full.test_features}
    held = {image.tobytes() for image in split.test_features}
    assert held <= train_images and not held & test_images
    assert not held & {image.tobytes() for image in split.train_features}


# 看得到的检查（seed=0：种子 0、1、2）与隐藏检查（seed=1：种子 1、2、3）的结论必须相同。
# 验证准确率（500 张验证图，3500 张训练图），括号里是种子 0–2 / 1–3 的平均；目标 90%。
AGREEMENT = [
    (dict(lr=0.01, batch_size=16, epochs=3, momentum=0.0), False),   # 原课程的学习率、不用动量（89.3 / 88.8）
    (dict(lr=0.01, batch_size=16, epochs=3, momentum=0.9), True),    # 参考答案（90.4 / 90.6）
    (dict(lr=0.01, batch_size=16, epochs=1, momentum=0.9), False),   # 一轮加动量（87.9 / 88.3）
    (dict(lr=0.01, batch_size=16, epochs=1, momentum=0.0), False),   # 一轮、不用动量，学得太少（86.8 / 87.5）
    (dict(lr=0.01, batch_size=16, epochs=2, momentum=0.9), False),   # 两轮加动量（89.5 / 88.9）
    (dict(lr=0.005, batch_size=16, epochs=3, momentum=0.9), True),   # 学习率减半加动量（90.7 / 90.9）
    # 照搬全连接网络的设置：发散（36.6 / 36.6）
    (dict(lr=0.16, batch_size=32, epochs=3, momentum=0.0), False),
]


@pytest.mark.slow
@pytest.mark.parametrize('settings, verdict', AGREEMENT, ids=lambda v: str(v) if isinstance(v, bool) else
                         '-'.join(str(x) for x in v.values()))
def test_visible_and_hidden_settings_checks_agree(settings, verdict):
    verdicts = []
    for extra in ({}, dict(seed=1)):                   # 章节里的两次调用
        try:
            checks.check_settings(lambda: settings, **extra)
            verdicts.append(True)
        except CheckError:
            verdicts.append(False)
    assert verdicts == [verdict, verdict]


# ---- 共用的核心 ----

def test_cases_are_reproducible_and_fit():
    a, b = checks.conv_cases(40, seed=3), checks.conv_cases(40, seed=3)
    assert a == b and a != checks.conv_cases(40, seed=4)
    float64 = [case for case in checks.TYPICAL_CASES if case.dtype == 'float64']
    assert a[:len(float64)] == float64 and {c.dtype for c in a} == {'float64'}
    both = checks.conv_cases(40, seed=3, dtypes=('float64', 'float32'))
    assert both[:len(checks.TYPICAL_CASES)] == list(checks.TYPICAL_CASES)
    assert 15 <= sum(c.dtype == 'float32' for c in both) <= 25
    assert all(c.random(np.random.default_rng(0), c.x_shape).dtype == c.dtype for c in both)
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


def test_compare_shows_enough_digits_to_see_the_difference():
    with pytest.raises(CheckError) as info:
        checks.compare('结果', '某个情形', np.array([-0.05829774]), np.array([-0.05829766]))
    assert '期望 -0.05829774，实际 -0.05829766' in str(info.value)      # 6 位有效数字时两个都是 -0.0582977
    assert '像是 float32 的舍入误差' in str(info.value)
    with pytest.raises(CheckError, match='期望 693,098，实际 693,008'):
        checks.compare('结果', '某个情形', np.array(693098), 693008)


@pytest.mark.parametrize('factor, text', [
    (0.25, '正好是期望的 1/4：是不是多除了 4'), (3, '正好是期望的 3 倍：是不是少除了 3'),
    (-1, '正好是期望的相反数（-1 倍）：符号反了'), (-0.5, '正好是期望的 -1/2'), (0, '全是 0'),
    (0.37, '正好是期望的 0.37 倍'),
])
def test_compare_names_a_constant_factor(factor, text, rng):
    expected = rng.standard_normal((3, 4))
    with pytest.raises(CheckError) as info:
        checks.compare('结果', '某个情形', expected, factor * expected)
    assert str(info.value).startswith(f'结果的数值不对：{text}'), str(info.value)


def test_compare_names_no_factor_when_there_is_none(rng):
    expected = rng.standard_normal((3, 4))
    actual = 2 * expected
    actual[0, 0] += 1
    with pytest.raises(CheckError) as info:
        checks.compare('结果', '某个情形', expected, actual)
    assert str(info.value).startswith('结果的数值不对。'), str(info.value)


def test_compare_names_integer_results(rng):
    expected = rng.standard_normal((3, 4))
    with pytest.raises(CheckError, match='结果是整数数组（int64），小数部分丢掉了'):
        checks.compare('结果', '某个情形', expected, expected.astype(np.int64))


def test_known_mistakes_come_before_the_generic_diagnoses(rng):
    expected = rng.standard_normal((3, 4))
    mistake = checks.known_mistake(2 * expected, '照这个错误算出来的')
    with pytest.raises(CheckError, match='结果的数值不对：照这个错误算出来的\n'):
        checks.compare('结果', '某个情形', expected, 2 * expected, mistakes=[mistake])


def test_gradient_check_catches_nan():
    numeric = np.ones(3)
    with pytest.raises(CheckError, match='梯度检验未通过'):
        checks.gradient_check('dw', '某个情形', np.array([1.0, np.nan, 1.0]), numeric)
    checks.gradient_check('dw', '某个情形', numeric + 1e-12, numeric)


# ---- 第 4 章：池化 ----

def test_pool_checks_pass_on_reference(capsys):
    checks.check_max_pool(loop_pool(np.max))
    checks.check_avg_pool(loop_pool(np.mean))
    assert capsys.readouterr().out.count('✓ 通过') == 2


def pool_without_default(x, kernel_size, stride=None):
    """常见错误：忘了处理 stride=None，直接拿它做除法。"""
    N, C, H, W = x.shape
    out_h, out_w = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    return loop_pool(np.max)(x, kernel_size, stride)[:, :, :out_h, :out_w]


def test_max_pool_that_ignores_stride_none_fails():
    """检查总写出 stride 时，这个答案能通过；章节里写 max_pool(x, 2)，它就出错。"""
    fails(checks.check_max_pool, pool_without_default,
          '写出 stride=2 时结果正确，省略它时却出错了，请检查函数的默认值（stride 省略时等于 kernel_size）',
          '池化窗口 2×2，stride=2；这次调用时省略了 stride=2', 'NoneType')
    fails(checks.check_max_pool, pool_without_default, '省略它时却出错了', trials=60, seed=1)


def test_avg_pool_with_default_stride_one_fails():
    def default_one(x, kernel_size, stride=1):
        return loop_pool(np.mean)(x, kernel_size, stride)

    fails(checks.check_avg_pool, default_one,
          '省略参数时返回的平均池化结果的形状不对：省略 stride=2 时的结果与写出它时不同，'
          '请检查函数的默认值（stride 省略时等于 kernel_size）',
          '期望形状 (2, 3, 4, 3)，实际形状 (2, 3, 7, 6)')


def test_pool_cases_are_described_as_pooling_windows():
    message = fails(checks.check_avg_pool, loop_pool(np.sum), '返回的平均池化结果的数值不对',
                    '输入形状 (N, C, H, W) = (2, 3, 7, 9)，池化窗口 3×3，stride=1')
    assert '卷积核' not in message and 'padding' not in message, message


def test_pool_float32_case_and_integer_result():
    def float64_only(x, kernel_size, stride=None):
        if x.dtype != np.float64:
            raise TypeError(f'不支持 {x.dtype}')
        return loop_pool(np.max)(x, kernel_size, stride)

    fails(checks.check_max_pool, float64_only, '（float32），池化窗口 2×2', 'TypeError')

    def integer_output(x, kernel_size, stride=None):
        out = loop_pool(np.max)(x, kernel_size, stride)
        result = np.zeros(out.shape, dtype=int)           # 常见：新建数组时忘了浮点类型
        result[...] = out
        return result

    fails(checks.check_max_pool, integer_output, '结果是整数数组（int64），小数部分丢掉了')


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
    fails(checks.check_avg_pool, loop_pool(np.sum), '数值不对：正好是期望的 9 倍：是不是少除了 9')


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


def test_rendered_traceback_of_a_default_argument_error_shows_the_learners_line():
    with pytest.raises(CheckError) as info:
        checks.check_max_pool(pool_without_default)
    rendered = '\n'.join(info.value._render_traceback_())
    assert '(H - kernel_size) // stride + 1' in rendered and '请检查函数的默认值' in rendered
    assert '/lib/' not in rendered, rendered


# ---- 第 6 章：多通道卷积、乘加次数、1×1 卷积、Winograd 的一块 ----

from lib.exercises import ch6_channels  # noqa: E402
from lib.fastconv import WINOGRAD_AT, WINOGRAD_BT, WINOGRAD_G  # noqa: E402


def conv_forward_loop(x, weight, bias, stride=1, padding=0):
    N, C, H, W = x.shape
    F, _, k, _ = weight.shape
    out_h, out_w = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((N, F, out_h, out_w), dtype=x.dtype)
    for n, f, i, j in np.ndindex(N, F, out_h, out_w):
        window = xp[n, :, i * stride:i * stride + k, j * stride:j * stride + k]
        y[n, f, i, j] = np.sum(window * weight[f]) + bias[f]
    return y


def conv_macs(N, C, H, W, F, k, stride=1, padding=0):
    out_h, out_w = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
    return N * F * C * k * k * out_h * out_w


def conv1x1(x, weight, bias):
    return np.einsum('fc,nchw->nfhw', weight, x) + bias[None, :, None, None]


def winograd_tile(d, g):
    U, V = WINOGRAD_G @ g @ WINOGRAD_G.T, WINOGRAD_BT @ d @ WINOGRAD_BT.T
    return WINOGRAD_AT @ (U * V) @ WINOGRAD_AT.T


@pytest.mark.parametrize('check, answer', [(ch6_channels.check_conv_forward, conv_forward_loop),
                                           (ch6_channels.check_conv_macs, conv_macs),
                                           (ch6_channels.check_conv1x1, conv1x1),
                                           (ch6_channels.check_winograd_tile, winograd_tile)])
def test_ch6_reference_answers_pass(check, answer, capsys):
    check(answer)
    assert '✓ 通过' in capsys.readouterr().out


@pytest.mark.parametrize('wrong, fragment', [
    (lambda x, w, b, stride=1, padding=0: conv_forward_loop(x[:, :1], w[:, :1], b, stride, padding),
     '只用了第 0 个通道'),
    (lambda x, w, b, stride=1, padding=0: conv_forward_loop(x, w, 0 * b, stride, padding), '少加了偏置'),
    (lambda x, w, b, stride=1, padding=0: conv_forward_loop(x, w[:, :, ::-1, ::-1], b, stride, padding),
     '卷积核翻转了'),
    (lambda x, w, b, stride=1, padding=0: conv_forward_loop(x, w, b, 1, padding), '输出的高宽不对'),
])
def test_ch6_conv_forward_mistakes(wrong, fragment):
    with pytest.raises(CheckError, match=fragment):
        ch6_channels.check_conv_forward(wrong)


@pytest.mark.parametrize('wrong, fragment', [
    (lambda N, C, H, W, F, k, stride=1, padding=0: conv_macs(N, C, H, W, F, k, stride, padding) // N,
     '少乘了批大小 N'),
    (lambda N, C, H, W, F, k, stride=1, padding=0: N * F * C * k * k * H * W, '输出的 H′×W′'),
    (lambda N, C, H, W, F, k, stride=1, padding=0: conv_macs(N, C, H, W, F, k, stride, padding) // k,
     '只乘了 k 而不是 k²'),
    (lambda N, C, H, W, F, k, stride=1, padding=0: conv_macs(N, C, H, W, F, k, stride, padding) / 1.5,
     '应是整数|乘加次数的数值不对'),
])
def test_ch6_macs_mistakes(wrong, fragment):
    with pytest.raises(CheckError, match=fragment):
        ch6_channels.check_conv_macs(wrong)


def test_ch6_conv1x1_mistakes():
    with pytest.raises(CheckError, match='少加了偏置'):
        ch6_channels.check_conv1x1(lambda x, w, b: np.einsum('fc,nchw->nfhw', w, x))
    with pytest.raises(CheckError, match=r'\(N, H, W, F\)'):
        ch6_channels.check_conv1x1(lambda x, w, b: np.einsum('fc,nchw->nhwf', w, x) + b)


def test_ch6_winograd_mistakes():
    with pytest.raises(CheckError, match='2×2'):
        ch6_channels.check_winograd_tile(
            lambda d, g: (WINOGRAD_G @ g @ WINOGRAD_G.T) * (WINOGRAD_BT @ d @ WINOGRAD_BT.T))
    with pytest.raises(CheckError, match='转置'):
        ch6_channels.check_winograd_tile(lambda d, g: winograd_tile(d, g).T)
    with pytest.raises(CheckError, match='翻转'):
        ch6_channels.check_winograd_tile(lambda d, g: winograd_tile(d, g[::-1, ::-1]))


@pytest.mark.parametrize('check, answer, name', [
    (ch6_channels.check_conv_forward,
     lambda x, w, b, stride=1, padding=0: lib.conv2d_loop(x, w, b, stride, padding),
     'lib.conv2d_loop'),
    (ch6_channels.check_conv_macs, lambda N, C, H, W, F, k, stride=1, padding=0: lib.summary(
        lib.Sequential([lib.Convolution(C, F, k, stride, padding)]), (N, C, H, W)).total_multiply_adds,
     'lib.summary'),
    (ch6_channels.check_conv1x1, lambda x, w, b: lib.fastconv.conv_im2col(x, w[:, :, None, None], b),
     'conv_im2col'),
    (ch6_channels.check_winograd_tile,
     lambda d, g: lib.fastconv.conv_winograd(d[None, None], g[None, None])[0, 0],
     'conv_winograd'),
])
def test_ch6_checks_refuse_delegating_to_lib(check, answer, name):
    with pytest.raises(CheckError, match='这个练习要你自己写出') as info:
        check(answer)
    assert name in str(info.value)
