"""Reads for answering: invitations behind private links, responses."""

from epanel.consultations.invitations import hash_invitation_token
from epanel.consultations.models import ConsultationStatus, Invitation
from epanel.extensions import db
from epanel.panels.models import Group, GroupContact, MemberStatus


def get_invitation(invitation_id: int) -> Invitation | None:
    return db.session.get(Invitation, invitation_id)


def find_invitation(token: str) -> Invitation | None:
    """The invitation a private link belongs to, usable or not (None for a guessed token)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(db.select(Invitation).where(Invitation.token_hash == hash_invitation_token(token)))


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
