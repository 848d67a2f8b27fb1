"""The search page for people: /search?q=…"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, or_, select

from forum.blogs.models import CATEGORIES
from forum.core import pagecache
from forum.core.errors import json_error
from forum.core.i18n import N_
from forum.core.templating import per_catalog
from forum.extensions import db
from forum.org.models import Group, School
from forum.policy import _membership_map, signed_in, visible_groups_clause
from forum.search import service

bp = Blueprint("search", __name__, url_prefix="/search")

TYPE_LABELS = {"entry": N_("日志"), "thread": N_("主题帖"), "post": N_("回帖"), "comment": N_("评论")}


@per_catalog
def _labels():
    """The type and category labels in the reader's language, translated once per catalogue
    rather than once per result and option."""
    return {"types": {k: _(v) for k, v in TYPE_LABELS.items()},
            "categories": {k: _(v) for k, v in CATEGORIES.items()}}


@bp.get("")
def search():
    """Search what the reader may read, with filters, sorting and pagination."""
    error = None
    try:
        req = service.parse_request(request.args)
    except service.InvalidSearch as exc:
        error = exc
        req = service.SearchRequest(q=(request.args.get("q") or "")[:200])
    page = service.run(current_user, req) if error is None else service.ResultPage(req, service.parse_query(""))
    schools = pagecache.remember("search_schools", (), lambda: db.session.execute(
        select(School.id, School.name).order_by(School.name)).all())
    status = 422 if error is not None else 200
    labels = _labels()
    return render_template("search/search.html", page=page, req=req, error=error,
                           groups=filter_groups(current_user, req.school_id, req.group_id),
                           schools=schools, categories=labels["categories"], type_labels=labels["types"]), status


@bp.get("/groups")
def group_options():
    """The group filter's options once a school is chosen (the page's script asks on a change)."""
    raw = (request.args.get("school") or "").strip()
    if raw and not (raw.isdigit() and len(raw) < 19):
        return json_error(400, "school must be a whole number", "invalid", "school")
    rows = filter_groups(current_user, int(raw) if raw else None, None)
    return jsonify({"groups": [{"id": gid, "label": label} for gid, label in rows]})


def filter_groups(user, school_id: int | None, selected_id: int | None) -> list[tuple[int, str]]:
    """(id, label) of the groups the filter offers: the reader's own, the chosen school's and the
    chosen group, if the reader may read them. The label names the school unless it is the
    chosen one ("实验小学 · 语文组", or just "语文组").

    Not every readable group: a district has hundreds (the 1M benchmark data, 500), a select of
    them all doubled the cost of a search page and is no way to pick one; the school narrows it.
    """
    conds = []
    own = list(_membership_map(user)) if signed_in(user) else []
    if own:
        conds.append(Group.id.in_(own))
    if school_id is not None:
        conds.append(Group.school_id == school_id)
    if selected_id is not None:
        conds.append(Group.id == selected_id)
    if not conds:
        return []
    rows = db.session.execute(
        select(Group.id, Group.name, Group.school_id, School.name).outerjoin(School, Group.school_id == School.id)
        .where(or_(*conds), visible_groups_clause(user))
        .order_by(case((Group.school_id == school_id, 0), else_=1), School.name, Group.name)
    ).all()
    return [(gid, f"{sname} · {name}" if sname and sid != school_id else name) for gid, name, sid, sname in rows]
