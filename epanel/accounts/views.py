"""Sign in and out, password reset, e-mailed sign-in links, and staff accounts."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from epanel.accounts import operations, queries
from epanel.accounts.access import public, roles_required, signed_in
from epanel.accounts.forms import (
    ContinueForm,
    EmailOnlyForm,
    NewPasswordForm,
    NewStaffUserForm,
    SignInForm,
)
from epanel.accounts.models import Role, TokenPurpose
from epanel.common.redirects import safe_next_path
from epanel.extensions import limiter

bp = Blueprint("accounts", __name__)


def _sign_in_limit():
    return current_app.config["RATELIMIT_SIGN_IN"]


def _email_link_limit():
    return current_app.config["RATELIMIT_EMAIL_LINKS"]


def _only_posts():
    return request.method != "POST"


def _start_session(user) -> None:
    # A fresh session at sign-in, so nothing planted before it carries over.
    session.clear()
    login_user(user)


def home_for(user) -> str:
    if user.has_any_role({Role.ADMIN, Role.OFFICER, Role.COUNCILLOR, Role.TEACHER}):
        return url_for("site.staff_home")
    return url_for("accounts.account")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_sign_in_limit, exempt_when=_only_posts)
def sign_in():
    if current_user.is_authenticated:
        return redirect(safe_next_path(request.args.get("next"), home_for(current_user)))
    form = SignInForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user)
            return redirect(safe_next_path(request.args.get("next"), home_for(user)))
        form.password.errors.append("Enter the email address and password for your account")
    return render_template("accounts/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/reset-password", methods=["GET", "POST"])
@public
@limiter.limit(_email_link_limit, exempt_when=_only_posts)
def request_reset():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, purpose="reset")
    return render_template("accounts/request_reset.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    try:
        operations.check_link(token, TokenPurpose.PASSWORD_RESET)
    except operations.LinkNotUsable:
        return render_template("accounts/link_not_usable.html", purpose="reset"), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.password.data)
        except operations.LinkNotUsable:
            return render_template("accounts/link_not_usable.html", purpose="reset"), 400
        logout_user()
        session.clear()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/sign-in-link", methods=["GET", "POST"])
@public
@limiter.limit(_email_link_limit, exempt_when=_only_posts)
def request_sign_in_link():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        operations.request_sign_in_link(form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, purpose="sign_in")
    return render_template("accounts/request_sign_in_link.html", form=form)


@bp.route("/sign-in-link/<token>", methods=["GET", "POST"])
@public
def use_sign_in_link(token):
    try:
        operations.check_link(token, TokenPurpose.SIGN_IN_LINK)
    except operations.LinkNotUsable:
        return render_template("accounts/link_not_usable.html", purpose="sign_in"), 400
    form = ContinueForm()
    if form.validate_on_submit():
        try:
            user = operations.use_sign_in_link(token)
        except operations.LinkNotUsable:
            return render_template("accounts/link_not_usable.html", purpose="sign_in"), 400
        _start_session(user)
        return redirect(home_for(user))
    return render_template("accounts/use_sign_in_link.html", form=form)


@bp.route("/account")
@signed_in
def account():
    return render_template("accounts/account.html", user=current_user)


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def list_users():
    return render_template("accounts/users.html", users=queries.list_users())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = NewStaffUserForm()
    if form.validate_on_submit():
        try:
            user = operations.invite_user(form.email.data, form.display_name.data, form.roles.data)
        except operations.AccountError as error:
            form.email.errors.append(str(error))
        else:
            flash(f"Account created for {user.display_name}. We have emailed them a link to set a password.", "success")
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/new_user.html", form=form)


def load_user(session_id: str):
    return queries.get_user_for_session(session_id)


