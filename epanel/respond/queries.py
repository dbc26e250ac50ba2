"""Reads for answering: invitations behind private links, responses."""

from sqlalchemy import and_
from sqlalchemy.orm import joinedload

from epanel.consultations.invitations import hash_invitation_token
from epanel.consultations.models import Consultation, ConsultationStatus, Invitation
from epanel.consultations.structure import AnsweringConsultation, get_structure
from epanel.extensions import db
from epanel.panels.models import Group, GroupContact, MemberStatus
from epanel.respond.models import Response


def get_invitation(invitation_id: int) -> Invitation | None:
    return db.session.get(Invitation, invitation_id)


def get_consultation_with_invitation(slug: str, invitation_id: int) -> tuple[
        AnsweringConsultation | None, Invitation | None, Response | None]:
    """What every answering page needs for an invited member, in one query: the consultation (its
    structure from the cache), the invitation if it is for this consultation, its member, and its response."""
    row = db.session.execute(
        db.select(Consultation, Invitation, Response)
        .outerjoin(Invitation, and_(Invitation.id == invitation_id, Invitation.consultation_id == Consultation.id))
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Consultation.slug == slug)
        .options(joinedload(Invitation.member))
    ).first()
    if row is None:
        return None, None, None
    consultation, invitation, response = row
    return AnsweringConsultation(consultation, get_structure(consultation)), invitation, response


def find_invitation(token: str) -> Invitation | None:
    """The invitation a private link belongs to, usable or not (None for a guessed token), with its member
    and consultation."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(db.select(Invitation).where(Invitation.token_hash == hash_invitation_token(token))
                             .options(joinedload(Invitation.member), joinedload(Invitation.consultation)))


def invitation_problem(invitation: Invitation) -> str | None:
    """Why a private link no longer works ('revoked', 'left', 'not_open', 'closed'), or None."""
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.member is None or invitation.member.status == MemberStatus.LEFT:
        return "left"
    status = invitation.consultation.status
    if status in (ConsultationStatus.DRAFT, ConsultationStatus.SCHEDULED):
        return "not_open"
    if status != ConsultationStatus.OPEN:
        return "closed"
    return None


def groups_member_can_answer_for(member) -> list:
    """Groups this member is a contact point for, with the right to respond on the group's behalf."""
    if member is None:
        return []
    return list(db.session.scalars(
        db.select(Group).join(GroupContact, GroupContact.group_id == Group.id)
        .where(GroupContact.member_id == member.id, GroupContact.can_respond.is_(True))
        .order_by(Group.name)
    ))
