"""基准测试能跑通（``--smoke``：每项只跑一两次，不断言任何时间——速度由 make bench 看比值）。"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchmark  # noqa: E402


def test_benchmark_smoke_run(capsys):
    benchmark.main('smoke', use_torch=False)
    out = capsys.readouterr().out
    for label in ('0 本机矩阵乘法峰值', '1 卷积 1→16 3×3', '2 基线网络', '3 LeNet 风格', '4 热进程',
                  '5 卷积前向+反向 batch 2', '6 im2col 内存'):
        assert label in out, out
    assert '引用' in out            # 没有 torch 时标出引用值，而不是假装实测


def test_multiply_adds_counts_conv_and_linear():
    """基线网络前向的乘加数：卷积 N·16·1·9·26·26 + 两个线性层 N·(10816·64 + 64·10)。"""
    import lib
    n = 2
    expected = n * 16 * 9 * 26 * 26 + n * (16 * 26 * 26 * 64 + 64 * 10)
    assert benchmark.multiply_adds(lib.zoo.seed_network(), (n, 1, 28, 28)) == expected
