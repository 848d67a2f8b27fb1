"""Tallies pages: the dashboard, exports, targets and bulletins (HTTP only; the work is in services)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.core.errors import fail
from forum.core.timezones import format_month, parse_month
from forum.extensions import db
from forum.policy import can, signed_in
from forum.tallies import bulletins as bulletin_service
from forum.tallies import exports, services
from forum.tallies import targets as targets_service
from forum.tallies.charts import trend_svg
from forum.tallies.forms import BulletinForm, TargetsForm
from forum.tallies.models import METRICS, Bulletin
from forum.tallies.models import mark as _l
from forum.tallies.periods import Period, parse_period, recent_months, recent_semesters

bp = Blueprint("tallies", __name__, url_prefix="/tallies")

TABLE_TITLES = {"school": _l("按学校统计"), "group": _l("按教研组统计"), "teacher": _l("按教师统计"),
                "idle": _l("零实质性贡献的教师"), "ranking-school": _l("学校排名"),
                "ranking-group": _l("教研组排名"), "targets": _l("目标完成情况")}


def _require_signed_in():
    """Anonymous visitors go to the sign-in page (the tallies are never public)."""
    if not signed_in(current_user):
        return current_app.login_manager.unauthorized()
    return None


def _period() -> Period:
    """The period asked for (?month=YYYY-MM or ?semester=YYYY-1|2); 422 page for bad input."""
    try:
        return parse_period(request.args.get("month"), request.args.get("semester"))
    except ValueError:
        fail(422, _("月份格式应为 YYYY-MM（例如 2026-11），学期格式应为 YYYY-1 或 YYYY-2。"), field="month")


def _sorted(board: services.Dashboard) -> dict:
    """Each table sorted by its own ?sort_<table>=column&order_<table>=asc|desc."""
    out = {}
    for by, rows in board.tables.items():
        key = request.args.get(f"sort_{by}")
        desc = request.args.get(f"order_{by}", "desc") != "asc"
        out[by] = services.sort_rows(rows, key, desc) if key else rows
    return out


@bp.get("/")
def dashboard():
    """The leader dashboard (teachers and hosts see their own part of it)."""
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    period = _period()
    school_id = request.args.get("school", type=int)
    try:
        board = services.dashboard(current_user, period, school_id=school_id)
    except services.TallyForbidden:
        abort(403)
    tables = _sorted(board)
    if "school" not in tables or school_id not in {r.id for r in tables["school"]}:
        school_id = None
    sizes = services.PAGE_SIZES
    teachers = services.page_of(tables.get("teacher", []), request.args.get("page", type=int), sizes["teacher"])
    groups = services.page_of(tables.get("group", []), request.args.get("page_group", type=int), sizes["group"])
    idle = services.page_of(board.idle, request.args.get("page_idle", type=int), sizes["idle"])
    trends = {"school": board.trends.get("school", {}), "group": services.trends_for(board, "group", groups.rows)}
    shown = {"school": tables.get("school", []), "group": groups.rows}
    charts = {by: {r.id: trend_svg(board.trend_months, trends[by].get(r.id, {}),
                                   title=f'{r.label} · {_("近12个月趋势")}',
                                   total_label=_("合计"), substantive_label=_("实质性"))
                   for r in shown[by]}
              for by in ("school", "group")}
    return render_template(
        "tallies/dashboard.html", board=board, period=period, tables=tables,
        teachers=teachers, groups=groups, idle=idle, school_id=school_id, charts=charts,
        target_rows=services.TARGET_ROWS_SHOWN,
        months=recent_months(24), semesters=recent_semesters(6),
        method={by: services.ranking_method(by) for by in board.rankings},
        status_labels=targets_service.STATUS_LABELS, metrics=METRICS, titles=TABLE_TITLES,
    )


def _download(sheet: exports.Sheet, fmt: str, filename: str) -> Response:
    body = exports.render(sheet, fmt)
    resp = Response(body, mimetype=exports.FORMATS[fmt])
    ascii_name = filename.encode("ascii", "ignore").decode() or "tally"
    resp.headers["Content-Disposition"] = f"attachment; filename={ascii_name}.{fmt}"
    return resp


def _status_label(status: str) -> str:
    return _(targets_service.STATUS_LABELS.get(status, status))


def _sheet(board: services.Dashboard, name: str) -> exports.Sheet | None:
    """The export of one dashboard table, or None if the user may not see it."""
    title = _(TABLE_TITLES[name])
    if name in ("school", "group", "teacher"):
        return exports.tally_sheet(name, board.tables[name], title) if name in board.tables else None
    if name == "idle":
        return exports.tally_sheet("teacher", board.idle, title) if "teacher" in board.tables else None
    if name.startswith("ranking-"):
        by = name.split("-", 1)[1]
        if by not in board.rankings:
            return None
        return exports.ranking_sheet(board.rankings[by], title, _("教师数") if by == "school" else _("成员数"))
    summaries = []
    for s in board.targets:
        data = s.as_dict()
        label = s.target.metric_label
        data["metric_label"] = _(label)
        summaries.append(data)
    return exports.targets_sheet(summaries, title, _status_label)


@bp.get("/export/<name>.<fmt>")
def export_table(name: str, fmt: str):
    """Download one dashboard table as CSV (UTF-8 with BOM) or XLSX."""
    if name not in TABLE_TITLES or fmt not in exports.FORMATS:
        abort(404)
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    period = _period()
    try:
        board = services.dashboard(current_user, period, school_id=request.args.get("school", type=int))
    except services.TallyForbidden:
        abort(403)
    sheet = _sheet(board, name)
    if sheet is None:
        abort(403)
    return _download(sheet, fmt, f"tally-{name}-{period.key}")


@bp.route("/targets", methods=["GET", "POST"])
def edit_targets():
    """Leaders edit the targets (as data)."""
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    if not can(current_user, "set_targets"):
        abort(403)
    if request.method == "GET":
        rows = [{"metric": t.metric, "period": t.period, "threshold": t.threshold, "is_active": t.is_active}
                for t in targets_service.current_targets(active_only=False)]
        rows.append({"metric": "group_substantive", "period": "month", "threshold": None, "is_active": True})
        form = TargetsForm(data={"rows": rows})
        return render_template("tallies/targets.html", form=form, metrics=METRICS)
    form = TargetsForm()
    if form.validate_on_submit():
        specs = [row.data for row in form.rows if row.data.get("threshold") is not None]
        try:
            targets_service.save_targets(current_user, specs)
        except ValueError as exc:
            flash(str(exc), "error")
        else:
            flash(_("目标已保存。"), "success")
            return redirect(url_for("tallies.edit_targets"))
    return render_template("tallies/targets.html", form=form, metrics=METRICS), 422


@bp.get("/bulletins")
def list_bulletins():
    """Published bulletins the user may read."""
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    if not can(current_user, "see_all_tallies"):
        abort(403)
    return render_template("tallies/bulletins.html", bulletins=bulletin_service.visible_bulletins(current_user))


@bp.route("/bulletins/new", methods=["GET", "POST"])
def publish_bulletin():
    """A leader publishes a month's bulletin: the figures are frozen at this moment."""
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    if not can(current_user, "publish_bulletin"):
        abort(403)
    form = BulletinForm()
    form.month.choices = [(format_month(m), format_month(m)) for m in recent_months(13)]
    if request.method == "GET":
        form.month.data = request.args.get("month") or format_month(recent_months(2)[1])
    if form.validate_on_submit():
        month = parse_month(form.month.data)
        try:
            bulletin = bulletin_service.publish(current_user, month, form.title.data or "", form.body.data or "")
        except bulletin_service.BulletinConflict:
            form.month.errors.append(_("该月份的通报已经发布过了。"))
        except ValueError as exc:
            form.month.errors.append(str(exc))
        else:
            flash(_("通报已发布。"), "success")
            return redirect(url_for("tallies.show_bulletin", bulletin_id=bulletin.id))
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("tallies/publish.html", form=form), status


