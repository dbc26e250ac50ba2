"""Gateways that send nothing: a fake for tests and a console one for development."""

import itertools
import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from sms.gateway import LookupFailed, SendResult, require_aware
from sms.segments import count_segments
from sms.statuses import NOT_FOUND, DeliveryState, classify_error


@dataclass(frozen=True)
class SentMessage:
    to: str
    body: str
    reference: str
    status_callback: str | None
    provider_id: str
    # When the fake took it; left out of equality so tests can compare messages they build.
    created: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)


class FakeGateway:
    """An SmsGateway that keeps what it is given instead of sending it.

    Every accepted message lands in `sent` (the newest `keep`, or all). Tests
    script failures with fail_next() and fail_next_lookup(), and the provider's
    later view of a message with set_status().
    """

    def __init__(self, keep: int | None = None):
        self.sent: deque[SentMessage] = deque(maxlen=keep)
        self._failures: deque[SendResult] = deque()
        self._statuses: dict[str, tuple[DeliveryState, int | None]] = {}
        self._numbers = itertools.count(1)
        self._lookup_failures = 0

    def fail_next(self, code: int | None, times: int = 1) -> None:
        """Refuse the next `times` sends with this Twilio error code (None: as if the network failed)."""
        message = "fake network failure" if code is None else f"fake failure {code}"
        self._failures.extend([SendResult.refused(code, message)] * times)

    def fail_next_lookup(self, times: int = 1) -> None:
        """Make the next `times` calls of find() raise LookupFailed, as if the provider could not be reached."""
        self._lookup_failures += times

    def set_status(self, provider_id: str, state: DeliveryState, *, error_code: int | None = None) -> None:
        """Make fetch() report `state` (and `error_code`) for this message from now on."""
        self._statuses[provider_id] = (state, error_code)

    def send(self, to: str, body: str, *, reference: str, status_callback: str | None = None) -> SendResult:
        """Keep the message and accept it as queued, unless a scripted failure is due."""
        try:
            return self._failures.popleft()
        except IndexError:
            pass  # nothing scripted: accept it
        provider_id = f"SMfake{next(self._numbers):06d}"
        self.sent.append(SentMessage(to, body, reference, status_callback, provider_id))
        return SendResult(
            accepted=True,
            provider_id=provider_id,
            state=DeliveryState.QUEUED,
            segments=count_segments(body).segments,
        )

    def fetch(self, provider_id: str) -> SendResult:
        """The status set for this message, "queued" if none was, refused with 20404 if never sent."""
        if provider_id in self._statuses:
            state, error_code = self._statuses[provider_id]
        elif any(message.provider_id == provider_id for message in self.sent):
            state, error_code = DeliveryState.QUEUED, None
        else:
            return SendResult.refused(NOT_FOUND, f"no message {provider_id}")
        return SendResult(
            accepted=True,
            provider_id=provider_id,
            state=state,
            error_code=error_code,
            error_class=None if error_code is None else classify_error(error_code),
        )

    def find(self, to: str, body: str, *, since: datetime) -> SendResult | None:
        """What fetch() says of the newest kept message with this recipient and exact body taken at or after `since`."""
        require_aware(since)
        if self._lookup_failures:
            self._lookup_failures -= 1
            raise LookupFailed("fake lookup failure")
        newest_first = reversed(self.sent)
        match = next((message for message in newest_first
                      if message.to == to and message.body == body and message.created >= since), None)
        return None if match is None else self.fetch(match.provider_id)


class ConsoleGateway(FakeGateway):
    """The development backend: prints each message it accepts and keeps the latest 50."""

    def __init__(self, stream: TextIO | None = None):
        super().__init__(keep=50)
        self._stream = stream

    def send(self, to: str, body: str, *, reference: str, status_callback: str | None = None) -> SendResult:
        result = super().send(to, body, reference=reference, status_callback=status_callback)
        if result.accepted:
            print(
                f"\n--- SMS to {to} (reference {reference}, {result.segments} part(s)) ---\n{body}\n--- end ---",
                file=self._stream or sys.stdout,
                flush=True,
            )
        return result
