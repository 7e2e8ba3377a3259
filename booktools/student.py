"""学生版：从教师版笔记本（各章的 .ipynb，带参考答案）生成学生版。

直接调用 nbgrader 的三个预处理器，不需要 nbgrader 的服务器或数据库：

* ``ClearSolutions``：编程题里 ``### BEGIN SOLUTION`` 与 ``### END SOLUTION`` 之间的代码
  换成一句 ``raise NotImplementedError('请完成这个练习：函数名')``（函数的签名和说明留着）；
  思考题的解答单元格（nbgrader 元数据 ``solution: true`` 的 Markdown 单元格）整个换成
  “在这里写下你的答案。”；
* ``ClearHiddenTests``：删去检查单元格里 ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS``
  之间的更严格的检查；
* ``ClearOutput``：清掉输出。

另外给每个用到被清空的函数的单元格（检查单元格）加上标签 ``raises-exception``：
学生还没做时，它们会抛出 NotImplementedError，nbval 与书的构建都接受这一点。其余一切保持原样。

命令行::

    python -m booktools.student SRC_DIR OUT_DIR            # SRC_DIR 里每个 .ipynb 的学生版写到 OUT_DIR
    python -m booktools.student --stage-book ROOT STUDENT_CHAPTERS STAGING
        # 在 STAGING 里搭好学生版书的源文件：复制书的配置、目录、前言、参考文献、图片和学生版各章，
        # 并改写 _config.yml：不复制源文件、不给下载按钮、不给指向（含答案的）仓库的按钮
"""

import argparse
import copy
import io
import re
import shutil
import sys
import tokenize
from pathlib import Path

import nbformat
import yaml
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

PLACEHOLDER = '{exercise}'
CODE_STUB = f"# 在这里写你的代码\nraise NotImplementedError('请完成这个练习：{PLACEHOLDER}')"
TEXT_STUB = '在这里写下你的答案。'
RAISES = 'raises-exception'
DEFINITION = re.compile(r'^def\s+(\w+)\s*\(', re.MULTILINE)      # 顶层函数（练习要写的函数）


def nbgrader_meta(cell):
    """单元格的 nbgrader 元数据（没有时为空字典）。"""
    return cell.get('metadata', {}).get('nbgrader', {})


def is_solution(cell):
    return bool(nbgrader_meta(cell).get('solution'))


def solution_functions(nb):
    """{单元格的 grade_id: 它定义的函数名列表}，只看编程题的解答单元格。"""
    return {nbgrader_meta(cell)['grade_id']: DEFINITION.findall(cell.source)
            for cell in nb.cells if cell.cell_type == 'code' and is_solution(cell)}


def uses_name(source, names):
    """源代码里是否直接用到了 ``names`` 中的某个名字（``lib.im2col`` 这种属性访问、注释和字符串不算）。"""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return any(re.search(rf'(?<![\w.]){re.escape(name)}\b', source) for name in names)
    previous = None
    for token in tokens:
        if token.type == tokenize.NAME and token.string in names and previous != '.':
            return True
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE):
            previous = token.string
    return False


def student_notebook(nb):
    """返回 ``nb`` 的学生版（不改动 ``nb`` 本身）。"""
    nb = copy.deepcopy(nb)
    functions = solution_functions(nb)
    clear = ClearSolutions(code_stub={'python': CODE_STUB}, text_stub=TEXT_STUB)
    for preprocessor in (clear, ClearHiddenTests(), ClearOutput()):
        nb, _ = preprocessor.preprocess(nb, {})

    cleared = set()                 # 到目前为止已被清空的函数名
    for cell in nb.cells:
        if cell.cell_type != 'code':
            continue
        if is_solution(cell):       # 报错信息里写上练习的函数名
            grade_id = nbgrader_meta(cell)['grade_id']
            names = functions[grade_id]
            cell.source = cell.source.replace(PLACEHOLDER, ', '.join(names) or grade_id)
            cleared.update(names)
        elif cleared and uses_name(cell.source, cleared):
            tags = cell.metadata.setdefault('tags', [])
            if RAISES not in tags:
                tags.append(RAISES)
    nbformat.validate(nb)
    return nb


