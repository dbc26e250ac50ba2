"""Sending one text message through the SMS gateway the app was built with.

Domains below messaging call this; the gateway itself (the `sms` package) is
built by epanel.messaging when the app starts, so only messaging imports `sms`.
"""

import logging

from flask import current_app

log = logging.getLogger(__name__)


def send_text(to: str, body: str, *, reference: str) -> bool:
    """Send now; True if the gateway accepted it. A refusal is logged, never raised."""
    result = current_app.extensions["epanel_sms_gateway"].send(to, body, reference=reference)
    if not result.accepted:
        log.warning("text %s refused: %s %s", reference, result.error_code, result.error_message)
    return result.accepted
