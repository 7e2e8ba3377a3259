"""全书一个概念一个名字：章节的正文（Markdown 单元格）、前言、教师指南、术语表和 lib 里给学习者看的文字
不用被淘汰的说法。

名单与理由（选定的写法见术语表 glossary.md）：

* 填充（padding），不说“补零”：d2l-zh 的译法；只在强调补的是 0 时写“补 0”。
* 步幅（stride），不说“步长”（“步长”也常指优化里每一步走多远，两者易混）。
* 神经网络，不说“神经元网络”。
* 一张数字图，不说“一张数字”（数字是 0–9，图才论张）。
* 原课程 / 基线网络，不说“种子课程 / 种子网络 / 种子代码”：“种子”在本书里是随机数的种子（lib.seed）。
  代码里的名字（``lib.zoo.seed_network``）不在此列：只查文字，不查标识符。
* 窗口矩阵（patch matrix），不说“列矩阵”：数学里的列矩阵是 n×1 的。
* 特征图（feature map），不说“特征映射”（d2l-zh 的译法，只在术语表的对照里出现）。

加了中文引号的（“种子网络”）是在谈这个词本身，不算。新的章节（chapters/*.ipynb）自动纳入检查。
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

BANNED = [   # (正则, 应该写成)
    (r'补零', '填充（强调补的是 0 时写“补 0”）'),
    (r'步长', '步幅'),
    (r'神经元网络', '神经网络'),
    (r'一张数字(?!图)', '一张数字图'),
    (r'种子(课程|网络|代码|式|设置|的(设置|公式|布局|网络|代码))', '原课程 / 基线网络'),
    (r'列矩阵', '窗口矩阵'),
    (r'特征映射', '特征图'),
]
# 术语表要列出 d2l-zh 的译法，那里允许“特征映射”
ALLOWED = {'glossary.md': {'特征映射'}}


def prose_of_notebook(path):
    """章节的正文：Markdown 单元格，去掉行内代码（代码里的名字不是正文）。"""
    nb = nbformat.read(path, as_version=4)
    return [(f'{path.name} 第 {index} 个单元格', strip_code(cell.source))
            for index, cell in enumerate(nb.cells) if cell.cell_type == 'markdown']


def strip_code(text):
    return re.sub(r'`[^`\n]*`', '`…`', text)


def lib_text():
    """lib 里的字符串与注释（docstring、错误信息、图的标题）；标识符都是英文，不会误报。"""
    return [(str(path.relative_to(ROOT)), path.read_text(encoding='utf-8'))
            for path in sorted((ROOT / 'lib').rglob('*.py'))]


def sources():
    found = []
    for path in sorted((ROOT / 'chapters').glob('*.ipynb')):
        found += prose_of_notebook(path)
    for name in ('intro.md', 'instructor_guide.md', 'glossary.md', 'README.md'):
        found.append((name, strip_code((ROOT / name).read_text(encoding='utf-8'))))
    return found + lib_text()


def violations(texts):
    problems = []
    for where, text in texts:
        allowed = ALLOWED.get(where, set())
        for pattern, preferred in BANNED:
            for match in re.finditer(pattern, text):
                quoted = text[match.start() - 1:match.start()] == '“' and \
                    text[match.end():match.end() + 1] == '”'
                if match.group(0) in allowed or quoted:       # 加引号是在谈这个词本身，例如术语表的说明
                    continue
                context = text[max(0, match.start() - 15):match.end() + 15].replace('\n', ' ')
                problems.append(f'{where}：“{match.group(0)}”应写成 {preferred}（…{context}…）')
    return problems


def test_no_banned_variants_in_prose():
    problems = violations(sources())
    assert not problems, '术语不统一：\n' + '\n'.join(problems)


@pytest.mark.parametrize('text, found', [
    ('先在输入四周补零，再卷积。', '补零'),
    ('窗口每次移动的步长', '步长'),
    ('全连接神经元网络', '神经元网络'),
    ('取一张数字，平移一个像素', '一张数字'),
    ('种子课程说……', '种子课程'),
    ('和种子网络比一比', '种子网络'),
    ('种子的设置（批大小 2）', '种子的设置'),
    ('叫它列矩阵', '列矩阵'),
])
def test_banned_variants_are_caught(text, found):
    problems = violations([('例子', text)])
    assert len(problems) == 1 and f'“{found}”' in problems[0]


@pytest.mark.parametrize('text', [
    '填充 1 圈，空出来的补 0。', '取一张数字图', '同一个种子，得到同一串顺序', '随机种子 0、1、2',
    '原课程的基线网络', '`lib.zoo.seed_network`', '窗口矩阵的一列', '步幅为 2 的切片',
    '不叫“种子网络”，免得混淆',
])
def test_preferred_terms_pass(text):
    assert violations([('例子', strip_code(text))]) == []


def test_glossary_is_in_the_appendix_before_the_bibliography():
    import yaml
    toc = yaml.safe_load((ROOT / '_toc.yml').read_text(encoding='utf-8'))
    appendix = [part for part in toc['parts'] if part['caption'] == '附录'][0]
    files = [chapter['file'] for chapter in appendix['chapters']]
    assert 'glossary' in files and files.index('glossary') < files.index('bibliography')


def test_glossary_terms_are_defined_and_linked_from_the_chapters():
    """术语表的每个条目注明英文与章；正文里的 {term} 链接都指向术语表里有的条目，而且每章都有链接。"""
    text = (ROOT / 'glossary.md').read_text(encoding='utf-8')
    block = text.split('```{glossary}', 1)[1].split('\n```', 1)[0]
    entries = dict(re.findall(r'^(\S+)\n  (.+)$', block, re.MULTILINE))
    assert len(entries) >= 30
    for term, definition in entries.items():
        assert re.match(r'[a-zA-Z]', definition), f'术语表的 {term} 应先写英文：{definition}'
        assert '章' in definition, f'术语表的 {term} 应注明定义它的章'
    for path in sorted((ROOT / 'chapters').glob('[0-9][0-9]_*.ipynb')):
        nb = nbformat.read(path, as_version=4)
        linked = re.findall(r'\{term\}`([^`]+)`', '\n'.join(c.source for c in nb.cells))
        for term in linked:
            assert term in entries, f'{path.name} 链接了术语表里没有的 {term!r}'
        if int(path.name[:2]) <= 4:
            assert linked, f'{path.name} 没有链接到术语表的术语'
