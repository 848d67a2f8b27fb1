"""The one place user text becomes HTML: Markdown (markdown-it-py) then nh3 sanitizing.

Sanitizing uses nh3 (the Rust ammonia library) rather than bleach: bleach's maintainers ended
the project with no further security releases, while nh3 is maintained and much faster.
Bump RENDER_VERSION whenever the rules change: stored HTML is re-rendered from the Markdown.
"""
from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

RENDER_VERSION = 1

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "dl", "dt", "dd",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},
    "span": {"class"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    .enable(["table", "strikethrough", "linkify"])
)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Drop images that are neither on this site nor http(s); keep only language-* code classes."""
    if tag == "img" and attr == "src":
        v = value.strip()
        if v.startswith("/") and not v.startswith("//"):
            return v
        if v.lower().startswith(("http://", "https://")):
            return v
        return None
    if attr == "class":
        classes = [c for c in value.split() if re.fullmatch(r"language-[\w+-]{1,30}", c)]
        return " ".join(classes) or None
    return value


def sanitize(html: str) -> str:
    """Clean HTML against the allowlist."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render(source: str) -> str:
    """Markdown source → sanitized HTML. Raw HTML in the source is shown as text."""
    return sanitize(_md.render(source or ""))


def plain_text(source: str) -> str:
    """Text content of rendered Markdown, for snippets, feeds and search."""
    html = render(source)
    text = nh3.clean(html, tags=set())
    return re.sub(r"\s+", " ", _unescape(text)).strip()


def _unescape(text: str) -> str:
    import html as _html

    return _html.unescape(text)
