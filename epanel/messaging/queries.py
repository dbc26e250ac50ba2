"""Reads for the outbox pages: counts, the message list, what needs an officer, a phone's thread."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

import sms
from epanel.extensions import db
from epanel.messaging.models import InboundMessage, Message, MessageChannel, MessageState, SmsOptOut
from epanel.panels.models import Member

MASK = "•"

# Twilio's error codes in words an officer can act on; the numbers stay beside them for Twilio's support.
ERROR_WORDS = {
    21211: "Not a valid phone number",
    21408: "Our Twilio account is not allowed to text this country",
    21610: "The person replied STOP, so the network will not pass on our texts",
    21612: "This number cannot receive text messages",
    21614: "Not a mobile number",
    30003: "The phone was switched off or out of signal",
    30004: "Blocked by the person or their mobile network",
    30005: "The number does not exist or is no longer in use",
    30006: "A landline, or a network that cannot take texts",
    30007: "The mobile network filtered it out as possible spam",
    30008: "The mobile network did not say why it was not delivered",
    20429: "Too many texts at once: ePanel slowed down and tried again",
    21611: "Too many texts waiting at Twilio: ePanel slowed down and tried again",
    30001: "Too many texts waiting at Twilio: ePanel slowed down and tried again",
    20500: "Twilio had a fault",
    20503: "Twilio was not available",
}


# --- masking -----------------------------------------------------------------------------------


def mask_number(number: str) -> str:
    """A phone number with all but its last 3 digits hidden: '+447700900123' -> '07••• •••123'."""
    if number.startswith("+44") and len(number) == 13:
        national = "0" + number[3:]
        hidden = national[:2] + MASK * (len(national) - 5) + national[-3:]
        return f"{hidden[:5]} {hidden[5:]}"
    return MASK * max(len(number) - 3, 0) + number[-3:]


def mask_email(address: str) -> str:
    """An e-mail address with its local part hidden but for the first letter: 's•••@example.org'."""
    local, at, domain = address.partition("@")
    if not at:
        return MASK * 3
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_recipient(message: Message) -> str:
    return mask_number(message.to_address) if message.channel is MessageChannel.SMS else mask_email(message.to_address)


def describe_error(message: Message) -> str:
    """What went wrong with a message, in words, or '' when nothing did."""
    words = ERROR_WORDS.get(message.error_code) if message.error_code else None
    if words:
        return f"{words} (error {message.error_code})"
    if message.error_message and message.error_code:
        return f"{message.error_message} (error {message.error_code})"
    if message.error_message:
        return message.error_message
    return f"Error {message.error_code}" if message.error_code else ""


# --- counts and the list -----------------------------------------------------------------------


@dataclass
class OutboxCounts:
    """How many messages are in each state, by channel."""

    by_state: dict[MessageState, dict[MessageChannel, int]]

    def total(self, state: MessageState | None = None, channel: MessageChannel | None = None) -> int:
        states = [state] if state else list(MessageState)
        return sum(self.by_state[s][c] for s in states for c in MessageChannel if channel in (None, c))


def count_messages() -> OutboxCounts:
    rows = db.session.execute(
        select(Message.state, Message.channel, func.count(Message.id)).group_by(Message.state, Message.channel)
    ).all()
    by_state = {state: {channel: 0 for channel in MessageChannel} for state in MessageState}
    for state, channel, count in rows:
        by_state[MessageState(state)][MessageChannel(channel)] = count
    return OutboxCounts(by_state)


@dataclass
class OutboxFilters:
    """What an officer narrowed the message list to. Empty values mean 'any'."""

    state: str = ""
    channel: str = ""
    purpose: str = ""
    recipient: str = ""  # a whole phone number or e-mail address

    def as_query_args(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if value}


def _recipient_value(recipient: str) -> str:
    """The form messages store a recipient in: E.164 for a phone number, lower case for e-mail."""
    recipient = recipient.strip()
    if "@" in recipient:
        return recipient.lower()
    try:
        return sms.to_e164(recipient)
    except sms.InvalidNumber:
        return recipient


def _filtered(query, filters: OutboxFilters):
    if filters.state in MessageState.__members__.values():
        query = query.where(Message.state == MessageState(filters.state))
    if filters.channel in MessageChannel.__members__.values():
        query = query.where(Message.channel == MessageChannel(filters.channel))
    if filters.purpose:
        query = query.where(Message.purpose == filters.purpose)
    if filters.recipient.strip():
        query = query.where(func.lower(Message.to_address) == _recipient_value(filters.recipient).lower())
    return query


@dataclass
class MessagePage:
    messages: list[Message]
    total: int
    next_after: int | None = None
    filters: OutboxFilters = field(default_factory=OutboxFilters)


def find_messages(filters: OutboxFilters, *, after_id: int | None = None, page_size: int = 50) -> MessagePage:
    """One page of messages, newest first, paged by id so deep pages stay as fast as the first."""
    query = _filtered(select(Message), filters).order_by(Message.id.desc())
    if after_id is not None:
        query = query.where(Message.id < after_id)
    rows = list(db.session.scalars(query.limit(page_size + 1)))
    total = db.session.scalar(_filtered(select(func.count(Message.id)), filters))
    next_after = rows[page_size - 1].id if len(rows) > page_size else None
    return MessagePage(rows[:page_size], total, next_after, filters)


def list_purposes() -> list[str]:
    return sorted(db.session.scalars(select(Message.purpose).distinct()))


def get_message(message_id: int) -> Message | None:
    return db.session.get(Message, message_id)


# --- what needs an officer ---------------------------------------------------------------------


def _later_copy():
    """A later message with the same channel, recipient and words: a resend, or the same text sent again."""
    later = aliased(Message)
    return exists().where(later.id > Message.id, later.channel == Message.channel,
                          later.to_address == Message.to_address, later.body == Message.body)


def _opted_out():
    return exists().where(SmsOptOut.number == Message.to_address, SmsOptOut.opted_in_again_at.is_(None),
                          Message.channel == MessageChannel.SMS)


def _needs_attention_clause():
    """Flagged rows (an e-mail a dead worker left in "sending"), and failed messages an officer
    can still do something about: not resent already, and not to a number that opted out."""
    return or_(
        and_(Message.needs_attention.is_not(None), Message.state == MessageState.SENDING),
        and_(Message.state == MessageState.FAILED, ~_later_copy(), ~_opted_out()),
    )


@dataclass
class AttentionList:
    messages: list[Message]
    total: int


def find_messages_needing_attention(limit: int = 20) -> AttentionList:
    """The newest messages an officer should look at, and how many there are in all."""
    clause = _needs_attention_clause()
    rows = list(db.session.scalars(select(Message).where(clause).order_by(Message.id.desc()).limit(limit)))
    total = db.session.scalar(select(func.count(Message.id)).where(clause))
    return AttentionList(rows, total)


def find_later_copy(message: Message) -> Message | None:
    """The first later message with the same channel, recipient and words, if there is one."""
    return db.session.scalar(
        select(Message).where(Message.id > message.id, Message.channel == message.channel,
                              Message.to_address == message.to_address, Message.body == message.body)
        .order_by(Message.id).limit(1)
    )


# --- the development phone ---------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    """One text in a phone's conversation with the council."""

    at: datetime
    incoming: bool  # True: the phone sent it to us
    body: str
    state: MessageState | None = None  # outgoing texts only
    kind_label: str | None = None  # incoming texts: what ePanel took it as
    key: str = ""


