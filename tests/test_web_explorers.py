"""第 1–4 章的页内探索器（booktools/explorers/*.js）与 lib 算得一样；“写一个数字”的整个流程。

每个探索器的页面由笔记本里的控件本身生成（``booktools.web.page_html(控件)``，与在线书里一样），
在无头 Chromium 里改控件（鼠标、键盘），读出页面显示的数字（``div.explorerState``），与 lib 对照，
并打印最大差。第 1 章卷积核探索器的逐项测试在 tests/test_web_explorer.py。
缺浏览器时的规则见 tests/browser.py。
"""

import base64
import json
import re

import numpy as np
import pytest
from browser import console_errors, make_driver, role, set_value, write_page

import lib
from booktools import web
from lib.viz import ch1_intuition as v1
from lib.viz import ch2_im2col as v2
from lib.viz import ch3_training as v3
from lib.viz import ch4_pooling as v4

pytestmark = pytest.mark.browser
ATOL = 1e-4


@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('browser'))
    yield driver
    driver.quit()


def open_explorer(driver, tmp_path, html, kind):
    driver.get(write_page(tmp_path / f'{kind}.html', html, kind))
    div = driver.find_element('css selector', f'div.book-explorer[data-kind="{kind}"]')
    assert div.get_attribute('data-ready') == '1'
    return div


def state(driver, div):
    return driver.execute_script('return arguments[0].explorerState', div)


def check_controls(driver, div):
    """每个控件都能用键盘聚焦，而且有名字（外面包着 label、fieldset 里的 label，或 aria-label）。"""
    controls = div.find_elements('css selector', 'input, select, button, canvas[tabindex]')
    assert controls
    for control in controls:
        named = driver.execute_script(
            'const c = arguments[0]; return c.tabIndex >= 0 && Boolean(c.getAttribute("aria-label") || '
            'c.closest("label") || c.labels && c.labels.length || c.textContent.trim());', control)
        assert named, control.get_attribute('outerHTML')[:200]


def report(name, diffs):
    worst = max(diffs) if diffs else 0.0
    print(f'\n{name}：比较了 {len(diffs)} 个状态，与 lib 的最大差 {worst:.2e}')
    return worst


# ---- 第 1 章 特征图画廊 ----

def test_gallery_matches_lib(driver, tmp_path, digits):
    images, labels = digits
    widget = v1.GalleryExplorer(images, labels)
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'gallery')
    check_controls(driver, div)
    boxes = role(div, 'kernel')
    assert [b.get_attribute('value') for b in boxes] == list(v1.KERNELS)
    diffs = []
    for index in (0, 7, 42, 99):
        set_value(driver, role(div, 'digit')[0], index)
        shown = state(driver, div)
        assert shown['index'] == index and shown['names'] == list(v1.KERNELS)
        expected = v1.feature_maps(images[index], list(v1.KERNELS))
        diffs.append(float(np.abs(np.reshape(shown['maps'], expected.shape) - expected).max()))
    boxes[0].click()                                 # 键盘也行：空格切换复选框
    boxes[1].send_keys(' ')
    shown = state(driver, div)
    assert shown['names'] == list(v1.KERNELS)[2:]
    expected = v1.feature_maps(images[99], list(v1.KERNELS)[2:])
    diffs.append(float(np.abs(np.reshape(shown['maps'], expected.shape) - expected).max()))
    for box in boxes[2:]:
        box.click()
    assert state(driver, div)['names'] == ['恒等']   # 一个都没选：与控件一样显示“恒等”
    assert report('特征图画廊', diffs) < ATOL
    assert console_errors(driver) == []


# ---- 第 2 章 图转列 ----

