"""练习检查的共用部分（harness）：每章的检查（``ch1_intuition`` …）都由这几样拼成。

用法（每章「练习」一节的检查单元格）::

    from lib.exercises import ch2_im2col as checks
    checks.check_im2col(im2col)                      # 学生看得到的检查
    checks.check_im2col(im2col, trials=60, seed=1)   # 更严格的隐藏检查（只在教师版里）

每个检查都在随机生成的情形（批大小、通道数、高宽、卷积核、步幅、填充，有的输入是 float32）上
运行学习者的函数，与 lib 的参考实现逐个比较；有反向传播的，再用 float64 的中心差分做梯度检验
（``lib.gradcheck``）。``seed`` 固定随机情形，同样的调用总是检查同样的情形。
参数与默认值相同时，检查还会像章节里那样省略它再调用一次（``same_with_defaults``），
所以函数的默认值也在检查之内，例如 ``max_pool(x, 2)`` 必须等于 ``max_pool(x, 2, stride=2)``。

* 全部一致：打印一行 ``✓ 通过：……``。
* 有一处不对：抛出 ``CheckError``（``AssertionError`` 的子类）。信息的第一行先说出认得出的典型错误
  （``diagnose``：检查自己列出的，以及差一个常数倍、整数数组、float32 的精度这几样通用的），
  再写明出错的情形，以及期望与实际的形状，或第一个不同的位置和两边的值，或梯度检验的相对误差。
* 学习者的函数自己抛出异常：同样报成 ``CheckError``，并写明是哪个情形触发的；
  只有 ``NotImplementedError``（还没完成的练习）原样抛出。

共用的部分只有几样：``conv_cases`` 生成随机情形，``run`` 调用学习者的函数，
``compare`` 比较数组，``gradient_check`` 做梯度检验，``passed`` 打印通过信息。
出错时学习者只需要看到自己的代码和中文说明，所以这些函数都设了 ``__tracebackhide__``：
IPython 与 pytest 的回溯（traceback）里不显示检查内部的调用栈。
新增一章的检查时，在本目录加一个 ``chN_….py``，照着任何一个 ``check_*`` 写一个同样短的函数即可。
"""

import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import layers
from ..convolution import output_size
from ..gradcheck import relative_error

LIB_DIR = Path(__file__).resolve().parent.parent


class CheckError(AssertionError):
    """练习的检查没有通过。信息是中文，写明出错的情形和差在哪里。

    在 Jupyter（IPython）里，回溯只显示这条中文信息，以及学习者自己代码里出错的那几行
    （``_render_traceback_``）：检查内部与 lib 内部的调用栈一概不显示。
    """

    def _render_traceback_(self):
        lines = []
        cause = self.__cause__
        if cause is not None and cause.__traceback__ is not None:
            own = [frame for frame in traceback.extract_tb(cause.__traceback__)
                   if not Path(frame.filename).resolve().is_relative_to(LIB_DIR)]
            if own:
                lines += ['你的代码里出错的地方：', *traceback.format_list(own)]
        return lines + [f'{type(self).__name__}: {self}']


# ---------------------------------------------------------------- 共用的核心


@dataclass(frozen=True)
class ConvCase:
    """一个检查情形：输入 (N, C, H, W)、F 个 k×k 卷积核、步幅与填充，以及输入的数值类型。"""

    N: int
    C: int
    H: int
    W: int
    k: int
    stride: int = 1
    padding: int = 0
    F: int = 1
    dtype: str = 'float64'

    @property
    def x_shape(self):
        return (self.N, self.C, self.H, self.W)

    @property
    def out_shape(self):
        """(out_h, out_w)，按 lib.output_size 计算。"""
        return (output_size(self.H, self.k, self.stride, self.padding),
                output_size(self.W, self.k, self.stride, self.padding))

    @property
    def tolerance(self):
        """比较时的容差：float32 的输入只要求 float32 的精度。"""
        return TOLERANCES[self.dtype]

    def random(self, rng, shape):
        """形状为 ``shape``、类型为本情形的 ``dtype`` 的标准正态随机数组。"""
        return rng.standard_normal(shape).astype(self.dtype)

    def input_text(self):
        """例如 ``输入形状 (N, C, H, W) = (2, 3, 8, 6)（float32）``。"""
        kind = '' if self.dtype == 'float64' else f'（{self.dtype}）'
        return f'输入形状 (N, C, H, W) = {self.x_shape}{kind}'

    def __str__(self):
        return f'{self.input_text()}，卷积核 {self.k}×{self.k}，stride={self.stride}，padding={self.padding}'


