"""Users, their roles, and single-use e-mailed tokens."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db


class Role(enum.StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    TEACHER = "teacher"
    COUNCILLOR = "councillor"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.OFFICER: "Consultation officer",
    Role.TEACHER: "Teacher",
    Role.COUNCILLOR: "Councillor",
    Role.MEMBER: "Panel member",
}

STAFF_ROLES = frozenset({Role.ADMIN, Role.OFFICER, Role.TEACHER, Role.COUNCILLOR})
# These roles see personal data across the council, so they must sign in with a second
# factor; teachers may choose to; members sign in with a password or an e-mailed link.
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.ADMIN, Role.OFFICER, Role.COUNCILLOR})


class User(UserMixin, db.Model):
    """Anyone who signs in: staff and panel members share one account table."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # always lower case
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_disabled: Mapped[bool] = mapped_column(default=False)
    # Part of the session id: bumping it ends every session of this user.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (TOTP). The base32 secret is stored as it is, like the password
    # hash it sits beside: whoever can read this table must already be trusted (see
    # docs/admin-guide.md). A secret being enrolled waits in totp_pending_secret until the
    # person proves their app has it, so setting up again never breaks the working one.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second time step whose code was accepted: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    role_grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    def has_any_role(self, roles) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_staff(self) -> bool:
        return self.has_any_role(STAFF_ROLES)

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    @property
    def must_use_two_factor(self) -> bool:
        return self.has_any_role(TWO_FACTOR_REQUIRED_ROLES)

    @property
    def may_use_two_factor(self) -> bool:
        return self.is_staff

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class RoleGrant(db.Model):
    """One role held by one user; a person may hold several."""

    __tablename__ = "role_grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")


class TokenPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"
    SIGN_IN_LINK = "sign_in_link"


class EmailToken(db.Model):
    """A single-use link sent by e-mail. Only a hash of the secret is stored."""

    __tablename__ = "email_tokens"
    __table_args__ = (Index("ix_email_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, length=30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at and self.user.is_active


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app. Only a salted hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(100))  # "<salt hex>$<sha256 hex>"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
