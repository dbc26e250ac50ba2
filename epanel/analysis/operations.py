"""Writes for analysis: recording that someone exported personal data."""

import logging

from epanel.analysis.exports import ExportFormat
from epanel.analysis.filters import ResponseFilter
from epanel.extensions import db
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)


def record_export(consultation, actor, export: ExportFormat, filters: ResponseFilter, *, weighted: bool) -> None:
    """Audit an export of a consultation's responses (they hold personal data) before it is sent."""
    record_audit_event(actor, "responses.exported", "consultation", consultation.id, format=export.key,
                       filters=filters.describe(), weighted=weighted)
    db.session.commit()
    log.info("responses of %s exported as %s by %s", consultation.slug, export.key, getattr(actor, "id", actor))
