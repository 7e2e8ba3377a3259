"""在无头浏览器里检查构建好的书（_build/html，由 make book 生成；make test 会先构建）。

用 Python 自带的 http.server 在 127.0.0.1 上提供整本书（后台线程），整个模块共用一个浏览器：

1. 每一页（_static 以外的全部 .html，含 search.html）打开时控制台没有错误，
   也不访问 127.0.0.1 / localhost 以外的任何主机（data:、blob: 网址不算）。
2. 章节里的公式已由 MathJax 排好（有 mjx-container），正文里看不到 $…$、\\(…\\) 之类的 TeX 原文。
3. 剩下的 jshtml 动画能播放，播放器里没有英文；第 1、2 章不再有与探索器重复的动画。
4. 页内探索器在控件的位置（第 1–7 章），算出的数与 lib 一致；第 4 章“写一个数字”用构建时训练的网络，
   把测试数字重写成笔画，认对“1”和“0”，概率与 lib 的前向传播一致。
5. 中文搜索：search.html?q=术语 的结果里有讲这个术语的章节。
6. 引言与各章的整页截图存到 _build/screenshots/，供人检查排版与中文字形。
7. 每页的每张图片都加载成功（naturalWidth > 0）。

缺浏览器时的规则见 tests/browser.py；书的位置可用环境变量 BOOK_HTML 指定（同 tests/test_book_html.py）。
"""

import base64
import functools
import json
import os
import re
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlparse

import numpy as np
import pytest
from browser import console_errors, make_driver, requested_urls, role, set_value

import lib
from lib.viz import ch1_intuition as viz

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get('BOOK_HTML', ROOT / '_build' / 'html'))  # 可指向别处构建的书
SCREENSHOTS = HTML.parent / 'screenshots'
CHAPTERS = ['chapters/01_convolution_intuition', 'chapters/02_im2col', 'chapters/03_training',
            'chapters/04_pooling', 'chapters/05_backward_as_convolution', 'chapters/06_channels_and_cost',
            'chapters/07_modern_blocks']
EXPLORER_PAGE = 'chapters/01_convolution_intuition'
LOCAL_HOSTS = {'127.0.0.1', 'localhost'}
WAIT = 30            # 秒：页面、MathJax、搜索结果的最长等待
MAX_HEIGHT = 8000    # 整页截图的最大高度（像素）
TOLERANCE = 1e-3     # 探索器显示 4 位小数

if not (HTML / 'index.html').is_file():
    message = '没有找到 _build/html：先运行 make book（make test 会自动先构建）'
    if os.environ.get('CI') == 'true':
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)


def pages():
    """书里的全部页面（相对路径，去掉 .html），_static 里的除外。"""
    return sorted(str(p.relative_to(HTML).with_suffix('')) for p in HTML.rglob('*.html')
                  if '_static' not in p.relative_to(HTML).parts)


# ---- 本地网站与浏览器（整个模块共用）----

class QuietHandler(SimpleHTTPRequestHandler):
    """只读地提供书的文件，不在测试输出里逐条打印请求。"""

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope='module')
def site():
    """在 127.0.0.1 的随机端口上提供整本书，返回网站根网址（以 / 结尾）。"""
    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_port}/'
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('browser'))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(WAIT)
    yield driver
    driver.quit()


def wait_until(driver, condition, message, timeout=WAIT):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda _: condition(), message)


MATHJAX_STATE = """
const done = arguments[arguments.length - 1];
if (!document.querySelector('script[src*="mathjax"]')) { done('none'); return; }
const mj = window.MathJax;
if (!(mj && mj.startup && mj.startup.promise)) { done(''); return; }   // 脚本还没运行：再问
mj.startup.promise.then(() => done('typeset'), error => done('error: ' + error));
"""

IMAGES_LOADED = """
const done = arguments[arguments.length - 1];
const images = [...document.images];
const settled = img => img.complete ? Promise.resolve() : new Promise(resolve => {
  img.addEventListener('load', resolve, {once: true});
  img.addEventListener('error', resolve, {once: true});
});
images.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });   // 不在视口里也要加载
Promise.race([Promise.all(images.map(settled)), new Promise(resolve => setTimeout(resolve, 15000))])
  .then(() => done(images.map(img => ({src: (img.getAttribute('src') || '').slice(0, 80), id: img.id,
                                       alt: img.alt, width: img.naturalWidth}))));
"""


