"""Private invitation links: only a hash of each token is stored."""

import hashlib
import secrets

from epanel.consultations.models import ConsultationStatus, Invitation
from epanel.extensions import db
from epanel.panels.models import MemberStatus


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_invitation_token() -> str:
    return secrets.token_urlsafe(24)


def find_usable_invitation(token: str) -> Invitation | None:
    """The invitation behind a private link, if it still works: not revoked, consultation open,
    and the member still on a panel (not left or erased)."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.token_hash == hash_invitation_token(token)))
    if invitation is None or invitation.revoked_at is not None or invitation.member is None:
        return None
    if invitation.member.status == MemberStatus.LEFT:
        return None
    if invitation.consultation.status != ConsultationStatus.OPEN:
        return None
    return invitation
