"""损失函数（loss function）。

三个损失都对批求平均，并且只在这里平均一次；它们的梯度与所返回的平均值严格一致。
"""

from abc import ABC, abstractmethod

import numpy as np

from .tensor import Tensor, shape_error


class Loss(ABC):
    """损失函数基类：``loss_fn(pred, y)`` 返回标量张量。"""

    def __call__(self, pred: Tensor, y: Tensor):
        if not isinstance(pred, Tensor) or not isinstance(y, Tensor):
            raise TypeError(f'{type(self).__name__} 期望两个 Tensor（预测, 标签），'
                            f'实际得到 {type(pred).__name__}, {type(y).__name__}')
        if pred.data.shape != y.data.shape:
            raise shape_error(type(self).__name__, f'预测与标签形状相同，预测为 {pred.data.shape}',
                              f'标签形状 {y.data.shape}')
        return self.loss(pred, y)

    @abstractmethod
    def loss(self, pred: Tensor, y: Tensor):
        pass


class MSELoss(Loss):
    """均方误差：mean((y - pred)²)，对所有元素求平均，梯度 2(pred - y) / 元素个数。"""

    def loss(self, pred: Tensor, y: Tensor):
        diff = pred.data - y.data
        mse = Tensor(np.mean(np.square(diff)), parents=(pred,))

        def gradient_fn():
            pred.grad += mse.grad * 2 * diff / diff.size

        mse.gradient_fn = gradient_fn
        return mse


class CELoss(Loss):
    """交叉熵（cross entropy），输入是未归一化的分数（logits），内部先做 softmax。

    ``pred``、``y`` 形状 (N, 类别数)，``y`` 为独热（one-hot）或概率分布。
    损失 = -Σ y·log softmax(pred) / N，梯度 (softmax(pred) - y) / N。
    """

    def loss(self, pred: Tensor, y: Tensor):
        if pred.data.ndim != 2:
            raise shape_error('CELoss', '预测形状 (N, 类别数)', pred.data.shape)
        shifted = pred.data - np.max(pred.data, axis=-1, keepdims=True)
        log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        n = len(pred.data)
        ce = Tensor(-np.sum(y.data * log_softmax) / n, parents=(pred,))

        def gradient_fn():
            softmax = np.exp(log_softmax)
            pred.grad += ce.grad * (softmax * y.data.sum(axis=-1, keepdims=True) - y.data) / n

        ce.gradient_fn = gradient_fn
        return ce


class BCELoss(Loss):
    """二元交叉熵：输入是概率（如 Sigmoid 的输出），对所有元素求平均。"""

    def __init__(self, eps=1e-7):
        self.eps = eps

    def loss(self, pred: Tensor, y: Tensor):
        clipped = np.clip(pred.data, self.eps, 1 - self.eps)
        value = -np.mean(y.data * np.log(clipped) + (1 - y.data) * np.log(1 - clipped))
        bce = Tensor(value, parents=(pred,))

        def gradient_fn():
            inside = (pred.data == clipped)  # 被裁剪的位置导数为 0
            grad = (clipped - y.data) / (clipped * (1 - clipped) * clipped.size)
            pred.grad += bce.grad * grad * inside

        bce.gradient_fn = gradient_fn
        return bce
