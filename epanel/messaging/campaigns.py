"""Campaigns: invitations, reminders, alerts and results notices by SMS and e-mail.

A campaign picks its members by kind (the consultation's saved audience, the invited members
who have not finished, or the respondents), gives each one a channel (text, e-mail, or their own
preference), leaves out with a reason those who cannot be reached, and queues one outbox row per
member. Rows go in batches, each committed together with the invitations it creates, so a
crash loses at most one uncommitted batch and nobody gets two messages from one campaign:

- starting a campaign is a conditional UPDATE on its state, so two ticks never both start it;
- each batch first takes the campaign's row lock (an UPDATE, which on SQLite takes the write
  lock), then skips members who already have a message in this campaign, so two workers
  resuming one stuck send queue each member once;
- a member gets at most one invitation per consultation (a unique constraint).

Texts never go out in quiet hours: a text decided then waits in the outbox until they end.
"""

import logging
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

import sms
from epanel.common.time import utcnow
from epanel.consultations import audience
from epanel.consultations.audience import INVITABLE_STATUSES
from epanel.consultations.invitations import (
    body_problems,
    compose_invitation,
    fill_placeholders,
    format_closes,
    format_when,
    hash_invitation_token,
    invitation_link,
    message_templates,
    new_invitation_token,
    subject_problems,
)
from epanel.consultations.models import Consultation, ConsultationStatus, Invitation, InvitationChannel
from epanel.extensions import db
from epanel.messaging.models import (
    Campaign,
    CampaignChannel,
    CampaignKind,
    CampaignState,
    Message,
    MessageChannel,
    MessageState,
)
from epanel.messaging.outbox import UnsendableNumber, active_opt_out_numbers, queue_email, queue_sms, sms_number
from epanel.panels.models import Member, Panel, PanelMembership
from epanel.privacy.audit import record_audit_event
from epanel.respond.models import Response, ResponseStatus

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
BATCH_SIZE = 200
# A one-off send still "sending" this long after it started was left by a worker that died:
# the tick carries it on (safe even if it is in fact still running: see the module docstring).
STALE_SEND = timedelta(minutes=5)
CANCELLED_NOTE = "The campaign was cancelled before this message went"
EXAMPLE_FIRST_NAME = "Sam"

# Why a member of the audience gets nothing, in the order the preview lists them.
LEFT_OUT_REASONS = {
    "opted_out": "Opted out of text messages (replied STOP)",
    "number_failed": "Their mobile number failed for good before (not a mobile, or not a real number)",
    "no_consent": "Did not agree to be contacted this way",
    "no_contact": "No mobile number or email address for this channel",
    "invited_too_often": "Contacted often lately (the contact-frequency rule on the audience)",
}

# Which consultations each kind can be sent for.
SENDABLE = {
    CampaignKind.INVITATION: (ConsultationStatus.SCHEDULED, ConsultationStatus.OPEN),
    CampaignKind.ALERT: (ConsultationStatus.SCHEDULED, ConsultationStatus.OPEN),
    CampaignKind.REMINDER: (ConsultationStatus.OPEN,),
    CampaignKind.RESULTS: (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED),
}

# Who each kind goes to, for the officer.
AUDIENCE_DESCRIPTIONS = {
    CampaignKind.INVITATION: "Members of the saved audience who have not been invited yet",
    CampaignKind.ALERT: "Everyone in the saved audience",
    CampaignKind.REMINDER: "Invited members who have not finished their response",
    CampaignKind.RESULTS: "Panel members who responded",
}

DEFAULT_TEXTS = {
    CampaignKind.INVITATION: "Hi ((first_name)), have your say on ((consultation)) by ((closes)): ((link)) "
                             "Reply STOP to stop texts",
    CampaignKind.REMINDER: "Hi ((first_name)), there is still time to have your say on ((consultation)). "
                           "It closes ((closes)): ((link)) Reply STOP to stop texts",
    CampaignKind.ALERT: "Hi ((first_name)), ((consultation)) is open for your views until ((closes)): ((link)) "
                        "Reply STOP to stop texts",
    CampaignKind.RESULTS: "Hi ((first_name)), thank you for your views on ((consultation)). See what people said "
                          "and what we are doing: ((link)) Reply STOP to stop texts",
}
DEFAULT_EMAILS = {
    CampaignKind.REMINDER: (
        "Reminder: have your say on ((consultation))",
        "Hello ((first_name)),\n\nThere is still time to tell us what you think about ((consultation)). "
        "It closes at ((closes)).\n\nUse your private link to take part or to finish your answers:\n\n((link))\n\n"
        "Thank you for being on our panel.",
    ),
    CampaignKind.ALERT: (
        "((consultation)): have your say",
        "Hello ((first_name)),\n\n((consultation)) is open for your views until ((closes)).\n\n"
        "Use your private link to take part:\n\n((link))\n\nThank you for being on our panel.",
    ),
    CampaignKind.RESULTS: (
        "What you told us about ((consultation))",
        "Hello ((first_name)),\n\nThank you for giving your views on ((consultation)). You can now see what "
        "people said and what the council is doing about it:\n\n((link))\n\nThank you for being on our panel.",
    ),
}

_LINK_TOKEN = re.compile(r"/i/([A-Za-z0-9_-]{8,100})")
_SUBSTITUTES = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}


class CampaignError(ValueError):
    """A campaign rule was broken; the message is for the officer."""


# --- texts ----------------------------------------------------------------------------------


def default_texts(consultation: Consultation, kind: CampaignKind) -> dict[str, str]:
    """The SMS body, e-mail subject and e-mail body a new campaign of this kind starts with."""
    if kind is CampaignKind.INVITATION:
        subject, body = message_templates(consultation)
    else:
        subject, body = DEFAULT_EMAILS[kind]
    return {"sms_body": DEFAULT_TEXTS[kind], "email_subject": subject, "email_body": body}


