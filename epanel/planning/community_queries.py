"""Reads for councillors and community groups: their wards and groups, ward figures (suppressed
under MIN_PUBLIC_BASE, as everything shown outside the officers' console), comments, suggestions."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from epanel.accounts.models import Role, RoleGrant, User
from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_results
from epanel.analysis.suppression import PublicShare, public_shares, publishable
from epanel.common.time import utcnow
from epanel.consultations.audience import INVITABLE_STATUSES
from epanel.consultations.models import Consultation, ConsultationStatus, Invitation
from epanel.extensions import db
from epanel.panels.models import Group, GroupContact, Member
from epanel.panels.queries import distinct_values, list_wards
from epanel.planning.models import (
    CouncillorComment,
    CouncillorWard,
    Digest,
    DigestFrequency,
    DigestPreference,
    SuggestionStatus,
    TopicSuggestion,
)
from epanel.respond.models import Response, ResponseStatus

# What councillors may see figures for: once a consultation has opened. Drafts stay with officers.
VISIBLE_STATUSES = (ConsultationStatus.OPEN, ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED)
# Comments go on a ward's result, so only once there is one: after the consultation closes.
COMMENTABLE_STATUSES = (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED)
# A group contact who has never chosen gets the group digest monthly: passing consultations on is
# what a contact point is for. Councillors get nothing until they choose.
DEFAULT_GROUP_FREQUENCY = DigestFrequency.MONTHLY
# How far back a councillor's ward page goes.
WARD_PAGE_YEARS = 2


# --- councillors and wards ---------------------------------------------------------------------


def known_wards() -> list[str]:
    """Every ward the council knows of: the postcode lookup, population targets and members' wards."""
    return sorted(set(list_wards()) | set(distinct_values(Member.ward)))


def wards_of(user: User) -> list[str]:
    return list(db.session.scalars(
        select(CouncillorWard.ward).where(CouncillorWard.user_id == user.id).order_by(CouncillorWard.ward)))


def represents(user: User, ward: str) -> bool:
    return db.session.get(CouncillorWard, (user.id, ward)) is not None


@dataclass
class CouncillorSummary:
    user: User
    wards: list[str]


def list_councillors() -> list[CouncillorSummary]:
    """Every account with the councillor role, with its wards."""
    users = list(db.session.scalars(
        select(User).join(RoleGrant).where(RoleGrant.role == Role.COUNCILLOR).order_by(User.display_name)))
    wards: dict[int, list[str]] = {}
    for user_id, ward in db.session.execute(select(CouncillorWard.user_id, CouncillorWard.ward)
                                            .order_by(CouncillorWard.ward)):
        wards.setdefault(user_id, []).append(ward)
    return [CouncillorSummary(user, wards.get(user.id, [])) for user in users]