def list_members_with_mobiles(limit: int = 500) -> list[Member]:
    return list(db.session.scalars(
        select(Member).where(Member.mobile.is_not(None)).order_by(Member.last_name, Member.first_name, Member.id)
        .limit(limit)
    ))


def find_member_by_mobile(number: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.mobile == number))


def get_phone_thread(number: str, *, extra: Iterable[ThreadItem] = (), limit: int = 100) -> list[ThreadItem]:
    """The latest texts between the council and `number`, oldest first, as a phone shows them.

    `extra` adds texts kept outside the database (replies the inbound handler returned
    without storing them), so the thread shows everything the phone would have received.
    """
    outgoing = db.session.scalars(
        select(Message).where(Message.channel == MessageChannel.SMS, Message.to_address == number)
        .order_by(Message.id.desc()).limit(limit)
    )
    incoming = db.session.scalars(
        select(InboundMessage).where(InboundMessage.from_number == number)
        .order_by(InboundMessage.id.desc()).limit(limit)
    )
    items = [ThreadItem(m.sent_at or m.queued_at, False, m.body, state=m.state, key=f"out-{m.id}") for m in outgoing]
    items += [ThreadItem(m.received_at, True, m.body, kind_label=m.kind.label, key=f"in-{m.provider_id}")
              for m in incoming]
    items += extra
    items.sort(key=lambda item: item.at)
    return items[-limit:]


def inbound_reply_is_recorded(provider_id: str) -> bool:
    """True when the inbound handler stored its reply to this text as an outbox message."""
    return db.session.scalar(
        select(InboundMessage.reply_message_id).where(InboundMessage.provider_id == provider_id)
    ) is not None