def needs_link(kind: CampaignKind) -> bool:
    """Invitations, reminders and alerts must carry each member's private link; a results notice need not."""
    return kind is not CampaignKind.RESULTS


def text_problems(kind: CampaignKind, text: str) -> list[str]:
    """What is wrong with an SMS or e-mail body for this kind, in words for the officer."""
    if needs_link(kind):
        return body_problems(text)
    # Only unknown placeholders matter: a results notice may go without a link.
    return body_problems(text + " ((link))")


def email_subject_problems(subject: str) -> list[str]:
    return subject_problems(subject)


def short_link(token: str) -> str:
    """A private link short enough for a text: /i/<token> redirects to the answering page."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + f"/i/{token}"


def results_link(consultation: Consultation) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + f"/consultations/{consultation.slug}"


def new_sms_token() -> str:
    """72 random bits: unguessable behind the answering pages' rate limit, and 12 characters in a text."""
    return secrets.token_urlsafe(9)


@dataclass(frozen=True)
class ForcedCharacter:
    character: str
    name: str
    suggestion: str | None

    @property
    def described(self) -> str:
        return f"{self.character} ({self.name.lower()})"


def characters_forcing_ucs2(text: str) -> list[ForcedCharacter]:
    """Each distinct character of `text` that is not in the GSM-7 alphabet, so turns a text into UCS-2."""
    found: dict[str, ForcedCharacter] = {}
    for char in text:
        if sms.is_gsm7(char) or char in found:
            continue
        name = unicodedata.name(char, f"character U+{ord(char):04X}")
        found[char] = ForcedCharacter(char, name, _SUBSTITUTES.get(char))
    return list(found.values())


# --- quiet hours ----------------------------------------------------------------------------


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """'21:00-08:00' -> (21:00, 08:00); a window may run over midnight."""
    start, _, end = text.partition("-")
    try:
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValueError(f"Quiet hours must look like 21:00-08:00, not {text!r}") from None


def quiet_hours_end(now: datetime, window: str) -> datetime | None:
    """When the quiet hours `now` falls in end (UTC), or None when `now` is not in quiet hours."""
    start, end = parse_quiet_hours(window)
    local = now.astimezone(LONDON)
    clock = local.time()
    if start == end:
        return None
    if start < end:  # a window within one day, like 13:00-14:00
        if start <= clock < end:
            return _local_moment(local.date(), end)
        return None
    if clock >= start:  # evening: quiet until tomorrow morning
        return _local_moment(local.date() + timedelta(days=1), end)
    if clock < end:  # small hours: quiet until this morning
        return _local_moment(local.date(), end)
    return None


def _local_moment(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)


def sms_not_before(now: datetime, *, youth: bool) -> datetime | None:
    """When a text decided `now` may go: None for at once, else the end of the member's quiet hours."""
    window = current_app.config["YOUTH_QUIET_HOURS" if youth else "QUIET_HOURS"]
    return quiet_hours_end(now, window)


def _youth_clause():
    """Members of the Youth Panel, who get the stricter quiet hours."""
    youth_panels = select(Panel.id).where(or_(Panel.slug == current_app.config["YOUTH_PANEL_SLUG"],
                                              Panel.is_youth_panel.is_(True)))
    return exists().where(PanelMembership.member_id == Member.id, PanelMembership.panel_id.in_(youth_panels))


# --- who gets what --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    member_id: int
    first_name: str
    email: str | None
    mobile: str | None
    by_sms: bool
    by_email: bool
    youth: bool
    invitation_id: int | None = None
    invitation_channel: InvitationChannel | None = None


@dataclass
class Plan:
    """Who a campaign would reach now, by which channel, and who it leaves out and why."""

    by_sms: list[Recipient] = field(default_factory=list)
    by_email: list[Recipient] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)
    already_invited: int = 0  # invitation campaigns only: invited before, so not invited again

    @property
    def reached(self) -> int:
        return len(self.by_sms) + len(self.by_email)

    @property
    def audience(self) -> int:
        return self.reached + sum(self.left_out.values())

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())

    def deliveries(self) -> list[tuple[Recipient, MessageChannel]]:
        pairs = [(r, MessageChannel.SMS) for r in self.by_sms] + [(r, MessageChannel.EMAIL) for r in self.by_email]
        return sorted(pairs, key=lambda pair: pair[0].member_id)


def plan_campaign(campaign: Campaign, *, today: date | None = None) -> Plan:
    """Who the campaign reaches now, by channel, and who it leaves out, by reason."""
    consultation = campaign.consultation
    plan = Plan()
    recipients, plan.left_out["invited_too_often"], plan.already_invited = _audience(
        campaign.kind, consultation, today or date.today(), campaign.segment)
    numbers = [r.mobile for r in recipients if r.mobile]
    opted_out = set()
    failed = set()
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start:start + 5000]
        opted_out |= active_opt_out_numbers(chunk)
        failed |= permanently_failed_numbers(chunk)
    for recipient in recipients:
        channel, reason = _choose_channel(campaign.channel, recipient, opted_out, failed)
        if channel is MessageChannel.SMS:
            plan.by_sms.append(recipient)
        elif channel is MessageChannel.EMAIL:
            plan.by_email.append(recipient)
        else:
            plan.left_out[reason] += 1
    plan.left_out = Counter({reason: count for reason, count in plan.left_out.items() if count})
    return plan


