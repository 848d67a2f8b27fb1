"""Account forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("记住我（14 天）"))


class RegisterForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=40)])
    school_id = SelectField(_l("学校"), coerce=int, validators=[Optional()])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=1024)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=40)])
    school_id = SelectField(_l("学校"), coerce=int, validators=[Optional()])
    bio = TextAreaField(_l("个人简介"), validators=[Optional(), Length(max=2000)])
    locale = SelectField(_l("界面语言"), choices=[("zh_CN", "中文"), ("en", "English")])


class TokenForm(FlaskForm):
    name = StringField(_l("令牌用途"), validators=[Optional(), Length(max=80)])
