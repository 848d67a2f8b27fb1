"""Personal and group blogs: entries, comments, guestbook, attachments, feeds."""
from __future__ import annotations

from functools import lru_cache

from flask import render_template
from flask_login import current_user


def init_app(app) -> None:
    """Register the blog pages, feeds, API endpoints and the home/group panels."""
    from forum.blogs import api, attachment_views, comment_views, editor_views, feeds  # noqa: F401  (routes register on their blueprints)
    from forum.blogs.cli import blogs_cli
    from forum.blogs.views import bp
    from forum.core import panels

    from forum.blogs.models import CATEGORIES

    app.register_blueprint(bp)
    app.cli.add_command(blogs_cli)
    app.jinja_env.globals["blog_categories"] = CATEGORIES
    app.jinja_env.filters["teaser"] = teaser
    panels.register(app, "home", 20, latest_entries_panel)
    panels.register(app, "group", 10, group_blog_panel)
    panels.register(app, "home_side", 10, my_blog_panel)
    panels.register(app, "profile", 20, my_writing_panel)


@lru_cache(maxsize=4096)
def _snippet(html_head: str, length: int) -> str:
    from forum.core.markup import html_snippet

    return html_snippet(html_head, length)


def teaser(entry, length: int = 120) -> str:
    """An entry's first `length` characters of text for lists; the same HTML gives the same teaser,
    so it is cut and cleaned once per process (lists show the same latest entries to everyone)."""
    return _snippet(entry.html[: length * 12], length)


def latest_entries_panel(**_context) -> str:
    """Home page: the district's latest entries the visitor may read."""
    from forum.blogs.models import Entry
    from forum.blogs.services import for_listing, visible_entries
    from forum.extensions import db

    from forum.policy import statement_for

    stmt = statement_for(current_user, "home_latest_entries", lambda u: (
        for_listing(visible_entries(u)).order_by(Entry.published_at.desc(), Entry.id.desc()).limit(10)))
    entries = db.session.scalars(stmt).all()
    return render_template("blogs/_panel_latest.html", entries=entries)


def group_blog_panel(group=None, **_context) -> str:
    """Group page: the group blog's latest entries and a link to write one."""
    from forum.blogs.models import Entry
    from forum.blogs.services import for_listing, visible_entries
    from forum.extensions import db

    blog = group.blog if group is not None else None
    if blog is None:
        return ""
    global _GROUP_PANEL_ENTRIES
    if _GROUP_PANEL_ENTRIES is None:
        # One blog's published entries (visible_entries with a blog reads nothing of the user),
        # built once with the blog id bound: its cache key is memoized on the statement.
        from sqlalchemy import bindparam

        _GROUP_PANEL_ENTRIES = (
            for_listing(visible_entries(None, blog_id=bindparam("blog_id")))
            .order_by(Entry.is_pinned.desc(), Entry.published_at.desc(), Entry.id.desc()).limit(8))
    entries = db.session.scalars(_GROUP_PANEL_ENTRIES, {"blog_id": blog.id}).all()
    return render_template("blogs/_panel_group.html", blog=blog, group=group, entries=entries)


_GROUP_PANEL_ENTRIES = None


def my_blog_panel(**_context) -> str:
    """Home page side: links to the signed-in teacher's own blog and the category feeds."""
    from forum.blogs.models import Blog
    from forum.extensions import db

    if not current_user.is_authenticated:
        return ""
    blog = db.session.scalar(db.select(Blog).where(Blog.owner_id == current_user.id))
    return render_template("blogs/_panel_mine.html", blog=blog)


def my_writing_panel(**_context) -> str:
    """Profile: the teacher's latest entries, saved drafts and editor autosaves (only they see this page)."""
    from sqlalchemy import func, select

    from forum.blogs.drafts import my_autosaves
    from forum.blogs.models import Entry
    from forum.extensions import db

    if not current_user.is_authenticated:
        return ""
    mine = select(Entry).where(Entry.author_id == current_user.id, Entry.is_deleted.is_(False))
    entries = db.session.scalars(mine.where(Entry.status == "published")
                                 .order_by(Entry.published_at.desc()).limit(8)).all()
    published = db.session.scalar(select(func.count()).select_from(
        mine.where(Entry.status == "published").subquery())) or 0
    drafts = db.session.scalars(mine.where(Entry.status == "draft").order_by(Entry.updated_at.desc()).limit(10)).all()
    return render_template("blogs/_panel_profile.html", entries=entries, published=published, drafts=drafts,
                           autosaves=my_autosaves(current_user)[:10])
