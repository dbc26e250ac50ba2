"""Incoming texts: keywords, answers, joining by text, and the officer inbox.

Every text is recorded first (one row per Twilio MessageSid, so a retried webhook acts
once and gets the same reply again), then read in this order: opt-out and opt-in keywords,
HELP, a plain-words request to stop ("please stop texting me"), a JOIN keyword, the number's
conversation or SMS poll, and finally the officer inbox. Keywords always win.

Replies go back in the webhook's TwiML answer, which Twilio sends itself. Each is kept as a
Message row (purpose "sms_reply", state "sent", never dispatched) so the outbox and the
audit trail show every text that went to a number, including these.
"""

import logging
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import sms
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging import conversations
from epanel.messaging.conversations import Handled
from epanel.messaging.models import InboundKind, InboundMessage, Message, MessageChannel, MessageState
from epanel.messaging.outbox import (
    UnsendableNumber,
    is_opted_out,
    queue_sms,
    record_opt_in,
    record_opt_out,
)
from epanel.panels.models import Member, MemberStatus
from epanel.panels.queries import find_member_by_mobile
from epanel.privacy.audit import record_audit_event
from epanel.privacy.models import Consent, ConsentChannel, ConsentKind

log = logging.getLogger(__name__)

# Twilio's own opt-out words (Advanced Opt-Out), which carriers expect every sender to honour.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
# YES is Twilio's opt-in word too, but it is also an answer to yes/no polls: it opts in only a
# number that has opted out (which cannot be in a poll), and otherwise reads as an answer.
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
REPLY_PURPOSE = "sms_reply"
OFFICER_REPLY_PURPOSE = "officer_reply"
MAX_STORED_BODY = 1600  # Twilio's own limit for one message; longer bodies are cut, not refused

# Asking, in one's own words, not to be texted. UK GDPR lets people withdraw consent however they
# like, and PECR expects an objection to be honoured: these are opt-outs, and an officer sees them.
_COMPLAINTS = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"\bstop\b.*\b(text|texts|texting|txt|txting|messag\w*|sms|contact\w*|sending)\b",
    r"^\W*(please\s+|pls\s+|plz\s+)?(stop\W*)+(please|pls|plz|it|now|now please)?\W*$",
    r"\b(don'?t|do not|dont|never)\b.*\b(text|txt|message|contact|sms)\b",
    r"\b(remove|delete|take)\s+(me|my number|my details|this number)\b",
    r"\bno more (texts|txts|messages|sms)\b",
    r"\bleave me alone\b",
    r"\bwrong number\b",
    r"\bunsubscribe\b",
    r"\bopt\s*-?\s*(me\s+)?out\b",
)]


def _keyword(body: str) -> str:
    """'  Stop. ' -> 'stop'; 'STOP ALL' -> 'stopall'; anything long is no keyword."""
    if len(body) > 20:
        return ""
    return re.sub(r"[\W_]+", "", body.lower())


def is_complaint(body: str) -> bool:
    return any(pattern.search(body) for pattern in _COMPLAINTS)


def _sender_number(raw: str) -> str:
    """The sender in E.164 when it is a phone number; otherwise (a short code, a name) as given."""
    try:
        return sms.to_e164(raw)
    except sms.InvalidNumber:
        return raw.strip()[:32]


def receive(message: sms.InboundMessage) -> str | None:
    """Record an incoming text, act on it, and return the reply to send back (None: no reply).

    A retry of a text already acted on is caught by the unique MessageSid when its row is
    flushed, not by looking first: retries are rare and every text would pay for the look.
    """
    number = _sender_number(message.sender)
    member = find_member_by_mobile(number) if number.startswith("+") else None
    inbound = InboundMessage(
        provider_id=message.provider_id[:64], from_number=number, to_number=(message.recipient or "")[:32] or None,
        body=message.body[:MAX_STORED_BODY], media_count=message.media_count, received_at=utcnow(),
        member_id=member.id if member else None, kind=InboundKind.OTHER, needs_officer=False,
    )
    db.session.add(inbound)
    try:
        # The row goes in once, with what it was taken as, unless acting on it needs it sooner.
        with db.session.no_autoflush:
            handled = _act(inbound, member)
        inbound.kind, inbound.needs_officer = handled.kind, handled.needs_officer
        if handled.reply:
            inbound.reply = _record_reply(inbound, handled.reply)
        db.session.flush()
        inbound_id, member_id = inbound.id, inbound.member_id  # read before the commit expires them
        db.session.commit()
    except IntegrityError:
        # A retry of a text already acted on (or one racing it): everything done here is undone.
        db.session.rollback()
        earlier = _find_by_provider_id(message.provider_id)
        if earlier is None:
            raise
        return _repeat_reply(earlier)
    log.info("inbound text %s from %s taken as %s%s", inbound_id, f"member {member_id}" if member_id else "unknown",
             handled.kind.value, " (for an officer)" if handled.needs_officer else "")
    return handled.reply