def get_councillor(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and Role.COUNCILLOR in user.roles else None


def frequency_for(*, user: User | None = None, member: Member | None = None) -> DigestFrequency:
    """The digest schedule a councillor (user) or group contact (member) chose, or the default."""
    if user is not None:
        preference = db.session.scalar(select(DigestPreference).where(DigestPreference.user_id == user.id))
        return preference.frequency if preference else DigestFrequency.OFF
    preference = db.session.scalar(select(DigestPreference).where(DigestPreference.member_id == member.id))
    return preference.frequency if preference else DEFAULT_GROUP_FREQUENCY


def last_digest(*, user_id: int | None = None, member_id: int | None = None) -> Digest | None:
    column = Digest.user_id if user_id is not None else Digest.member_id
    return db.session.scalar(select(Digest).where(column == (user_id if user_id is not None else member_id))
                             .order_by(Digest.created_at.desc()).limit(1))


# --- ward figures ----------------------------------------------------------------------------


@dataclass
class WardFigures:
    """One consultation's take-up in one ward, safe to show outside the officers' console."""

    consultation: Consultation
    ward: str
    responses: int | None  # None: fewer than MIN_PUBLIC_BASE, withheld
    invited: int | None
    rate: float | None  # percent of invited members in the ward who responded, when there were invitations

    @property
    def suppressed(self) -> bool:
        return self.responses is None


def ward_figures(consultation: Consultation, ward: str) -> WardFigures:
    """Complete responses from the ward and, for invited members, the response rate; all withheld
    when fewer than MIN_PUBLIC_BASE people in the ward responded."""
    return ward_figures_for([consultation], ward)[0]


def ward_figures_for(consultations: list[Consultation], ward: str) -> list[WardFigures]:
    """ward_figures for each consultation, in three grouped queries however many there are."""
    ids = [consultation.id for consultation in consultations]
    if not ids:
        return []
    complete = (Response.consultation_id.in_(ids), Response.status == ResponseStatus.COMPLETE, Response.ward == ward)
    responses = dict(db.session.execute(
        select(Response.consultation_id, func.count()).where(*complete).group_by(Response.consultation_id)).all())
    shown = [consultation_id for consultation_id in ids if publishable(responses.get(consultation_id, 0))]
    invited, invited_responses = {}, {}
    if shown:
        invited = dict(db.session.execute(
            select(Invitation.consultation_id, func.count()).join(Member, Member.id == Invitation.member_id)
            .where(Invitation.consultation_id.in_(shown), Member.ward == ward)
            .group_by(Invitation.consultation_id)).all())
        invited_responses = dict(db.session.execute(
            select(Response.consultation_id, func.count())
            .where(*complete, Response.consultation_id.in_(shown), Response.invitation_id.is_not(None))
            .group_by(Response.consultation_id)).all())
    figures = []
    for consultation in consultations:
        count = responses.get(consultation.id, 0)
        if not publishable(count):
            figures.append(WardFigures(consultation, ward, None, None, None))
            continue
        invited_count = invited.get(consultation.id, 0)
        rate = 100.0 * invited_responses.get(consultation.id, 0) / invited_count if invited_count else None
        figures.append(WardFigures(consultation, ward, count, invited_count or None, rate))
    return figures


def consultations_for_wards(now: datetime | None = None) -> list[Consultation]:
    """Consultations a councillor may follow: open, closed or with results published, opened in the
    last WARD_PAGE_YEARS years, newest first (older ones stay in the officers' console)."""
    cutoff = (now or utcnow()) - timedelta(days=365 * WARD_PAGE_YEARS)
    return list(db.session.scalars(
        select(Consultation).where(Consultation.status.in_(VISIBLE_STATUSES), Consultation.opens_at >= cutoff)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())))


def get_visible_consultation(slug: str) -> Consultation | None:
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    return consultation if consultation is not None and consultation.status in VISIBLE_STATUSES else None


@dataclass
class PublicQuestion:
    number: int
    text: str
    base: int
    shares: list[PublicShare]

    @property
    def suppressed(self) -> bool:
        return not publishable(self.base)


def ward_results(consultation: Consultation, ward: str) -> list[PublicQuestion]:
    """The ward's answers to each choice question, every figure withheld where fewer than
    MIN_PUBLIC_BASE in the ward answered it. Typed answers are never shown outside the console."""
    results = get_results(consultation, ResponseFilter(ward=ward))
    shown = []
    for result in results.questions:
        if not result.lines:
            continue
        base = int(round(result.answered))
        shown.append(PublicQuestion(result.number, result.question.text, base, public_shares(result.lines, base)))
    return shown


# --- comments and suggestions ----------------------------------------------------------------


def comments_for(consultation: Consultation) -> list[CouncillorComment]:
    """Councillors' comments on this consultation's ward results that officers have not removed,
    for the public outcome page (templates/planning/councillor_comments.html shows them)."""
    return list(db.session.scalars(
        select(CouncillorComment).where(CouncillorComment.consultation_id == consultation.id,
                                        CouncillorComment.removed_at.is_(None))
        .order_by(CouncillorComment.ward, CouncillorComment.created_at)))


def comments_by(user: User, consultation: Consultation, ward: str) -> list[CouncillorComment]:
    return list(db.session.scalars(
        select(CouncillorComment).where(CouncillorComment.consultation_id == consultation.id,
                                        CouncillorComment.user_id == user.id, CouncillorComment.ward == ward)
        .order_by(CouncillorComment.created_at)))


def list_comments_for_officers() -> list[CouncillorComment]:
    """Every comment, those still shown first, newest first."""
    return list(db.session.scalars(
        select(CouncillorComment).order_by(CouncillorComment.removed_at.is_not(None),
                                           CouncillorComment.created_at.desc())))


def get_comment(comment_id: int) -> CouncillorComment | None:
    return db.session.get(CouncillorComment, comment_id)


def suggestions_by(user: User) -> list[TopicSuggestion]:
    return list(db.session.scalars(select(TopicSuggestion).where(TopicSuggestion.user_id == user.id)
                                   .order_by(TopicSuggestion.created_at.desc())))


def list_suggestions_for_officers() -> list[TopicSuggestion]:
    """Every suggestion, those waiting for a decision first."""
    return list(db.session.scalars(
        select(TopicSuggestion).order_by(TopicSuggestion.status != SuggestionStatus.PENDING,
                                         TopicSuggestion.created_at.desc())))


