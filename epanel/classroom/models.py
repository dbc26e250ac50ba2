"""Schools, their teachers, class sessions and the lesson material for schools consultations."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.accounts.models import User
from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.consultations.models import Consultation
from epanel.extensions import db


class SchoolPhase(enum.StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    COLLEGE = "college"

    @property
    def label(self) -> str:
        return {"all_through": "All-through", "college": "Sixth form or college"}.get(
            self.value, self.value.capitalize())


class School(db.Model):
    """A school whose teachers run class sessions."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    area: Mapped[str] = mapped_column(String(120), default="")  # ward, town or parish
    phase: Mapped[SchoolPhase] = mapped_column(enum_column(SchoolPhase), default=SchoolPhase.SECONDARY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teachers: Mapped[list["Teacher"]] = relationship(back_populates="school", cascade="all, delete-orphan",
                                                     passive_deletes=True)


class Teacher(db.Model):
    """A teacher account's school: a teacher belongs to one school."""

    __tablename__ = "teachers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    school: Mapped[School] = relationship(back_populates="teachers")


class TeacherRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class TeacherRequest(db.Model):
    """A teacher asking for an account; an officer approves (which invites them) or declines it."""

    __tablename__ = "teacher_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    school_name: Mapped[str] = mapped_column(String(160), default="")  # a school not yet registered
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TeacherRequestStatus] = mapped_column(enum_column(TeacherRequestStatus),
                                                         default=TeacherRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    school: Mapped[School | None] = relationship()


class ClassSessionStatus(enum.StrEnum):
    """A session is open until its end time or until the teacher ends it; then closed for good."""

    OPEN = "open"
    CLOSED = "closed"


# The one place that says which lifecycle moves are allowed.
SESSION_TRANSITIONS = {ClassSessionStatus.OPEN: {ClassSessionStatus.CLOSED}, ClassSessionStatus.CLOSED: set()}


class ClassSession(db.Model):
    """A teacher's run of a consultation with one class. Its responses are anonymous."""

    __tablename__ = "class_sessions"
    __table_args__ = (Index("ix_class_sessions_teacher_created", "teacher_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    class_name: Mapped[str] = mapped_column(String(80))  # "9R" or "Year 9"
    year_group: Mapped[str] = mapped_column(String(20))  # "Year 9"
    expected_pupils: Mapped[int | None]
    join_code: Mapped[str] = mapped_column(String(6), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ClassSessionStatus] = mapped_column(enum_column(ClassSessionStatus),
                                                       default=ClassSessionStatus.OPEN)
    shared_devices: Mapped[bool] = mapped_column(default=False)
    # The board: results hidden until the teacher reveals them, all at once or question by question.
    results_hidden: Mapped[bool] = mapped_column(default=False)
    revealed_question_ids: Mapped[list] = mapped_column(JSON, default=list)
    joined_count: Mapped[int] = mapped_column(default=0)
    submitted_count: Mapped[int] = mapped_column(default=0)
    # Bumped by every change the board shows, so a poll is answered 304 without counting anything.
    board_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    school: Mapped[School] = relationship()
    teacher: Mapped[User] = relationship()

    def is_accepting(self, now: datetime) -> bool:
        """True while pupils may join and answer."""
        return self.status == ClassSessionStatus.OPEN and self.starts_at <= now < self.ends_at

    def state(self, now: datetime) -> str:
        """'not_started', 'open' or 'closed', as people see it."""
        if self.status == ClassSessionStatus.CLOSED or now >= self.ends_at:
            return "closed"
        return "not_started" if now < self.starts_at else "open"

    def shows_results_of(self, question_id: int) -> bool:
        return not self.results_hidden or question_id in (self.revealed_question_ids or [])


class LessonPlan(db.Model):
    """The lesson material for a schools consultation, written by officers, in Markdown."""

    __tablename__ = "lesson_plans"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    objectives: Mapped[str] = mapped_column(Text, default="")
    running_order: Mapped[str] = mapped_column(Text, default="")
    prompts: Mapped[str] = mapped_column(Text, default="")
    what_happens: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship()
