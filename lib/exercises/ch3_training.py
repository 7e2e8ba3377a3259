"""第 3 章 训练卷积网络：练习的检查。"""

import time

import numpy as np

from .. import layers
from ..data import MNISTDataset
from ..layers import Layer
from ..losses import CELoss
from ..model import NNModel
from ..optim import SGDOptimizer
from ..zoo import seed_network
from .harness import CheckError, keep_layer_rng, own_work, passed, run


@own_work('parameter_count', Layer.parameters, Layer.parameter_count, seed_network)
def check_parameter_count(fn, trials=30, seed=0):
    """检查 ``fn(kernels=, kernel_size=, hidden=, padding=, size=, channels=, classes=)`` 等于
    lib 搭出的同一个网络（``lib.zoo.seed_network``）的 ``parameter_count()``。"""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    fixed = [dict(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10),
             dict(kernels=16, kernel_size=3, hidden=64, padding=1, size=28, channels=1, classes=10),
             dict(kernels=6, kernel_size=5, hidden=32, padding=2, size=20, channels=3, classes=4)]
    for index in range(trials):
        if index < len(fixed):
            params = fixed[index]
        else:
            params = dict(kernels=int(rng.integers(1, 17)), kernel_size=int(rng.integers(1, 8)),
                          hidden=int(rng.integers(1, 65)), padding=int(rng.integers(0, 4)),
                          size=int(rng.integers(8, 21)), channels=int(rng.integers(1, 4)),
                          classes=int(rng.integers(2, 11)))
        call = 'parameter_count(' + ', '.join(f'{key}={value}' for key, value in params.items()) + ')'
        result = run(fn, call, **params)
        with keep_layer_rng():
            network = seed_network(**params)
        expected = network.parameter_count()
        if not isinstance(result, (int, np.integer)) or result != expected:
            layers_shown = '，'.join(f'{type(layer).__name__} {layer.parameter_count():,}'
                                     for layer in network.layers if layer.parameter_count())
            shown = f'{result:,}' if isinstance(result, (int, np.integer)) else repr(result)
            raise CheckError(f'{call} 应为 {expected:,}，实际得到 {shown}。\n'
                             f'  lib 搭出同样的网络，逐层的参数个数：{layers_shown}')
    passed(f'在 {trials} 组随机的网络设置上与 lib 搭出的网络的 parameter_count() 一致')


SETTING_KEYS = ('lr', 'batch_size', 'epochs', 'momentum')


def check_settings(fn, target=0.915, max_epochs=3, min_batch_size=16, seed=0):
    """检查 ``fn()`` 返回的训练设置：在种子网络上训练后，测试准确率至少为 ``target``。

    设置是一个字典，键为 ``lr``、``batch_size``、``epochs``、``momentum``。
    为了让检查快：``batch_size ≥ min_batch_size``，``epochs ≤ max_epochs``。
    ``seed`` 同时固定初始化、丢弃与数据打乱的顺序；换一个 seed 就是换一次“运气”。
    """
    __tracebackhide__ = True
    settings = run(fn, 'my_settings()')
    if not isinstance(settings, dict):
        raise CheckError(f'应返回一个字典，例如 dict(lr=0.01, batch_size=16, epochs=3, momentum=0.0)，'
                         f'实际得到 {type(settings).__name__}')
    missing = [key for key in SETTING_KEYS if key not in settings]
    extra = [key for key in settings if key not in SETTING_KEYS]
    if missing or extra:
        raise CheckError(f'字典的键应是 {list(SETTING_KEYS)}；缺少 {missing}，多出 {extra}')
    lr, batch_size, epochs, momentum = (settings[key] for key in SETTING_KEYS)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < min_batch_size:
        raise CheckError(f'batch_size 应是不小于 {min_batch_size} 的整数（批太小，检查会跑得太久），'
                         f'实际为 {batch_size!r}')
    if not isinstance(epochs, (int, np.integer)) or not 1 <= epochs <= max_epochs:
        raise CheckError(f'epochs 应是 1 到 {max_epochs} 之间的整数，实际为 {epochs!r}')
    if not isinstance(lr, (int, float, np.floating, np.integer)) or not lr > 0:
        raise CheckError(f'lr 应是正数，实际为 {lr!r}')
    if not isinstance(momentum, (int, float, np.floating, np.integer)) or not 0 <= momentum < 1:
        raise CheckError(f'momentum 应满足 0 ≤ momentum < 1，实际为 {momentum!r}')

    shown = f'lr={lr}，batch_size={batch_size}，epochs={epochs}，momentum={momentum}'
    start = time.perf_counter()
    saved = layers.rng
    try:
        layers.seed(seed)
        dataset = MNISTDataset(batch_size=int(batch_size), seed=seed)
        network = seed_network()             # 种子课程的网络
        optimizer = SGDOptimizer(network.parameters(), lr=float(lr), momentum=float(momentum))
        model = NNModel(network, CELoss(), optimizer, progress=False)
        with np.errstate(all='ignore'):    # 学习率太大时会溢出：结果照样报告，不打印警告
            model.train(dataset, int(epochs))
            predictions, _ = model.test(dataset)
        accuracy = dataset.estimate(predictions)
    finally:
        layers.rng = saved
    seconds = time.perf_counter() - start
    if not accuracy >= target:
        diverged = not np.isfinite(model.history['loss'][-1])
        diverged = '；训练发散了（损失溢出或成了 NaN），学习率可能太大' if diverged else ''
        raise CheckError(f'测试准确率 {accuracy:.2%} 未达到目标 {target:.1%}{diverged}。\n'
                         f'  设置：{shown}（seed={seed}）\n'
                         f'  每轮的训练损失：{", ".join(f"{v:.3f}" for v in model.history["loss"])}')
    passed(f'{shown}：训练 {epochs} 轮后测试准确率 {accuracy:.2%}'
           f'（目标 ≥ {target:.1%}，seed={seed}，用时 {seconds:.0f} 秒）')
