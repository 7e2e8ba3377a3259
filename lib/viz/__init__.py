"""画图与交互控件：``import lib`` 不会导入这里（框架只依赖 NumPy）。

* ``style``：中文字体（``setup()``，画图前调用一次）、调色板与黑白字的规则。
* ``draw``：全书共用的画图小工具；``explorer``：所有 ipywidgets 控件的基类 ``Explorer``。
* ``kernels``：卷积核预设，以及把固定卷积核装进 ``lib.Convolution`` 的 ``fixed_convolution``。
* ``ch1_intuition``、``ch2_im2col``、``ch3_training``、``ch4_pooling``、``ch5_backward``、
  ``ch6_channels``：每章一个模块，
  只从上面这几个共用模块取东西，不互相引用。

各章的导入单元格这样写::

    from lib import viz
    from lib.viz import ch1_intuition as v1

    viz.setup()
"""

from .style import setup

__all__ = ['setup']
