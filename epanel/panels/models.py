"""Panels, members, groups, population targets and recruitment links."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db


class Panel(db.Model):
    """A standing group of people who agree to be consulted, with who may join."""

    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    area: Mapped[str] = mapped_column(String(120), default="")
    is_youth_panel: Mapped[bool] = mapped_column(default=False)
    signup_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["PanelMembership"]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Panel {self.slug}>"

    @property
    def age_range_text(self) -> str:
        if self.min_age is not None and self.max_age is not None:
            return f"Ages {self.min_age} to {self.max_age}"
        if self.min_age is not None:
            return f"Ages {self.min_age} and over"
        if self.max_age is not None:
            return f"Ages up to {self.max_age}"
        return "All ages"

    def admits_age(self, age: int | None) -> bool:
        if age is None:
            return self.min_age is None and self.max_age is None
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


class MemberStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class MemberSource(enum.StrEnum):
    SIGN_UP = "sign_up"
    IMPORT = "import"
    PAPER = "paper"
    SMS = "sms"
    SCHOOL = "school"

    @property
    def label(self) -> str:
        return {"sign_up": "Sign-up", "import": "Import", "paper": "Paper form",
                "sms": "Text message", "school": "School"}[self.value]


class Member(db.Model):
    """A person on one or more panels. Contact details are optional: paper members may have none."""

    __tablename__ = "members"
    __table_args__ = (
        Index("ix_members_status_id", "status", "id"),
        Index("ix_members_ward", "ward"),
        Index("ix_members_date_of_birth", "date_of_birth"),
        Index("ix_members_gender", "gender"),
        Index("ix_members_source", "source"),
        Index("ix_members_last_name", "last_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower case
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    ward: Mapped[str | None] = mapped_column(String(80))
    parish: Mapped[str | None] = mapped_column(String(80))
    date_of_birth: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(60))
    ethnic_group: Mapped[str | None] = mapped_column(String(80))
    disability: Mapped[str | None] = mapped_column(String(60))
    caring: Mapped[str | None] = mapped_column(String(40))
    contact_by_email: Mapped[bool] = mapped_column(default=False)
    contact_by_sms: Mapped[bool] = mapped_column(default=False)
    contact_by_post: Mapped[bool] = mapped_column(default=False)
    status: Mapped[MemberStatus] = mapped_column(
        enum_column(MemberStatus), default=MemberStatus.PENDING
    )
    source: Mapped[MemberSource] = mapped_column(
        enum_column(MemberSource), default=MemberSource.SIGN_UP
    )
    recruitment_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("recruitment_links.id", ondelete="SET NULL"), index=True
    )
    custom_attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    parent_name: Mapped[str | None] = mapped_column(String(160))
    parent_contact: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Retention: when the member was told that, inactive for years, they would be removed unless they
    # stay; cleared by any activity (privacy/retention.py).
    inactivity_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list["PanelMembership"]] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )
    recruitment_link: Mapped["RecruitmentLink | None"] = relationship()

    def __repr__(self) -> str:
        return f"<Member {self.id}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def panels(self) -> list[Panel]:
        return [membership.panel for membership in self.memberships]


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


class MemberTokenPurpose(enum.StrEnum):
    CONFIRM_EMAIL = "confirm_email"
    CONFIRM_SMS = "confirm_sms"
    PARENT_WITHDRAWAL = "parent_withdrawal"


class MemberToken(db.Model):
    """A sign-up confirmation (e-mailed link or 6-digit SMS code) or a parent's withdrawal link."""

    __tablename__ = "member_tokens"
    __table_args__ = (Index("ix_member_tokens_member_purpose", "member_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    purpose: Mapped[MemberTokenPurpose] = mapped_column(enum_column(MemberTokenPurpose, length=30))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()


class PostcodeArea(db.Model):
    """The council's postcode to ward (and parish) lookup, uploaded by an officer."""

    __tablename__ = "postcode_areas"

    postcode: Mapped[str] = mapped_column(String(10), primary_key=True)  # normalised, e.g. "AV1 2BX"
    ward: Mapped[str] = mapped_column(String(80))
    parish: Mapped[str | None] = mapped_column(String(80))


class GroupKind(enum.StrEnum):
    PARISH_COUNCIL = "parish_council"
    COMMUNITY_GROUP = "community_group"
    SCHOOL = "school"
    YOUTH_CLUB = "youth_club"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Group(db.Model):
    """A parish council, community group, school or youth club that speaks for its members."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[GroupKind] = mapped_column(enum_column(GroupKind))
    area: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int | None]  # how many people it speaks for
    website: Mapped[str | None] = mapped_column(String(300))
    listed_publicly: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list["GroupContact"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )


class GroupContact(db.Model):
    """A member who acts for a group, and may respond on its behalf."""

    __tablename__ = "group_contacts"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role_title: Mapped[str] = mapped_column(String(80), default="Contact")
    can_respond: Mapped[bool] = mapped_column(default=True)

    group: Mapped[Group] = relationship(back_populates="contacts")
    member: Mapped[Member] = relationship()


class TargetDimension(enum.StrEnum):
    AGE_BAND = "age_band"
    GENDER = "gender"
    WARD = "ward"

    @property
    def label(self) -> str:
        return {"age_band": "Age band", "gender": "Gender", "ward": "Ward"}[self.value]


class PopulationTarget(db.Model):
    """The share of one category (an age band, a gender, a ward) in the population served."""

    __tablename__ = "population_targets"
    __table_args__ = (UniqueConstraint("dimension", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[TargetDimension] = mapped_column(enum_column(TargetDimension))
    category: Mapped[str] = mapped_column(String(80))
    share: Mapped[float]  # 0 to 1
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RecruitmentKind(enum.StrEnum):
    LIBRARY = "library"
    COMMUNITY_CENTRE = "community_centre"
    SCHOOL = "school"
    YOUTH_SERVICE = "youth_service"
    NEWSLETTER = "newsletter"
    SOCIAL_MEDIA = "social_media"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RecruitmentLink(db.Model):
    """A tracked sign-up link for one place or partner, printed on posters with its QR code."""

    __tablename__ = "recruitment_links"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[RecruitmentKind] = mapped_column(enum_column(RecruitmentKind))
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    panel: Mapped[Panel | None] = relationship()