# 比较的容差：float64 的结果应几乎逐位相同；float32 只有约 7 位有效数字
TOLERANCES = {'float64': dict(rtol=1e-6, atol=1e-9), 'float32': dict(rtol=1e-4, atol=1e-5)}

# 固定放在最前面的几个情形：窗口重叠、步幅大于卷积核（有像素不进任何窗口）、
# 填充、高宽不等、多张图多个通道、float32 的输入。它们保证常见的错误不管 seed 取什么都会被查出来。
TYPICAL_CASES = (
    ConvCase(N=2, C=3, H=7, W=9, k=3, stride=1, padding=0, F=2),
    ConvCase(N=2, C=2, H=6, W=5, k=3, stride=2, padding=1, F=3),
    ConvCase(N=1, C=2, H=8, W=7, k=2, stride=3, padding=0, F=2),
    ConvCase(N=3, C=1, H=5, W=6, k=5, stride=1, padding=2, F=1),
    ConvCase(N=1, C=1, H=7, W=9, k=3, stride=1, padding=0, F=1),     # 单张单通道图
    ConvCase(N=2, C=3, H=8, W=7, k=2, stride=2, padding=0, F=2, dtype='float32'),   # 课程数据的类型
)


def conv_cases(trials, seed, batches=(1, 2, 3), channels=(1, 2, 3), filters=(1, 2, 3),
               sizes=range(3, 11), kernels=(1, 2, 3, 4, 5), strides=(1, 2, 3), paddings=(0, 1, 2),
               dtypes=('float64',)):
    """生成 ``trials`` 个检查情形：先是满足取值范围的 ``TYPICAL_CASES``，其余随机。

    Parameters
    ----------
    trials : int
        情形个数。
    seed : int
        随机数种子；相同的参数总是给出相同的情形。
    batches, channels, filters, sizes, kernels, strides, paddings : 序列
        N、C、F、H 与 W、k、stride、padding 的可选值。只保留填充后放得下卷积核的情形。
    dtypes : 序列
        输入的数值类型。随机情形轮流取用，例如 ``('float64', 'float32')`` 时一半是 float32。

    Returns
    -------
    list of ConvCase
    """
    allowed = dict(N=batches, C=channels, F=filters, H=sizes, W=sizes, k=kernels,
                   stride=strides, padding=paddings, dtype=dtypes)

    def fits(case):
        return min(case.H, case.W) + 2 * case.padding >= case.k

    cases = [case for case in TYPICAL_CASES
             if fits(case) and all(getattr(case, name) in values for name, values in allowed.items())]
    rng = np.random.default_rng(seed)
    while len(cases) < trials:
        values = {name: int(rng.choice(list(values))) for name, values in allowed.items() if name != 'dtype'}
        case = ConvCase(**values, dtype=dtypes[len(cases) % len(dtypes)])
        if fits(case):
            cases.append(case)
    return cases[:trials]


# ---- 练习要学习者自己写的 lib 函数：检查运行学习者的函数时，不许直接调用它们 ----

_forbidden = {}     # 代码对象 → (lib 里的名字, 练习要写的函数)


@contextmanager
def own_work(exercise, *functions):
    """在这段检查里，学习者的函数不得直接调用 ``functions``（lib 里与练习答案相同的函数或方法）。

    例如 ``with own_work('im2col', lib.im2col): ...``：学习者写 ``return lib.im2col(x, k)``，
    或先 ``from lib import im2col`` 再调用，或借 ``lib.Convolution`` 之手，都会得到中文的 ``CheckError``。
    只禁止练习本身的那个函数：用 lib 的其他函数当工具（例如用 ``lib.im2col`` 写池化）照常可以。
    禁令只在学习者的函数运行时生效（见 ``run``），检查自己计算参考答案不受影响。
    """
    saved = dict(_forbidden)
    for function in functions:
        function = getattr(function, '__func__', function)
        module = function.__module__ or ''
        shown = (f'lib.{function.__qualname__}' if module.startswith('lib')
                 else f'{module.split(".")[0]} 的 {function.__name__}')
        _forbidden[function.__code__] = (shown, exercise)
    try:
        yield
    finally:
        _forbidden.clear()
        _forbidden.update(saved)


