"""所有 ipywidgets 控件的共同部分：``Explorer`` 基类。

一个控件 = 一组输入控件 + 一张图。子类只写三件事：在 ``__init__`` 里建好控件与图
（最后调用 ``self.watch(...)`` 与 ``self.update()``），``compute()`` 按当前控件的值
重算并更新图、返回要给测试读取的 ``state``，以及（可选）``show()`` 怎样把图放到页面上。

* ``update(draw=True)``：重算并显示，返回 ``state``；测试用 ``draw=False`` 只算不画。
* ``silently()``：一次改好几个控件时，先别重算，最后 ``update()`` 一次。
* 图用 ``plt.close`` 关掉，不让 pyplot 自动显示；画面只出现在控件的 ``output`` 里。
* 显示时给出两种表示：JupyterLab 画 ipywidgets 控件；在线书（没有内核）用同样数据的页内探索器
  （``text/html``，由仓库里的 ``booktools.web.page_html`` 生成；单独安装 lib、没有 booktools 时省略）。
"""

from contextlib import contextmanager

import matplotlib.pyplot as plt

from .draw import display_figure


class Explorer:
    """ipywidgets 控件的基类（需要 Jupyter 内核；在线书在同一位置显示同样数据的页内探索器）。"""

    def __init__(self):
        import ipywidgets

        self.output = ipywidgets.Output()
        self.state = None
        self.figure = None
        self.widget = None
        self._silent = False

    def own(self, figure):
        """接管一张图（有 ``fig`` 属性的对象或 matplotlib 的 Figure）：关掉 pyplot 的自动显示。"""
        plt.close(getattr(figure, 'fig', figure))
        return figure

    def watch(self, *widgets, handler=None):
        """控件的值一变就调用 ``handler``（默认 ``update``）。"""
        for widget in widgets:
            widget.observe(handler or (lambda change: self.update()), names='value')

    @contextmanager
    def silently(self):
        """在这段代码里改控件不触发重算。"""
        self._silent = True
        try:
            yield
        finally:
            self._silent = False

    def compute(self):
        """按当前控件的值重算、更新图元，返回 state。子类实现。"""
        raise NotImplementedError

    def show(self):
        """把图放进 ``output``。"""
        display_figure(self.output, self.figure.fig)

    def update(self, draw=True):
        """重算；draw=True 时把图显示出来。返回 state。"""
        if self._silent:
            return self.state
        self.state = self.compute()
        if draw:
            self.show()
        return self.state

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        try:
            from booktools.web import page_html
        except ImportError:       # 只装了 lib：只有控件本身
            return bundle
        html = page_html(self)
        if html:
            bundle['text/html'] = html
        return bundle
