"""《卷积层》基准测试：lib 对 PyTorch（本机装了才测）、对原课程的代码（``make bench``）。

测量什么（全部在同一次运行里；float32；batch 32；lib.seed(0)）：

0. 本机矩阵乘法的峰值：float32 的 512×512 矩阵相乘，每秒多少 GFLOP。它是单线程的物理上限，
   下面每一行都换算成“达到峰值的百分之几”。
1. 卷积层 ``Convolution(1, 16, 3)`` 在 28×28、batch 32 上的一次前向+反向。
2. 基线网络（``lib.zoo.seed_network()``，原课程的网络）在前 4000 张训练图上训练一轮。
3. LeNet 风格的网络（``lib.zoo.lenet()``，第 4 章）在前 4000 张训练图上训练一轮。
   另有一行 3′：issue 表里写的大号 LeNet（两层 5×5 卷积，16 与 32 个卷积核），只作参照。
   本机能 ``import torch`` 时，1～3 都在同一次运行里交替测 PyTorch（``torch.set_num_threads(1)``），
   打印比值 lib ÷ torch。torch 从不是必需的：没有它就只打印 lib 的时间与 issue 里引用的数。
4. 单步用时是否稳定：先跑过上面这些（包括 torch）的“热”进程里，第 1 行的一步再测一遍，
   连同每步的缺页次数（page fault，见 lib/allocator.py）。
5. 原课程的代码（tests/seed_reference.py）对 lib：batch 2 的卷积层，与原课程自己的训练设置。
6. im2col 的内存代价。

为什么看比值与中位数：这台机器只有 2 核且与别人共用，绝对时间随负载起伏。两边在同一次运行里
交替测量，噪声对两边的影响相近；最小值是“没被打断时”的速度，中位数是“通常”的速度，两个都打印。

为什么默认把 OpenBLAS 限为 1 个线程：2 个核被别的进程占着时，多线程 BLAS 的线程互相等待，
测到的只剩噪声。想测多线程，在命令前加 ``OPENBLAS_NUM_THREADS=2``。

用 PyTorch 对照：另建一个环境装上 torch 与 numpy、tqdm，再用它的 python 运行本文件，例如
``PYTHONPATH=$PWD /tmp/torchenv/bin/python tests/benchmark.py``（见 README）。
"""

import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # 必须在 import numpy 之前

import argparse
import resource
import statistics
import sys
import timeit
import unicodedata
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # 与本文件同在 tests/ 的 seed_reference
import seed_reference as seed_code  # noqa: E402

import lib  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / 'data' / 'tinymnist.npz'
# issue 12 里引用的 PyTorch 2.13 CPU 的数（不是本机测得；本机没有 torch 时只作量级参照）
CITED_TORCH = {'conv': 1.45e-3, 'seed': 0.9, 'lenet': 0.8}
BATCH, TRAIN_IMAGES = 32, 4000


# ---- 计时 ----

def timings(fns, numbers, rounds, warmup=0.3):
    """交替测量几个函数，返回每个函数单次调用的全部计时（秒）列表。

    先把每个函数各跑约 ``warmup`` 秒预热；然后每一轮依次对每个函数调用 number 次取平均，
    交替进行，机器负载的起伏对各方的影响相近。
    """
    for fn in fns:
        end = timeit.default_timer() + warmup
        while timeit.default_timer() < end:
            fn()
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, (fn, number) in enumerate(zip(fns, numbers, strict=True)):
            times[i].append(timeit.timeit(fn, number=number) / number)
    return times


def summary(times):
    """(最小值, 中位数)。"""
    return min(times), statistics.median(times)


def matmul_peak_gflops(n=512, rounds=20):
    """本机单线程 float32 矩阵乘法的峰值 GFLOP/s（n×n 乘 n×n，2n³ 次浮点运算，取最快的一次）。"""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    best = min(timings([lambda: a @ b], [3], rounds, warmup=0.2)[0])
    return 2 * n ** 3 / best / 1e9


