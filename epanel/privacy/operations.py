"""Subject access and erasure: the privacy operations that reach across domains (top of the stack)."""

import logging

from epanel.accounts.models import User
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.panels.models import GroupContact, Member
from epanel.panels.queries import consent_history
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

PROFILE_FIELDS = [
    "first_name", "last_name", "email", "mobile", "address", "postcode", "ward", "parish",
    "date_of_birth", "gender", "ethnic_group", "disability", "caring",
    "contact_by_email", "contact_by_sms", "contact_by_post", "parent_name", "parent_contact",
]


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def export_member_data(member: Member, actor) -> dict:
    """Everything held about a member, as plain JSON-ready data; the download is audited."""
    contacts = db.session.scalars(db.select(GroupContact).where(GroupContact.member_id == member.id))
    data = {
        "exported_at": utcnow().isoformat(),
        "profile": {name: _plain(getattr(member, name)) for name in PROFILE_FIELDS},
        "status": member.status.value,
        "source": member.source.value,
        "joined": _plain(member.created_at),
        "confirmed": _plain(member.confirmed_at),
        "custom_attributes": member.custom_attributes or {},
        "panels": [
            {"panel": m.panel.name, "joined": _plain(m.joined_at)} for m in member.memberships
        ],
        "groups": [
            {"group": c.group.name, "role": c.role_title, "can_respond": c.can_respond} for c in contacts
        ],
        "consents": [
            {
                "what": c.kind.label,
                "panel_id": c.panel_id,
                "privacy_notice_version": c.notice_version,
                "how": c.channel.value,
                "given": _plain(c.given_at),
                "given_by": c.given_by,
                "withdrawn": _plain(c.withdrawn_at),
                "withdrawn_how": c.withdrawn_how,
            }
            for c in consent_history(member)
        ],
        "responses": _responses_of(member),
    }
    record_audit_event(actor, "member.data_exported", "member", member.id)
    db.session.commit()
    log.info("data export made for member %s", member.id)
    return data


def _responses_of(member: Member) -> list[dict]:
    """The member's own answers, consultation by consultation, as they gave them (labels, not codes)."""
    from sqlalchemy.orm import selectinload

    from epanel.consultations.models import Option
    from epanel.respond.models import Answer, Response

    responses = list(db.session.scalars(
        db.select(Response).where(Response.member_id == member.id).order_by(Response.id)
        .options(selectinload(Response.consultation), selectinload(Response.answers).selectinload(Answer.question),
                 selectinload(Response.answers).selectinload(Answer.option))
    ))
    row_ids = {answer.row_id for response in responses for answer in response.answers if answer.row_id}
    rows = dict(db.session.execute(db.select(Option.id, Option.label).where(Option.id.in_(row_ids))).all()) if row_ids else {}
    return [
        {
            "consultation": response.consultation.title,
            "reference": response.reference,
            "channel": response.channel.value,
            "status": response.status.value,
            "submitted": _plain(response.submitted_at),
            "answers": [
                {"question": answer.question.text,
                 **({"row": rows.get(answer.row_id)} if answer.row_id else {}),
                 "answer": answer.option.label if answer.option is not None else answer.text,
                 **({"number": answer.number} if answer.number is not None else {}),
                 **({"also_typed": answer.text} if answer.option is not None and answer.text else {})}
                for answer in sorted(response.answers, key=lambda answer: (answer.question.position, answer.id))
            ],
        }
        for response in responses
    ]


def erase_member(member: Member, actor) -> None:
    """Delete the person: profile, memberships, consents, tokens and their sign-in account.

    Answers they gave are kept only as anonymous rows with their stored analysis
    attributes (the consultation domain detaches them before this runs).
    """
    member_id = member.id
    user = db.session.get(User, member.user_id) if member.user_id else None
    db.session.delete(member)
    if user is not None and not user.is_staff:
        db.session.delete(user)
    record_audit_event(actor, "member.erased", "member", member_id)
    db.session.commit()
    log.info("member %s erased", member_id)