def test_im2col_matches_lib(driver, tmp_path):
    from selenium.webdriver.common.keys import Keys

    tiny = v2.tiny_input()
    widget = v2.Im2colExplorer(tiny, v2.TINY_KERNEL, v2.TINY_BIAS, draw=False)
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'im2col')
    check_controls(driver, div)
    diffs = []
    for stride, padding in [(1, 0), (1, 1), (2, 1), (3, 2), (2, 0)]:
        set_value(driver, role(div, 'stride')[0], stride)
        set_value(driver, role(div, 'padding')[0], padding)
        out = lib.output_size(4, 3, stride, padding)
        for i in range(out):
            for j in range(out):
                set_value(driver, role(div, 'row')[0], i)
                set_value(driver, role(div, 'col')[0], j)
                shown = state(driver, div)
                expected = v2.im2col_state(tiny, v2.TINY_KERNEL, v2.TINY_BIAS, i, j, stride, padding)
                assert (shown['row'], shown['col'], shown['index']) == (i, j, expected['index'])
                np.testing.assert_array_equal(shown['window'], expected['window'].ravel())
                np.testing.assert_array_equal(shown['column'], expected['column'])
                np.testing.assert_array_equal(shown['cols'], expected['cols'])
                diffs.append(abs(shown['value'] - expected['value']))
                diffs.append(float(np.abs(np.array(shown['output']) - expected['output'].ravel()).max()))
    # 联动：点输出里的像素、点列矩阵的列号，窗口、列、像素一起换
    set_value(driver, role(div, 'stride')[0], 1)
    set_value(driver, role(div, 'padding')[0], 1)
    role(div, 'output-button')[6].click()            # 4×4 输出里的 (1, 2)
    assert (state(driver, div)['row'], state(driver, div)['col']) == (1, 2)
    role(div, 'column-button')[13].click()           # 第 13 列 = (3, 1)
    shown = state(driver, div)
    assert (shown['row'], shown['col'], shown['index']) == (3, 1, 13)
    expected = v2.im2col_state(tiny, v2.TINY_KERNEL, v2.TINY_BIAS, 3, 1, 1, 1)
    assert shown['value'] == expected['value']
    assert [c.text for c in role(div, 'column')] == [f'{v:.0f}' for v in expected['column']]
    role(div, 'row')[0].send_keys(Keys.ARROW_LEFT)   # 键盘：滑块用方向键
    assert state(driver, div)['row'] == 2
    assert report('图转列探索器', diffs) == 0
    assert console_errors(driver) == []


# ---- 第 3 章 特征图（训练好的卷积层；这里用一层固定种子的随机卷积层，网页只管照着权重算） ----

def test_feature_maps_match_lib(driver, tmp_path, digits):
    images, labels = digits
    lib.seed(3)
    conv = lib.Convolution(1, 16, 3)
    predictions = np.eye(10)[(labels + 1) % 10]      # 假的打分：标题里显示“网络判为”
    widget = v3.FeatureMapExplorer(conv, images, labels, predictions)
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'featuremap')
    check_controls(driver, div)
    diffs = []
    settings = [(0, 0, False), (17, 12, False), (17, 12, True), (99, 15, True), (3, 5, False)]
    for index, channel, relu in settings:
        set_value(driver, role(div, 'digit')[0], index)
        set_value(driver, role(div, 'channel')[0], channel)
        box = role(div, 'relu')[0]
        if box.is_selected() != relu:
            box.click()
        shown = state(driver, div)
        expected = conv(lib.Tensor(images[index][None, None])).data[0, channel]
        expected = np.maximum(expected, 0) if relu else expected
        assert (shown['index'], shown['channel'], shown['relu']) == (index, channel, relu)
        np.testing.assert_allclose(shown['kernel'], conv.weight.data[channel, 0].ravel(), atol=1e-7)
        diffs.append(float(np.abs(np.reshape(shown['map'], expected.shape) - expected).max()))
        title = role(div, 'title')[0].text
        assert f'数字 {labels[index]}' in title and f'网络判为 {(labels[index] + 1) % 10}' in title
    assert report('特征图探索器', diffs) < ATOL
    assert console_errors(driver) == []


# ---- 第 4 章 池化 ----

