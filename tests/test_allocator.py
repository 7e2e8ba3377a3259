"""lib/allocator.py：固定 glibc 的内存分配门槛后，反复分配、释放同样大小的数组不再缺页。"""

import platform
import resource

import numpy as np
import pytest

from lib.allocator import keep_freed_memory

GLIBC = platform.system() == 'Linux' and platform.libc_ver()[0] == 'glibc'


@pytest.mark.skipif(not GLIBC, reason='只在 glibc 上有意义')
def test_repeated_large_temporaries_do_not_fault():
    assert keep_freed_memory() is True
    for _ in range(3):                               # 第一次要向内核要内存，之后应当复用
        np.ones(1 << 20, dtype=np.float32)           # 4 MiB：默认门槛下每次都是新的 mmap
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        np.ones(1 << 20, dtype=np.float32)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 100, f'20 次 4 MiB 的分配缺页 {faults} 次（默认门槛下约 20 × 1024 次）'


def test_other_systems_are_left_alone(monkeypatch):
    monkeypatch.setattr(platform, 'system', lambda: 'Darwin')
    assert keep_freed_memory() is False