def _guard(frame, event, arg):
    """``sys.settrace`` 的钩子：学习者的函数运行期间，一旦（直接或经由 lib 的层）调用了
    被禁止的函数，就抛出 CheckError。"""
    if event == 'call' and frame.f_code in _forbidden:
        name, exercise = _forbidden[frame.f_code]
        raise CheckError(f'这个练习要你自己写出 {exercise}，不能直接调用现成的 {name}。'
                         f'现成的实现只用来核对你的答案；请用 NumPy 自己写一遍。')
    return None


def run(fn, case, *args, **kwargs):
    """调用学习者的函数 ``fn(*args, **kwargs)``，出了问题就说明是哪个情形触发的。

    ``NotImplementedError``（练习还没做）原样抛出；其他异常报成 ``CheckError``。
    函数若就地改动了作为参数传入的数组，也算错：调用方的数据不该被悄悄改掉。
    在 ``own_work`` 里调用时，学习者的函数不得直接调用练习要它自己写的 lib 函数。
    """
    __tracebackhide__ = True    # 报错时 pytest 不显示检查内部的调用栈（IPython 里见 CheckError）
    inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)]
    copies = [a.copy() for a in inputs]
    name = getattr(fn, '__name__', '你的函数')
    previous = sys.gettrace()
    try:
        if _forbidden:
            sys.settrace(_guard)
        try:
            result = fn(*args, **kwargs)
        finally:
            if _forbidden:
                sys.settrace(previous)
    except (NotImplementedError, CheckError):
        raise
    except Exception as error:
        raise CheckError(f'{name} 在这个情形上出错了：{case}\n'
                         f'  {type(error).__name__}: {error}') from error
    for array, copy in zip(inputs, copies, strict=True):
        if not np.array_equal(array, copy, equal_nan=True):
            raise CheckError(f'{name} 修改了传给它的输入数组（情形：{case}）。'
                             f'请不要就地改动输入，需要时先复制一份。')
    return result


def same_with_defaults(what, fn, case, result, args, options, defaults, rule=''):
    """省略与默认值相同的参数，再调用一次 ``fn``：结果应与写出全部参数时的 ``result`` 相同。

    章节里调用函数时，取默认值的参数通常省略不写（例如 ``max_pool(x, 2)``）。检查先写出全部参数
    调用一次、与 lib 核对（得到 ``result``），再用这个函数省略默认参数调用一次，于是默认值也在检查之内。

    Parameters
    ----------
    what : str
        结果叫什么，例如 ``'返回的窗口矩阵'``。
    args, options : tuple, dict
        写出全部参数的那次调用 ``fn(*args, **options)``。
    defaults : dict
        有默认值的参数与它们的默认值；``options`` 里与默认值相同的省略不写。
    rule : str
        说明默认值应是什么，出错时附在信息里，例如 ``'（stride 省略时等于 kernel_size）'``。
    """
    __tracebackhide__ = True
    kept = {name: value for name, value in options.items() if name not in defaults or value != defaults[name]}
    if kept == options:
        return
    dropped = '，'.join(f'{name}={value}' for name, value in options.items() if name not in kept)
    label = f'{case}；这次调用时省略了 {dropped}'
    try:
        shortened = run(fn, label, *args, **kept)
    except CheckError as error:               # 写出全部参数时没出错：问题在默认值
        raise CheckError(f'写出 {dropped} 时结果正确，省略它时却出错了，请检查函数的默认值{rule}。\n'
                         f'{error}') from error.__cause__
    blame = f'省略 {dropped} 时的结果与写出它时不同，请检查函数的默认值{rule}'
    if isinstance(result, (tuple, list)):          # 例如 (dx, dw, db)：逐个比较
        if not isinstance(shortened, (tuple, list)) or len(shortened) != len(result):
            raise CheckError(f'{blame}。\n  情形：{label}\n  应返回 {len(result)} 个数组')
        pairs = zip(result, shortened, strict=True)
    else:
        pairs = [(result, shortened)]
    for expected, actual in pairs:
        compare(f'省略参数时{what}', label, expected, actual, mistakes=[lambda expected, actual: blame])


