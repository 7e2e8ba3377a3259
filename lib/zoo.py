"""本课训练的网络，各定义一次：章节、练习的检查、测试和基准都从这里取。

* ``seed_network``：种子课程那一章的网络（第 3 章），卷积 → 展平 → 丢弃 → 线性 → ReLU → 线性。
* ``lenet``：第 4 章的 LeNet 风格网络，两段“卷积 + ReLU + 最大池化”，再接两个线性层。
"""

from .convolution import Convolution, output_size
from .layers import Dropout, Flatten, Linear, ReLU, Sequential
from .pooling import MaxPool


def seed_network(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10):
    """种子网络的一般形式：卷积(补零 padding) → 展平 → 丢弃 → 线性(→hidden) → ReLU → 线性(hidden→classes)。

    默认参数就是种子课程的网络：16 个 3×3 卷积核，28×28 的单通道输入，隐藏层 64，10 个类别。
    """
    side = output_size(size, kernel_size, 1, padding)
    return Sequential([Convolution(channels, kernels, kernel_size, padding=padding),
                       Flatten(),
                       Dropout(),
                       Linear(kernels * side * side, hidden),
                       ReLU(),
                       Linear(hidden, classes)])


def lenet():
    """两段“卷积 + ReLU + 最大池化”，再接两个线性层（28×28 → 14×14 → 7×7）。"""
    return Sequential([Convolution(1, 8, 3, padding=1), ReLU(), MaxPool(2),
                       Convolution(8, 16, 3, padding=1), ReLU(), MaxPool(2),
                       Flatten(),
                       Linear(16 * 7 * 7, 64), ReLU(),
                       Linear(64, 10)])
