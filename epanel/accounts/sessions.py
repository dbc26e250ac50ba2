"""Signed-in sessions: starting one, the half-way state between password and code, and timeouts.

Flask keeps the session in a signed cookie. Signing in clears it first, so nothing a
visitor (or an attacker who planted a cookie) had before carries over, and stamps it
with the sign-in time and the last time it was used. A before-request check ends a
session that has been idle too long (30 minutes for staff, 2 hours for members by
default) or that is older than the absolute limit (12 hours), whatever the cookie says.

Between a right password and a right code, the person is not signed in at all: the
cookie holds only which account the password was right for, when, and the account's
session version, so Flask-Login never sees them until the second factor is checked.
"""

from datetime import timedelta

from flask import current_app, flash, session
from flask_login import current_user, logout_user, user_logged_in

from epanel.accounts.models import User
from epanel.common.time import utcnow
from epanel.extensions import db

PENDING_KEY = "pending_sign_in"
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
SECOND_FACTOR = "second_factor"
# A password is good for this long while the person finds their phone.
PENDING_LIFETIME = timedelta(minutes=10)
# Last-seen is written back at most this often, so not every response sets a cookie.
LAST_SEEN_RESOLUTION = 60


def _now() -> int:
    return int(utcnow().timestamp())


@user_logged_in.connect
def _stamp_new_session(_app, user=None, **_extra):
    """Every login_user() call, wherever it is made, starts the clocks."""
    now = _now()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session.pop(PENDING_KEY, None)


def mark_second_factor_checked() -> None:
    session[SECOND_FACTOR] = True


# --- between password and code ---------------------------------------------------------


def begin_pending_sign_in(user: User, next_path: str | None) -> None:
    """Remember, in a fresh session, that this account's password was right just now."""
    session.clear()
    session[PENDING_KEY] = {"user_id": user.id, "version": user.session_version, "at": _now(), "next": next_path}


def pending_user() -> User | None:
    """The account whose password was right in this session a short while ago, if it is still usable."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    user_id, version, at = data.get("user_id"), data.get("version"), data.get("at")
    if not (isinstance(user_id, int) and isinstance(version, int) and isinstance(at, int)):
        return None
    if _now() - at > PENDING_LIFETIME.total_seconds():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def pending_next() -> str | None:
    data = session.get(PENDING_KEY)
    return data.get("next") if isinstance(data, dict) else None


def forget_pending_sign_in() -> None:
    session.pop(PENDING_KEY, None)


# --- timeouts ---------------------------------------------------------------------------


def idle_limit_for(user: User) -> timedelta:
    config = current_app.config
    return config["STAFF_IDLE_TIMEOUT"] if user.is_staff else config["MEMBER_IDLE_TIMEOUT"]


def session_end_reason() -> str | None:
    """Why the current signed-in session must end now, or None (and note it was used)."""
    if not current_user.is_authenticated:
        return None
    now = _now()
    signed_in_at, last_seen_at = session.get(SIGNED_IN_AT), session.get(LAST_SEEN_AT)
    if not (isinstance(signed_in_at, int) and isinstance(last_seen_at, int)):
        return "You have been signed out. Sign in again to carry on."
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    if now - signed_in_at > absolute:
        return (f"You have been signed out because you signed in more than {int(absolute // 3600)} hours ago. "
                "Sign in again to carry on.")
    idle = idle_limit_for(current_user)
    if now - last_seen_at > idle.total_seconds():
        minutes = int(idle.total_seconds() // 60)
        return f"You have been signed out because you had not used the service for {minutes} minutes. Sign in again to carry on."
    if current_user.must_use_two_factor and not session.get(SECOND_FACTOR):
        # Signed in some other way (or before a role needing 2FA was granted): not enough.
        return "Sign in again with your password and a code from your authenticator app."
    if now - last_seen_at >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN_AT] = now
    return None


def end_expired_session() -> None:
    """before_request: sign out a session that is too old or idle too long, and say why."""
    reason = session_end_reason()
    if reason is not None:
        logout_user()
        session.clear()
        flash(reason, "info")


def signed_in_within(seconds: int) -> bool:
    """Whether this session's sign-in (by password or e-mailed link) was at most `seconds` ago."""
    at = session.get(SIGNED_IN_AT)
    return isinstance(at, int) and 0 <= _now() - at <= seconds
