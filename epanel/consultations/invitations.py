"""Invitations: private links (only a hash of each token is stored), the officer's message with its
placeholders, sending by e-mail, revoking, and what invited members did.

Sending writes each invitation and its e-mail (an outbox row) in one transaction; the outbox's
worker delivers them. Text-message invitations, reminders and alerts are campaigns
(epanel.messaging.campaigns), which reuse the links and messages made here.
"""

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from epanel.common.links import hash_secret
from epanel.common.search import LIKE_ESCAPE, contains_pattern
from epanel.common.time import utcnow
from epanel.consultations.audience import (
    INVITABLE_STATUSES,
    has_saved_audience,
    member_ids_to_email,
    reachable_by_email_clause,
)
from epanel.consultations.models import Consultation, ConsultationStatus, Invitation, InvitationChannel
from epanel.extensions import db
from epanel.messaging.outbox import queue_email
from epanel.panels.models import Member, MemberStatus
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
PLACEHOLDERS = ("first_name", "consultation", "link", "closes")
_PLACEHOLDER = re.compile(r"\(\(([^()]*)\)\)")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")

DEFAULT_SUBJECT = "Have your say: ((consultation))"
DEFAULT_BODY = """Hello ((first_name)),

We would like to know what you think about ((consultation)).

Use this private link to take part. You do not need a password:

((link))

The link is just for you, so please do not pass it on. Please give your views by ((closes)).

Thank you for being on our panel."""

# Each batch is committed and audited as one send.
SEND_BATCH_SIZE = 200
SENDABLE_STATUSES = (ConsultationStatus.SCHEDULED, ConsultationStatus.OPEN)
CHANNEL_LABELS = {InvitationChannel.EMAIL: "Email", InvitationChannel.SMS: "Text message",
                  InvitationChannel.POST: "Post"}


class InvitationError(ValueError):
    """An invitation rule was broken or sending failed; the message is for the officer."""


def hash_invitation_token(token: str) -> str:
    return hash_secret(token)


def new_invitation_token() -> str:
    return secrets.token_urlsafe(24)


def find_usable_invitation(token: str) -> Invitation | None:
    """The invitation behind a private link, if it still works: not revoked, consultation open,
    and the member still on a panel (not left or erased)."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.token_hash == hash_invitation_token(token)))
    if invitation is None or invitation.revoked_at is not None or invitation.member is None:
        return None
    if invitation.member.status == MemberStatus.LEFT:
        return None
    if invitation.consultation.status != ConsultationStatus.OPEN:
        return None
    return invitation


def invitation_link(token: str) -> str:
    """The private link a member opens to answer without a password."""
    # Built by hand: the answering pages sit in a domain above this one.
    return current_app.config["PUBLIC_URL"].rstrip("/") + f"/respond/i/{token}"


# --- the message and its placeholders ----------------------------------------------------------


def _placeholder_name(written: str) -> str:
    """((First name)) and ((first_name)) mean the same, as officers type them either way."""
    return re.sub(r"[\s_]+", "_", written.strip().lower())


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _unknown_placeholders(text: str) -> list[str]:
    unknown = []
    for match in _PLACEHOLDER.finditer(text or ""):
        if _placeholder_name(match.group(1)) not in PLACEHOLDERS and match.group(0) not in unknown:
            unknown.append(match.group(0))
    return unknown


def _unknown_problem(text: str) -> list[str]:
    unknown = _unknown_placeholders(text)
    if not unknown:
        return []
    known = _listed([f"(({name}))" for name in PLACEHOLDERS])
    noun = "placeholder" if len(unknown) == 1 else "placeholders"
    return [f"Unknown {noun} {_listed(unknown)}. You can use {known}"]


def uses_placeholder(text: str, name: str) -> bool:
    return any(_placeholder_name(match.group(1)) == name for match in _PLACEHOLDER.finditer(text or ""))


def subject_problems(subject: str) -> list[str]:
    """What is wrong with an invitation subject, in words for the officer (empty if nothing)."""
    problems = _unknown_problem(subject)
    if uses_placeholder(subject, "link"):
        problems.append("Put ((link)) in the message, not the subject")
    return problems


def body_problems(body: str) -> list[str]:
    """What is wrong with an invitation message, in words for the officer (empty if nothing)."""
    problems = _unknown_problem(body)
    if not uses_placeholder(body, "link"):
        problems.append("The message must include ((link)), so each member gets their private link")
    return problems


def message_templates(consultation: Consultation) -> tuple[str, str]:
    """The subject and message an officer wrote, or the defaults where they wrote none."""
    return consultation.invitation_subject or DEFAULT_SUBJECT, consultation.invitation_body or DEFAULT_BODY


def format_closes(closes_at: datetime | None) -> str:
    """A closing time as people in the UK write it: '5pm on Friday 12 December 2026', London time."""
    if closes_at is None:
        return "the closing date"
    local = closes_at.astimezone(LONDON)
    if (local.hour, local.minute) == (0, 0):
        # "Midnight on Friday" is read both ways; say which side of it.
        return f"midnight at the end of {_day(local - timedelta(days=1))}"
    if (local.hour, local.minute) == (12, 0):
        return f"midday on {_day(local)}"
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local.hour % 12 or 12}{minutes}{'am' if local.hour < 12 else 'pm'} on {_day(local)}"


def format_when(moment: datetime | None) -> str:
    """A moment in London time, short: '12 December 2026, 5:03pm'."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local.hour % 12 or 12}:{local.minute:02d}" \
           f"{'am' if local.hour < 12 else 'pm'}"


