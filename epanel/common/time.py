"""One clock for the whole app, always in UTC and timezone-aware."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
