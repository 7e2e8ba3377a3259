"""第 5–7 章的页内探索器（booktools/explorers/*.js）与 lib 算得一样。

与 tests/test_web_explorers.py 同样的做法：页面由笔记本里的控件本身生成（``booktools.web.page_html``），
在无头 Chromium 里改控件（鼠标、键盘），读出页面显示的内容（``div.explorerState``），与 lib 对照，
并打印最大差。缺浏览器时的规则见 tests/browser.py。
"""

import numpy as np
import pytest
from browser import console_errors, make_driver, role, set_value
from test_web_explorers import check_controls, open_explorer, report, state

import lib
from booktools import web
from lib.viz import ch5_backward as v5

pytestmark = pytest.mark.browser


@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('browser'))
    yield driver
    driver.quit()


def click_radio(div, name, value):
    div.find_element('css selector', f'[data-role="{name}"][value="{value}"]').click()


# ---- 第 5 章 反向传播：谁读谁 ----

def as_dict(rows):
    """explorerState 里的 [行, 列, m, n] 列表 → {(行, 列): (m, n) 或 None}，与 backward_state 相同的形式。"""
    return {(r[0], r[1]): (None if r[2] is None else (r[2], r[3])) for r in rows}


def autograd_reads(stride, p, q, size=7, k=3):
    """用 lib 的自动微分求“哪些输出读了输入 (p, q)、乘的是哪个权重”：
    X 只有 (p, q) 为 1、权重各不相同（1…k²）时，输出 (i, j) 的值就是连接它们的权重。"""
    layer = lib.Convolution(1, 1, k, stride=stride).astype(np.float64)
    layer.weight.data = np.arange(1.0, k * k + 1).reshape(1, 1, k, k)
    layer.bias.data[:] = 0
    probe = np.zeros((1, 1, size, size))
    probe[0, 0, p, q] = 1
    reads = layer(lib.Tensor(probe)).data[0, 0]
    return {(int(i), int(j)): divmod(int(reads[i, j]) - 1, k)
            for i, j in zip(*np.nonzero(reads), strict=True)}


def autograd_reaches(stride, i, j, size=7, k=3):
    """lib 的反向传播：只有 dY[i, j] = 1 时，梯度到达的输入像素与权重（dX、dW 不为 0 的位置）。"""
    layer = lib.Convolution(1, 1, k, stride=stride).astype(np.float64)
    layer.weight.data = np.arange(1.0, k * k + 1).reshape(1, 1, k, k)
    x = lib.Tensor(np.arange(1.0, size * size + 1).reshape(1, 1, size, size), requires_grad=True)
    y = layer(x)
    dy = np.zeros_like(y.data)
    dy[0, 0, i, j] = 1
    y.backward(dy)
    dx = x.grad[0, 0]
    inputs = {(int(p), int(q)): divmod(int(dx[p, q]) - 1, k) for p, q in zip(*np.nonzero(dx), strict=True)}
    weights = {(int(m), int(n)) for m, n in zip(*np.nonzero(layer.weight.grad[0, 0]), strict=True)}
    return inputs, weights