def open_page(driver, url):
    """打开页面，等它加载完、MathJax 排完公式、图片都加载（或失败）；返回图片清单。"""
    driver.get(url)
    if urlparse(url).path.endswith('/index.html') or urlparse(url).path == '/':
        # index.html 只是 <meta http-equiv="Refresh"> 跳转到引言：等跳转完成
        wait_until(driver, lambda: not driver.current_url.endswith(('/index.html', '/')), f'{url} 没有跳转')
    wait_until(driver, lambda: driver.execute_script('return document.readyState') == 'complete',
               f'{url} 没有加载完')
    state = wait_until(driver, lambda: driver.execute_async_script(MATHJAX_STATE), f'{url}：MathJax 没有启动')
    assert not state.startswith('error'), f'{url}：MathJax 出错：{state}'
    return driver.execute_async_script(IMAGES_LOADED)


def page_errors(driver, site):
    """控制台里的 SEVERE 消息，去掉浏览器自己去取 /favicon.ico 的 404（那不是页面发出的请求）。"""
    return [entry['message'] for entry in console_errors(driver)
            if not entry['message'].startswith(f'{site}favicon.ico ')]


def foreign_hosts(urls):
    """网址中 127.0.0.1 / localhost 以外的主机（data:、blob:、about: 网址不算）。"""
    hosts = set()
    for url in urls:
        parts = urlparse(url)
        if parts.scheme in ('data', 'blob', 'about') or parts.hostname in LOCAL_HOSTS:
            continue
        hosts.add(parts.hostname or url)
    return hosts


PROSE_TEXT = """
// 正文的文字：跳过代码、脚本与 MathJax 已排好的公式（代码里的 r'$...$' 本来就该原样显示）
const skip = 'pre, code, script, style, textarea, noscript, mjx-container, .highlight, .cell_input';
const root = document.querySelector('main') || document.body;
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
const parts = [];
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.parentElement.closest(skip)) parts.push(node.textContent);
}
return parts.join(' ');
"""

UNTYPESET_MATH = """
// Sphinx 输出的公式容器（span.math / div.math）里若没有 mjx-container，就是 MathJax 没处理它
return [...document.querySelectorAll('span.math, div.math')]
  .filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 80));
"""

RAW_TEX = re.compile(r'\$[^$\s][^$]{0,200}\$|\\[()[\]]|\\[a-zA-Z]{2,}|[_^]\{')


@pytest.fixture(scope='module')
def visits(driver, site):
    """依次打开每一页一次，记下请求过的网址、控制台错误、图片与公式的情况。"""
    records = {}
    for name in pages():
        requested_urls(driver)                  # 清空上一页留下的日志
        console_errors(driver)
        images = open_page(driver, f'{site}{name}.html')
        time.sleep(0.3)                         # 让页面加载后才发出的请求、错误也进日志
        records[name] = {
            'urls': requested_urls(driver),
            'errors': page_errors(driver, site),
            'images': images,
            'math': driver.execute_script('return document.querySelectorAll("mjx-container").length'),
            'untypeset': driver.execute_script(UNTYPESET_MATH),
            'prose': driver.execute_script(PROSE_TEXT),
        }
    return records


# ---- 1. 控制台没有错误，也不访问外部主机 ----

@pytest.mark.browser
def test_every_page_is_visited(visits):
    assert {'index', 'intro', 'search', *CHAPTERS} <= set(visits)


@pytest.mark.browser
def test_no_console_errors(visits):
    errors = {name: visit['errors'] for name, visit in visits.items() if visit['errors']}
    assert not errors, '页面的控制台有错误：\n' + '\n'.join(
        f'{name}.html: {message}' for name, messages in errors.items() for message in messages)


