"""《卷积层》课程的共享代码：一个用 NumPy 写成的小型神经网络框架。

与原课程同名同用法：Tensor、Dataset、Layer、Loss、Optimizer、Model、
Linear、Sequential、Convolution、Flatten、Dropout、ReLU、Tanh、Sigmoid、Softmax、
MSELoss、CELoss、BCELoss、SGDOptimizer、NNModel，以及 MNISTDataset。

``import lib`` 只导入 NumPy（和进度条 tqdm）：框架在这一层目录里，一个模块一个概念——
tensor、layers、convolution、transposed（反向传播与转置卷积）、pooling、normalization、blocks、
losses、optim、model、data、augment，
``gradcheck``（数值梯度）、``zoo``（本课训练的网络）、``summary``（逐层的参数、乘加与内存）、
``fastconv``（卷积的四种算法）与 ``allocator``（让每步用时稳定）。画图与控件在 ``lib.viz``，
练习的检查在 ``lib.exercises``，需要时再各自导入。
"""

from . import allocator, gradcheck, zoo  # noqa: F401  allocator：导入时让每步用时稳定（见模块说明）
from .blocks import GlobalAvgPool, Identity, ResidualBlock
from .convolution import Convolution, col2im, conv2d_loop, im2col, output_size
from .data import (
    TINYMNIST_PATH,
    Dataset,
    MNISTDataset,
    accuracy,
    accuracy_interval,
    describe_accuracy,
    load_digits,
    split_validation,
)
from .layers import Dropout, Flatten, Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, seed
from .losses import BCELoss, CELoss, Loss, MSELoss
from .model import Model, NNModel
from .normalization import BatchNorm2d
from .optim import OneCycle, Optimizer, SGDOptimizer
from .pooling import AvgPool, MaxPool
from .summary import summary
from .tensor import Tensor
from .transposed import ConvTranspose, conv2d_backward_loop, transposed_output_size

__version__ = '0.1.0'

__all__ = [
    'seed', 'Tensor', 'Dataset', 'MNISTDataset', 'TINYMNIST_PATH',
    'Layer', 'Linear', 'Sequential', 'Convolution', 'Flatten', 'Dropout',
    'ReLU', 'Tanh', 'Sigmoid', 'Softmax', 'MaxPool', 'AvgPool',
    'BatchNorm2d', 'GlobalAvgPool', 'ResidualBlock', 'Identity', 'OneCycle',
    'Loss', 'MSELoss', 'CELoss', 'BCELoss',
    'Optimizer', 'SGDOptimizer', 'Model', 'NNModel',
    'ConvTranspose', 'conv2d_backward_loop', 'transposed_output_size',
    'conv2d_loop', 'im2col', 'col2im', 'output_size', 'accuracy', 'load_digits', 'gradcheck', 'zoo',
    'summary',
    'split_validation', 'accuracy_interval', 'describe_accuracy',
]