def _load_bulletin(bulletin_id: int) -> Bulletin:
    """404 if missing, 403 if not readable."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None:
        abort(404)
    if not can(current_user, "read", bulletin):
        abort(403)
    return bulletin


@bp.get("/bulletins/<int:bulletin_id>")
def show_bulletin(bulletin_id: int):
    """The printable bulletin: the frozen snapshot, then any adjustments since publication."""
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    bulletin = _load_bulletin(bulletin_id)
    snap = bulletin.snapshot or {}
    return render_template(
        "tallies/bulletin.html", bulletin=bulletin, snap=snap, tables=snap.get("tables", {}),
        targets=bulletin_service.snapshot_targets(bulletin), adjustments=bulletin_service.adjustments(bulletin),
        titles=TABLE_TITLES, status_labels=targets_service.STATUS_LABELS,
    )


@bp.get("/bulletins/<int:bulletin_id>/export/<name>.<fmt>")
def export_bulletin(bulletin_id: int, name: str, fmt: str):
    """A frozen table of a bulletin as CSV or XLSX."""
    if fmt not in exports.FORMATS or name not in TABLE_TITLES:
        abort(404)
    if (redirect_ := _require_signed_in()) is not None:
        return redirect_
    bulletin = _load_bulletin(bulletin_id)
    snap = bulletin.snapshot or {}
    title = _(TABLE_TITLES[name])
    if name in ("school", "group", "teacher") and name in snap.get("tables", {}):
        sheet = exports.tally_sheet(name, snap["tables"][name], title)
    elif name == "idle":
        sheet = exports.tally_sheet("teacher", snap.get("idle", []), title)
    elif name.startswith("ranking-") and name.split("-", 1)[1] in snap.get("ranking", {}):
        by = name.split("-", 1)[1]
        sheet = exports.ranking_sheet(snap["ranking"][by], title, _("教师数") if by == "school" else _("成员数"))
    elif name == "targets":
        items = bulletin_service.snapshot_targets(bulletin)
        for item in items:
            label = item["metric_label"]
            item["metric_label"] = _(label)
        sheet = exports.targets_sheet(items, title, _status_label)
    else:
        abort(404)
    return _download(sheet, fmt, f"bulletin-{format_month(bulletin.month)}-{name}")


@bp.get("/bulletins.atom")
def bulletin_feed():
    """Atom feed of the bulletins the user may read (empty for anonymous readers)."""
    items = bulletin_service.visible_bulletins(current_user, limit=20)
    updated = max((b.published_at for b in items), default=datetime(2020, 1, 1, tzinfo=timezone.utc))
    body = render_template("tallies/bulletins.atom", bulletins=items, updated=updated)
    return Response(body, mimetype="application/atom+xml")
