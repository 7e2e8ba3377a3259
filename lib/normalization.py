"""批归一化（batch normalization）：卷积网络用的 ``BatchNorm2d``。

卷积层输出 (N, C, H, W)：同一个通道的所有位置用的是同一个卷积核，所以**每个通道**
一组统计量，在 N、H、W 三个轴上求（一共 M = N·H·W 个数）::

    μ_c = mean(x[:, c])          σ²_c = mean((x[:, c] - μ_c)²)        （有偏方差，除以 M）
    x̂ = (x - μ) / √(σ² + ε)      y = γ·x̂ + β                          （γ、β 可学习，形状 (C,)）

训练模式用当前这一批的 μ、σ²，并更新**滑动平均**（running mean / variance）::

    running_mean ← (1 - momentum)·running_mean + momentum·μ
    running_var  ← (1 - momentum)·running_var  + momentum·σ²·M / (M - 1)   （无偏方差，同 PyTorch）

评估模式（``eval()``）不再看这一批，而用滑动平均：每个样本的输出只取决于它自己。

反向传播（x̂ 同时经由 μ 与 σ² 依赖每个 x，章节里逐步推导）::

    dβ = Σ g        dγ = Σ g·x̂        （对 N、H、W 求和）
    dx = γ / (M·√(σ² + ε)) · (M·g - Σ g - x̂·Σ g·x̂)
"""

import numpy as np

from .layers import Layer, check_ndim
from .tensor import Tensor, shape_error

AXES = (0, 2, 3)          # 卷积的批归一化：对 N、H、W 求统计量，每个通道一组


class BatchNorm2d(Layer):
    """卷积特征图的批归一化。

    Parameters
    ----------
    channels : int
        通道数 C；输入 ``x`` 形状 (N, C, H, W)，输出同形状。
    momentum : float，默认 0.1
        滑动平均里新一批统计量的权重（与 PyTorch 的约定相同）。
    eps : float，默认 1e-5
        加在方差上，避免除以 0（某个通道在整批里全是同一个数时，方差为 0）。

    Attributes
    ----------
    gamma, beta : Tensor，形状 (C,)
        可学习的缩放与平移，初始为 1 与 0（一开始输出就是标准化后的 x̂）。
    running_mean, running_var : ndarray，形状 (C,)
        评估模式用的滑动平均，初始为 0 与 1；它们不是参数，优化器不更新它们。

    训练模式下每个通道至少要有 2 个数（N·H·W ≥ 2）才能估计方差，否则报错。
    批大小为 1 时，统计量就在这一张图的 H×W 个位置上求（H·W ≥ 2 时照常工作）。
    """

    def __init__(self, channels, momentum=0.1, eps=1e-5):
        super().__init__()
        if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
            raise ValueError(f'BatchNorm2d 期望 channels 是 ≥ 1 的整数，实际得到 {channels!r}')
        if not 0 <= momentum <= 1:
            raise ValueError(f'BatchNorm2d 期望 0 ≤ momentum ≤ 1，实际得到 {momentum}')
        if not eps > 0:
            raise ValueError(f'BatchNorm2d 期望 eps > 0，实际得到 {eps}')
        self.channels = int(channels)
        self.momentum = momentum
        self.eps = eps
        self.gamma = Tensor(np.ones(channels, dtype=np.float32))
        self.beta = Tensor(np.zeros(channels, dtype=np.float32))
        self.running_mean = np.zeros(channels, dtype=np.float32)
        self.running_var = np.ones(channels, dtype=np.float32)

    def check_input(self, x):
        check_ndim('BatchNorm2d', x, 4, '(N, C, H, W)')
        if x.data.shape[1] != self.channels:
            raise shape_error('BatchNorm2d', f'输入形状 (N, {self.channels}, H, W)', x.data.shape)

    def forward(self, x: Tensor):
        self.check_input(x)
        N, C, H, W = x.data.shape
        M = N * H * W                                           # 每个通道参与统计的数的个数
        if self.training:
            if M < 2:
                raise ValueError(f'BatchNorm2d 在训练模式下期望每个通道至少 2 个数（N·H·W ≥ 2）来估计方差，'
                                 f'实际输入形状 {x.data.shape} 每个通道只有 {M} 个数；'
                                 f'请用更大的批，或先调用 eval() 改用滑动平均')
            mean = x.data.mean(axis=AXES)
            var = x.data.var(axis=AXES)                         # 有偏方差（除以 M）
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(self.running_mean.dtype)
            self.running_var = ((1 - m) * self.running_var + m * var * M / (M - 1)).astype(
                self.running_var.dtype)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1 / np.sqrt(var + self.eps)).astype(x.data.dtype)
        x_hat = (x.data - mean.reshape(1, C, 1, 1)) * inv_std.reshape(1, C, 1, 1)
        gamma = self.gamma.data.reshape(1, C, 1, 1)
        out = Tensor(gamma * x_hat + self.beta.data.reshape(1, C, 1, 1), parents=(x,))
        training = self.training

        def gradient_fn():
            g = out.grad
            self.beta.add_grad(g.sum(axis=AXES))                # dβ = Σ g
            self.gamma.add_grad((g * x_hat).sum(axis=AXES))     # dγ = Σ g·x̂
            if not x.requires_grad:
                return
            scale = gamma * inv_std.reshape(1, C, 1, 1)
            if not training:                                    # 评估模式：μ、σ² 是常数
                x.grad += g * scale
                return
            # 链式法则：x̂ 经由 μ 与 σ² 依赖每个 x，多出后两项
            g_sum = g.sum(axis=AXES, keepdims=True)
            gx_sum = (g * x_hat).sum(axis=AXES, keepdims=True)
            x.grad += scale / M * (M * g - g_sum - x_hat * gx_sum)

        out.gradient_fn = gradient_fn
        return out

    def astype(self, dtype):
        """参数与滑动平均一起转换为 dtype，返回自身。"""
        super().astype(dtype)
        self.running_mean = self.running_mean.astype(dtype)
        self.running_var = self.running_var.astype(dtype)
        return self

    def describe(self):
        return f'channels={self.channels}; momentum={self.momentum}'
