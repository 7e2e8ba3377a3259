"""学生版（booktools.student）：没有答案、没有隐藏检查，检查单元格还在，
从头运行只在练习里报 NotImplementedError。

参考答案的“指纹”直接从教师版（chapters/*.ipynb）里取：编程题 BEGIN/END SOLUTION 之间的代码行、
隐藏检查的代码行、思考题解答单元格里的文字；只取在教师版别处没有出现过的那些，
再确认学生版笔记本里、以及学生版的书（_build/student_book/html，构建过才查）里都找不到它们。
书页查的是渲染后看得见的全部文字，连同单元格的输出：章节若打印了 lib 里某个练习答案的源代码
（例如 ``inspect.getsource(lib.im2col)``），答案就从输出里漏了出去，这里会查出来。
每一页都对照所有章的指纹（一章的答案也不能在另一章的页面上出现）。
环境变量 ``STUDENT_BOOK_HTML`` 可以指向另一份构建好的学生版书（例如只构建了一页）。
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from booktools.student import RAISES, TEXT_STUB, write_student_versions

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / 'chapters').glob('*.ipynb'))
STUDENT_BOOK = Path(os.environ.get('STUDENT_BOOK_HTML') or ROOT / '_build' / 'student_book' / 'html')
EXERCISES = '## 练习'
CJK = re.compile(r'[\u4e00-\u9fff]')


def meta(cell):
    return cell.get('metadata', {}).get('nbgrader', {})


def split_regions(source, begin, end):
    """把源代码分成 (区域外的行, 区域内的行)。"""
    outside, inside, within = [], [], False
    for line in source.split('\n'):
        if begin in line:
            within = True
        elif end in line:
            within = False
        elif within:
            inside.append(line)
        else:
            outside.append(line)
    return outside, inside


def private_and_public(nb):
    """教师版里只给教师看的文字（答案、隐藏检查）与其余公开的文字。"""
    private, public = [], []
    for cell in nb.cells:
        if meta(cell).get('solution') and cell.cell_type == 'markdown':
            private += cell.source.split('\n')
            continue
        outside, answers = split_regions(cell.source, 'BEGIN SOLUTION', 'END SOLUTION')
        outside, hidden = split_regions('\n'.join(outside), 'BEGIN HIDDEN TESTS', 'END HIDDEN TESTS')
        private += answers + hidden
        public += outside
    return private, '\n'.join(public)


def fingerprints(nb, also_public=''):
    """答案里足够长、且在教师版的公开部分（单元格的源代码与文字）没有出现过的行。

    lib 里也有的行照样算：章节打印了 lib 的源代码，答案就会从单元格的输出里漏出去。
    ``also_public``：别处公开的文字（例如其他各章的公开部分），其中出现过的行也不算。
    """
    private, public = private_and_public(nb)
    public += also_public
    lines = {line.strip() for line in private}
    return sorted(line for line in lines
                  if len(line) >= 12 and line not in public and not line.startswith(('```', ':class:')))


def text_segments(line):
    """一行 Markdown 里渲染成网页后原样出现的中文片段（去掉公式、强调和代码标记）。"""
    line = re.sub(r'^\s*(\d+\.|[*-])\s+', '', line)             # 列表的编号由网页生成，不是文字
    line = re.sub(r'\$\$.*?\$\$|\$[^$]*\$', '|', line)
    return [segment.strip() for segment in re.split(r'[|*`]', line)
            if len(segment.strip()) >= 8 and CJK.search(segment)]


@pytest.fixture(scope='module')
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('student')
    written = write_student_versions(ROOT / 'chapters', out)
    assert [p.name for p in written] == [p.name for p in CHAPTERS]
    return out


def pairs(student_dir):
    for path in CHAPTERS:
        yield path, nbformat.read(path, as_version=4), nbformat.read(student_dir / path.name, as_version=4)


def exercise_start(nb):
    starts = [i for i, cell in enumerate(nb.cells) if cell.cell_type == 'markdown'
              and cell.source.startswith(EXERCISES)]
    return starts[0] if starts else len(nb.cells)


def test_exercise_chapters_have_solutions_to_hide():
    """第 1–3 章都有练习：至少五道题，思考题和编程题都有。"""
    for path in CHAPTERS[:3]:
        nb = nbformat.read(path, as_version=4)
        cells = nb.cells[exercise_start(nb):]
        exercises = [c for c in cells if c.cell_type == 'markdown' and c.source.startswith('```{exercise}')]
        labels = re.findall(r':label: (\S+)', '\n'.join(c.source for c in exercises))
        assert len(exercises) >= 5 and len(set(labels)) == len(labels) == len(exercises), path.name
        assert any(meta(c).get('solution') and c.cell_type == 'markdown' for c in cells), path.name
        assert any(meta(c).get('grade') and c.cell_type == 'code' for c in cells), path.name
        assert fingerprints(nb), path.name


def test_student_notebooks_keep_everything_else(student_dir):
    for path, teacher, student in pairs(student_dir):
        nbformat.validate(student)
        assert len(student.cells) == len(teacher.cells), path.name
        for t, s in zip(teacher.cells, student.cells, strict=True):
            assert s.cell_type == t.cell_type
            if not meta(t):
                assert s.source == t.source, f'{path.name}：非练习单元格被改动了'
            tags = [tag for tag in s.metadata.get('tags', []) if tag != RAISES]
            assert tags == t.metadata.get('tags', [])
            if s.cell_type == 'code':
                assert s.outputs == [] and s.execution_count is None


def test_no_solution_text_in_student_notebooks(student_dir):
    for path, teacher, _ in pairs(student_dir):
        text = (student_dir / path.name).read_text(encoding='utf-8')
        text = nbformat.reads(text, as_version=4)
        blob = '\n'.join(cell.source for cell in text.cells)
        for marker in ('BEGIN SOLUTION', 'END SOLUTION', 'HIDDEN TESTS', '```{solution}'):
            assert marker not in blob, f'{path.name} 里还有 {marker}'
        for line in fingerprints(teacher):
            assert line not in blob, f'{path.name} 的学生版里出现了答案：{line!r}'


def test_stubs_and_check_cells(student_dir):
    for path, teacher, student in pairs(student_dir):
        for t, s in zip(teacher.cells, student.cells, strict=True):
            info = meta(t)
            if info.get('solution') and t.cell_type == 'markdown':
                assert s.source == TEXT_STUB
            elif info.get('solution'):
                names = re.findall(r'^def (\w+)\(', t.source, re.MULTILINE)
                header = t.source.split('### BEGIN SOLUTION')[0]
                assert s.source.startswith(header.rstrip()), '函数的签名、说明和提示应原样保留'
                assert f"raise NotImplementedError('请完成这个练习：{', '.join(names)}')" in s.source
            elif info.get('grade'):
                visible, hidden = split_regions(t.source, 'BEGIN HIDDEN TESTS', 'END HIDDEN TESTS')
                assert hidden, f'{path.name} 的检查单元格 {info["grade_id"]} 没有隐藏检查'
                assert s.source == '\n'.join(visible), '检查单元格应保留，只去掉隐藏检查'
                assert meta(s) == info
                assert RAISES in s.metadata['tags']
                for line in hidden:
                    assert line.strip() not in s.source


@pytest.mark.parametrize('path', CHAPTERS, ids=lambda p: p.name)
def test_student_notebook_runs_with_only_unfinished_exercise_errors(path, student_dir):
    """从头运行学生版：唯一的错误是练习检查单元格里的 NotImplementedError，每个检查单元格都报了它。"""
    nb = nbformat.read(student_dir / path.name, as_version=4)
    os.environ['OPENBLAS_NUM_THREADS'] = '1'      # 内核进程继承这个环境变量
    NotebookClient(nb, timeout=600, kernel_name='python3', allow_errors=True,
                   resources={'metadata': {'path': str(ROOT / 'chapters')}}).execute()
    start = exercise_start(nb)
    errored = set()
    for index, cell in enumerate(nb.cells):
        for output in cell.get('outputs', []):
            if output.output_type != 'error':
                continue
            assert output.ename == 'NotImplementedError', \
                f'{path.name} 第 {index} 个单元格：{output.ename}: {output.evalue}'
            assert '请完成这个练习' in output.evalue
            assert index > start and RAISES in cell.metadata.get('tags', []), \
                f'{path.name} 第 {index} 个单元格不是练习的检查单元格，却报了错'
            errored.add(index)
    expected = {i for i, cell in enumerate(nb.cells) if RAISES in cell.metadata.get('tags', [])}
    assert errored == expected, '每个用到未完成函数的检查单元格都应报 NotImplementedError'


class TextOf(HTMLParser):
    """网页里看得见的文字（不含 <script>、<style>）。"""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ('script', 'style')

    def handle_endtag(self, tag):
        self.skip -= tag in ('script', 'style')

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(path):
    parser = TextOf()
    parser.feed(path.read_text(encoding='utf-8'))
    return re.sub(r'\s+', '', ''.join(parser.parts))


def leaked_segments(text, teachers):
    """网页文字 ``text``（已去掉空白）里出现的答案片段：[(章节文件名, 片段)]。

    每一章的答案行都对照所有章的公开部分：另一章在普通单元格里写出的同一行不算泄漏。
    """
    everywhere = '\n'.join(private_and_public(teacher)[1] for _, teacher in teachers)
    found = []
    for name, teacher in teachers:
        for line in fingerprints(teacher, everywhere):
            for segment in text_segments(line) or [line]:
                if re.sub(r'\s+', '', segment) in text:
                    found.append((name, segment))
    return found


def test_student_book_has_no_solutions():
    if not STUDENT_BOOK.is_dir():
        message = f'学生版的书还没构建（{STUDENT_BOOK}）：先运行 make student-book'
        if os.environ.get('CI') == 'true':
            pytest.fail(message)
        pytest.skip(message)
    assert not (STUDENT_BOOK / '_sources').exists(), '学生版的书不应复制源文件'
    assert not list(STUDENT_BOOK.rglob('*.ipynb')), '学生版的书里不应有 .ipynb'
    teachers = [(path.name, nbformat.read(path, as_version=4)) for path in CHAPTERS]
    pages = sorted(STUDENT_BOOK.rglob('*.html'))
    assert any(page.parent.name == 'chapters' for page in pages), f'{STUDENT_BOOK} 里没有章节的页面'
    for page in pages:
        html = page.read_text(encoding='utf-8')
        assert 'class="solution' not in html, f'{page.name} 里有解答'
        leaks = leaked_segments(page_text(page), teachers)
        assert not leaks, f'{page.name} 里出现了答案（连同单元格输出一起查）：' + '；'.join(
            f'{name} 的 {segment!r}' for name, segment in leaks)
    for path in CHAPTERS:
        page = STUDENT_BOOK / 'chapters' / f'{path.stem}.html'
        if not page.is_file():
            continue                                  # 不在目录里（或这次没构建）的笔记本不查
        html = page.read_text(encoding='utf-8')
        for trace in ('.ipynb"', '_sources/', 'btn-download', 'download-buttons'):
            assert trace not in html, f'{page.name} 里有下载源文件的途径：{trace}'
        for launch in ('mybinder.org', 'colab.research.google.com', 'github.com/juanjiceng'):
            assert launch not in html, f'{page.name} 里有打开教师版的按钮：{launch}'
        teacher = nbformat.read(path, as_version=4)
        if exercise_start(teacher) < len(teacher.cells):
            text = page_text(page)
            assert '练习' in text and re.sub(r'\s+', '', TEXT_STUB) in text


def test_leak_scan_reads_cell_outputs(tmp_path):
    """答案藏在单元格的输出里（例如打印了 lib 的源代码）也查得出来；干净的页面不报。"""
    path = ROOT / 'chapters' / '02_im2col.ipynb'
    teacher = nbformat.read(path, as_version=4)
    line = next(line for line in fingerprints(teacher) if 'windows' in line or 'cols' in line)
    output = f'<div class="cell_output docutils container"><pre>def col2im(...):\n    {line}\n</pre></div>'
    leaky, clean = tmp_path / 'leaky.html', tmp_path / 'clean.html'
    leaky.write_text(f'<html><body><p>正文</p>{output}</body></html>', encoding='utf-8')
    clean.write_text('<html><body><p>正文</p><pre>print(cols.shape)</pre></body></html>', encoding='utf-8')
    assert leaked_segments(page_text(leaky), [(path.name, teacher)]) == [(path.name, line)]
    assert leaked_segments(page_text(clean), [(path.name, teacher)]) == []


# ---- booktools.student 本身（小笔记本，不执行） ----

def tiny_notebook():
    nb = nbformat.v4.new_notebook(metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3',
                                                           'language': 'python'}})
    solution = nbformat.v4.new_code_cell('def im2col(x):\n    """说明。"""\n    ### BEGIN SOLUTION\n'
                                         '    return secret_helper(x)\n    ### END SOLUTION')
    solution.metadata['nbgrader'] = {'solution': True, 'grade': False, 'locked': False,
                                     'grade_id': 'demo', 'schema_version': 3}
    check = nbformat.v4.new_code_cell('checks.check_im2col(im2col)\n### BEGIN HIDDEN TESTS\n'
                                      'checks.check_im2col(im2col, trials=99)\n### END HIDDEN TESTS')
    check.metadata['nbgrader'] = {'solution': False, 'grade': True, 'locked': True, 'points': 1,
                                  'grade_id': 'demo-check', 'schema_version': 3}
    nb.cells = [nbformat.v4.new_code_cell('lib.im2col(x)  # 这里的 im2col 是 lib 的'), solution, check,
                nbformat.v4.new_code_cell("print('im2col')\ny = lib.im2col(x)")]
    return nb


def test_student_notebook_on_a_tiny_notebook():
    from booktools.student import student_notebook
    teacher = tiny_notebook()
    student = student_notebook(teacher)
    assert 'secret_helper' in teacher.cells[1].source                  # 不改动传入的笔记本
    source = student.cells[1].source
    assert 'secret_helper' not in source and '"""说明。"""' in source
    assert "raise NotImplementedError('请完成这个练习：im2col')" in source
    assert student.cells[2].source == 'checks.check_im2col(im2col)'
    tagged = [RAISES in cell.metadata.get('tags', []) for cell in student.cells]
    assert tagged == [False, False, True, False]         # lib.im2col、注释和字符串里的名字都不算


def test_solution_markers_outside_solution_cells_are_refused():
    from booktools.student import student_notebook
    nb = tiny_notebook()
    nb.cells[0].source = '### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION'
    with pytest.raises(RuntimeError, match='non-solution cell'):
        student_notebook(nb)


def test_student_book_config_and_staging(tmp_path, student_dir):
    import yaml

    from booktools.student import stage_student_book
    staging = stage_student_book(ROOT, student_dir, tmp_path / 'src')
    config = yaml.safe_load((staging / '_config.yml').read_text(encoding='utf-8'))
    options = config['sphinx']['config']
    assert config['title'].endswith('（学生版）') and config['sphinx']['recursive_update'] is True
    assert options['html_copy_source'] is False and options['html_show_sourcelink'] is False
    theme = options['html_theme_options']
    assert theme['use_download_button'] is False and theme['use_repository_button'] is False
    assert not theme['launch_buttons']['binderhub_url'] and not theme['launch_buttons']['colab_url']
    assert 'sphinx_exercise' in config['sphinx']['extra_extensions']
    for name in ('_toc.yml', 'intro.md', 'bibliography.md', 'references.bib', 'images'):
        assert (staging / name).exists()
    assert sorted(p.name for p in (staging / 'chapters').glob('*.ipynb')) == [p.name for p in CHAPTERS]
    for path in (staging / 'chapters').glob('*.ipynb'):
        assert 'BEGIN SOLUTION' not in path.read_text(encoding='utf-8')
