"""练习的自动检查：``harness`` 是共用的部分，每章一个模块放这一章的检查函数。

章节里这样用::

    from lib.exercises import ch1_intuition as checks
    checks.check_output_size(output_size)
"""
