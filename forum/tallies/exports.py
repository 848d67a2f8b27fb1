"""CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX exports of every table, with Chinese headers."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import gettext as _

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class Sheet:
    """A table ready to export: a title, (key, header) columns and rows of plain values."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]


def count_columns(first: tuple[str, str], with_school: bool, with_size: str | None) -> list[tuple[str, str]]:
    """The columns of a tally table: name, (school), (size), the counts and the rates."""
    cols = [first]
    if with_school:
        cols.append(("school", _("学校")))
    if with_size:
        cols.append(("size", with_size))
    cols += [("entries", _("博文")), ("threads", _("主题帖")), ("replies", _("回帖")), ("comments", _("评论")),
             ("preps", _("集体备课")), ("total", _("合计")), ("substantive", _("实质性贡献"))]
    if with_size:
        cols += [("total_rate", _("人均贡献")), ("substantive_rate", _("人均实质性贡献"))]
    return cols


def tally_sheet(by: str, rows: list, title: str) -> Sheet:
    """A sheet from TallyRow objects (or their dicts, as frozen in a bulletin)."""
    if by == "teacher":
        cols = [("name", _("用户名"))] + count_columns(("label", _("姓名")), True, None)
    elif by == "group":
        cols = count_columns(("label", _("教研组")), False, _("成员数"))
    else:
        cols = count_columns(("label", _("学校")), False, _("教师数"))
    data = [r if isinstance(r, dict) else r.as_dict() for r in rows]
    return Sheet(title, cols, data)


def ranking_sheet(ranked: list, title: str, size_header: str) -> Sheet:
    """The ranking: position, name, size, substantive and per-member rate."""
    cols = [("rank", _("名次")), ("label", _("名称")), ("size", size_header), ("substantive", _("实质性贡献")),
            ("substantive_rate", _("人均实质性贡献"))]
    data = []
    for item in ranked:
        if isinstance(item, dict):
            data.append(item)
        else:
            pos, row = item
            data.append({"rank": pos, "label": row.label, "size": row.size, "substantive": row.substantive,
                         "substantive_rate": row.substantive_rate})
    return Sheet(title, cols, data)


def targets_sheet(summaries: list[dict], title: str, status_label: Callable[[str], str]) -> Sheet:
    """Every target's standing per group or teacher (from TargetSummary.as_dict())."""
    cols = [("target", _("目标")), ("period", _("统计周期")), ("label", _("对象")), ("school", _("学校")),
            ("value", _("完成")), ("threshold", _("目标值")), ("status", _("状态"))]
    data = []
    for s in summaries:
        for r in s["rows"]:
            data.append({"target": s.get("metric_label", s["metric"]), "period": s["period"], "label": r["label"],
                         "school": r["school"], "value": r["value"], "threshold": r["threshold"],
                         "status": status_label(r["status"])})
    return Sheet(title, cols, data)


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, CRLF line ends: what Excel expects."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header for _key, header in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_cell(row.get(key, "")) for key, _header in sheet.columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_xlsx(sheet: Sheet) -> bytes:
    """One worksheet with a bold header row, frozen panes and sensible column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _safe_title(sheet.title)
    ws.append([header for _key, header in sheet.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        ws.append([_cell(row.get(key, "")) for key, _header in sheet.columns])
    ws.freeze_panes = "A2"
    for i, (key, header) in enumerate(sheet.columns, start=1):
        longest = max([_width(header)] + [_width(str(r.get(key, ""))) for r in sheet.rows[:500]])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(max(longest + 2, 8), 50)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _width(text: str) -> int:
    """Display width: CJK characters are two columns wide."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _safe_title(title: str) -> str:
    """Worksheet titles: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return (cleaned or "Sheet")[:31]


def render(sheet: Sheet, fmt: str) -> bytes:
    """The sheet as CSV or XLSX bytes."""
    if fmt == "csv":
        return to_csv(sheet)
    if fmt == "xlsx":
        return to_xlsx(sheet)
    raise ValueError(fmt)
