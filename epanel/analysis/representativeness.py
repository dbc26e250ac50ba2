"""How far a consultation's respondents look like the population it serves, who responded through
which route, and which invited members have not responded yet, by group.

The representation score of one dimension is 100 × (1 − half the sum of the gaps between the
respondents' shares and the population's): 100 when every category is in proportion, 0 when
respondents all come from categories the population does not have. (Half the sum of the gaps is
the share of respondents who would have to be in another category to match: the index of
dissimilarity.)
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.weighting import find_targets
from epanel.consultations.audience import INVITABLE_STATUSES
from epanel.consultations.models import Consultation, Invitation, InvitationChannel
from epanel.extensions import db
from epanel.panels.models import Group, Member, Panel, PanelMembership, TargetDimension
from epanel.panels.profile import age_on, band_for
from epanel.panels.queries import age_bands
from epanel.respond.models import Response, ResponseChannel, ResponseStatus

NOT_RECORDED = "Not recorded"


@dataclass
class CategoryComparison:
    category: str
    target: float | None  # population share, 0–1; None for categories the targets do not list
    count: int
    share: float  # of respondents with a listed category

    @property
    def gap(self) -> float | None:
        """Respondents' share minus the population's, in percentage points."""
        return None if self.target is None else (self.share - self.target) * 100


@dataclass
class DimensionComparison:
    dimension: TargetDimension
    rows: list[CategoryComparison]
    unlisted: int  # respondents whose category the targets do not list, or who did not say

    @property
    def score(self) -> float | None:
        listed = [row for row in self.rows if row.target is not None]
        if not any(row.count for row in listed):
            return None
        return 100 * (1 - sum(abs(row.share - row.target) for row in listed) / 2)


def compare_with_population(consultation: Consultation, filters: ResponseFilter) -> list[DimensionComparison]:
    """For each dimension with population targets: respondents' counts and shares beside the targets."""
    comparisons = []
    for dimension, targets in find_targets().items():
        column = getattr(Response, dimension.value)
        counts = dict(db.session.execute(
            select(column, func.count()).where(*filters.conditions(consultation.id)).group_by(column)
        ).all())
        listed = sum(count for category, count in counts.items() if category in targets)
        rows = [CategoryComparison(category, share, counts.get(category, 0),
                                   counts.get(category, 0) / listed if listed else 0.0)
                for category, share in targets.items()]
        unlisted = sum(count for category, count in counts.items() if category not in targets)
        comparisons.append(DimensionComparison(dimension, rows, unlisted))
    return comparisons


@dataclass
class RateRow:
    label: str
    invited: int
    started: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


def rates_by_panel(consultation: Consultation) -> list[RateRow]:
    """Invitations sent, started and completed, by the panels the invited members belong to (a member on
    two panels counts in both)."""
    rows = db.session.execute(
        select(Panel.name, func.count(Invitation.id), func.count(Invitation.started_at),
               func.count(Invitation.completed_at))
        .join(PanelMembership, PanelMembership.panel_id == Panel.id)
        .join(Invitation, and_(Invitation.member_id == PanelMembership.member_id,
                               Invitation.consultation_id == consultation.id, Invitation.sent_at.is_not(None)))
        .group_by(Panel.id, Panel.name).order_by(Panel.name)
    ).all()
    return [RateRow(*row) for row in rows]


INVITATION_CHANNEL_LABELS = {InvitationChannel.EMAIL: "E-mail", InvitationChannel.SMS: "Text message",
                             InvitationChannel.POST: "Post"}


def rates_by_invitation_channel(consultation: Consultation) -> list[RateRow]:
    rows = db.session.execute(
        select(Invitation.channel, func.count(Invitation.id), func.count(Invitation.started_at),
               func.count(Invitation.completed_at))
        .where(Invitation.consultation_id == consultation.id, Invitation.sent_at.is_not(None))
        .group_by(Invitation.channel).order_by(Invitation.channel)
    ).all()
    return [RateRow(INVITATION_CHANNEL_LABELS[InvitationChannel(channel)], *counts) for channel, *counts in rows]