def test_backward_matches_lib(driver, tmp_path):
    from selenium.webdriver.common.keys import Keys

    widget = v5.BackwardExplorer()
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'backward')
    check_controls(driver, div)
    diffs = []                                      # 每个状态：与 lib 不一致为 1，一致为 0
    for stride in (1, 2):
        click_radio(div, 'stride', stride)
        for mode in ('input', 'output'):
            click_radio(div, 'mode', mode)
            limit = 7 if mode == 'input' else lib.output_size(7, 3, stride)
            assert role(div, 'row')[0].get_attribute('max') == str(limit - 1)
            for row in range(limit):
                for col in range(limit):
                    set_value(driver, role(div, 'row')[0], row)
                    set_value(driver, role(div, 'col')[0], col)
                    shown = state(driver, div)
                    expected = v5.backward_state(7, 3, stride, mode, row, col)
                    assert (shown['stride'], shown['mode'], shown['row'], shown['col'], shown['out']) == \
                        (stride, mode, row, col, expected['out'])
                    inputs, outputs = as_dict(shown['inputs']), as_dict(shown['outputs'])
                    weights = {tuple(w) for w in shown['weights']}
                    dilated = {(u, v): (i, j) for u, v, i, j in shown['dilated']}
                    window = None if shown['window'] is None else tuple(shown['window'])
                    ok = (inputs, outputs, weights, dilated, window) == (
                        expected['inputs'], expected['outputs'], expected['weights'], expected['dilated'],
                        expected['window'])
                    # 再用 lib 的自动微分核对，不只对照同一公式
                    if mode == 'input':
                        ok &= {place: w for place, w in outputs.items()} == autograd_reads(stride, row, col)
                    else:
                        reached, used = autograd_reaches(stride, row, col)
                        ok &= reached == {place: w for place, w in inputs.items() if w is not None}
                        ok &= used == weights
                    diffs.append(float(not ok))
                    assert ok, (stride, mode, row, col, shown)
    # 页面上画出的格子与状态一致：步幅 2、输入像素 (3, 3) 只被 1 个输出读（膨胀的 dY 里框住的唯一非零元素）
    click_radio(div, 'mode', 'input')
    set_value(driver, role(div, 'row')[0], 3)
    set_value(driver, role(div, 'col')[0], 3)
    click_radio(div, 'stride', 2)
    shown = state(driver, div)
    assert [tuple(o[:2]) for o in shown['outputs']] == [(1, 1)]
    assert [c.get_attribute('data-level') for c in role(div, 'dy')].count('1') == 1
    assert len(div.find_elements('css selector', '[data-role="dilated"].bx-box')) == 9
    assert '1 个输出读了它' in ' '.join(c.text for c in div.find_elements('css selector', 'caption'))
    # 鼠标：点 dY 的格子就换成“选输出像素”
    role(div, 'dy')[4].click()                      # 3×3 输出里的 (1, 1)
    shown = state(driver, div)
    assert (shown['mode'], shown['row'], shown['col']) == ('output', 1, 1)
    assert sorted(tuple(i[:2]) for i in shown['inputs']) == [(p, q) for p in (2, 3, 4) for q in (2, 3, 4)]
    # 键盘：滑块用方向键，单选按钮也用方向键
    role(div, 'col')[0].send_keys(Keys.ARROW_RIGHT)
    assert state(driver, div)['col'] == 2
    div.find_element('css selector', '[data-role="stride"][value="2"]').send_keys(Keys.ARROW_LEFT)
    assert state(driver, div)['stride'] == 1
    assert report('反向传播探索器（不一致的像素数）', diffs) == 0
    assert console_errors(driver) == []


# ---- 第 7 章 深网络：逐层统计量（构建时用 lib 算好每一种结构、每一种深度） ----

def test_deep_stack_matches_lib(driver, tmp_path, digits):
    from selenium.webdriver.common.keys import Keys

    from lib.viz import ch7_modern as v7

    images, labels = digits
    probe, probe_labels = images[:16], labels[:16]
    widget = v7.DeepStackExplorer(probe, probe_labels, blocks=16)
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'deepstack')
    check_controls(driver, div)
    diffs = []
    for depth in v7.DEPTHS:
        click_radio(div, 'blocks', depth)
        for bn, sc in v7.CONFIGS:
            for name, wanted in (('batchnorm', bn), ('shortcut', sc)):
                box = role(div, name)[0]
                if box.is_selected() != wanted:
                    box.click()
            shown = state(driver, div)
            assert (shown['batchnorm'], shown['shortcut'], shown['blocks']) == (bn, sc, depth)
            # 与控件无关地重新用 lib 算一遍（不读控件的缓存）
            expected = v7.stack_statistics(probe, probe_labels, depth, 8, bn, sc, seed=0)
            for key in ('activation_std', 'activation_grad', 'weight_grad'):
                assert len(shown[key]) == len(expected[key])
                diffs.append(float(np.abs(np.array(shown[key]) - expected[key]).max()))
            diffs.append(abs(shown['loss'] - expected['loss']))
            diffs.append(abs(shown['ratio'] - v7.gradient_ratio(expected)))
            title = role(div, 'title')[0].text
            assert title == (f'{v7.CONFIGS[bn, sc]}，{depth} 个块（{2 * depth + 1} 个卷积层）：初始损失 '
                             f'{expected["loss"]:.3g}，第一层与最后一层的权重梯度之比 '
                             f'{v7.gradient_ratio(expected):.3g}'), title
            lines = div.find_elements('css selector', 'polyline[data-role="line"]')
            assert [len(line.get_attribute('points').split()) for line in lines] == \
                [depth, depth, 2 * depth + 1]
    # 键盘：空格切换复选框，方向键换深度
    role(div, 'batchnorm')[0].send_keys(' ')
    div.find_element('css selector', '[data-role="blocks"][value="24"]').send_keys(Keys.ARROW_LEFT)
    shown = state(driver, div)
    assert (shown['batchnorm'], shown['blocks']) == (False, 16)
    assert report('深网络探索器', diffs) < 1e-12
    assert console_errors(driver) == []


# ---- 第 7 章 类激活图查看器 ----

