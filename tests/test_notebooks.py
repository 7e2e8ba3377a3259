"""笔记本的存储约定：不带输出、格式有效、内核一致、目录里的章节都在。

笔记本能否从头运行由 nbval 检查（make test 里的 `pytest chapters --nbval-lax`）。
"""

from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'chapters').glob('*.ipynb'))


def toc_files():
    toc = yaml.safe_load((ROOT / '_toc.yml').read_text(encoding='utf-8'))
    files = [toc['root']]
    for part in toc.get('parts', []):
        files += [chapter['file'] for chapter in part['chapters']]
    return files


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / f'{entry}{suffix}' for suffix in ('.md', '.ipynb')]
        assert any(path.is_file() for path in candidates), f'_toc.yml 里的 {entry} 找不到对应文件'


def test_every_notebook_is_in_the_toc():
    entries = set(toc_files())
    for path in NOTEBOOKS:
        assert f'chapters/{path.stem}' in entries, f'{path.name} 不在 _toc.yml 里'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == 'code':
            assert cell.outputs == [], f'{path.name} 第 {index} 个单元格带着输出提交了'
            assert cell.execution_count is None, f'{path.name} 第 {index} 个单元格带着执行序号'
    assert 'widgets' not in nb.metadata, f'{path.name} 的元数据里存着控件状态'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_and_title(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata['kernelspec']['name'] == 'python3'
    first = nb.cells[0]
    assert first.cell_type == 'markdown' and first.source.lstrip().startswith('# ')
    titles = [line for cell in nb.cells if cell.cell_type == 'markdown'
              for line in cell.source.splitlines() if line.startswith('# ')]
    assert len(titles) == 1, f'{path.name} 应该只有一个一级标题，实际有 {titles}'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_for_colab(path):
    """第二个单元格在 lib 不可导入时（如 Colab）克隆仓库并安装依赖；书里隐藏；地址与 _config.yml 一致。"""
    config = yaml.safe_load((ROOT / '_config.yml').read_text(encoding='utf-8'))
    cell = nbformat.read(path, as_version=4).cells[1]
    assert cell.cell_type == 'code' and 'remove-cell' in cell.metadata.get('tags', [])
    assert "find_spec('lib') is None" in cell.source
    assert f"REPOSITORY = '{config['repository']['url']}'" in cell.source
    assert config['launch_buttons']['colab_url'] and config['launch_buttons']['binderhub_url']


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_nbgrader_metadata_is_what_nbgrader_accepts(path):
    """nbgrader 的命令行拒绝不评分的 Markdown 答案单元格；评分单元格要有分值，grade_id 不重复。
    （完整的 nbgrader 流程在 tests/test_nbgrader_cli.py 里用 nbgrader 自己的命令行走一遍。）"""
    ids = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get('nbgrader')
        if not meta:
            continue
        ids.append(meta['grade_id'])
        if cell.cell_type == 'markdown' and meta.get('solution'):
            assert meta.get('grade') is True, f'{meta["grade_id"]}：Markdown 答案必须是（手工）评分单元格'
        if meta.get('grade'):
            assert isinstance(meta.get('points'), int) and meta['points'] > 0, meta
        if meta.get('grade') and not meta.get('solution'):
            assert meta.get('locked') is True, f'{meta["grade_id"]}：检查单元格应锁定'
    assert len(ids) == len(set(ids)), f'{path.name} 里 grade_id 有重复'
