"""Reads for outcomes ("You said, we did"), the community plan and members' "my say"."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_crosstab, get_results
from epanel.analysis.suppression import PublicShare, public_shares, publishable, withheld_groups
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.panels.models import Member
from epanel.planning.models import Outcome, PlanAction, PlanActionStatus, PlanEvidence, PlanTheme
from epanel.planning.outcomes import BREAKDOWNS
from epanel.respond.models import Answer, Response, ResponseStatus


def find_outcome(consultation: Consultation) -> Outcome | None:
    return db.session.scalar(select(Outcome).where(Outcome.consultation_id == consultation.id))


def find_published_outcome(consultation: Consultation) -> Outcome | None:
    """The consultation's outcome, once published (None before)."""
    if consultation is None or consultation.status is not ConsultationStatus.PUBLISHED:
        return None
    return db.session.scalar(select(Outcome).where(Outcome.consultation_id == consultation.id,
                                                   Outcome.published_at.is_not(None)))


def list_published_outcomes() -> list[tuple[Consultation, Outcome]]:
    """Every published outcome, newest first."""
    rows = db.session.execute(
        select(Consultation, Outcome).join(Outcome, Outcome.consultation_id == Consultation.id)
        .where(Consultation.status == ConsultationStatus.PUBLISHED, Outcome.published_at.is_not(None))
        .order_by(Outcome.published_at.desc(), Consultation.id.desc())
    ).all()
    return [(consultation, outcome) for consultation, outcome in rows]


# --- headline results, suppressed for the public ---------------------------------------------


@dataclass
class HeadlineGroup:
    label: str
    shares: list[PublicShare]
    base: int | None  # None when withheld
    # Withheld although big enough, so that a smaller group's figures cannot be worked out by subtraction.
    protects_smaller: bool = False

    @property
    def suppressed(self) -> bool:
        return self.base is None


@dataclass
class Headline:
    number: int
    text: str
    overall: HeadlineGroup
    by_label: str = ""
    groups: list[HeadlineGroup] = field(default_factory=list)


@dataclass(frozen=True)
class _Share:
    label: str
    count: float
    percent: float | None


def _group(label: str, result) -> HeadlineGroup:
    base = result.answered if result else 0
    lines = result.lines if result else []
    if not publishable(base):
        return HeadlineGroup(label, public_shares(lines, base), None)
    return HeadlineGroup(label, public_shares(lines, base), int(round(base)))


def _breakdown(consultation: Consultation, question, by: str, answered: float) -> list[HeadlineGroup]:
    """The question's shares in each group of `by`, in two grouped queries however many groups there
    are. Groups under MIN_PUBLIC_BASE are withheld, and so are the next-smallest ones where needed so
    the withheld groups cannot be worked out from "Everyone" (epanel.analysis.suppression.withheld_groups)."""
    filters = ResponseFilter()
    column = getattr(Response, by)
    people = dict(db.session.execute(
        select(column, func.count(func.distinct(Answer.response_id))).join(Response, Response.id == Answer.response_id)
        .where(*filters.conditions(consultation.id), Answer.question_id == question.id, column.is_not(None),
               column != "")
        .group_by(column)).all())
    crosstab = get_crosstab(consultation, question, by, filters)
    withheld = withheld_groups(people, unknown=answered - sum(people.values()))
    groups = []
    for value in sorted(people):
        base = people[value]
        lines = [_Share(label, crosstab.count(code, value), 100.0 * crosstab.count(code, value) / base if base else None)
                 for code, label in crosstab.rows]
        if value in withheld:
            groups.append(HeadlineGroup(value, public_shares(lines, 0), None, protects_smaller=publishable(base)))
        else:
            groups.append(HeadlineGroup(value, public_shares(lines, base), int(round(base))))
    return groups


def public_headlines(consultation: Consultation, outcome: Outcome) -> list[Headline]:
    """The outcome's headline results as the public may see them: any question or breakdown group
    with fewer than MIN_PUBLIC_BASE answers shows no figures, nor does any bigger group whose figures
    would let a smaller one be worked out by subtraction (see epanel.analysis.suppression)."""
    by_id = {question.id: question for question in consultation.questions}
    chosen = [item for item in outcome.headlines or [] if item.get("question_id") in by_id]
    if not chosen:
        return []
    ids = {item["question_id"] for item in chosen}
    overall = get_results(consultation, ResponseFilter(), question_ids=ids)
    headlines = []
    for item in chosen:
        question_id, by = item["question_id"], item.get("by") or ""
        result = overall.find(question_id)
        everyone = _group("Everyone", result)
        headline = Headline(result.number if result else 0, by_id[question_id].text, everyone)
        if by in BREAKDOWNS and by:
            headline.by_label = BREAKDOWNS[by]
            headline.groups = _breakdown(consultation, by_id[question_id], by, result.answered if result else 0)
        headlines.append(headline)
    return headlines


# --- the community plan ------------------------------------------------------------------------


def list_themes() -> list[PlanTheme]:
    """Every theme with its actions and their evidence, loaded together."""
    return list(db.session.scalars(
        select(PlanTheme).options(selectinload(PlanTheme.actions).selectinload(PlanAction.evidence)
                                  .selectinload(PlanEvidence.consultation))
        .order_by(func.lower(PlanTheme.title))
    ))


def get_theme(theme_id: int) -> PlanTheme | None:
    return db.session.get(PlanTheme, theme_id)


def get_action(action_id: int) -> PlanAction | None:
    return db.session.get(PlanAction, action_id)


def list_linkable_consultations() -> list[Consultation]:
    """Consultations an action can cite: those whose outcome is published."""
    return [consultation for consultation, _outcome in list_published_outcomes()]


def actions_citing(consultation: Consultation) -> list[PlanAction]:
    """Community-plan actions this consultation informed."""
    return list(db.session.scalars(
        select(PlanAction).join(PlanEvidence, PlanEvidence.action_id == PlanAction.id)
        .where(PlanEvidence.consultation_id == consultation.id).order_by(PlanAction.id)
    ))


def status_counts(themes: list[PlanTheme]) -> dict[PlanActionStatus, int]:
    counts = dict.fromkeys(PlanActionStatus, 0)
    for theme in themes:
        for action in theme.actions:
            counts[action.status] += 1
    return counts


# --- my say ------------------------------------------------------------------------------------


@dataclass
class MySay:
    consultation: Consultation
    answered_at: datetime | None
    outcome: Outcome | None
    actions: list[PlanAction]


def my_say(member: Member) -> list[MySay]:
    """The consultations this member completed, newest first, each with what came of it."""
    rows = db.session.execute(
        select(Consultation, func.max(Response.submitted_at))
        .join(Response, Response.consultation_id == Consultation.id)
        .where(Response.member_id == member.id, Response.status == ResponseStatus.COMPLETE)
        .group_by(Consultation.id)
    ).all()
    items = []
    for consultation, answered_at in rows:
        outcome = find_published_outcome(consultation)
        items.append(MySay(consultation, answered_at, outcome, actions_citing(consultation) if outcome else []))
    return sorted(items, key=lambda item: item.answered_at or datetime.min.replace(tzinfo=UTC), reverse=True)

