"""构建在线书用的 Sphinx 扩展（在 _config.yml 的 sphinx.extra_extensions 里启用）。

做两件事，让构建出的网页不依赖任何第三方网站、中文也搜得到：

* MathJax 3 从本书自己的 ``_static/mathjax/`` 加载。文件来自 PyPI 包
  ``django-static-mathjax``（构建时由 requirements.txt 安装），只复制用到的
  ``tex-chtml.js`` 和字体，不把整个 MathJax 提交进仓库。
* 中文搜索：Sphinx 用 jieba 分词建立搜索索引；这里加载课程术语的用户词典
  ``booktools/search_terms.txt``，让“卷积核”“图转列”等词作为整体被索引。

另外清理页面脚本：在线书里没有内核，控件（滑块、进度条）的输出已从页面移除，
myst-nb 仍会把执行时记录的控件状态（每页上百 KB 的 JSON）嵌进页面，这里把它删掉。

注意 Jupyter Book 会把 ``html_static_path`` 里的每个 .js/.css 都加到每个页面，
所以 MathJax 目录在 ``config-inited`` 时（它扫描之后）才加入。
"""

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEARCH_TERMS = HERE / 'search_terms.txt'


def mathjax_source():
    """django-static-mathjax 里 MathJax 3 的 es5 目录。"""
    try:
        import mathjax
    except ImportError as error:
        raise RuntimeError('构建书需要 PyPI 包 django-static-mathjax（见 requirements.txt）') from error
    return Path(mathjax.__file__).parent / 'static' / 'mathjax' / 'es5'


def copy_mathjax(target):
    """把 tex-chtml.js 与 CommonHTML 字体复制到 target/mathjax/。"""
    source = mathjax_source()
    dest = target / 'mathjax'
    if dest.exists():
        shutil.rmtree(dest)
    (dest / 'output' / 'chtml').mkdir(parents=True)
    shutil.copy2(source / 'tex-chtml.js', dest / 'tex-chtml.js')
    shutil.copytree(source / 'output' / 'chtml' / 'fonts', dest / 'output' / 'chtml' / 'fonts')
    return dest


def on_config_inited(app, config):
    static = Path(app.outdir).parent / 'offline_static'
    copy_mathjax(static)
    config.html_static_path = [*config.html_static_path, str(static)]
    config.mathjax_path = 'mathjax/tex-chtml.js'
    options = dict(config.html_search_options or {})
    options['dict'] = str(SEARCH_TERMS)     # jieba 按进程的工作目录解析相对路径，所以用绝对路径
    config.html_search_options = options


WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'


def clean_scripts(app, pagename, templatename, context, doctree):
    """去掉控件状态；再去掉重复的内联脚本。

    Sphinx 7.4 会把构建开始后添加的内联脚本（sphinx-thebe 的 ``const THEBE_JS_URL``）记两次，
    浏览器执行第二次时报 “Identifier has already been declared”。
    """
    kept, seen = [], set()
    for js in context.get('script_files') or []:
        attributes = getattr(js, 'attributes', {})
        if attributes.get('type') == WIDGET_STATE:
            continue
        name = js.filename if hasattr(js, 'filename') else str(js)
        key = (name or '', tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    if 'script_files' in context:
        context['script_files'] = kept


def setup(app):
    app.connect('config-inited', on_config_inited)
    app.connect('html-page-context', clean_scripts, priority=900)  # 在 myst-nb 添加之后
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
