# 《卷积层》的 nbgrader 课程配置（给教师）。
#
# 课程目录（例如 make assignments 建的 _build/course/）的布局：
#     nbgrader_config.py            本文件
#     source/ch1/01_convolution_intuition.ipynb   教师版（带参考答案与隐藏检查）
#     source/ch2/02_im2col.ipynb    …… 每章一个作业：ch1 … ch4
#     release/ch1/…                 nbgrader generate_assignment 生成的学生版
#     submitted/<学生>/ch1/…        收上来的作业；autograde → autograded/，generate_feedback → feedback/
#     gradebook.db                  成绩库（第一个 nbgrader 命令用 alembic 建库：venv 的 bin/ 要在 PATH 上）
#
# 在课程目录里运行，例如：
#     nbgrader generate_assignment ch1
#     nbgrader autograde ch1
#     nbgrader generate_feedback ch1
#     nbgrader export                   # 成绩表 grades.csv
#
# 笔记本用 ``import lib`` 取得课程代码与数据（lib 装在 venv 里），所以在哪个目录运行都可以。

import copy
import os
import time
from queue import Empty

from nbgrader import utils
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    Execute,
    OverwriteCells,
    OverwriteKernelspec,
)

c = get_config()  # noqa: F821 （nbgrader 加载配置文件时提供 get_config）

c.CourseDirectory.course_id = 'juanjiceng'

# 作业名就是 source/ 下的文件夹名：make assignments 按章节号建 ch1 … ch4。nbgrader 0.9 不在配置里列作业：
# generate_assignment 时自动记进成绩库；学生在第一次 autograde 时自动记进成绩库（Autograde.create_student）。

# ---------------------------------------------------------------- 学生版（generate_assignment）
# 与 booktools/student.py 的 CODE_STUB、TEXT_STUB 一致；nbgrader 不知道函数名，所以提示里不写函数名
# （函数的签名和说明留在单元格里，学生看得到）。
c.ClearSolutions.code_stub = {
    'python': "# 在这里写你的代码\nraise NotImplementedError('请完成这个练习')",
}
c.ClearSolutions.text_stub = '在这里写下你的答案。'

# ---------------------------------------------------------------- 自动评分（autograde）
# nbgrader 的默认超时是每个单元格 30 秒；第 3 章正文训练卷积网络的单元格单独就要 25–30 秒，
# 机器忙时会更久（超时的单元格被中断、记为错误，后面用到它的结果的单元格也跟着出错）。
c.Execute.timeout = 600
# 本课的矩阵都很小，多线程 BLAS 在共享的机器上常常慢很多；评分内核继承这里的环境变量
for _variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_variable, '1')


# 控件单元格偶尔“卡住”整整一个超时（jupyter/nbclient#312）：各章的探索器（ipywidgets 的 Output 控件）
# 显示时，nbclient 在 shell 通道上给内核回发 comm 消息，而它同时正在同一个通道上等 execute_reply；
# 这次发送有时吞掉了套接字的可读通知，回复早已到达，nbclient 却要等到 get_msg 超时才看见它
# （之后一切照常、不报错，只是白等了 Execute.timeout 秒）。这里在实测中约每 15 次执行一次，
# 在 autograde 与 validate 里都见到过。补救：等回复时每秒重新查看一次通道，白等最多 1 秒。
# 只改 nbgrader 的 Execute（validate 与 autograde 都用它），不改单元格的超时与评分。
def _poll_shell_in_slices(poll_for_reply):
    async def _async_poll_for_reply(self, msg_id, cell, timeout, *tasks):
        channel = self.kc.shell_channel
        get_msg = channel.get_msg

        async def get_msg_in_slices(timeout=None):
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                try:
                    return await get_msg(timeout=1.0 if remaining is None else max(0.0, min(1.0, remaining)))
                except Empty:
                    if remaining is not None and remaining <= 1.0:
                        raise

        channel.get_msg = get_msg_in_slices
        try:
            return await poll_for_reply(self, msg_id, cell, timeout, *tasks)
        finally:
            del channel.get_msg

    _async_poll_for_reply.polls_in_slices = True
    return _async_poll_for_reply


if not getattr(Execute._async_poll_for_reply, 'polls_in_slices', False):     # nbgrader 会加载配置两次
    Execute._async_poll_for_reply = _poll_shell_in_slices(Execute._async_poll_for_reply)


class QuietHiddenTestsOverwriteCells(OverwriteCells):
    """OverwriteCells，只是不再为“隐藏检查被删掉了”这一预期中的差别报警告。

    nbgrader 0.9 在 generate_assignment 时先算检查单元格的校验和（含隐藏检查）存进成绩库，
    再删掉隐藏检查生成学生版；autograde 时学生版的单元格自然与库里的校验和不同，于是对每个带
    ``### BEGIN HIDDEN TESTS`` 的检查单元格都报 “Attribute 'checksum' for cell … has changed!”，
    再把库里的原文（含隐藏检查）放回去（上游 jupyter/nbgrader#1961）。把隐藏检查挪到单独的锁定
    单元格也一样会报。

    这里只在一种情形下不报：交上来的单元格与“库里的原文删掉隐藏检查之后”的样子完全一样
    （也就是学生版原样未动）。学生改过检查单元格时仍然报警告；两种情形下单元格都照样换回库里的原文，
    评分与 OverwriteCells 完全相同。
    """

    def preprocess_cell(self, cell, resources, cell_index):
        self._current_cell = cell
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name, attr, old, new):
        if attr == 'checksum' and self._is_released_form(name, new):
            self.log.debug('Cell %s is the released version (hidden tests removed); restoring them', name)
            return
        super().report_change(name, attr, old, new)

    def _is_released_form(self, name, new_checksum):
        source_cell = self.gradebook.find_source_cell(name, self.notebook_id, self.assignment_id)
        released = copy.deepcopy(self._current_cell)     # 元数据（分值、锁定）已由父类改正
        released.source = source_cell.source
        if not ClearHiddenTests(parent=self)._remove_hidden_test_region(released):
            return False                                  # 没有隐藏检查：别的改动，照常报警告
        return utils.compute_checksum(released) == new_checksum


c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    QuietHiddenTestsOverwriteCells,
    CheckCellMetadata,
]