@pytest.mark.browser
def test_no_requests_to_other_hosts(visits):
    hosts = {}                                  # 主机 → {页面: [网址]}
    for name, visit in visits.items():
        for url in visit['urls']:
            for host in foreign_hosts([url]):
                hosts.setdefault(host, {}).setdefault(f'{name}.html', []).append(url)
    print(f'\n访问过的非本地主机（共 {len(visits)} 页）：{sorted(hosts)}')
    assert all(visit['urls'] for visit in visits.values())
    assert not hosts, '页面访问了外部主机：\n' + '\n'.join(
        f'{host}：' + '；'.join(f'{page} 请求 {", ".join(sorted(set(urls)))}'
                               for page, urls in by_page.items())
        for host, by_page in sorted(hosts.items()))


# ---- 2. 公式已排版 ----

@pytest.mark.browser
@pytest.mark.parametrize('chapter', CHAPTERS)
def test_math_is_typeset(visits, chapter):
    visit = visits[chapter]
    assert visit['math'] > 0, f'{chapter}.html 里没有 MathJax 输出（mjx-container）'
    assert visit['untypeset'] == [], f'{chapter}.html 里有没排版的公式'
    raw = [match.group() for match in RAW_TEX.finditer(visit['prose'])]
    assert raw == [], f'{chapter}.html 的正文里有 TeX 原文：{raw[:10]}'


# ---- 3. 动画：只留探索器没有展示的；播放器没有英文 ----

FRAME_CHANGED = 'return arguments[0].src !== arguments[0].dataset.testFirstFrame;'
ENGLISH_UI = re.compile(r'\b(Once|Loop|Reflect|Play|Pause|Next frame|Previous frame|Color mode|'
                        r'Toggle hidden content)\b')


@pytest.mark.browser
@pytest.mark.parametrize('chapter', CHAPTERS)
def test_animations_play_and_speak_chinese(driver, site, chapter):
    """页面里若还有 jshtml 动画：点“播放”帧会换，按钮与循环方式是中文。有探索器的地方不再有重复的动画。"""
    from selenium.webdriver.common.by import By

    open_page(driver, f'{site}{chapter}.html')
    console_errors(driver)
    images = driver.find_elements(By.CSS_SELECTOR, 'img[id^="_anim_img"]')
    if chapter in ('chapters/01_convolution_intuition', 'chapters/02_im2col'):
        assert not images, f'{chapter}.html 里的动画与页内探索器重复'
    for image in images:
        player = image.find_element(By.XPATH, './ancestor::div[contains(@class, "animation")][1]')
        text = player.get_attribute('innerText') + ' '.join(
            (b.get_attribute('title') or '') + ' ' + (b.get_attribute('aria-label') or '')
            for b in player.find_elements(By.CSS_SELECTOR, 'button, input'))
        assert not ENGLISH_UI.search(text), f'{chapter}.html 的动画播放器里有英文：{text[:200]}'
        play = player.find_element(By.CSS_SELECTOR, 'button[onclick*="play_animation"]')
        driver.execute_script('arguments[0].dataset.testFirstFrame = arguments[0].src;'
                              'arguments[1].scrollIntoView({block: "center"});', image, play)
        play.click()
        wait_until(driver, functools.partial(driver.execute_script, FRAME_CHANGED, image),
                   f'{chapter}.html：点播放后动画的帧没有变', timeout=5)
    assert page_errors(driver, site) == []


# ---- 4. 页内探索器：在控件的位置，算得与 lib 一样 ----

EXPLORERS_BY_PAGE = {
    'chapters/01_convolution_intuition': ['kernel', 'gallery'],
    'chapters/02_im2col': ['im2col'],
    'chapters/03_training': ['featuremap'],
    'chapters/04_pooling': ['pooling', 'digit'],
    'chapters/05_backward_as_convolution': ['backward'],
    'chapters/06_channels_and_cost': ['cost'],
    'chapters/07_modern_blocks': ['deepstack', 'cam'],
}

CONFIG = 'return JSON.parse(arguments[0].querySelector(\'script[type="application/json"]\').textContent)'


def explorers_on(driver, site, chapter):
    from selenium.webdriver.common.by import By

    open_page(driver, f'{site}{chapter}.html')
    console_errors(driver)
    found = driver.find_elements(By.CSS_SELECTOR, 'div.book-explorer')
    assert [e.get_attribute('data-kind') for e in found] == EXPLORERS_BY_PAGE[chapter]
    assert all(e.get_attribute('data-ready') == '1' for e in found), '探索器的脚本没有运行'
    return {e.get_attribute('data-kind'): e for e in found}


