"""The one place user text becomes HTML: Markdown (markdown-it-py) then nh3 sanitizing.

Sanitizing uses nh3 (the Rust ammonia library) rather than bleach: bleach's maintainers ended
the project with no further security releases, while nh3 is maintained and much faster.
Bump RENDER_VERSION whenever the rules change: stored HTML is re-rendered from the Markdown.

Defence in depth: Markdown's raw HTML is off (so `<script>` is shown as text), markdown-it's own
link validation drops `javascript:`/`vbscript:`/`data:` links, and nh3 then enforces a tag,
attribute and URL-scheme allowlist on whatever came out (no svg, math, style, iframe, form, object).
Headings get ids (prefixed `h-`, so no id can clobber a DOM global) for the lesson-design table
of contents.
"""
from __future__ import annotations

import html as _html
import re
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt

# 2: heading ids for the table of contents; ids and ol/start are now filtered.
RENDER_VERSION = 2

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
# Characters that browsers ignore inside a URL scheme; a scheme hidden behind them is refused.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f\u00ad\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff]")
_ID = re.compile(r"h-[\w-]{1,80}")

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    .enable(["table", "strikethrough", "linkify"])
)


def _slug(text: str) -> str:
    """A heading id that keeps Chinese characters: `h-教学目标`."""
    slug = re.sub(r"[^\w]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-_")
    return "h-" + (slug[:60] or "section")


def _heading_ids(state) -> None:
    """Core rule: give every heading a unique id derived from its text."""
    seen: dict[str, int] = {}
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        text = "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))
        slug = _slug(text)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        tok.attrSet("id", slug if n == 0 else f"{slug}-{n + 1}")


_md.core.ruler.push("jy_heading_ids", _heading_ids)


def _safe_url(value: str, *, image: bool) -> str | None:
    v = value.strip()
    squeezed = _INVISIBLE.sub("", unquote(_html.unescape(v))).lower()
    if image:
        if v.startswith("/") and not v.startswith("//") and "\\" not in v:
            return v
        return v if squeezed.startswith(("http://", "https://")) else None
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", squeezed)
    if scheme and scheme.group(1) not in URL_SCHEMES:
        return None
    return v


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Images only from this site or http(s); only language-* code classes; only our heading ids."""
    if tag == "img" and attr == "src":
        return _safe_url(value, image=True)
    if tag == "a" and attr == "href":
        return _safe_url(value, image=False)
    if attr == "class":
        classes = [c for c in value.split() if re.fullmatch(r"language-[\w+-]{1,30}", c)]
        return " ".join(classes) or None
    if attr == "id":
        return value if _ID.fullmatch(value) else None
    if attr in ("start", "colspan", "rowspan", "width", "height"):
        return value if re.fullmatch(r"\d{1,5}", value.strip()) else None
    if attr == "align":
        return value if value in ("left", "right", "center") else None
    return value


def sanitize(html: str) -> str:
    """Clean HTML against the allowlist."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render(source: str) -> str:
    """Markdown source → sanitized HTML. Raw HTML in the source is shown as text."""
    return sanitize(_md.render(source or ""))


_HEADING = re.compile(r'<h([1-3]) id="(h-[^"]+)">(.*?)</h\1>', re.S)


def toc(html: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of the h1–h3 headings of already-sanitized HTML, for a table of contents."""
    out = []
    for level, anchor, inner in _HEADING.findall(html or ""):
        text = _html.unescape(re.sub(r"<[^>]*>", "", inner)).strip()
        out.append((int(level), _html.unescape(anchor), text))
    return out


def html_text(html: str) -> str:
    """Text content of HTML made by `render` (tags dropped, entities decoded, spaces collapsed).

    `render`'s HTML is nh3's serialization: no comments, scripts or styles, and `<`, `>`, `&` as
    entities in text and in attribute values alike, so every `<…>` is a tag. Dropping them with a
    pattern gives the text `nh3.clean(html, tags=set())` gives, several times faster (a search
    page takes the text of 20 bodies; the tests compare both ways, titles with `>` included)."""
    return _SPACES.sub(" ", _html.unescape(_TAG.sub("", html or ""))).strip()


_TAG = re.compile(r"<[^>]*>")


def plain_text(source: str) -> str:
    """Text content of rendered Markdown, for snippets, feeds and search."""
    return html_text(render(source))


_SPACES = re.compile(r"\s+")


def snippet(source: str, length: int = 120) -> str:
    """The first `length` characters of the text, for lists and feeds."""
    text = plain_text(source)
    return text if len(text) <= length else text[:length].rstrip() + "…"


def html_snippet(html: str, length: int = 120) -> str:
    """Plain text of already-sanitized HTML, cut to `length` characters (cheap: no re-render)."""
    text = re.sub(r"\s+", " ", _html.unescape(nh3.clean((html or "")[: length * 12], tags=set()))).strip()
    return text if len(text) <= length else text[:length].rstrip() + "…"
