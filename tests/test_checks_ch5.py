"""第 5 章练习的检查（lib.exercises.ch5_backward）：参考答案通过，典型的错误被认出、用中文说清楚。

参考答案都按循环写，与 lib 的实现无关（免得“拿 lib 检查 lib”）。
"""

import numpy as np
import pytest

import lib
from lib.exercises import ch5_backward as checks
from lib.exercises.harness import CheckError


def transposed_size(size, kernel_size, stride=1, padding=0, output_padding=0):
    return (size - 1) * stride - 2 * padding + kernel_size + output_padding


def naive_backward(start=lambda i, s: i * s, crop=True, assign=False):
    """循环版卷积反向传播；参数用来做出典型的错误写法。"""

    def conv_backward_naive(x, weight, grad_out, stride=1, padding=0):
        N, C, H, W = x.shape
        F, _, k, _ = weight.shape
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(weight)
        for i in range(grad_out.shape[2]):
            for j in range(grad_out.shape[3]):
                r, c = start(i, stride), start(j, stride)
                window = xp[:, :, r:r + k, c:c + k]
                share = np.zeros_like(window)          # 这个窗口从 F 个卷积核收到的梯度
                for f in range(F):
                    g = grad_out[:, f, i, j][:, None, None, None]
                    dw[f] += (g * window).sum(axis=0)
                    share += g * weight[f]
                if assign:                              # 典型错误：= 而不是 +=
                    dxp[:, :, r:r + k, c:c + k] = share
                else:
                    dxp[:, :, r:r + k, c:c + k] += share
        db = grad_out.sum(axis=(0, 2, 3))
        dx = dxp[:, :, padding:padding + H, padding:padding + W] if crop else dxp
        return dx, dw, db

    return conv_backward_naive


def pool_backward(route='first', assign=False):
    """循环版最大池化反向传播：route 为 'first'（正确）、'every'、'average' 或 'ties'。"""

    def max_pool_backward(x, grad_out, kernel_size, stride=None):
        stride = kernel_size if stride is None else stride
        k = kernel_size
        dx = np.zeros_like(x)
        for n in range(x.shape[0]):
            for ch in range(x.shape[1]):
                for i in range(grad_out.shape[2]):
                    for j in range(grad_out.shape[3]):
                        r, c = i * stride, j * stride
                        window = x[n, ch, r:r + k, c:c + k]
                        g = grad_out[n, ch, i, j]
                        if route == 'first':
                            share = np.zeros((k, k))
                            share[np.unravel_index(window.argmax(), (k, k))] = g
                        elif route == 'every':
                            share = np.full((k, k), g)
                        elif route == 'average':
                            share = np.full((k, k), g / (k * k))
                        else:
                            share = (window == window.max()) * g
                        if assign:
                            dx[n, ch, r:r + k, c:c + k] = np.where(share != 0, share,
                                                                   dx[n, ch, r:r + k, c:c + k])
                        else:
                            dx[n, ch, r:r + k, c:c + k] += share
        return dx

    return max_pool_backward


