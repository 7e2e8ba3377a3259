"""章节笔记本的两条阅读约定（新的章节自动纳入）：

* 代码单元格每行不超过 88 列（汉字、全角标点算 2 列，和终端一样）：书页的默认宽度下不出现横向滚动条，
  行末的注释不会藏起来。88 列是在浏览器里量出来的，见 tests/test_code_width.py。
* 每道练习的标题前面都标着难度（★ / ★★ / ★★★）和题型（概念 / 编程 / 证明），例如
  ``{exercise} ★ 概念：输出尺寸``。
"""

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'chapters').glob('*.ipynb'))
MAX_COLUMNS = 88
TITLE = re.compile(r'^```\{exercise\}\s*(.*)$', re.MULTILINE)
LABEL = re.compile(r'^(★{1,3}) (概念|编程|证明)：\S')


def columns(line):
    """一行在等宽字体里占几列：东亚宽字符（汉字、全角标点）算 2 列，其余算 1 列。"""
    return sum(2 if unicodedata.east_asian_width(char) in 'WF' else 1 for char in line)


def long_lines(nb):
    return [(index, columns(line), line) for index, cell in enumerate(nb.cells) if cell.cell_type == 'code'
            for line in cell.source.split('\n') if columns(line) > MAX_COLUMNS]


def unlabelled_exercises(nb):
    titles = [title.strip() for cell in nb.cells if cell.cell_type == 'markdown'
              for title in TITLE.findall(cell.source)]
    return titles, [title for title in titles if not LABEL.search(title)]


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    found = long_lines(nbformat.read(path, as_version=4))
    assert not found, f'{path.name} 里有超过 {MAX_COLUMNS} 列的代码行（汉字算 2 列）：\n' + '\n'.join(
        f'  第 {index} 个单元格（{width} 列）：{line}' for index, width, line in found)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_difficulty_and_kind(path):
    titles, missing = unlabelled_exercises(nbformat.read(path, as_version=4))
    assert not missing, f'{path.name} 的这些练习标题前面缺少“★… 概念/编程/证明：”：{missing}'


def test_the_checks_can_fail():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('x = 1  # ' + '很长的注释' * 20),
                nbformat.v4.new_code_cell('y = 2  # ' + '四十个汉字' * 8 + '\n' + 'z' * 88),
                nbformat.v4.new_markdown_cell('```{exercise} 没有标记\n:label: a\n```'),
                nbformat.v4.new_markdown_cell('```{exercise} ★★ 只有难度\n:label: b\n```'),
                nbformat.v4.new_markdown_cell('```{exercise} ★★★ 证明：两样都有\n:label: c\n```')]
    assert [(index, width) for index, width, _ in long_lines(nb)] == [(0, 209), (1, 89)]   # 汉字算 2 列
    titles, missing = unlabelled_exercises(nb)
    assert len(titles) == 3 and missing == ['没有标记', '★★ 只有难度']


def bindings(nb, name):
    """笔记本的代码单元格里绑定 ``name`` 的地方（赋值、import … as、for 的循环变量、def）。"""
    import ast
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != 'code':
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
                found.append(index)
            elif isinstance(node, ast.alias) and (node.asname or node.name) == name:
                found.append(index)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
                found.append(index)
    return found


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_checks_module_is_not_shadowed(path):
    """``checks``（这一章练习的检查模块）只绑定一次：别的单元格若也叫 checks（例如一个字典），
    重新运行那个单元格就会让所有检查单元格失效。"""
    nb = nbformat.read(path, as_version=4)
    found = bindings(nb, 'checks')
    assert len(found) <= 1, f'{path.name} 的第 {found} 个单元格都绑定了 checks'


def test_shadowing_is_caught():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("checks = {'输出': 1}"),
                nbformat.v4.new_code_cell('from lib.exercises import ch2_im2col as checks')]
    assert bindings(nb, 'checks') == [0, 1]
