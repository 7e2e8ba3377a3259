"""nbgrader 的命令行（教师实际运行的程序）能处理每一章：出题、学生版、自动评分、反馈、导出成绩。

每章在一个临时的课程目录里走一遍完整的流程，只通过 ``nbgrader`` 命令（子进程）操作：

1. ``nbgrader generate_assignment chN``：教师版放在 ``source/chN/``，生成 ``release/chN/``；
2. ``nbgrader validate``：教师版（带参考答案）通过全部检查；
3. 学生版里没有 ``BEGIN/END SOLUTION``、``BEGIN/END HIDDEN TESTS`` 标记，也没有任何一行参考答案
   或隐藏检查；答案处是课程配置里的中文提示；
4. 三份作业放进 ``submitted/<学生>/chN/``，一次 ``nbgrader autograde chN`` 评完：

   * ``reference``：把教师版的参考答案填进学生版 → 每个自动评分的检查单元格满分；
   * ``blank``：学生版原样交上来 → 每个检查单元格 0 分，空着的思考题自动记 0 分；
   * ``wrong``：每道编程题一个典型的错误写法（见 ``WRONG``）→ 每个检查单元格 0 分；
     另外把第一个检查单元格改成 ``pass``：nbgrader 必须把它换回原样（仍是 0 分）并报警告；

5. 从成绩库（``gradebook.db``，nbgrader.api.Gradebook）逐个单元格核对分数；期望值只从
   教师版的 nbgrader 元数据（分值）推出来；
6. ``nbgrader generate_feedback chN`` 与 ``nbgrader export`` 成功，导出的总分与成绩库一致。

autograde 的输出里不能有 ERROR，也不能有 “Attribute 'checksum' … has changed!”（除了 ``wrong``
故意改掉的那个单元格）：课程配置里的 QuietHiddenTestsOverwriteCells 只对学生版原样的检查单元格不报。

不导入 lib 里的检查代码：一切从笔记本与 nbgrader 得出。每章要把笔记本完整运行 4 次（validate 1 次，
autograde 3 次），所以标为 slow。
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / 'chapters').glob('*.ipynb'))
NBGRADER_CONFIG = ROOT / 'booktools' / 'nbgrader_config.py'
BIN = Path(sys.executable).parent          # venv 的 bin/：nbgrader 与 alembic（建成绩库时要用）都在这里
COURSE_ID = 'juanjiceng'
STUDENTS = ('reference', 'blank', 'wrong')

CODE_STUB = "raise NotImplementedError('请完成这个练习')"
TEXT_STUB = '在这里写下你的答案。'
MARKERS = ('BEGIN SOLUTION', 'END SOLUTION', 'BEGIN HIDDEN TESTS', 'END HIDDEN TESTS')
CHECKSUM_WARNING = re.compile(r"Attribute 'checksum' for cell (\S+) has changed")
TAMPERED = 'pass  # 把检查删掉了'
# 错误写法应该返回错误的结果，而不是自己崩溃（检查会把函数里抛出的异常连同类型名一起报出来）
CRASH = re.compile(r'\b(NameError|SyntaxError|IndentationError|TypeError|AttributeError|ImportError|'
                   r'ModuleNotFoundError|UnboundLocalError)\b')

# 每道编程题一个典型的错误写法（学生真会写出来的那种），按解答单元格的 grade_id
WRONG = {
    'ch1-output-size': '''
def output_size(size, kernel_size, stride=1, padding=0):
    """卷积输出的边长（整数）。"""
    return (size + 2 * padding - kernel_size) // stride       # 少了 +1
''',
    'ch1-correlate2d': '''
def correlate2d(image, kernel):
    """单张二维图与 k×k 卷积核的互相关。"""
    k = kernel.shape[0]
    flipped = kernel[::-1, ::-1]                # 把卷积核翻转了：算成了数学卷积
    rows, columns = image.shape[0] - k + 1, image.shape[1] - k + 1
    feature_map = np.zeros((rows, columns))
    for i in range(rows):
        for j in range(columns):
            feature_map[i, j] = np.sum(image[i:i + k, j:j + k] * flipped)
    return feature_map
''',
    'ch1-diagonal-kernel': '''
def diagonal_kernel():
    """返回一个检测对角边缘的 3×3 卷积核。"""
    return np.array([[-1, 0, 1],
                     [-1, 0, 1],
                     [-1, 0, 1]], dtype=float)     # 其实是竖直边缘卷积核
''',
    'ch2-im2col': '''
def im2col(x, kernel_size, stride=1, padding=0):
    """图转列。"""
    N, C, H, W = x.shape
    k = kernel_size
    out_h = lib.output_size(H, k, stride, padding)
    out_w = lib.output_size(W, k, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = np.empty((N, out_h * out_w, C * k * k), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            rows[:, i * out_w + j] = window.reshape(N, -1)     # 每个窗口放成了一行，而不是一列
    return rows
''',
    'ch2-col2im': '''
def col2im(cols, input_shape, kernel_size, stride=1, padding=0):
    """列转图。"""
    N, C, H, W = input_shape
    k = kernel_size
    out_h = lib.output_size(H, k, stride, padding)
    out_w = lib.output_size(W, k, stride, padding)
    windows = cols.reshape(N, C, k, k, out_h, out_w)
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=cols.dtype)
    for m in range(k):
        for n in range(k):
            rows = slice(m, m + stride * out_h, stride)
            columns = slice(n, n + stride * out_w, stride)
            xp[:, :, rows, columns] = windows[:, :, m, n]     # 用了 = 而不是 +=：重叠处只留下最后一份
    return xp[:, :, padding:padding + H, padding:padding + W]
''',
    'ch2-conv-backward': '''
def conv_backward(x, weight, grad_out, stride=1, padding=0):
    """卷积层的反向传播。"""
    N, F, k = x.shape[0], weight.shape[0], weight.shape[2]
    cols = lib.im2col(x, k, stride, padding)
    dY = grad_out.reshape(N, F, -1)
    W = weight.reshape(F, -1)
    dw = (dY @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    db = dY.sum(axis=(0, 2)) / N                    # 多除了一次批大小
    dx = lib.col2im(W.T @ dY, x.shape, k, stride, padding)
    return dx, dw, db
''',
    'ch3-parameter-count': '''
def parameter_count(kernels, kernel_size, hidden, padding=0, size=28, channels=1, classes=10):
    """网络的参数总数。"""
    side = size + 2 * padding - kernel_size + 1
    flat = kernels * side * side
    return kernels * channels * kernel_size ** 2 + flat * hidden + hidden * classes   # 忘了偏置
''',
    'ch3-settings': '''
def my_settings():
    """训练设置。"""
    return dict(lr=0.16, batch_size=32, epochs=3, momentum=0.0)   # 照搬全连接网络的设置：学习率太大，发散
''',
    'ch4-max-pool': '''
def max_pool(x, kernel_size, stride=None):
    """最大池化。"""
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    out_h = lib.output_size(H, kernel_size, stride)
    out_w = lib.output_size(W, kernel_size, stride)
    cols = lib.im2col(x.reshape(N * C, 1, H, W), kernel_size, stride)
    return cols.mean(axis=1).reshape(N, C, out_h, out_w)            # 取了平均值，不是最大值
''',
    'ch4-avg-pool': '''
def avg_pool(x, kernel_size, stride=None):
    """平均池化。"""
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    out_h = lib.output_size(H, kernel_size, stride)
    out_w = lib.output_size(W, kernel_size, stride)
    cols = lib.im2col(x.reshape(N * C, 1, H, W), kernel_size, stride)
    return (cols.sum(axis=1) / kernel_size).reshape(N, C, out_h, out_w)   # 除以 k 而不是 k²
''',
    'ch5-transposed-size': '''
def transposed_size(size, kernel_size, stride=1, padding=0, output_padding=0):
    """转置卷积的输出边长。"""
    return size * stride - 2 * padding + kernel_size + output_padding     # 应是 (size - 1)·stride
''',
    'ch5-conv-backward-naive': '''
def conv_backward_naive(x, weight, grad_out, stride=1, padding=0):
    """卷积层的反向传播（循环版）。"""
    N, C, H, W = x.shape
    F, _, k, _ = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(weight)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            window = xp[:, :, i:i + k, j:j + k]            # 忘了步幅：左上角应是 (i·stride, j·stride)
            for f in range(F):
                g = grad_out[:, f, i, j][:, None, None, None]
                dw[f] += (g * window).sum(axis=0)
                dxp[:, :, i:i + k, j:j + k] += g * weight[f]
    db = grad_out.sum(axis=(0, 2, 3))
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, db
''',
    'ch5-max-pool-backward': '''
def max_pool_backward(x, grad_out, kernel_size, stride=None):
    """最大池化的反向传播。"""
    stride = kernel_size if stride is None else stride
    k = kernel_size
    dx = np.zeros_like(x)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            r, c = i * stride, j * stride
            dx[:, :, r:r + k, c:c + k] += grad_out[:, :, i:i + 1, j:j + 1]   # 梯度给了窗口里的每个元素
    return dx
''',
    'ch6-conv-forward': '''
def conv_forward(x, weight, bias, stride=1, padding=0):
    """多通道卷积的前向。"""
    N, C, H, W = x.shape
    F, _, k, _ = weight.shape
    out_h = (H + 2 * padding - k) // stride + 1
    out_w = (W + 2 * padding - k) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((N, F, out_h, out_w), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(out_h):
                for j in range(out_w):
                    window = xp[n, 0, i * stride:i * stride + k, j * stride:j * stride + k]
                    y[n, f, i, j] = np.sum(window * weight[f, 0]) + bias[f]   # 只用了第 0 个通道
    return y
''',
    'ch6-conv-macs': '''
def conv_macs(N, C, H, W, F, k, stride=1, padding=0):
    """卷积层前向的乘加次数。"""
    return N * F * C * k * k * H * W          # 用了输入的高宽，而不是输出的 H′×W′
''',
    'ch6-conv1x1': '''
def conv1x1(x, weight, bias):
    """1×1 卷积。"""
    N, C, H, W = x.shape
    pixels = x.transpose(0, 2, 3, 1).reshape(-1, C)
    return (pixels @ weight.T + bias).reshape(N, H, W, -1)     # 忘了把通道轴放回第 1 维
''',
    'ch6-winograd-tile': '''
def winograd_tile(d, g):
    """Winograd F(2, 3) 的一块。"""
    BT, G, AT = fastconv.WINOGRAD_BT, fastconv.WINOGRAD_G, fastconv.WINOGRAD_AT
    return (G @ g @ G.T) * (BT @ d @ BT.T)       # 忘了最后的输出变换 Aᵀ(·)A：得到 4×4
''',
    'ch7-global-avg-pool': '''
def global_avg_pool(x):
    """全局平均池化。"""
    return x.mean(axis=(2, 3), keepdims=True)          # 留下了 (N, C, 1, 1)，不是 (N, C)
''',
    'ch7-batchnorm-forward': '''
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """训练模式的批归一化。"""
    mean = x.mean(axis=0, keepdims=True)               # 只对批求统计量：每个像素各自归一化
    var = x.var(axis=0, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
''',
    'ch7-batchnorm-backward': '''
def batchnorm_backward(x, gamma, grad_out, eps=1e-5):
    """训练模式批归一化的反向传播。"""
    axes = (0, 2, 3)
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    dx = grad_out * gamma.reshape(1, -1, 1, 1) * inv_std    # 把均值和方差当成了常数
    return dx, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)
''',
    'ch7-residual-parameters': '''
def residual_block_parameters(in_channels, out_channels, stride=1):
    """残差块的参数个数。"""
    def conv(c_in, c_out, k):
        return c_in * c_out * k * k + c_out
    return conv(in_channels, out_channels, 3) + conv(out_channels, out_channels, 3) + 4 * out_channels
    # 忘了通道数或步幅变化时的 1×1 投影捷径
''',
}
WRONG_TEXT = '我觉得结果和原来一样，因为卷积核没有变。'     # 思考题的错误回答（要人工评分）

TIMINGS = {}     # (章, 步骤) → 秒；测试结束时打印


def meta(cell):
    return cell.get('metadata', {}).get('nbgrader', {})


def assignment_name(path):
    """01_convolution_intuition.ipynb → ch1（与 Makefile 的 assignments 目标一致）。"""
    return f'ch{int(path.name[:2])}'


def nbgrader(course, *args, timeout=3600):
    """在课程目录里运行一个 nbgrader 命令；返回 (退出码, stdout+stderr, 秒)。"""
    env = dict(os.environ, PATH=f'{BIN}{os.pathsep}{os.environ.get("PATH", "")}')
    for variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        env.setdefault(variable, '1')
    start = time.perf_counter()
    result = subprocess.run([str(BIN / 'nbgrader'), *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr, time.perf_counter() - start


def run_ok(course, *args, chapter=None):
    """运行 nbgrader 命令，要求成功且输出里没有 ERROR。"""
    code, output, seconds = nbgrader(course, *args)
    if chapter:
        TIMINGS[chapter, args[0]] = seconds
    assert code == 0, f'nbgrader {" ".join(args)} 失败（退出码 {code}）：\n{output[-6000:]}'
    errors = [line for line in output.splitlines() if '| ERROR]' in line or line.startswith('ERROR')]
    assert not errors, f'nbgrader {" ".join(args)} 的输出里有错误：\n' + '\n'.join(errors)
    return output


def strip_markers(source):
    return '\n'.join(line for line in source.split('\n') if not any(m in line for m in MARKERS))


def private_lines(nb):
    """参考答案与隐藏检查里的行，只取在教师版的其余部分（学生也看得到的部分）里没有出现过的。"""
    private, public = [], []
    for cell in nb.cells:
        if cell.cell_type == 'markdown' and meta(cell).get('solution'):
            private += cell.source.split('\n')
            continue
        region = None
        for line in cell.source.split('\n'):
            if 'BEGIN SOLUTION' in line or 'BEGIN HIDDEN TESTS' in line:
                region = private
            elif 'END SOLUTION' in line or 'END HIDDEN TESTS' in line:
                region = None
            else:
                (region if region is not None else public).append(line.strip())
    public = set(public)
    return sorted({line.strip() for line in private}
                  - public - {''}
                  - {line.strip() for line in private if line.strip().startswith(('```', ':class:'))})


def graded_cells(nb):
    """教师版里每个评分单元格：grade_id → (分值, 'auto' 或 'manual')。"""
    cells = {}
    for cell in nb.cells:
        if meta(cell).get('grade'):
            kind = 'manual' if meta(cell).get('solution') else 'auto'
            cells[meta(cell)['grade_id']] = (float(meta(cell)['points']), kind)
    return cells


def expected_scores(nb, student):
    """期望的成绩：grade_id → (auto_score, needs_manual_grade)，只从元数据推出。"""
    expected = {}
    for grade_id, (points, kind) in graded_cells(nb).items():
        if kind == 'auto':
            expected[grade_id] = (points if student == 'reference' else 0.0, False)
        elif student == 'blank':
            expected[grade_id] = (0.0, False)       # 没作答：nbgrader 自动记 0 分
        else:
            expected[grade_id] = (None, True)       # 作答了：等教师人工评分
    return expected


def submission(source, release, student):
    """从学生版做出一份作业（nbformat 对象）；返回 (笔记本, 被改掉的检查单元格的 grade_id 或 None)。"""
    nb = nbformat.reads(nbformat.writes(release), as_version=4)      # 深拷贝
    if student == 'blank':
        return nb, None
    answers = {meta(cell)['grade_id']: cell for cell in source.cells if meta(cell).get('solution')}
    tampered = None
    for cell in nb.cells:
        grade_id = meta(cell).get('grade_id')
        if grade_id in answers:
            if cell.cell_type == 'markdown':
                if student == 'reference':
                    answer = answers[grade_id].source.split('\n')
                    cell.source = '\n'.join(line for line in answer
                                            if not line.startswith(('```', ':class:'))).strip()
                else:
                    cell.source = WRONG_TEXT
            elif student == 'reference':
                cell.source = strip_markers(answers[grade_id].source)
            else:
                assert grade_id in WRONG, f'给编程题 {grade_id} 在 WRONG 里加一个典型的错误写法'
                cell.source = WRONG[grade_id].strip()
        elif student == 'wrong' and tampered is None and meta(cell).get('grade') and cell.cell_type == 'code':
            cell.source = TAMPERED                  # 学生删掉了检查：nbgrader 应换回原样
            tampered = grade_id
    return nb, tampered


def check_release(source, release, name):
    text = '\n'.join(cell.source for cell in release.cells)
    for marker in MARKERS:
        assert marker not in text, f'{name} 的学生版里还有 {marker}'
    leaked = [line for line in private_lines(source) if len(line) >= 12 and line in text]
    assert not leaked, f'{name} 的学生版泄露了参考答案或隐藏检查：{leaked[:5]}'
    for cell in release.cells:
        grade_id = meta(cell).get('grade_id')
        if meta(cell).get('solution'):
            if cell.cell_type == 'code':
                assert CODE_STUB in cell.source, f'{grade_id} 的学生版没有课程配置里的代码提示'
            else:
                assert cell.source == TEXT_STUB, f'{grade_id} 的学生版没有课程配置里的文字提示'
        if cell.cell_type == 'code':
            assert cell.outputs == [] and cell.execution_count is None


def read_gradebook(course, assignment, notebook):
    """{学生: {grade_id: (auto_score, manual_score, max_score, needs_manual_grade)}} 与各自的总分。"""
    from nbgrader.api import Gradebook

    grades, totals = {}, {}
    with Gradebook(f'sqlite:///{course / "gradebook.db"}', course_id=COURSE_ID) as gb:
        for student in STUDENTS:
            submitted = gb.find_submission_notebook(notebook, assignment, student)
            grades[student] = {g.name: (g.auto_score, g.manual_score, g.max_score, g.needs_manual_grade)
                               for g in submitted.grades}
            totals[student] = (submitted.score, submitted.max_score)
    return grades, totals


def format_table(chapter, grades):
    """成绩表（学生 × 单元格 → 分数/满分；? 表示等人工评分），打印出来供查看。"""
    cells = list(next(iter(grades.values())))
    lines = [f'{chapter}: ' + ' | '.join(['student'] + cells)]
    for student, row in grades.items():
        shown = [('?' if auto is None else f'{auto:g}') + f'/{top:g}' for auto, _, top, _ in row.values()]
        lines.append(f'{chapter}: ' + ' | '.join([student] + shown))
    return '\n'.join(lines)


@pytest.fixture(scope='module', autouse=True)
def print_timings():
    yield
    if TIMINGS:
        print('\nnbgrader 命令的耗时（秒）：')
        for (chapter, step), seconds in TIMINGS.items():
            print(f'  {chapter:5} {step:22} {seconds:7.1f}')


@pytest.mark.slow
@pytest.mark.parametrize('path', CHAPTERS, ids=lambda p: p.stem)
def test_nbgrader_round_trip(path, tmp_path):
    assert NBGRADER_CONFIG.is_file(), f'缺少课程配置 {NBGRADER_CONFIG}'
    assert (BIN / 'nbgrader').is_file() and (BIN / 'alembic').is_file(), f'{BIN} 里没有 nbgrader 或 alembic'
    assignment, name = assignment_name(path), path.name
    source = nbformat.read(path, as_version=4)
    assert graded_cells(source), f'{name} 里没有评分单元格'

    course = tmp_path / 'course'
    (course / 'source' / assignment).mkdir(parents=True)
    shutil.copy(NBGRADER_CONFIG, course / 'nbgrader_config.py')
    shutil.copy(path, course / 'source' / assignment / name)

    # 1. 出题：生成学生版，同时建成绩库
    run_ok(course, 'generate_assignment', assignment, chapter=assignment)
    release_path = course / 'release' / assignment / name
    release = nbformat.read(release_path, as_version=4)
    nbformat.validate(release)

    # 2. 教师版通过 nbgrader validate（会把笔记本完整运行一遍）
    output = run_ok(course, 'validate', f'source/{assignment}/{name}', chapter=assignment)
    assert 'Success! Your notebook passes all the tests.' in output, output[-4000:]

    # 3. 学生版里没有答案、没有隐藏检查
    check_release(source, release, name)

    # 4. 三份作业，一次 autograde 评完
    tampered = {}
    for student in STUDENTS:
        nb, tampered[student] = submission(source, release, student)
        target = course / 'submitted' / student / assignment / name
        target.parent.mkdir(parents=True)
        if student == 'blank':
            shutil.copy(release_path, target)      # 原样交上来
        else:
            nbformat.write(nb, target)
    assert tampered['wrong'], '没有找到可以改掉的检查单元格'
    output = run_ok(course, 'autograde', assignment, chapter=assignment)
    for student in STUDENTS:
        assert (course / 'autograded' / student / assignment / name).is_file(), f'{student} 没有评分结果'
    warned = CHECKSUM_WARNING.findall(output)
    assert warned == [tampered['wrong']], (
        f'只有 wrong 改掉的 {tampered["wrong"]} 应该报校验和警告，实际：{warned}')

    # 5. 成绩库：逐个单元格与元数据推出的期望值比较
    grades, totals = read_gradebook(course, assignment, path.stem)
    print('\n' + format_table(assignment, grades))
    cells = graded_cells(source)
    for student in STUDENTS:
        assert set(grades[student]) == set(cells), f'{student} 的成绩单元格与教师版不一致'
        expected = expected_scores(source, student)
        for grade_id, (auto, needs_manual) in expected.items():
            actual_auto, manual, top, actual_needs = grades[student][grade_id]
            points = cells[grade_id][0]
            assert top == points, f'{student} {grade_id}：满分 {top}，元数据里是 {points}'
            assert manual is None
            assert (actual_auto, actual_needs) == (auto, needs_manual), (
                f'{student} 的 {grade_id}：期望 auto_score={auto}、needs_manual_grade={needs_manual}，'
                f'实际 {actual_auto}、{actual_needs}')
        auto_total = sum(score for score, _ in expected.values() if score is not None)
        assert totals[student] == (auto_total, sum(points for points, _ in cells.values()))

    # 零分的原因要对：blank 是还没做（NotImplementedError）；
    # wrong 是检查发现结果不对，而不是错误写法自己崩了
    for student in ('blank', 'wrong'):
        graded = nbformat.read(course / 'autograded' / student / assignment / name, as_version=4)
        for cell in graded.cells:
            if not meta(cell).get('grade') or meta(cell).get('solution'):
                continue
            errors = [output for output in cell.outputs if output.output_type == 'error']
            assert len(errors) == 1, f'{student} 的 {meta(cell)["grade_id"]} 应该恰好报一个错：{errors}'
            ename, evalue = errors[0].ename, errors[0].evalue
            if student == 'blank':
                assert ename == 'NotImplementedError', f'blank 的 {meta(cell)["grade_id"]}：{ename}: {evalue}'
            else:
                assert ename != 'NotImplementedError' and not CRASH.search(f'{ename}: {evalue}'), (
                    f'wrong 的 {meta(cell)["grade_id"]} 应该因为结果不对而失败，实际：{ename}: {evalue}')

    # 6. 反馈与成绩导出
    run_ok(course, 'generate_feedback', assignment, chapter=assignment)
    for student in STUDENTS:
        feedback = course / 'feedback' / student / assignment / f'{path.stem}.html'
        assert feedback.is_file() and feedback.stat().st_size > 0, f'{student} 没有反馈'
    run_ok(course, 'export', chapter=assignment)
    with open(course / 'grades.csv', encoding='utf-8', newline='') as f:
        rows = {row['student_id']: row for row in csv.DictReader(f)}
    assert set(rows) == set(STUDENTS)
    for student in STUDENTS:
        assert rows[student]['assignment'] == assignment
        assert float(rows[student]['raw_score']) == totals[student][0]
        assert float(rows[student]['max_score']) == totals[student][1]