def fails(check, answer, *fragments, **kwargs):
    with pytest.raises(CheckError) as info:
        check(answer, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f'信息里缺少 {fragment!r}：\n{message}'
    return message


@pytest.mark.parametrize('check, answer', [
    (checks.check_transposed_size, transposed_size),
    (checks.check_conv_backward_naive, naive_backward()),
    (checks.check_max_pool_backward, pool_backward()),
], ids=['transposed_size', 'conv_backward_naive', 'max_pool_backward'])
def test_reference_answers_pass(check, answer, capsys):
    check(answer)
    check(answer, trials=12, seed=1)
    assert capsys.readouterr().out.count('✓ 通过：') == 2


@pytest.mark.parametrize('check', [checks.check_transposed_size, checks.check_conv_backward_naive,
                                   checks.check_max_pool_backward])
def test_unfinished_stub_raises_not_implemented(check):
    def stub(*args, **kwargs):
        raise NotImplementedError('请完成这个练习')

    with pytest.raises(NotImplementedError, match='请完成这个练习'):
        check(stub)


# ---- 转置卷积的输出尺寸 ----

@pytest.mark.parametrize('wrong, fragment', [
    (lambda n, k, stride=1, padding=0, output_padding=0: n * stride - 2 * padding + k + output_padding,
     '多加了一个 stride'),
    (lambda n, k, stride=1, padding=0, output_padding=0: (n - 1) * stride + 2 * padding + k + output_padding,
     'padding 的符号反了'),
    (lambda n, k, stride=1, padding=0, output_padding=0: (n - 1) * stride - 2 * padding + k,
     '忘了加 output_padding'),
    (lambda n, k, stride=1, padding=0, output_padding=0: n * stride, '不只是“边长乘以步幅”'),
])
def test_transposed_size_mistakes(wrong, fragment):
    message = fails(checks.check_transposed_size, wrong, fragment, '验算')
    assert '应为' in message


def test_transposed_size_must_be_an_integer():
    fails(checks.check_transposed_size, lambda *a, **kw: float(transposed_size(*a, **kw)), '应该返回整数')


def test_transposed_size_wrong_default():
    fails(checks.check_transposed_size,
          lambda n, k, stride=2, padding=0, output_padding=0: transposed_size(n, k, stride, padding,
                                                                              output_padding),
          '默认值')


# ---- 循环版的卷积反向传播 ----

def test_naive_backward_ignoring_stride_is_named():
    fails(checks.check_conv_backward_naive, naive_backward(start=lambda i, s: i),
          '(i·stride, j·stride)', 'stride=2')


def test_naive_backward_not_cropping_padding_is_named():
    fails(checks.check_conv_backward_naive, naive_backward(crop=False), '裁掉 padding=1 圈')


def test_naive_backward_assigning_overlaps_is_named():
    fails(checks.check_conv_backward_naive, naive_backward(assign=True), '重叠的窗口要相加')


def test_naive_backward_may_not_call_lib():
    def cheat(x, weight, grad_out, stride=1, padding=0):
        return lib.conv2d_backward_loop(x, weight, grad_out, stride, padding)

    fails(checks.check_conv_backward_naive, cheat, '不能直接调用现成的 lib.conv2d_backward_loop')

    def via_transpose(x, weight, grad_out, stride=1, padding=0):
        layer = lib.ConvTranspose(weight.shape[0], weight.shape[1], weight.shape[2], stride, padding)
        return layer(lib.Tensor(grad_out)).data, np.zeros_like(weight), grad_out.sum(axis=(0, 2, 3))

    fails(checks.check_conv_backward_naive, via_transpose, 'lib.ConvTranspose.forward')


def test_naive_backward_db_averaged_over_batch():
    def averaged(x, weight, grad_out, stride=1, padding=0):
        dx, dw, db = naive_backward()(x, weight, grad_out, stride, padding)
        return dx, dw, db / x.shape[0]

    fails(checks.check_conv_backward_naive, averaged, 'db', '1/2')


# ---- 最大池化的反向传播 ----

def test_pool_backward_to_every_element_is_rejected_with_its_own_message():
    message = fails(checks.check_max_pool_backward, pool_backward('every'),
                    '你把每个窗口的梯度送给了窗口里的每一个元素', '只该流回最大值所在的那一个位置')
    assert '梯度检验未通过' in message


def test_pool_backward_average_is_named():
    fails(checks.check_max_pool_backward, pool_backward('average'), '这是平均池化的反向传播')


def test_pool_backward_ties_are_named():
    fails(checks.check_max_pool_backward, pool_backward('ties'), '并列的最大值', 'np.argmax',
          '有并列的最大值')


def test_pool_backward_overlaps_must_add():
    fails(checks.check_max_pool_backward, pool_backward(assign=True), '几个窗口', '+=')


def test_pool_backward_wrong_default_stride():
    def default_one(x, grad_out, kernel_size, stride=1):
        return pool_backward()(x, grad_out, kernel_size, stride)

    fails(checks.check_max_pool_backward, default_one, 'stride 省略时等于 kernel_size')
