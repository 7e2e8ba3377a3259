"""卷积核预设，以及把固定的卷积核装进 ``lib.Convolution`` 的唯一方式。

第 1 章的控件、第 4 章的池化控件和在线书的探索器都从这里取卷积核：特征图总是由
``lib.Convolution`` 本身算出，控件显示的就是层的真实计算。
"""

import numpy as np

from ..convolution import Convolution
from ..tensor import Tensor, shape_error

KERNELS = {
    '恒等': [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    '模糊': [[1 / 9] * 3] * 3,
    '锐化': [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    '水平边缘': [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    '竖直边缘': [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    '拉普拉斯': [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}
KERNELS = {name: np.array(k, dtype=np.float32) for name, k in KERNELS.items()}
KERNEL_ENGLISH = {'恒等': 'identity', '模糊': 'blur', '锐化': 'sharpen', '水平边缘': 'horizontal edge',
                  '竖直边缘': 'vertical edge', '拉普拉斯': 'Laplacian'}


def as_kernel(kernel):
    """把预设名或 k×k 数组变成 float32 数组。"""
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(f'未知的卷积核预设 {kernel!r}，可选：{list(KERNELS)}')
        return KERNELS[kernel]
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise shape_error('卷积核', '正方形二维数组，例如形状 (3, 3)', kernel.shape)
    return kernel


def fixed_convolution(kernels, stride=1, padding=0):
    """一层 ``lib.Convolution(1, F, k)``，权重换成给定的卷积核（预设名或 k×k 数组，大小相同），偏置为 0。"""
    weights = np.stack([as_kernel(k) for k in kernels])        # (F, k, k)
    conv = Convolution(1, len(weights), weights.shape[-1], stride=stride, padding=padding)
    conv.weight.data = weights[:, np.newaxis].copy()           # (F, 1, k, k)
    return conv


def feature_maps(image, kernels, stride=1, padding=0):
    """用 ``fixed_convolution`` 把若干卷积核作用在一张图上。

    Parameters
    ----------
    image : ndarray，形状 (H, W)
    kernels : list，每个是预设名或 k×k 数组（大小相同）

    Returns
    -------
    ndarray，形状 (len(kernels), out_h, out_w)
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise shape_error('feature_maps', '单张灰度图，形状 (H, W)', image.shape)
    conv = fixed_convolution(kernels, stride, padding)
    return conv(Tensor(image[np.newaxis, np.newaxis])).data[0]