def test_pooling_matches_lib(driver, tmp_path, digits):
    from selenium.webdriver.common.keys import Keys

    images, labels = digits
    widget = v4.PoolingExplorer(images, labels)
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'pooling')
    check_controls(driver, div)
    diffs = []
    for index, size, mode in [(0, 2, 'max'), (5, 3, 'avg'), (17, 4, 'max'), (3, 3, 'max'), (99, 2, 'avg')]:
        set_value(driver, role(div, 'digit')[0], index)
        div.find_element('css selector', f'[data-role="size"][value="{size}"]').click()
        div.find_element('css selector', f'[data-role="mode"][value="{mode}"]').click()
        shown = state(driver, div)
        expected = v4.pooling_state(images[index], size, mode)
        assert (shown['index'], shown['size'], shown['mode']) == (index, size, mode)
        assert tuple(shown['cropped']) == expected['cropped']
        maps = np.reshape(shown['maps'], expected['maps'].shape)
        diffs.append(float(np.abs(maps - expected['maps']).max()))
        diffs.append(float(np.abs(np.reshape(shown['pooled'], expected['pooled'].shape)
                                  - expected['pooled']).max()))
    summary = role(div, 'summary')[0].text
    assert '平均池化' in summary and '28×28 → 14×14' in summary
    two = div.find_element('css selector', '[data-role="size"][value="2"]')
    two.send_keys(Keys.ARROW_RIGHT)                  # 键盘：方向键选 3×3
    assert state(driver, div)['size'] == 3
    assert report('池化探索器', diffs) < ATOL
    assert console_errors(driver) == []


# ---- 第 4 章 写一个数字 ----

def quick_lenet():
    """在 tinymnist 上快速训练的 LeNet 风格网络（与第 4 章同一结构，3 轮普通 SGD）。"""
    lib.seed(0)
    network = lib.zoo.lenet()
    dataset = lib.MNISTDataset(batch_size=32, seed=0)
    optimizer = lib.SGDOptimizer(network.parameters(), lr=0.16)
    model = lib.NNModel(network, lib.CELoss(), optimizer, progress=False)
    model.train(dataset, 3)
    network.eval()
    return network


@pytest.fixture(scope='module')
def network():
    return quick_lenet()


def digit_strokes(image, scale=10, threshold=0.5):
    """把一张 28×28 的数字“重写”成笔画：每一行里灰度超过阈值的一段画一笔（画布坐标）。"""
    strokes = []
    for y, line in enumerate(image):
        on = np.flatnonzero(line > threshold)
        if not on.size:
            continue
        runs = np.split(on, np.flatnonzero(np.diff(on) > 1) + 1)
        for run in runs:
            y_ = (y + 0.5) * scale
            strokes.append([((run[0] + 0.5) * scale, y_), ((run[-1] + 0.5) * scale, y_)])
    return strokes


def path_one():
    return [[(140, 50), (140, 230)]]


def path_zero():
    t = np.linspace(0, 2 * np.pi, 40)
    return [[(140 + 55 * np.sin(a), 140 - 85 * np.cos(a)) for a in t]]


DRAW = """
const [pad, strokes, kind] = arguments;
const r = pad.getBoundingClientRect(), sx = r.width / pad.width, sy = r.height / pad.height;
const fire = (type, [x, y]) => pad.dispatchEvent(new PointerEvent(type, {bubbles: true, cancelable: true,
  pointerId: 1, pointerType: kind, isPrimary: true, clientX: r.left + x * sx, clientY: r.top + y * sy}));
for (const stroke of strokes) {
  fire('pointerdown', stroke[0]);
  for (const p of stroke.slice(1)) fire('pointermove', p);
  fire('pointerup', stroke[stroke.length - 1]);
}
window.bookExplorer.initAll();
"""


def draw(driver, div, strokes, kind='mouse'):
    """像读者那样写：按下、移动、抬起（指针事件），再等页面重算一帧。"""
    role(div, 'clear')[0].click()
    pad = role(div, 'pad')[0]
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', pad)
    driver.execute_script(DRAW, pad, [[list(map(float, p)) for p in s] for s in strokes], kind)
    driver.execute_async_script('requestAnimationFrame(() => requestAnimationFrame(arguments[0]))')
    return state(driver, div)


def lib_probabilities(network, x):
    logits = network(lib.Tensor(np.asarray(x, dtype=np.float32).reshape(1, 1, 28, 28))).data[0]
    e = np.exp(logits - logits.max())
    return e / e.sum()