def _day(moment: datetime) -> str:
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def fill_placeholders(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values.get(_placeholder_name(match.group(1)), match.group(0)), template)


@dataclass(frozen=True)
class InvitationMessage:
    subject: str
    body: str


def compose_invitation(subject_template: str, body_template: str, values: dict[str, str]) -> InvitationMessage:
    """The e-mail one member receives: placeholders filled, then the fixed footer on why they get it."""
    text = render_template(
        "mail/invitation.txt",
        subject=" ".join(fill_placeholders(subject_template, values).split()),  # a header must stay on one line
        body=fill_placeholders(body_template, values),
        preferences_link=current_app.config["PUBLIC_URL"].rstrip("/") + "/my/preferences",
    )
    subject, _, body = text.partition("\n")
    return InvitationMessage(subject.strip(), body.lstrip("\n"))


def _common_values(consultation: Consultation) -> dict[str, str]:
    return {"consultation": consultation.title, "closes": format_closes(consultation.closes_at)}


def preview_invitation(consultation: Consultation, subject: str, body: str, first_name: str) -> InvitationMessage:
    """The message as a member would get it, with an example link in place of a real one."""
    values = {**_common_values(consultation), "first_name": first_name,
              "link": invitation_link("example-private-link")}
    return compose_invitation(subject or DEFAULT_SUBJECT, body or DEFAULT_BODY, values)


def save_invitation_message(consultation: Consultation, subject: str, body: str, actor) -> None:
    """Store the officer's subject and message, refusing unknown placeholders and a message without ((link))."""
    problems = subject_problems(subject) + body_problems(body)
    if problems:
        raise InvitationError(problems[0])
    consultation.invitation_subject, consultation.invitation_body = subject.strip(), body.strip()
    db.session.commit()
    log.info("invitation message of %s saved by %s", consultation.slug, getattr(actor, "id", actor))


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendReport:
    queued: int
    already_invited: int = 0

    @property
    def summary(self) -> str:
        return f"{_count(self.queued, 'invitation')} queued to send by email."


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def check_can_send(consultation: Consultation) -> None:
    """Raise InvitationError saying why invitations cannot be sent for this consultation now."""
    if consultation.status not in SENDABLE_STATUSES:
        raise InvitationError(f"Invitations can only be sent while a consultation is scheduled or open. "
                              f"This one is {consultation.status.label.lower()}.")
    if not consultation.for_invited_members:
        raise InvitationError("This consultation is not set up for invited panel members")
    if not has_saved_audience(consultation):
        raise InvitationError("Choose and save the audience before sending invitations")
    subject, body = message_templates(consultation)
    problems = subject_problems(subject) + body_problems(body)
    if problems:
        raise InvitationError(f"Correct the invitation message first: {problems[0]}")


def send_invitations(consultation: Consultation, actor, *, batch_size: int = SEND_BATCH_SIZE) -> SendReport:
    """Invite by e-mail each member of the saved audience who has no invitation yet.

    Each batch of invitations is committed together with its e-mails in the outbox, so a
    crash or a second click never e-mails anyone twice; the outbox's worker sends them.
    """
    check_can_send(consultation)
    waiting = member_ids_to_email(consultation)
    # Plain values: every commit expires loaded objects, and reloading them per e-mail doubles the queries.
    consultation_id, slug = consultation.id, consultation.slug
    subject_template, body_template = message_templates(consultation)
    common = _common_values(consultation)
    queued = already = 0
    for start in range(0, len(waiting), batch_size):
        in_batch = 0
        for member_id, first_name, email in _members_still_to_email(waiting[start:start + batch_size]):
            token = new_invitation_token()
            values = common | {"first_name": first_name, "link": invitation_link(token)}
            message = compose_invitation(subject_template, body_template, values)
            if _invite_by_email(consultation_id, member_id, email, token, message):
                in_batch += 1
            else:
                already += 1
        _record_batch(actor, consultation_id, slug, in_batch)
        queued += in_batch
    return SendReport(queued, already)


