"""Responses and their answers, in long form (one row per chosen option or value)."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.consultations.models import Consultation, Invitation, Option, Question
from epanel.extensions import db


class ResponseChannel(enum.StrEnum):
    WEB = "web"
    SMS = "sms"
    CLASS = "class"
    PAPER = "paper"
    GROUP = "group"
    PARTNER = "partner"  # sent by a partner's own site or kiosk through the JSON API

    @property
    def label(self) -> str:
        return {"web": "Web", "sms": "Text message", "class": "Class session", "paper": "Paper", "group": "Group",
                "partner": "Partner site"}[self.value]


class ResponseStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class Response(db.Model):
    """One respondent's submission. It keeps a snapshot of the respondent's analysis attributes,
    so results stay stable when profiles change and survive the person's erasure."""

    __tablename__ = "responses"
    __table_args__ = (
        # One response per submission id, and per invitation: the database, not only the code, says so.
        UniqueConstraint("consultation_id", "submission_id"),
        UniqueConstraint("invitation_id"),
        Index("ix_responses_consultation_status", "consultation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    submission_id: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(12), unique=True)  # shown to the respondent
    channel: Mapped[ResponseChannel] = mapped_column(enum_column(ResponseChannel))
    status: Mapped[ResponseStatus] = mapped_column(enum_column(ResponseStatus), default=ResponseStatus.IN_PROGRESS)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    group_size: Mapped[int | None]
    # The community group whose tracked link (?via=<tag>) brought a public respondent here.
    referral_group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    assisted: Mapped[bool] = mapped_column(default=False)  # a helper keyed it in with the person
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Snapshot of analysis attributes at submission.
    age_band: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(60))
    ward: Mapped[str | None] = mapped_column(String(80))
    parish: Mapped[str | None] = mapped_column(String(80))
    postcode_district: Mapped[str | None] = mapped_column(String(5))
    panels: Mapped[str | None] = mapped_column(String(200))  # slugs, ";"-separated
    contact_email: Mapped[str | None] = mapped_column(String(254))  # public respondents who asked for a copy
    # Class sessions (channel "class"): the session, and its school and year group kept with the answers.
    class_session_id: Mapped[int | None] = mapped_column(ForeignKey("class_sessions.id", ondelete="SET NULL"),
                                                         index=True)
    school: Mapped[str | None] = mapped_column(String(160))
    year_group: Mapped[str | None] = mapped_column(String(20))
    # When a consultation asks the public to confirm by e-mail, counted only once confirmed.
    confirmation_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pages_done: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(db.Model):
    """One chosen option, one ranked option, one grid cell, or one typed value."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_question_option", "question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"))
    row_id: Mapped[int | None] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"))  # grid row
    number: Mapped[float | None]  # ratings, numbers, ranks
    text: Mapped[str | None] = mapped_column(Text)  # typed answers and "Other (please say)"

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    option: Mapped[Option | None] = relationship(foreign_keys=[option_id])
