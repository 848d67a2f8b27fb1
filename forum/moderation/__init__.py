"""Moderation: reasoned soft deletes, flags, audit log, suspension."""
from forum.core.content import DELETE_REASONS

# Chinese labels are the msgids; templates pass them through _().
ACTION_LABELS = {
    "delete": "删除", "restore": "恢复", "purge": "彻底删除", "edit": "代为编辑", "move": "移动", "move_in": "移入",
    "pin": "置顶", "unpin": "取消置顶", "lock": "锁定", "unlock": "解除锁定", "feature": "设为精华",
    "unfeature": "取消精华", "flag_dismissed": "驳回举报", "flag_deleted": "举报属实并删除",
    "suspend": "停用账号", "unsuspend": "恢复账号",
}


def reason_label(code: str | None) -> str:
    """The translated label of a delete/flag reason code ("" for other codes, e.g. "pinned:1")."""
    from flask_babel import gettext

    label = DELETE_REASONS.get(code or "", "")
    return gettext(label) if label else ""


def action_label(action: str) -> str:
    """The translated name of an audit log action."""
    from flask_babel import gettext

    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action


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
