"""Test data for outcomes and the community plan: a closed consultation with respondents, and its outcome."""

from datetime import UTC, datetime

from epanel.consultations import operations as authoring
from epanel.consultations.kinds import Parsed
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.planning import outcomes
from epanel.respond.models import ResponseChannel
from epanel.respond.operations import record_complete_response
from tests.factories import create_member, create_panel

# Noon in summer (BST), and half past ten at night: outside and inside quiet hours.
DAY = datetime(2030, 6, 12, 11, 0, tzinfo=UTC)
NIGHT = datetime(2030, 6, 12, 21, 30, tzinfo=UTC)

_mobiles = iter(range(100, 999))


def make_consultation(title="Library opening hours", **access):
    """An open consultation: Q1 yes/no (Sunday opening), Q2 single choice (how often)."""
    consultation = authoring.create_consultation(title, None, summary="When should libraries open?", **access)
    section = consultation.sections[0]
    authoring.add_question(section, "yes_no", "Should libraries open on Sundays?")
    authoring.add_question(section, "single", "How often do you visit?", choices=["Weekly", "Monthly", "Rarely"])
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def answer(consultation, member=None, *, sunday="1", often="1", channel=ResponseChannel.WEB, **snapshot):
    """One complete response; `sunday` is the yes/no code, `often` the single-choice code."""
    by_code = {question.code: question for question in consultation.questions}
    values = {by_code["Q1"].id: Parsed(value=sunday), by_code["Q2"].id: Parsed(value=often)}
    response = record_complete_response(consultation, values, channel=channel, member=member, snapshot=snapshot)
    db.session.commit()
    return response


def texter(panel, name, **fields):
    fields.setdefault("mobile", f"+447700900{next(_mobiles)}")
    fields.setdefault("contact_by_sms", True)
    return create_member([panel], first_name=name, **fields)


def emailer(panel, name, **fields):
    fields.setdefault("email", f"{name.lower()}@example.org")
    fields.setdefault("contact_by_email", True)
    return create_member([panel], first_name=name, **fields)


def citizens():
    return create_panel("citizens", "Citizens' Panel")


def close(consultation):
    authoring.move_to(consultation, ConsultationStatus.CLOSED)
    return consultation


def write_outcome(consultation, *, headlines=(), by="", what_we_did="We will open three libraries on Sundays."):
    question_ids = [question.id for question in consultation.questions if question.code in headlines]
    return outcomes.save_outcome(consultation, None, what_we_asked="When libraries should open.",
                                 what_you_said="Most of you want Sunday opening.", what_we_did=what_we_did,
                                 headlines=[{"question_id": question_id, "by": by} for question_id in question_ids])
