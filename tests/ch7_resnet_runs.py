"""第 7 章的小残差网络：完整训练（15 轮）在几个随机种子上的结果，在笔记本之外测量。

设置事先定好，照 issue 13 里 PyTorch 可行性试验的设置（不看测试集来挑）：
``lib.zoo.small_resnet()``，批大小 32，±2 像素随机平移（``lib.augment``），SGD 动量 0.9，
权重衰减 5e-4，一周期学习率（``lib.OneCycle``）峰值 0.1，15 轮。

两种用法::

    # 1. 验证：从 4000 张训练图里按类别分层留出 500 张（每类 50 张）做验证集，用其余 3500 张训练，
    #    每轮报告验证准确率——只用来确认设置可行，不碰测试集
    nice -n 19 env OPENBLAS_NUM_THREADS=1 .venv/bin/python tests/ch7_resnet_runs.py --validation --seeds 0

    # 2. 最终：用全部 4000 张训练，每个种子训练完只在测试集上测一次
    nice -n 19 env OPENBLAS_NUM_THREADS=1 .venv/bin/python tests/ch7_resnet_runs.py --seeds 0 1 2

结果逐个种子追加写进 ``--output``（JSON，默认 ``data/ch7_resnet_runs.json``，验证时
``data/ch7_resnet_validation.json``）：第 7 章的笔记本读取并打印它，正文里不手写这些数字。
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lib  # noqa: E402
from lib.augment import ShiftedMNISTDataset  # noqa: E402

SETTINGS = dict(batch_size=32, max_shift=2, peak_lr=0.1, momentum=0.9, weight_decay=5e-4, epochs=15)
VALIDATION_PER_CLASS = 50


def validation_split(labels, per_class, seed=0):
    """按类别分层：每类随机取 ``per_class`` 个下标做验证集，返回 (训练下标, 验证下标)。"""
    rng = np.random.default_rng(seed)
    held = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class]
                           for c in range(10)])
    keep = np.setdiff1d(np.arange(len(labels)), held)
    return keep, np.sort(held)


def evaluate(network, features, labels, batch=250):
    """评估模式下分批前向，返回准确率。"""
    network.eval()
    scores = np.concatenate([network(lib.Tensor(features[i:i + batch], requires_grad=False)).data
                             for i in range(0, len(features), batch)])
    network.train()
    return lib.accuracy(scores, labels)


def run(seed, validation, epochs):
    lib.seed(seed)
    network = lib.zoo.small_resnet()
    dataset = ShiftedMNISTDataset(batch_size=SETTINGS['batch_size'], seed=seed,
                                  max_shift=SETTINGS['max_shift'])
    if validation:
        keep, held = validation_split(dataset.train_labels.argmax(axis=1), VALIDATION_PER_CLASS)
        check_features, check_labels = dataset.train_features[held], dataset.train_labels[held]
        dataset.train_features = dataset.train_features[keep]
        dataset.train_labels = dataset.train_labels[keep]
        dataset.train()
    schedule = lib.OneCycle(SETTINGS['peak_lr'], epochs * len(dataset))
    optimizer = lib.SGDOptimizer(network.parameters(), lr=SETTINGS['peak_lr'], momentum=SETTINGS['momentum'],
                                 weight_decay=SETTINGS['weight_decay'], schedule=schedule)
    model = lib.NNModel(network, lib.CELoss(), optimizer, progress=False)
    result = dict(seed=seed, parameters=network.parameter_count(), epochs=epochs,
                  train_images=len(dataset.train_features), epoch_log=[])
    for epoch in range(epochs):
        model.train(dataset, 1)
        row = dict(epoch=epoch + 1, loss=model.history['loss'][-1],
                   train_accuracy=model.history['accuracy'][-1], seconds=model.history['seconds'][-1])
        if validation:
            row['validation_accuracy'] = evaluate(network, check_features, check_labels)
        result['epoch_log'].append(row)
        checked = f"，验证准确率 {row['validation_accuracy']:.2%}" if validation else ''
        print(f"种子 {seed} 第 {epoch + 1:2d}/{epochs} 轮：损失 {row['loss']:.4f}，训练准确率 "
              f"{row['train_accuracy']:.2%}{checked}，{row['seconds']:.0f} 秒", flush=True)
    if validation:
        result['validation_accuracy'] = result['epoch_log'][-1]['validation_accuracy']
    else:   # 测试集只在训练完之后碰一次
        dataset.eval()
        result['test_accuracy'] = evaluate(network, dataset.test_features, dataset.test_labels)
        print(f"种子 {seed}：测试准确率 {result['test_accuracy']:.2%}", flush=True)
    result['seconds'] = sum(model.history['seconds'])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, default=SETTINGS['epochs'])
    parser.add_argument('--validation', action='store_true', help='留出验证集，不碰测试集')
    parser.add_argument('--output', type=Path, default=None)
    args = parser.parse_args()
    output = args.output or ROOT / 'data' / ('ch7_resnet_validation.json' if args.validation
                                             else 'ch7_resnet_runs.json')
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    report = dict(command=' '.join(['python', 'tests/ch7_resnet_runs.py', *sys.argv[1:]]),
                  settings={**SETTINGS, 'epochs': args.epochs}, network='lib.zoo.small_resnet()',
                  split=(f'训练图里每类留出 {VALIDATION_PER_CLASS} 张做验证集' if args.validation
                         else '全部 4000 张训练图；测试集 1000 张，每个种子训练完测一次'),
                  lib_commit=commit, machine=f'{platform.machine()} {platform.processor()}'.strip(),
                  started=datetime.now(timezone.utc).isoformat(timespec='seconds'), runs=[])
    for seed in args.seeds:
        report['runs'].append(run(seed, args.validation, args.epochs))
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')
    key = 'validation_accuracy' if args.validation else 'test_accuracy'
    values = [r[key] for r in report['runs']]
    print(f"{key}: " + ', '.join(f'{v:.2%}' for v in values) +
          f"；最低 {min(values):.2%}，最高 {max(values):.2%}，平均 {np.mean(values):.2%}")


if __name__ == '__main__':
    main()
