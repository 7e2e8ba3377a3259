"""学习者的路径：在 JupyterLab 里打开学生版第 1 章，从头运行全部单元格（无头 Chromium + Selenium）。

环境（``make venv`` 准备的虚拟环境，见 requirements.txt 与 Makefile）：

0. ``jupyter labextension list``：jupyterlab-myst 与 ipywidgets 的扩展已启用，nbgrader 的扩展已停用；
   ``jupyter server extension list``：nbgrader 的服务器扩展都已停用。

浏览器里（整个模块共用一个 JupyterLab 服务器和一个浏览器；全部单元格只运行一次）：

1. 每个代码单元格都运行了；报错的恰好是练习的检查单元格（学生版里带 ``raises-exception`` 标签、
   在“练习”一节之后），而且都是练习占位的 NotImplementedError；没有 stderr 输出。
2. 卷积核探索器（ipywidgets）：用键盘把“列 j”滑块挪一格，图就换了（内核重算、重画）。控件的输出
   同时带着在线书用的页内探索器（text/html），JupyterLab 显示的必须是控件本身。
3. （原来的滑动动画已从第 1 章去掉：在线书里由页内探索器代替。）
4. Markdown 由 jupyterlab-myst 渲染：看不到 ```{…}、:class: 之类的原文，数学式由 KaTeX 排好、没有
   排版错误，图片都加载了。
5. 教师版第 1 章（不运行）：参考解答（``{solution}`` + ``:class: dropdown``）渲染成折叠的 <details>。
   学生版里没有参考解答（booktools.student 换成了“在这里写下你的答案。”），所以这一项看教师版。
6. 没有 nbgrader 的菜单、工具栏按钮、侧栏、命令，服务器上也没有它的接口。

笔记本从哪里来（便于以后搬家）：环境变量 ``STUDENT_NOTEBOOKS``（默认 ``_build/student/chapters``，
由 ``make student`` 生成）、``INSTRUCTOR_NOTEBOOKS``（默认 ``chapters``）、``BOOK_IMAGES``（默认
``images``）。它们被复制到临时目录里，排成与仓库相同的相对位置（``chapters/``、``images/``），
笔记本里的 ``../images/…`` 才找得到。笔记本 ``import lib``：用的是装在当前环境里的 lib。

JupyterLab 用当前 Python 环境（``sys.executable``）启动，只监听 127.0.0.1 的随机端口，带令牌；
用户级的 Jupyter 配置、数据、设置与工作区都换成临时目录，测的是环境本身的配置。
缺浏览器时的规则见 tests/browser.py。
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from browser import make_driver
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
STUDENT = Path(os.environ.get('STUDENT_NOTEBOOKS', ROOT / '_build' / 'student' / 'chapters'))
INSTRUCTOR = Path(os.environ.get('INSTRUCTOR_NOTEBOOKS', ROOT / 'chapters'))
IMAGES = Path(os.environ.get('BOOK_IMAGES', ROOT / 'images'))
CHAPTER = '01_convolution_intuition.ipynb'
STUDENT_PATH = f'chapters/{CHAPTER}'          # 在 JupyterLab 里的路径（相对于服务器的根目录）
INSTRUCTOR_PATH = f'instructor/{CHAPTER}'
BIN = Path(sys.executable).parent
START_TIMEOUT = 90     # 秒：服务器启动、JupyterLab 加载、内核启动
RUN_TIMEOUT = 600      # 秒：运行全部单元格
UI_TIMEOUT = 30        # 秒：一次界面变化（滑块重画、动画换帧、渲染一个单元格）
IDLE_GRACE = 5         # 秒：有单元格始终没运行时，内核持续空闲多久算运行结束
EXERCISE_HEADING = re.compile(r'^##\s*练习', re.MULTILINE)
EXPECTED_ERROR = 'NotImplementedError'
STUB_MESSAGE = '请完成这个练习'
# 渲染后的 Markdown 里不该出现的 MyST 原文
RAW_MYST = re.compile(r'```|\{(admonition|exercise|solution|figure|note|tip|hint|warning|dropdown|margin)\}'
                      r'|^\s*:(class|label|alt|align|width|name):', re.MULTILINE)
NBGRADER_WORDS = ('nbgrader', 'formgrader', 'create assignment', 'validate', 'assignment list', 'course list')
NBGRADER_URLS = ('formgrader', 'formgraders', 'assignments', 'courses', 'nbgrader_version')
ANSI = re.compile(r'\x1b\[[0-9;]*m')
TEX_COMMAND = re.compile(r'\\[A-Za-z]+')     # 排好的公式与代码之外不该有 \text、\times 之类

if not STUDENT.is_dir() or not any(STUDENT.glob('*.ipynb')):
    message = f'没有找到学生版笔记本（{STUDENT}）：先运行 make student（或设置 STUDENT_NOTEBOOKS）'
    if os.environ.get('CI') == 'true':
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)


# ---- 环境：JupyterLab 扩展 ----

def isolated_env(home):
    """启动 Jupyter 用的环境变量：用户级的配置、数据、运行时、设置、工作区都放进 ``home``。"""
    env = {key: value for key, value in os.environ.items() if not key.startswith(('JUPYTER', 'JPY_'))}
    env.pop('MPLBACKEND', None)                       # 笔记本要用内核默认的 inline 后端
    for name in ('config', 'data', 'runtime', 'settings', 'workspaces'):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(JUPYTER_CONFIG_DIR=str(home / 'config'), JUPYTER_DATA_DIR=str(home / 'data'),
               JUPYTER_RUNTIME_DIR=str(home / 'runtime'), JUPYTERLAB_SETTINGS_DIR=str(home / 'settings'),
               JUPYTERLAB_WORKSPACES_DIR=str(home / 'workspaces'))
    for name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        env.setdefault(name, '1')
    # 测试里不要“是否接收 Jupyter 新闻”的提示（它会盖住页面右下角）；其余设置都用默认值
    notification = (home / 'settings' / '@jupyterlab' / 'apputils-extension' /
                    'notification.jupyterlab-settings')
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({'fetchNews': 'false', 'checkForUpdates': False}), encoding='utf-8')
    return env


def jupyter(env, *args):
    """运行当前环境里的 ``jupyter`` 命令，返回去掉颜色的 stdout + stderr。"""
    result = subprocess.run([str(BIN / 'jupyter'), *args], env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    return ANSI.sub('', result.stdout + result.stderr)


def extension_lines(listing, name):
    """``jupyter labextension list`` 里某个扩展的行（“名字 v版本 enabled/disabled OK”）。"""
    pattern = re.compile(rf'^\s*{re.escape(name)} v\d')
    return [line for line in listing.splitlines() if pattern.match(line)]


def test_lab_extensions(tmp_path):
    env = isolated_env(tmp_path)
    labextensions = jupyter(env, 'labextension', 'list')
    for name in ('jupyterlab-myst', '@jupyter-widgets/jupyterlab-manager'):
        lines = extension_lines(labextensions, name)
        assert lines and all('enabled' in line and 'OK' in line for line in lines), \
            f'{name} 没有启用（jupyterlab-myst 2.7 需要 JupyterLab < 4.6）：\n{labextensions}'
    nbgrader = extension_lines(labextensions, '@jupyter/nbgrader')
    assert all('disabled' in line for line in nbgrader), \
        f'nbgrader 的 JupyterLab 扩展没有停用（见 Makefile 的 venv 步骤）：\n{labextensions}'
    servers = jupyter(env, 'server', 'extension', 'list')
    enabled = [line.strip() for line in servers.splitlines()
               if line.strip().startswith('nbgrader') and 'enabled' in line]
    assert not enabled, f'nbgrader 的服务器扩展没有停用：{enabled}'


# ---- JupyterLab 服务器与浏览器（整个模块共用）----

class Lab:
    """一个在 127.0.0.1 上运行的 JupyterLab：``url``、``token``、``root``（服务器的根目录）。"""

    def __init__(self, home):
        self.root = home / 'root'
        self.root.mkdir()
        (self.root / 'chapters').mkdir()
        for path in STUDENT.glob('*.ipynb'):
            shutil.copy2(path, self.root / 'chapters' / path.name)
        (self.root / 'instructor').mkdir()
        shutil.copy2(INSTRUCTOR / CHAPTER, self.root / 'instructor' / CHAPTER)
        if IMAGES.is_dir():
            shutil.copytree(IMAGES, self.root / 'images')
        self.token = uuid.uuid4().hex
        self.env = isolated_env(home / 'jupyter')
        self.log = open(home / 'jupyterlab.log', 'w', encoding='utf-8')   # noqa: SIM115
        command = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1',
                   '--ServerApp.port=0', '--ServerApp.port_retries=0',   # 0：由系统挑一个空闲端口
                   f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={self.root}',
                   '--LabApp.expose_app_in_browser=True']                 # window.jupyterapp
        if hasattr(os, 'geteuid') and os.geteuid() == 0:
            command.append('--allow-root')
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=self.root)
        self.url = self._wait_for_server(home / 'jupyter' / 'runtime')

    def _wait_for_server(self, runtime):
        """等服务器写出 jpserver-PID.json（里面有实际端口），再等 /api/status 应答。"""
        info = runtime / f'jpserver-{self.process.pid}.json'
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f'JupyterLab 没能启动（退出码 {code}）：\n{self.output()}')
            if info.is_file():
                try:
                    url = json.loads(info.read_text(encoding='utf-8'))['url'].rstrip('/')
                    self.request('GET', '/api/status', base=url)
                    return url
                except (ValueError, KeyError, OSError):
                    pass                                   # 文件写了一半，或服务器还没开始应答
            time.sleep(0.2)
        raise RuntimeError(f'JupyterLab {START_TIMEOUT} 秒内没有就绪：\n{self.output()}')

    def request(self, method, path, base=None):
        """带令牌的 HTTP 请求，返回状态码（4xx/5xx 也返回，不抛异常）。"""
        request = urllib.request.Request((base or self.url) + path, method=method,
                                         headers={'Authorization': f'token {self.token}'})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def output(self):
        self.log.flush()
        return Path(self.log.name).read_text(encoding='utf-8')[-4000:]

    def close(self):
        """/api/shutdown 让服务器关掉内核后退出；不退出才终止进程。"""
        if self.process.poll() is None:
            try:
                self.request('POST', '/api/shutdown')
            except OSError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self.log.close()


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp('jupyterlab'))
    yield server
    server.close()
    assert server.process.returncode == 0, f'JupyterLab 没有正常退出：\n{server.output()}'


@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    browser = make_driver(tmp_path_factory.mktemp('browser'))
    browser.set_script_timeout(UI_TIMEOUT * 3)
    yield browser
    browser.quit()


# 每段页面脚本前面的小工具：找笔记本面板、轮询等待、把单元格滚进视野
HELPERS = r'''
const app = window.jupyterapp;
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
async function until(test, what, timeout) {
  const end = Date.now() + (timeout || UI_TIMEOUT_MS);
  for (;;) {
    const value = test();
    if (value) return value;
    if (Date.now() > end) throw new Error('等待超时：' + what);
    await sleep(50);
  }
}
function panelFor(path) {
  return Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
}
async function show(panel, index) {       // 把单元格滚进视野：窗口化的笔记本只把看得见的单元格挂到页面上
  if (!panel.isVisible) {                 // 笔记本的标签页不在前面时，单元格不会渲染
    app.shell.activateById(panel.id);
    await until(() => panel.isVisible, '笔记本 ' + panel.context.path + ' 显示在前面');
  }
  // 先只滚动（scrollToItem）；不行再用 scrollToCell，它会激活单元格：笔记本若在编辑模式，
  // Markdown 单元格会变回源文本，所以之后回到命令模式、重新渲染（学习者阅读时看到的样子）
  const cell = panel.content.widgets[index];
  const attached = () => cell.node.isConnected && cell.isVisible;
  for (let attempt = 0; !attached(); attempt++) {
    if (attempt >= 40) throw new Error('等待超时：单元格 ' + index + ' 挂到页面上');
    if (attempt < 20) {
      await panel.content.scrollToItem(index, 'center').catch(() => {});
    } else {
      await panel.content.scrollToCell(cell, 'center');
    }
    await sleep(attempt < 20 ? 100 : 250);
  }
  if (panel.content.mode === 'edit') panel.content.mode = 'command';
  if (cell.model.type === 'markdown' && !cell.rendered) cell.rendered = true;
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));  // 等一次排版
  return cell;
}
async function rendered(panel, index) {   // Markdown 单元格由 jupyterlab-myst 渲染完
  const cell = await show(panel, index);
  const myst = () => cell.node.querySelector('.myst');
  try {
    return await until(() => myst() && myst().childElementCount ? cell : null, 'jupyterlab-myst 渲染');
  } catch (error) {
    throw new Error('单元格 ' + index + ' 没有由 jupyterlab-myst 渲染（.myst）：rendered=' + cell.rendered +
                    ' visible=' + cell.isVisible + ' mode=' + panel.content.mode +
                    ' active=' + panel.content.activeCellIndex +
                    ' 内容：' + cell.node.innerText.slice(0, 200));
  }
}
'''.replace('UI_TIMEOUT_MS', str(UI_TIMEOUT * 1000))


def page(driver, body, *args):
    """在页面里运行一段 async 脚本（前面加上 HELPERS），返回它的结果；脚本出错时测试失败。"""
    script = (HELPERS + 'const done = arguments[arguments.length - 1];\n(async () => {\n' + body +
              '\n})().then(done, error => done({__error: String(error && error.stack || error)}));')
    result = driver.execute_async_script(script, *args)
    if isinstance(result, dict) and '__error' in result:
        pytest.fail(f'页面脚本出错：{result["__error"]}', pytrace=False)
    return result


def open_notebook(driver, lab, path, start_kernel):
    """打开笔记本，等它加载完（start_kernel 时还要等内核空闲）。"""
    if driver.current_url.startswith(lab.url):
        page(driver, 'await app.commands.execute("docmanager:open", {path: arguments[0]});', path)
    else:
        driver.get(f'{lab.url}/lab/tree/{path}?reset&token={lab.token}')
    WebDriverWait(driver, START_TIMEOUT, poll_frequency=0.2).until(
        lambda d: d.execute_script('return !!(window.jupyterapp && window.jupyterapp.shell)'),
        'JupyterLab 没有加载（window.jupyterapp）')
    page(driver, '''
      const panel = await until(() => panelFor(arguments[0]), '打开 ' + arguments[0], arguments[2]);
      await panel.context.ready;
      app.shell.activateById(panel.id);
      await until(() => panel.isVisible, arguments[0] + ' 显示在前面', arguments[2]);
      if (arguments[1]) {
        await panel.sessionContext.ready;
        await until(() => panel.sessionContext.session && panel.sessionContext.session.kernel &&
                          panel.sessionContext.kernelDisplayStatus === 'idle', '内核空闲', arguments[2]);
      }''', path, start_kernel, START_TIMEOUT * 1000)


CELL_SUMMARY = '''
const panel = panelFor(arguments[0]);
return panel.content.widgets.map((cell, index) => {
  const model = cell.model;
  const item = {index, type: model.type, source: model.sharedModel.getSource(),
                tags: model.getMetadata('tags') || []};
  if (model.type === 'code') {
    item.execution_count = model.executionCount;
    item.outputs = Array.from({length: model.outputs.length}, (_, k) => {
      const output = model.outputs.get(k).toJSON();
      return {type: output.output_type, name: output.name || null, ename: output.ename || null,
              evalue: output.evalue || null};
    });
  }
  return item;
});
'''


@pytest.fixture(scope='module')
def chapter(lab, driver):
    """学生版第 1 章：打开、运行全部单元格、等内核空闲；返回每个单元格的摘要（来源、标签、输出）。"""
    started = time.monotonic()
    open_notebook(driver, lab, STUDENT_PATH, start_kernel=True)
    opened = time.monotonic()
    driver.execute_script('''
      window.__runAll = null;
      window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        ok => { window.__runAll = {ok}; }, error => { window.__runAll = {error: String(error)}; });''')

    # 运行全部单元格的 Promise 在第一个出错的单元格（练习的检查）之后就兑现了，后面的单元格还在运行：
    # 所以要等到每个代码单元格都有了执行序号。若有单元格因前面出错被内核取消（永远没有序号），
    # 就以“命令已结束、内核空闲、没有单元格在运行”持续 IDLE_GRACE 秒为准，交给下面的测试报告。
    state = {'idle_since': None}

    def finished(d):
        status = d.execute_script('''
          const panel = Array.from(window.jupyterapp.shell.widgets('main'))
            .find(w => w.context && w.context.path === arguments[0]);
          const code = panel.content.widgets.filter(c => c.model.type === 'code' &&
                                                         c.model.sharedModel.getSource().trim());
          return {done: window.__runAll, idle: panel.sessionContext.kernelDisplayStatus === 'idle',
                  running: code.some(c => c.model.executionState === 'running'),
                  executed: code.every(c => c.model.executionCount !== null)};''', STUDENT_PATH)
        quiet = status['done'] and status['idle'] and not status['running']
        if quiet and status['executed']:
            return status['done']
        if not quiet:
            state['idle_since'] = None
        elif state['idle_since'] is None:
            state['idle_since'] = time.monotonic()
        elif time.monotonic() - state['idle_since'] > IDLE_GRACE:
            return status['done']
        return None

    outcome = WebDriverWait(driver, RUN_TIMEOUT, poll_frequency=0.25).until(
        finished, f'{RUN_TIMEOUT} 秒内没有运行完全部单元格')
    assert 'error' not in outcome, f'运行全部单元格的命令出错：{outcome}'
    cells = page(driver, CELL_SUMMARY, STUDENT_PATH)
    print(f'打开 {opened - started:.1f} 秒，运行全部单元格 {time.monotonic() - opened:.1f} 秒')
    return cells


def cell_with(cells, text):
    """源代码里含有 ``text`` 的第一个代码单元格的序号。"""
    matches = [c['index'] for c in cells if c['type'] == 'code' and text in c['source']]
    assert matches, f'第 1 章里没有找到含 {text!r} 的代码单元格'
    return matches[0]


def test_only_exercise_checks_raise(chapter):
    code = [c for c in chapter if c['type'] == 'code' and c['source'].strip()]
    headings = [c['index'] for c in chapter
                if c['type'] == 'markdown' and EXERCISE_HEADING.search(c['source'])]
    assert headings, '第 1 章里没有“## 练习”一节'
    errors = {c['index']: [o for o in c['outputs'] if o['type'] == 'error'] for c in code}
    errors = {index: outputs for index, outputs in errors.items() if outputs}
    expected = {c['index'] for c in code if 'raises-exception' in c['tags']}
    assert expected, '学生版第 1 章里没有带 raises-exception 标签的检查单元格'
    assert set(errors) == expected, (
        f'报错的单元格 {sorted(errors)} 应当恰好是练习的检查单元格 {sorted(expected)}：' +
        '; '.join(f'[{i}] {o[0]["ename"]}: {o[0]["evalue"]}' for i, o in errors.items() if i not in expected))
    not_run = [c['index'] for c in code if c['execution_count'] is None]
    assert not not_run, f'这些单元格没有运行：{not_run}'
    for index, outputs in errors.items():
        assert index > headings[0], f'单元格 {index} 在“练习”一节之前'
        for output in outputs:
            assert output['ename'] == EXPECTED_ERROR and STUB_MESSAGE in output['evalue'], \
                f'单元格 {index} 的错误不是练习占位：{output["ename"]}: {output["evalue"]}'
    stderr = [c['index'] for c in code for o in c['outputs']
              if o['type'] == 'stream' and o['name'] == 'stderr']
    assert not stderr, f'这些单元格有 stderr 输出（学习者会看到红色的警告）：{stderr}'


def test_explorer_slider_redraws(chapter, driver):
    index = cell_with(chapter, 'viz.KernelExplorer(')
    handle_css = '.widget-hslider .noUi-handle'
    before = page(driver, '''
      const panel = panelFor(arguments[0]);
      const cell = await show(panel, arguments[1]);
      const area = cell.outputArea.node;
      const box = await until(() => area.querySelector('.widget-output img') &&
                                    area.querySelectorAll(arguments[2]).length >= 2 ? cell : null,
                              '探索器的滑块与图');
      const handle = box.node.querySelectorAll(arguments[2])[1];           // 第二个滑块：“列 j”
      handle.scrollIntoView({block: 'center'});
      window.__explorerImage = box.node.querySelector('.widget-output img').src;
      return {value: handle.getAttribute('aria-valuenow'), max: handle.getAttribute('aria-valuemax'), handle};
    ''', STUDENT_PATH, index, handle_css)
    key = Keys.ARROW_LEFT if float(before['value']) >= float(before['max']) else Keys.ARROW_RIGHT
    before['handle'].click()                             # 聚焦滑块，再用方向键挪一格（像学习者那样）
    before['handle'].send_keys(key)
    after = page(driver, '''
      const cell = panelFor(arguments[0]).content.widgets[arguments[1]];
      const handle = cell.node.querySelectorAll(arguments[2])[1];
      await until(() => handle.getAttribute('aria-valuenow') !== arguments[3], '滑块的值改变');
      await until(() => {
        const img = cell.node.querySelector('.widget-output img');
        return img && img.complete && img.naturalWidth > 0 && img.src !== window.__explorerImage;
      }, '探索器的图随滑块重画');
      return handle.getAttribute('aria-valuenow');
    ''', STUDENT_PATH, index, handle_css, before['value'])
    assert abs(float(after) - float(before['value'])) == 1


MARKDOWN_SCAN = '''
const panel = panelFor(arguments[0]);
const report = [];
for (const [index, cell] of panel.content.widgets.entries()) {
  if (cell.model.type !== 'markdown' || !cell.model.sharedModel.getSource().trim()) continue;
  await rendered(panel, index);
  const myst = cell.node.querySelector('.myst');
  const images = Array.from(myst.querySelectorAll('img'));
  for (const img of images) {
    img.scrollIntoView();
    await until(() => img.complete, '图片 ' + img.getAttribute('src') + ' 加载完');
  }
  const prose = myst.cloneNode(true);              // 去掉排好的数学式之后剩下的文字
  prose.querySelectorAll('.katex, .katex-display, code').forEach(node => node.remove());
  // 用 textContent：刚滚进视野的单元格可能还没排版（content-visibility），innerText 会是空的
  report.push({index, text: myst.textContent, prose: prose.textContent,
               katex: myst.querySelectorAll('.katex').length,
               // jupyterlab-myst 把排不出来的公式原样显示出来（行内黄字、独立公式红字的 <pre>），
               // title 是 KaTeX 的错误信息；引用（{cite}）找不到时也是黄字，另算
               mathErrors: Array.from(myst.querySelectorAll(
                   '.katex-error, span.text-yellow-600[title], pre[title]'))
                 .filter(node => !/Citation/i.test(node.getAttribute('title') || ''))
                 .map(node => node.textContent + ' ← ' + node.getAttribute('title')),
               brokenImages: images.filter(img => !img.naturalWidth).map(img => img.getAttribute('src')),
               details: Array.from(myst.querySelectorAll('details')).map(d => d.open)});
}
return report;
'''


@pytest.fixture(scope='module')
def markdown(chapter, driver):
    """学生版第 1 章每个 Markdown 单元格渲染后的样子（逐个滚进视野，等 jupyterlab-myst 渲染完）。"""
    return page(driver, MARKDOWN_SCAN, STUDENT_PATH)


def test_markdown_rendered_by_myst(markdown):
    assert markdown, '第 1 章没有 Markdown 单元格'
    raw = [(m['index'], RAW_MYST.search(m['text']).group(0)) for m in markdown if RAW_MYST.search(m['text'])]
    assert not raw, f'渲染后的 Markdown 里还有 MyST 原文（单元格, 原文）：{raw}'
    broken = [(m['index'], m['brokenImages']) for m in markdown if m['brokenImages']]
    assert not broken, f'这些图片没有加载出来（单元格, 图片）：{broken}'
    assert not any(m['details'] for m in markdown), '学生版里不该有折叠的参考解答'


def test_math_rendered(markdown):
    assert sum(m['katex'] for m in markdown) >= 20, '数学式没有由 KaTeX 排版'
    raw = [m['index'] for m in markdown if '$' in m['prose']]
    assert not raw, f'这些单元格里还有没排版的 $…$：{raw}'


def test_math_has_no_katex_errors(markdown):
    """KaTeX 比 MathJax 严格：例如 ``\\text{in_size}`` 在书里（MathJax）没问题，在 JupyterLab 里排不出来。"""
    errors = [(m['index'], m['mathErrors']) for m in markdown if m['mathErrors']]
    assert not errors, f'KaTeX 排版出错，学习者看到黄色的 TeX 原文（单元格, [公式 ← 错误]）：{errors}'
    tex = [(m['index'], TEX_COMMAND.findall(m['prose'])[:3]) for m in markdown
           if TEX_COMMAND.search(m['prose'])]
    assert not tex, f'正文里露出了 TeX 命令（单元格, 命令）：{tex}'


def test_instructor_solutions_collapsed(lab, driver):
    open_notebook(driver, lab, INSTRUCTOR_PATH, start_kernel=False)
    solutions = page(driver, '''
      const panel = panelFor(arguments[0]);
      const result = [];
      for (const [index, cell] of panel.content.widgets.entries()) {
        const source = cell.model.sharedModel.getSource();
        if (cell.model.type !== 'markdown' || !/^```\\{solution\\}/.test(source)) continue;
        await rendered(panel, index);
        const details = cell.node.querySelector('.myst details');
        const summary = details && details.querySelector('summary');
        const body = details && Array.from(details.children).find(node => node !== summary);
        result.push({index, found: !!details, open: details ? details.open : null,
                     summary: summary ? summary.textContent.trim() : '',
                     bodyVisible: body ? body.checkVisibility() : null,
                     text: cell.node.querySelector('.myst').textContent});
      }
      return result;''', INSTRUCTOR_PATH)
    assert solutions, '教师版第 1 章里没有参考解答（```{solution}）'
    for item in solutions:
        where = f'单元格 {item["index"]}'
        assert item['found'], f'{where}：参考解答没有渲染成折叠框 <details>：{item["text"][:200]!r}'
        assert item['open'] is False and item['bodyVisible'] is False, f'{where}：参考解答是展开的'
        assert item['summary'], f'{where}：折叠框没有标题'
        assert not RAW_MYST.search(item['text']), f'{where}：看得到 MyST 原文'


def test_no_nbgrader_ui(lab, chapter, driver):
    found = page(driver, '''
      const plugins = app.listPlugins().filter(id => /nbgrader/i.test(id) && app.isPluginActivated(id));
      const commands = app.commands.listCommands().filter(id => /nbgrader|formgrader|assignment/i.test(id));
      const menus = Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel'))
        .map(node => node.textContent);
      const panel = panelFor(arguments[0]);
      const toolbar = panel.toolbar.node.textContent + ' ' +
        Array.from(panel.toolbar.node.querySelectorAll('[title], [aria-label]'))
          .map(node => [node.getAttribute('title'), node.getAttribute('aria-label')].join(' ')).join(' ');
      const sidebars = Array.from(document.querySelectorAll('.jp-SideBar .lm-TabBar-tab'))
        .map(node => [node.getAttribute('title'), node.innerText, node.dataset.id].join(' '));
      return {plugins, commands, menus, toolbar, sidebars};''', STUDENT_PATH)
    assert not found['plugins'], f'nbgrader 的前端插件在运行：{found["plugins"]}'
    assert not found['commands'], f'有 nbgrader 的命令：{found["commands"]}'
    for where in ('menus', 'sidebars'):
        hits = [item for item in found[where] if any(word in item.lower() for word in NBGRADER_WORDS)]
        assert not hits, f'{where} 里有 nbgrader 的界面：{hits}'
    assert not any(word in found['toolbar'].lower() for word in NBGRADER_WORDS), \
        f'笔记本工具栏里有 nbgrader 的按钮：{found["toolbar"]!r}'
    statuses = {path: lab.request('GET', '/' + path) for path in NBGRADER_URLS}
    assert all(status == 404 for status in statuses.values()), f'服务器上有 nbgrader 的接口：{statuses}'