def floats(text):
    return np.frombuffer(base64.b64decode(text), dtype='<f4')


@pytest.mark.browser
@pytest.mark.parametrize('chapter', list(EXPLORERS_BY_PAGE))
def test_explorer_in_place_of_widget(driver, site, chapter):
    """探索器就在控件的代码单元格的输出里（代码单元格仍然看得见），页面上没有别的控件输出。"""
    explorers = explorers_on(driver, site, chapter)
    for kind, explorer in explorers.items():
        if kind == 'digit':
            continue
        cell = driver.execute_script('return arguments[0].closest(".cell")', explorer)
        code = driver.execute_script('const c = arguments[0].querySelector(".cell_input pre");'
                                     'return c ? c.innerText : ""', cell)
        assert 'Explorer(' in code, f'{chapter}.html：{kind} 探索器不在控件的代码单元格下面（{code[:80]!r}）'
    assert page_errors(driver, site) == []


# (测试集序号, 卷积核预设, 行, 列, 改动的权重 {序号（按行）: 新值})
EXPLORER_SETTINGS = [
    (5, '锐化', 5, 20, {}),
    (17, '模糊', 7, 18, {}),
    (3, '竖直边缘', 8, 9, {4: 2.5, 0: -1}),
]


@pytest.mark.browser
def test_explorer_matches_lib(driver, site):
    explorer = explorers_on(driver, site, EXPLORER_PAGE)['kernel']
    images, _ = lib.load_digits()
    for index, preset, row, col, edits in EXPLORER_SETTINGS:
        set_value(driver, role(explorer, 'digit')[0], index)
        set_value(driver, role(explorer, 'preset')[0], preset)
        set_value(driver, role(explorer, 'row')[0], row)
        set_value(driver, role(explorer, 'col')[0], col)
        kernel = viz.KERNELS[preset].astype(float)
        for k, value in edits.items():
            set_value(driver, role(explorer, 'weight')[k], value)
            kernel.flat[k] = value
        if edits:
            assert role(explorer, 'preset')[0].get_attribute('value') == '', '改过权重后预设应显示“自定义”'
        shown = role(explorer, 'sum')[0].get_attribute('textContent')
        position = [explorer.get_attribute('data-row'), explorer.get_attribute('data-col')]
        assert position == [str(row), str(col)]
        expected = viz.kernel_state(images[index], kernel, row, col)['total']
        print(f'\n探索器：测试集第 {index} 张、{preset}、改动 {edits}、({row}, {col})：'
              f'页面 {shown}，lib {expected:.4f}')
        assert float(shown) == pytest.approx(expected, abs=TOLERANCE), (index, preset, row, col, edits)
    assert page_errors(driver, site) == []


