"""第 4 章 池化与更深的网络：练习的检查。"""

import numpy as np

from ..pooling import AvgPool, MaxPool, pool_windows
from ..tensor import Tensor
from .harness import compare, conv_cases, own_work, passed, run, same_with_defaults


def pool_label(case):
    """池化情形的说明，例如 ``输入形状 (N, C, H, W) = (2, 3, 8, 7)（float32），池化窗口 2×2，stride=2``。"""
    return f'{case.input_text()}，池化窗口 {case.k}×{case.k}，stride={case.stride}'


def check_pool(fn, layer, what, trials, seed):
    """检查 ``fn(x, kernel_size, stride=...)`` 与池化层 ``layer(kernel_size, stride)`` 的前向一致。

    一半的随机情形用 float32 的输入。``stride == kernel_size`` 时再省略 stride 调用一次：
    ``fn(x, k)`` 必须等于 ``fn(x, k, stride=k)``。
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    cases = conv_cases(trials, seed, kernels=(1, 2, 3, 4), paddings=(0,),       # F 与池化无关
                       dtypes=('float64', 'float32'))
    for case in cases:
        x = case.random(rng, case.x_shape)
        label = pool_label(case)
        expected = layer(case.k, case.stride)(Tensor(x)).data
        actual = run(fn, label, x, case.k, stride=case.stride)
        compare(f'返回的{what}结果', label, expected, actual, **case.tolerance)
        same_with_defaults(f'返回的{what}结果', fn, label, actual, (x, case.k), dict(stride=case.stride),
                           dict(stride=case.k), rule='（stride 省略时等于 kernel_size）')
    passed(f'在 {trials} 组随机形状、窗口和步幅上与 lib.{layer.__name__} 一致（包括省略 stride）')


@own_work('max_pool', MaxPool.forward, pool_windows)
def check_max_pool(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride=None)`` 与 ``lib.MaxPool`` 一致（窗口可以重叠，不填充）。"""
    __tracebackhide__ = True
    check_pool(fn, MaxPool, '最大池化', trials, seed)


@own_work('avg_pool', AvgPool.forward, pool_windows)
def check_avg_pool(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride=None)`` 与 ``lib.AvgPool`` 一致（窗口可以重叠，不填充）。"""
    __tracebackhide__ = True
    check_pool(fn, AvgPool, '平均池化', trials, seed)