def multiply_adds(network, input_shape):
    """网络前向一次的乘加次数：卷积 N·F·C·k²·H′·W′，线性层 N·in·out（其余层忽略不计）。"""
    total, x = 0, lib.Tensor(np.zeros(input_shape, dtype=np.float32), requires_grad=False)
    for layer in network.layers:
        y = layer(x)
        if isinstance(layer, lib.Convolution):
            N, F, H, W = y.data.shape
            total += N * F * layer.in_channels * layer.kernel_size ** 2 * H * W
        elif isinstance(layer, lib.Linear):
            total += y.data.shape[0] * layer.weight.data.size
        x = y
    return total


def training_flops(multiply_adds_forward):
    """前向 + 反向的浮点运算数：每次乘加 2 次运算；反向约是前向的 2 倍（对输入、对权重各一次）。"""
    return 2 * multiply_adds_forward * 3


# ---- 表格 ----

def width(text):
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in text)


def row(*cells, widths=(34, 22, 22, 12, 10)):
    """按显示宽度（汉字占两格）对齐地打印一行表格。"""
    print(''.join(c + ' ' * max(1, w - width(c)) for c, w in zip(cells, widths, strict=False))
          + ''.join(cells[len(widths):]))


def fmt(seconds):
    return f'{seconds * 1e3:.2f} ms' if seconds < 1 else f'{seconds:.2f} s'


def pair(times):
    low, mid = summary(times)
    return f'{fmt(low)} / {fmt(mid)}'


def lib_vs_torch(label, lib_times, torch_times, flops, peak, cited):
    """打印一行：lib 的最小/中位、torch 的最小/中位、比值、lib 达到峰值的百分比。"""
    lib_low = min(lib_times)
    achieved = flops / lib_low / 1e9
    if torch_times:
        ratio = lib_low / min(torch_times)
        mark = '✓' if ratio <= 1 else '✗'
        row(label, pair(lib_times), pair(torch_times), f'{ratio:.2f}× {mark}',
            f'{achieved:.1f} GF/s', f'= 峰值的 {achieved / peak:.0%}')
    elif cited is None:
        row(label, pair(lib_times), '（issue 里没有引用值）', '', f'{achieved:.1f} GF/s',
            f'= 峰值的 {achieved / peak:.0%}')
    else:
        row(label, pair(lib_times), f'引用 ≈{fmt(cited)}*', f'{lib_low / cited:.2f}×*',
            f'{achieved:.1f} GF/s', f'= 峰值的 {achieved / peak:.0%}')


# ---- 1：单个卷积层 ----

def conv_step(mod, batch):
    """返回一个函数：用 mod（原课程代码或 lib）的 Convolution(1, 16, 3) 做一次前向+反向。"""
    x = np.random.default_rng(0).random((batch, 1, 28, 28), dtype=np.float32)
    conv = mod.Convolution(1, 16, 3)
    ones = np.ones_like(conv(mod.Tensor(x)).data)  # 上游梯度全为 1（原课程的输出是 float64）

    def step():
        out = conv(mod.Tensor(x))
        if mod is lib:
            out.backward(ones)
        else:  # 原课程的 backward() 不收参数：先放好梯度，再递归地反向传播
            out.grad = ones
            out.backward()
    return step


def import_torch():
    """本机装了 torch 就返回它（单线程，与 numpy 一样），否则返回 None：torch 从不是必需的。"""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ['OPENBLAS_NUM_THREADS']))
    return torch


def torch_conv_step(torch, batch):
    x = torch.rand(batch, 1, 28, 28, requires_grad=True)
    conv = torch.nn.Conv2d(1, 16, 3)

    def step():
        out = conv(x)
        out.backward(torch.ones_like(out))
    return step


# ---- 2、3：训练一轮 ----

def lenet_5x5():
    """issue 12 表里写的 LeNet 风格网络：5×5 卷积 16 → 池化 → 5×5 卷积 32 → 池化 → 64 → 10。"""
    return lib.Sequential([lib.Convolution(1, 16, 5, padding=2), lib.ReLU(), lib.MaxPool(2),
                           lib.Convolution(16, 32, 5, padding=2), lib.ReLU(), lib.MaxPool(2),
                           lib.Flatten(), lib.Linear(32 * 7 * 7, 64), lib.ReLU(), lib.Linear(64, 10)])


NETWORKS = {'seed': lib.zoo.seed_network, 'lenet': lib.zoo.lenet, 'lenet5x5': lenet_5x5}


