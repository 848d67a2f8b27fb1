"""Blog services: entries, comments, guestbook, attachments."""
from __future__ import annotations

from sqlalchemy import select

from forum.blogs.models import Blog
from forum.extensions import db


def ensure_personal_blog(user) -> Blog:
    """The user's personal blog, created if missing (caller commits)."""
    blog = db.session.scalar(select(Blog).where(Blog.owner_id == user.id))
    if blog is None:
        blog = Blog(owner_id=user.id, title=f"{user.display_name}的博客")
        db.session.add(blog)
        db.session.flush()
    return blog
