"""测试共用的夹具（fixture）。"""

import os

# 只有 2 个核、又有别的进程时，OpenBLAS 的多线程在这些小矩阵乘法上会慢几十倍；
# 测试默认只用一个线程（必须在导入 numpy 之前设定；已在环境里设定的照旧）。
for _variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_variable, '1')

import re  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use('Agg')   # 测试里不开窗口：图只画在内存里

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lib  # noqa: E402
import lib.viz  # noqa: E402

lib.viz.setup()         # 图里的汉字用已安装的中文字体（与各章的导入单元格一样，显式调用）

CJK = re.compile(r'[\u4e00-\u9fff]')


@pytest.fixture
def rng():
    """每个测试各自一个固定种子的随机数生成器。"""
    return np.random.default_rng(20261128)


@pytest.fixture(autouse=True)
def seeded_layers():
    """每个测试开始前固定各层的随机数种子，测试之间互不影响。"""
    lib.seed(0)


@pytest.fixture(autouse=True)
def close_figures():
    """每个测试结束后关掉它画的所有图。"""
    yield
    plt.close('all')


@pytest.fixture(scope='session')
def digits():
    """tinymnist 的测试图像 (1000, 28, 28) 与整数标签 (1000,)（只读）。"""
    images, labels = lib.load_digits()
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@pytest.fixture
def raises_chinese():
    """像 pytest.raises，但还要求错误信息是中文，并包含给出的每个片段（例如实际形状）。"""

    @contextmanager
    def check(exc_type, *fragments):
        with pytest.raises(exc_type) as info:
            yield info
        message = str(info.value)
        assert CJK.search(message), f'错误信息不是中文：{message!r}'
        for fragment in fragments:
            assert fragment in message, f'错误信息缺少 {fragment!r}：{message!r}'

    return check


@pytest.fixture(scope='session')
def tinymnist_arrays():
    """data/tinymnist.npz 的原始数组（只读副本）。"""
    with np.load(lib.TINYMNIST_PATH, allow_pickle=False) as f:
        arrays = {key: f[key] for key in f.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


@pytest.fixture
def small_npz(tmp_path, tinymnist_arrays):
    """取 tinymnist 的前若干张写成一个小 .npz，返回其路径的工厂函数。"""

    def make(n_train=100, n_test=20, name='small.npz'):
        path = tmp_path / name
        np.savez(path,
                 x_train=tinymnist_arrays['x_train'][:n_train], y_train=tinymnist_arrays['y_train'][:n_train],
                 x_test=tinymnist_arrays['x_test'][:n_test], y_test=tinymnist_arrays['y_test'][:n_test])
        return path

    return make
