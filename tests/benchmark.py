"""《卷积层》基准测试：lib 对种子课程的原始代码、对 PyTorch 参考值（``make bench``）。

测量什么（全部在同一次运行里；float32 数据；lib.seed(0)）：

1. 卷积层前向+反向（1→16 通道，3×3，28×28，batch 2）：种子代码（逐个输出像素循环，
   递归的 Tensor.backward，float64 梯度）对 lib（im2col + 矩阵乘法）。目标：加速 ≥ 10×。
2. 同一卷积在 batch 32：lib 的毫秒数对 issue 里引用的 PyTorch CPU 参考值约 0.5 ms
   （引用值，不是本机测得），目标 ≤ 1.5 倍；本机若恰好能 import torch，也当场实测 conv2d。
3. 种子课程的网络在 4000 张训练图上以 batch 32 训练 10 轮：墙钟时间与每秒图像数，
   对照引用的 PyTorch 约 7 s。``--quick`` 只训练 2 轮，用较快的一轮 × 10 外推。
4. 种子自己的设置（batch 2，lr 0.01）：种子代码与 lib 各跑同样的前若干步，交替进行、
   各取最小值，再外推到 10 轮（20000 步）。目标：lib 不超过种子用时的一半。
5. im2col 的内存代价：batch 32 时列矩阵与输入各占多少字节（以空间换时间）。

为什么看比值：这台机器只有 2 核且与别人共用，绝对时间随负载起伏。两边在同一次运行里
交替测量、各取多次重复的最小值，噪声对两边的影响相近，比值远比绝对时间可靠。

为什么默认把 OpenBLAS 限为 1 个线程：2 个核被别的进程占着时，多线程 BLAS 的线程互相
等待，Linear(10816, 64) 的一次矩阵乘法会从约 1 ms 变成几百 ms，测到的只剩噪声。
想测多线程，在命令前加 ``OPENBLAS_NUM_THREADS=2``。
"""

import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # 必须在 import numpy 之前

import argparse
import timeit
import unicodedata
from pathlib import Path

import numpy as np
import seed_reference as seed_code  # 与本文件同在 tests/，python tests/benchmark.py 时可直接导入

import lib

DATA = Path(__file__).resolve().parent.parent / 'data' / 'tinymnist.npz'
TORCH_CONV_MS, TORCH_TRAIN_S = 0.5, 7.0  # issue 中引用的 PyTorch CPU 参考值，非本机测得
EPOCHS, TRAIN_IMAGES = 10, 4000


def fastest_ms(fns, numbers, rounds):
    """交替测量几个函数，返回各自单次调用的最短毫秒数。

    先把每个函数各跑约 0.5 秒预热（新进程里内存分配器要跑上几百次才稳定）。然后每一轮
    依次对每个函数做 timeit.repeat（每次只调用 number 次，时间窗短，容易碰上没被别的
    进程打断的片刻）；交替进行，机器负载的起伏对各方的影响相近。
    """
    for fn in fns:
        end = timeit.default_timer() + 0.5
        while timeit.default_timer() < end:
            fn()
    best = [float('inf')] * len(fns)
    for _ in range(rounds):
        for i, (fn, number) in enumerate(zip(fns, numbers, strict=True)):
            best[i] = min(best[i], min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e3)
    return best


def conv_step(mod, batch):
    """返回一个函数：用 mod（种子代码或 lib）的 Convolution(1, 16, 3) 做一次前向+反向。"""
    x = np.random.default_rng(0).random((batch, 1, 28, 28), dtype=np.float32)
    conv = mod.Convolution(1, 16, 3)
    ones = np.ones_like(conv(mod.Tensor(x)).data)  # 上游梯度全为 1（种子的输出是 float64）

    def step():
        out = conv(mod.Tensor(x))
        if mod is lib:
            out.backward(ones)
        else:  # 种子的 backward() 不收参数：先放好梯度，再递归地反向传播
            out.grad = ones
            out.backward()
    return step


def torch_step(batch):
    """本机若装了 torch，返回 conv2d 前向+反向的函数，否则返回 None（torch 从不是必需的）。"""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ['OPENBLAS_NUM_THREADS']))  # 与 numpy 同样的线程数
    x = torch.rand(batch, 1, 28, 28, requires_grad=True)
    conv = torch.nn.Conv2d(1, 16, 3)

    def step():
        out = torch.nn.functional.conv2d(x, conv.weight, conv.bias)
        out.backward(torch.ones_like(out))
    return step


def train_seconds(mod, batch, images, epochs=1):
    """用 mod 搭种子课程的网络（CELoss，SGD lr 0.01），在前 images 张训练图上训练。

    返回 (秒数, 模型)；搭网络、读数据不计时。种子代码与 lib 的类同名同用法。
    """
    np.random.seed(0)  # 种子代码用全局随机数
    lib.seed(0)
    net = mod.Sequential([mod.Convolution(1, 16, 3), mod.Flatten(), mod.Dropout(),
                          mod.Linear(26 * 26 * 16, 64), mod.ReLU(), mod.Linear(64, 10)])
    optimizer = mod.SGDOptimizer(net.parameters(), 0.01)
    if mod is lib:
        data = lib.MNISTDataset(DATA, batch, shuffle=False)
        model = lib.NNModel(net, lib.CELoss(), optimizer, progress=False)
    else:
        data = seed_code.MINSTDataset(str(DATA), batch)
        model = seed_code.NNModel(net, seed_code.CELoss(), optimizer)
    data.train_features, data.train_labels = data.train_features[:images], data.train_labels[:images]
    start = timeit.default_timer()
    model.train(data, epochs)
    return timeit.default_timer() - start, model


