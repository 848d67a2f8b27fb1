"""Atom feeds per blog and per category, under the same visibility rule as the pages."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.blogs import services
from forum.blogs.models import CATEGORIES, Entry
from forum.blogs.views import bp, get_blog
from forum.core.db import utcnow
from forum.core.markup import html_snippet
from forum.core.errors import fail
from forum.extensions import db

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 20
# Characters XML 1.0 cannot carry at all; ElementTree would write them and break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value or "")


def _iso(dt) -> str:
    return (dt or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def atom(feed_id: str, title: str, self_url: str, alt_url: str, entries: list[Entry]) -> Response:
    """Serialize entries as an Atom 1.0 document (ElementTree escapes every value)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "updated", _iso(max((e.updated_at or e.published_at for e in entries), default=None)))
    _sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=alt_url, type="text/html")
    _sub(feed, "generator", "Jiaoyan")
    for e in entries:
        item = _sub(feed, "entry")
        url = url_for("blogs.show_entry", entry_id=e.id, _external=True)
        _sub(item, "id", url)
        _sub(item, "title", e.title)
        _sub(item, "link", rel="alternate", href=url, type="text/html")
        _sub(item, "published", _iso(e.published_at))
        _sub(item, "updated", _iso(e.updated_at or e.published_at))
        author = _sub(item, "author")
        _sub(author, "name", e.author.display_name if e.author else "")
        _sub(item, "category", term=e.category, label=CATEGORIES.get(e.category, e.category))
        for tag in e.tag_names:
            _sub(item, "category", term=tag)
        _sub(item, "summary", html_snippet(e.html, 200))
        _sub(item, "content", e.html, type="html")
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "private, max-age=300"})


@bp.route("/<int:blog_id>/feed.atom")
def blog_feed(blog_id: int):
    """A blog's latest entries (optionally one category) as Atom."""
    blog = get_blog(blog_id)
    category = request.args.get("category") or None
    if category is not None and category not in CATEGORIES:
        fail(404)
    query = services.for_listing(services.visible_entries(current_user, blog, category=category)).order_by(
        Entry.published_at.desc(), Entry.id.desc()).limit(FEED_SIZE)
    entries = db.session.scalars(query).all()
    title = blog.title + (f" · {_(CATEGORIES[category])}" if category else "")
    return atom(url_for("blogs.blog_feed", blog_id=blog.id, category=category, _external=True), title,
                request.url, url_for("blogs.show_blog", blog_id=blog.id, category=category, _external=True),
                entries)


@bp.route("/category/<category>/feed.atom")
def category_feed(category: str):
    """The district's latest entries of one category that the reader may see."""
    if category not in CATEGORIES:
        fail(404)
    query = services.for_listing(services.visible_entries(current_user, category=category)).order_by(
        Entry.published_at.desc(), Entry.id.desc()).limit(FEED_SIZE)
    entries = db.session.scalars(query).all()
    return atom(url_for("blogs.category_feed", category=category, _external=True),
                _("全区%(name)s", name=_(CATEGORIES[category])), request.url,
                url_for("blogs.index", category=category, _external=True), entries)