def _audience(kind: CampaignKind, consultation: Consultation, today: date,
              segment: dict | None = None) -> tuple[list[Recipient], int, int]:
    """(recipients, left out by the frequency rule, already invited) for a campaign of this kind."""
    if kind in (CampaignKind.INVITATION, CampaignKind.ALERT):
        if not audience.has_saved_audience(consultation):
            return [], 0, 0
        rules = audience.audience_rules(consultation)
        too_often = audience.count_audience(consultation, rules, today=today).invited_too_often
        if rules.sample_size:
            ids = audience.sample_member_ids(consultation, rules, today=today)
            recipients = _load_recipients(consultation, [Member.id.in_(ids)] if ids else None)
        else:
            # The audience's own rules, frequency rule included: a campaign never widens them.
            recipients = _load_recipients(consultation, audience.audience_clauses(consultation, rules, today))
        if kind is CampaignKind.ALERT:
            return recipients, too_often, 0
        waiting = [r for r in recipients if r.invitation_id is None]
        if rules.sample_size:
            invited = db.session.scalar(select(func.count(Invitation.id))
                                        .where(Invitation.consultation_id == consultation.id))
            waiting = waiting[:max(0, rules.sample_size - invited)]
        return waiting, too_often, len(recipients) - len([r for r in recipients if r.invitation_id is None])
    if kind is CampaignKind.REMINDER:
        clauses = [_not_finished_clause(consultation), *audience.segment_clauses(segment, today)]
        return _load_recipients(consultation, clauses), 0, 0
    responded = select(Response.member_id).where(Response.consultation_id == consultation.id,
                                                 Response.status == ResponseStatus.COMPLETE,
                                                 Response.member_id.is_not(None))
    return _load_recipients(consultation, [Member.id.in_(responded)]), 0, 0


def _not_finished_clause(consultation: Consultation):
    """Members invited to this consultation whose link still works and who have not completed."""
    return exists().where(Invitation.consultation_id == consultation.id, Invitation.member_id == Member.id,
                          Invitation.sent_at.is_not(None), Invitation.completed_at.is_(None),
                          Invitation.revoked_at.is_(None))


def _load_recipients(consultation: Consultation, conditions: list | None) -> list[Recipient]:
    if conditions is None:
        return []
    invitation = Invitation.__table__.alias("own_invitation")
    rows = db.session.execute(
        select(Member.id, Member.first_name, Member.email, Member.mobile, Member.contact_by_sms,
               Member.contact_by_email, _youth_clause(), invitation.c.id, invitation.c.channel)
        .outerjoin(invitation, and_(invitation.c.member_id == Member.id,
                                    invitation.c.consultation_id == consultation.id))
        .where(Member.status.in_(INVITABLE_STATUSES), *conditions)
        .order_by(Member.id)
    ).all()
    return [Recipient(row[0], row[1], row[2] or None, row[3] or None, bool(row[4]), bool(row[5]), bool(row[6]),
                      row[7], InvitationChannel(row[8]) if row[8] else None) for row in rows]


def permanently_failed_numbers(numbers: Iterable[str]) -> set[str]:
    """Numbers a text failed to for good before (not a mobile, not a real number...).

    A STOP (21610) is not counted here: the opt-out list holds it, and START undoes it.
    """
    numbers = list(numbers)
    if not numbers:
        return set()
    rows = db.session.execute(
        select(Message.to_address, Message.error_code).distinct()
        .where(Message.channel == MessageChannel.SMS, Message.to_address.in_(numbers),
               Message.state.in_([MessageState.FAILED, MessageState.UNDELIVERED]),
               Message.error_code.is_not(None), Message.error_code != 21610)
    ).all()
    return {number for number, code in rows if sms.classify_error(code) is sms.ErrorClass.PERMANENT}


def _choose_channel(channel: CampaignChannel, r: Recipient, opted_out: set[str],
                    failed: set[str]) -> tuple[MessageChannel | None, str | None]:
    sms_problem = _sms_problem(r, opted_out, failed)
    email_problem = None if r.email and r.by_email else ("no_consent" if r.email else "no_contact")
    if channel is CampaignChannel.SMS:
        return (MessageChannel.SMS, None) if sms_problem is None else (None, sms_problem)
    if channel is CampaignChannel.EMAIL:
        return (MessageChannel.EMAIL, None) if email_problem is None else (None, email_problem)
    # Their preference: a text if they asked for texts and have a mobile; otherwise, or if
    # texts to them are blocked, e-mail.
    if r.by_sms and r.mobile:
        if sms_problem is None:
            return MessageChannel.SMS, None
        return (MessageChannel.EMAIL, None) if email_problem is None else (None, sms_problem)
    if email_problem is None:
        return MessageChannel.EMAIL, None
    return None, "no_contact" if not r.email and not r.mobile else "no_consent"


def _sms_problem(r: Recipient, opted_out: set[str], failed: set[str]) -> str | None:
    if not r.mobile:
        return "no_contact"
    if not r.by_sms:
        return "no_consent"
    if r.mobile in opted_out:
        return "opted_out"
    try:
        number = sms_number(r.mobile)
    except UnsendableNumber:
        return "number_failed"
    return "number_failed" if number in failed or r.mobile in failed else None


# --- the preview ----------------------------------------------------------------------------


@dataclass
class Preview:
    plan: Plan
    example_name: str
    example_is_member: bool
    sms_text: str | None
    sms_count: sms.SegmentCount | None
    forcing_ucs2: list[ForcedCharacter]
    sms_segments_total: int  # over every text the campaign would send
    estimated_cost: float
    price_per_segment: float
    email_subject: str | None
    email_body: str | None
    quiet_until: datetime | None  # texts sent now would wait until then (adults)
    youth_quiet_until: datetime | None

    @property
    def left_out(self) -> list[tuple[str, int]]:
        return [(LEFT_OUT_REASONS[reason], self.plan.left_out[reason]) for reason in LEFT_OUT_REASONS
                if self.plan.left_out.get(reason)]


