"""SMS gateway package: Twilio and fake backends. Imports neither flask nor epanel.

It knows about phone numbers, message parts, provider statuses and webhooks,
and nothing about panels or members. Build a gateway with make_gateway().
"""

from collections.abc import Callable

from sms.fake import ConsoleGateway, FakeGateway, SentMessage
from sms.gateway import REFERENCE_PARAMETER, LookupFailed, SendResult, SmsGateway, with_reference
from sms.numbers import InvalidNumber, is_uk_mobile, to_e164
from sms.payloads import InboundMessage, PayloadError, StatusReport, parse_inbound, parse_status_report, twiml_reply
from sms.segments import SegmentCount, count_segments, is_gsm7
from sms.signatures import sign, signature_is_valid
from sms.statuses import (
    NOT_FOUND,
    DeliveryState,
    ErrorClass,
    UnmappedStatus,
    classify_error,
    delivery_state,
    is_final,
)
from sms.twilio_gateway import TwilioGateway

BACKENDS: dict[str, Callable[..., SmsGateway]] = {
    "console": ConsoleGateway,
    "fake": FakeGateway,
    "twilio": TwilioGateway,
}


def make_gateway(backend: str, **settings) -> SmsGateway:
    """A gateway of the named backend, built with `settings` as its keyword arguments.

    Raises ValueError naming the valid backends when `backend` is not one.
    """
    try:
        factory = BACKENDS[backend]
    except KeyError:
        valid = ", ".join(sorted(BACKENDS))
        raise ValueError(f"unknown SMS backend {backend!r}; choose one of: {valid}") from None
    return factory(**settings)


__all__ = [
    "BACKENDS",
    "NOT_FOUND",
    "REFERENCE_PARAMETER",
    "ConsoleGateway",
    "DeliveryState",
    "ErrorClass",
    "FakeGateway",
    "InboundMessage",
    "InvalidNumber",
    "LookupFailed",
    "PayloadError",
    "SegmentCount",
    "SendResult",
    "SentMessage",
    "SmsGateway",
    "StatusReport",
    "TwilioGateway",
    "UnmappedStatus",
    "classify_error",
    "count_segments",
    "delivery_state",
    "is_final",
    "is_gsm7",
    "is_uk_mobile",
    "make_gateway",
    "parse_inbound",
    "parse_status_report",
    "sign",
    "signature_is_valid",
    "to_e164",
    "twiml_reply",
    "with_reference",
]