@pytest.mark.browser
def test_book_explorers_match_lib(driver, site):
    """第 1–4 章页面里的其余探索器：数字来自页面，与 lib 在同样的数据、同样的权重上算的结果对照。"""
    from lib.viz import ch2_im2col as v2
    from lib.viz import ch4_pooling as v4

    images, labels = lib.load_digits()
    worst = {}
    gallery = explorers_on(driver, site, 'chapters/01_convolution_intuition')['gallery']
    set_value(driver, role(gallery, 'digit')[0], 42)
    state = driver.execute_script('return arguments[0].explorerState', gallery)
    expected = viz.feature_maps(images[42], state['names'])
    worst['特征图画廊'] = float(np.abs(np.reshape(state['maps'], expected.shape) - expected).max())

    im2col = explorers_on(driver, site, 'chapters/02_im2col')['im2col']
    config = driver.execute_script(CONFIG, im2col)
    set_value(driver, role(im2col, 'stride')[0], 2)
    set_value(driver, role(im2col, 'padding')[0], 1)
    role(im2col, 'output-button')[3].click()
    state = driver.execute_script('return arguments[0].explorerState', im2col)
    expected = v2.im2col_state(np.array(config['image']), np.array(config['kernel']), config['bias'],
                               1, 1, 2, 1)
    np.testing.assert_array_equal(state['column'], expected['column'])
    worst['图转列探索器'] = abs(state['value'] - expected['value'])

    fmaps = explorers_on(driver, site, 'chapters/03_training')['featuremap']
    config = driver.execute_script(CONFIG, fmaps)
    conv = lib.Convolution(1, config['channels'], config['k'])
    conv.weight.data = floats(config['weight']).reshape(conv.weight.data.shape)
    conv.bias.data = floats(config['bias'])
    set_value(driver, role(fmaps, 'digit')[0], 17)
    set_value(driver, role(fmaps, 'channel')[0], 12)
    state = driver.execute_script('return arguments[0].explorerState', fmaps)
    expected = conv(lib.Tensor(images[17][None, None])).data[0, 12]
    worst['特征图探索器（构建时训练的卷积层）'] = float(
        np.abs(np.reshape(state['map'], expected.shape) - expected).max())

    pooling = explorers_on(driver, site, 'chapters/04_pooling')['pooling']
    set_value(driver, role(pooling, 'digit')[0], 5)
    pooling.find_element('css selector', '[data-role="size"][value="3"]').click()
    pooling.find_element('css selector', '[data-role="mode"][value="avg"]').click()
    state = driver.execute_script('return arguments[0].explorerState', pooling)
    expected = v4.pooling_state(images[5], 3, 'avg')
    worst['池化探索器'] = float(np.abs(np.reshape(state['pooled'], expected['pooled'].shape)
                                    - expected['pooled']).max())
    print('\n书里的探索器与 lib 的最大差：' + '；'.join(f'{k} {v:.2e}' for k, v in worst.items()))
    assert max(worst.values()) < 1e-4
    assert page_errors(driver, site) == []


@pytest.mark.browser
def test_book_explorers_ch5_to_7_match_lib(driver, site):
    """第 5–7 章页面里的探索器：反向传播的“谁读谁”、深网络的逐层统计量（lib 重算）、类激活图的
    softmax 与放大（lib 的公式）、卷积代价（lib.summary）。"""
    from lib.viz import ch5_backward as v5
    from lib.viz import ch6_channels as v6
    from lib.viz import ch7_modern as v7

    images, labels = lib.load_digits()
    worst = {}
    backward = explorers_on(driver, site, 'chapters/05_backward_as_convolution')['backward']
    mismatches = 0
    settings = [(2, 'input', 3, 3), (2, 'input', 4, 5), (1, 'output', 4, 0), (2, 'output', 1, 2)]
    for stride, mode, row, col in settings:
        backward.find_element('css selector', f'[data-role="stride"][value="{stride}"]').click()
        backward.find_element('css selector', f'[data-role="mode"][value="{mode}"]').click()
        set_value(driver, role(backward, 'row')[0], row)
        set_value(driver, role(backward, 'col')[0], col)
        state = driver.execute_script('return arguments[0].explorerState', backward)
        expected = v5.backward_state(7, 3, stride, mode, row, col)
        shown = {(r[0], r[1]): (None if r[2] is None else (r[2], r[3])) for r in state['outputs']}
        mismatches += shown != expected['outputs']
        shown = {(r[0], r[1]): (None if r[2] is None else (r[2], r[3])) for r in state['inputs']}
        mismatches += shown != expected['inputs']
    worst['反向传播探索器（不一致的像素集）'] = float(mismatches)

    modern = explorers_on(driver, site, 'chapters/07_modern_blocks')
    stack = modern['deepstack']
    stack.find_element('css selector', '[data-role="blocks"][value="8"]').click()
    role(stack, 'shortcut')[0].click()                  # 平坦 + 批归一化
    state = driver.execute_script('return arguments[0].explorerState', stack)
    assert (state['batchnorm'], state['shortcut'], state['blocks']) == (True, False, 8)
    expected = v7.stack_statistics(images[:16], labels[:16], 8, 8, True, False, seed=0)
    worst['深网络探索器'] = max(float(np.abs(np.array(state[k]) - expected[k]).max())
                           for k in ('activation_std', 'activation_grad', 'weight_grad'))

    cam = modern['cam']
    config = driver.execute_script(CONFIG, cam)
    set_value(driver, role(cam, 'digit')[0], 3)
    set_value(driver, role(cam, 'target')[0], 5)
    state = driver.execute_script('return arguments[0].explorerState', cam)
    scores = floats(config['scores']).reshape(-1, 10)[3].astype(np.float64)
    p = np.exp(scores - scores.max())
    big = v7.upsample(np.maximum(np.reshape(state['cam'], (config['h'], config['w'])), 0), 28)
    worst['类激活图查看器'] = max(float(np.abs(np.array(state['probabilities']) - p / p.sum()).max()),
                             float(np.abs(np.array(state['overlay']) - (big / big.max()).ravel()).max()),
                             abs(state['mean'] + config['bias'][5] - scores[5]))
    assert state['chosen'] == 5

    cost = explorers_on(driver, site, 'chapters/06_channels_and_cost')['cost']
    values = dict(C=16, F=4, k=5, stride=2, padding=0, H=20)
    for name, value in values.items():
        set_value(driver, role(cost, name)[0], value)
    state = driver.execute_script('return arguments[0].explorerState', cost)
    expected = v6.cost_state(**values)
    worst['卷积代价探索器'] = float(max(abs(state[k] - expected[k])
                                  for k in ('parameters', 'multiply_adds', 'activation_bytes')))
    print('\n第 5–7 章的探索器与 lib 的最大差：' + '；'.join(f'{k} {v:.2e}' for k, v in worst.items()))
    assert max(worst.values()) < 1e-4
    assert page_errors(driver, site) == []


