"""Recording audit events. Part of the bottom of the stack: any domain may call it."""

import logging

from epanel.extensions import db
from epanel.privacy.models import AuditEvent

log = logging.getLogger(__name__)


def record_audit_event(actor, action: str, object_type: str, object_id=None, **details) -> AuditEvent:
    """Add an audit event to the current transaction; the caller's commit stores it with the change."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or str(actor or "system"),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
    db.session.add(event)
    log.info("audit: %s %s %s by %s", action, object_type, object_id or "", event.actor_label)
    return event
