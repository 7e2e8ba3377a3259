"""第 4 章 池化与更深的网络：练习的检查。"""

import numpy as np

from ..pooling import AvgPool, MaxPool, pool_windows
from ..tensor import Tensor
from .harness import compare, conv_cases, own_work, passed, run


def check_pool(fn, layer, what, trials, seed):
    """检查 ``fn(x, kernel_size, stride=...)`` 与池化层 ``layer(kernel_size, stride)`` 的前向一致。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for case in conv_cases(trials, seed, filters=(1,), kernels=(1, 2, 3, 4), paddings=(0,)):
        x = rng.standard_normal(case.x_shape)
        expected = layer(case.k, case.stride)(Tensor(x)).data
        actual = run(fn, case, x, case.k, stride=case.stride)
        compare(f'返回的{what}结果', case, expected, actual)
    passed(f'在 {trials} 组随机形状、窗口和步幅上与 lib.{layer.__name__} 一致')


@own_work('max_pool', MaxPool.forward, pool_windows)
def check_max_pool(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride)`` 与 ``lib.MaxPool`` 一致（窗口可以重叠，不补零）。"""
    __tracebackhide__ = True
    check_pool(fn, MaxPool, '最大池化', trials, seed)


@own_work('avg_pool', AvgPool.forward, pool_windows)
def check_avg_pool(fn, trials=20, seed=0):
    """检查 ``fn(x, kernel_size, stride)`` 与 ``lib.AvgPool`` 一致（窗口可以重叠，不补零）。"""
    __tracebackhide__ = True
    check_pool(fn, AvgPool, '平均池化', trials, seed)
