"""The outbox: persist first, send second.

A domain that decides to send something calls queue_sms() or queue_email() inside its own
transaction; the message is a row before anything leaves. When that transaction commits,
the dispatcher (epanel.messaging.dispatch) hands the new ids to a worker, which calls
deliver(). Delivery claims rows with one conditional UPDATE, so only a row still queued is
ever sent and two workers never send the same one. A row a dead worker left in "sending" is
reconciled: looked up at the provider, never re-sent blindly.

Like privacy's models, queueing sits low in the stack: accounts, panels and respond import
queue_email/queue_sms; the rest of messaging (campaigns, inbound texts) sits above respond.
"""

import logging
import smtplib
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from sqlalchemy import and_, bindparam, or_, select, update

import sms
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging.models import RANK, Message, MessageChannel, MessageState, SmsOptOut
from epanel.messaging.ratecap import rate_cap_for

log = logging.getLogger(__name__)

OPTED_OUT = "The number has opted out of text messages (it replied STOP)"
STATUS_CALLBACK_PATH = "/sms/status"


class UnsendableNumber(ValueError):
    """A phone number no text can go to; the message says why, for the person who typed it."""


# --- queueing ----------------------------------------------------------------------------------


def sms_number(raw: str) -> str:
    """`raw` as E.164, or UnsendableNumber saying what is wrong with it."""
    try:
        return sms.to_e164(raw)
    except sms.InvalidNumber as error:
        raise UnsendableNumber(str(error)) from None


def active_opt_out_numbers(numbers: Iterable[str]) -> set[str]:
    numbers = list(numbers)
    if not numbers:
        return set()
    return set(db.session.scalars(
        select(SmsOptOut.number).where(SmsOptOut.number.in_(numbers), SmsOptOut.opted_in_again_at.is_(None))
    ))


def is_opted_out(number: str) -> bool:
    return bool(active_opt_out_numbers([number]))


def queue_sms(to: str, body: str, *, purpose: str, member_id: int | None = None, campaign_id: int | None = None,
              not_before: datetime | None = None, opted_out: bool | None = None) -> Message:
    """Add a text to the outbox in the caller's transaction; it goes once the caller commits.

    A number that opted out still gets a row, cancelled at once, so a campaign can count it
    and an auditor can see that nothing went. Raises UnsendableNumber for a number no text
    can reach. `opted_out` lets a caller that checked many numbers at once skip the query.
    """
    number = sms_number(to)
    message = Message(channel=MessageChannel.SMS, purpose=purpose, to_address=number, body=body,
                      segments=sms.count_segments(body).segments, member_id=member_id, campaign_id=campaign_id,
                      state=MessageState.QUEUED, next_attempt_at=not_before, attempts=0, queued_at=utcnow())
    if opted_out if opted_out is not None else is_opted_out(number):
        _cancel(message, OPTED_OUT)
    db.session.add(message)
    return message


def queue_email(to: str, subject: str, body: str, *, purpose: str, member_id: int | None = None,
                campaign_id: int | None = None, not_before: datetime | None = None) -> Message:
    """Add an e-mail to the outbox in the caller's transaction; it goes once the caller commits."""
    message = Message(channel=MessageChannel.EMAIL, purpose=purpose, to_address=to.strip().lower(),
                      subject=" ".join(subject.split()), body=body, member_id=member_id, campaign_id=campaign_id,
                      state=MessageState.QUEUED, next_attempt_at=not_before, attempts=0, queued_at=utcnow())
    db.session.add(message)
    return message


def queue_templated_email(to: str, template: str, *, purpose: str | None = None, member_id: int | None = None,
                          **context) -> Message:
    """Render templates/mail/<template>.txt (its first line is the subject) into the outbox."""
    text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    return queue_email(to, subject.strip(), body.lstrip("\n"), purpose=purpose or template, member_id=member_id)


def _cancel(message: Message, reason: str) -> None:
    message.state = MessageState.CANCELLED
    message.error_message = reason
    message.finished_at = utcnow()