def _find_by_provider_id(provider_id: str) -> InboundMessage | None:
    return db.session.scalar(select(InboundMessage).where(InboundMessage.provider_id == provider_id[:64]))


def _repeat_reply(inbound: InboundMessage) -> str | None:
    """Twilio retried a webhook we already acted on: answer the same again, and do nothing more."""
    log.info("inbound text %s arrived again; not acted on twice", inbound.id)
    reply = inbound.reply
    return reply.body if reply is not None and reply.purpose == REPLY_PURPOSE else None


def _act(inbound: InboundMessage, member: Member | None) -> Handled:
    body, number = inbound.body, inbound.from_number
    keyword = _keyword(body)
    if keyword in STOP_WORDS:
        return _opt_out(number, member, f"replied {keyword.upper()} by text", InboundKind.STOP)
    opted_out = is_opted_out(number)
    if keyword in START_WORDS or (keyword == "yes" and opted_out):
        return _opt_in(number, member, keyword)
    complaint = bool(body) and is_complaint(body)
    if opted_out:
        # A number that opted out gets nothing but the STOP confirmation; a person reads what it sent.
        if complaint:
            return Handled(InboundKind.COMPLAINT, needs_officer=True)
        if keyword in HELP_WORDS:
            return Handled(InboundKind.HELP)
        return Handled(InboundKind.OTHER, needs_officer=True)
    if keyword in HELP_WORDS:
        return Handled(InboundKind.HELP, help_text())
    if complaint:
        handled = _opt_out(number, member, "asked by text not to be texted", InboundKind.COMPLAINT)
        return Handled(InboundKind.COMPLAINT, handled.reply, needs_officer=True)
    join_slug = conversations.join_keywords().get(keyword)
    if join_slug:
        return conversations.start_join(inbound, member, join_slug)
    if not body:  # a picture or an empty text: nothing to read as an answer
        return Handled(InboundKind.OTHER, needs_officer=True)
    return conversations.continue_conversation(inbound, member) or Handled(InboundKind.OTHER, needs_officer=True)


def help_text() -> str:
    config = current_app.config
    return (f"{config['COUNCIL_NAME']}: texts about our consultations and panels. Questions? Email "
            f"{config['COUNCIL_CONTACT_EMAIL']}. Text STOP to stop getting texts.")


def stop_text() -> str:
    return f"{current_app.config['COUNCIL_NAME']}: you will get no more texts from us. Text START to get them again."


def start_text() -> str:
    return f"{current_app.config['COUNCIL_NAME']}: you will get our texts again. Text STOP to stop them."


def _opt_out(number: str, member: Member | None, how: str, kind: InboundKind) -> Handled:
    """Stop every text to the number at once, withdraw the member's SMS consent, and record it."""
    newly = record_opt_out(number, how)
    conversations.end_conversations(number, "opted out")
    if member is not None:
        withdraw_sms_consent(member, how)
    record_audit_event(None, "sms.opted_out", "member" if member else "phone_number",
                       member.id if member else number, how=how, already=not newly)
    return Handled(kind, stop_text())


def withdraw_sms_consent(member: Member, how: str) -> None:
    """The member's current consent to texts is withdrawn, and texts are off in their preferences."""
    now = utcnow()
    for consent in db.session.scalars(select(Consent).where(
        Consent.member_id == member.id, Consent.kind == ConsentKind.SMS, Consent.withdrawn_at.is_(None),
    )):
        consent.withdrawn_at, consent.withdrawn_how = now, how[:200]
    member.contact_by_sms = False


def _opt_in(number: str, member: Member | None, keyword: str) -> Handled:
    """START: texts may go to the number again, and a member who stopped by text has texts back on."""
    record_opt_in(number)
    if member is not None and member.status is not MemberStatus.LEFT and not member.contact_by_sms:
        member.contact_by_sms = True
        db.session.add(Consent(member=member, kind=ConsentKind.SMS, channel=ConsentChannel.SMS,
                               notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                               given_by=f"texted {keyword.upper()}"))
    record_audit_event(None, "sms.opted_in", "member" if member else "phone_number",
                       member.id if member else number, how=f"texted {keyword.upper()}")
    return Handled(InboundKind.START, start_text())


