"""Sign in, sign out, register, password, profile and API tokens."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from forum.auth import services
from forum.auth.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm, TokenForm
from forum.auth.models import ApiToken
from forum.core.errors import fail
from forum.core.redirects import safe_next
from forum.extensions import db, limiter
from forum.org.models import School

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


def _school_choices() -> list[tuple[int, str]]:
    schools = db.session.scalars(select(School).order_by(School.name)).all()
    return [(0, _("（不选）"))] + [(s.id, s.name) for s in schools]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in; never says whether the user exists."""
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), url_for("main.home"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None and not user.is_suspended:
            login_user(user, remember=form.remember.data)
            return redirect(next_url)
        form.password.errors.append(_("用户名或密码不正确，或账号暂时不能登录。"))
    return render_template("auth/login.html", form=form, next_url=next_url), 200 if request.method == "GET" else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere: the session version moves on, so other sessions end too."""
    services.end_other_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("你已退出登录。"), "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    """Create a teacher account (when ALLOW_REGISTRATION is on)."""
    if not current_app.config.get("ALLOW_REGISTRATION", True):
        fail(403, _("本站暂不开放注册，请联系管理员开通账号。"))
    form = RegisterForm()
    form.school_id.choices = _school_choices()
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        try:
            user = services.create_user(form.username.data, form.password.data,
                                        display_name=form.display_name.data, school=school)
        except services.AccountError as exc:
            db.session.rollback()
            # The same message for a taken name as for other problems keeps existence private.
            getattr(form, exc.field, form.username).errors.append(str(exc))
        else:
            db.session.commit()
            login_user(user)
            flash(_("注册成功，欢迎加入！"), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password (asks the current one); other sessions end."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # re-issue this session with the new version
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Own profile: name, school, bio, language, API tokens."""
    form = ProfileForm(obj=current_user)
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.school_id.data = current_user.school_id or 0
        form.locale.data = current_user.locale or "zh_CN"
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        try:
            services.update_profile(current_user, display_name=form.display_name.data, bio=form.bio.data,
                                    school=school, locale=form.locale.data)
        except services.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.display_name).errors.append(str(exc))
        else:
            flash(_("资料已保存。"), "success")
            return redirect(url_for("auth.profile"))
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("auth/profile.html", form=form, tokens=tokens, token_form=TokenForm(),
                           new_token=None)


@bp.route("/tokens", methods=["POST"])
@login_required
@limiter.limit("20 per hour")
def create_token():
    """Create an API token from the profile page; it is shown once."""
    form = TokenForm()
    if not form.validate_on_submit():
        fail(400)
    raw, _token = services.issue_token(current_user, form.name.data)
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    pform = ProfileForm(obj=current_user)
    pform.school_id.choices = _school_choices()
    pform.school_id.data = current_user.school_id or 0
    pform.locale.data = current_user.locale or "zh_CN"
    return render_template("auth/profile.html", form=pform, tokens=tokens, token_form=TokenForm(), new_token=raw)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of my tokens."""
    form = TokenForm()
    if not form.validate_on_submit():
        fail(400)
    if not services.revoke_token(current_user, token_id):
        fail(404)
    flash(_("令牌已撤销。"), "success")
    return redirect(url_for("auth.profile"))
