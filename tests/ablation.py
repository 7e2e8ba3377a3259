"""第 4 章的消融实验（ablation）：三个训练办法各起了多大作用，只看验证集。

第 4 章用数据增强（随机平移）、动量和余弦退火训练 LeNet 风格的网络。这几个办法（以及 15 轮、
学习率 0.05、动量 0.9 这些数）是怎么选出来的？本脚本每次去掉一个办法，用 3 个随机种子各训练
一次，比较的是 ``lib.split_validation`` 从训练图里划出的 500 张**验证集**上的准确率：
训练只用其余 3500 张，测试集一张也不看。

    OPENBLAS_NUM_THREADS=1 .venv/bin/python tests/ablation.py          # 15 次训练，几分钟

每行打印 3 个种子的验证准确率与平均，最后打印单次 500 张验证图的 95% 区间半宽：
比区间半宽小的差别，分不出高低。结果连同命令、lib 的提交与机器写进 ``data/ch4_ablation.json``
（``--output`` 可改）：第 4 章的笔记本读取它画出表格，正文里不手写这些数字。
"""

import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # 必须在 import numpy 之前

import argparse
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import lib
from lib import CELoss, NNModel, SGDOptimizer
from lib.augment import ShiftedMNISTDataset

ROOT = Path(__file__).resolve().parent.parent
EPOCHS, BATCH_SIZE, VALIDATION = 15, 32, 500
SETTINGS = {                       # 名字 → (数据增强, 学习率起点, 动量, 余弦退火)
    '三个办法都用': (True, 0.05, 0.9, True),
    '不做数据增强': (False, 0.05, 0.9, True),
    '不用动量（学习率 0.16）': (True, 0.16, 0.0, True),
    '不衰减学习率（一直是 0.05）': (True, 0.05, 0.9, False),
    '三个都不用（学习率 0.16）': (False, 0.16, 0.0, False),
}


def validation_accuracy(augment, peak_lr, momentum, cosine, seed, epochs=EPOCHS):
    """按一种设置训练第 4 章的网络，返回验证准确率。"""
    lib.seed(seed)
    network = lib.zoo.lenet()
    data = ShiftedMNISTDataset(batch_size=BATCH_SIZE, seed=seed, max_shift=2 if augment else 0)
    data = lib.split_validation(data, VALIDATION)           # 划分的种子固定为 0：同一个验证集
    optimizer = SGDOptimizer(network.parameters(), lr=peak_lr, momentum=momentum)
    model = NNModel(network, CELoss(), optimizer, progress=False)
    for epoch in range(epochs):
        optimizer.lr = peak_lr * (1 + np.cos(np.pi * epoch / epochs)) / 2 if cosine else peak_lr
        model.train(data, 1)
    predictions, _ = model.test(data)
    return data.estimate(predictions)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--output', type=Path, default=ROOT / 'data' / 'ch4_ablation.json')
    args = parser.parse_args()
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    report = dict(command=' '.join(['python', 'tests/ablation.py', *sys.argv[1:]]),
                  epochs=EPOCHS, batch_size=BATCH_SIZE, validation=VALIDATION, network='lib.zoo.lenet()',
                  split=(f'lib.split_validation：训练图里分层留出 {VALIDATION} 张做验证集，'
                         '其余训练；不碰测试集'),
                  lib_commit=commit, machine=f'{platform.machine()} {platform.processor()}'.strip(),
                  started=datetime.now(timezone.utc).isoformat(timespec='seconds'), settings=[])
    print(f'| 设置（{EPOCHS} 轮，批大小 {BATCH_SIZE}） | 验证准确率（{args.seeds} 个种子） | 平均 |')
    print('| --- | --- | --- |')
    for name, (augment, peak_lr, momentum, cosine) in SETTINGS.items():
        accuracies = [validation_accuracy(augment, peak_lr, momentum, cosine, seed)
                      for seed in range(args.seeds)]
        report['settings'].append(dict(name=name, augment=augment, peak_lr=peak_lr, momentum=momentum,
                                       cosine=cosine, seeds=list(range(args.seeds)),
                                       validation_accuracy=[float(a) for a in accuracies]))
        args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')
        each = '、'.join(f'{a:.1%}' for a in accuracies)
        print(f'| {name} | {each} | {np.mean(accuracies):.1%} |', flush=True)
    typical = float(np.mean([a for row in report['settings'] for a in row['validation_accuracy']]))
    low, high = lib.accuracy_interval(typical, VALIDATION)
    print(f'\n准确率 {typical:.1%} 时，单次 {VALIDATION} 张验证图的 95% 区间半宽约 ±{(high - low) / 2:.1%}')
    print(f'写入 {args.output}')


if __name__ == '__main__':
    main()
