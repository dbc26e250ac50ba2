"""Incoming texts: keywords, answers, joining by text, and the officer inbox."""

import sms


def receive(message: sms.InboundMessage) -> str | None:
    """Record an incoming text, act on it, and return the reply to send back (None: no reply)."""
    return None