def write_student_versions(src_dir, out_dir):
    """把 ``src_dir`` 里每个 .ipynb 的学生版写到 ``out_dir``（同名），返回写出的路径列表。"""
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    notebooks = sorted(src_dir.glob('*.ipynb'))
    if not notebooks:
        raise FileNotFoundError(f'{src_dir} 里没有 .ipynb 笔记本')
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = out_dir / path.name
        nbformat.write(student_notebook(nb), target)
        written.append(target)
    return written


BOOK_FILES = ('_config.yml', '_toc.yml', 'intro.md', 'glossary.md', 'instructor_guide.md', 'bibliography.md',
              'references.bib', 'images')


def student_config(config):
    """学生版书的配置：在原配置上改几处，让页面里拿不到含答案的文件。

    * 不复制源文件（``html_copy_source``），不给下载按钮（``.ipynb``/``.md`` 与 PDF）；
    * 不给仓库、Binder、Colab 按钮：它们指向仓库里带答案的教师版；
    * 执行时只有带 ``raises-exception`` 标签的单元格（未完成练习的检查）可以报错。

    Jupyter Book 1 不会把 ``html.use_download_button`` 传给主题，所以这里直接改主题选项
    ``html_theme_options``，并打开 ``sphinx.recursive_update``：主题选项与 Jupyter Book
    由 ``html``、``repository`` 等算出的那些合并，而不是整个替换。
    """
    config = copy.deepcopy(config)
    config['title'] = f"{config.get('title', '')}（学生版）"
    buttons = dict(use_download_button=False, use_repository_button=False,
                   use_issues_button=False, use_edit_page_button=False)
    config.setdefault('html', {}).update(buttons)
    config['launch_buttons'] = {'binderhub_url': '', 'colab_url': ''}
    sphinx = config.setdefault('sphinx', {})
    sphinx['recursive_update'] = True
    sphinx_config = sphinx.setdefault('config', {})
    sphinx_config['html_theme_options'] = {**buttons, 'launch_buttons': dict(config['launch_buttons'])}
    sphinx_config['html_copy_source'] = False     # 不把笔记本源文件放进 _sources/
    sphinx_config['html_show_sourcelink'] = False
    # 未完成练习的回溯里有中文标点，IPython 回溯的语法高亮会报警告（-W 下即失败）；改用纯文本的 ANSI 着色
    sphinx_config['nb_render_error_lexer'] = 'myst-ansi'
    config.setdefault('execute', {})['allow_errors'] = False
    return config


def stage_student_book(root, student_chapters, staging):
    """在 ``staging`` 里搭好学生版书的源文件（先清空它），返回 ``staging``。"""
    root, staging = Path(root), Path(staging)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for name in BOOK_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns('__pycache__', '*.py'))
        else:
            shutil.copy2(source, staging / name)
    shutil.copytree(student_chapters, staging / 'chapters')
    config = yaml.safe_load((root / '_config.yml').read_text(encoding='utf-8'))
    text = yaml.safe_dump(student_config(config), allow_unicode=True, sort_keys=False)
    header = '# 学生版的配置：由 booktools/student.py 从 _config.yml 生成\n'
    (staging / '_config.yml').write_text(header + text, encoding='utf-8')
    return staging


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m booktools.student',
                                     description='生成学生版笔记本或学生版书的源文件')
    parser.add_argument('--stage-book', action='store_true',
                        help='搭学生版书的源文件：ROOT STUDENT_CHAPTERS STAGING')
    parser.add_argument('paths', nargs='+')
    args = parser.parse_args(argv)
    if args.stage_book:
        if len(args.paths) != 3:
            parser.error('--stage-book 需要三个路径：ROOT STUDENT_CHAPTERS STAGING')
        staging = stage_student_book(*args.paths)
        print(f'学生版书的源文件：{staging}')
        return 0
    if len(args.paths) != 2:
        parser.error('需要两个路径：SRC_DIR OUT_DIR')
    for path in write_student_versions(*args.paths):
        print(f'学生版：{path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