def preview_campaign(campaign: Campaign, *, now: datetime | None = None) -> Preview:
    """What the officer checks before sending: counts by channel, who is left out and why, the
    text for an example member with its parts and encoding, and the estimated cost."""
    now = now or utcnow()
    plan = plan_campaign(campaign, today=now.astimezone(LONDON).date())
    consultation = campaign.consultation
    common = _common_values(consultation)
    example = (plan.by_sms or plan.by_email or [None])[0]
    name = example.first_name if example else EXAMPLE_FIRST_NAME
    sms_text = sms_count = None
    total = 0
    forcing = []
    if campaign.sms_body:
        sms_text = fill_placeholders(campaign.sms_body, common | {"first_name": name, "link": _example_sms_link(example)})
        sms_count = sms.count_segments(sms_text)
        forcing = characters_forcing_ucs2(sms_text)
        for recipient in plan.by_sms:
            values = common | {"first_name": recipient.first_name, "link": _example_sms_link(recipient)}
            total += sms.count_segments(fill_placeholders(campaign.sms_body, values)).segments
    subject = body = None
    if campaign.email_subject and campaign.email_body:
        link = results_link(consultation) if campaign.kind is CampaignKind.RESULTS \
            else invitation_link("example-private-link")
        message = compose_invitation(campaign.email_subject, campaign.email_body,
                                     common | {"first_name": name, "link": link})
        subject, body = message.subject, message.body
    price = current_app.config["SMS_PRICE_PER_SEGMENT"]
    return Preview(plan, name, example is not None, sms_text, sms_count, forcing, total, round(total * price, 2),
                   price, subject, body, sms_not_before(now, youth=False), sms_not_before(now, youth=True))


def _example_sms_link(recipient: Recipient | None) -> str:
    """A link as long as the one this member's text will carry, so parts and cost come out right."""
    # Invitations first made by e-mail carry the e-mail's longer token.
    if recipient is not None and recipient.invitation_channel is InvitationChannel.EMAIL:
        return short_link("EXAMPLE-private-link-for-preview")  # as long as new_invitation_token()'s
    return short_link("EXAMPLE-link")  # as long as new_sms_token()'s


def _common_values(consultation: Consultation) -> dict[str, str]:
    return {"consultation": consultation.title, "closes": format_closes(consultation.closes_at)}


# --- creating, scheduling, cancelling --------------------------------------------------------


def create_campaign(consultation: Consultation, kind: CampaignKind, channel: CampaignChannel, actor, *,
                    sms_body: str = "", email_subject: str = "", email_body: str = "",
                    remind_after_days: int | None = None, reminder_limit: int | None = None,
                    segment: dict | None = None) -> Campaign:
    """Save a draft campaign for a consultation, refusing texts the chosen channel cannot send. Only a
    reminder can be narrowed to a segment (one group of the invited members)."""
    if segment and kind is not CampaignKind.REMINDER:
        raise CampaignError("Only a reminder can go to one group of members")
    campaign = Campaign(consultation_id=consultation.id, kind=kind, channel=channel, state=CampaignState.DRAFT,
                        created_by_id=getattr(actor, "id", None), left_out={}, segment=segment or None)
    campaign.consultation = consultation
    _set_texts(campaign, sms_body, email_subject, email_body, remind_after_days, reminder_limit)
    db.session.add(campaign)
    db.session.commit()
    log.info("campaign %s (%s by %s) for %s created by %s", campaign.id, kind.value, channel.value,
             consultation.slug, getattr(actor, "id", actor))
    return campaign


def update_campaign(campaign: Campaign, actor, *, channel: CampaignChannel, sms_body: str = "",
                    email_subject: str = "", email_body: str = "", remind_after_days: int | None = None,
                    reminder_limit: int | None = None) -> Campaign:
    """Change a draft's channel, texts and reminder settings."""
    if campaign.state is not CampaignState.DRAFT:
        raise CampaignError("Only a draft campaign can be changed")
    campaign.channel = channel
    _set_texts(campaign, sms_body, email_subject, email_body, remind_after_days, reminder_limit)
    db.session.commit()
    log.info("campaign %s changed by %s", campaign.id, getattr(actor, "id", actor))
    return campaign


def _set_texts(campaign, sms_body, email_subject, email_body, remind_after_days, reminder_limit) -> None:
    uses_sms = campaign.channel in (CampaignChannel.SMS, CampaignChannel.PREFERRED)
    uses_email = campaign.channel in (CampaignChannel.EMAIL, CampaignChannel.PREFERRED)
    campaign.sms_body = (sms_body or "").strip() or None if uses_sms else None
    campaign.email_subject = " ".join((email_subject or "").split()) or None if uses_email else None
    campaign.email_body = (email_body or "").strip() or None if uses_email else None
    if campaign.kind is CampaignKind.REMINDER and remind_after_days:
        campaign.remind_after_days, campaign.reminder_limit = remind_after_days, reminder_limit or 1
    else:
        campaign.remind_after_days = campaign.reminder_limit = None
    problems = message_problems(campaign)
    if problems:
        raise CampaignError(problems[0])


def message_problems(campaign: Campaign) -> list[str]:
    """What stops this campaign's texts being sent, in words for the officer (empty if nothing)."""
    problems = []
    if campaign.channel in (CampaignChannel.SMS, CampaignChannel.PREFERRED):
        if not campaign.sms_body:
            problems.append("Enter the text message")
        else:
            problems += [f"Text message: {p}" for p in text_problems(campaign.kind, campaign.sms_body)]
    if campaign.channel in (CampaignChannel.EMAIL, CampaignChannel.PREFERRED):
        if not campaign.email_subject:
            problems.append("Enter the email subject")
        else:
            problems += [f"Email subject: {p}" for p in email_subject_problems(campaign.email_subject)]
        if not campaign.email_body:
            problems.append("Enter the email message")
        else:
            problems += [f"Email message: {p}" for p in text_problems(campaign.kind, campaign.email_body)]
    return problems


