"""Board forms (CSRF on every one)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

KIND_LABELS = {"discussion": _l("主题研讨"), "prep": _l("集体备课"), "research": _l("小课题"), "question": _l("问题求助")}


class ThreadForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("类型"), choices=list(KIND_LABELS.items()), default="discussion")
    body = TextAreaField(_l("正文"), validators=[Optional(), Length(max=100_000)])
    tags = StringField(_l("标签"), validators=[Optional(), Length(max=400)])
    theme_id = SelectField(_l("月度主题"), coerce=int, validators=[Optional()])
    # Lesson preparation (kind = prep)
    lesson = StringField(_l("课题/单元"), validators=[Optional(), Length(max=200)])
    subject = StringField(_l("学科"), validators=[Optional(), Length(max=40)])
    grade = StringField(_l("年级"), validators=[Optional(), Length(max=40)])
    textbook = StringField(_l("教材版本"), validators=[Optional(), Length(max=80)])
    scheduled_on = DateField(_l("备课日期"), validators=[Optional()])
    lead_speaker_id = SelectField(_l("中心发言人"), coerce=int, validators=[Optional()])
    deadline_at = DateTimeLocalField(_l("研讨截止时间"), format="%Y-%m-%dT%H:%M", validators=[Optional()])


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("回复内容"), validators=[DataRequired(), Length(max=100_000)])
    parent_id = HiddenField()


class EditForm(FlaskForm):
    title = StringField(_l("标题"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("正文"), validators=[DataRequired(), Length(max=100_000)])
    tags = StringField(_l("标签"), validators=[Optional(), Length(max=400)])
    version = IntegerField(validators=[InputRequired(_l("缺少版本号，请刷新页面后重新编辑。"))])


class DeleteForm(FlaskForm):
    reason = SelectField(_l("删除原因"), validators=[Optional()])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class DraftForm(FlaskForm):
    body = TextAreaField(_l("初稿（教学重难点、学情、预设问题与对策）"), validators=[DataRequired(), Length(max=100_000)])


class ConcludeForm(FlaskForm):
    summary = TextAreaField(_l("集体备课纪要（定稿）"), validators=[DataRequired(), Length(max=100_000)])


class ThemeForm(FlaskForm):
    month = StringField(_l("月份（YYYY-MM）"), validators=[DataRequired(), Length(max=7)])
    title = StringField(_l("主题名称"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=5000)])
    stage = SelectField(_l("小课题阶段"), choices=[("", _l("（无）")), ("立项", _l("立项")), ("开题", _l("开题")),
                                                ("中期", _l("中期")), ("结题", _l("结题"))], default="")
