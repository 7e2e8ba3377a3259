"""优化器（optimizer）：按梯度更新参数；以及学习率的“一周期”（one-cycle）日程。"""

import math
from abc import ABC, abstractmethod

import numpy as np


class Optimizer(ABC):
    """优化器基类。

    Parameters
    ----------
    parameters : list of Tensor
    lr : float
        学习率（learning rate）。
    """

    def __init__(self, parameters, lr):
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError('优化器期望至少一个参数，实际得到空列表')
        if not lr > 0:
            raise ValueError(f'学习率期望为正数，实际得到 {lr}')
        self.lr = lr

    def reset(self):
        """把所有参数的梯度清零。"""
        for param in self.parameters:
            param.zero_grad()

    @abstractmethod
    def step(self):
        pass


class SGDOptimizer(Optimizer):
    """随机梯度下降（stochastic gradient descent），可选动量（momentum）、权重衰减与学习率日程。

    每一步（g 是参数的梯度，先加上权重衰减 λ·θ）::

        g ← g + λ·θ                    （weight_decay = λ；λ = 0 时没有这一项）
        v ← momentum·v + g，θ ← θ - lr·v   （momentum = 0 时就是 θ ← θ - lr·g）

    Parameters
    ----------
    parameters : list of Tensor
    lr : float
        学习率；给了 ``schedule`` 时，每一步由它改写。
    momentum : float，默认 0
    weight_decay : float，默认 0
        权重衰减（L2 正则）系数 λ：相当于在损失上加 λ/2·Σθ²，把参数往 0 拉。
    schedule : callable 或 None
        学习率日程：``schedule(step)`` 返回第 step 步（从 0 数起）的学习率，例如 ``OneCycle``。
    """

    def __init__(self, parameters, lr, momentum=0.0, weight_decay=0.0, schedule=None):
        super().__init__(parameters, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f'动量期望 0 ≤ momentum < 1，实际得到 {momentum}')
        if not weight_decay >= 0:
            raise ValueError(f'权重衰减期望 weight_decay ≥ 0，实际得到 {weight_decay}')
        if schedule is not None and not callable(schedule):
            raise TypeError(f'schedule 期望是函数 step → 学习率（例如 OneCycle），'
                            f'实际得到 {type(schedule).__name__}')
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.steps = 0
        self.velocity = [np.zeros_like(param.data) for param in self.parameters] if momentum else None

    def step(self):
        if self.schedule is not None:
            self.lr = self.schedule(self.steps)
        for i, param in enumerate(self.parameters):
            grad = param.grad
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data     # 新数组：不改动参数的梯度
            if self.momentum:
                self.velocity[i] *= self.momentum
                self.velocity[i] += grad
                grad = self.velocity[i]
            param.data -= self.lr * grad
        self.steps += 1


class OneCycle:
    """“一周期”学习率日程（one-cycle，Smith & Topin, 2019；与 PyTorch 的 ``OneCycleLR`` 同形）。

    前 ``warmup`` 比例的步数里，学习率沿余弦曲线从 ``peak / start_div`` 升到 ``peak``；
    其余步数里再沿余弦曲线降到 ``peak / (start_div · final_div)``。超过 ``total_steps`` 后保持最小值。

    Parameters
    ----------
    peak : float
        最大学习率。
    total_steps : int
        总步数（轮数 × 每轮的批数）。
    warmup : float，默认 0.3
    start_div, final_div : float，默认 25 与 1e4
    """

    def __init__(self, peak, total_steps, warmup=0.3, start_div=25.0, final_div=1e4):
        if not peak > 0:
            raise ValueError(f'OneCycle 期望 peak > 0，实际得到 {peak}')
        if isinstance(total_steps, bool) or not isinstance(total_steps, (int, np.integer)) or total_steps < 2:
            raise ValueError(f'OneCycle 期望 total_steps 是 ≥ 2 的整数，实际得到 {total_steps!r}')
        if not 0 < warmup < 1:
            raise ValueError(f'OneCycle 期望 0 < warmup < 1，实际得到 {warmup}')
        self.peak, self.total_steps, self.warmup = peak, int(total_steps), warmup
        self.start, self.end = peak / start_div, peak / (start_div * final_div)
        self.up = max(1, round(warmup * self.total_steps))

    def __call__(self, step):
        def cosine(a, b, t):                    # t 从 0 到 1：从 a 平滑地走到 b
            return b + (a - b) * (1 + math.cos(math.pi * min(max(t, 0.0), 1.0))) / 2

        if step < self.up:
            return cosine(self.start, self.peak, step / self.up)
        return cosine(self.peak, self.end, (step - self.up) / max(1, self.total_steps - 1 - self.up))

    def __repr__(self):
        return f'OneCycle(peak={self.peak}, total_steps={self.total_steps}, warmup={self.warmup})'
