"""损失函数（loss function）。

三个损失都对批求平均，并且只在这里平均一次；它们的梯度与所返回的平均值严格一致。
"""

from abc import ABC, abstractmethod

import numpy as np

from .tensor import Tensor, shape_error


class Loss(ABC):
    """损失函数基类：``loss_fn(p, y)`` 返回标量张量。"""

    def __call__(self, p: Tensor, y: Tensor):
        if not isinstance(p, Tensor) or not isinstance(y, Tensor):
            raise TypeError(f'{type(self).__name__} 期望两个 Tensor（预测, 标签），'
                            f'实际得到 {type(p).__name__}, {type(y).__name__}')
        if p.data.shape != y.data.shape:
            raise shape_error(type(self).__name__, f'预测与标签形状相同，预测为 {p.data.shape}',
                              f'标签形状 {y.data.shape}')
        return self.loss(p, y)

    @abstractmethod
    def loss(self, p: Tensor, y: Tensor):
        pass


class MSELoss(Loss):
    """均方误差：mean((y - p)²)，对所有元素求平均，梯度 2(p - y) / 元素个数。"""

    def loss(self, p: Tensor, y: Tensor):
        diff = p.data - y.data
        mse = Tensor(np.mean(np.square(diff)))

        def gradient_fn():
            p.grad += mse.grad * 2 * diff / diff.size

        mse.gradient_fn, mse.parents = gradient_fn, (p,)
        return mse


class CELoss(Loss):
    """交叉熵（cross entropy），输入是未归一化的分数（logits），内部先做 softmax。

    ``p``、``y`` 形状 (N, 类别数)，``y`` 为独热（one-hot）或概率分布。
    损失 = -Σ y·log softmax(p) / N，梯度 (softmax(p) - y) / N。
    """

    def loss(self, p: Tensor, y: Tensor):
        if p.data.ndim != 2:
            raise shape_error('CELoss', '预测形状 (N, 类别数)', p.data.shape)
        shifted = p.data - np.max(p.data, axis=-1, keepdims=True)
        log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        n = len(p.data)
        ce = Tensor(-np.sum(y.data * log_softmax) / n)

        def gradient_fn():
            softmax = np.exp(log_softmax)
            p.grad += ce.grad * (softmax * y.data.sum(axis=-1, keepdims=True) - y.data) / n

        ce.gradient_fn, ce.parents = gradient_fn, (p,)
        return ce


class BCELoss(Loss):
    """二元交叉熵：输入是概率（如 Sigmoid 的输出），对所有元素求平均。"""

    def __init__(self, eps=1e-7):
        self.eps = eps

    def loss(self, p: Tensor, y: Tensor):
        clipped = np.clip(p.data, self.eps, 1 - self.eps)
        bce = Tensor(-np.mean(y.data * np.log(clipped) + (1 - y.data) * np.log(1 - clipped)))

        def gradient_fn():
            inside = (p.data == clipped)  # 被裁剪的位置导数为 0
            grad = (clipped - y.data) / (clipped * (1 - clipped) * clipped.size)
            p.grad += bce.grad * grad * inside

        bce.gradient_fn, bce.parents = gradient_fn, (p,)
        return bce
