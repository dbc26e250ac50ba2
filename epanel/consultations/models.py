"""Consultations, their sections, questions and options, trackers and invitations."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db
from epanel.panels.models import Member


class ConsultationStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"  # results published

    @property
    def label(self) -> str:
        return {"published": "Results published"}.get(self.value, self.value.capitalize())


# The one place that says which lifecycle moves are allowed.
TRANSITIONS: dict[ConsultationStatus, set[ConsultationStatus]] = {
    ConsultationStatus.DRAFT: {ConsultationStatus.SCHEDULED, ConsultationStatus.OPEN},
    ConsultationStatus.SCHEDULED: {ConsultationStatus.DRAFT, ConsultationStatus.OPEN},
    ConsultationStatus.OPEN: {ConsultationStatus.CLOSED},
    ConsultationStatus.CLOSED: {ConsultationStatus.OPEN, ConsultationStatus.PUBLISHED},
    ConsultationStatus.PUBLISHED: set(),
}


class Consultation(db.Model):
    """One survey or ballot, with who may take part and how."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_status_opens", "status", "opens_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when shown
    theme: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[ConsultationStatus] = mapped_column(
        enum_column(ConsultationStatus), default=ConsultationStatus.DRAFT
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Access modes: any combination.
    for_invited_members: Mapped[bool] = mapped_column(default=True)
    for_public: Mapped[bool] = mapped_column(default=False)
    public_needs_sign_in: Mapped[bool] = mapped_column(default=False)
    public_needs_email: Mapped[bool] = mapped_column(default=False)
    for_schools: Mapped[bool] = mapped_column(default=False)
    for_sms_poll: Mapped[bool] = mapped_column(default=False)
    for_paper: Mapped[bool] = mapped_column(default=True)
    ask_public_postcode: Mapped[bool] = mapped_column(default=True)
    ask_public_age_band: Mapped[bool] = mapped_column(default=True)
    # Audience rules and the last computed sample (filters, sample size, seed, frequency rule).
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    invitation_subject: Mapped[str] = mapped_column(String(200), default="")
    invitation_body: Mapped[str] = mapped_column(Text, default="")
    structure_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Bumped whenever sections, questions or options change, so cached page markup is renewed.
    version: Mapped[int] = mapped_column(default=1)

    sections: Mapped[list["Section"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Section.position",
        passive_deletes=True,
    )
    questions: Mapped[list["Question"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Question.position",
        passive_deletes=True, overlaps="questions",
    )

    def __repr__(self) -> str:
        return f"<Consultation {self.slug}>"

    def can_move_to(self, status: ConsultationStatus) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status == ConsultationStatus.OPEN


class Section(db.Model):
    """A page of the consultation, with an introduction."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="sections")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="section", order_by="Question.position", overlaps="questions"
    )


class Tracker(db.Model):
    """A question's identity across waves, so analysis can compare like with like."""

    __tablename__ = "trackers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Question(db.Model):
    """One question; its kind (a key in the kinds registry) says how it is asked, stored and summarised."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("consultation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(40))  # variable name in exports, e.g. Q1
    text: Mapped[str] = mapped_column(Text)
    help_text: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    allow_other: Mapped[bool] = mapped_column(default=False)
    # Kind-specific settings: limits, ranges, scale labels.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Show only if: {"question_id": 12, "option_codes": ["1", "2"]} (any of them chosen).
    condition: Mapped[dict | None] = mapped_column(JSON)
    tracker_id: Mapped[int | None] = mapped_column(ForeignKey("trackers.id", ondelete="SET NULL"), index=True)
    sms_code: Mapped[str | None] = mapped_column(String(20))

    consultation: Mapped[Consultation] = relationship(back_populates="questions", overlaps="questions")
    section: Mapped[Section] = relationship(back_populates="questions", overlaps="questions")
    options: Mapped[list["Option"]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="Option.position",
        passive_deletes=True,
    )
    tracker: Mapped[Tracker | None] = relationship()

    def __repr__(self) -> str:
        return f"<Question {self.code} {self.kind}>"

    @property
    def choices(self) -> list["Option"]:
        return [option for option in self.options if option.role == OptionRole.CHOICE]

    @property
    def rows(self) -> list["Option"]:
        return [option for option in self.options if option.role == OptionRole.ROW]


class OptionRole(enum.StrEnum):
    CHOICE = "choice"  # an answer to pick (or a scale point, for grids)
    ROW = "row"  # a grid's row, each answered on the scale


class Option(db.Model):
    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("question_id", "role", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    role: Mapped[OptionRole] = mapped_column(enum_column(OptionRole, length=10), default=OptionRole.CHOICE)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(20))  # value label code in SPSS, e.g. "1"
    label: Mapped[str] = mapped_column(String(300))

    question: Mapped[Question] = relationship(back_populates="options")


class InvitationChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    POST = "post"


class Invitation(db.Model):
    """A member invited to a consultation: their private link (only its hash kept) and what they did."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("consultation_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[InvitationChannel] = mapped_column(enum_column(InvitationChannel))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    member: Mapped[Member | None] = relationship()
