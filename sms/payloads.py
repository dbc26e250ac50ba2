"""Twilio's webhook forms (incoming messages and status callbacks) as plain values.

Parsing trusts nothing about where the form came from: check the signature
(sms.signatures) before acting on what these functions return.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sms.statuses import DeliveryState, ErrorClass, UnmappedStatus, classify_error, delivery_state


class PayloadError(ValueError):
    """A webhook form that lacks a field we need or has one we cannot read."""


@dataclass(frozen=True)
class InboundMessage:
    provider_id: str
    sender: str  # E.164, exactly as Twilio gave it
    recipient: str  # our number, E.164
    body: str
    media_count: int


@dataclass(frozen=True)
class StatusReport:
    provider_id: str
    state: DeliveryState
    raw_status: str  # Twilio's word for it, kept for the record
    error_code: int | None
    error_class: ErrorClass | None  # None when there is no error code
    recipient: str | None


def parse_inbound(form: Mapping[str, str]) -> InboundMessage:
    """Read the form Twilio posts for an incoming SMS.

    The body loses surrounding whitespace (phones add trailing spaces and
    newlines) but is otherwise kept as sent; a picture-only message has an empty
    body. Raises PayloadError naming the first missing or unreadable field.
    """
    return InboundMessage(
        provider_id=_required(form, "MessageSid"),
        sender=_required(form, "From"),
        recipient=_required(form, "To"),
        body=form.get("Body", "").strip(),
        media_count=_optional_int(form, "NumMedia") or 0,
    )


def parse_status_report(form: Mapping[str, str]) -> StatusReport:
    """Read the form Twilio posts to a message's status callback.

    Raises PayloadError naming the first missing or unreadable field, including
    a MessageStatus that no outgoing message can have.
    """
    provider_id = _required(form, "MessageSid")
    raw_status = _required(form, "MessageStatus")
    try:
        state = delivery_state(raw_status)
    except UnmappedStatus as error:
        raise PayloadError(f"MessageStatus: {error}") from error
    error_code = _optional_int(form, "ErrorCode")
    return StatusReport(
        provider_id=provider_id,
        state=state,
        raw_status=raw_status,
        error_code=error_code,
        error_class=None if error_code is None else classify_error(error_code),
        recipient=form.get("To") or None,
    )


def _required(form: Mapping[str, str], name: str) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise PayloadError(f"{name} is missing from the Twilio payload")
    return value


def _optional_int(form: Mapping[str, str], name: str) -> int | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise PayloadError(f"{name} should be a whole number, not {value!r}") from None


def twiml_reply(text: str | None) -> str:
    """The TwiML document answering an incoming message: one reply, or none at all."""
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