def row(*cells, widths=(32, 20, 14, 9)):
    """按显示宽度（汉字占两格）对齐地打印一行表格。"""
    def width(text):
        return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in text)
    print(''.join(c + ' ' * (w - width(c)) for c, w in zip(cells, widths, strict=False))
          + ''.join(cells[len(widths):]))


def goal(text, ok):
    return f'{text}  {"✓ 达到" if ok else "✗ 未达到"}'


def conv_rows(rounds):
    """1、2：单个卷积层的前向+反向。"""
    seed_ms, lib_ms = fastest_ms([conv_step(seed_code, 2), conv_step(lib, 2)], [1, 5], rounds)
    row('1 卷积前向+反向 batch 2', f'种子 {seed_ms:.2f} ms', f'{lib_ms:.3f} ms',
        f'{seed_ms / lib_ms:.1f}×', goal('≥10×', seed_ms / lib_ms >= 10))

    torch_fn = torch_step(32)
    fns = [conv_step(lib, 32)] + ([torch_fn] if torch_fn else [])
    lib_ms, *torch_ms = fastest_ms(fns, [1] * len(fns), rounds)
    row('2 卷积前向+反向 batch 32', f'PyTorch ≈{TORCH_CONV_MS} ms*', f'{lib_ms:.3f} ms',
        f'{lib_ms / TORCH_CONV_MS:.2f}×', goal('≤1.5×', lib_ms <= 1.5 * TORCH_CONV_MS))
    if torch_ms:
        row('  同上，torch conv2d 本机实测', f'torch {torch_ms[0]:.3f} ms', f'{lib_ms:.3f} ms',
            f'{lib_ms / torch_ms[0]:.2f}×', '（实测，非引用）')
    return torch_fn is not None


def training_row(quick):
    """3：种子的网络，batch 32，10 轮（--quick：2 轮，用较快的一轮 × 10）。"""
    train_seconds(lib, 32, 320)  # 预热
    epochs = 2 if quick else EPOCHS
    seconds, model = train_seconds(lib, 32, TRAIN_IMAGES, epochs)
    fastest = min(model.history['seconds']) * EPOCHS
    seconds = fastest if quick else seconds
    images = EPOCHS * TRAIN_IMAGES
    row(f'3 训练 {EPOCHS} 轮 batch 32', f'PyTorch ≈{TORCH_TRAIN_S:.0f} s*', f'{seconds:.1f} s',
        f'{seconds / TORCH_TRAIN_S:.2f}×')
    row('  每秒图像数', f'≈{images / TORCH_TRAIN_S:.0f} img/s*', f'{images / seconds:.0f} img/s')
    print(f'  （外推：只训练了 {epochs} 轮，取较快的一轮 × {EPOCHS}）' if quick else
          f'  （{EPOCHS} 轮实测墙钟时间；最快的一轮 × {EPOCHS} = {fastest:.1f} s）')


def seed_settings_row(quick):
    """4：种子的设置 batch 2：同样的前 steps 步，种子、lib 交替，各取最小，外推到 10 轮。"""
    steps, alternations = (100, 3) if quick else (400, 4)
    train_seconds(lib, 2, 20)  # 预热
    seed_s, lib_s = [], []
    for _ in range(alternations):
        seed_s.append(train_seconds(seed_code, 2, 2 * steps)[0])
        lib_s.append(train_seconds(lib, 2, 2 * steps)[0])
    seed_step, lib_step = min(seed_s) / steps, min(lib_s) / steps
    total = EPOCHS * TRAIN_IMAGES // 2
    row(f'4 种子的设置 batch 2，{total} 步', f'种子 {seed_step * total:.0f} s', f'{lib_step * total:.0f} s',
        f'{seed_step / lib_step:.1f}×', goal('≥2×', lib_step <= seed_step / 2))
    print(f'  （外推：每边只跑前 {steps} 步，交替 {alternations} 次取最小，× {total // steps}；'
          f'每步 种子 {seed_step * 1e3:.1f} ms，lib {lib_step * 1e3:.2f} ms）')


def memory_row():
    """5：im2col 以空间换时间。"""
    x = np.zeros((32, 1, 28, 28), dtype=np.float32)
    cols = lib.im2col(x, 3)
    row('5 im2col 内存 batch 32', f'输入 {x.nbytes / 1024:.1f} KiB', f'{cols.nbytes / 1024:.1f} KiB',
        f'{cols.nbytes / x.nbytes:.2f}×', f'列矩阵 {cols.shape} float32')


def main(quick):
    rounds = 40 if quick else 100
    print(f'《卷积层》基准测试（{"--quick" if quick else "默认"}）：numpy {np.__version__}，'
          f'OpenBLAS 线程 {os.environ["OPENBLAS_NUM_THREADS"]}，{os.cpu_count()} 核')
    print('比值：对种子 = 种子时间 ÷ lib 时间（加速倍数）；对 PyTorch = lib 时间 ÷ PyTorch 时间\n')
    row('测量项', '对照', 'lib', '比值', '目标')
    has_torch = conv_rows(rounds)
    training_row(quick)
    seed_settings_row(quick)
    memory_row()
    print(f'\n1、2 是 {rounds} 轮交替测量中的最小值。')
    print('* 引用值：issue 中 PyTorch CPU 版的参考数字，不是本机测得，只作量级参照。')
    if not has_torch:
        print('  本机没有安装 torch，没有实测 PyTorch。')


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='《卷积层》基准测试：lib 对种子代码与 PyTorch 参考值')
    parser.add_argument('--quick', action='store_true', help='少跑几轮并外推（半分钟以内）')
    start = timeit.default_timer()
    main(parser.parse_args().quick)
    print(f'总用时 {timeit.default_timer() - start:.0f} s')
