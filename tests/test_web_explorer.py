"""booktools.web 与 booktools/explorers/kernel.js 的测试：在线书里的卷积核探索器必须与 lib 算得一样。

(a) 纯 Python：JSON 配置里的数字与卷积核预设就是 ``lib.viz`` 的数据。
(b) 浏览器：用 Selenium 驱动无头 Chromium 打开只含探索器的页面，改数字、预设、单个权重、
    行列（滑块与上一步/下一步按钮）、播放，读出页面显示的输出像素，与
    ``lib.viz.kernel_state``（im2col 的窗口）和 ``lib.viz.feature_maps``（卷积层）对照。
    同时检查控制台没有错误、页面只请求本地文件。缺浏览器时的规则见 tests/browser.py。
"""

import base64
import json
import re
import time

import numpy as np
import pytest
from browser import console_errors, make_driver, requested_urls, role, set_value, write_page

import lib
from booktools import web
from lib.viz import ch1_intuition as viz
from lib.viz import style

JSON_CONFIG = re.compile(r'<script type="application/json">(.*?)</script>', re.S)
SIZE = 26          # 28 - 3 + 1
TOLERANCE = 1e-3   # 页面里的像素保留 4 位小数，9 个乘积的误差远小于它


@pytest.fixture(scope='module')
def digits():
    return lib.load_digits()


@pytest.fixture(scope='module')
def html():
    return web.explorer_html()


def parse_config(html):
    return json.loads(JSON_CONFIG.search(html).group(1))


# ---- (a) 纯 Python ----

def decode_digits(data):
    pixels = np.frombuffer(base64.b64decode(data['pixels']), dtype=np.uint8)
    return pixels.reshape(-1, data['size'], data['size']) / np.float32(255), np.array(data['labels'])


def test_config_matches_lib(html, digits):
    images, labels = digits
    config = parse_config(html)
    pixels, shown_labels = decode_digits(config['digits'])
    assert pixels.shape == (web.ONLINE_DIGITS, 28, 28)
    np.testing.assert_array_equal(shown_labels, labels[:web.ONLINE_DIGITS])
    np.testing.assert_allclose(pixels, images[:web.ONLINE_DIGITS], atol=1e-7, rtol=0)   # 同样除以 255
    assert list(config['presets']) == list(viz.KERNELS)
    for name, kernel in viz.KERNELS.items():
        np.testing.assert_allclose(config['presets'][name], kernel, atol=1e-6, rtol=0)
    assert config['preset'] == '竖直边缘' and config['index'] == 0        # 与 KernelExplorer() 的默认值相同
    fmap = viz.feature_maps(images[0], ['竖直边缘'])[0]
    assert abs(fmap[tuple(config['start'])]) == np.abs(fmap).max()       # 从响应最强处开始


def test_html_is_self_contained(html):
    assert html.startswith('<div class="book-explorer kernel-explorer" data-kind="kernel">')
    assert '<noscript>' in html
    assert web.EXPLORER_JS.read_text(encoding='utf-8') in html
    assert web.COMMON_JS.read_text(encoding='utf-8') in html
    assert not re.search(r'https?://|src=|href=', html), '探索器不应引用任何外部文件'
    assert html.count('</script>') == 3                      # JSON 里的 </ 已转义


def test_custom_digits_and_errors(raises_chinese, digits):
    config = web.explorer_config(7, default_preset='模糊')
    assert config['index'] == 7
    assert config['preset'] == '模糊'
    with raises_chinese(ValueError, '不存在'):
        web.explorer_config(default_preset='不存在')


def test_show_explorer_returns_html():
    pytest.importorskip('IPython')
    shown = web.show_explorer(0)
    assert shown.data.startswith('<div class="book-explorer kernel-explorer"')


# ---- (b) 浏览器（标记 browser：pytest -m 'not browser' 可以跳过）----

@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('browser'))
    yield driver
    driver.quit()


