"""构建在线书用的 Sphinx 扩展（在 _config.yml 的 sphinx.extra_extensions 里启用）。

做两件事，让构建出的网页不依赖任何第三方网站、中文也搜得到：

* MathJax 3 从本书自己的 ``_static/mathjax/`` 加载。文件来自 PyPI 包
  ``django-static-mathjax``（构建时由 requirements.txt 安装），只复制用到的
  ``tex-chtml.js`` 和字体，不把整个 MathJax 提交进仓库。
* 中文搜索：Sphinx 用 jieba 分词建立搜索索引；这里加载课程术语的用户词典
  ``booktools/search_terms.txt``，让“卷积核”“图转列”等词作为整体被索引。

无障碍（axe-core 的严重与致命问题，见 tests/test_accessibility.py）：构建结束后改写每个页面里
主题与扩展生成的几处标记（``ACCESSIBILITY_FIXES``）：按钮的名字要包含它看得见的文字、图标对读屏软件隐藏、
英文的名字换成中文、参考文献列表的条目用 ``listitem`` 角色。

样式：``course.css`` 让单元格的文字输出像 JupyterLab 一样折行（在 ``config-inited`` 时与 MathJax
一起复制进静态目录）。

另外清理页面脚本：在线书里没有内核，控件（滑块、进度条）的输出已从页面移除，
myst-nb 仍会把执行时记录的控件状态（每页上百 KB 的 JSON）嵌进页面，这里把它删掉。

注意 Jupyter Book 会把 ``html_static_path`` 里的每个 .js/.css 都加到每个页面，
所以 MathJax 目录在 ``config-inited`` 时（它扫描之后）才加入。
"""

import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEARCH_TERMS = HERE / 'search_terms.txt'
COURSE_CSS = HERE / 'course.css'        # 本书的样式补充（输出折行），见文件里的说明


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
    shutil.copy2(COURSE_CSS, static / COURSE_CSS.name)
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


# (说明, 正则, 替换)：只改主题、myst-nb 与 sphinxcontrib-bibtex 生成的固定标记
ACCESSIBILITY_FIXES = [
    ('搜索按钮：名字“搜索”不含看得见的“Ctrl+K”，去掉 aria-label，名字就是按钮上的文字',
     re.compile(r'(<button class="[^"]*search-button__button[^"]*"[^>]*?) aria-label="[^"]*"'), r'\1'),
    ('明暗模式按钮：英文名字换成中文，图标对读屏软件隐藏（它们的 title 不是看得见的文字）',
     re.compile(r'aria-label="Color mode" data-bs-title="Color mode"'),
     'aria-label="切换明暗模式" data-bs-title="切换明暗模式"'),
    ('明暗模式的图标', re.compile(r'<i class="theme-switch ([^"]*)" data-mode="(\w+)"\s+title="[^"]*"></i>'),
     lambda m: f'<i class="theme-switch {m.group(1)}" data-mode="{m.group(2)}" aria-hidden="true"></i>'),
    ('折叠代码的开关：英文名字“Toggle hidden content”与看得见的“显示代码”不符，去掉它',
     re.compile(r'<summary aria-label="Toggle hidden content">'), '<summary>'),
    ('参考文献：role="list" 的条目须是 listitem（doc-biblioentry 已弃用）',
     re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"'), r'\1 role="listitem"'),
]


def fix_accessibility(app, exception):
    """构建成功后，按 ``ACCESSIBILITY_FIXES`` 改写输出目录里的每个 HTML 页面。"""
    if exception is not None or app.builder.format != 'html':
        return
    for path in Path(app.outdir).rglob('*.html'):
        text = original = path.read_text(encoding='utf-8')
        for _, pattern, replacement in ACCESSIBILITY_FIXES:
            text = pattern.sub(replacement, text)
        if text != original:
            path.write_text(text, encoding='utf-8')


def setup(app):
    app.connect('config-inited', on_config_inited)
    app.add_css_file(COURSE_CSS.name)
    app.connect('build-finished', fix_accessibility)
    app.connect('html-page-context', clean_scripts, priority=900)  # 在 myst-nb 添加之后
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
