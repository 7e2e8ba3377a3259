"""lib.summary：逐层的输出形状、参数、乘加与激活内存，与手算的数对照（基线网络与 LeNet 风格网络）。"""

import numpy as np
import pytest

import lib
from lib import Convolution, Linear, MaxPool, ReLU, Sequential

N = 32


def test_baseline_network_by_hand():
    report = lib.summary(lib.zoo.seed_network(), (N, 1, 28, 28))
    names = [row.name for row in report.rows]
    assert names == ['Convolution(1, 16, 3)', 'Flatten()', 'Dropout()', 'Linear(10816, 64)', 'ReLU()',
                     'Linear(64, 10)']
    shapes = [row.output_shape for row in report.rows]
    assert shapes == [(N, 16, 26, 26), (N, 10816), (N, 10816), (N, 64), (N, 64), (N, 10)]
    assert [row.parameters for row in report.rows] == [16 * 9 + 16, 0, 0, 10816 * 64 + 64, 0, 64 * 10 + 10]
    conv = N * 16 * 1 * 9 * 26 * 26                      # N·F·C·k²·H′·W′
    assert [row.multiply_adds for row in report.rows] == [conv, 0, 0, N * 10816 * 64, 0, N * 64 * 10]
    assert report.total_parameters == 693_098
    assert report.total_multiply_adds == 3_115_008 + 22_151_168 + 20_480
    assert report.rows[0].activation_bytes == N * 16 * 26 * 26 * 4
    assert report.total_activation_bytes == 4 * N * (3 * 10816 + 2 * 64 + 10)


def test_lenet_by_hand():
    report = lib.summary(lib.zoo.lenet(), (N, 1, 28, 28))
    rows = {row.name: row for row in report.rows}
    first, second = rows['Convolution(1, 8, 3, padding=1)'], rows['Convolution(8, 16, 3, padding=1)']
    assert first.output_shape == (N, 8, 28, 28) and second.output_shape == (N, 16, 14, 14)
    assert first.parameters == 8 * 9 + 8 and second.parameters == 16 * 8 * 9 + 16
    assert first.multiply_adds == N * 8 * 1 * 9 * 28 * 28
    assert second.multiply_adds == N * 16 * 8 * 9 * 14 * 14
    assert rows['Linear(784, 64)'].multiply_adds == N * 784 * 64
    assert report.total_parameters == 52_138
    assert report.total_multiply_adds == N * (8 * 9 * 784 + 16 * 72 * 196 + 784 * 64 + 640)
    assert [row.output_shape for row in report.rows if row.name == 'MaxPool(2)'] == [(N, 8, 14, 14),
                                                                                       (N, 16, 7, 7)]


def test_table_text_and_nested_sequential():
    model = Sequential([Sequential([Convolution(3, 4, 3, stride=2), ReLU()]), MaxPool(2, stride=1)])
    report = lib.summary(model, (2, 3, 9, 9))
    assert [row.name for row in report.rows] == ['Convolution(3, 4, 3, stride=2)', 'ReLU()',
                                                  'MaxPool(2, stride=1)']
    text = str(report)
    for fragment in ('层', '输出形状', '参数', '乘加', '激活', '合计', f'{report.total_multiply_adds:,}'):
        assert fragment in text
    assert report.rows[0].multiply_adds == 2 * 4 * 3 * 9 * 4 * 4


def test_summary_leaves_training_mode_and_random_numbers_alone():
    lib.seed(3)
    model = lib.zoo.seed_network()
    state = lib.layers.rng.bit_generator.state
    lib.summary(model, (4, 1, 28, 28))
    assert model.training and all(layer.training for layer in model.layers)
    assert lib.layers.rng.bit_generator.state == state            # 丢弃层在评估模式下不取随机数
    model.eval()
    lib.summary(model, (4, 1, 28, 28))
    assert not model.training


def test_float64_doubles_activation_bytes():
    model = Sequential([Linear(5, 3)])
    assert lib.summary(model, (2, 5), dtype=np.float64).total_activation_bytes == 2 * 3 * 8


def test_bad_input(raises_chinese):
    with raises_chinese(TypeError, 'summary', 'Layer'):
        lib.summary('not a model', (1, 1, 28, 28))
    with raises_chinese(ValueError, 'summary', '输入形状'):
        lib.summary(lib.zoo.lenet(), (0, 1, 28, 28))
    with pytest.raises(ValueError):
        lib.summary(lib.zoo.lenet(), (1, 3, 28, 28))               # 通道数不对：层自己的中文错误


def test_blocks_count_the_convolutions_inside_them():
    """残差块是一行，但它的乘加要包括块里的两个 3×3 卷积与捷径上的 1×1 卷积（手算）。"""
    lib.seed(0)
    result = lib.summary(lib.zoo.small_resnet(), (2, 1, 28, 28))
    per_image = {
        'Convolution(1, 16, 3, padding=1)': 16 * 1 * 9 * 28 * 28,
        'ResidualBlock()#1': 2 * 16 * 16 * 9 * 14 * 14,                      # 恒等捷径
        'ResidualBlock()#2': (32 * 16 * 9 + 32 * 32 * 9 + 32 * 16 * 1) * 7 * 7,  # 步幅 2，1×1 投影
        'Linear(32, 10)': 32 * 10,
    }
    blocks = [row for row in result.rows if row.name == 'ResidualBlock()']
    assert [row.multiply_adds for row in blocks] == [2 * per_image['ResidualBlock()#1'],
                                                     2 * per_image['ResidualBlock()#2']]
    assert result.total_multiply_adds == 2 * sum(per_image.values())


def test_transposed_and_dilated_convolutions_are_counted():
    layer = lib.ConvTranspose(3, 4, 3, stride=2)
    result = lib.summary(lib.Sequential([layer]), (2, 3, 5, 5))
    assert result.rows[0].multiply_adds == 2 * 3 * 4 * 9 * 5 * 5    # 每个输入像素散到 k² 个位置
    dilated = lib.summary(lib.Sequential([lib.Convolution(1, 2, 3, dilation=2)]), (1, 1, 9, 9))
    assert dilated.rows[0].name == 'Convolution(1, 2, 3, dilation=2)'
    assert dilated.rows[0].multiply_adds == 2 * 1 * 9 * 5 * 5
