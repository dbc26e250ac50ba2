"""Consent records and audit events: the bottom of the stack, importable by every domain."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db


class ConsentKind(enum.StrEnum):
    PANEL_MEMBERSHIP = "panel_membership"
    EMAIL = "email"
    SMS = "sms"
    POST = "post"
    PARENT_ACKNOWLEDGEMENT = "parent_acknowledgement"

    @property
    def label(self) -> str:
        return {
            "panel_membership": "Panel membership",
            "email": "Contact by email",
            "sms": "Contact by text message",
            "post": "Contact by post",
            "parent_acknowledgement": "Parent or carer told",
        }[self.value]


class ConsentChannel(enum.StrEnum):
    WEB = "web"
    PAPER = "paper"
    IMPORT = "import"
    SMS = "sms"
    SCHOOL = "school"
    OFFICER = "officer"
    PARENT = "parent"


class Consent(db.Model):
    """What a member agreed to, under which privacy notice, how and when; and when withdrawn."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_member_kind", "member_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind, length=30))
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id", ondelete="SET NULL"))
    notice_version: Mapped[str] = mapped_column(String(40))
    channel: Mapped[ConsentChannel] = mapped_column(enum_column(ConsentChannel))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who agreed when it was not the member: a parent or carer, or an officer keying a paper form.
    given_by: Mapped[str | None] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_how: Mapped[str | None] = mapped_column(String(200))

    # By name, so this bottom-of-the-stack module imports no domain.
    member = relationship("Member")
    panel = relationship("Panel")

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class AuditEvent(db.Model):
    """Who did what to which record, and when: views and exports of personal data, deletions, sends."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254))  # kept if the account is deleted
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(60))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


