"""The one map from Twilio's message statuses and error codes to ours."""

from enum import StrEnum


class DeliveryState(StrEnum):
    """Where an outgoing message is, as far as the provider has told us."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


# "sent" is not final: a delivery receipt may still follow. Some networks never
# send one, so a message can rest at "sent" for good.
FINAL_STATES = frozenset(
    {DeliveryState.DELIVERED, DeliveryState.UNDELIVERED, DeliveryState.FAILED, DeliveryState.CANCELLED}
)

TWILIO_STATES: dict[str, DeliveryState] = {
    "accepted": DeliveryState.QUEUED,  # a Messaging Service has it but has not picked a sender yet
    "scheduled": DeliveryState.QUEUED,
    "queued": DeliveryState.QUEUED,
    "sending": DeliveryState.SENDING,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.DELIVERED,  # only chat channels report reading; it implies delivery
    # Some parts of a long message arrived. Counted as delivered because the
    # member has the text in hand: sending it again would text them twice.
    "partially_delivered": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.UNDELIVERED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.CANCELLED,
}

# Statuses of messages people send to us; an outgoing message never has them.
TWILIO_INBOUND_STATUSES = frozenset({"receiving", "received"})


class UnmappedStatus(ValueError):
    """A Twilio status that no outgoing message can be in."""


def delivery_state(twilio_status: str) -> DeliveryState:
    """Our state for a Twilio message status.

    Raises UnmappedStatus for the inbound statuses ("receiving", "received") and
    for any status Twilio adds that this map does not know yet, rather than
    guessing where such a message is.
    """
    try:
        return TWILIO_STATES[twilio_status]
    except KeyError:
        if twilio_status in TWILIO_INBOUND_STATUSES:
            raise UnmappedStatus(f"{twilio_status!r} is the status of an incoming message") from None
        raise UnmappedStatus(f"unknown Twilio message status {twilio_status!r}") from None


def is_final(state: DeliveryState) -> bool:
    """True when no later report can change `state`."""
    return state in FINAL_STATES


class ErrorClass(StrEnum):
    """What to do about a message the provider refused or could not deliver."""

    PERMANENT = "permanent"  # never retry: this message to this number will not go
    TEMPORARY = "temporary"  # retry a few times, backing off
    THROTTLING = "throttling"  # the number is fine; slow down before retrying


# Twilio's code for a resource it does not have: fetching a message it never
# took answers with this, which tells a reconciler that sending again is safe.
NOT_FOUND = 20404

TWILIO_ERROR_CLASSES: dict[int, ErrorClass] = {
    21211: ErrorClass.PERMANENT,  # invalid 'To' number
    21408: ErrorClass.PERMANENT,  # the account may not text this region
    21610: ErrorClass.PERMANENT,  # the recipient replied STOP
    21612: ErrorClass.PERMANENT,  # the 'To' number cannot be reached by SMS
    21614: ErrorClass.PERMANENT,  # the 'To' number is not a mobile
    30004: ErrorClass.PERMANENT,  # message blocked
    30005: ErrorClass.PERMANENT,  # unknown destination handset
    30006: ErrorClass.PERMANENT,  # landline or unreachable carrier
    30007: ErrorClass.PERMANENT,  # carrier filtered the message
    30003: ErrorClass.TEMPORARY,  # handset off or out of coverage
    30008: ErrorClass.TEMPORARY,  # unknown error
    20500: ErrorClass.TEMPORARY,  # Twilio internal error
    20503: ErrorClass.TEMPORARY,  # Twilio unavailable
    20429: ErrorClass.THROTTLING,  # too many requests
    21611: ErrorClass.THROTTLING,  # too many messages queued for this sender
    30001: ErrorClass.THROTTLING,  # sender's queue overflowed
}


def classify_error(code: int | str | None) -> ErrorClass:
    """How to treat a failure with this Twilio error code.

    `code` may be an int or the digits Twilio puts in webhook forms. None (a
    network error, no answer at all) and codes this map does not know are
    TEMPORARY, so a message is retried a few times rather than dropped or
    retried for ever. Raises ValueError for a string that is not a number.
    """
    if code is None:
        return ErrorClass.TEMPORARY
    return TWILIO_ERROR_CLASSES.get(int(code), ErrorClass.TEMPORARY)
