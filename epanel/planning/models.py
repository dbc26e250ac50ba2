"""Planning's tables: published outcomes ("You said, we did"), the community plan, and what
councillors and community groups add to it."""

from epanel.extensions import db  # noqa: F401

# --- outcomes and the community plan ---------------------------------------------------------

# Imported here, not at the top, so this section and the one below can change independently.
# isort: split
import enum  # noqa: E402
from datetime import date, datetime  # noqa: E402

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint  # noqa: E402
from sqlalchemy.orm import Mapped, mapped_column, relationship  # noqa: E402

from epanel.common.time import utcnow  # noqa: E402
from epanel.common.types import UTCDateTime, enum_column  # noqa: E402


class Outcome(db.Model):
    """ "You said, we did" for one consultation: what was asked, what people said (headline results
    chosen from the analysis) and what the council did. Published once, with the consultation."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), unique=True)
    what_we_asked: Mapped[str] = mapped_column(Text, default="")
    what_you_said: Mapped[str] = mapped_column(Text, default="")
    what_we_did: Mapped[str] = mapped_column(Text, default="")
    # Headline results: [{"question_id": 12, "by": ""}], "by" naming a breakdown (age_band, ward...) or "".
    headlines: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notices_queued: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    consultation = relationship("Consultation")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PlanActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"planned": "Planned", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}[self.value]


class PlanTheme(db.Model):
    """A theme of the community plan, such as "Safer streets"."""

    __tablename__ = "plan_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="theme", cascade="all, delete-orphan", order_by="PlanAction.id", passive_deletes=True
    )


class PlanAction(db.Model):
    """Something the council and its partners will do under a theme, and the evidence behind it."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("plan_themes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[PlanActionStatus] = mapped_column(enum_column(PlanActionStatus), default=PlanActionStatus.PLANNED)
    target_date: Mapped[date | None] = mapped_column(Date)
    area: Mapped[str] = mapped_column(String(120), default="")  # a ward or area; blank for everywhere
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    theme: Mapped[PlanTheme] = relationship(back_populates="actions")
    evidence: Mapped[list["PlanEvidence"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="PlanEvidence.id", passive_deletes=True
    )


class PlanEvidence(db.Model):
    """A consultation (and so its published outcome) that informed an action."""

    __tablename__ = "plan_evidence"
    __table_args__ = (UniqueConstraint("action_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[PlanAction] = relationship(back_populates="evidence")
    consultation = relationship("Consultation")



# --- councillors and community groups --------------------------------------------------------

# Imported here, not at the top, so this section and the one above can change independently.
import enum as _enum  # noqa: E402
from datetime import datetime as _datetime  # noqa: E402

from sqlalchemy import ForeignKey as _ForeignKey  # noqa: E402
from sqlalchemy import String as _String  # noqa: E402
from sqlalchemy import Text as _Text  # noqa: E402
from sqlalchemy import UniqueConstraint as _UniqueConstraint  # noqa: E402
from sqlalchemy.orm import Mapped as _Mapped  # noqa: E402
from sqlalchemy.orm import mapped_column as _mapped_column  # noqa: E402
from sqlalchemy.orm import relationship as _relationship  # noqa: E402

from epanel.common.time import utcnow as _utcnow  # noqa: E402
from epanel.common.types import UTCDateTime as _UTCDateTime  # noqa: E402
from epanel.common.types import enum_column as _enum_column  # noqa: E402


class DigestFrequency(_enum.StrEnum):
    OFF = "off"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return {"off": "Off: send me nothing", "weekly": "Weekly (on Mondays)",
                "monthly": "Monthly (on the 1st)"}[self.value]


class CouncillorWard(db.Model):
    """A ward a councillor represents; wards are named as on members and responses (`Member.ward`)."""

    __tablename__ = "councillor_wards"

    user_id: _Mapped[int] = _mapped_column(_ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ward: _Mapped[str] = _mapped_column(_String(80), primary_key=True)


class DigestPreference(db.Model):
    """How often a councillor (a user) or a group's contact point (a member) wants a digest."""

    __tablename__ = "digest_preferences"

    id: _Mapped[int] = _mapped_column(primary_key=True)
    user_id: _Mapped[int | None] = _mapped_column(_ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    member_id: _Mapped[int | None] = _mapped_column(_ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    frequency: _Mapped[DigestFrequency] = _mapped_column(_enum_column(DigestFrequency))
    updated_at: _Mapped[_datetime] = _mapped_column(_UTCDateTime, default=_utcnow, onupdate=_utcnow)


class Digest(db.Model):
    """One digest queued for one person for one period ("2026-W48", "2026-11"). The unique row is
    what makes the tick idempotent: a second tick, or two at once, cannot insert it again."""

    __tablename__ = "digests"
    __table_args__ = (_UniqueConstraint("user_id", "period"), _UniqueConstraint("member_id", "period"))

    id: _Mapped[int] = _mapped_column(primary_key=True)
    user_id: _Mapped[int | None] = _mapped_column(_ForeignKey("users.id", ondelete="CASCADE"))
    member_id: _Mapped[int | None] = _mapped_column(_ForeignKey("members.id", ondelete="CASCADE"))
    period: _Mapped[str] = _mapped_column(_String(10))
    message_id: _Mapped[int | None] = _mapped_column(_ForeignKey("messages.id", ondelete="SET NULL"))
    covers_from: _Mapped[_datetime] = _mapped_column(_UTCDateTime)
    created_at: _Mapped[_datetime] = _mapped_column(_UTCDateTime, default=_utcnow)


class CouncillorComment(db.Model):
    """A councillor's public comment on their ward's result in one consultation. Officers can remove it;
    the row stays, with who removed it and why."""

    __tablename__ = "councillor_comments"

    id: _Mapped[int] = _mapped_column(primary_key=True)
    consultation_id: _Mapped[int] = _mapped_column(_ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    user_id: _Mapped[int | None] = _mapped_column(_ForeignKey("users.id", ondelete="SET NULL"), index=True)
    author_name: _Mapped[str] = _mapped_column(_String(120))  # as shown: kept if the account goes
    ward: _Mapped[str] = _mapped_column(_String(80))
    body: _Mapped[str] = _mapped_column(_Text)
    created_at: _Mapped[_datetime] = _mapped_column(_UTCDateTime, default=_utcnow)
    removed_at: _Mapped[_datetime | None] = _mapped_column(_UTCDateTime)
    removed_by_id: _Mapped[int | None] = _mapped_column(_ForeignKey("users.id", ondelete="SET NULL"))
    removal_reason: _Mapped[str] = _mapped_column(_String(300), default="")

    consultation = _relationship("Consultation")

    @property
    def attribution(self) -> str:
        return f"Cllr {self.author_name}, {self.ward}"


class SuggestionStatus(_enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {"pending": "Waiting for a decision"}.get(self.value, self.value.capitalize())


class TopicSuggestion(db.Model):
    """A consultation topic a councillor suggests; officers accept or decline it with a reason."""

    __tablename__ = "topic_suggestions"

    id: _Mapped[int] = _mapped_column(primary_key=True)
    user_id: _Mapped[int | None] = _mapped_column(_ForeignKey("users.id", ondelete="SET NULL"), index=True)
    author_name: _Mapped[str] = _mapped_column(_String(120))
    ward: _Mapped[str | None] = _mapped_column(_String(80))
    title: _Mapped[str] = _mapped_column(_String(200))
    details: _Mapped[str] = _mapped_column(_Text, default="")
    status: _Mapped[SuggestionStatus] = _mapped_column(_enum_column(SuggestionStatus),
                                                       default=SuggestionStatus.PENDING)
    decision_reason: _Mapped[str] = _mapped_column(_Text, default="")
    decided_by_id: _Mapped[int | None] = _mapped_column(_ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: _Mapped[_datetime | None] = _mapped_column(_UTCDateTime)
    created_at: _Mapped[_datetime] = _mapped_column(_UTCDateTime, default=_utcnow)