def check_input_and_probabilities(network, shown):
    """页面的 28×28 输入像 MNIST 那样预处理过；页面的概率等于 lib 在同一输入上的前向传播。"""
    x = np.reshape(shown['input'], (28, 28))
    rows, cols = np.flatnonzero(x.sum(axis=1)), np.flatnonzero(x.sum(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(height, width) == 20 and min(height, width) >= 1, (height, width)   # 长边缩放到 20
    ys, xs = np.mgrid[:28, :28]
    com = (float((ys * x).sum() / x.sum()), float((xs * x).sum() / x.sum()))
    assert all(abs(c - 13.5) <= 0.5 + 1e-9 for c in com), com                       # 质心在中心
    assert 0 <= x.min() and x.max() <= 1 and len(np.unique(np.round(x, 3))) > 5      # 有灰度
    expected = lib_probabilities(network, x)
    diff = float(np.abs(np.array(shown['probabilities']) - expected).max())
    assert diff < ATOL, diff
    assert shown['predicted'] == int(np.argmax(expected))
    return diff


def test_draw_digit(driver, tmp_path, digits, network):
    images, labels = digits
    div = open_explorer(driver, tmp_path, web.draw_digit(network).data, 'digit')
    check_controls(driver, div)
    assert state(driver, div)['ink'] is False
    diffs, verdicts = [], {}
    cases = [('测试集的“1”', 1, digit_strokes(images[int(np.flatnonzero(labels == 1)[0])]), 'mouse'),
             ('测试集的“0”', 0, digit_strokes(images[int(np.flatnonzero(labels == 0)[0])]), 'touch'),
             ('另一张“1”', 1, digit_strokes(images[int(np.flatnonzero(labels == 1)[1])]), 'touch'),
             ('另一张“0”', 0, digit_strokes(images[int(np.flatnonzero(labels == 0)[1])]), 'mouse'),
             ('一竖', 1, path_one(), 'pen'), ('一个椭圆', 0, path_zero(), 'mouse')]
    for name, label, strokes, kind in cases:
        shown = draw(driver, div, strokes, kind)
        assert shown['ink']
        diffs.append(check_input_and_probabilities(network, shown))
        verdicts[name] = (label, shown['predicted'], max(shown['probabilities']))
        # 每一层的特征图都画出来了：8 + 8 + 8 + 16 + 16 + 16 张
        assert len(role(div, 'layer-map')) == 72
    print('\n写一个数字：' + '；'.join(f'{n} → {p}（{q:.1%}）' for n, (_, p, q) in verdicts.items()))
    assert all(label == predicted for label, predicted, _ in verdicts.values()), verdicts
    # 小的、在角落里的“1”：预处理同样放大、居中
    shown = draw(driver, div, [[(30, 20), (30, 70)]])
    diffs.append(check_input_and_probabilities(network, shown))
    # 清除：回到没有笔画的状态；键盘也能清除（画布可聚焦，Delete 键）
    role(div, 'clear')[0].click()
    assert state(driver, div)['ink'] is False
    draw(driver, div, path_one())
    role(div, 'pad')[0].send_keys('\ue017')          # Delete
    assert state(driver, div)['ink'] is False
    # 键盘：选一张测试数字载入
    select = role(div, 'example')[0]
    set_value(driver, select, 3)
    shown = state(driver, div)
    assert shown['ink'] and shown['predicted'] == 3
    diffs.append(check_input_and_probabilities(network, shown))
    assert report('写一个数字', diffs) < ATOL
    assert console_errors(driver) == []


def test_network_export_is_the_network(network):
    layers = web.network_layers(network)
    assert [layer['type'] for layer in layers] == ['conv', 'relu', 'maxpool', 'conv', 'relu', 'maxpool',
                                                   'flatten', 'linear', 'relu', 'linear']
    params = [layer for layer in network.layers if hasattr(layer, 'weight')]
    for exported, layer in zip([e for e in layers if 'weight' in e], params, strict=True):
        weight = np.frombuffer(base64.b64decode(exported['weight']), dtype='<f4')
        np.testing.assert_array_equal(weight, layer.weight.data.ravel())
    with pytest.raises(ValueError, match='不认识'):
        web.network_layers(lib.Sequential([lib.Tanh()]))


def test_every_explorer_has_a_script_and_is_self_contained(digits):
    images, labels = digits
    html = web.page_html(v4.PoolingExplorer(images, labels))
    assert not re.search(r'https?://|src=|href=', html)
    config = json.loads(re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1))
    assert config['kernels'] == web.kernel_presets(v4.DEMO_KERNELS)
    assert web.page_html(object()) is None
    with pytest.raises(ValueError, match='没有页内探索器'):
        web.script('不存在')