# --- delivering --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    cancelled: int = 0
    uncertain: int = 0  # no answer came back: reconciliation will look the message up

    def add(self, other: "DeliveryReport") -> None:
        for name in ("sent", "failed", "retrying", "cancelled", "uncertain"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retrying + self.cancelled + self.uncertain


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel: MessageChannel
    to_address: str
    subject: str | None
    body: str
    reference: str
    attempts: int
    queued_at: datetime
    member_id: int | None


def _settings():
    config = current_app.config
    return config["OUTBOX_BATCH_SIZE"], config["OUTBOX_MAX_ATTEMPTS"]


def deliver(message_ids: Sequence[int]) -> DeliveryReport:
    """Send these messages if they are still queued and due; others are left alone.

    Works in chunks: claim a chunk (one UPDATE), send each message, write the outcomes
    (one commit). A worker killed mid-chunk leaves at most one chunk in "sending", which
    reconcile_stale() settles by asking the provider.
    """
    batch_size, _ = _settings()
    report = DeliveryReport()
    ids = sorted(set(message_ids))
    for start in range(0, len(ids), batch_size):
        claimed = _claim(ids[start:start + batch_size])
        if claimed:
            report.add(_send_claimed(claimed))
    return report


def deliver_due(limit: int = 1000) -> DeliveryReport:
    """Send queued messages whose time has come (new, retries, quiet hours over), oldest first."""
    now = utcnow()
    ids = list(db.session.scalars(
        select(Message.id).where(Message.state == MessageState.QUEUED,
                                 or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
        .order_by(Message.id).limit(limit)
    ))
    db.session.commit()  # end the read, so claims see other workers' commits
    return deliver(ids)


def due_message_ids(limit: int = 10000) -> list[int]:
    now = utcnow()
    return list(db.session.scalars(
        select(Message.id).where(Message.state == MessageState.QUEUED,
                                 or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
        .order_by(Message.id).limit(limit)
    ))


def _claim(ids: Sequence[int]) -> list[_Claimed]:
    now = utcnow()
    table = Message.__table__
    rows = db.session.execute(
        update(table)
        .where(table.c.id.in_(ids), table.c.state == MessageState.QUEUED.value,
               or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now))
        .values(state=MessageState.SENDING.value, sending_since=now, next_attempt_at=None,
                attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.channel, table.c.to_address, table.c.subject, table.c.body,
                   table.c.reference, table.c.attempts, table.c.queued_at, table.c.member_id)
    ).all()
    db.session.commit()
    return sorted((_Claimed(row.id, MessageChannel(row.channel), *row[2:]) for row in rows), key=lambda m: m.id)


def _send_claimed(claimed: list[_Claimed]) -> DeliveryReport:
    report = DeliveryReport()
    outcomes: list[dict] = []
    opted_out = active_opt_out_numbers(m.to_address for m in claimed if m.channel is MessageChannel.SMS)
    sms_messages = [m for m in claimed if m.channel is MessageChannel.SMS]
    emails = [m for m in claimed if m.channel is MessageChannel.EMAIL]
    if sms_messages:
        outcomes.extend(_cancelled(m, OPTED_OUT) for m in sms_messages if m.to_address in opted_out)
        to_send = [m for m in sms_messages if m.to_address not in opted_out]
        results = _send_texts(to_send)
        outcomes.extend(_sms_outcome(message, result) for message, result in zip(to_send, results))
    if emails:
        outcomes.extend(_send_emails(emails))
    _record_outcomes(outcomes)
    for outcome in outcomes:
        setattr(report, outcome["_kind"], getattr(report, outcome["_kind"]) + 1)
    return report


def _send_texts(messages: list[_Claimed]) -> list[sms.SendResult]:
    """Hand texts to the provider, several at a time (each waits for the provider's answer,
    which takes 100 ms or more over the internet), within the rate cap; results in order.

    Only the gateway call runs in the pool: outcomes are worked out and written afterwards,
    in this thread, with this thread's database session.
    """
    app = current_app._get_current_object()
    gateway = app.extensions["epanel_sms_gateway"]
    cap = rate_cap_for(app)
    callback = status_callback_url()

    def send_one(message: _Claimed) -> sms.SendResult:
        cap.wait_for_slot()
        result = gateway.send(message.to_address, message.body, reference=message.reference, status_callback=callback)
        if result.error_class is sms.ErrorClass.THROTTLING:
            cap.slow_down()
        return result

    concurrency = app.config["OUTBOX_SEND_CONCURRENCY"]
    if concurrency <= 1 or len(messages) <= 1:
        return [send_one(message) for message in messages]
    pool = app.extensions.get("epanel_outbox_pool")
    if pool is None:
        pool = app.extensions["epanel_outbox_pool"] = ThreadPoolExecutor(concurrency, thread_name_prefix="epanel-send")
    return list(pool.map(send_one, messages))


def status_callback_url() -> str:
    """Where the provider posts delivery reports: our public address, as Twilio sees it."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + STATUS_CALLBACK_PATH


def _cancelled(message: _Claimed, reason: str) -> dict:
    now = utcnow()
    return {"_kind": "cancelled", "mid": message.id, "state": MessageState.CANCELLED.value, "error_message": reason,
            "finished_at": now}


def _sms_outcome(message: _Claimed, result: sms.SendResult) -> dict:
    now = utcnow()
    if result.accepted:
        state = MessageState.SENT
        if result.state is not None and sms.is_final(result.state):
            state = MessageState(result.state.value)
        return {"_kind": "sent", "mid": message.id, "state": state.value, "provider_id": result.provider_id,
                "sent_at": now, "finished_at": now if state.is_final else None,
                "error_code": result.error_code, "error_message": result.error_message,
                "segments": result.segments}
    if result.error_code is None:
        # No answer at all: the provider may have the message. Only a lookup can tell, so it
        # stays "sending" and reconciliation asks after the back-off.
        return {"_kind": "uncertain", "mid": message.id, "state": MessageState.SENDING.value,
                "next_attempt_at": now + _backoff(message.attempts), "error_message": _short(result.error_message)}
    if result.error_code == 21610:
        record_opt_out(message.to_address, "carrier error 21610 (the number replied STOP to our provider)")
    return _failure_outcome(message, result.error_class, result.error_code, result.error_message)


def _failure_outcome(message: _Claimed, error_class, error_code, error_message) -> dict:
    now = utcnow()
    _, max_attempts = _settings()
    give_up_at = message.queued_at + current_app.config["OUTBOX_GIVE_UP_AFTER"]
    permanent = error_class is sms.ErrorClass.PERMANENT
    if permanent or message.attempts >= max_attempts or now + _backoff(message.attempts) > give_up_at:
        return {"_kind": "failed", "mid": message.id, "state": MessageState.FAILED.value, "error_code": error_code,
                "error_message": _short(error_message), "finished_at": now}
    delay = timedelta(seconds=2) if error_class is sms.ErrorClass.THROTTLING else _backoff(message.attempts)
    return {"_kind": "retrying", "mid": message.id, "state": MessageState.QUEUED.value, "error_code": error_code,
            "error_message": _short(error_message), "next_attempt_at": now + delay}


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... (with the default setting) before attempt `attempts` + 1."""
    return timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0))


