"""Administrators search and export the audit log. There is no way to change or delete an event here:
the log is written only by record_audit_event, with the change it records."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from epanel.common.spreadsheets import csv_lines
from epanel.extensions import db
from epanel.privacy.audit import record_audit_event
from epanel.privacy.models import AuditEvent

LONDON = ZoneInfo("Europe/London")
PAGE_SIZE = 50
EXPORT_BATCH = 1000
EXPORT_COLUMNS = ["id", "when (UTC)", "who", "action", "record type", "record id", "details"]


@dataclass(frozen=True)
class AuditFilter:
    """The administrator's search; empty means any. Days are UK days, both ends included."""

    action: str = ""  # an action or its start, e.g. "members." for every members event
    who: str = ""  # part of the person's e-mail (or "system")
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        """Read a search from request arguments, ignoring what does not parse rather than failing."""
        text = {name: (args.get(name) or "").strip()[:120] for name in ("action", "who", "object_type", "object_id")}
        return cls(**text, date_from=_day(args.get("date_from")), date_to=_day(args.get("date_to")))

    def as_args(self) -> dict:
        values = {"action": self.action, "who": self.who, "object_type": self.object_type, "object_id": self.object_id,
                  "date_from": self.date_from.isoformat() if self.date_from else "",
                  "date_to": self.date_to.isoformat() if self.date_to else ""}
        return {name: value for name, value in values.items() if value}

    def conditions(self) -> list:
        conditions = []
        if self.action:
            conditions.append(AuditEvent.action.startswith(self.action, autoescape=True))
        if self.who:
            conditions.append(func.lower(AuditEvent.actor_label).contains(self.who.lower(), autoescape=True))
        if self.object_type:
            conditions.append(AuditEvent.object_type == self.object_type)
        if self.object_id:
            conditions.append(AuditEvent.object_id == self.object_id)
        if self.date_from:
            conditions.append(AuditEvent.created_at >= _uk_midnight(self.date_from))
        if self.date_to:
            conditions.append(AuditEvent.created_at < _uk_midnight(self.date_to + timedelta(days=1)))
        return conditions


def _day(text) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


@dataclass
class AuditPage:
    events: list[AuditEvent]
    total: int
    next_before: int | None  # the id to page on from, when there are older events


def find_events(search: AuditFilter, *, before_id: int | None = None, page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of matching events, newest first, paged by id so old pages are as quick as the first."""
    query = select(AuditEvent).where(*search.conditions()).order_by(AuditEvent.id.desc())
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    events = list(db.session.scalars(query.limit(page_size + 1)))
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*search.conditions()))
    next_before = events[page_size - 1].id if len(events) > page_size else None
    return AuditPage(events[:page_size], total, next_before)


def action_names() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def _iter_events(search: AuditFilter) -> Iterator[AuditEvent]:
    before = None
    while True:
        query = select(AuditEvent).where(*search.conditions()).order_by(AuditEvent.id.desc()).limit(EXPORT_BATCH)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        batch = list(db.session.scalars(query))
        if not batch:
            return
        yield from batch
        before = batch[-1].id
        db.session.expunge_all()


def export_events(search: AuditFilter, actor) -> Iterator[str]:
    """Record the export in the log itself, then stream the matching events as CSV, newest first."""
    record_audit_event(actor, "audit.exported", "audit_log", None, search=search.as_args())
    db.session.commit()
    rows = ([event.id, event.created_at.isoformat(timespec="seconds"), event.actor_label, event.action,
             event.object_type, event.object_id or "", _details(event.details)] for event in _iter_events(search))
    return csv_lines(EXPORT_COLUMNS, rows)


def _details(details: dict | None) -> str:
    return "; ".join(f"{name}={value}" for name, value in sorted((details or {}).items()))
