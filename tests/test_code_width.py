"""代码框不出现横向滚动条：在真实的浏览器里打开书与学生版书的每一页，量每个代码框。

书的主题在窗口宽度 ≥ 1440 像素时给正文最大的宽度（1536、1920 像素的窗口排版与 1440 相同），
这时代码框内宽 754 像素，14 像素的等宽字体里一个 ASCII 字符 8.43 像素、一个汉字 14 像素。
所以笔记本里每行最多 88 列（汉字与全角标点算 2 列，tests/test_notebook_style.py 检查）。

1. 88 列的“标尺”：往页面的代码框里放一行 ASCII 字符，逐个加长，量出放得下的最多字符数
   （本机是 89，留 1 列余地给别的等宽字体），它不小于 88、也不比 88 大出 4 列以上；
   一行 44 个汉字也放得下（汉字算 2 列是从宽计算：一个汉字实际约 1.7 列宽）。
   这样 test_notebook_style.py 的上限是在浏览器里量出来的，不是估计的。
2. 每一页的每个代码框（代码单元格的输入、Markdown 里的代码块）都不横向滚动；
   单元格的文字输出像 JupyterLab 一样折行（booktools/course.css），也不横向滚动。

更窄的窗口里正文也更窄（1366 像素约 84 列，1280 像素约 76 列），长的代码行会出现滚动条，
和别的书一样；这里量的是书的默认排版。
书的位置：``BOOK_HTML``（默认 _build/html）与 ``STUDENT_BOOK_HTML``（默认 _build/student_book/html）。
"""

import pytest
from browser import BOOKS, book_pages, make_driver, require_book, serve
from test_notebook_style import MAX_COLUMNS

WINDOW = (1440, 900)
RULER_PAGE = 'chapters/02_im2col.html'

# 每个横向滚动的代码框：种类、滚动宽度、可见宽度、最宽的一行（用 Range 逐行量出的像素宽度）
SCROLLING = r"""
const found = [];
for (const pre of document.querySelectorAll('div.cell_input pre, div.cell_output pre, div.highlight pre')) {
  if (pre.scrollWidth <= pre.clientWidth + 1) continue;
  const kind = pre.closest('div.cell_output') ? '输出'
             : pre.closest('div.cell_input') ? '代码单元格' : '代码块';
  const widest = pre.innerText.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  found.push([kind, pre.scrollWidth, pre.clientWidth, widest]);
}
return found;
"""

# 在第一个代码单元格里临时加一行文字，返回加了之后代码框是否横向滚动
RULER = r"""
const pre = document.querySelector('div.cell_input pre');
const line = document.createElement('span');
line.textContent = '\n' + arguments[0];
pre.appendChild(line);
const scrolls = pre.scrollWidth > pre.clientWidth + 1;
line.remove();
return scrolls;
"""


@pytest.fixture(scope='module')
def driver(tmp_path_factory):
    driver = make_driver(tmp_path_factory.mktemp('code-width'))
    driver.set_window_size(*WINDOW)
    yield driver
    driver.quit()


@pytest.mark.browser
def test_ruler_88_columns_fit(driver):
    html = BOOKS['book']
    require_book(html)
    with serve(html) as site:
        driver.get(site + RULER_PAGE)
        width = driver.execute_script('return window.innerWidth')
        fitting = next(n for n in range(40, 200) if driver.execute_script(RULER, 'x' * (n + 1)))
        cjk_fits = not driver.execute_script(RULER, '卷' * (MAX_COLUMNS // 2))
    assert width >= WINDOW[0] - 20, f'浏览器窗口只有 {width} 像素宽，量不出书的默认排版'
    assert MAX_COLUMNS <= fitting < MAX_COLUMNS + 5 and cjk_fits, (
        f'{WINDOW[0]} 像素宽的窗口里，代码框一行放得下 {fitting} 个 ASCII 字符、'
        f'{"放得下" if cjk_fits else "放不下"} {MAX_COLUMNS // 2} 个汉字；'
        f'tests/test_notebook_style.py 的 MAX_COLUMNS = {MAX_COLUMNS} 要跟着改')


@pytest.mark.browser
@pytest.mark.parametrize('book', BOOKS)
def test_no_code_box_scrolls_sideways(driver, book):
    html = BOOKS[book]
    require_book(html)
    found = {}
    with serve(html) as site:
        for page in book_pages(html):
            driver.get(site + page)
            found[page] = driver.execute_script(SCROLLING)
    assert found, f'{html} 里没有任何页面'
    problems = [f'  {page}：{kind}（滚动宽度 {scroll} > 可见宽度 {visible}）最宽的一行：{line}'
                for page, rows in found.items() for kind, scroll, visible, line in rows]
    assert not problems, (f'{book} 在 {WINDOW[0]}×{WINDOW[1]} 的窗口里有 {len(problems)} 个代码框横向滚动，'
                          f'行末的内容藏在滚动条后面：\n' + '\n'.join(problems))
