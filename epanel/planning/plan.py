"""Writes for the community plan: themes, their actions, and the published outcomes behind them."""

import logging
from datetime import date

from sqlalchemy import func, select

from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.planning.models import Outcome, PlanAction, PlanActionStatus, PlanEvidence, PlanTheme
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)


class PlanError(ValueError):
    """A community-plan rule was broken; the message is for the officer."""


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _check_title(title: str, noun: str) -> str:
    title = _clean(title)
    if not title:
        raise PlanError(f"Enter the {noun}'s title")
    if len(title) > 200:
        raise PlanError("Use 200 characters or fewer for the title")
    return title


def create_theme(title: str, actor, *, description: str = "") -> PlanTheme:
    """Add a theme to the community plan; titles are unique, whatever their case."""
    title = _check_title(title, "theme")
    taken = db.session.scalar(select(PlanTheme.id).where(func.lower(PlanTheme.title) == title.lower()))
    if taken:
        raise PlanError(f"There is already a theme called {title}")
    theme = PlanTheme(title=title, description=(description or "").strip())
    db.session.add(theme)
    db.session.flush()
    record_audit_event(actor, "plan.theme_created", "plan_theme", theme.id)
    db.session.commit()
    log.info("plan theme %s created by %s", theme.id, getattr(actor, "id", actor))
    return theme


def update_theme(theme: PlanTheme, actor, *, title: str, description: str = "") -> PlanTheme:
    """Change a theme's title and description."""
    title = _check_title(title, "theme")
    taken = db.session.scalar(select(PlanTheme.id).where(func.lower(PlanTheme.title) == title.lower(),
                                                         PlanTheme.id != theme.id))
    if taken:
        raise PlanError(f"There is already a theme called {title}")
    theme.title, theme.description = title, (description or "").strip()
    record_audit_event(actor, "plan.theme_changed", "plan_theme", theme.id)
    db.session.commit()
    log.info("plan theme %s changed by %s", theme.id, getattr(actor, "id", actor))
    return theme


def _action_fields(title, description, owner, status, target_date, area) -> dict:
    title = _check_title(title, "action")
    try:
        status = PlanActionStatus(status)
    except ValueError:
        raise PlanError("Choose the action's status: planned, in progress, done or dropped") from None
    if target_date is not None and not isinstance(target_date, date):
        raise PlanError("The target date must be a real date")
    owner, area = _clean(owner), _clean(area)
    if len(owner) > 120 or len(area) > 120:
        raise PlanError("Use 120 characters or fewer for the owner and the area")
    return {"title": title, "description": (description or "").strip(), "owner": owner, "status": status,
            "target_date": target_date, "area": area}


def add_action(theme: PlanTheme, actor, *, title: str, description: str = "", owner: str = "",
               status: PlanActionStatus | str = PlanActionStatus.PLANNED, target_date: date | None = None,
               area: str = "") -> PlanAction:
    """Add an action under a theme."""
    action = PlanAction(theme_id=theme.id, **_action_fields(title, description, owner, status, target_date, area))
    db.session.add(action)
    db.session.flush()
    record_audit_event(actor, "plan.action_created", "plan_action", action.id, theme_id=theme.id)
    db.session.commit()
    log.info("plan action %s added to theme %s by %s", action.id, theme.id, getattr(actor, "id", actor))
    return action


def update_action(action: PlanAction, actor, *, title: str, description: str = "", owner: str = "",
                  status: PlanActionStatus | str = PlanActionStatus.PLANNED, target_date: date | None = None,
                  area: str = "") -> PlanAction:
    """Change an action: its words, owner, status, target date or area."""
    fields = _action_fields(title, description, owner, status, target_date, area)
    before = action.status
    for name, value in fields.items():
        setattr(action, name, value)
    record_audit_event(actor, "plan.action_changed", "plan_action", action.id, status=fields["status"].value,
                       status_before=before.value)
    db.session.commit()
    log.info("plan action %s changed by %s (now %s)", action.id, getattr(actor, "id", actor), action.status.value)
    return action


def link_consultation(action: PlanAction, consultation: Consultation | None, actor) -> PlanEvidence:
    """Record that a consultation's published outcome informed this action."""
    if consultation is None:
        raise PlanError("Choose a consultation")
    published = db.session.scalar(select(Outcome.id).where(Outcome.consultation_id == consultation.id,
                                                           Outcome.published_at.is_not(None)))
    if consultation.status is not ConsultationStatus.PUBLISHED or not published:
        raise PlanError(f"Publish the outcome of {consultation.title} before linking it to an action")
    if db.session.scalar(select(PlanEvidence.id).where(PlanEvidence.action_id == action.id,
                                                       PlanEvidence.consultation_id == consultation.id)):
        raise PlanError(f"{consultation.title} is already linked to this action")
    evidence = PlanEvidence(action_id=action.id, consultation_id=consultation.id)
    db.session.add(evidence)
    record_audit_event(actor, "plan.evidence_linked", "plan_action", action.id, consultation_id=consultation.id)
    db.session.commit()
    log.info("consultation %s linked to plan action %s by %s", consultation.slug, action.id,
             getattr(actor, "id", actor))
    return evidence


def unlink_consultation(action: PlanAction, evidence_id: int, actor) -> None:
    """Take a consultation off an action's evidence."""
    evidence = db.session.scalar(select(PlanEvidence).where(PlanEvidence.id == evidence_id,
                                                            PlanEvidence.action_id == action.id))
    if evidence is None:
        raise PlanError("That consultation is not linked to this action")
    db.session.delete(evidence)
    record_audit_event(actor, "plan.evidence_unlinked", "plan_action", action.id,
                       consultation_id=evidence.consultation_id)
    db.session.commit()
    log.info("evidence %s taken off plan action %s by %s", evidence_id, action.id, getattr(actor, "id", actor))
