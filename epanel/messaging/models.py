"""The outbox and the SMS conversation records.

Like privacy's models, these sit low in the stack: every domain that decides to send
something writes a Message row in its own transaction (see epanel.messaging.outbox),
so this module names other domains' tables only by string.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epanel.common.time import utcnow
from epanel.common.types import UTCDateTime, enum_column
from epanel.extensions import db


class MessageChannel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return {"sms": "Text message", "email": "Email"}[self.value]


class MessageState(enum.StrEnum):
    """Where one outgoing message is. Only ever moves forward (see RANK)."""

    QUEUED = "queued"  # in the outbox, waiting for a worker (or for its next attempt)
    SENDING = "sending"  # a worker has claimed it and is handing it to the provider
    SENT = "sent"  # the provider has it
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # never sent: opted out, campaign cancelled, or an officer stopped it

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_final(self) -> bool:
        return self in FINAL_MESSAGE_STATES


FINAL_MESSAGE_STATES = frozenset(
    {MessageState.DELIVERED, MessageState.UNDELIVERED, MessageState.FAILED, MessageState.CANCELLED}
)

# How far along each state is; a report may only move a message to a higher rank, so a
# late "sent" never overwrites "delivered" and a repeated callback changes nothing.
RANK = {
    MessageState.QUEUED: 0,
    MessageState.SENDING: 1,
    MessageState.SENT: 2,
    MessageState.DELIVERED: 3,
    MessageState.UNDELIVERED: 3,
    MessageState.FAILED: 3,
    MessageState.CANCELLED: 3,
}


def _new_reference() -> str:
    return uuid.uuid4().hex


class Message(db.Model):
    """One outgoing SMS or e-mail. The row, not any queue, is the truth about it."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_messages_campaign_state", "campaign_id", "state"),
        Index("ix_messages_member_channel", "member_id", "channel"),
        Index("ix_messages_to_address", "to_address"),
        # Retention's purge (privacy/retention.py) finds old messages not yet purged without a table
        # scan: only rows still holding an address are in this index, so it shrinks as they are purged.
        Index("ix_messages_unpurged_queued_at", "queued_at", sqlite_where=text("to_address != '(removed)'"),
              postgresql_where=text("to_address != '(removed)'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Our id for the message at the provider: it rides on the status callback URL.
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=_new_reference)
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel, length=10))
    # What it is for: invitation, reminder, alert, results, sign_up_code, sms_reply, account, ...
    purpose: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254))  # E.164 for SMS, lower-case for e-mail
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    segments: Mapped[int | None] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    state: Mapped[MessageState] = mapped_column(enum_column(MessageState), default=MessageState.QUEUED)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not before this time: quiet hours, a scheduled send, or the back-off before a retry.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when no worker can safely decide what happened (an e-mail left in "sending").
    needs_attention: Mapped[str | None] = mapped_column(String(300))

    member = relationship("Member")
    campaign: Mapped["Campaign | None"] = relationship(back_populates="messages")

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.channel} {self.state}>"


class SmsOptOut(db.Model):
    """A number that said STOP (or that the carrier reports as opted out): never texted until START."""

    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    how: Mapped[str] = mapped_column(String(120))  # "replied STOP", "carrier error 21610", ...
    # Kept, not deleted, when the number texts START again: the history matters to an auditor.
    opted_in_again_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.opted_in_again_at is None


class CampaignKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    ALERT = "alert"
    RESULTS = "results"

    @property
    def label(self) -> str:
        return {"invitation": "Invitation", "reminder": "Reminder", "alert": "Alert",
                "results": "Results notice"}[self.value]


class CampaignChannel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PREFERRED = "preferred"  # each member's own choice: text if they asked for texts, else e-mail

    @property
    def label(self) -> str:
        return {"sms": "Text message", "email": "Email",
                "preferred": "Each member's preferred channel"}[self.value]


class CampaignState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Campaign(db.Model):
    """A batch of messages for a consultation: who, by which channel, what it says, and when."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_state_scheduled_for", "state", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CampaignKind] = mapped_column(enum_column(CampaignKind))
    channel: Mapped[CampaignChannel] = mapped_column(enum_column(CampaignChannel))
    state: Mapped[CampaignState] = mapped_column(enum_column(CampaignState), default=CampaignState.DRAFT)
    email_subject: Mapped[str | None] = mapped_column(String(300))
    email_body: Mapped[str | None] = mapped_column(Text)
    sms_body: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Automatic reminders: this many days after each invitation, at most `reminder_limit` of them.
    remind_after_days: Mapped[int | None] = mapped_column(Integer)
    reminder_limit: Mapped[int | None] = mapped_column(Integer)
    # Reminders to one group only, such as {"ward": "North"} (age band, gender, ward), chosen from
    # the representativeness page; None for everyone the kind of campaign reaches.
    segment: Mapped[dict | None] = mapped_column(JSON)
    # Members left out when the campaign was sent, by reason: {"opted_out": 3, "no_contact": 1, ...}
    left_out: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation = relationship("Consultation")
    created_by = relationship("User")
    messages: Mapped[list[Message]] = relationship(back_populates="campaign", passive_deletes=True)


class InboundKind(enum.StrEnum):
    """What an incoming text was taken as."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    ANSWER = "answer"  # an SMS poll answer or a step of an SMS survey
    UNCLEAR = "unclear"  # looked like an answer but was not one: a retry prompt went back
    JOIN = "join"  # a JOIN keyword or a step of the sign-up conversation
    COMPLAINT = "complaint"  # "please stop texting me": not a keyword, but an officer must see it
    OTHER = "other"  # anything else: goes to the officer inbox

    @property
    def label(self) -> str:
        return {"stop": "Opt-out (STOP)", "start": "Opt-in again (START)", "help": "Help request",
                "answer": "Answer", "unclear": "Unclear answer", "join": "Joining by text",
                "complaint": "Asked not to be texted", "other": "Message for an officer"}[self.value]


class InboundMessage(db.Model):
    """A text someone sent us, and what we took it as."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_messages_from_number", "from_number"),
        Index("ix_inbound_messages_needs_officer", "needs_officer", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)  # Twilio retries repeat it
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    kind: Mapped[InboundKind] = mapped_column(enum_column(InboundKind), default=InboundKind.OTHER)
    needs_officer: Mapped[bool] = mapped_column(default=False)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reply_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    member = relationship("Member")
    handled_by = relationship("User")
    reply = relationship(Message)


class ConversationKind(enum.StrEnum):
    POLL = "poll"  # one question offered by SMS
    SURVEY = "survey"  # a short consultation, one question at a time
    JOIN = "join"  # signing up by text


class SmsConversation(db.Model):
    """Where a number is in a conversation by text, so the next reply can be read in context."""

    __tablename__ = "sms_conversations"
    __table_args__ = (Index("ix_sms_conversations_number_finished", "number", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164
    kind: Mapped[ConversationKind] = mapped_column(enum_column(ConversationKind))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    # The question being asked (poll, survey) or the sign-up step (join).
    step: Mapped[str | None] = mapped_column(String(40))
    # Answers gathered so far (join) or the response id (survey), as the kind needs.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    unclear_replies: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member = relationship("Member")
    consultation = relationship("Consultation")