def network_from_config(config):
    """按页面配置里的层与权重搭出 lib 的网络（页面里跑的就是它）。"""
    layers = []
    for layer in config['layers']:
        if layer['type'] == 'conv':
            w = floats(layer['weight'])
            conv = lib.Convolution(w.size // (layer['out'] * layer['k'] ** 2), layer['out'], layer['k'],
                                   stride=layer['stride'], padding=layer['padding'])
            conv.weight.data = w.reshape(conv.weight.data.shape)
            conv.bias.data = floats(layer['bias'])
            layers.append(conv)
        elif layer['type'] == 'linear':
            w = floats(layer['weight'])
            linear = lib.Linear(w.size // layer['out'], layer['out'])
            linear.weight.data = w.reshape(linear.weight.data.shape)
            linear.bias.data = floats(layer['bias'])
            layers.append(linear)
        elif layer['type'] in ('maxpool', 'avgpool'):
            layers.append((lib.MaxPool if layer['type'] == 'maxpool' else lib.AvgPool)(layer['k']))
        else:
            layers.append({'relu': lib.ReLU, 'flatten': lib.Flatten}[layer['type']]())
    return lib.Sequential(layers)


@pytest.mark.browser
def test_draw_digit_in_the_book(driver, site):
    """第 4 章页面里的“写一个数字”：用构建时训练出的网络；测试数字重写成笔画，认对“1”和“0”。"""
    from test_web_explorers import check_input_and_probabilities, digit_strokes, draw

    explorer = explorers_on(driver, site, 'chapters/04_pooling')['digit']
    network = network_from_config(driver.execute_script(CONFIG, explorer))
    images, labels = lib.load_digits()
    results = []
    for label in (1, 0):
        for k in range(3):
            index = int(np.flatnonzero(labels == label)[k])
            shown = draw(driver, explorer, digit_strokes(images[index]), 'touch' if k % 2 else 'mouse')
            diff = check_input_and_probabilities(network, shown)
            results.append((label, index, shown['predicted'], max(shown['probabilities']), diff))
    print('\n书里的“写一个数字”：' + '；'.join(f'测试集第 {i} 张（{lab}）→ {p}（{q:.1%}，与 lib 差 {d:.1e}）'
                                            for lab, i, p, q, d in results))
    assert all(label == predicted for label, _, predicted, _, _ in results), results
    assert page_errors(driver, site) == []


# ---- 5. 中文搜索 ----

SEARCH_TERMS = [
    ('卷积核', 'chapters/01_convolution_intuition'),
    ('图转列', 'chapters/02_im2col'),
    ('感受野', 'chapters/01_convolution_intuition'),
    ('互相关', 'chapters/01_convolution_intuition'),
    ('权值共享', 'chapters/01_convolution_intuition'),
    ('池化', 'chapters/04_pooling'),
]

SEARCH_FINISHED = """
const summary = document.querySelector('#search-results .search-summary');
return Boolean(summary && summary.innerText.trim());
"""

SEARCH_RESULTS = """
return [...document.querySelectorAll('#search-results ul.search > li')].map(li => {
  const a = li.querySelector('a');
  return {title: a ? a.innerText.trim() : '', href: a ? a.href : ''};
});
"""


@pytest.mark.browser
@pytest.mark.parametrize('term, chapter', SEARCH_TERMS)
def test_chinese_search(driver, site, term, chapter):
    open_page(driver, f'{site}search.html?q={quote(term)}')
    wait_until(driver, lambda: driver.execute_script(SEARCH_FINISHED), f'搜索“{term}”没有结束')
    results = driver.execute_script(SEARCH_RESULTS)
    summary = driver.execute_script(
        'return document.querySelector("#search-results .search-summary").innerText')
    print(f'\n搜索“{term}”：{summary.strip()}')
    for result in results:
        print(f'  {result["title"]} → {urlparse(result["href"]).path.lstrip("/")}')
    paths = [urlparse(result['href']).path for result in results]
    assert any(path.endswith(f'/{chapter}.html') for path in paths), \
        f'搜索“{term}”的结果里没有 {chapter}：{results}'


# ---- 6. 整页截图 ----

@pytest.mark.browser
@pytest.mark.parametrize('name', ['intro', *CHAPTERS])
def test_full_page_screenshot(driver, site, name):
    open_page(driver, f'{site}{name}.html')
    height = driver.execute_script(
        'return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f'{Path(name).name}.png'
    try:
        target = min(height, MAX_HEIGHT)
        driver.set_window_size(1280, target)
        chrome = target - driver.execute_script('return window.innerHeight')   # 窗口边框占去的高度
        if chrome > 0:
            driver.set_window_size(1280, target + chrome)
        driver.execute_async_script(IMAGES_LOADED)          # 窗口变高后新露出的部分也画好
        time.sleep(0.3)
        assert driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(1280, 900)
    data = path.read_bytes()
    assert data.startswith(b'\x89PNG\r\n\x1a\n') and len(data) > 10_000, f'{path} 不是有效的截图'
    width = int.from_bytes(data[16:20], 'big')
    print(f'\n截图：{path}（{width}×{int.from_bytes(data[20:24], "big")}，{len(data) // 1024} KB）')
    assert width >= 1200


# ---- 7. 图片都加载成功 ----

@pytest.mark.browser
def test_no_broken_images(visits):
    broken = [f'{name}.html: {image["src"] or "(没有 src)"} {image["id"]} alt={image["alt"][:30]!r}'
              for name, visit in visits.items() for image in visit['images'] if image['width'] <= 0]
    assert broken == [], '图片没有加载成功：\n' + '\n'.join(broken)
    assert sum(len(visits[name]['images']) for name in CHAPTERS) > 0


@pytest.mark.browser
def test_explorer_data_is_lib_data():
    """探索器配置里的数字就是 lib 的测试集（前 100 张，同样除以 255）。"""
    text = (HTML / f'{EXPLORER_PAGE}.html').read_text(encoding='utf-8')
    match = re.search(r'<div class="book-explorer kernel-explorer" data-kind="kernel">\s*'
                      r'<script type="application/json">(.*?)</script>', text, re.S)
    assert match, f'{EXPLORER_PAGE}.html 里没有探索器的 JSON 配置'
    config = json.loads(match.group(1).replace('<\\/', '</'))
    images, labels = lib.load_digits()
    data = config['digits']
    pixels = np.frombuffer(base64.b64decode(data['pixels']), dtype=np.uint8).reshape(-1, 28, 28)
    pixels = pixels / np.float32(255)
    np.testing.assert_array_equal(data['labels'], labels[:len(pixels)])
    np.testing.assert_allclose(pixels, images[:len(pixels)], atol=1e-7, rtol=0)
