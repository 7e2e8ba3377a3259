"""第 4 章的消融实验（ablation）：三个训练办法各起了多大作用，只看验证集。

第 4 章用数据增强（随机平移）、动量和余弦退火训练 LeNet 风格的网络。这几个办法（以及 15 轮、
学习率 0.05、动量 0.9 这些数）是怎么选出来的？本脚本每次去掉一个办法，用 3 个随机种子各训练
一次，比较的是 ``lib.split_validation`` 从训练图里划出的 500 张**验证集**上的准确率：
训练只用其余 3500 张，测试集一张也不看。章节里的表格就是它的输出。

    OPENBLAS_NUM_THREADS=1 .venv/bin/python tests/ablation.py          # 约 15 次训练，几分钟

每行打印 3 个种子的验证准确率、它们的范围，以及单次 500 张验证图的 95% 区间半宽：
比区间半宽小的差别，分不出高低。
"""

import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # 必须在 import numpy 之前

import argparse

import numpy as np

import lib
from lib import CELoss, NNModel, SGDOptimizer
from lib.augment import ShiftedMNISTDataset

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
    args = parser.parse_args()
    half = None
    print(f'| 设置（{EPOCHS} 轮，批大小 {BATCH_SIZE}） | 验证准确率（{args.seeds} 个种子） | 平均 |')
    print('| --- | --- | --- |')
    for name, setting in SETTINGS.items():
        accuracies = [validation_accuracy(*setting, seed) for seed in range(args.seeds)]
        low, high = lib.accuracy_interval(float(np.mean(accuracies)), VALIDATION)
        half = (high - low) / 2
        each = '、'.join(f'{a:.1%}' for a in accuracies)
        print(f'| {name} | {each} | {np.mean(accuracies):.1%} |', flush=True)
    print(f'\n单次 {VALIDATION} 张验证图的 95% 区间半宽约 ±{half:.1%}')


if __name__ == '__main__':
    main()
