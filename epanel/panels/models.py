"""Panels, members and who belongs to which panel."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db


class Panel(db.Model):
    """A standing group of people who agree to be consulted."""

    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    is_youth_panel: Mapped[bool] = mapped_column(default=False)
    signup_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["PanelMembership"]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Panel {self.slug}>"

    @property
    def age_range_text(self) -> str:
        if self.min_age and self.max_age:
            return f"Ages {self.min_age} to {self.max_age}"
        if self.min_age:
            return f"Ages {self.min_age} and over"
        return "All ages"


class MemberStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class MemberSource(enum.StrEnum):
    SIGN_UP = "sign_up"
    IMPORT = "import"
    PAPER = "paper"
    SMS = "sms"
    SCHOOL = "school"


class Member(db.Model):
    """A person on one or more panels. Contact details are optional: paper members may have none."""

    __tablename__ = "members"
    __table_args__ = (
        Index("ix_members_status", "status"),
        Index("ix_members_ward", "ward"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    postcode: Mapped[str | None] = mapped_column(String(10))
    ward: Mapped[str | None] = mapped_column(String(80))
    date_of_birth: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[MemberStatus] = mapped_column(
        enum_column(MemberStatus), default=MemberStatus.PENDING
    )
    source: Mapped[MemberSource] = mapped_column(
        enum_column(MemberSource), default=MemberSource.SIGN_UP
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["PanelMembership"]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PanelMembership(db.Model):
    __tablename__ = "panel_memberships"

    panel_id: Mapped[int] = mapped_column(
        ForeignKey("panels.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="memberships")
