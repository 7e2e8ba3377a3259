"""数据增强（data augmentation）：训练时把数字随机平移几个像素。

平移后的数字还是同一个数字，标签不变。每一轮看到的训练图都略有不同，网络就不能只记住
笔画的精确位置，而要学会“挪一两个像素也一样”——把平移不变性直接写进训练数据。

* ``shift_images``：按给定的位移平移一批图，移出去的部分丢掉，空出来的地方补 0。
* ``augment_shift``：给一批图的每一张各抽一个随机位移，再平移。
* ``ShiftedMNISTDataset``：训练模式下每取一批就随机平移一次的 ``MNISTDataset``；测试模式不变。
"""

import numpy as np

from .data import TINYMNIST_PATH, MNISTDataset
from .tensor import Tensor, shape_error


def shift_images(images, dy, dx):
    """把每张图平移 (dy[n], dx[n]) 个像素：正数向下、向右。移出去的像素丢掉，空出来的补 0。

    Parameters
    ----------
    images : ndarray，形状 (N, C, H, W)
    dy, dx : int 数组，形状 (N,)，每个的绝对值都小于 H、W

    Returns
    -------
    ndarray，形状 (N, C, H, W)，与输入同 dtype。
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise shape_error('shift_images', '一批图，形状 (N, C, H, W)', images.shape)
    N, C, H, W = images.shape
    dy = np.broadcast_to(np.asarray(dy, dtype=np.intp), (N,))
    dx = np.broadcast_to(np.asarray(dx, dtype=np.intp), (N,))
    if np.any(np.abs(dy) >= H) or np.any(np.abs(dx) >= W):
        raise ValueError(f'shift_images 期望位移的绝对值小于图的高 {H}、宽 {W}，'
                         f'实际竖直位移 {dy.min()}…{dy.max()}，水平位移 {dx.min()}…{dx.max()}')
    # 输出 (i, j) 取自输入 (i - dy, j - dx)；越界的位置取填充的 0
    rows = np.arange(H)[None, :] - dy[:, None] + H          # (N, H)，在上下各补 H 行的图里的行号
    cols = np.arange(W)[None, :] - dx[:, None] + W          # (N, W)
    padded = np.pad(images, ((0, 0), (0, 0), (H, H), (W, W)))
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    return padded[n, c, rows[:, None, :, None], cols[:, None, None, :]]


def augment_shift(images, rng, max_shift=2):
    """给每张图各抽一个随机位移（上下、左右各在 −max_shift…max_shift 之间均匀取整数），再平移。

    Parameters
    ----------
    images : ndarray，形状 (N, C, H, W)
    rng : np.random.Generator
    max_shift : int，≥ 0

    Returns
    -------
    ndarray，形状 (N, C, H, W)
    """
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f'augment_shift 期望 max_shift 是 ≥ 0 的整数，实际得到 {max_shift!r}')
    n = len(images)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    return shift_images(images, dy, dx)


class ShiftedMNISTDataset(MNISTDataset):
    """训练时随机平移数字的 tinymnist。

    训练模式下，每取一批，就把其中每张图随机平移最多 ``max_shift`` 个像素
    （``augment_shift``）；测试模式下原样给出，测试集不变。打乱顺序用的随机数与
    ``MNISTDataset`` 相同（同一个 ``seed`` 给出同一串批次顺序），平移另用一个随机数生成器。

    Parameters
    ----------
    max_shift : int，默认 2
    filename, batch_size, shuffle, seed : 见 ``MNISTDataset``
    """

    def __init__(self, filename=TINYMNIST_PATH, batch_size=1, shuffle=True, seed=0, max_shift=2):
        if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
            raise ValueError(f'ShiftedMNISTDataset 期望 max_shift 是 ≥ 0 的整数，实际得到 {max_shift!r}')
        self.max_shift = max_shift
        self.shift_rng = np.random.default_rng([seed, 1])   # 与打乱顺序的随机数分开
        super().__init__(filename, batch_size, shuffle, seed)

    def __getitem__(self, index):
        features, labels = super().__getitem__(index)
        if not self.training or self.max_shift == 0:
            return features, labels
        shifted = augment_shift(features.data, self.shift_rng, self.max_shift)
        return Tensor(shifted, requires_grad=False), labels