def _record_reply(inbound: InboundMessage, body: str) -> Message:
    """Keep the TwiML reply as a sent message: Twilio sends it, the record shows it went."""
    now = utcnow()
    message = Message(channel=MessageChannel.SMS, purpose=REPLY_PURPOSE, to_address=inbound.from_number, body=body,
                      segments=sms.count_segments(body).segments, member_id=inbound.member_id,
                      state=MessageState.SENT, attempts=1, queued_at=now, sent_at=now)
    db.session.add(message)
    return message


# --- the officer inbox --------------------------------------------------------------------------


class InboxError(ValueError):
    """An inbox action that cannot go ahead; the message is for the officer."""


@dataclass(frozen=True)
class InboxPage:
    messages: list[InboundMessage]
    total: int
    page: int
    pages: int


INBOX_PAGE_SIZE = 25


def _inbox_filter(handled: bool):
    return (InboundMessage.needs_officer.is_(True),
            InboundMessage.handled_at.is_not(None) if handled else InboundMessage.handled_at.is_(None))


def find_inbox(*, handled: bool = False, kind: InboundKind | None = None, page: int = 1) -> InboxPage:
    """Texts an officer needs to see (or has dealt with), newest first, a page at a time."""
    conditions = list(_inbox_filter(handled))
    if kind is not None:
        conditions.append(InboundMessage.kind == kind)
    total = db.session.scalar(select(func.count(InboundMessage.id)).where(*conditions))
    pages = max(1, -(-total // INBOX_PAGE_SIZE))
    page = min(max(page, 1), pages)
    messages = list(db.session.scalars(
        select(InboundMessage).where(*conditions)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .offset((page - 1) * INBOX_PAGE_SIZE).limit(INBOX_PAGE_SIZE)
    ))
    return InboxPage(messages, total, page, pages)


def count_inbox_by_kind(*, handled: bool = False) -> dict[InboundKind, int]:
    rows = db.session.execute(
        select(InboundMessage.kind, func.count(InboundMessage.id)).where(*_inbox_filter(handled))
        .group_by(InboundMessage.kind)
    ).all()
    return {InboundKind(kind): count for kind, count in rows}


def get_inbound(inbound_id: int) -> InboundMessage | None:
    return db.session.get(InboundMessage, inbound_id)


def texts_with_number(number: str, limit: int = 20) -> list[tuple[str, object]]:
    """The latest texts to and from a number, oldest first: ("in", InboundMessage) or ("out", Message)."""
    received = db.session.scalars(select(InboundMessage).where(InboundMessage.from_number == number)
                                  .order_by(InboundMessage.id.desc()).limit(limit))
    sent = db.session.scalars(select(Message).where(Message.channel == MessageChannel.SMS,
                                                    Message.to_address == number)
                              .order_by(Message.id.desc()).limit(limit))
    both = [("in", m.received_at, m) for m in received] + [("out", m.queued_at, m) for m in sent]
    return [(direction, message) for direction, _, message in sorted(both, key=lambda item: item[1])][-limit:]


def record_inbound_view(inbound: InboundMessage, actor) -> None:
    """Note that an officer read a text (it is personal data)."""
    record_audit_event(actor, "inbound_text.viewed", "inbound_message", inbound.id)
    db.session.commit()


def mark_handled(inbound: InboundMessage, actor) -> None:
    """Take a text off the list of those waiting for an officer."""
    if inbound.handled_at is None:
        inbound.handled_at, inbound.handled_by_id = utcnow(), actor.id
        record_audit_event(actor, "inbound_text.handled", "inbound_message", inbound.id)
        db.session.commit()
        log.info("inbound text %s handled by user %s", inbound.id, actor.id)


def reply_to_text(inbound: InboundMessage, body: str, actor) -> Message:
    """An officer's reply by text, through the outbox; the text then counts as handled."""
    body = body.strip()
    if not body:
        raise InboxError("Enter your reply")
    if is_opted_out(inbound.from_number):
        raise InboxError("This number has opted out of texts (it asked us to stop), so you cannot reply by "
                         "text. Contact the person another way if you must.")
    try:
        message = queue_sms(inbound.from_number, body, purpose=OFFICER_REPLY_PURPOSE, member_id=inbound.member_id)
    except UnsendableNumber:
        raise InboxError("We cannot send a text to this sender (it is not a mobile number)") from None
    db.session.flush()
    inbound.reply = message
    if inbound.handled_at is None:
        inbound.handled_at, inbound.handled_by_id = utcnow(), actor.id
    record_audit_event(actor, "inbound_text.replied", "inbound_message", inbound.id, message_id=message.id,
                       member_id=inbound.member_id)
    db.session.commit()
    log.info("officer %s replied to inbound text %s", actor.id, inbound.id)
    return message
