"""逐层的账本（第 6 章）：``summary(model, input_shape)`` 数出每层的输出形状、参数、乘加与激活内存。

和 ``torchinfo.summary`` 一样：用一批全零的输入把网络前向跑一遍（评估模式，不改动随机数），
逐层记下

* 输出形状 (N, …)；
* 参数个数（权重与偏置）；
* 乘加次数（multiply-accumulate，MAC）：卷积层 N·F·C·k²·H′·W′，转置卷积 N·C·F·k²·H·W
  （每个输入像素散到 k² 个位置），线性层 N·in·out；块（例如残差块）里嵌套的这些层都算进去；
  其余的层（激活、池化、展平、丢弃、批归一化）只做比较或逐元素运算，记 0；
* 激活内存：这一层输出占多少字节（反向传播要留着它们，所以批越大、图越大，占得越多）。

反向传播对每个卷积层、线性层要算两次同样规模的乘积（对输入、对权重各一次），
所以一步训练的乘加约是前向的 3 倍（反向 ≈ 前向的 2 倍）。
"""

from dataclasses import dataclass

import numpy as np

from .convolution import Convolution
from .layers import Layer, Linear, Sequential
from .pooling import Pool
from .tensor import Tensor, shape_error
from .transposed import ConvTranspose


@dataclass
class LayerRow:
    """账本的一行。"""
    name: str
    output_shape: tuple
    parameters: int
    multiply_adds: int
    activation_bytes: int


def layer_multiply_adds(layer, x_shape, y_shape):
    """一层前向的乘加次数：卷积 N·F·C·k²·H′·W′，线性层 N·in·out，其余记 0。"""
    if isinstance(layer, Convolution):
        N, F, H_out, W_out = y_shape
        return N * F * layer.in_channels * layer.kernel_size ** 2 * H_out * W_out
    if isinstance(layer, ConvTranspose):
        N, C, H_in, W_in = x_shape
        return N * C * layer.out_channels * layer.kernel_size ** 2 * H_in * W_in
    if isinstance(layer, Linear):
        out_size, in_size = layer.weight.data.shape
        return x_shape[0] * in_size * out_size
    return 0


def descendants(layer):
    """这一层和它里面嵌套的所有层（块里的卷积、捷径上的 1×1 卷积……）。"""
    yield layer
    for child in layer.children():
        yield from descendants(child)


def run_counting(layer, x):
    """前向一次 ``layer``，把其中每个卷积、转置卷积、线性层（含嵌套的）的乘加加起来。

    做法：暂时给这些层的实例换上一个会记账的 ``forward``，跑完再换回来。
    """
    counted = [d for d in descendants(layer) if isinstance(d, (Convolution, ConvTranspose, Linear))]
    total = 0

    def counting(inner):
        forward = inner.forward

        def forward_and_count(t):
            nonlocal total
            y = forward(t)
            total += layer_multiply_adds(inner, t.data.shape, y.data.shape)
            return y
        return forward_and_count

    for inner in counted:
        inner.forward = counting(inner)
    try:
        y = layer(x)
    finally:
        for inner in counted:
            del inner.forward          # 删掉实例属性，类里的 forward 重新生效
    return y, total


def layer_name(layer):
    """像构造时那样写出一层，例如 ``Convolution(1, 8, 3, padding=1)``、``Linear(784, 64)``。"""
    name = type(layer).__name__
    if isinstance(layer, Convolution):
        extra = ''.join(f', {key}={getattr(layer, key)}'
                        for key, default in (('stride', 1), ('padding', 0), ('dilation', 1))
                        if getattr(layer, key) != default)
        return f'{name}({layer.in_channels}, {layer.out_channels}, {layer.kernel_size}{extra})'
    if isinstance(layer, Linear):
        out_size, in_size = layer.weight.data.shape
        return f'{name}({in_size}, {out_size})'
    if isinstance(layer, Pool):
        stride = '' if layer.stride == layer.kernel_size else f', stride={layer.stride}'
        return f'{name}({layer.kernel_size}{stride})'
    return f'{name}()'


