"""Sign in (password, then a code for staff with two-factor) and out, password reset,
e-mailed sign-in links, two-factor set-up, and staff accounts."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from epanel.accounts import operations, queries, sessions, two_factor
from epanel.accounts.access import public, roles_required, signed_in
from epanel.accounts.forms import (
    ContinueForm,
    EmailOnlyForm,
    EnrolTwoFactorForm,
    NewPasswordForm,
    NewStaffUserForm,
    ReauthenticateForm,
    SignInForm,
    TwoFactorCodeForm,
)
from epanel.accounts.models import STAFF_ROLES, Role, TokenPurpose
from epanel.common.redirects import safe_next_path
from epanel.common.time import utcnow
from epanel.extensions import limiter

bp = Blueprint("accounts", __name__)


def _sign_in_limit():
    return current_app.config["RATELIMIT_SIGN_IN"]


def _email_link_limit():
    return current_app.config["RATELIMIT_EMAIL_LINKS"]


def _only_posts():
    return request.method != "POST"


def _two_factor_limit():
    return current_app.config["RATELIMIT_TWO_FACTOR"]


def _pending_account_key():
    """Rate-limit key for code attempts: the account whose password was right, not the address."""
    user = sessions.pending_user()
    return f"two-factor-account:{user.id if user else 'none'}"


def _start_session(user, *, second_factor: bool = False) -> None:
    # A fresh session at sign-in, so nothing planted before it carries over.
    session.clear()
    login_user(user)
    if second_factor:
        sessions.mark_second_factor_checked()


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
            next_path = safe_next_path(request.args.get("next"), None)
            if user.has_two_factor:
                sessions.begin_pending_sign_in(user, next_path)
                return redirect(url_for("accounts.sign_in_code"))
            if user.must_use_two_factor:
                sessions.begin_pending_sign_in(user, next_path)
                return redirect(url_for("accounts.set_up_two_factor_at_sign_in"))
            _start_session(user)
            operations.record_sign_in(user)
            return redirect(next_path or home_for(user))
        form.password.errors.append("Enter the email address and password for your account")
    return render_template("accounts/sign_in.html", form=form)


def _demo_code_hint(user) -> str | None:
    """In development only, the demo accounts' current code, so the demo needs no phone."""
    if current_app.config["DEMO_TOOLS"] and user.totp_secret == two_factor.DEMO_TOTP_SECRET:
        return two_factor.current_code(user.totp_secret)
    return None


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limiter.limit(_two_factor_limit, exempt_when=_only_posts)
@limiter.limit(_two_factor_limit, key_func=_pending_account_key, exempt_when=_only_posts)
def sign_in_code():
    user = sessions.pending_user()
    if user is not None and not user.has_two_factor and user.must_use_two_factor:
        return redirect(url_for("accounts.set_up_two_factor_at_sign_in"))
    if user is None or not user.has_two_factor:
        flash("Sign in again to carry on", "info")
        return redirect(url_for("accounts.sign_in"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if two_factor.check_second_factor(user, form.code.data):
            next_path = sessions.pending_next()
            _start_session(user, second_factor=True)
            operations.record_sign_in(user)
            return redirect(safe_next_path(next_path, home_for(user)))
        form.code.errors.append("The code is not right, or has been used already. Enter the newest code from your app")
    return render_template("accounts/sign_in_code.html", form=form, demo_code=_demo_code_hint(user))


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@public
@limiter.limit(_two_factor_limit, exempt_when=_only_posts)
def set_up_two_factor_at_sign_in():
    """First sign-in of staff who must use two-factor: enrol now, then they are signed in."""
    user = sessions.pending_user()
    if user is None:
        flash("Sign in again to carry on", "info")
        return redirect(url_for("accounts.sign_in"))
    if user.has_two_factor:
        return redirect(url_for("accounts.sign_in_code"))
    form = EnrolTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data)
        except two_factor.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            next_path = sessions.pending_next()
            _start_session(user, second_factor=True)
            operations.record_sign_in(user)
            return _recovery_codes_page(codes, safe_next_path(next_path, home_for(user)), first_time=True)
    return _enrolment_page(user, form, at_sign_in=True)


def _recovery_codes_page(codes, continue_to, *, first_time):
    # Shown once, in answer to the POST; like every page, sent with Cache-Control: no-store.
    return render_template("accounts/recovery_codes.html", codes=codes, continue_to=continue_to, first_time=first_time)


def _enrolment_page(user, form, *, at_sign_in: bool):
    secret = two_factor.start_enrolment(user)
    return render_template(
        "accounts/set_up_two_factor.html",
        form=form,
        at_sign_in=at_sign_in,
        qr_code=two_factor.qr_code_svg(two_factor.provisioning_uri(user, secret)),
        secret=two_factor.grouped_secret(secret),
    )


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    if current_user.is_authenticated:
        # On the server too: a copy of this session's cookie stops working now.
        operations.end_all_sessions(current_user)
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


# --- re-authentication and two-factor settings ----------------------------------------------

REAUTHENTICATED_AT = "reauthenticated_at"
REAUTHENTICATION_LIFETIME = 5 * 60  # seconds


def _recently_reauthenticated() -> bool:
    at = session.get(REAUTHENTICATED_AT)
    return isinstance(at, int) and 0 <= int(utcnow().timestamp()) - at <= REAUTHENTICATION_LIFETIME


def _ask_to_reauthenticate():
    return redirect(url_for("accounts.reauthenticate", next=request.full_path.rstrip("?")))


@bp.route("/account/confirm-it-is-you", methods=["GET", "POST"])
@signed_in
@limiter.limit(_sign_in_limit, exempt_when=_only_posts)
def reauthenticate():
    """Password (and a code, with two-factor) again before a change that could lock the owner out."""
    form = ReauthenticateForm()
    if form.validate_on_submit():
        try:
            two_factor.reauthenticate(current_user, form.password.data, form.code.data)
        except two_factor.TwoFactorError as error:
            form.password.errors.append(str(error))
        else:
            session[REAUTHENTICATED_AT] = int(utcnow().timestamp())
            return redirect(safe_next_path(request.args.get("next"), url_for("accounts.two_factor_settings")))
    return render_template("accounts/reauthenticate.html", form=form, user=current_user)


@bp.route("/account/two-factor")
@roles_required(*STAFF_ROLES)
def two_factor_settings():
    return render_template("accounts/two_factor.html", user=current_user,
                           unused_codes=two_factor.count_unused_recovery_codes(current_user))


@bp.route("/account/two-factor/set-up", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@limiter.limit(_two_factor_limit, exempt_when=_only_posts)
def set_up_two_factor():
    """Set up two-factor (teachers, by choice) or move it to a new phone (anyone)."""
    if not _recently_reauthenticated():
        return _ask_to_reauthenticate()
    form = EnrolTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user, form.code.data)
        except two_factor.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            session.pop(REAUTHENTICATED_AT, None)
            sessions.mark_second_factor_checked()
            return _recovery_codes_page(codes, url_for("accounts.two_factor_settings"), first_time=True)
    return _enrolment_page(current_user, form, at_sign_in=False)


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_recovery_codes():
    if not current_user.has_two_factor:
        return redirect(url_for("accounts.two_factor_settings"))
    if not _recently_reauthenticated():
        return _ask_to_reauthenticate()
    form = ContinueForm()
    if form.validate_on_submit():
        codes = two_factor.regenerate_recovery_codes(current_user)
        session.pop(REAUTHENTICATED_AT, None)
        return _recovery_codes_page(codes, url_for("accounts.two_factor_settings"), first_time=False)
    return render_template("accounts/confirm_action.html", form=form, page_title="Get new recovery codes",
                           explanation="Your old recovery codes will stop working.", button="Get new recovery codes")


@bp.route("/account/two-factor/turn-off", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def turn_off_two_factor():
    if not current_user.has_two_factor or current_user.must_use_two_factor:
        return redirect(url_for("accounts.two_factor_settings"))
    if not _recently_reauthenticated():
        return _ask_to_reauthenticate()
    form = ContinueForm()
    if form.validate_on_submit():
        two_factor.turn_off(current_user)
        session.pop(REAUTHENTICATED_AT, None)
        flash("Two-factor sign-in is off. You will sign in with your password only.", "success")
        return redirect(url_for("accounts.two_factor_settings"))
    return render_template("accounts/confirm_action.html", form=form, page_title="Turn off two-factor sign-in",
                           explanation="You will sign in with your password only. Your recovery codes will stop working.",
                           button="Turn off two-factor sign-in")


@bp.route("/admin/users/<int:user_id>/reset-two-factor", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_two_factor(user_id):
    """An administrator clears a colleague's two-factor set-up, for example after a lost phone."""
    user = queries.get_user(user_id) or abort(404)
    if not _recently_reauthenticated():
        return _ask_to_reauthenticate()
    form = ContinueForm()
    if form.validate_on_submit():
        two_factor.reset_for(user, by=current_user)
        session.pop(REAUTHENTICATED_AT, None)
        flash(f"Two-factor sign-in reset for {user.display_name}. They will set it up again when they next sign in.",
              "success")
        return redirect(url_for("accounts.list_users"))
    return render_template(
        "accounts/confirm_action.html", form=form, page_title=f"Reset two-factor sign-in for {user.display_name}",
        explanation=(f"{user.display_name} ({user.email}) will be signed out everywhere. Their authenticator app "
                     "and recovery codes will stop working, and they will set up two-factor sign-in again the "
                     "next time they sign in. Check it is really them asking, for example by phone."),
        button="Reset two-factor sign-in")


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


