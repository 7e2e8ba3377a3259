"""检查构建好的书（_build/html，由 make book 生成；make test 会先构建）。

不需要浏览器的检查放在这里：每页都在、图片都有替代文字、站内链接不断、
页面不从第三方网站加载任何脚本/样式/字体/图片、中文搜索索引里有课程术语。
"""

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get('BOOK_HTML', ROOT / '_build' / 'html'))  # 可指向别处构建的书
CHAPTERS = ['chapters/01_convolution_intuition', 'chapters/02_im2col', 'chapters/03_training',
            'chapters/04_pooling', 'chapters/06_channels_and_cost', 'chapters/07_modern_blocks']

if not (HTML / 'index.html').is_file():
    message = '没有找到 _build/html：先运行 make book（make test 会自动先构建）'
    if os.environ.get('CI') == 'true':
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)


class PageParser(HTMLParser):
    """收集一页里的图片、链接和外部资源。"""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.resources, self.ids = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if 'id' in attrs:
            self.ids.add(attrs['id'])
        if tag == 'img':
            self.images.append(attrs)
            self.resources.append(attrs.get('src', ''))
        elif tag == 'a' and 'href' in attrs:
            self.links.append(attrs['href'])
        elif tag == 'script' and attrs.get('src'):
            self.resources.append(attrs['src'])
        elif tag == 'link' and attrs.get('rel') in ('stylesheet', 'preload', 'icon', 'modulepreload'):
            self.resources.append(attrs.get('href', ''))


def pages():
    return sorted(p for p in HTML.rglob('*.html') if '_static' not in p.parts)


def parse(path):
    parser = PageParser()
    parser.feed(path.read_text(encoding='utf-8'))
    return parser


def test_every_chapter_page_is_built():
    for name in ['index', 'intro', *CHAPTERS]:
        assert (HTML / f'{name}.html').is_file(), f'缺少页面 {name}.html'


@pytest.mark.parametrize('path', pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_images_have_alt_text(path):
    for image in parse(path).images:
        if image.get('src', '').startswith('data:') and 'alt' not in image:
            pytest.fail(f'{path.name}: 内嵌图片缺少 alt 属性')
        assert image.get('alt', '').strip() or image.get('aria-hidden') == 'true', \
            f'{path.name}: 图片 {image.get("src", "")[:60]} 没有替代文字'


@pytest.mark.parametrize('path', pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_no_third_party_resources(path):
    for url in parse(path).resources:
        host = urlparse(url).netloc
        assert not host, f'{path.name} 从外部网站加载资源：{url}'


@pytest.mark.parametrize('path', pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_internal_links_resolve(path):
    for href in parse(path).links:
        url = urlparse(href)
        if url.scheme or url.netloc or href.startswith(('mailto:', 'javascript:')):
            continue
        target = (path.parent / unquote(url.path)).resolve() if url.path else path
        assert target.exists(), f'{path.name} 的链接 {href} 指向不存在的文件'
        if url.fragment and target.suffix == '.html':
            assert url.fragment in parse(target).ids, f'{path.name} 的链接 {href} 的锚点不存在'


def test_no_error_output_in_pages():
    for path in pages():
        text = path.read_text(encoding='utf-8')
        assert 'Traceback (most recent call last)' not in text, f'{path.name} 里有异常输出'
        assert 'output stderr' not in text, f'{path.name} 里有 stderr 输出（警告）'


def search_index():
    text = (HTML / 'searchindex.js').read_text(encoding='utf-8')
    return json.loads(re.match(r'Search\.setIndex\((.*)\)\s*$', text, re.S).group(1))


@pytest.mark.parametrize('term, chapter', [
    ('卷积核', 'chapters/01_convolution_intuition'),
    ('图转列', 'chapters/02_im2col'),
    ('互相关', 'chapters/01_convolution_intuition'),
    ('权值共享', 'chapters/01_convolution_intuition'),
    ('感受野', 'chapters/01_convolution_intuition'),
    ('池化', 'chapters/04_pooling'),
    ('感受野', 'chapters/04_pooling'),
    ('转置卷积', 'chapters/05_backward_as_convolution'),
    ('膨胀卷积', 'chapters/05_backward_as_convolution'),
    ('批归一化', 'chapters/07_modern_blocks'),
    ('全局平均池化', 'chapters/07_modern_blocks'),
    ('残差块', 'chapters/07_modern_blocks'),
])
def test_chinese_terms_are_indexed(term, chapter):
    """jieba 分词 + 用户词典：术语作为整词进入索引，并指向讲它的章节。"""
    index = search_index()
    docs = []
    for kind in ('terms', 'titleterms'):   # 出现在标题里的词只记在 titleterms
        found = index[kind].get(term, [])
        docs += [found] if isinstance(found, int) else found
    assert docs, f'搜索索引里没有“{term}”（jieba 没装或词典没加载？）'
    assert chapter in [index['docnames'][d] for d in docs]
