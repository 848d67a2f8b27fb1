"""The renderer: no payload leaves an executable context; headings get ids for the table of contents."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from forum.core import markup

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](<java script:alert(1)>)",
    "[x](java\u200bscript:alert(1))",
    "[x](\u200bjavascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#9;script:alert(1))",
    "[x](java%09script:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](//evil.example/x.png)",
    '![x](x" onerror="alert(1))',
    '[x](https://example.com "t\\" onmouseover=\\"alert(1)")',
    "[x]: javascript:alert(1)\n\n[link][x]",
    '<https://example.com/"onmouseover="alert(1)>',
    "www.example.com/<script>alert(1)</script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<object data="javascript:alert(1)"></object>',
    "<embed src=javascript:alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<style><img src=x onerror=alert(1)></style>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<details open ontoggle=alert(1)>",
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<<script>script>alert(1)<</script>/script>",
    '<img src="/x" srcset="javascript:alert(1)">',
    "```html\n<script>alert(1)</script>\n```",
    "<table><td background=javascript:alert(1)>x</td></table>",
    '<h2 id="location">clobber</h2>',
    "<select><template><style></template><img src=x onerror=alert(1)></style></select>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
]

BAD_TAGS = {"script", "svg", "math", "style", "iframe", "form", "object", "embed", "base", "meta", "noscript",
            "template", "details", "select", "link", "frame", "frameset", "applet", "input", "button", "textarea"}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f\u00ad\u200b-\u200f\u2060\ufeff]")


class _Checker(HTMLParser):
    """Fails on any tag or attribute that could run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BAD_TAGS or tag not in markup.ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name in ("style", "srcset", "srcdoc", "formaction", "background",
                                                   "xlink:href", "action", "data"):
                self.problems.append(f"attr {name}")
            if name == "id" and not value.startswith("h-"):
                self.problems.append(f"id {value}")
            if name in ("href", "src"):
                squeezed = _INVISIBLE.sub("", unquote(html.unescape(value))).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", squeezed)
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.problems.append(f"{name}={value}")
                if name == "src" and squeezed.startswith("//"):
                    self.problems.append(f"protocol-relative src {value}")


def assert_inert(out: str) -> None:
    checker = _Checker()
    checker.feed(out)
    checker.close()
    assert not checker.problems, (checker.problems, out)
    assert "<script" not in out.lower()


def test_at_least_thirty_payloads():
    assert len(XSS) >= 30


@pytest.mark.parametrize("payload", XSS)
def test_markdown_payload_is_inert(payload):
    assert_inert(markup.render(payload))


@pytest.mark.parametrize("payload", XSS)
def test_sanitizer_alone_makes_raw_html_inert(payload):
    # Defence in depth: even if Markdown let raw HTML through, nh3 would still clean it.
    assert_inert(markup.sanitize(payload))


@pytest.mark.parametrize("payload", XSS)
def test_payload_inside_markdown_structures_is_inert(payload):
    doc = f"## 标题 {payload}\n\n| a | b |\n|---|---|\n| {payload} | x |\n\n> {payload}\n\n- {payload}\n"
    assert_inert(markup.render(doc))


def test_raw_html_is_shown_as_text():
    out = markup.render("<b>粗体</b>")
    assert "&lt;b&gt;" in out


def test_links_get_nofollow_ugc_noopener():
    out = markup.render("[教育局](https://example.gov.cn) http://example.com")
    assert out.count('rel="nofollow ugc noopener"') == 2


def test_site_and_http_images_are_kept():
    out = markup.render("![图](/blogs/attachments/1/inline) ![外](https://img.example.com/a.png)")
    assert 'src="/blogs/attachments/1/inline"' in out and 'src="https://img.example.com/a.png"' in out


def test_mailto_kept():
    assert 'href="mailto:a@b.cn"' in markup.render("[写信](mailto:a@b.cn)")


def test_template_syntax_stays_literal():
    assert "{{ 7*7 }}" in markup.render("{{ 7*7 }}")


def test_tables_code_and_strikethrough():
    out = markup.render("| 环节 | 时间 |\n|---|---|\n| 导入 | 5分钟 |\n\n```python\nprint(1)\n```\n\n~~删~~")
    assert "<table>" in out and 'class="language-python"' in out and "<s>删</s>" in out


def test_headings_get_unique_chinese_ids_and_toc():
    out = markup.render("## 学情分析\n\n## 教学目标\n\n### 知识目标\n\n## 教学目标")
    assert 'id="h-学情分析"' in out and 'id="h-教学目标-2"' in out
    assert markup.toc(out) == [(2, "h-学情分析", "学情分析"), (2, "h-教学目标", "教学目标"),
                               (3, "h-知识目标", "知识目标"), (2, "h-教学目标-2", "教学目标")]


def test_heading_with_markup_gives_plain_toc_text():
    out = markup.render("## <b>x</b> & **重点**")
    (level, _anchor, text), = markup.toc(out)
    assert text == "<b>x</b> & 重点"


def test_stricter_renderer_applies_to_old_content(app):
    from forum.blogs.models import Comment

    c = Comment(body="<script>x</script>", body_html="<script>x</script>", render_version=0)
    assert "<script>" not in c.html


def test_large_entry_renders(app):
    body = ("## 教学过程\n\n" + "秋天的雨是一把钥匙，它带着清凉和温柔。" * 40 + "\n\n") * 60
    assert len(body.encode()) > 100_000
    out = markup.render(body)
    assert out.count("<h2") == 60


def _texts_for_html_text():
    """Markdown of every kind the renderer shows: the hostile payloads, the corpus, and quoted
    attribute values holding `>`, `<`, `&` and entities."""
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    docs = [p.read_text(encoding="utf-8")[:6000] for p in sorted(corpus.glob("*.txt"))[:40]]
    extra = [
        '[链接 a>b](https://example.org/a?x=1&y=2 "标题 a>b <c> & \\"引\\"")',
        '![图 x>y](/static/img.png "说明 > 与 <")',
        "| 表头 | a > b |\n|---|---|\n| 1 & 2 | <br> |\n",
        "`<code>` 与 **粗体** &amp; &lt;tag&gt; &#x4e2d; &nbsp;空格",
        "# 标题 <一>\n\n正文\t多个   空格\n\n> 引用 > 嵌套",
        "<!-- 注释 --> <script>alert(1)</script> <style>p{}</style> 文本",
    ]
    return XSS + extra + docs


def test_html_text_is_what_the_sanitizer_leaves_as_text():
    """html_text() drops the tags of render()'s HTML with a pattern; the text equals what nh3
    itself leaves when it drops every tag."""
    import nh3

    checked = 0
    for source in _texts_for_html_text():
        rendered = markup.render(source)
        want = re.sub(r"\s+", " ", html.unescape(nh3.clean(rendered, tags=set()))).strip()
        assert markup.html_text(rendered) == want, source[:80]
        checked += bool(want)
    assert checked >= 6  # texts that are not empty (the corpus adds its documents when it is there)