def check_can_send(campaign: Campaign) -> None:
    """Raise CampaignError saying why this campaign cannot be sent now."""
    consultation = campaign.consultation
    allowed = SENDABLE[campaign.kind]
    if consultation.status not in allowed:
        names = " or ".join(status.label.lower() for status in allowed)
        raise CampaignError(f"A {campaign.kind.label.lower()} can only be sent while the consultation is {names}. "
                            f"This one is {consultation.status.label.lower()}.")
    if campaign.kind in (CampaignKind.INVITATION, CampaignKind.ALERT):
        if not consultation.for_invited_members:
            raise CampaignError("This consultation is not set up for invited panel members")
        if not audience.has_saved_audience(consultation):
            raise CampaignError("Choose and save the audience before sending")
    problems = message_problems(campaign)
    if problems:
        raise CampaignError(f"Correct the message first: {problems[0]}")


def schedule_campaign(campaign: Campaign, when: datetime, actor, *, now: datetime | None = None) -> None:
    """Have the tick start this draft at `when` (UTC)."""
    now = now or utcnow()
    check_can_send(campaign)
    if when <= now:
        raise CampaignError("The time to send must be in the future")
    closes_at = campaign.consultation.closes_at
    if closes_at is not None and when >= closes_at and campaign.kind is not CampaignKind.RESULTS:
        raise CampaignError(f"The time to send must be before the consultation closes ({format_when(closes_at)})")
    claimed = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.state == CampaignState.DRAFT)
        .values(state=CampaignState.SCHEDULED, scheduled_for=when)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise CampaignError("This campaign has already been sent or scheduled")
    record_audit_event(actor, "campaign.scheduled", "campaign", campaign.id, scheduled_for=when.isoformat())
    db.session.commit()
    log.info("campaign %s scheduled for %s by %s", campaign.id, when.isoformat(), getattr(actor, "id", actor))


def cancel_campaign(campaign: Campaign, actor, *, now: datetime | None = None) -> int:
    """Stop a campaign: it will not start, its batches stop, and texts still waiting are cancelled.

    Returns how many waiting messages were cancelled.
    """
    now = now or utcnow()
    stoppable = [CampaignState.DRAFT, CampaignState.SCHEDULED, CampaignState.SENDING]
    if campaign.state is CampaignState.SENT and waiting_messages(campaign):
        stoppable.append(CampaignState.SENT)  # held by quiet hours: they can still be stopped
    changed = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.state.in_(stoppable))
        .values(state=CampaignState.CANCELLED, finished_at=now)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise CampaignError("This campaign has finished, so there is nothing to cancel")
    cancelled = db.session.execute(
        update(Message).where(Message.campaign_id == campaign.id, Message.state == MessageState.QUEUED)
        .values(state=MessageState.CANCELLED, error_message=CANCELLED_NOTE, finished_at=now)
    ).rowcount
    record_audit_event(actor, "campaign.cancelled", "campaign", campaign.id, messages_cancelled=cancelled)
    db.session.commit()
    log.info("campaign %s cancelled by %s (%d waiting messages cancelled)", campaign.id,
             getattr(actor, "id", actor), cancelled)
    return cancelled


def waiting_messages(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count(Message.id))
                             .where(Message.campaign_id == campaign.id, Message.state == MessageState.QUEUED))


# --- sending --------------------------------------------------------------------------------


@dataclass
class SendReport:
    queued: int = 0
    held_for_quiet_hours: int = 0
    left_out: int = 0
    already_invited: int = 0
    already_had_results: int = 0  # results campaigns: sent the results already (an earlier campaign or the outcome)
    stopped: bool = False  # cancelled part way

    @property
    def summary(self) -> str:
        parts = [f"{_count(self.queued, 'message')} queued"]
        if self.held_for_quiet_hours:
            parts.append(f"{_count(self.held_for_quiet_hours, 'text')} held until quiet hours end")
        if self.left_out:
            parts.append(f"{_count(self.left_out, 'member')} left out")
        if self.already_had_results:
            parts.append(f"{_count(self.already_had_results, 'member')} already had the results")
        return ", ".join(parts) + "."


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun if number == 1 else noun + 's'}"


def is_automatic(campaign: Campaign) -> bool:
    """A reminder campaign that keeps reminding, N days after each invitation, up to M times."""
    return campaign.kind is CampaignKind.REMINDER and bool(campaign.remind_after_days)


def send_campaign(campaign: Campaign, actor, *, now: datetime | None = None,
                  batch_size: int = BATCH_SIZE) -> SendReport:
    """Start a draft campaign now (an automatic reminder starts reminding)."""
    now = now or utcnow()
    check_can_send(campaign)
    if not _claim(campaign.id, CampaignState.DRAFT, now):
        raise CampaignError("This campaign has already been sent or scheduled")
    record_audit_event(actor, "campaign.started", "campaign", campaign.id)
    db.session.commit()
    log.info("campaign %s started by %s", campaign.id, getattr(actor, "id", actor))
    return _run(campaign.id, actor, now, batch_size)


def _claim(campaign_id: int, from_state: CampaignState, now: datetime, *, due: bool = False) -> bool:
    """Move the campaign from `from_state` to sending; False if someone else got there first."""
    conditions = [Campaign.id == campaign_id, Campaign.state == from_state]
    if due:
        conditions.append(Campaign.scheduled_for <= now)
    claimed = db.session.execute(
        update(Campaign).where(*conditions).values(state=CampaignState.SENDING, started_at=now)
    ).rowcount
    if not claimed:
        db.session.rollback()
    return bool(claimed)


