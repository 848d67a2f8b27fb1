"""The search page for people: /search?q=…"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from forum.blogs.models import CATEGORIES
from forum.core.i18n import N_
from forum.extensions import db
from forum.org.models import Group, School
from forum.policy import visible_groups_clause
from forum.search import service

bp = Blueprint("search", __name__, url_prefix="/search")

TYPE_LABELS = {"entry": N_("日志"), "thread": N_("主题帖"), "post": N_("回帖"), "comment": N_("评论")}


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
    groups = db.session.execute(
        select(Group.id, Group.name, School.name).outerjoin(School, Group.school_id == School.id)
        .where(visible_groups_clause(current_user)).order_by(School.name, Group.name)
    ).all()
    schools = db.session.execute(select(School.id, School.name).order_by(School.name)).all()
    status = 422 if error is not None else 200
    return render_template("search/search.html", page=page, req=req, error=error, groups=groups,
                           schools=schools, categories=CATEGORIES, type_labels=TYPE_LABELS,
                           local_date=service.local_date), status
