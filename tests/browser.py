"""浏览器测试共用的工具：用 Selenium 驱动 Debian 的无头 Chromium。

* ``make_driver(tmp_path)``：启动浏览器，打开控制台日志与网络（performance）日志；
  浏览器或驱动缺失时按 ``missing_browser`` 的规则跳过或失败。
* ``requested_urls(driver)``：从网络日志里取出页面请求过的每个网址（检查“不访问外部网站”）。
* ``console_errors(driver)``：控制台里级别为 SEVERE 的消息。
* ``write_page(path, body, title)``：把一段 HTML 包成最小的 UTF-8 页面写进文件，返回 file:// 网址。
* ``serve(directory)``：在 127.0.0.1 上提供一个目录（with 语句里有效），给出网站根网址。
* ``emulate_phone(driver)`` / ``stop_emulation(driver)``：像手机（390×844、触屏）那样排版。
* ``BOOKS``、``book_pages(html)``、``require_book(html)``：构建好的书与学生版书的位置（环境变量
  ``BOOK_HTML``、``STUDENT_BOOK_HTML`` 可改）、书里 _static 以外的全部页面、书还没构建时跳过（CI 里失败）。
* ``role(element, name)`` / ``set_value(driver, element, value)``：找页内探索器里 ``data-role`` 为
  name 的元素；像用户那样改输入框。

缺浏览器时的规则：环境变量 ``CI`` 为 ``'true'`` 时测试失败（CI 必须真的跑浏览器测试），
否则跳过，并说明要装什么。
"""

import functools
import json
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOKS = {
    'book': Path(os.environ.get('BOOK_HTML', ROOT / '_build' / 'html')),
    'student_book': Path(os.environ.get('STUDENT_BOOK_HTML', ROOT / '_build' / 'student_book' / 'html')),
}
CHROMIUM = os.environ.get('CHROMIUM_BINARY', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')
INSTALL_HINT = ('请安装 Debian 的 chromium 与 chromium-driver'
                '（sudo apt-get install chromium chromium-driver），'
                '以及 PyPI 包 selenium（见 requirements.txt）；'
                '也可以用环境变量 CHROMIUM_BINARY、CHROMEDRIVER 指定路径。')


def missing_browser(reason):
    """缺少浏览器时：CI（环境变量 CI=true）里让测试失败，本地则跳过。两种情况都说明原因。"""
    message = f'浏览器测试无法运行：{reason}。{INSTALL_HINT}'
    if os.environ.get('CI') == 'true':
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def make_driver(tmp_path):
    """启动无头 Chromium，返回 Selenium 的 WebDriver（用完请 ``driver.quit()``）。

    Parameters
    ----------
    tmp_path : Path
        临时目录，用作浏览器的用户数据目录（每次测试一个全新的配置）。
    """
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing_browser('没有安装 selenium')
    for name, path in (('chromium', CHROMIUM), ('chromedriver', CHROMEDRIVER)):
        if not (Path(path).is_file() or shutil.which(path)):
            missing_browser(f'找不到 {name}（{path}）')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = Path(tmp_path) / 'chromium-profile'
    profile.mkdir(parents=True, exist_ok=True)
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--no-first-run', '--disable-background-networking', '--disable-component-update',
                '--disable-sync', '--window-size=1280,900', f'--user-data-dir={profile}'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
    try:
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    except WebDriverException as error:
        missing_browser(f'Chromium 启动失败（{error.msg}）')
    driver.get('about:blank')          # 离开浏览器自带的新标签页，再清空它留下的日志
    driver.get_log('performance')
    driver.get_log('browser')
    return driver


BROWSER_INTERNAL = ('chrome://', 'chrome-untrusted://', 'devtools://')


def requested_urls(driver, internal=False):
    """页面请求过的全部网址（来自 performance 日志里的 Network.requestWillBeSent）。

    performance 日志读一次就清空，所以每次调用只返回上次调用之后的请求。
    浏览器自己界面的网址（chrome:// 等，不经过网络）默认不列出；``internal=True`` 时也列出。
    """
    urls = []
    for entry in driver.get_log('performance'):
        message = json.loads(entry['message'])['message']
        if message.get('method') == 'Network.requestWillBeSent':
            urls.append(message['params']['request']['url'])
    return urls if internal else [url for url in urls if not url.startswith(BROWSER_INTERNAL)]


def console_errors(driver):
    """浏览器控制台里的错误（级别 SEVERE）；同样读一次就清空。"""
    return [entry for entry in driver.get_log('browser') if entry['level'] == 'SEVERE']


def write_page(path, body, title='测试页'):
    """把 HTML 片段包成最小的 UTF-8 页面写到 path，返回它的 file:// 网址。"""
    path = Path(path)
    path.write_text(f'<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
                    f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                    f'<title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n', encoding='utf-8')
    return path.resolve().as_uri()


@contextmanager
def serve(directory):
    """在 127.0.0.1 的随机端口上只读地提供 directory（后台线程），给出网站根网址（以 / 结尾）。"""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_port}/'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def emulate_phone(driver, width=390, height=844, scale=2):
    """让浏览器像手机那样排版（视口 width×height、触屏、按 viewport meta 缩放）。"""
    driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                           {'width': width, 'height': height, 'deviceScaleFactor': scale, 'mobile': True})
    driver.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': True, 'maxTouchPoints': 5})


def stop_emulation(driver):
    driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
    driver.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': False})


def role(element, name):
    """element 里 ``data-role`` 为 name 的全部元素（页内探索器用它标出各个部件）。"""
    return element.find_elements('css selector', f'[data-role="{name}"]')


def set_value(driver, element, value):
    """像用户那样改输入框：设 value，再发出 input 事件。"""
    driver.execute_script("arguments[0].value = arguments[1];"
                          "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                          element, str(value))


def book_pages(html):
    """构建好的书 html 里 _static 以外的全部页面（相对路径，带 .html）。"""
    return sorted(str(p.relative_to(html)) for p in Path(html).rglob('*.html')
                  if '_static' not in p.relative_to(html).parts)


def require_book(html):
    """书还没构建时：CI（环境变量 CI=true）里让测试失败，本地则跳过。"""
    if not (Path(html) / 'index.html').is_file():
        message = f'没有找到 {html}：先运行 make book 与 make student-book（make test 会自动先构建）'
        if os.environ.get('CI') == 'true':
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
