"""教师指南（instructor_guide.md）里的分值表与各章笔记本的 nbgrader 元数据一致，命令与 Makefile 一致。"""

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / 'instructor_guide.md'
ROW = re.compile(r'^\| (\d+) \| (ch\d+) \| `([\w-]+)` \| (.+?) \| (\d+) \|$')


def graded_cells():
    """[(章号, grade_id, 是否编程题的检查, 分值)]，按笔记本里的顺序。"""
    cells = []
    for path in sorted((ROOT / 'chapters').glob('[0-9][0-9]_*.ipynb')):
        chapter = int(path.name[:2])
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get('nbgrader', {})
            if meta.get('grade'):
                cells.append((chapter, meta['grade_id'], cell.cell_type == 'code', meta['points']))
    return cells


def table_rows():
    lines = GUIDE.read_text(encoding='utf-8').splitlines()
    return [ROW.match(line).groups() for line in lines if ROW.match(line)]


def test_points_table_matches_notebook_metadata():
    rows = table_rows()
    cells = graded_cells()
    assert len(rows) == len(cells) > 0
    for (chapter, assignment, grade_id, kind, points), (nb_chapter, nb_id, is_code, nb_points) in zip(
            rows, cells, strict=True):
        assert (int(chapter), grade_id, int(points)) == (nb_chapter, nb_id, nb_points)
        assert assignment == f'ch{nb_chapter}'
        assert kind.startswith('编程题') == is_code, (grade_id, kind)


def test_guide_is_in_the_toc_and_its_make_targets_exist():
    toc = (ROOT / '_toc.yml').read_text(encoding='utf-8')
    assert 'file: instructor_guide' in yaml.safe_dump(yaml.safe_load(toc), allow_unicode=True)
    makefile = (ROOT / 'Makefile').read_text(encoding='utf-8')
    for target in set(re.findall(r'make ([a-z-]+)', GUIDE.read_text(encoding='utf-8'))):
        assert re.search(rf'^{re.escape(target)}:', makefile, re.MULTILINE), f'Makefile 里没有目标 {target}'
