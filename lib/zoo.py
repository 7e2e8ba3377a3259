"""本课训练的网络，各定义一次：章节、练习的检查、测试和基准都从这里取。

* ``seed_network``：原课程那一章的网络（第 3 章），卷积 → 展平 → 丢弃 → 线性 → ReLU → 线性。
* ``lenet``：第 4 章的 LeNet 风格网络，两段“卷积 + ReLU + 最大池化”，再接两个线性层。
* ``small_resnet``：第 7 章的小残差网络，批归一化、两个残差块、全局平均池化，不到两万个参数。
* ``deep_stack``：第 7 章量梯度用的深网络：一串同样的块，可以关掉批归一化或捷径。
"""

from .blocks import GlobalAvgPool, ResidualBlock
from .convolution import Convolution, output_size
from .layers import Dropout, Flatten, Linear, ReLU, Sequential
from .normalization import BatchNorm2d
from .pooling import MaxPool


def seed_network(kernels=16, kernel_size=3, hidden=64, padding=0, size=28, channels=1, classes=10):
    """基线网络的一般形式：卷积(填充 padding) → 展平 → 丢弃 → 线性(→hidden) → ReLU → 线性(hidden→classes)。

    默认参数就是原课程的网络：16 个 3×3 卷积核，28×28 的单通道输入，隐藏层 64，10 个类别。
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


def small_resnet(width=16, classes=10):
    """小残差网络（28×28 → 14×14 → 7×7 → 全局平均池化）：

    3×3 卷积(1→width) + 批归一化 + ReLU + 2×2 最大池化，残差块 width→width，
    残差块 width→2·width（步幅 2，1×1 投影捷径），全局平均池化，Linear(2·width, classes)。
    默认 width=16 时共 19,850 个参数（卷积都带偏置；紧跟批归一化的偏置其实多余，见第 7 章）。
    """
    return Sequential([Convolution(1, width, 3, padding=1), BatchNorm2d(width), ReLU(), MaxPool(2),
                       ResidualBlock(width, width),
                       ResidualBlock(width, 2 * width, stride=2),
                       GlobalAvgPool(),
                       Linear(2 * width, classes)])


def deep_stack(blocks=16, width=8, batchnorm=True, shortcut=True, classes=10):
    """量梯度用的深网络：卷积(1→width) + [批归一化] + ReLU + 2×2 最大池化，
    再叠 ``blocks`` 个同样的块（各有两个 3×3 卷积，共 2·blocks 个卷积层），全局平均池化，线性层。

    ``shortcut=False`` 时这些块没有捷径（平坦的深网络），``batchnorm=False`` 时没有批归一化。
    """
    stem = [Convolution(1, width, 3, padding=1)] + ([BatchNorm2d(width)] if batchnorm else [])
    return Sequential(stem + [ReLU(), MaxPool(2)] +
                      [ResidualBlock(width, width, batchnorm=batchnorm, shortcut=shortcut)
                       for _ in range(blocks)] +
                      [GlobalAvgPool(), Linear(width, classes)])
