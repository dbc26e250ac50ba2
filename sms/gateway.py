"""What every SMS gateway promises, and what it answers."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sms.statuses import DeliveryState, ErrorClass, classify_error

# The query parameter that carries our message reference on a status callback URL.
REFERENCE_PARAMETER = "reference"


class LookupFailed(Exception):
    """The provider could not be asked (no answer, or an error instead of one).

    Distinct from an answer of "no such message": a caller reconciling a message
    must not take this for proof that the provider never had it.
    """


@dataclass(frozen=True)
class SendResult:
    """The provider's answer about one message.

    `accepted` says whether the provider has the message at all; a message it
    has can still fail later, and then `state` and the error fields say so.
    """

    accepted: bool
    provider_id: str | None = None
    state: DeliveryState | None = None
    error_code: int | None = None  # None with an error_class: no answer came back
    error_class: ErrorClass | None = None
    error_message: str | None = None
    segments: int | None = None

    @classmethod
    def refused(cls, error_code: int | None, error_message: str) -> "SendResult":
        """A message the provider did not take, classified by its error code."""
        return cls(
            accepted=False,
            error_code=error_code,
            error_class=classify_error(error_code),
            error_message=error_message,
        )


@runtime_checkable
class SmsGateway(Protocol):
    def send(self, to: str, body: str, *, reference: str, status_callback: str | None = None) -> SendResult:
        """Hand one message to the provider; never raises for a provider or network failure.

        `to` is E.164. `reference` is our own id for the message (the outbox
        row); status callbacks for it arrive at `status_callback`.
        """

    def fetch(self, provider_id: str) -> SendResult:
        """The provider's current view of one message it accepted earlier.

        For reconciling messages a dead worker left in "sending"; a provider
        that has no such message answers accepted=False.
        """

    def find(self, to: str, body: str, *, since: datetime) -> SendResult | None:
        """The provider's record of a message with exactly this body sent to `to` at or after `since`, or None.

        For reconciling a message a dead worker left in "sending" without a
        provider id: None means the provider answered and has no such message.
        `since` must be timezone-aware. When several match, the newest wins.
        Raises LookupFailed when the provider could not be asked (network
        error, an error status), so "could not ask" is never read as "not there".
        """


def require_aware(moment: datetime) -> datetime:
    """`moment` itself; raises ValueError when it has no time zone, which would compare wrongly with the provider's UTC times."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime such as datetime.now(UTC)")
    return moment


def with_reference(url: str, reference: str) -> str:
    """`url` with our reference added as a query parameter, replacing any earlier one."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
             if name != REFERENCE_PARAMETER]
    query.append((REFERENCE_PARAMETER, reference))
    return urlunsplit(parts._replace(query=urlencode(query)))