def responses_by_channel(consultation: Consultation) -> list[tuple[str, int]]:
    """Complete responses by how they came in (web, SMS, class, paper, …)."""
    rows = db.session.execute(
        select(Response.channel, func.count()).where(Response.consultation_id == consultation.id,
                                                     Response.status == ResponseStatus.COMPLETE)
        .group_by(Response.channel)
    ).all()
    counts = {ResponseChannel(channel): count for channel, count in rows}
    return [(channel.label, counts[channel]) for channel in ResponseChannel if channel in counts]


def responses_by_group(consultation: Consultation) -> list[tuple[str, int, int]]:
    """(group, responses made on its behalf, responses that came through its tracked link), complete only."""
    complete = (Response.consultation_id == consultation.id, Response.status == ResponseStatus.COMPLETE)
    on_behalf = dict(db.session.execute(
        select(Response.group_id, func.count()).where(*complete, Response.group_id.is_not(None))
        .group_by(Response.group_id)).all())
    referred = dict(db.session.execute(
        select(Response.referral_group_id, func.count()).where(*complete, Response.referral_group_id.is_not(None))
        .group_by(Response.referral_group_id)).all())
    ids = set(on_behalf) | set(referred)
    if not ids:
        return []
    names = dict(db.session.execute(select(Group.id, Group.name).where(Group.id.in_(ids))).all())
    return sorted(((names.get(group_id, "A deleted group"), on_behalf.get(group_id, 0), referred.get(group_id, 0))
                   for group_id in ids), key=lambda row: row[0].lower())


@dataclass
class Segment:
    """Invited members in one category of one dimension, and how many have not completed."""

    dimension: str  # "age_band", "gender" or "ward"
    category: str
    invited: int
    not_completed: int

    @property
    def rate(self) -> float | None:
        return (self.invited - self.not_completed) / self.invited if self.invited else None


@dataclass
class NonRespondents:
    total_invited: int = 0
    total_not_completed: int = 0
    segments: dict[str, list[Segment]] = field(default_factory=dict)


SEGMENT_DIMENSIONS = {"age_band": "Age band", "gender": "Gender", "ward": "Ward"}


def non_respondents_by_segment(consultation: Consultation, today: date | None = None) -> NonRespondents:
    """Invited members whose link still works, by age band, gender and ward, with how many have not
    completed: the members a reminder to that segment would reach (before its channel checks)."""
    today = today or date.today()
    rows = db.session.execute(
        select(Member.date_of_birth, Member.gender, Member.ward, Invitation.completed_at.is_(None))
        .join(Invitation, Invitation.member_id == Member.id)
        .where(Invitation.consultation_id == consultation.id, Invitation.sent_at.is_not(None),
               Invitation.revoked_at.is_(None), Member.status.in_(INVITABLE_STATUSES))
    ).all()
    bands = age_bands()
    invited: dict[str, Counter] = {name: Counter() for name in SEGMENT_DIMENSIONS}
    waiting: dict[str, Counter] = {name: Counter() for name in SEGMENT_DIMENSIONS}
    report = NonRespondents()
    for born, gender, ward, not_completed in rows:
        categories = {"age_band": band_for(age_on(born, today), bands), "gender": gender, "ward": ward}
        report.total_invited += 1
        report.total_not_completed += bool(not_completed)
        for name, category in categories.items():
            category = category or NOT_RECORDED
            invited[name][category] += 1
            waiting[name][category] += bool(not_completed)
    order = {"age_band": [band.label for band in bands]}
    for name in SEGMENT_DIMENSIONS:
        known = order.get(name) or sorted(category for category in invited[name] if category != NOT_RECORDED)
        categories = [c for c in known if c in invited[name]] + ([NOT_RECORDED] if NOT_RECORDED in invited[name] else [])
        report.segments[name] = [Segment(name, category, invited[name][category], waiting[name][category])
                                 for category in categories]
    return report
