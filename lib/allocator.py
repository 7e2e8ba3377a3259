"""让每一步训练的用时稳定：请 C 库的内存分配器留住释放掉的大块内存。

训练时每一步都要新建几块 0.1～几 MB 的临时数组（窗口矩阵、梯度），用完即释放。
Linux 的 glibc 默认把 ≥128 KiB 的请求交给 ``mmap`` 单独向内核要内存，释放时立刻还回去；
下一步再要，内核得重新映射、逐页清零，每一页第一次写入都是一次缺页（page fault）。
一次卷积层的前向+反向（batch 32）这样要缺页约一千次，用时从约 0.9 ms 涨到 2.5 ms 以上。
glibc 会根据释放过的块自动调高这个门槛，所以新进程跑上几百步以后会变快；可是先做过别的事
（比如导入并运行过 PyTorch）的进程里，门槛与堆顶的修剪（trim）常常停在不合适的位置，
于是每一步都重新缺页：同样的一步在“热”进程里反而慢了三倍。

``keep_freed_memory()`` 把两个门槛固定下来（``mallopt``）：小于 ``mmap_threshold`` 的
请求都从进程自己的堆里分配，释放后留在堆里、下一步直接复用；堆顶空闲不超过
``trim_threshold`` 时不还给内核。代价是进程的内存占用停在用过的峰值附近。
``import lib`` 时调用一次；设环境变量 ``LIB_KEEP_FREED_MEMORY=0`` 可以不调用。
在非 glibc 的系统（macOS、Windows、musl）上什么也不做。
"""

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # glibc malloc.h 里的参数编号


def keep_freed_memory(mmap_threshold=64 << 20, trim_threshold=256 << 20):
    """固定 glibc 的 mmap 门槛与修剪门槛（字节）。成功返回 True，不是 glibc 时返回 False。"""
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    except OSError:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
                and libc.mallopt(M_TRIM_THRESHOLD, trim_threshold))


if os.environ.get('LIB_KEEP_FREED_MEMORY', '1') != '0':
    keep_freed_memory()