@pytest.fixture(scope='module')
def page_url(tmp_path_factory, html):
    return write_page(tmp_path_factory.mktemp('page') / 'explorer.html', html, '卷积核探索器')


@pytest.fixture
def page(driver, page_url):
    """打开一个全新的探索器页面；测试结束时要求控制台没有错误。"""
    driver.get(page_url)
    explorer = driver.find_element('css selector', 'div.kernel-explorer')
    assert explorer.get_attribute('data-ready') == '1'
    yield explorer
    assert console_errors(driver) == []


READ = """
const div = arguments[0], all = role => [...div.querySelectorAll(`[data-role="${role}"]`)];
return {text: all('sum')[0].textContent, sum: Number(div.dataset.sum),
        row: Number(div.dataset.row), col: Number(div.dataset.col),
        window: all('window').map(c => Number(c.dataset.value)),
        products: all('products').map(c => Number(c.dataset.value)),
        weights: all('weight').map(box => Number(box.value))};
"""


def read(explorer):
    """一次读出页面显示的全部数字（一次脚本调用，播放中也不会读到两个不同时刻的值）。"""
    return explorer.parent.execute_script(READ, explorer)


def checked(values):
    """检查 data-role="sum" 的文字（4 位小数）与 dataset 一致，返回 (行, 列, 输出像素)。"""
    assert re.fullmatch(r'-?\d+\.\d{4}', values['text']), values['text']
    assert abs(float(values['text']) - values['sum']) <= 6e-5
    return values['row'], values['col'], float(values['text'])


def shown(explorer):
    """页面当前显示的 (行, 列, 输出像素)。"""
    return checked(read(explorer))


def check_against_lib(explorer, image, kernel):
    """页面上的输出像素、窗口、乘积与 lib 的两种算法一致；返回 (行, 列)。"""
    values = read(explorer)
    row, col, total = checked(values)
    state = viz.kernel_state(image, kernel, row, col)
    assert total == pytest.approx(state['total'], abs=TOLERANCE)
    assert total == pytest.approx(float(viz.feature_maps(image, [kernel])[0][row, col]), abs=TOLERANCE)
    np.testing.assert_allclose(np.reshape(values['window'], (3, 3)), state['window'], atol=1e-4, rtol=0)
    np.testing.assert_allclose(np.reshape(values['products'], (3, 3)), state['products'],
                               atol=TOLERANCE, rtol=0)
    return row, col


def page_kernel(explorer):
    return np.reshape(read(explorer)['weights'], (3, 3))


@pytest.mark.browser
def test_controls_and_accessibility(page):
    assert len(role(page, 'weight')) == 9
    for name in ('digit', 'preset', 'row', 'col', 'play', 'sum'):
        assert len(role(page, name)) == 1, name
    assert len(role(page, 'step')) == 2
    assert [len(role(page, name)) for name in ('window', 'products')] == [9, 9]
    assert [b.text for b in role(page, 'step')] + [role(page, 'play')[0].text] == ['上一步', '下一步', '播放']
    for canvas in page.find_elements('css selector', 'canvas'):
        assert canvas.get_attribute('role') == 'img'
        assert re.search(r'[\u4e00-\u9fff]', canvas.get_attribute('aria-label'))
    for control in page.find_elements('css selector', 'input, select'):   # 每个控件都有名字
        labelled = control.get_attribute('aria-label') or page.parent.execute_script(
            'return arguments[0].closest("label") !== null', control)
        assert labelled, control.get_attribute('outerHTML')


@pytest.mark.browser
def test_default_state_matches_lib(page, html, digits):
    images, _ = digits
    row, col = check_against_lib(page, images[0], '竖直边缘')     # 与控件相同：测试集第 0 张
    assert [row, col] == parse_config(html)['start']
    assert abs(shown(page)[2]) > 1                                 # 一开始的窗口就压在笔画上
    np.testing.assert_allclose(page_kernel(page), viz.KERNELS['竖直边缘'], atol=1e-6)