def _run(campaign_id: int, actor, now: datetime, batch_size: int = BATCH_SIZE) -> SendReport:
    campaign = db.session.get(Campaign, campaign_id)
    if is_automatic(campaign):
        report = queue_due_reminders(campaign, now=now, batch_size=batch_size)
        _finish_if_over(campaign, now)
        return report
    plan = plan_campaign(campaign, today=now.astimezone(LONDON).date())
    report = _queue(campaign, plan.deliveries(), actor, now, batch_size)
    report.left_out, report.already_invited = plan.left_out_total, plan.already_invited
    if not report.stopped:
        db.session.execute(
            update(Campaign).where(Campaign.id == campaign_id, Campaign.state == CampaignState.SENDING)
            .values(state=CampaignState.SENT, finished_at=utcnow(), left_out=dict(plan.left_out))
        )
        db.session.commit()
    log.info("campaign %s: %d queued, %d left out", campaign_id, report.queued, report.left_out)
    return report


def _hold(campaign_id: int) -> bool:
    """Take the campaign's row lock for this batch (released by its commit); False once it is no longer sending.

    With the lock held, the check for members already sent to sees every other batch's
    commit, so two workers on one campaign never both queue a message for one member.
    """
    return bool(db.session.execute(
        update(Campaign).where(Campaign.id == campaign_id, Campaign.state == CampaignState.SENDING)
        .values(state=CampaignState.SENDING)
    ).rowcount)


@dataclass
class _Texts:
    """A campaign's templates and values as plain data: every commit expires loaded objects."""

    campaign_id: int
    kind: CampaignKind
    consultation_id: int
    sms_body: str | None
    email_subject: str | None
    email_body: str | None
    common: dict[str, str]
    results_link: str

    @classmethod
    def of(cls, campaign: Campaign) -> "_Texts":
        consultation = campaign.consultation
        return cls(campaign.id, campaign.kind, consultation.id, campaign.sms_body, campaign.email_subject,
                   campaign.email_body, _common_values(consultation), results_link(consultation))


def _queue(campaign: Campaign, deliveries: list[tuple[Recipient, MessageChannel]], actor, now: datetime,
           batch_size: int) -> SendReport:
    """Queue one message per member, batch by batch, each batch committed with its invitations."""
    texts = _Texts.of(campaign)
    report = SendReport()
    hold = {False: sms_not_before(now, youth=False), True: sms_not_before(now, youth=True)}
    for start in range(0, len(deliveries), batch_size):
        batch = deliveries[start:start + batch_size]
        if not _hold(texts.campaign_id):
            db.session.rollback()
            report.stopped = True
            break
        done = _members_with_messages(texts.campaign_id, [r.member_id for r, _ in batch])
        if texts.kind is CampaignKind.RESULTS:
            # Results go to each respondent once, whichever results campaign (or published outcome) sent them.
            had_results = _members_with_results(texts, [r.member_id for r, _ in batch]) - done
            report.already_had_results += len(had_results)
            done |= had_results
        todo = [(r, channel) for r, channel in batch if r.member_id not in done]
        tokens = {} if texts.kind is CampaignKind.RESULTS else _known_tokens(texts.consultation_id,
                                                                              [r for r, _ in todo])
        opted_out = active_opt_out_numbers(r.mobile for r, channel in todo if channel is MessageChannel.SMS)
        queued = held = 0
        for recipient, channel in todo:
            outcome = _queue_one(texts, recipient, channel, tokens, opted_out, hold[recipient.youth], now)
            queued += outcome is not None
            held += outcome == "held"
        if queued:
            record_audit_event(actor, "campaign.batch_queued", "campaign", texts.campaign_id, count=queued,
                               consultation_id=texts.consultation_id)
        db.session.commit()  # the messages, their invitations and the audit event together
        report.queued += queued
        report.held_for_quiet_hours += held
    return report


def _members_with_messages(campaign_id: int, member_ids: list[int]) -> set[int]:
    if not member_ids:
        return set()
    return set(db.session.scalars(
        select(Message.member_id).where(Message.campaign_id == campaign_id, Message.member_id.in_(member_ids))
    ))


def _members_with_results(texts: _Texts, member_ids: list[int]) -> set[int]:
    """Members another results campaign for this consultation has sent, or is sending, a message."""
    if not member_ids:
        return set()
    return set(db.session.scalars(
        select(Message.member_id).join(Campaign, Campaign.id == Message.campaign_id)
        .where(Campaign.consultation_id == texts.consultation_id, Campaign.kind == CampaignKind.RESULTS,
               Campaign.id != texts.campaign_id, Message.member_id.in_(member_ids),
               Message.state.not_in([MessageState.CANCELLED, MessageState.FAILED]))
    ))


def _queue_one(texts: _Texts, recipient: Recipient, channel: MessageChannel, tokens: dict[int, str],
               opted_out: set[str], not_before: datetime | None, now: datetime) -> str | None:
    """Queue this member's message (and their invitation, if they had none); None if it cannot go."""
    link = texts.results_link
    if texts.kind is not CampaignKind.RESULTS:
        token = _invitation_token(texts, recipient, channel, tokens, now)
        if token is None:
            return None  # a send running alongside invited them first
        link = short_link(token) if channel is MessageChannel.SMS else invitation_link(token)
    values = texts.common | {"first_name": recipient.first_name, "link": link}
    purpose = texts.kind.value
    if channel is MessageChannel.SMS:
        try:
            queue_sms(recipient.mobile, fill_placeholders(texts.sms_body, values), purpose=purpose,
                      member_id=recipient.member_id, campaign_id=texts.campaign_id, not_before=not_before,
                      opted_out=sms_number(recipient.mobile) in opted_out)
        except UnsendableNumber:
            return None
        return "held" if not_before else "queued"
    message = compose_invitation(texts.email_subject, texts.email_body, values)
    queue_email(recipient.email, message.subject, message.body, purpose=purpose, member_id=recipient.member_id,
                campaign_id=texts.campaign_id)
    return "queued"


