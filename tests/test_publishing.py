"""发布到 GitHub Pages 的工作流：合法的 YAML，用当前版本的官方 action，构建命令与 README 一致。"""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / '.github' / 'workflows' / 'book.yml'


def load():
    return yaml.safe_load(WORKFLOW.read_text(encoding='utf-8'))


def steps(job):
    return load()['jobs'][job]['steps']


def test_workflow_builds_with_make_book_and_deploys_pages():
    workflow = load()
    assert workflow['permissions'] == {'contents': 'read', 'pages': 'write', 'id-token': 'write'}
    assert any(step.get('run') == 'make book' for step in steps('build'))
    assert workflow['jobs']['deploy']['needs'] == 'build'
    assert 'make book' in (ROOT / 'README.md').read_text(encoding='utf-8')


def test_actions_are_current_major_versions():
    uses = {step['uses'].split('@')[0]: step['uses'].split('@')[1]
            for job in ('build', 'deploy') for step in steps(job) if 'uses' in step}
    assert uses == {'actions/checkout': 'v5', 'actions/setup-python': 'v6',
                    'actions/upload-pages-artifact': 'v4', 'actions/deploy-pages': 'v4'}


def test_triggers_on_push_to_main():
    workflow = load()
    triggers = workflow.get('on', workflow.get(True))   # PyYAML 把键 on 读成 True
    assert triggers['push']['branches'] == ['main']
