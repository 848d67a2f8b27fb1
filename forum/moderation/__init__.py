"""Moderation: reasoned soft deletes, flags, audit log, suspension."""
from flask_babel import lazy_gettext as _l

from forum.core.content import DELETE_REASONS

# Marked with _l so the catalogue keeps them (message ids are the Chinese text).
ACTION_LABELS = {
    "delete": _l("删除"), "restore": _l("恢复"), "purge": _l("彻底删除"), "edit": _l("代为编辑"),
    "move": _l("移动"), "move_in": _l("移入"), "pin": _l("置顶"), "unpin": _l("取消置顶"), "lock": _l("锁定"),
    "unlock": _l("解除锁定"), "feature": _l("设为精华"), "unfeature": _l("取消精华"),
    "flag_dismissed": _l("驳回举报"), "flag_deleted": _l("举报属实并删除"),
    "suspend": _l("停用账号"), "unsuspend": _l("恢复账号"),
}


def reason_label(code: str | None) -> str:
    """The translated label of a delete/flag reason code ("" for other codes, e.g. "pinned:1")."""
    from flask_babel import gettext

    label = DELETE_REASONS.get(code or "", "")
    return gettext(label) if label else ""


def action_label(action: str) -> str:
    """The translated name of an audit log action."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def init_app(app) -> None:
    """Register the moderation pages and API, the audit hook and the open-flags counter."""
    from forum.moderation import api  # noqa: F401  (routes register on the API blueprint)
    from forum.moderation import audit, views
    from forum.moderation.flags import open_flag_count
    from forum.policy import can

    audit.install()
    app.register_blueprint(views.bp)
    app.jinja_env.globals["reason_label"] = reason_label
    app.jinja_env.globals["action_label"] = action_label

    def _flag_counter(user) -> dict:
        return {"flags": open_flag_count(user) if can(user, "moderate_any") else 0}

    app.extensions.setdefault("jy_nav_counters", []).append(_flag_counter)