def _invitation_token(texts: _Texts, recipient: Recipient, channel: MessageChannel, tokens: dict[int, str],
                      now: datetime) -> str | None:
    """The member's private link token: a new invitation, the link they were sent before, or a fresh one."""
    if recipient.invitation_id is None:
        token = new_sms_token() if channel is MessageChannel.SMS else new_invitation_token()
        invitation_channel = InvitationChannel.SMS if channel is MessageChannel.SMS else InvitationChannel.EMAIL
        try:
            with db.session.begin_nested():
                db.session.add(Invitation(consultation_id=texts.consultation_id, member_id=recipient.member_id,
                                          channel=invitation_channel, token_hash=hash_invitation_token(token),
                                          sent_at=now))
                db.session.flush()
        except IntegrityError:
            return None
        return token
    values = {}
    token = tokens.get(recipient.invitation_id)
    if token is None:
        # The message that carried their link is gone (purged, or never sent): a new link
        # replaces the old one, which stops working.
        token = new_sms_token() if channel is MessageChannel.SMS else new_invitation_token()
        values["token_hash"] = hash_invitation_token(token)
        log.info("invitation %s: earlier link not found, so a new one replaces it", recipient.invitation_id)
    if texts.kind is CampaignKind.REMINDER:
        values["reminded_at"] = now
    if values:
        db.session.execute(update(Invitation).where(Invitation.id == recipient.invitation_id).values(values))
    return token


def _known_tokens(consultation_id: int, recipients: list[Recipient]) -> dict[int, str]:
    """invitation id -> the private link token already sent to its member, read back from the outbox.

    Only a hash of each token is stored with the invitation, but the message that carried the
    link holds it; reusing it keeps every link a member was sent working.
    """
    invited = {r.member_id: r.invitation_id for r in recipients if r.invitation_id is not None}
    if not invited:
        return {}
    hashes = dict(db.session.execute(
        select(Invitation.id, Invitation.token_hash).where(Invitation.id.in_(invited.values()))
    ).all())
    rows = db.session.execute(
        select(Message.member_id, Message.body)
        .where(Message.member_id.in_(invited), Message.purpose.in_([kind.value for kind in CampaignKind]))
        .order_by(Message.id.desc())
    ).all()
    found: dict[int, str] = {}
    for member_id, body in rows:
        invitation_id = invited[member_id]
        if invitation_id in found:
            continue
        for token in _LINK_TOKEN.findall(body or ""):
            if hash_invitation_token(token) == hashes.get(invitation_id):
                found[invitation_id] = token
                break
    return found


# --- automatic reminders ------------------------------------------------------------------------


def queue_due_reminders(campaign: Campaign, *, now: datetime | None = None,
                        batch_size: int = BATCH_SIZE) -> SendReport:
    """Remind each invited member who has not completed, N days after their invitation or last
    reminder, at most M times from this campaign."""
    now = now or utcnow()
    campaign_id, days, limit = campaign.id, campaign.remind_after_days, campaign.reminder_limit or 1
    consultation = campaign.consultation
    if consultation.status is not ConsultationStatus.OPEN:
        return SendReport()
    due_before = now - timedelta(days=days)
    reminders_sent = (
        select(func.count(Message.id))
        .where(Message.campaign_id == campaign_id, Message.member_id == Member.id)
        .scalar_subquery()
    )
    due_clause = exists().where(
        Invitation.consultation_id == consultation.id, Invitation.member_id == Member.id,
        Invitation.sent_at.is_not(None), Invitation.completed_at.is_(None), Invitation.revoked_at.is_(None),
        func.coalesce(Invitation.reminded_at, Invitation.sent_at) <= due_before,
    )
    conditions = [due_clause, reminders_sent < limit]
    plan = plan_campaign(campaign, today=now.astimezone(LONDON).date())
    due = {r.member_id for r in _load_recipients(consultation, conditions)}
    deliveries = [(r, channel) for r, channel in plan.deliveries() if r.member_id in due]
    report = SendReport()
    if deliveries:
        texts = _Texts.of(campaign)
        for start in range(0, len(deliveries), batch_size):
            chunk = deliveries[start:start + batch_size]
            # Checked again under the campaign's lock: another tick may have reminded them meanwhile.
            if not _hold(campaign_id):
                db.session.rollback()
                report.stopped = True
                break
            still_due = {r.member_id for r in _load_recipients(
                consultation, [Member.id.in_([r.member_id for r, _ in chunk]), *conditions])}
            todo = [(r, channel) for r, channel in chunk if r.member_id in still_due]
            tokens = _known_tokens(texts.consultation_id, [r for r, _ in todo])
            opted_out = active_opt_out_numbers(r.mobile for r, channel in todo if channel is MessageChannel.SMS)
            hold = {False: sms_not_before(now, youth=False), True: sms_not_before(now, youth=True)}
            for recipient, channel in todo:
                outcome = _queue_one(texts, recipient, channel, tokens, opted_out, hold[recipient.youth], now)
                report.queued += outcome is not None
                report.held_for_quiet_hours += outcome == "held"
            db.session.commit()
        log.info("campaign %s: %d reminders queued", campaign_id, report.queued)
    if dict(plan.left_out) != dict(campaign.left_out or {}):
        # Who the reminders leave out now, not added up tick after tick.
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(left_out=dict(plan.left_out)))
        db.session.commit()
    report.left_out = plan.left_out_total
    return report


def _finish_if_over(campaign: Campaign, now: datetime) -> bool:
    """An automatic reminder campaign ends when its consultation stops being open."""
    if campaign.consultation.status is ConsultationStatus.OPEN:
        return False
    finished = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.state == CampaignState.SENDING)
        .values(state=CampaignState.SENT, finished_at=now)
    ).rowcount
    db.session.commit()
    return bool(finished)


# --- the tick -------------------------------------------------------------------------------


