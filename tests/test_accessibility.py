"""无障碍：axe-core 在真实浏览器里检查书与学生版书的每一页，严重（serious）与致命（critical）的问题必须为 0。

axe-core 来自 npm 注册表（``make axe`` 用 ``npm pack axe-core@4`` 取得，放在 .venv/axe-core/axe.min.js，
不提交进仓库，也不从 CDN 加载）；也可以用环境变量 ``AXE_CORE`` 指向别处的 axe.min.js。
书的位置：``BOOK_HTML``（默认 _build/html）与 ``STUDENT_BOOK_HTML``（默认 _build/student_book/html）。

打印每条规则的违例个数（按页面汇总），便于记录“修复前 / 修复后”。
"""

import collections
import os
from pathlib import Path

import pytest
from browser import BOOKS, ROOT, book_pages, make_driver, missing_browser, require_book, serve

AXE = Path(os.environ.get('AXE_CORE', ROOT / '.venv' / 'axe-core' / 'axe.min.js'))
SERIOUS = ('serious', 'critical')

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                     targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))),
  e => done([{id: 'axe-error', impact: 'critical', nodes: 1, targets: [String(e)]}]));
"""


@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('axe'))
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


def audit(driver, html):
    """打开 html 目录里的每一页，注入 axe-core 并运行，返回 {页面: [违例]}。"""
    if not AXE.is_file():
        missing_browser(f'没有找到 axe-core（{AXE}）：先运行 make axe')
    source = AXE.read_text(encoding='utf-8')
    results = {}
    with serve(html) as site:
        for page in book_pages(html):
            driver.get(f'{site}{page}')
            driver.execute_script(source)
            results[page] = driver.execute_async_script(RUN_AXE)
    return results


def summary(results):
    """每条规则：影响程度、涉及的页面数与节点总数。"""
    rules = collections.defaultdict(lambda: [None, 0, 0])
    for violations in results.values():
        for v in violations:
            rules[v['id']][0] = v['impact']
            rules[v['id']][1] += 1
            rules[v['id']][2] += v['nodes']
    return dict(rules)


@pytest.mark.browser
@pytest.mark.parametrize('book', list(BOOKS))
def test_no_serious_accessibility_violations(driver, book):
    html = BOOKS[book]
    require_book(html)
    results = audit(driver, html)
    print(f'\naxe-core：{book}（{len(results)} 页）')
    for rule, (impact, n_pages, nodes) in sorted(summary(results).items()):
        print(f'  {rule:32s} {impact:9s} {n_pages:3d} 页 {nodes:4d} 个节点')
    serious = {page: [v for v in found if v['impact'] in SERIOUS] for page, found in results.items()}
    serious = {page: found for page, found in serious.items() if found}
    assert not serious, '严重或致命的无障碍问题：\n' + '\n'.join(
        f'{page}: {v["id"]}（{v["impact"]}，{v["nodes"]} 个节点，例如 {v["targets"]}）'
        for page, violations in serious.items() for v in violations)
