"""章节笔记本的两条阅读约定（新的章节自动纳入）：

* 代码单元格每行不超过 88 个字符：书页的默认宽度下不出现横向滚动条，行末的注释不会藏起来。
* 每道练习的标题都标着难度（★ / ★★ / ★★★）和题型（概念 / 编程 / 证明），例如
  ``{exercise} 输出尺寸（★，概念）``。
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'chapters').glob('*.ipynb'))
MAX_LINE = 88
TITLE = re.compile(r'^```\{exercise\}\s*(.*)$', re.MULTILINE)
LABEL = re.compile(r'（(★{1,3})，(概念|编程|证明)）$')


def long_lines(nb):
    return [(index, len(line), line) for index, cell in enumerate(nb.cells) if cell.cell_type == 'code'
            for line in cell.source.split('\n') if len(line) > MAX_LINE]


def unlabelled_exercises(nb):
    titles = [title.strip() for cell in nb.cells if cell.cell_type == 'markdown'
              for title in TITLE.findall(cell.source)]
    return titles, [title for title in titles if not LABEL.search(title)]


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    found = long_lines(nbformat.read(path, as_version=4))
    assert not found, f'{path.name} 里有超过 {MAX_LINE} 个字符的代码行：\n' + '\n'.join(
        f'  第 {index} 个单元格（{length} 个字符）：{line}' for index, length, line in found)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_difficulty_and_kind(path):
    titles, missing = unlabelled_exercises(nbformat.read(path, as_version=4))
    assert not missing, (f'{path.name} 的这些练习标题缺少“（★…，概念/编程/证明）”：{missing}')


def test_the_checks_can_fail():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('x = 1  # ' + '很长的注释' * 20),
                nbformat.v4.new_markdown_cell('```{exercise} 没有标记\n:label: a\n```'),
                nbformat.v4.new_markdown_cell('```{exercise} 只有难度（★★）\n:label: b\n```'),
                nbformat.v4.new_markdown_cell('```{exercise} 两样都有（★★★，证明）\n:label: c\n```')]
    assert [index for index, _, _ in long_lines(nb)] == [0]
    titles, missing = unlabelled_exercises(nb)
    assert len(titles) == 3 and missing == ['没有标记', '只有难度（★★）']
