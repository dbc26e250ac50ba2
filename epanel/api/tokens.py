"""Personal API tokens: making one (shown once, stored as a hash), revoking it, and knowing who a request is from.

A token is `epanel_` followed by 32 random bytes in URL-safe base64. Only its SHA-256 is stored,
like the secrets of e-mailed links, so a copy of the database opens nothing. A token acts for the
officer who made it and stops working as soon as it is revoked, or its officer loses the officer
role or is disabled.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from epanel.accounts.models import Role, RoleGrant, User
from epanel.api.models import ApiToken, TokenScope
from epanel.common.links import hash_secret
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

TOKEN_PREFIX = "epanel_"
API_ROLES = frozenset({Role.OFFICER, Role.ADMIN})
# Noting when a token was last used costs a write; once a minute is often enough to spot an unused token.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be made or revoked; the message is for the officer."""


def create_token(user: User, name: str, scope: TokenScope, *, can_read_responses: bool = False) -> tuple[ApiToken, str]:
    """Make a token for this officer; returns the row and the token itself, which is never shown again."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Enter a name for the token")
    if len(name) > 100:
        raise TokenError("The token's name must be 100 characters or fewer")
    if not user.has_any_role(API_ROLES):
        raise TokenError("Only officers and administrators can have API tokens")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, scope=TokenScope(scope), can_read_responses=bool(can_read_responses),
                     token_hash=hash_secret(secret), hint=secret[:len(TOKEN_PREFIX) + 4])
    db.session.add(token)
    db.session.flush()
    record_audit_event(user, "api_token.created", "api_token", token.id, scope=token.scope.value,
                       can_read_responses=token.can_read_responses)
    db.session.commit()
    log.info("API token %s (%s) created by %s", token.id, token.scope.value, user.email)
    return token, secret


def revoke_token(token: ApiToken, by: User) -> None:
    """Stop a token working, from its next request on; revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = by.id
        record_audit_event(by, "api_token.revoked", "api_token", token.id)
        db.session.commit()
        log.info("API token %s revoked by %s", token.id, by.email)


@dataclass(frozen=True)
class Caller:
    """The working token behind an API call, read in one query (the API's busiest read)."""

    id: int
    user_id: int
    name: str
    scope: TokenScope
    can_read_responses: bool
    last_used_at: datetime | None

    @property
    def can_submit(self) -> bool:
        return self.scope == TokenScope.READ_WRITE

    @property
    def user(self) -> User:
        return db.session.get(User, self.user_id)


def find_active_token(secret: str) -> Caller | None:
    """The working token a request presented, or None: unknown, revoked, or its officer may no longer use the API."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    may_use_api = exists().where(RoleGrant.user_id == User.id, RoleGrant.role.in_(API_ROLES))
    row = db.session.execute(
        select(ApiToken.id, ApiToken.user_id, ApiToken.name, ApiToken.scope, ApiToken.can_read_responses,
               ApiToken.last_used_at)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_secret(secret), ApiToken.revoked_at.is_(None), User.is_disabled.is_(False),
               may_use_api)
    ).first()
    return Caller(*row) if row is not None else None


def note_token_used(token: Caller) -> None:
    """Remember when the token was last used (at most once a minute, so busy tokens do not write every request)."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        db.session.execute(db.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()


def list_tokens(user: User) -> list[ApiToken]:
    """This officer's tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_token_of(user: User, token_id: int) -> ApiToken | None:
    """One of this officer's tokens (never another officer's)."""
    return db.session.scalar(db.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))


def record_responses_read(token: Caller, consultation, page: int, count: int) -> None:
    """Audit a read of individual responses through the API: who, with which token, how many."""
    record_audit_event(token.user, "api.responses_read", "consultation", consultation.id, token=token.id, page=page,
                       count=count)
    db.session.commit()
