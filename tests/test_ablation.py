"""第 4 章读取的消融结果 ``data/ch4_ablation.json`` 与写出它的脚本 ``tests/ablation.py`` 一致。

章节用这个文件画表、下结论（结论由章节里的断言检查）；这里检查文件确实来自脚本的当前设置：
设置的名字与超参数、轮数、批大小、验证集大小都对得上，每个准确率都是 500 张验证图上的
“认对张数 / 500”（手写或四舍五入过的数通不过）。
"""

import json
from pathlib import Path

import ablation
import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'data' / 'ch4_ablation.json'


@pytest.fixture(scope='module')
def report():
    return json.loads(RESULTS.read_text(encoding='utf-8'))


def test_results_match_the_script(report):
    measured = (report['epochs'], report['batch_size'], report['validation'])
    assert measured == (ablation.EPOCHS, ablation.BATCH_SIZE, ablation.VALIDATION), (
        '轮数、批大小或验证集大小与脚本不同：重新运行 tests/ablation.py')
    settings = {row['name']: (row['augment'], row['peak_lr'], row['momentum'], row['cosine'])
                for row in report['settings']}
    assert settings == ablation.SETTINGS, '设置与 tests/ablation.py 的 SETTINGS 不同：重新运行脚本'


def test_every_accuracy_is_a_count_over_the_validation_set(report):
    n = report['validation']
    for row in report['settings']:
        assert len(row['validation_accuracy']) == len(row['seeds']) >= 3, row['name']
        for accuracy in row['validation_accuracy']:
            correct = accuracy * n
            assert abs(correct - round(correct)) < 1e-9 and 0 <= correct <= n, (
                f'{row["name"]}：{accuracy} 不是 {n} 张验证图上认对的比例')
