"""Councillors' writes: their wards, digest schedule, public comments on a ward's result, and topic
suggestions with officers' decisions. Each operation commits; errors speak to the person."""

import logging

from sqlalchemy import delete

from epanel.accounts.models import Role, User
from epanel.common.time import utcnow
from epanel.consultations.models import Consultation
from epanel.extensions import db
from epanel.planning.community_queries import COMMENTABLE_STATUSES, known_wards, represents
from epanel.planning.models import (
    CouncillorComment,
    CouncillorWard,
    SuggestionStatus,
    TopicSuggestion,
)
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

COMMENT_MAX = 1000


class CouncillorError(ValueError):
    """A councillor's or officer's request that cannot be done; the message says why, for them."""


def set_wards(councillor: User, wards: list[str], actor: User) -> None:
    """Replace the wards a councillor represents (only wards the council knows of)."""
    if Role.COUNCILLOR not in councillor.roles:
        raise CouncillorError(f"{councillor.display_name} is not a councillor")
    unknown = sorted(set(wards) - set(known_wards()))
    if unknown:
        raise CouncillorError(f"There is no ward called {unknown[0]}")
    db.session.execute(delete(CouncillorWard).where(CouncillorWard.user_id == councillor.id))
    db.session.add_all(CouncillorWard(user_id=councillor.id, ward=ward) for ward in sorted(set(wards)))
    record_audit_event(actor, "councillor.wards_set", "user", councillor.id, wards=sorted(set(wards)))
    db.session.commit()
    log.info("councillor %s wards set to %s by %s", councillor.id, sorted(set(wards)), actor.id)


def add_comment(councillor: User, consultation: Consultation, ward: str, body: str) -> CouncillorComment:
    """Add a councillor's public comment on their ward's result, attributed "Cllr <name>, <ward>"."""
    body = (body or "").strip()
    if not represents(councillor, ward):
        raise CouncillorError(f"You do not represent {ward}")
    if consultation.status not in COMMENTABLE_STATUSES:
        raise CouncillorError("You can comment once the consultation has closed")
    if not body:
        raise CouncillorError("Enter your comment")
    if len(body) > COMMENT_MAX:
        raise CouncillorError(f"Your comment must be {COMMENT_MAX:,} characters or fewer")
    comment = CouncillorComment(consultation_id=consultation.id, user_id=councillor.id,
                                author_name=councillor.display_name, ward=ward, body=body)
    db.session.add(comment)
    db.session.commit()
    log.info("councillor %s commented on %s for %s", councillor.id, consultation.slug, ward)
    return comment


def remove_comment(comment: CouncillorComment, actor: User, reason: str) -> None:
    """Take a comment off the public page. Officers give a reason; a councillor may withdraw their own."""
    reason = (reason or "").strip()
    is_author = comment.user_id == actor.id
    if not is_author and not actor.has_any_role({Role.OFFICER, Role.ADMIN}):
        raise CouncillorError("Only officers or the comment's author can remove it")
    if comment.removed_at is not None:
        raise CouncillorError("This comment has already been removed")
    if not is_author and not reason:
        raise CouncillorError("Enter why you are removing the comment")
    comment.removed_at = utcnow()
    comment.removed_by_id = actor.id
    comment.removal_reason = (reason or "Withdrawn by the councillor")[:300]
    record_audit_event(actor, "councillor_comment.removed", "councillor_comment", comment.id,
                       reason=comment.removal_reason)
    db.session.commit()
    log.info("councillor comment %s removed by %s", comment.id, actor.id)


def suggest_topic(councillor: User, title: str, details: str, ward: str | None) -> TopicSuggestion:
    """Send officers a councillor's idea for a consultation."""
    title, details = (title or "").strip(), (details or "").strip()
    if not title:
        raise CouncillorError("Enter the topic")
    if ward and not represents(councillor, ward):
        raise CouncillorError(f"You do not represent {ward}")
    suggestion = TopicSuggestion(user_id=councillor.id, author_name=councillor.display_name, ward=ward or None,
                                 title=title[:200], details=details)
    db.session.add(suggestion)
    db.session.commit()
    log.info("topic suggestion %s made by councillor %s", suggestion.id, councillor.id)
    return suggestion


def decide_suggestion(suggestion: TopicSuggestion, status: SuggestionStatus, reason: str, officer: User) -> None:
    """Accept or decline a suggestion, with a reason the councillor will see."""
    reason = (reason or "").strip()
    if status == SuggestionStatus.PENDING:
        raise CouncillorError("Choose whether to accept or decline the suggestion")
    if not reason:
        raise CouncillorError("Enter a reason the councillor will see")
    suggestion.status = status
    suggestion.decision_reason = reason
    suggestion.decided_by_id = officer.id
    suggestion.decided_at = utcnow()
    db.session.commit()
    log.info("topic suggestion %s %s by %s", suggestion.id, status.value, officer.id)
