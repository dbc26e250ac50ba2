"""Sending one text message: into the outbox, committed with whatever the caller has pending.

Domains below messaging call this; only messaging imports the `sms` package.
"""

import logging

from epanel.extensions import db

log = logging.getLogger(__name__)


def send_text(to: str, body: str, *, purpose: str, member_id: int | None = None) -> None:
    """Queue the text and commit; it goes once committed. A number that opted out gets nothing.

    Raises epanel.messaging.outbox.UnsendableNumber for a number no text can reach.
    """
    from epanel.messaging.outbox import queue_sms

    message = queue_sms(to, body, purpose=purpose, member_id=member_id)
    db.session.commit()
    log.info("text %s queued (%s)", message.id, message.state)
