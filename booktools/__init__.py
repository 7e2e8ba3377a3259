"""书与课程的工具（不在学生导入的 ``lib`` 里）。

* ``sphinx_ext``：构建在线书的 Sphinx 扩展（MathJax 离线、中文搜索词典 ``search_terms.txt``、清理脚本）。
* ``student``：学生版笔记本与学生版的书（``python -m booktools.student``）。
* ``web``：在线书里的页内探索器：把 lib 的数据写成 JSON，连同共用的 ``explorers/common.js``
  与各探索器的脚本（``explorers/<kind>.js``）嵌进页面。
"""
