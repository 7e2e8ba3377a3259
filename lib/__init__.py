"""《卷积层》课程的共享代码：一个用 NumPy 写成的小型神经网络框架。

与种子课程同名同用法：Tensor、Dataset、Layer、Loss、Optimizer、Model、
Linear、Sequential、Convolution、Flatten、Dropout、ReLU、Tanh、Sigmoid、Softmax、
MSELoss、CELoss、BCELoss、SGDOptimizer、NNModel，以及 MNISTDataset。
"""

from .convolution import Convolution, col2im, conv2d_loop, im2col, output_size
from .data import TINYMNIST_PATH, Dataset, MNISTDataset
from .layers import Dropout, Flatten, Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, seed
from .losses import BCELoss, CELoss, Loss, MSELoss
from .model import Model, NNModel
from .optim import Optimizer, SGDOptimizer
from .pooling import AvgPool, MaxPool
from .tensor import Tensor

__version__ = '0.1.0'

__all__ = [
    'seed', 'Tensor', 'Dataset', 'MNISTDataset', 'TINYMNIST_PATH',
    'Layer', 'Linear', 'Sequential', 'Convolution', 'Flatten', 'Dropout',
    'ReLU', 'Tanh', 'Sigmoid', 'Softmax', 'MaxPool', 'AvgPool',
    'Loss', 'MSELoss', 'CELoss', 'BCELoss',
    'Optimizer', 'SGDOptimizer', 'Model', 'NNModel',
    'conv2d_loop', 'im2col', 'col2im', 'output_size',
]
