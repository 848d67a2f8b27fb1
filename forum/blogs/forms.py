"""Blog forms: the entry editor, comments, guestbook, uploads and moderation reasons."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.blogs.models import CATEGORIES
from forum.blogs.services import BODY_MAX, COMMENT_MAX, TITLE_MAX
from forum.core.content import DELETE_REASONS


def category_choices():
    return [(code, _l(name)) for code, name in CATEGORIES.items()]


class EntryForm(FlaskForm):
    """Write or edit an entry; the button pressed says draft, publish or preview."""

    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    category = SelectField(_l("类别"), choices=category_choices, validators=[DataRequired()])
    tags = StringField(_l("标签"), validators=[Optional(), Length(max=400)])
    stage = StringField(_l("学段"), validators=[Optional(), Length(max=20)])
    subject = StringField(_l("学科"), validators=[Optional(), Length(max=40)])
    grade = StringField(_l("年级"), validators=[Optional(), Length(max=40)])
    textbook = StringField(_l("教材版本"), validators=[Optional(), Length(max=80)])
    unit = StringField(_l("单元"), validators=[Optional(), Length(max=120)])
    body = TextAreaField(_l("正文（Markdown）"), validators=[DataRequired(), Length(max=BODY_MAX)])
    version = HiddenField()

    def meta_fields(self) -> dict:
        return {name: getattr(self, name).data or "" for name in ("stage", "subject", "grade", "textbook", "unit")}


class CommentForm(FlaskForm):
    body = TextAreaField(_l("评论"), validators=[DataRequired(), Length(max=COMMENT_MAX)])
    parent_id = HiddenField()


class GuestbookForm(FlaskForm):
    body = TextAreaField(_l("留言"), validators=[DataRequired(), Length(max=COMMENT_MAX)])


class DeleteForm(FlaskForm):
    """Authors may leave the reason empty; hosts must choose one."""

    reason = SelectField(_l("删除原因"), choices=lambda: [("", _l("（本人删除）"))] + [
        (code, _l(label)) for code, label in DELETE_REASONS.items()], validators=[Optional()])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token (restore, delete attachment)."""


class UploadForm(FlaskForm):
    file = FileField(_l("附件"))
