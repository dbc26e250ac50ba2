"""API tokens and embed settings."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db

# --- API tokens and partner submissions -------------------------------------------------------
# An officer's personal token lets scripts and partner sites use the JSON API as that officer:
# only the token's SHA-256 is stored (it is shown once, when made), revoking takes effect on the
# next request, and a partner submission remembers which token sent it and a hash of what it
# said, so a retry with the same submission id is answered with the first result.


class TokenScope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read_write"

    @property
    def label(self) -> str:
        return {"read": "Read only", "read_write": "Read and submit responses"}[self.value]


class ApiToken(db.Model):
    """A personal API token of an officer: what it may do, and whether it still works."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope))
    can_read_responses: Mapped[bool] = mapped_column(default=False)  # individual responses, not only totals
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])

    @property
    def can_submit(self) -> bool:
        return self.scope == TokenScope.READ_WRITE


class PartnerSubmission(db.Model):
    """A response sent through the partner channel: which token sent it and a hash of its content."""

    __tablename__ = "partner_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)



# --- embeds -----------------------------------------------------------------------------------
# Partner sites (parish, school and youth-service websites) may frame a consultation's embed
# pages only from the origins listed here: a row with a consultation is for that consultation
# alone; a row without one is on the site-wide list an administrator keeps, good for every
# consultation.

from datetime import datetime  # noqa: E402

from sqlalchemy import ForeignKey, String, UniqueConstraint  # noqa: E402
from sqlalchemy.orm import Mapped, mapped_column, relationship  # noqa: E402

from epanel.common.time import utcnow  # noqa: E402
from epanel.common.types import UTCDateTime  # noqa: E402


class EmbedOrigin(db.Model):
    """A website origin (https://host[:port]) allowed to frame embeds: of one consultation, or of all."""

    __tablename__ = "embed_origins"
    __table_args__ = (UniqueConstraint("consultation_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: on the site-wide list.
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(300))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation = relationship("Consultation")
    added_by = relationship("User")