def leaf_layers(model):
    """按前向的顺序展开嵌套的 Sequential，得到一层一层的列表。"""
    if isinstance(model, Sequential):
        return [leaf for layer in model.layers for leaf in leaf_layers(layer)]
    return [model]


class ModelSummary:
    """``summary`` 的结果：``rows``（每层一个 ``LayerRow``）与总数；``print`` 它得到中文的表。"""

    def __init__(self, rows, input_shape, itemsize):
        self.rows = rows
        self.input_shape = tuple(input_shape)
        self.itemsize = itemsize
        self.total_parameters = sum(row.parameters for row in rows)
        self.total_multiply_adds = sum(row.multiply_adds for row in rows)
        self.total_activation_bytes = sum(row.activation_bytes for row in rows)

    def __str__(self):
        header = ('层', '输出形状', '参数', '乘加（前向）', '激活（字节）')
        lines = [(row.name, str(row.output_shape), f'{row.parameters:,}', f'{row.multiply_adds:,}',
                  f'{row.activation_bytes:,}') for row in self.rows]
        lines.append(('合计', '', f'{self.total_parameters:,}', f'{self.total_multiply_adds:,}',
                      f'{self.total_activation_bytes:,}'))
        widths = [max(display_width(line[i]) for line in [header, *lines]) for i in range(len(header))]

        def format_line(cells):
            first = cells[0] + ' ' * (widths[0] - display_width(cells[0]))
            return '  '.join([first, *(' ' * (w - display_width(c)) + c
                                       for c, w in zip(cells[1:], widths[1:], strict=True))])
        rule = '─' * (sum(widths) + 2 * (len(widths) - 1))
        return '\n'.join([f'输入形状 {self.input_shape}，每个数 {self.itemsize} 字节', rule,
                          format_line(header), rule, *map(format_line, lines[:-1]), rule,
                          format_line(lines[-1]),
                          f'一步训练（前向 + 反向）约 {3 * self.total_multiply_adds:,} 次乘加'])

    __repr__ = __str__


def display_width(text):
    """显示宽度：汉字占两格。"""
    return sum(2 if '\u4e00' <= ch <= '\u9fff' or ch in '（）' else 1 for ch in text)


def summary(model, input_shape, dtype=np.float32):
    """数出 ``model`` 每一层的输出形状、参数、乘加次数与激活内存。

    Parameters
    ----------
    model : Layer
        通常是 ``Sequential``（嵌套的会展开）；其他的层（例如残差块）当作一行，
        乘加数包括它里面所有的卷积层与线性层。
    input_shape : tuple
        输入形状，含批大小，例如 (32, 1, 28, 28)。
    dtype : 数据类型，默认 float32
        决定每个数占几个字节。

    Returns
    -------
    ModelSummary
        ``print`` 它得到中文的表；``rows`` 是每层的 ``LayerRow``，另有 ``total_parameters``、
        ``total_multiply_adds``、``total_activation_bytes``。
    """
    if not isinstance(model, Layer):
        raise TypeError(f'summary 期望一个 Layer（例如 Sequential），实际得到 {type(model).__name__}')
    input_shape = tuple(int(n) for n in input_shape)
    if not input_shape or min(input_shape) < 1:
        raise shape_error('summary', '输入形状是正整数组成的元组，含批大小，例如 (32, 1, 28, 28)',
                          input_shape)
    itemsize = np.dtype(dtype).itemsize
    was_training = model.training
    model.eval()                      # 评估模式：丢弃层原样输出，不消耗随机数
    try:
        x = Tensor(np.zeros(input_shape, dtype=dtype), requires_grad=False)
        rows = []
        for layer in leaf_layers(model):
            y, multiply_adds = run_counting(layer, x)
            rows.append(LayerRow(layer_name(layer), y.data.shape, layer.parameter_count(),
                                 multiply_adds, y.data.size * itemsize))
            x = y
    finally:
        if was_training:
            model.train()
    return ModelSummary(rows, input_shape, itemsize)
