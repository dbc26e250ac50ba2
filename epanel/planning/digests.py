"""Digests by e-mail: a councillor's ward digest and a group contact's digest of consultations to pass on.

`queue_due_digests` runs from `flask epanel tick`. Each person gets at most one digest per period
(an ISO week, or a calendar month in UK time): the Digest row for (person, period) and its
e-mail are written in one transaction, and a unique constraint refuses a second row, so a tick
every minute, or two ticks at once, still send one, and a digest is never marked sent unless its
e-mail is in the outbox. One person's failing digest is logged and rolled back; the others still go.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from epanel.accounts.models import User
from epanel.analysis.suppression import MIN_PUBLIC_BASE
from epanel.common.time import utcnow
from epanel.consultations.models import Consultation
from epanel.extensions import db
from epanel.messaging.campaigns import results_link
from epanel.messaging.outbox import queue_templated_email
from epanel.panels.models import Group, Member
from epanel.planning import community_queries as queries
from epanel.planning.groups import tracked_link
from epanel.planning.models import Digest, DigestFrequency, DigestPreference

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
PERIOD_LENGTH = {DigestFrequency.WEEKLY: timedelta(days=7), DigestFrequency.MONTHLY: timedelta(days=31)}


def period_of(frequency: DigestFrequency, now: datetime) -> str:
    """The period `now` falls in, in UK time: "2026-W48" for weekly digests, "2026-11" for monthly."""
    local = now.astimezone(LONDON)
    if frequency == DigestFrequency.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def set_digest_frequency(frequency: DigestFrequency, *, user: User | None = None,
                         member: Member | None = None) -> None:
    """Record how often a councillor (user) or a group contact (member) wants a digest."""
    column = DigestPreference.user_id if user is not None else DigestPreference.member_id
    owner_id = user.id if user is not None else member.id
    preference = db.session.scalar(select(DigestPreference).where(column == owner_id))
    if preference is None:
        preference = DigestPreference(user_id=getattr(user, "id", None), member_id=getattr(member, "id", None))
        db.session.add(preference)
    preference.frequency = frequency
    db.session.commit()
    log.info("digest for %s %s set to %s", "user" if user is not None else "member", owner_id, frequency.value)


# --- contents --------------------------------------------------------------------------------


@dataclass
class CouncillorDigest:
    councillor: User
    wards: list[str]
    since: datetime
    new_consultations: list[Consultation]
    figures: list[queries.WardFigures]
    outcomes: list[Consultation]

    @property
    def is_empty(self) -> bool:
        return not (self.new_consultations or self.figures or self.outcomes)


def councillor_digest(councillor: User, since: datetime, now: datetime) -> CouncillorDigest:
    """What a councillor's digest says: consultations opened since `since`, take-up in their wards
    (withheld under MIN_PUBLIC_BASE) for open and recently closed ones, and outcomes published since."""
    wards = queries.wards_of(councillor)
    following = queries.consultations_to_follow(since)
    by_ward = {ward: queries.ward_figures_for(following, ward) for ward in wards}
    figures = [by_ward[ward][index] for index in range(len(following)) for ward in wards]
    return CouncillorDigest(councillor, wards, since, queries.consultations_opened_since(since, now), figures,
                            queries.outcomes_published_since(since))


@dataclass
class GroupLinks:
    group: Group
    links: list[tuple[Consultation, str]]
    outcomes: list[Consultation] = field(default_factory=list)


@dataclass
class GroupDigest:
    member: Member
    since: datetime
    groups: list[GroupLinks]
    new_ids: set[int]

    @property
    def is_empty(self) -> bool:
        return not any(entry.links or entry.outcomes for entry in self.groups)


def group_digest(member: Member, since: datetime) -> GroupDigest:
    """What a group contact's digest says: for each of their groups, the open public consultations
    with the group's tracked link, and outcomes published since `since` of consultations it answered."""
    open_now = queries.open_public_consultations()
    groups = [GroupLinks(group, [(consultation, tracked_link(consultation, group)) for consultation in open_now],
                         [c for c in queries.outcomes_for_group(group) if c.updated_at >= since])
              for group in queries.groups_of(member)]
    new_ids = {c.id for c in open_now if c.opens_at and c.opens_at >= since}
    return GroupDigest(member, since, groups, new_ids)


