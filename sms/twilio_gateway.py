"""Sending through Twilio's Messages API with the `twilio` library."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance

from sms.gateway import LookupFailed, SendResult, require_aware, with_reference
from sms.statuses import UnmappedStatus, classify_error, delivery_state

# Our clock and Twilio's may disagree a little: find() accepts a message
# created up to this long before the `since` it was given.
LOOKUP_CLOCK_SKEW = timedelta(seconds=60)
# Messages to one number since one day are few: one page of this size is usually all of them.
LOOKUP_PAGE_SIZE = 100
# find() gives up past this many candidates rather than answer "not there" without having seen them all.
LOOKUP_MAX_MESSAGES = 1000


class TwilioGateway:
    """An SmsGateway backed by a Twilio account.

    Messages go from a Messaging Service or from one number: give exactly one
    of `messaging_service_sid` and `from_number`. `api_url` points the library
    at a Twilio-compatible server (tests, staging) instead of api.twilio.com.

    Twilio's Message resource has no field for our reference, so it travels as
    a `reference` query parameter on the status callback URL (see
    sms.gateway.with_reference) and comes back on every callback; without a
    status_callback it goes nowhere.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        api_url: str | None = None,
        timeout: float = 10,
    ):
        # Checked here because the library would quietly fall back to the
        # TWILIO_* environment variables for empty credentials.
        if not account_sid or not auth_token:
            raise ValueError("TwilioGateway needs an account SID and an auth token")
        if bool(messaging_service_sid) == bool(from_number):
            raise ValueError("TwilioGateway needs exactly one of messaging_service_sid and from_number")
        if messaging_service_sid:
            self._sender = {"messaging_service_sid": messaging_service_sid}
        else:
            self._sender = {"from_": from_number}
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_url:
            # Every Messages request is built from the Api domain's base_url at
            # request time, so this one attribute moves them all.
            self._client.api.base_url = api_url
            # A TWILIO_EDGE or TWILIO_REGION in the environment would otherwise
            # rewrite the host into "<product>.<edge>.<region>.<suffix>".
            self._client.edge = self._client.region = None

    def send(self, to: str, body: str, *, reference: str, status_callback: str | None = None) -> SendResult:
        """Create the message at Twilio; refusals and network failures come back as a SendResult.

        A network failure is TEMPORARY with no error code. A timeout after the
        request went out is among them, and Twilio may have taken that message.
        """
        options = dict(self._sender)
        if status_callback:
            options["status_callback"] = with_reference(status_callback, reference)
        return self._call(lambda: self._client.messages.create(to=to, body=body, **options))

    def fetch(self, provider_id: str) -> SendResult:
        """Twilio's current record of a message; one Twilio never had is refused with NOT_FOUND (20404)."""
        return self._call(lambda: self._client.messages(provider_id).fetch())

    def find(self, to: str, body: str, *, since: datetime) -> SendResult | None:
        """Twilio's newest message to `to` with exactly this body, created at most LOOKUP_CLOCK_SKEW before `since`.

        Twilio can filter only by the day a message was sent, so the times and
        bodies are compared here. Raises LookupFailed when Twilio does not
        answer, answers with an error, or has more than LOOKUP_MAX_MESSAGES
        messages to `to` since that day.
        """
        earliest = require_aware(since) - LOOKUP_CLOCK_SKEW
        # A plain YYYY-MM-DD: the library would send a datetime as a full
        # timestamp, and Twilio documents only dates for this filter.
        day = earliest.astimezone(UTC).date().isoformat()
        matches = []
        try:
            listed = self._client.messages.stream(to=to, date_sent_after=day, page_size=LOOKUP_PAGE_SIZE)
            for seen, message in enumerate(listed, start=1):
                if seen > LOOKUP_MAX_MESSAGES:
                    raise LookupFailed(f"more than {LOOKUP_MAX_MESSAGES} messages to {to} since {day}; not all were checked")
                if message.body == body and message.date_created is not None and message.date_created >= earliest:
                    matches.append(message)
        except (requests.RequestException, TwilioException, ValueError) as error:
            raise LookupFailed(f"could not list Twilio's messages to {to}: {_describe(error)}") from error
        # Twilio lists the newest first, and max() keeps the first of equals.
        return _result_from(max(matches, key=lambda message: message.date_created)) if matches else None

    def _call(self, request: Callable[[], MessageInstance]) -> SendResult:
        try:
            message = request()
        except TwilioRestException as error:
            return SendResult.refused(error.code, error.msg)
        except TwilioServiceException as error:
            return SendResult.refused(error.code, error.detail or error.title)
        except (requests.RequestException, TwilioException) as error:
            return SendResult.refused(None, f"no answer from Twilio: {error}")
        return _result_from(message)


def _result_from(message: MessageInstance) -> SendResult:
    try:
        state = delivery_state(message.status)
    except UnmappedStatus:
        # Twilio has the message whatever its status says; raising here would
        # look like a failure and invite a second send.
        state = None
    return SendResult(
        accepted=True,
        provider_id=message.sid,
        state=state,
        error_code=message.error_code,
        error_class=None if message.error_code is None else classify_error(message.error_code),
        error_message=message.error_message,
        segments=int(message.num_segments) if message.num_segments else None,
    )


def _describe(error: Exception) -> str:
    # A failed list page raises TwilioException("Unable to fetch page", response).
    responses = [arg for arg in error.args if isinstance(arg, Response)]
    if responses:
        return f"HTTP {responses[0].status_code} {responses[0].text[:200]}"
    return str(error)