def as_array(what, case, value):
    """把学习者返回的值转成 float64 数组；做不到就报错（例如忘了 return，得到 None）。"""
    __tracebackhide__ = True
    if value is None:
        raise CheckError(f'{what}是 None（情形：{case}）：函数是不是忘了 return？')
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise CheckError(f'{what}应该是数值数组，实际得到 {type(value).__name__}'
                         f'（情形：{case}）：{error}') from error
    return array


def require_integer(call, result, expected, why, extra=''):
    """一个“数个数”的练习必须返回整数：bool 与浮点数（哪怕是 26.0）都不算，错了说明为什么要整数。"""
    __tracebackhide__ = True
    if isinstance(result, bool) or not isinstance(result, (int, np.integer)):
        raise CheckError(f'{call} 应该返回整数 {expected:,}，实际返回 {result!r}'
                         f'（类型 {type(result).__name__}）：{why}{extra}')


def constant_factor(expected, actual):
    """``actual`` 处处恰好是 ``expected`` 的同一个倍数（不是 1）时，用文字说出这个倍数，否则返回 None。"""
    size = np.abs(expected).max(initial=0)
    if size == 0:
        return None
    c = float(np.vdot(expected, actual) / np.vdot(expected, expected))     # 最小二乘的倍数
    if np.isclose(c, 1, rtol=1e-5) or not np.allclose(actual, c * expected, rtol=1e-5, atol=1e-6 * size):
        return None
    if abs(c) < 1e-12:
        return '全是 0：算出的值是不是没有写进结果？'
    if np.isclose(c, -1, rtol=1e-5):
        return '正好是期望的相反数（-1 倍）：符号反了'
    sign = '-' if c < 0 else ''
    n, k = round(1 / abs(c)), round(abs(c))
    if n >= 2 and np.isclose(abs(c) * n, 1, rtol=1e-5):
        return f'正好是期望的 {sign}1/{n}：是不是多除了 {n}（例如求了平均，而应该求和）？'
    if k >= 2 and np.isclose(abs(c), k, rtol=1e-5):
        return f'正好是期望的 {sign}{k} 倍：是不是少除了 {k}（例如求了和，而应该求平均）？'
    return f'正好是期望的 {c:.4g} 倍'


def diagnose(expected, actual, dtype, mistakes=(), precise=True):
    """认出典型的错误，返回一句中文诊断；认不出时返回 ''。

    先试检查自己列出的 ``mistakes``（函数 ``mistake(expected, actual)``，认出时返回一句话），
    再试通用的几样：整数数组、差一个常数倍、只差在 float32 的精度（``precise`` 时，
    即期望 float64 精度的情形）。``dtype`` 是学习者结果原来的数值类型（``as_array`` 之前）。
    """
    for mistake in mistakes:
        found = mistake(expected, actual)
        if found:
            return found
    if actual.shape != expected.shape:
        return ''
    if dtype is not None and dtype.kind in 'biu':
        return f'结果是整数数组（{dtype}），小数部分丢掉了：新建数组时请用浮点类型，例如 dtype=x.dtype'
    factor = constant_factor(expected, actual)
    if factor:
        return factor
    size = np.abs(expected).max(initial=0)
    if precise and np.allclose(actual, expected, rtol=1e-4, atol=1e-5 * size):
        if dtype is not None and dtype.kind == 'f' and dtype.itemsize < 8:
            return (f'结果是 {dtype}，只有约 7 位有效数字，差别正是它的舍入误差：检查的输入是 float64，'
                    f'结果也应是 float64（新建数组时别写 dtype=np.float32，可以用 dtype=x.dtype）')
        return ('只差在第 6、7 位有效数字，像是 float32 的舍入误差：计算中是不是用了 float32？'
                '输入是 float64，请全程用 float64')
    return ''


def known_mistake(wrong, text):
    """一个典型错误：``wrong`` 是照这个错误算出的结果；学习者的结果与它一致（按 float32 的精度）时，
    诊断为 ``text``。返回的函数可以放进 ``compare`` 或 ``gradient_check`` 的 ``mistakes``。"""
    wrong = np.asarray(wrong, dtype=np.float64)
    atol = 1e-5 * np.abs(wrong).max(initial=1)

    def mistake(expected, actual):
        same = actual.shape == wrong.shape and np.allclose(actual, wrong, rtol=1e-4, atol=atol)
        return text if same else None

    return mistake