def torch_network(torch, name):
    """与 NETWORKS 里同名网络结构相同的 torch 网络。"""
    nn = torch.nn
    if name == 'seed':
        return nn.Sequential(nn.Conv2d(1, 16, 3), nn.Flatten(), nn.Dropout(0.2),
                             nn.Linear(16 * 26 * 26, 64), nn.ReLU(), nn.Linear(64, 10))
    c1, c2, k = (8, 16, 3) if name == 'lenet' else (16, 32, 5)
    return nn.Sequential(nn.Conv2d(1, c1, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(c2 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))


def load_training_data(images):
    data = lib.MNISTDataset(DATA, BATCH, shuffle=False)
    data.train_features, data.train_labels = data.train_features[:images], data.train_labels[:images]
    return data


def lib_epoch(name, data):
    """返回一个函数：搭好 lib 的网络（不计时），用 SGD lr 0.01 在 data 上训练一轮。"""
    def epoch():
        lib.seed(0)
        net = NETWORKS[name]()
        model = lib.NNModel(net, lib.CELoss(), lib.SGDOptimizer(net.parameters(), 0.01), progress=False)
        model.train(data, 1)
    return epoch


def torch_epoch(torch, name, data):
    """返回一个函数：同样的网络、数据、批大小与 SGD，用 torch 训练一轮。"""
    features = torch.from_numpy(data.train_features)
    labels = torch.from_numpy(data.train_labels.argmax(axis=1))

    def epoch():
        torch.manual_seed(0)
        net = torch_network(torch, name)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        loss_fn = torch.nn.CrossEntropyLoss()
        for start in range(0, len(features), BATCH):
            optimizer.zero_grad()
            loss_fn(net(features[start:start + BATCH]), labels[start:start + BATCH]).backward()
            optimizer.step()
    return epoch


# ---- 4：单步用时与缺页 ----

def faults_per_step(step, steps=50):
    """每步的缺页（minor page fault）次数的中位数。"""
    counts = []
    for _ in range(steps):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        step()
        counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return statistics.median(counts)


# ---- 5：原课程的代码 ----

def train_seconds(mod, batch, images):
    """用 mod 搭原课程的网络（CELoss，SGD lr 0.01），在前 images 张训练图上训练一轮，返回秒数。"""
    np.random.seed(0)  # 原课程的代码用全局随机数
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
    model.train(data, 1)
    return timeit.default_timer() - start


def original_course_rows(rounds, steps, alternations):
    """原课程代码对 lib：batch 2 的卷积层；原课程自己的设置（batch 2，lr 0.01）训练前 steps 步。"""
    seed_t, lib_t = timings([conv_step(seed_code, 2), conv_step(lib, 2)], [1, 5], rounds)
    speedup = min(seed_t) / min(lib_t)
    row('5 卷积前向+反向 batch 2', f'原课程 {pair(seed_t)}', pair(lib_t), f'快 {speedup:.0f}×',
        '目标 ≥10×', '✓' if speedup >= 10 else '✗')
    seed_s, lib_s = [], []
    for _ in range(alternations):
        seed_s.append(train_seconds(seed_code, 2, 2 * steps) / steps)
        lib_s.append(train_seconds(lib, 2, 2 * steps) / steps)
    speedup = min(seed_s) / min(lib_s)
    row(f'  原课程的设置 batch 2，每步（前 {steps} 步）', f'原课程 {pair(seed_s)}', pair(lib_s),
        f'快 {speedup:.1f}×', '目标 ≥2×', '✓' if speedup >= 2 else '✗')


def memory_row():
    """6：im2col 以空间换时间。"""
    x = np.zeros((BATCH, 1, 28, 28), dtype=np.float32)
    cols = lib.im2col(x, 3)
    row('6 im2col 内存 batch 32', f'输入 {x.nbytes / 1024:.1f} KiB', f'窗口矩阵 {cols.nbytes / 1024:.1f} KiB',
        f'{cols.nbytes / x.nbytes:.2f}×', f'{cols.shape} float32')


# ---- 主程序 ----

SETTINGS = {   # (交替的轮数, 训练用的图片数, 每个网络交替训练几轮, 原课程：步数与交替次数)
    'full': (60, TRAIN_IMAGES, 5, (400, 4)),
    'quick': (30, TRAIN_IMAGES, 3, (100, 2)),
    'smoke': (2, 64, 1, (2, 1)),     # 只检查能跑通（测试套件用），数字没有意义
}


def main(mode='full', use_torch=True):
    rounds, images, epochs, (steps, alternations) = SETTINGS[mode]
    torch = import_torch() if use_torch else None
    print(f'《卷积层》基准测试（{mode}）：numpy {np.__version__}，OpenBLAS 线程 '
          f'{os.environ["OPENBLAS_NUM_THREADS"]}，{os.cpu_count()} 核，'
          + (f'torch {torch.__version__}（线程 {torch.get_num_threads()}）' if torch else '没有 torch'))
    peak = matmul_peak_gflops(rounds=max(rounds // 3, 2))
    print(f'0 本机矩阵乘法峰值（float32 512×512，单线程）：{peak:.1f} GFLOP/s\n')
    row('测量项', 'lib 最小 / 中位', 'torch 最小 / 中位', 'lib÷torch', 'lib 实际', '相对峰值')

    # 1：单个卷积层
    conv_flops = training_flops(BATCH * 16 * 9 * 26 * 26)
    fns = [conv_step(lib, BATCH)] + ([torch_conv_step(torch, BATCH)] if torch else [])
    lib_t, *torch_t = timings(fns, [5] * len(fns), rounds)
    lib_vs_torch('1 卷积 1→16 3×3 28×28 前向+反向', lib_t, torch_t[0] if torch else None,
                 conv_flops, peak, CITED_TORCH['conv'])

    # 2、3：训练一轮
    data = load_training_data(images)
    for label, name in (('2 基线网络训练一轮（4000 张图）', 'seed'), ('3 LeNet 风格训练一轮', 'lenet'),
                        ('3′ 大号 LeNet（5×5，16/32）一轮', 'lenet5x5')):
        steps_per_epoch = -(-images // BATCH)
        flops = training_flops(multiply_adds(NETWORKS[name](), (BATCH, 1, 28, 28))) * steps_per_epoch
        fns = [lib_epoch(name, data)] + ([torch_epoch(torch, name, data)] if torch else [])
        lib_t, *torch_t = timings(fns, [1] * len(fns), epochs, warmup=0)
        lib_vs_torch(label, lib_t, torch_t[0] if torch else None, flops, peak,
                     CITED_TORCH.get(name))
    if images != TRAIN_IMAGES:
        print(f'  （{mode}：只用了前 {images} 张图）')

    # 4：热进程里的单步
    step = conv_step(lib, BATCH)
    lib_t, = timings([step], [5], rounds)
    row('4 热进程里再测第 1 行', pair(lib_t), '', '', f'每步缺页 {faults_per_step(step):.0f} 次')

    # 5、6：原课程的代码
    print()
    original_course_rows(rounds, steps, alternations)
    memory_row()
    print(f'\n时间都是“最小 / 中位数”：1、4 各 {rounds} 轮交替测量（每轮 5 次取平均），'
          f'2、3 各交替训练 {epochs} 轮。比值用最小值；✓ 表示 lib 不慢于 torch。')
    print('“相对峰值”= lib 每秒完成的浮点运算（前向+反向 ≈ 3 × 前向的 2·乘加数）÷ 第 0 行的峰值。')
    if not torch:
        print('* 本机没有 torch：这一列是 issue 12 里引用的 PyTorch 2.13 CPU 的数，不是本机测得。')


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='《卷积层》基准测试：lib 对 PyTorch 与原课程的代码')
    parser.add_argument('--quick', action='store_true', help='少测几轮（一分钟左右）')
    parser.add_argument('--smoke', action='store_true', help='只检查能跑通（几秒），数字没有意义')
    parser.add_argument('--no-torch', action='store_true', help='即使装了 torch 也不测')
    args = parser.parse_args()
    start = timeit.default_timer()
    main('smoke' if args.smoke else 'quick' if args.quick else 'full', use_torch=not args.no_torch)
    print(f'总用时 {timeit.default_timer() - start:.0f} s')