def _short(text: str | None) -> str | None:
    return None if text is None else text[:500]


_OUTCOME_COLUMNS = ("state", "provider_id", "sent_at", "finished_at", "error_code", "error_message", "segments",
                    "next_attempt_at")


def _record_outcomes(outcomes: list[dict]) -> None:
    """Write each message's outcome, but only over "sending": a status callback that got
    there first (delivered, say) is never overwritten by our older news."""
    if not outcomes:
        return
    table = Message.__table__
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for outcome in outcomes:
        columns = tuple(name for name in _OUTCOME_COLUMNS if name in outcome)
        by_columns.setdefault(columns, []).append({"mid": outcome["mid"], **{name: outcome[name] for name in columns}})
    for columns, rows in by_columns.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("mid"), table.c.state == MessageState.SENDING.value)
            .values({name: bindparam(name) for name in columns})
        )
        db.session.execute(statement, rows)
    # A callback that got there first has already written the provider id (apply_status_report).
    db.session.commit()


def _send_emails(messages: list[_Claimed]) -> list[dict]:
    """Send over one SMTP connection where the mailer offers one."""
    mailer = current_app.extensions["epanel_mailer"]
    sender = current_app.config["MAIL_FROM"]
    outcomes = []
    now = utcnow()
    with mailer.connection() as connection:
        for message in messages:
            email = EmailMessage()
            email["From"] = sender
            email["To"] = message.to_address
            email["Subject"] = message.subject or ""
            email["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
            email.set_content(message.body)
            try:
                connection.send(email)
            except smtplib.SMTPRecipientsRefused as error:
                outcomes.append(_failure_outcome(message, sms.ErrorClass.PERMANENT, None,
                                                 f"The mail server refused the address: {error.recipients}"))
            except (smtplib.SMTPException, OSError) as error:
                outcomes.append(_failure_outcome(message, sms.ErrorClass.TEMPORARY, None,
                                                 f"The mail server could not take it: {error}"))
                connection.reset()
            else:
                outcomes.append({"_kind": "sent", "mid": message.id, "state": MessageState.SENT.value, "sent_at": now})
    return outcomes


# --- opting out --------------------------------------------------------------------------------


def record_opt_out(number: str, how: str) -> bool:
    """Stop all texts to `number` from now on; False if it had already opted out.

    Messages to it still waiting in the outbox are cancelled in the same transaction.
    """
    opt_out = db.session.scalar(select(SmsOptOut).where(SmsOptOut.number == number))
    now = utcnow()
    changed = opt_out is None or opt_out.opted_in_again_at is not None
    if opt_out is None:
        db.session.add(SmsOptOut(number=number, how=how, opted_out_at=now))
    elif changed:
        opt_out.opted_out_at, opt_out.how, opt_out.opted_in_again_at = now, how, None
    db.session.execute(
        update(Message).where(Message.channel == MessageChannel.SMS, Message.to_address == number,
                              Message.state == MessageState.QUEUED)
        .values(state=MessageState.CANCELLED, error_message=OPTED_OUT, finished_at=now)
    )
    return changed


def record_opt_in(number: str) -> bool:
    """Allow texts to `number` again (it texted START); False if it had not opted out."""
    opt_out = db.session.scalar(select(SmsOptOut).where(SmsOptOut.number == number))
    if opt_out is None or opt_out.opted_in_again_at is not None:
        return False
    opt_out.opted_in_again_at = utcnow()
    return True


# --- provider reports and reconciliation -------------------------------------------------------


def apply_status_report(reference: str | None, report: sms.StatusReport) -> bool:
    """Move a message forward on a delivery report; False when the report changes nothing.

    Only forward: a late "sent" after "delivered", a repeated callback, or one for a message
    we do not know are all harmless.
    """
    message = None
    if reference:
        message = db.session.scalar(select(Message).where(Message.reference == reference))
    if message is None:
        message = db.session.scalar(select(Message).where(Message.provider_id == report.provider_id))
    if message is None or message.channel is not MessageChannel.SMS:
        return False
    new_state = MessageState(report.state.value)
    if new_state in (MessageState.QUEUED, MessageState.SENDING):
        new_state = MessageState.SENT  # the provider has it: that is "sent" in our terms
    lower = [state.value for state, rank in RANK.items() if rank < RANK[new_state]]
    now = utcnow()
    values = {"state": new_state.value, "provider_id": report.provider_id}
    if new_state.is_final:
        values["finished_at"] = now
    if report.error_code is not None:
        values["error_code"] = report.error_code
    if message.sent_at is None:
        values["sent_at"] = now
    changed = db.session.execute(
        update(Message.__table__).where(Message.__table__.c.id == message.id,
                                        Message.__table__.c.state.in_(lower)).values(values)
    ).rowcount
    if report.error_code == 21610:
        record_opt_out(message.to_address, "carrier error 21610 (the number replied STOP to our provider)")
    db.session.commit()
    return bool(changed)


def stale_after(config) -> timedelta:
    """How long a message may sit in "sending" before it is taken for abandoned.

    Never shorter than a live worker can take over one chunk (its texts go `concurrency` at a
    time, each waiting at most the send timeout), with room for a slow machine: a message
    still in flight must not be looked up, found missing and sent a second time.
    """
    rounds = -(-config["OUTBOX_BATCH_SIZE"] // max(config["OUTBOX_SEND_CONCURRENCY"], 1))
    longest_chunk = timedelta(seconds=rounds * config["SMS_SEND_TIMEOUT"] * 3)
    return max(config["OUTBOX_STALE_AFTER"], longest_chunk)


def reconcile_stale() -> DeliveryReport:
    """Settle messages left in "sending": by a worker that died, or after no answer came back.

    A text is looked up at the provider by its number and exact body: found, it is marked
    sent; not there, it is queued again; and if the provider cannot be asked, it waits. An
    e-mail cannot be looked up, so it is flagged for an officer instead of sent twice.
    """
    now = utcnow()
    stale_before = now - stale_after(current_app.config)
    messages = list(db.session.scalars(
        select(Message).where(
            Message.state == MessageState.SENDING, Message.needs_attention.is_(None),
            or_(and_(Message.next_attempt_at.is_not(None), Message.next_attempt_at <= now),
                and_(Message.next_attempt_at.is_(None), Message.sending_since < stale_before)),
        ).order_by(Message.id).limit(500)
    ))
    report = DeliveryReport()
    gateway = current_app.extensions["epanel_sms_gateway"]
    _, max_attempts = _settings()
    for message in messages:
        if message.channel is MessageChannel.EMAIL:
            message.needs_attention = ("The worker stopped while handing this e-mail to the mail server, so it "
                                       "may or may not have gone. Resend it, or mark it as sent.")
            report.uncertain += 1
            continue
        try:
            found = gateway.find(message.to_address, message.body, since=message.sending_since - timedelta(seconds=5))
        except sms.LookupFailed as error:
            message.next_attempt_at = now + _backoff(message.attempts)
            message.error_message = _short(f"Could not ask the provider yet: {error}")
            report.uncertain += 1
            continue
        if found is not None:
            message.state, message.provider_id = MessageState.SENT, found.provider_id
            message.sent_at, message.next_attempt_at = message.sent_at or now, None
            if found.state is not None and sms.is_final(found.state):
                message.state, message.finished_at = MessageState(found.state.value), now
            report.sent += 1
        elif message.attempts >= max_attempts:
            message.state, message.finished_at = MessageState.FAILED, now
            message.error_message = "No answer from the provider after several tries"
            report.failed += 1
        else:
            # The provider never had it, so sending it again cannot make a second copy.
            message.state, message.next_attempt_at = MessageState.QUEUED, None
            report.retrying += 1
    db.session.commit()
    return report


# --- officer actions ---------------------------------------------------------------------------


def resend(message: Message) -> Message:
    """A fresh copy of a failed, undelivered or flagged message, queued now (the old row stays as it was)."""
    if message.channel is MessageChannel.SMS and is_opted_out(message.to_address):
        raise UnsendableNumber("That number has opted out of text messages, so nothing can be sent to it")
    copy = Message(channel=message.channel, purpose=message.purpose, to_address=message.to_address,
                   subject=message.subject, body=message.body, segments=message.segments, member_id=message.member_id,
                   campaign_id=message.campaign_id, state=MessageState.QUEUED, attempts=0, queued_at=utcnow())
    if message.state is MessageState.SENDING:
        message.state, message.finished_at = MessageState.FAILED, utcnow()
        message.needs_attention = None
        message.error_message = "Resent by an officer as a new message"
    db.session.add(copy)
    return copy


def wait_until_delivered(message_ids: Sequence[int], timeout: float = 10.0) -> bool:
    """For the development tools and tests of the thread worker: True once none is still queued or sending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = db.session.scalar(
            select(db.func.count()).select_from(Message)
            .where(Message.id.in_(message_ids), Message.state.in_([MessageState.QUEUED, MessageState.SENDING]))
        )
        db.session.commit()
        if not pending:
            return True
        time.sleep(0.05)
    return False
