"""优化器（optimizer）：按梯度更新参数。"""

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
    """随机梯度下降（stochastic gradient descent），可选动量（momentum）。

    ``momentum = 0`` 时：θ ← θ - lr·g。
    否则：v ← momentum·v + g，θ ← θ - lr·v。
    """

    def __init__(self, parameters, lr, momentum=0.0):
        super().__init__(parameters, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f'动量期望 0 ≤ momentum < 1，实际得到 {momentum}')
        self.momentum = momentum
        self.velocity = [np.zeros_like(param.data) for param in self.parameters] if momentum else None

    def step(self):
        for i, param in enumerate(self.parameters):
            grad = param.grad
            if self.momentum:
                self.velocity[i] *= self.momentum
                self.velocity[i] += grad
                grad = self.velocity[i]
            param.data -= self.lr * grad
