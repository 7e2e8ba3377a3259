"""现代卷积网络的两块积木：全局平均池化与残差块。

* ``GlobalAvgPool``：每个通道的整张特征图取平均，(N, C, H, W) → (N, C)。接在最后一个卷积层
  后面，代替“展平 + 大线性层”：后面的线性层只剩 C × 类别数 个权重。
* ``ResidualBlock``：两个 3×3 卷积（各接批归一化），再把输入直接加到输出上（捷径，shortcut）::

      y = ReLU( F(x) + x )          F(x) = BN(Conv(ReLU(BN(Conv(x)))))

  输出通道或步幅变了，x 的形状对不上，捷径就用 1×1 卷积（+ 批归一化）投影。
  反向传播时 x 有两条路：经 F 的一条，以及捷径上“+1”的一条，两份梯度相加
  （``Tensor`` 的拓扑排序保证两份都到齐了才继续往前传）。
"""

import numpy as np

from .convolution import Convolution
from .layers import Layer, ReLU, check_ndim
from .normalization import BatchNorm2d
from .tensor import Tensor, shape_error


class GlobalAvgPool(Layer):
    """全局平均池化（global average pooling）：(N, C, H, W) → (N, C)。

    每个输出是一个通道全部 H·W 个数的平均，对每个输入的偏导都是 1/(H·W)。没有参数。
    """

    def forward(self, x: Tensor):
        check_ndim('GlobalAvgPool', x, 4, '(N, C, H, W)')
        N, C, H, W = x.data.shape
        out = Tensor(x.data.mean(axis=(2, 3)), parents=(x,))

        def gradient_fn():
            if x.requires_grad:
                # 链式法则：∂mean/∂x = 1/(H·W)，梯度平分给整张特征图
                x.grad += np.broadcast_to(out.grad[:, :, None, None] / (H * W), x.data.shape)

        out.gradient_fn = gradient_fn
        return out


class Identity(Layer):
    """原样输出（关掉批归一化时用来占位）。"""

    def forward(self, x: Tensor):
        return x


class ResidualBlock(Layer):
    """残差块（He et al., 2016）：``ReLU(F(x) + shortcut(x))``。

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int，默认 1
        第一个 3×3 卷积的步幅；2 时高宽减半。
    batchnorm : bool，默认 True
        每个卷积之后是否接 ``BatchNorm2d``（False 时只有卷积）。
    shortcut : bool，默认 True
        是否有捷径。False 时就是两个普通的卷积层（“平坦”的块，用来对照）。

    形状：输入 (N, in_channels, H, W)，输出 (N, out_channels, out_h, out_w)，
    ``out_h = (H + 2 - 3) // stride + 1``（3×3 卷积填充 1 圈）。
    ``in_channels != out_channels`` 或 ``stride != 1`` 时，捷径是 1×1 卷积（步幅 stride）
    加批归一化，否则是恒等映射（没有参数）。
    """

    def __init__(self, in_channels, out_channels, stride=1, batchnorm=True, shortcut=True):
        super().__init__()
        def norm(c):
            return BatchNorm2d(c) if batchnorm else Identity()

        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.batchnorm, self.shortcut = batchnorm, shortcut
        self.conv1 = Convolution(in_channels, out_channels, 3, stride=stride, padding=1)
        self.bn1 = norm(out_channels)
        self.relu = ReLU()
        self.conv2 = Convolution(out_channels, out_channels, 3, stride=1, padding=1)
        self.bn2 = norm(out_channels)
        self.projection = None
        if shortcut and (stride != 1 or in_channels != out_channels):
            self.projection = [Convolution(in_channels, out_channels, 1, stride=stride),
                               norm(out_channels)]

    def forward(self, x: Tensor):
        check_ndim('ResidualBlock', x, 4, '(N, C, H, W)')
        if x.data.shape[1] != self.in_channels:
            raise shape_error('ResidualBlock', f'输入形状 (N, {self.in_channels}, H, W)', x.data.shape)
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))      # F(x)
        if self.shortcut:
            skip = x
            if self.projection is not None:
                conv, norm = self.projection
                skip = norm(conv(x))
            out = out + skip        # x 用了两次：经 F 与经捷径，反向时两份梯度相加
        return self.relu(out)

    def describe(self):
        kind = ('1×1 投影捷径' if self.projection else '恒等捷径') if self.shortcut else '无捷径'
        parts = [f'{self.in_channels}→{self.out_channels}', f'stride={self.stride}', kind]
        if self.batchnorm:
            parts.append('BN')
        return '; '.join(parts) + f'; 参数 {self.parameter_count():,}'
