"""Moderation forms (CSRF-protected; the services validate the values again)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forum.core.content import DELETE_REASONS


def reason_choices():
    return [(code, _l(label)) for code, label in DELETE_REASONS.items()]


class ReasonForm(FlaskForm):
    """Delete with a reason, or flag with a reason."""

    reason = SelectField(_l("原因"), choices=reason_choices, validators=[Optional()])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])
    next = StringField(validators=[Optional(), Length(max=500)])


class ResolveForm(FlaskForm):
    """Dismiss a flag or delete the content."""

    outcome = SelectField(_l("处理"), choices=[("dismiss", _l("驳回举报")), ("delete", _l("删除内容"))])
    reason = SelectField(_l("删除原因"), choices=reason_choices, validators=[Optional()])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """A POST carrying only the CSRF token (restore, purge, pin/lock/feature)."""

    next = StringField(validators=[Optional(), Length(max=500)])


class MoveForm(FlaskForm):
    """Move a thread to another board."""

    board_id = SelectField(_l("移动到版块"), coerce=int, validators=[DataRequired()])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class SuspendForm(FlaskForm):
    """Suspend a user for some days or indefinitely."""

    days = IntegerField(_l("停用天数"), validators=[Optional(), NumberRange(min=1, max=3650)])
    indefinite = BooleanField(_l("无限期停用"))
    reason = TextAreaField(_l("原因"), validators=[DataRequired(), Length(max=500)])