def test_cam_matches_lib(driver, tmp_path, digits):
    from lib.viz import ch7_modern as v7

    images, labels = digits
    lib.seed(1)
    network = lib.zoo.small_resnet()                 # 没训练的网络也有类激活图；网页只管照着 lib 的数显示
    widget = v7.CAMExplorer(network, images, labels)
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'cam')
    check_controls(driver, div)
    diffs = []
    for index, target in [(0, -1), (0, 7), (3, -1), (3, 5), (42, 0), (99, -1), (17, 9)]:
        set_value(driver, role(div, 'digit')[0], index)
        set_value(driver, role(div, 'target')[0], target)
        with widget.silently():
            widget.digit.value, widget.target.value = index, target
        expected = widget.update(draw=False)          # 控件自己用 lib 算的
        shown = state(driver, div)
        assert (shown['index'], shown['target'], shown['chosen']) == (index, target, expected['chosen'])
        diffs.append(float(np.abs(np.array(shown['cam']) - expected['cam'].ravel()).max()))
        diffs.append(float(np.abs(np.array(shown['probabilities']) - expected['probabilities']).max()))
        big = v7.upsample(np.maximum(expected['cam'], 0), 28)
        diffs.append(float(np.abs(np.array(shown['overlay']) - (big / max(big.max(), 1e-12)).ravel()).max()))
        # 分数 = 激活图的平均值 + 偏置
        scores = v7.class_activation_maps(network, images[index][None])[1][0]
        diffs.append(abs(shown['mean'] + float(network.layers[-1].bias.data[shown['chosen']])
                         - float(scores[shown['chosen']])))
        assert f'数字 {labels[index]}（测试集第 {index} 张）' in role(div, 'title')[0].text
    # 键盘：在类别下拉框里按方向键
    from selenium.webdriver.common.keys import Keys
    select = role(div, 'target')[0]
    set_value(driver, select, 3)
    select.send_keys(Keys.ARROW_DOWN)
    assert state(driver, div)['chosen'] == 4
    assert report('类激活图查看器', diffs) < 1e-4
    assert console_errors(driver) == []


# ---- 第 6 章 卷积代价（网页按公式算，lib.summary 数出来） ----

COST_SETTINGS = [dict(C=3, F=8, k=3, stride=1, padding=1, H=32),
                 dict(C=16, F=4, k=5, stride=2, padding=0, H=20),
                 dict(C=64, F=64, k=11, stride=1, padding=5, H=64),      # 最大的一种
                 dict(C=1, F=1, k=1, stride=4, padding=0, H=4),          # 最小的一种
                 dict(C=7, F=13, k=7, stride=3, padding=2, H=29),
                 dict(C=64, F=32, k=1, stride=1, padding=0, H=56)]


def test_cost_matches_lib(driver, tmp_path):
    from selenium.webdriver.common.keys import Keys

    from lib.viz import ch6_channels as v6
    widget = v6.CostExplorer()
    div = open_explorer(driver, tmp_path, web.page_html(widget), 'cost')
    check_controls(driver, div)
    for name in ('C', 'F', 'k', 'stride', 'padding', 'H'):   # 滑块的范围与控件相同
        control, slider = getattr(widget, name), role(div, name)[0]
        assert [slider.get_attribute(a) for a in ('min', 'max', 'step')] == \
            [str(control.min), str(control.max), str(control.step)]
    diffs = []
    keys = ('input_shape', 'weight_shape', 'output_shape', 'parameters', 'multiply_adds', 'input_bytes',
            'activation_bytes', 'columns_bytes')
    for values in COST_SETTINGS:
        for name, value in values.items():
            set_value(driver, role(div, name)[0], value)
        shown = state(driver, div)
        expected = v6.cost_state(**values)                     # lib.summary 数的
        assert shown['valid']
        for key in keys:
            a, b = np.array(shown[key]), np.array(expected[key])
            diffs.append(float(np.abs(a - b).max()))
            assert np.array_equal(a, b), (values, key, shown[key], expected[key])
        text = role(div, 'multiply-adds')[0].text
        assert text.endswith(f"= {expected['multiply_adds']:,}"), text
        assert role(div, 'parameters')[0].text.endswith(f"= {expected['parameters']:,}")
    # 卷积核大于填充后的输入：与控件一样给出提示，数字停在上一个有效的设置
    set_value(driver, role(div, 'H')[0], 4)
    set_value(driver, role(div, 'padding')[0], 0)
    set_value(driver, role(div, 'k')[0], 7)
    shown = state(driver, div)
    assert shown['valid'] is False and '大于填充后的输入 4' in role(div, 'message')[0].text
    # 键盘：方向键调滑块（k 的步长是 2）
    set_value(driver, role(div, 'k')[0], 3)
    role(div, 'k')[0].send_keys(Keys.ARROW_RIGHT)
    shown = state(driver, div)
    assert shown['requested']['k'] == 5 and shown['valid'] is False and shown['k'] == 3
    role(div, 'H')[0].send_keys(Keys.ARROW_RIGHT)
    shown = state(driver, div)
    assert shown['valid'] and shown['H'] == 5 and shown['output_shape'] == list(v6.cost_state(
        shown['C'], shown['F'], 5, shown['stride'], 0, 5)['output_shape'])
    assert report('卷积代价探索器', diffs) == 0
    assert console_errors(driver) == []
