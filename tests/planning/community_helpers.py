"""Test data for councillors and community groups: wards, councillors, groups with contact points,
and consultations with responses from known wards."""

import itertools
from datetime import UTC, datetime

from epanel.accounts.models import User
from epanel.consultations import operations as authoring
from epanel.consultations.kinds import Parsed
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.panels import outreach
from epanel.panels.models import GroupKind, PostcodeArea
from epanel.planning import councillors
from epanel.respond.models import ResponseChannel
from epanel.respond.operations import record_complete_response
from tests.factories import create_member, create_panel, create_user

# A Monday and a Thursday in the same ISO week (UK winter time, so UTC is UK time), and the next Monday.
MONDAY = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
THURSDAY = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2030, 1, 14, 9, 0, tzinfo=UTC)

_postcodes = itertools.count(1)


def known_wards(*wards: str) -> None:
    """Put wards in the postcode lookup, so the council knows of them."""
    for ward in wards:
        db.session.add(PostcodeArea(postcode=f"AV{next(_postcodes)} 1AA", ward=ward))
    db.session.commit()


def make_councillor(name="Jo Bloggs", wards=("Oakfield",), email=None) -> User:
    """A councillor (two-factor enrolled with the test secret) representing `wards`."""
    known_wards(*wards)
    user = create_user(email=email, roles=("councillor",), name=name)
    officer = officer_user()
    councillors.set_wards(user, list(wards), officer)
    return user


def officer_user(email=None) -> User:
    return create_user(email=email, roles=("officer",), name="Olive Officer")


def make_consultation(title="Library opening hours", *, status=ConsultationStatus.OPEN, **access):
    """A consultation with Q1 yes/no and Q2 single choice, moved to `status` (open, closed or published)."""
    consultation = authoring.create_consultation(title, None, summary="When should libraries open?", **access)
    section = consultation.sections[0]
    authoring.add_question(section, "yes_no", "Should libraries open on Sundays?")
    authoring.add_question(section, "single", "How often do you visit?", choices=["Weekly", "Monthly", "Rarely"])
    if status == ConsultationStatus.DRAFT:
        return consultation
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    if status in (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED):
        authoring.move_to(consultation, ConsultationStatus.CLOSED)
    if status == ConsultationStatus.PUBLISHED:
        authoring.move_to(consultation, ConsultationStatus.PUBLISHED)
    return consultation


def answer(consultation, count=1, *, ward=None, sunday="1", often="1", **fields):
    """`count` complete responses from `ward`; extra fields (group_id, referral_group_id, invitation_id) go on each."""
    by_code = {question.code: question for question in consultation.questions}
    values = {by_code["Q1"].id: Parsed(value=sunday), by_code["Q2"].id: Parsed(value=often)}
    made = []
    for _ in range(count):
        response = record_complete_response(consultation, values, channel=ResponseChannel.WEB,
                                            snapshot={"ward": ward} if ward else None)
        for name, value in fields.items():
            setattr(response, name, value)
        made.append(response)
    db.session.commit()
    return made


def make_group_contact(group_name="Oakfield Residents' Association", *, email="clerk@example.org",
                       first_name="Chris", with_account=True, **member_fields):
    """A group and a member (active, agreeing to e-mail unless `member_fields` say otherwise) who is its
    contact point; returns (group, member, user or None)."""
    group = outreach.create_group(group_name, GroupKind.COMMUNITY_GROUP, size=120)
    user = create_user(email=email, roles=("member",), name=first_name) if with_account else None
    member_fields.setdefault("contact_by_email", True)
    member = create_member([create_panel()], email=email, first_name=first_name,
                           user_id=user.id if user else None, **member_fields)
    outreach.add_group_contact(group, email, role_title="Secretary", can_respond=True, actor=None)
    return group, member, user