def get_suggestion(suggestion_id: int) -> TopicSuggestion | None:
    return db.session.get(TopicSuggestion, suggestion_id)


# --- digests ---------------------------------------------------------------------------------


def councillor_digest_recipients() -> list[tuple[User, DigestFrequency]]:
    """Councillors with wards, an active account and a schedule other than off."""
    rows = db.session.execute(
        select(User, DigestPreference.frequency).join(DigestPreference, DigestPreference.user_id == User.id)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.COUNCILLOR, DigestPreference.frequency != DigestFrequency.OFF,
               User.is_disabled.is_(False),
               select(CouncillorWard.ward).where(CouncillorWard.user_id == User.id).exists())
        .order_by(User.id))
    return [(user, frequency) for user, frequency in rows]


def group_digest_recipients() -> list[tuple[Member, DigestFrequency]]:
    """Group contact points who can be invited (not paused or left) and agreed to e-mail, with an address,
    whose schedule (or the default) is not off."""
    members = db.session.scalars(
        select(Member).where(Member.email.is_not(None), Member.email != "", Member.contact_by_email.is_(True),
                             Member.status.in_(INVITABLE_STATUSES),
                             select(GroupContact.member_id).where(GroupContact.member_id == Member.id).exists())
        .order_by(Member.id))
    chosen = dict(db.session.execute(select(DigestPreference.member_id, DigestPreference.frequency)
                                     .where(DigestPreference.member_id.is_not(None))).all())
    found = []
    for member in members:
        frequency = chosen.get(member.id, DEFAULT_GROUP_FREQUENCY)
        if frequency != DigestFrequency.OFF:
            found.append((member, frequency))
    return found


def consultations_opened_since(since: datetime, until: datetime) -> list[Consultation]:
    return list(db.session.scalars(
        select(Consultation).where(Consultation.status.in_(VISIBLE_STATUSES), Consultation.opens_at >= since,
                                   Consultation.opens_at <= until).order_by(Consultation.opens_at)))


def consultations_to_follow(since: datetime) -> list[Consultation]:
    """Open consultations, and those that closed since `since`: the ones whose take-up is news."""
    return list(db.session.scalars(
        select(Consultation).where(or_(Consultation.status == ConsultationStatus.OPEN,
                                       (Consultation.status.in_(COMMENTABLE_STATUSES))
                                       & (Consultation.closes_at >= since)))
        .order_by(Consultation.closes_at.nulls_last(), Consultation.id)))


def outcomes_published_since(since: datetime) -> list[Consultation]:
    """Consultations whose results were published since `since`. The consultation records no
    publishing time of its own, so its last change stands for it (a published one is locked)."""
    return list(db.session.scalars(
        select(Consultation).where(Consultation.status == ConsultationStatus.PUBLISHED,
                                   Consultation.updated_at >= since).order_by(Consultation.updated_at)))


def open_public_consultations() -> list[Consultation]:
    """What a group contact can pass on: open consultations anyone may answer."""
    return list(db.session.scalars(
        select(Consultation).where(Consultation.status == ConsultationStatus.OPEN,
                                   Consultation.for_public.is_(True))
        .order_by(Consultation.closes_at.nulls_last(), Consultation.id)))


# --- groups ----------------------------------------------------------------------------------


def groups_of(member: Member | None) -> list[Group]:
    """The groups this member is a contact point for."""
    if member is None:
        return []
    return list(db.session.scalars(
        select(Group).join(GroupContact, GroupContact.group_id == Group.id)
        .where(GroupContact.member_id == member.id).order_by(Group.name)))


def outcomes_for_group(group: Group) -> list[Consultation]:
    """Consultations the group answered (on its behalf or through its tracked link) whose results are published."""
    answered = select(Response.consultation_id).where(
        or_(Response.group_id == group.id, Response.referral_group_id == group.id),
        Response.status == ResponseStatus.COMPLETE)
    return list(db.session.scalars(
        select(Consultation).where(Consultation.status == ConsultationStatus.PUBLISHED,
                                   Consultation.id.in_(answered))
        .order_by(Consultation.updated_at.desc())))


def reach_of(group: Group) -> int | None:
    """How many complete responses came through the group's tracked links; None under MIN_PUBLIC_BASE."""
    count = db.session.scalar(select(func.count()).select_from(Response).where(
        Response.referral_group_id == group.id, Response.status == ResponseStatus.COMPLETE)) or 0
    return count if publishable(count) else None