# --- queueing --------------------------------------------------------------------------------


def queue_due_digests(now: datetime | None = None) -> int:
    """Queue every digest due now and not yet sent this period; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    # Plain ids: a rollback after one person's failure expires every loaded object.
    councillors = [(user.id, frequency) for user, frequency in queries.councillor_digest_recipients()]
    members = [(member.id, frequency) for member, frequency in queries.group_digest_recipients()]
    for user_id, frequency in councillors:
        queued += _each(_queue_councillor_digest, User, user_id, frequency, now)
    for member_id, frequency in members:
        queued += _each(_queue_group_digest, Member, member_id, frequency, now)
    if queued:
        log.info("%d digests queued", queued)
    return queued


def _each(queue, model, owner_id: int, frequency: DigestFrequency, now: datetime) -> bool:
    """Queue one person's digest; a failure is logged and rolled back so the next person's still goes."""
    try:
        return queue(db.session.get(model, owner_id), frequency, now)
    except Exception:
        db.session.rollback()
        log.exception("digest for %s %s failed", model.__name__.lower(), owner_id)
        return False


def _covers_from(frequency: DigestFrequency, now: datetime, last: Digest | None) -> datetime:
    return last.created_at if last is not None else now - PERIOD_LENGTH[frequency]


def _already_sent(column, owner_id: int, period: str) -> bool:
    return db.session.scalar(select(Digest.id).where(column == owner_id, Digest.period == period)) is not None


def _record(message_of, period: str, covers_from: datetime, now: datetime, **owner) -> bool:
    """Write this period's Digest row and its e-mail together, uncommitted; False (both rolled back)
    when another tick has inserted, or is just now inserting, the row."""
    try:
        message = message_of()
        db.session.flush()
        db.session.add(Digest(period=period, covers_from=covers_from, created_at=now, message_id=message.id,
                              **owner))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _queue_councillor_digest(councillor: User, frequency: DigestFrequency, now: datetime) -> bool:
    period = period_of(frequency, now)
    if _already_sent(Digest.user_id, councillor.id, period):
        return False
    since = _covers_from(frequency, now, queries.last_digest(user_id=councillor.id))
    contents = councillor_digest(councillor, since, now)
    if contents.is_empty:
        return False  # nothing to say: perhaps later this period
    councillor_id = councillor.id
    if not _record(lambda: queue_templated_email(
            councillor.email, "councillor_digest", purpose="councillor_digest", digest=contents,
            frequency=frequency, period=period, min_base=MIN_PUBLIC_BASE, home_url=_site_url("/councillor"),
            public_url=results_link), period, since, now, user_id=councillor_id):
        return False
    db.session.commit()
    log.info("councillor digest %s queued for user %s", period, councillor_id)
    return True


def _queue_group_digest(member: Member, frequency: DigestFrequency, now: datetime) -> bool:
    period = period_of(frequency, now)
    if _already_sent(Digest.member_id, member.id, period):
        return False
    since = _covers_from(frequency, now, queries.last_digest(member_id=member.id))
    contents = group_digest(member, since)
    if contents.is_empty:
        return False
    member_id = member.id
    if not _record(lambda: queue_templated_email(
            member.email, "group_digest", purpose="group_digest", member_id=member_id, digest=contents,
            frequency=frequency, period=period, home_url=_site_url("/groups/contact"), public_url=results_link),
            period, since, now, member_id=member_id):
        return False
    db.session.commit()
    log.info("group digest %s queued for member %s", period, member_id)
    return True


def _site_url(path: str) -> str:
    """An address on the public site, built by hand: the tick runs outside any request."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path
