"""Admin forms for schools, clusters, groups, members and roles."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ClusterForm(FlaskForm):
    name = StringField(_l("片区名称"), validators=[DataRequired(), Length(max=80)])


class SchoolForm(FlaskForm):
    name = StringField(_l("学校名称"), validators=[DataRequired(), Length(max=80)])
    cluster_id = SelectField(_l("所属片区"), coerce=int, validators=[Optional()])


class GroupForm(FlaskForm):
    name = StringField(_l("组名"), validators=[DataRequired(), Length(max=80)])
    school_id = SelectField(_l("学校"), coerce=int, validators=[Optional()])
    subject = StringField(_l("学科"), validators=[Optional(), Length(max=40)])
    grade = StringField(_l("年级"), validators=[Optional(), Length(max=40)])
    visibility = SelectField(_l("可见范围"), choices=[("public", _l("公开")), ("school", _l("本校")),
                                                      ("group", _l("仅本组"))])
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=2000)])


class MemberForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    is_host = BooleanField(_l("主持人"))


class RoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=[("teacher", _l("教师")), ("leader", _l("领导/教研员")),
                                            ("admin", _l("管理员"))])
    scope_school_id = SelectField(_l("管辖学校"), coerce=int, validators=[Optional()])
    scope_cluster_id = SelectField(_l("管辖片区"), coerce=int, validators=[Optional()])


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token."""