@pytest.mark.browser
def test_every_digit_and_preset(driver, page, digits):
    images, _ = digits
    set_value(driver, role(page, 'row')[0], 10)
    set_value(driver, role(page, 'col')[0], 12)
    for index in (0, 3, 17, 42, web.ONLINE_DIGITS - 1):
        set_value(driver, role(page, 'digit')[0], index)
        for name, kernel in viz.KERNELS.items():
            set_value(driver, role(page, 'preset')[0], name)
            np.testing.assert_allclose(page_kernel(page), kernel, atol=1e-6)
            assert check_against_lib(page, images[index], name) == (10, 12)


@pytest.mark.browser
def test_sliders_move_the_window(driver, page, digits):
    images, _ = digits
    set_value(driver, role(page, 'digit')[0], 5)                 # 测试集第 5 张
    set_value(driver, role(page, 'preset')[0], '锐化')
    for row, col in ((0, 0), (5, 20), (25, 25), (17, 3)):
        set_value(driver, role(page, 'row')[0], row)
        set_value(driver, role(page, 'col')[0], col)
        assert check_against_lib(page, images[5], '锐化') == (row, col)


@pytest.mark.browser
def test_edited_weight(driver, page, digits):
    images, _ = digits
    set_value(driver, role(page, 'preset')[0], '模糊')
    set_value(driver, role(page, 'row')[0], 8)
    set_value(driver, role(page, 'col')[0], 9)
    set_value(driver, role(page, 'weight')[4], 2.5)              # 中心权重
    set_value(driver, role(page, 'weight')[0], -1)
    kernel = viz.KERNELS['模糊'].copy()
    kernel[1, 1], kernel[0, 0] = 2.5, -1
    check_against_lib(page, images[0], kernel)
    assert role(page, 'preset')[0].get_attribute('value') == ''   # 显示“自定义”
    set_value(driver, role(page, 'preset')[0], '恒等')           # 再选预设：九个权重都换掉
    np.testing.assert_allclose(page_kernel(page), viz.KERNELS['恒等'])
    assert check_against_lib(page, images[0], '恒等') == (8, 9)


@pytest.mark.browser
def test_step_buttons(driver, page, digits):
    images, _ = digits
    previous, following = role(page, 'step')
    set_value(driver, role(page, 'row')[0], 13)
    set_value(driver, role(page, 'col')[0], 25)
    following.click()                                             # 行末 → 下一行开头
    assert check_against_lib(page, images[0], '竖直边缘') == (14, 0)
    previous.click()
    previous.click()
    assert check_against_lib(page, images[0], '竖直边缘') == (13, 24)
    set_value(driver, role(page, 'row')[0], 0)
    set_value(driver, role(page, 'col')[0], 0)
    previous.click()                                              # 已在开头：不动
    assert shown(page)[:2] == (0, 0)


def position(explorer):
    row, col, _ = shown(explorer)
    return row * SIZE + col


@pytest.mark.browser
def test_play_advances_and_pauses(driver, page, digits):
    from selenium.webdriver.support.ui import WebDriverWait

    images, _ = digits
    play = role(page, 'play')[0]
    start = position(page)
    play.click()
    assert play.text == '暂停'
    WebDriverWait(driver, 10).until(lambda _: position(page) >= start + 3)
    play.click()
    assert play.text == '播放'
    paused = position(page)
    time.sleep(0.5)
    assert position(page) == paused
    check_against_lib(page, images[0], '竖直边缘')

    set_value(driver, role(page, 'row')[0], 25)                 # 播到最后一格自动停下
    set_value(driver, role(page, 'col')[0], 22)
    play.click()
    WebDriverWait(driver, 10).until(lambda _: play.text == '播放')
    assert shown(page)[:2] == (25, 25)
    play.click()                                                  # 在最后一格再播：从头开始
    WebDriverWait(driver, 10).until(lambda _: 0 < position(page) < 100)
    play.click()


