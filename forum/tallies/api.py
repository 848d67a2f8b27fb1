"""GET /api/v1/tallies?month=YYYY-MM&by=teacher|group|school (DESIGN.md §5)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp
from forum.api.auth import api_user
from forum.core.errors import fail
from forum.core.timezones import current_month, format_month, parse_month
from forum.tallies import reports, services
from forum.tallies.periods import month_period


@bp.get("/tallies")
def get_tallies():
    """A month's table by teacher, group or school, limited to what the caller may see."""
    user = api_user()
    raw_month = request.args.get("month")
    try:
        month = parse_month(raw_month) if raw_month is not None else current_month()
    except ValueError:
        fail(422, _("月份格式应为 YYYY-MM，例如 2026-11。"), field="month")
    by = request.args.get("by", "teacher")
    if by not in reports.BY:
        fail(422, _("by 只能是 teacher、group 或 school。"), field="by")
    if not user.is_authenticated:
        fail(401, _("需要登录：请使用 Bearer 令牌。"), "unauthorized")
    scope = services.scope_for(user)
    try:
        rows = services.table(scope, by, month_period(month))
    except services.TallyForbidden:
        fail(403, _("你没有权限查看这张统计表。"))
    return jsonify({"month": format_month(month), "by": by, "rows": [r.api_dict() for r in rows]})


# For /api/v1/openapi.json (merged by the API package when it builds the document).
_COUNT = {"type": "integer", "minimum": 0}
OPENAPI_PATHS = {
    "/tallies": {
        "get": {
            "summary": "One month's contribution tally by teacher, group or school",
            "parameters": [
                {"name": "month", "in": "query", "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                 "description": "YYYY-MM in the site time zone (default: this month)"},
                {"name": "by", "in": "query", "schema": {"type": "string", "enum": list(reports.BY)}},
            ],
            "responses": {
                "200": {"description": "The rows the caller may see", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "month": {"type": "string"}, "by": {"type": "string"},
                        "rows": {"type": "array", "items": {"type": "object", "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"},
                            **{k: _COUNT for k in reports.COUNT_FIELDS}}}}}}}}},
                "401": {"description": "No or bad token"},
                "403": {"description": "The caller may not see this table"},
                "422": {"description": "month is not YYYY-MM, or by is unknown"},
            },
        },
    },
}
