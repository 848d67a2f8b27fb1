"""Bulk roster import (CSV in UTF-8, UTF-8-BOM or GBK; or XLSX). All rows or nothing."""
from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from forum.auth.models import User
from forum.extensions import db

# Accepted header spellings → canonical column.
HEADERS = {
    "school": "school", "学校": "school", "学校名称": "school",
    "group": "group", "组": "group", "教研组": "group", "学科组": "group", "组名": "group",
    "username": "username", "用户名": "username", "账号": "username",
    "display name": "display_name", "display_name": "display_name", "姓名": "display_name", "显示名": "display_name",
    "role": "role", "角色": "role",
    "host": "host", "主持人": "host", "是否主持人": "host",
}
REQUIRED = ("school", "group", "username", "display_name", "role", "host")
ROLE_WORDS = {"teacher": "teacher", "教师": "teacher", "老师": "teacher", "": "teacher",
              "leader": "leader", "领导": "leader", "教研员": "leader",
              "admin": "admin", "管理员": "admin"}
YES = {"1", "yes", "y", "true", "是", "主持人", "host", "√", "✓"}
NO = {"", "0", "no", "n", "false", "否"}


class RosterError(ValueError):
    """Problems found in a roster file; nothing was imported."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class RosterRow:
    line: int
    school: str
    group: str
    username: str
    display_name: str
    role: str
    host: bool


@dataclass
class ImportResult:
    created_users: list[tuple[str, str]] = field(default_factory=list)  # (username, initial password)
    memberships: int = 0
    groups_created: int = 0


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise RosterError([_("文件编码无法识别：请保存为 UTF-8 或 GBK 编码的 CSV，或 XLSX。")]) from exc


def read_rows(path: str | Path) -> list[list[str]]:
    """All rows of a CSV or XLSX file as lists of strings."""
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"PK" or path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise RosterError([_("无法读取 XLSX 文件：%(err)s", err=str(exc)[:200])]) from exc
        sheet = wb.worksheets[0]
        return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    text = _decode(data)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse(rows: list[list[str]]) -> list[RosterRow]:
    """Validate every row; raise RosterError naming each bad row's number."""
    from forum.auth.services import AccountError, normalize_display_name, normalize_username

    if not rows:
        raise RosterError([_("文件是空的。")])
    header = [HEADERS.get(h.strip().lower().lstrip("\ufeff"), None) for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterError([_("第 1 行：缺少列 %(cols)s（需要 school, group, username, display name, role, host）",
                             cols=", ".join(missing))])
    idx = {c: header.index(c) for c in REQUIRED}
    problems: list[str] = []
    out: list[RosterRow] = []
    seen: dict[str, RosterRow] = {}
    pairs: set[tuple[str, str, str]] = set()
    for n, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        cells = raw + [""] * (len(header) - len(raw))
        get = lambda c: cells[idx[c]].strip()  # noqa: E731
        role_word = get("role").lower()
        host_word = get("host").lower()
        if role_word not in ROLE_WORDS:
            problems.append(_("第 %(n)s 行：未知角色“%(role)s”（可用 teacher/leader/admin）", n=n, role=get("role")))
            continue
        if host_word not in YES | NO:
            problems.append(_("第 %(n)s 行：主持人一栏应为 是/否", n=n))
            continue
        try:
            username = normalize_username(get("username"))
            display = normalize_display_name(get("display_name"))
        except AccountError as exc:
            problems.append(_("第 %(n)s 行：%(msg)s", n=n, msg=str(exc)))
            continue
        if not get("school") or not get("group"):
            problems.append(_("第 %(n)s 行：学校和组不能为空", n=n))
            continue
        row = RosterRow(n, get("school"), get("group"), username, display, ROLE_WORDS[role_word], host_word in YES)
        prev = seen.get(username)
        if prev and (prev.display_name, prev.school, prev.role) != (row.display_name, row.school, row.role):
            problems.append(_("第 %(n)s 行：用户名 %(u)s 与第 %(m)s 行重复但信息不同", n=n, u=username, m=prev.line))
            continue
        key = (username, row.school, row.group)
        if key in pairs:
            problems.append(_("第 %(n)s 行：用户名 %(u)s 在同一组中重复", n=n, u=username))
            continue
        pairs.add(key)
        seen.setdefault(username, row)
        out.append(row)
    existing = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(list(seen))))}
    for username, row in seen.items():
        user = existing.get(username)
        if user is not None and (user.display_name != row.display_name
                                 or (user.school is not None and user.school.name != row.school)):
            problems.append(_("第 %(n)s 行：用户名 %(u)s 已被其他人使用", n=row.line, u=username))
    if problems:
        raise RosterError(problems)
    return out


def import_file(path: str | Path) -> ImportResult:
    """Import a roster file in one transaction; RosterError leaves the database unchanged."""
    from forum.auth.services import create_user
    from forum.org.services import OrgError, add_member, create_group, get_or_create_school
    from forum.org.models import Group

    rows = parse(read_rows(path))
    result = ImportResult()
    try:
        users: dict[str, User] = {}
        for row in rows:
            school = get_or_create_school(row.school)
            group = db.session.scalar(select(Group).where(Group.school_id == school.id, Group.name == row.group))
            if group is None:
                group = create_group(row.group, school=school)
                result.groups_created += 1
            user = users.get(row.username) or db.session.scalar(select(User).where(User.username == row.username))
            if user is None:
                password = secrets.token_urlsafe(9)
                user = create_user(row.username, password, role=row.role, display_name=row.display_name,
                                   school=school, check_password=False)
                result.created_users.append((row.username, password))
            users[row.username] = user
            add_member(group, user, host=row.host)
            result.memberships += 1
        db.session.commit()
    except OrgError as exc:
        db.session.rollback()
        raise RosterError([str(exc)]) from exc
    except Exception:
        db.session.rollback()
        raise
    return result