@pytest.mark.browser
def test_feature_map_filled_up_to_position(driver, page):
    set_value(driver, role(page, 'row')[0], 10)
    set_value(driver, role(page, 'col')[0], 4)
    canvas = role(page, 'feature-map')[0]
    pixel = 'const c = arguments[0].getContext("2d").getImageData(arguments[1], arguments[2], 1, 1).data;' \
            'return [c[0], c[1], c[2]];'
    scale = int(canvas.get_attribute('width')) // SIZE
    centre = scale // 2

    def colour(i, j):
        return driver.execute_script(pixel, canvas, j * scale + centre, i * scale + centre)

    grey = [200, 200, 200]
    assert colour(10, 5) == grey and colour(25, 0) == grey        # 还没算到
    assert colour(10, 3) != grey and colour(0, 25) != grey        # 已经算过


@pytest.mark.browser
def test_only_local_requests(driver, page_url):
    requested_urls(driver)                                        # 清空之前的日志
    driver.get(page_url)
    urls = requested_urls(driver)
    assert urls and all(url.startswith(('file://', 'data:')) for url in urls), urls
    assert console_errors(driver) == []


@pytest.mark.browser
def test_two_explorers_on_one_page(driver, tmp_path, html, digits):
    images, _ = digits
    driver.get(write_page(tmp_path / 'twice.html', html + '<p>中间的文字</p>\n' + html))
    first, second = driver.find_elements('css selector', 'div.kernel-explorer')
    assert [len(e.find_elements('css selector', '.bx-ui')) for e in (first, second)] == [1, 1]
    assert len(driver.find_elements('css selector', 'style#book-explorer-style')) == 1
    set_value(driver, role(second, 'row')[0], 2)
    set_value(driver, role(second, 'preset')[0], '拉普拉斯')
    row, col = parse_config(html)['start']
    assert check_against_lib(second, images[0], '拉普拉斯') == (2, col)
    assert check_against_lib(first, images[0], '竖直边缘') == (row, col)
    assert console_errors(driver) == []


# ---- 颜色：网页与笔记本同一套（调色板由 Python 写进页面） ----

def test_palette_comes_from_lib_style(html):
    assert parse_config(html)['palette'] == style.palette_data()


CELL_COLORS = """
const cells = [...arguments[0].querySelectorAll('[data-role="products"]')];
return cells.map(c => [getComputedStyle(c).backgroundColor, getComputedStyle(c).color]);
"""


def rgb_triplet(css):
    return np.array([int(v) for v in re.findall(r'\d+', css)[:3]])


@pytest.mark.browser
def test_product_cells_use_the_notebook_colours(driver, page, digits):
    """页面里乘积格子的底色与字色，等于笔记本的图（matplotlib 的 RdBu_r 与 style.text_color）给出的颜色。"""
    import matplotlib.pyplot as plt

    set_value(driver, role(page, 'preset')[0], '锐化')
    products = np.array(read(page)['products'])
    limit = style.symmetric_limit(products)
    fig, ax = plt.subplots()
    artist = ax.imshow(products.reshape(3, 3), cmap=style.DIVERGING, vmin=-limit, vmax=limit)
    expected_rgb = np.asarray(artist.cmap(artist.norm(products)))[:, :3] * 255
    expected_text = style.text_color(artist, products)
    luminance = style.relative_luminance(artist.cmap(artist.norm(products)))
    assert len(set(expected_text)) == 2                                   # 这一窗口里黑字、白字都有
    for (background, color), rgb, text, lum in zip(driver.execute_script(CELL_COLORS, page), expected_rgb,
                                                   expected_text, luminance, strict=True):
        assert np.abs(rgb_triplet(background) - rgb).max() <= 4, (background, rgb)   # 最多差一个采样点
        if abs(lum - style.LUMINANCE_THRESHOLD) > 0.01:
            assert tuple(rgb_triplet(color)) == ((0, 0, 0) if text == 'black' else (255, 255, 255))
