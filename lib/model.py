"""模型（model）：把层、损失函数与优化器组合起来训练和测试。"""

import time
from abc import ABC, abstractmethod

from tqdm.auto import tqdm

from .data import accuracy


class Model(ABC):
    """模型基类。"""

    def __init__(self, layer, loss_fn, optimizer):
        self.layer = layer
        self.loss_fn = loss_fn
        self.optimizer = optimizer

    @abstractmethod
    def train(self, dataset, epochs):
        pass

    @abstractmethod
    def test(self, dataset):
        pass

    def __str__(self):
        return str(self.layer)


class NNModel(Model):
    """神经网络模型。

    ``history`` 记录每轮（epoch）的平均训练损失 ``loss``、训练准确率 ``accuracy``
    （按训练中每一批的预测统计）与用时 ``seconds``，可直接画成曲线。

    Parameters
    ----------
    progress : bool
        训练时是否显示每轮的进度条（笔记本里是控件，终端里是文本）。
    """

    def __init__(self, layer, loss_fn, optimizer, progress=True):
        super().__init__(layer, loss_fn, optimizer)
        self.progress = progress
        self.history = {'loss': [], 'accuracy': [], 'seconds': []}

    def train(self, dataset, epochs):
        self.layer.train()
        dataset.train()
        for epoch in range(epochs):
            start = time.perf_counter()
            total_loss, correct, seen = 0.0, 0, 0
            batches = tqdm(dataset, total=len(dataset), desc=f'第 {epoch + 1}/{epochs} 轮',
                           disable=not self.progress, leave=False, unit='批')
            for features, labels in batches:
                predictions = self.layer(features)
                loss = self.loss_fn(predictions, labels)

                self.optimizer.reset()
                loss.backward()
                self.optimizer.step()

                n = len(labels.data)
                total_loss += float(loss.data) * n
                correct += round(accuracy(predictions, labels.data) * n)
                seen += n
            self.history['loss'].append(total_loss / seen)
            self.history['accuracy'].append(correct / seen)
            self.history['seconds'].append(time.perf_counter() - start)
            if self.progress:
                print(f'第 {epoch + 1}/{epochs} 轮：损失 {total_loss / seen:.4f}，'
                      f'训练准确率 {correct / seen:.2%}，用时 {self.history["seconds"][-1]:.1f} 秒')
        return self.history

    def test(self, dataset):
        """在测试数据上前向计算一次，返回 (predictions, loss)。"""
        self.layer.eval()
        dataset.eval()
        features, labels = dataset.items()
        predictions = self.layer(features)
        return predictions, self.loss_fn(predictions, labels)
