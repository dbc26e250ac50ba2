"""Writes for accounts: creating users, signing in, e-mailed reset and sign-in links."""

import logging
import secrets
from datetime import timedelta

from flask import current_app

from epanel.accounts import passwords
from epanel.accounts.models import EmailToken, Role, RoleGrant, TokenPurpose, User
from epanel.accounts.queries import find_email_token, find_user_by_email, normalise_email
from epanel.common.links import external_url, hash_secret
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.mail import send_templated_mail

log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the user."""


class LinkNotUsable(AccountError):
    """An e-mailed link that is unknown, used, expired or for a disabled account."""


def create_user(email: str, display_name: str, roles, password: str | None = None) -> User:
    """Create an account with these roles; password optional (members may use e-mailed links)."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account with the e-mail address {email} already exists")
    roles = {Role(role) for role in roles}
    if not roles:
        raise AccountError("Choose at least one role")
    user = User(email=email, display_name=display_name.strip() or email)
    user.role_grants = [RoleGrant(role=role) for role in sorted(roles)]
    if password is not None:
        _set_password_hash(user, password)
    db.session.add(user)
    db.session.commit()
    log.info("user %s created with roles %s", user.id, ",".join(sorted(roles)))
    return user


def _set_password_hash(user: User, password: str) -> None:
    problem = passwords.password_problem(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = passwords.hash_password(password)


def change_password(user: User, password: str) -> None:
    """Set a new password and end every other session of this user."""
    _set_password_hash(user, password)
    user.session_version += 1
    db.session.commit()
    log.info("password changed for user %s", user.id)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; same cost either way."""
    user = find_user_by_email(email)
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        db.session.commit()
    return user


def record_sign_in(user: User) -> None:
    """Note a completed sign-in (after the second factor, where there is one)."""
    user.last_signed_in_at = utcnow()
    db.session.commit()
    log.info("user %s signed in", user.id)


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: old session ids stop matching.

    Signing out calls this too, so a copied session cookie is useless afterwards (at the
    cost of signing the person out on their other devices as well).
    """
    user.session_version += 1
    db.session.commit()
    log.info("all sessions ended for user %s", user.id)


def _issue_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    # A new link replaces any earlier unused one for the same purpose.
    for old in db.session.scalars(
        db.select(EmailToken).where(
            EmailToken.user_id == user.id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    db.session.add(
        EmailToken(
            user=user,
            purpose=purpose,
            token_hash=hash_secret(secret),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.commit()
    return secret


def request_password_reset(email: str) -> None:
    """E-mail a single-use reset link if an active account has this address; silent otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        log.info("password reset requested for an address with no active account")
        return
    lifetime = current_app.config["PASSWORD_RESET_TTL"]
    secret = _issue_token(user, TokenPurpose.PASSWORD_RESET, lifetime)
    send_templated_mail(
        user.email,
        "password_reset",
        user=user,
        link=external_url("accounts.reset_password", token=secret),
        minutes=int(lifetime.total_seconds() // 60),
    )
    log.info("password reset link sent to user %s", user.id)


def request_sign_in_link(email: str) -> None:
    """E-mail a sign-in link to a member account; staff must use their password."""
    user = find_user_by_email(email)
    if user is None or not user.is_active or user.is_staff:
        log.info("sign-in link requested for an address with no member account")
        return
    lifetime = current_app.config["SIGN_IN_LINK_TTL"]
    secret = _issue_token(user, TokenPurpose.SIGN_IN_LINK, lifetime)
    send_templated_mail(
        user.email,
        "sign_in_link",
        user=user,
        link=external_url("accounts.use_sign_in_link", token=secret),
        minutes=int(lifetime.total_seconds() // 60),
    )
    log.info("sign-in link sent to user %s", user.id)


def check_link(secret: str, purpose: TokenPurpose) -> EmailToken:
    """The token behind an e-mailed link if it can still be used; raises LinkNotUsable."""
    token = find_email_token(secret, purpose)
    if token is None or not token.is_usable(utcnow()):
        raise LinkNotUsable("This link has expired or has already been used")
    return token


def _spend(token: EmailToken) -> None:
    """Mark the token used with a conditional update, so two clicks cannot both win."""
    spent = db.session.execute(
        db.update(EmailToken)
        .where(EmailToken.id == token.id, EmailToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise LinkNotUsable("This link has expired or has already been used")


def reset_password(secret: str, password: str) -> User:
    """Use a reset link once: set the password and end the user's other sessions."""
    token = check_link(secret, TokenPurpose.PASSWORD_RESET)
    problem = passwords.password_problem(password)
    if problem:
        raise AccountError(problem)
    _spend(token)
    change_password(token.user, password)
    log.info("password reset completed for user %s", token.user.id)
    return token.user


def use_sign_in_link(secret: str) -> User:
    """Use a sign-in link once and return the member it signs in."""
    token = check_link(secret, TokenPurpose.SIGN_IN_LINK)
    _spend(token)
    record_sign_in(token.user)
    return token.user


STAFF_INVITATION_TTL = timedelta(days=3)


def invite_user(email: str, display_name: str, roles) -> User:
    """Create an account without a password and e-mail a link to choose one."""
    user = create_user(email, display_name, roles)
    secret = _issue_token(user, TokenPurpose.PASSWORD_RESET, STAFF_INVITATION_TTL)
    send_templated_mail(
        user.email,
        "account_invitation",
        user=user,
        link=external_url("accounts.reset_password", token=secret),
        days=STAFF_INVITATION_TTL.days,
    )
    log.info("invitation sent to new user %s", user.id)
    return user


FRESH_SIGN_IN_SECONDS = 10 * 60


def confirm_identity(user: User, password: str | None) -> None:
    """Before a change that would let someone else take over what reaches the account holder (their
    mobile number, say): the password again, or, for members who sign in only by e-mailed link, a
    sign-in in the last ten minutes, which proves they can still read that e-mail."""
    from epanel.accounts.sessions import signed_in_within

    if user.password_hash:
        if not passwords.verify_password(user.password_hash, password or ""):
            raise AccountError("Enter your password to change your mobile number")
    elif not signed_in_within(FRESH_SIGN_IN_SECONDS):
        raise AccountError("To change your mobile number, sign out, sign in again with a new link from your e-mail, "
                           "and change it within 10 minutes")
