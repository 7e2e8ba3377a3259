"""手机上读书：在 390×844 的视口里（像 iPhone 那样排版、触屏），书的每一章与每个页内探索器都能用。

* 页面不能横向滚动（代码块、表格与探索器自己的横向滚动区域里可以）；
* 每个探索器的每个控件（输入框、下拉框、滑块、按钮、书写区）都完整地落在屏幕宽度之内；
* 截图：每章顶部与每个探索器各一张，存到 _build/screenshots/phone/，供人检查。

书的位置可用环境变量 BOOK_HTML 指定（默认 _build/html）；缺浏览器时的规则见 tests/browser.py。
"""

import os
import time
from pathlib import Path

import pytest
from browser import console_errors, emulate_phone, make_driver, serve, stop_emulation

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get('BOOK_HTML', ROOT / '_build' / 'html'))
SHOTS = HTML.parent / 'screenshots' / 'phone'
CHAPTERS = sorted(str(p.relative_to(HTML).with_suffix('')) for p in (HTML / 'chapters').glob('*.html')) \
    if (HTML / 'chapters').is_dir() else []
WIDTH, HEIGHT = 390, 844

if not (HTML / 'index.html').is_file():
    message = '没有找到 _build/html：先运行 make book'
    if os.environ.get('CI') == 'true':
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)

# 页面上比视口还宽的元素（允许在自己的横向滚动区域里的除外）
OVERFLOW = """
const width = document.documentElement.clientWidth;
// 自己能横向滚动的区域（代码块、表格、公式、探索器）里的元素，以及收起的侧栏（不可见）里的，不算
const allowed = el => {
  if (el.closest('pre, .highlight, .cell_output, table, mjx-container, .math')) return true;
  if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return true;
  for (let e = el.parentElement; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1) return true;
    if (style.position === 'fixed') return true;
  }
  return false;
};
const wide = [...document.querySelectorAll('main *')].filter(el => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && (r.right > width + 1 || r.left < -1) && !allowed(el);
}).slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'));
return {scrollWidth: document.documentElement.scrollWidth, width, wide};
"""

# 探索器里落在屏幕外的控件（在探索器自己的横向滚动表格里的除外，例如图转列的列号）
OFF_SCREEN = """
const width = document.documentElement.clientWidth;
return [...arguments[0].querySelectorAll('input, select, button, canvas[tabindex]')]
  .filter(c => !c.closest('.bx-scroll'))
  .filter(c => {
    const r = c.getBoundingClientRect();
    return r.left < -1 || r.right > width + 1 || r.width === 0;
  })
  .map(c => c.outerHTML.slice(0, 120));
"""


@pytest.fixture(scope='module')
def phone(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('phone'))
    driver.set_page_load_timeout(60)
    emulate_phone(driver, WIDTH, HEIGHT)
    with serve(HTML) as site:
        yield driver, site
    stop_emulation(driver)
    driver.quit()


@pytest.mark.browser
@pytest.mark.parametrize('chapter', CHAPTERS)
def test_chapter_on_a_phone(phone, chapter):
    driver, site = phone
    driver.get(f'{site}{chapter}.html')
    time.sleep(1)
    layout = driver.execute_script(OVERFLOW)
    assert layout['width'] == WIDTH, layout
    assert layout['scrollWidth'] <= WIDTH + 1 and not layout['wide'], \
        f'{chapter}.html 在手机上能横向滚动：{layout}'
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = Path(chapter).name
    assert driver.save_screenshot(str(SHOTS / f'{name}.png'))
    explorers = driver.find_elements('css selector', 'div.book-explorer')
    for k, explorer in enumerate(explorers):
        driver.execute_script('arguments[0].scrollIntoView({block: "start"})', explorer)
        time.sleep(0.2)
        assert explorer.get_attribute('data-ready') == '1'
        off = driver.execute_script(OFF_SCREEN, explorer)
        assert not off, f'{chapter}.html 第 {k} 个探索器在手机上有控件落在屏幕外：{off}'
        assert driver.save_screenshot(str(SHOTS / f'{name}-{explorer.get_attribute("data-kind")}.png'))
    data = (SHOTS / f'{name}.png').read_bytes()
    assert int.from_bytes(data[16:20], 'big') == 2 * WIDTH       # 截图就是手机的宽度（2 倍像素密度）
    print(f'\n手机截图：{name}（{len(explorers)} 个探索器）→ {SHOTS}')
    assert [e for e in console_errors(driver) if 'favicon' not in e['message']] == []