def run_due_campaigns(now: datetime | None = None) -> dict[str, int]:
    """Start scheduled campaigns that are due, carry on sends a dead worker left, and queue due
    reminders. Safe to run every minute, and twice at once."""
    now = now or utcnow()
    started = reminders = 0
    due = list(db.session.scalars(
        select(Campaign.id).where(Campaign.state == CampaignState.SCHEDULED, Campaign.scheduled_for <= now)
        .order_by(Campaign.scheduled_for, Campaign.id)
    ))
    db.session.commit()  # end the read, so the claims see other ticks' commits
    for campaign_id in due:
        if not _claim(campaign_id, CampaignState.SCHEDULED, now, due=True):
            continue
        campaign = db.session.get(Campaign, campaign_id)
        try:
            check_can_send(campaign)
        except CampaignError as error:
            _give_up(campaign, str(error), now)
            continue
        record_audit_event(None, "campaign.started", "campaign", campaign_id, scheduled=True)
        db.session.commit()
        report = _run(campaign_id, None, now)
        started += 1
        reminders += report.queued if is_automatic(campaign) else 0
    running = db.session.execute(
        select(Campaign.id, Campaign.kind, Campaign.remind_after_days, Campaign.started_at)
        .where(Campaign.state == CampaignState.SENDING).order_by(Campaign.id)
    ).all()
    db.session.commit()
    for campaign_id, kind, remind_after_days, started_at in running:
        if campaign_id in due:
            continue
        if kind is CampaignKind.REMINDER and remind_after_days:
            campaign = db.session.get(Campaign, campaign_id)
            if _finish_if_over(campaign, now):
                continue
            reminders += queue_due_reminders(campaign, now=now).queued
        elif started_at is not None and started_at <= now - STALE_SEND:
            log.warning("campaign %s was left part sent; carrying on", campaign_id)
            _run(campaign_id, None, now)
    return {"campaigns started": started, "reminders queued": reminders}


def _give_up(campaign: Campaign, reason: str, now: datetime) -> None:
    """A scheduled campaign that can no longer go (the consultation closed, say) is cancelled, saying why."""
    campaign.state, campaign.finished_at = CampaignState.CANCELLED, now
    campaign.left_out = {**(campaign.left_out or {}), "not_sent": reason}
    record_audit_event(None, "campaign.cancelled", "campaign", campaign.id, reason=reason)
    db.session.commit()
    log.warning("scheduled campaign %s not sent: %s", campaign.id, reason)


# --- reading --------------------------------------------------------------------------------

COUNTED_STATES = (MessageState.QUEUED, MessageState.SENDING, MessageState.SENT, MessageState.DELIVERED,
                  MessageState.UNDELIVERED, MessageState.FAILED, MessageState.CANCELLED)
CHARGED_STATES = (MessageState.SENT, MessageState.DELIVERED, MessageState.UNDELIVERED)
STATE_LABELS = {
    MessageState.QUEUED: "Queued (waiting to go, or held for quiet hours)",
    MessageState.SENDING: "Sending",
    MessageState.SENT: "Sent",
    MessageState.DELIVERED: "Delivered",
    MessageState.UNDELIVERED: "Undelivered",
    MessageState.FAILED: "Failed",
    MessageState.CANCELLED: "Cancelled (opted out, or the campaign was cancelled)",
}


@dataclass
class CampaignCounts:
    by_state: dict[MessageState, dict[MessageChannel, int]]
    segments_charged: int
    price_per_segment: float
    held: int  # queued texts waiting for quiet hours to end

    def count(self, state: MessageState, channel: MessageChannel | None = None) -> int:
        row = self.by_state.get(state, {})
        return row.get(channel, 0) if channel else sum(row.values())

    @property
    def total(self) -> int:
        return sum(self.count(state) for state in COUNTED_STATES)

    @property
    def cost_so_far(self) -> float:
        return round(self.segments_charged * self.price_per_segment, 2)

    @property
    def opted_out(self) -> int:
        return self.count(MessageState.CANCELLED)


def campaign_counts(campaign: Campaign, *, now: datetime | None = None) -> CampaignCounts:
    """Its messages by state and channel, and what the texts sent so far cost, in two grouped queries."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Message.state, Message.channel, func.count(Message.id))
        .where(Message.campaign_id == campaign.id).group_by(Message.state, Message.channel)
    ).all()
    by_state: dict[MessageState, dict[MessageChannel, int]] = {}
    for state, channel, count in rows:
        by_state.setdefault(MessageState(state), {})[MessageChannel(channel)] = count
    segments, held = db.session.execute(
        select(func.coalesce(func.sum(Message.segments).filter(Message.state.in_(CHARGED_STATES)), 0),
               func.count(Message.id).filter(Message.state == MessageState.QUEUED, Message.next_attempt_at > now))
        .where(Message.campaign_id == campaign.id, Message.channel == MessageChannel.SMS)
    ).one()
    return CampaignCounts(by_state, int(segments or 0), current_app.config["SMS_PRICE_PER_SEGMENT"], held)


def list_campaigns(consultation: Consultation) -> list[tuple[Campaign, int]]:
    """The consultation's campaigns, newest first, each with how many messages it made."""
    counts = (select(Message.campaign_id, func.count(Message.id).label("made"))
              .group_by(Message.campaign_id).subquery())
    rows = db.session.execute(
        select(Campaign, func.coalesce(counts.c.made, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .where(Campaign.consultation_id == consultation.id).order_by(Campaign.id.desc())
    ).all()
    return [(campaign, made) for campaign, made in rows]


def get_campaign(consultation: Consultation, campaign_id: int) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.id == campaign_id,
                                                    Campaign.consultation_id == consultation.id))


def left_out_list(campaign: Campaign) -> list[tuple[str, int]]:
    stored = campaign.left_out or {}
    return [(LEFT_OUT_REASONS[reason], stored[reason]) for reason in LEFT_OUT_REASONS if stored.get(reason)]