def _members_still_to_email(member_ids: list[int]) -> list[tuple[int, str, str]]:
    """(id, first name, e-mail) of these members, checked again now: one may have left or paused meanwhile."""
    return db.session.execute(
        select(Member.id, Member.first_name, Member.email)
        .where(Member.id.in_(member_ids), Member.status.in_(INVITABLE_STATUSES), reachable_by_email_clause())
        .order_by(Member.id)
    ).all()


def _invite_by_email(consultation_id: int, member_id: int, email: str, token: str,
                     message: InvitationMessage) -> bool:
    """Add the invitation and its e-mail to the batch; False if a send running alongside invited them first."""
    try:
        with db.session.begin_nested():
            db.session.add(Invitation(consultation_id=consultation_id, member_id=member_id,
                                      channel=InvitationChannel.EMAIL, token_hash=hash_invitation_token(token),
                                      sent_at=utcnow()))
            db.session.flush()
    except IntegrityError:
        return False
    queue_email(email, message.subject, message.body, purpose="invitation", member_id=member_id)
    return True


def _record_batch(actor, consultation_id: int, slug: str, count: int) -> None:
    if count:
        record_audit_event(actor, "invitations.sent", "consultation", consultation_id, count=count,
                           channel=InvitationChannel.EMAIL.value)
    db.session.commit()  # the invitations, their e-mails and the audit event together
    if count:
        log.info("%d invitations to %s queued by %s", count, slug, getattr(actor, "id", actor))


# --- revoking and reading ------------------------------------------------------------------------


def revoke_invitation(invitation: Invitation, actor) -> bool:
    """Stop a private link working (sent to the wrong person, say); False if it was already revoked."""
    if invitation.revoked_at is not None:
        return False
    invitation.revoked_at = utcnow()
    record_audit_event(actor, "invitation.revoked", "invitation", invitation.id,
                       consultation=invitation.consultation.slug, member_id=invitation.member_id)
    db.session.commit()
    log.info("invitation %s revoked by %s", invitation.id, getattr(actor, "id", actor))
    return True


def get_invitation(consultation: Consultation, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.consultation_id == consultation.id)
    )


def list_invitations(consultation: Consultation, *, search: str = "", limit: int = 50) -> list[Invitation]:
    """The latest invitations, newest first, optionally those whose member's name or e-mail contains `search`."""
    query = (
        select(Invitation).where(Invitation.consultation_id == consultation.id)
        .options(joinedload(Invitation.member)).order_by(Invitation.id.desc()).limit(limit)
    )
    if search.strip():
        term = contains_pattern(search)
        query = query.join(Member, Member.id == Invitation.member_id).where(or_(
            func.lower(Member.first_name + " " + Member.last_name).like(term, escape=LIKE_ESCAPE),
            Member.email.like(term, escape=LIKE_ESCAPE),
        ))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ChannelStats:
    """What members invited through one channel (or all, when channel is None) have done."""

    channel: InvitationChannel | None
    invited: int = 0
    opened: int = 0
    started: int = 0
    completed: int = 0
    revoked: int = 0

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self.channel] if self.channel else "All channels"

    @property
    def completion_rate(self) -> str:
        return f"{self.completed / self.invited:.0%}" if self.invited else "–"


def invitation_stats(consultation: Consultation) -> list[ChannelStats]:
    """Invited, opened, started, completed and revoked, for each channel and in total, in one grouped query."""
    rows = db.session.execute(
        select(Invitation.channel, func.count(Invitation.sent_at), func.count(Invitation.opened_at),
               func.count(Invitation.started_at), func.count(Invitation.completed_at),
               func.count(Invitation.revoked_at))
        .where(Invitation.consultation_id == consultation.id)
        .group_by(Invitation.channel)
    ).all()
    found = {channel: ChannelStats(channel, *counts) for channel, *counts in rows}
    by_channel = [found.get(channel, ChannelStats(channel)) for channel in InvitationChannel]
    total = ChannelStats(None, *(sum(getattr(stats, name) for stats in by_channel)
                                 for name in ("invited", "opened", "started", "completed", "revoked")))
    return by_channel + [total]
