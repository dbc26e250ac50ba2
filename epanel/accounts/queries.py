"""Reads for accounts."""

from sqlalchemy import func, select

from epanel.accounts.models import EmailToken, RoleGrant, TokenPurpose, User
from epanel.common.links import hash_secret
from epanel.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user_for_session(session_id: str) -> User | None:
    """The user a Flask-Login id ("<user id>:<session version>") still stands for."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user


def find_email_token(secret: str, purpose: TokenPurpose) -> EmailToken | None:
    if not secret or len(secret) > 200:
        return None
    return db.session.scalar(
        select(EmailToken).where(
            EmailToken.token_hash == hash_secret(secret), EmailToken.purpose == purpose
        )
    )


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.display_name, User.id)))


def count_users_by_role() -> dict:
    rows = db.session.execute(select(RoleGrant.role, func.count()).group_by(RoleGrant.role))
    return {role: count for role, count in rows}


def get_user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None
