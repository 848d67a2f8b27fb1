"""Forms: targets (a list of rows) and publishing a bulletin."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forum.tallies.models import METRICS

METRIC_LABELS = {key: spec["label"] for key, spec in METRICS.items()}


class TargetRowForm(FlaskForm):
    """One target: what, over which period, how many."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    metric = SelectField(_l("指标"), choices=[(key, _l(label)) for key, label in METRIC_LABELS.items()])
    period = SelectField(_l("周期"), choices=[("month", _l("每月")), ("semester", _l("每学期"))])
    threshold = IntegerField(_l("目标值"), validators=[Optional(), NumberRange(0, 10000)])
    is_active = BooleanField(_l("启用"), default=True)


class TargetsForm(FlaskForm):
    """Every target at once; rows with an empty value are dropped."""

    rows = FieldList(FormField(TargetRowForm), min_entries=1, max_entries=30)


class BulletinForm(FlaskForm):
    """Publish the month's bulletin (通报) with a short text by the leader."""

    month = SelectField(_l("月份"), validators=[DataRequired()])
    title = StringField(_l("标题"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("领导寄语 / 说明"), validators=[Optional(), Length(max=20000)])
