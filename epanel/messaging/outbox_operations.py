"""Officer actions on the outbox (resend, mark as sent) and the development phone's texts.

Each action commits here and leaves an audit event. Both take the message row's write lock
before deciding, so two officers pressing the same button at once act once.
"""

import logging
import uuid
from collections import deque
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

import sms
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging import inbound, outbox
from epanel.messaging.models import InboundMessage, Message, MessageState
from epanel.messaging.queries import ThreadItem, find_later_copy, inbound_reply_is_recorded
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

RESENDABLE_STATES = frozenset({MessageState.FAILED, MessageState.UNDELIVERED})


class OutboxActionError(Exception):
    """An officer's action that cannot be done; the message says why, for the officer."""


def _hold(message: Message) -> None:
    """Lock the row (a no-op UPDATE) and re-read it, so the decision sees any action just committed."""
    table = Message.__table__
    db.session.execute(update(table).where(table.c.id == message.id).values(attempts=table.c.attempts))
    db.session.refresh(message)


def _is_flagged(message: Message) -> bool:
    return message.needs_attention is not None and message.state is MessageState.SENDING


def resend_message(message: Message, actor) -> Message:
    """Queue a fresh copy of a failed, undelivered or flagged message; refused for an opted-out number."""
    _hold(message)
    if message.state not in RESENDABLE_STATES and not _is_flagged(message):
        db.session.rollback()
        raise OutboxActionError(
            f"Message {message.id} is {message.state.label.lower()}: only a failed or undelivered message, "
            "or one flagged for attention, can be resent")
    later = find_later_copy(message)
    if later is not None:
        db.session.rollback()
        raise OutboxActionError(f"Message {message.id} has already been sent again as message {later.id}")
    try:
        copy = outbox.resend(message)
    except outbox.UnsendableNumber as error:
        db.session.rollback()
        raise OutboxActionError(f"Message {message.id} was not resent. {error}.") from None
    db.session.flush()
    record_audit_event(actor, "message.resent", "message", message.id, new_message_id=copy.id,
                       channel=message.channel.value, purpose=message.purpose)
    db.session.commit()
    log.info("message %s resent as message %s by %s", message.id, copy.id, getattr(actor, "email", actor))
    return copy


def mark_message_sent(message: Message, actor) -> None:
    """Settle a flagged message as sent (the officer knows it arrived), so nothing sends it again."""
    table = Message.__table__
    now = utcnow()
    changed = db.session.execute(
        update(table)
        .where(table.c.id == message.id, table.c.state == MessageState.SENDING.value,
               table.c.needs_attention.is_not(None))
        .values(state=MessageState.SENT.value, needs_attention=None, next_attempt_at=None,
                sent_at=message.sent_at or now, error_message="Marked as sent by an officer")
    ).rowcount
    if not changed:
        db.session.rollback()
        raise OutboxActionError(f"Message {message.id} no longer needs attention, so it was left as it is")
    record_audit_event(actor, "message.marked_sent", "message", message.id, channel=message.channel.value,
                       purpose=message.purpose)
    db.session.commit()
    log.info("message %s marked as sent by %s", message.id, getattr(actor, "email", actor))


# --- the development phone ---------------------------------------------------------------------

# The number texts from the simulator are addressed to when the app has no Twilio number
# (Ofcom's drama range, so it can never be a real phone).
SIMULATOR_SERVICE_NUMBER = "+447700900000"
_KEPT = "epanel_dev_phone_kept"


@dataclass(frozen=True)
class SimulatedText:
    provider_id: str
    reply: str | None
    reply_recorded: bool


def _kept() -> deque:
    """Texts the handler did not store, kept in this process so the simulator can still show them."""
    return current_app.extensions.setdefault(_KEPT, deque(maxlen=200))


def kept_thread_items(number: str) -> list[ThreadItem]:
    return [item for kept_number, item in list(_kept()) if kept_number == number]


def receive_simulated_text(number: str, body: str) -> SimulatedText:
    """Hand a text typed into the phone simulator to the same handler a real one reaches.

    Development only. Whatever the handler stores shows in the thread from the database;
    what it does not store (its reply, or the text itself) is kept in memory instead, so
    the simulator shows what a phone would have seen.
    """
    text = sms.InboundMessage(
        provider_id="SMdev" + uuid.uuid4().hex[:29],
        sender=number,
        recipient=current_app.config.get("TWILIO_FROM_NUMBER") or SIMULATOR_SERVICE_NUMBER,
        body=body.strip(),
        media_count=0,
    )
    sent_at = utcnow()
    reply = inbound.receive(text)
    db.session.commit()  # whatever the handler left pending; a no-op when it committed itself
    stored = db.session.scalar(select(InboundMessage.id).where(InboundMessage.provider_id == text.provider_id))
    if stored is None:
        _kept().append((number, ThreadItem(sent_at, True, text.body, key=f"in-{text.provider_id}")))
    recorded = inbound_reply_is_recorded(text.provider_id)
    if reply and not recorded:
        _kept().append((number, ThreadItem(utcnow(), False, reply, key=f"reply-{text.provider_id}")))
    log.info("phone simulator: %s texted %d characters (reply: %s)", number, len(text.body),
             "stored" if recorded else "kept in memory" if reply else "none")
    return SimulatedText(text.provider_id, reply, recorded)