def distinct(a, b):
    """把两个数写到看得出差别为止（至少 6 位有效数字）：float32 的误差不会显示成两个一样的数。
    两个都是整数时照整数写，例如参数个数 ``693,098``。"""
    if all(np.isfinite(v) and float(v).is_integer() and abs(v) < 1e15 for v in (a, b)):
        return f'{int(a):,}', f'{int(b):,}'
    for digits in range(6, 18):
        left, right = f'{a:.{digits}g}', f'{b:.{digits}g}'
        if left != right:
            break
    return left, right


def compare(what, case, expected, actual, rtol=1e-6, atol=1e-9, mistakes=()):
    """要求 ``actual`` 与 ``expected`` 形状完全相同、每个元素都接近（``np.isclose``）。

    不一致时，信息的第一行是 ``diagnose`` 认出的典型错误（``mistakes`` 见那里），
    接着是情形，以及形状，或第一个不同的位置和两边的值（写到看得出差别为止）。
    """
    __tracebackhide__ = True
    dtype = getattr(actual, 'dtype', None)          # as_array 之后都是 float64：先记下原来的类型
    actual = as_array(what, case, actual)
    expected = np.asarray(expected)
    same_shape = actual.shape == expected.shape
    close = np.isclose(actual, expected, rtol=rtol, atol=atol) if same_shape else None
    if same_shape and close.all():
        return
    diagnosis = diagnose(expected, actual, dtype, mistakes, precise=rtol < 1e-5)
    headline = f'{what}的{"数值" if same_shape else "形状"}不对' + (f'：{diagnosis}' if diagnosis else '。')
    if not same_shape:
        raise CheckError(f'{headline}\n  情形：{case}\n'
                         f'  期望形状 {expected.shape}，实际形状 {actual.shape}')
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    wanted, got = distinct(expected[where], actual[where])
    if not where:                                    # 单个数（0 维）
        raise CheckError(f'{headline}\n  情形：{case}\n  期望 {wanted}，实际 {got}')
    raise CheckError(f'{headline}\n  情形：{case}\n  第一个不同的位置 {where}：期望 {wanted}，实际 {got}'
                     f'（共 {int((~close).sum())} / {close.size} 个位置不同）')


def gradient_check(what, case, analytic, numeric, tolerance=1e-6, mistakes=()):
    """梯度检验：解析梯度与数值梯度的相对误差（``lib.gradcheck.relative_error``）须小于 ``tolerance``。

    不通过时，与 ``compare`` 一样先写 ``diagnose`` 认出的典型错误。
    """
    __tracebackhide__ = True
    dtype = getattr(analytic, 'dtype', None)
    analytic = as_array(what, case, analytic)
    if analytic.shape != numeric.shape:
        diagnosis = diagnose(numeric, analytic, dtype, mistakes)
        raise CheckError(f'{what}的形状不对{"：" + diagnosis if diagnosis else "。"}\n  情形：{case}\n'
                         f'  期望形状 {numeric.shape}，实际形状 {analytic.shape}')
    difference = analytic - numeric
    error = relative_error(analytic, numeric)
    if not error < tolerance:    # 也拦下 NaN
        diagnosis = diagnose(numeric, analytic, dtype, mistakes)
        where = tuple(int(i) for i in np.unravel_index(np.nanargmax(np.abs(difference)), numeric.shape))
        wanted, got = distinct(numeric[where], analytic[where])
        diagnosis = f'  {what}：{diagnosis}\n' if diagnosis else ''
        raise CheckError(f'梯度检验未通过：{what}与中心差分得到的数值梯度的相对误差为 {error:.1e}'
                         f'（应小于 {tolerance:.0e}）。\n{diagnosis}'
                         f'  情形：{case}\n'
                         f'  差得最多的位置 {where}：数值梯度 {wanted}，你的结果 {got}')


def passed(message):
    """打印通过信息。"""
    print(f'✓ 通过：{message}')


@contextmanager
def keep_layer_rng():
    """检查里新建层会用到 lib 各层共用的随机数生成器；检查结束后恢复它，不打乱笔记本里的随机序列。"""
    saved = layers.rng
    state = saved.bit_generator.state
    try:
        yield
    finally:
        saved.bit_generator.state = state
        layers.rng = saved
