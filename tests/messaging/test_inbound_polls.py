"""Answering by text: one-question SMS polls, short surveys one question at a time, retries and resuming."""

import pytest
from sqlalchemy import select

from epanel.consultations import operations as consultation_operations
from epanel.consultations.kinds import KINDS
from epanel.consultations.models import ConsultationStatus, Invitation
from epanel.extensions import db
from epanel.messaging.conversations import SmsSurveyError, start_sms_survey
from epanel.messaging.models import InboundKind, InboundMessage, SmsConversation
from epanel.respond.models import Answer, Response, ResponseChannel
from tests.factories import create_consultation, create_invitation, create_member, create_panel
from tests.messaging.conftest import text_in

NUMBER = "+447700900123"


@pytest.fixture
def app(texting_app):
    return texting_app


@pytest.fixture
def member(app):
    return create_member([create_panel("citizens", "Citizens' Panel")], first_name="Sam", last_name="Okafor",
                         mobile=NUMBER, contact_by_sms=True, ward="Riverside")


def poll(kind="single", **extras):
    consultation = create_consultation("Park opening hours", kinds=(), open_now=False, for_sms_poll=True)
    question = consultation_operations.add_question(consultation.sections[0], kind, "How often do you visit?",
                                                    **extras)
    question.sms_code = "PARK"
    db.session.commit()
    consultation_operations.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def responses():
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def answers_of(response):
    return [(a.question.code, a.option.label if a.option else a.number if a.number is not None else a.text)
            for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id).order_by(Answer.id))]


def last_inbound():
    return db.session.scalar(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1))


# --- one-question polls --------------------------------------------------------------------------


@pytest.mark.parametrize("reply, label", [("2", "Every week"), ("b", "Every week"), ("B)", "Every week"),
                                          ("every week", "Every week"), ("Option 3", "Less often"), ("1.", "Every day")])
def test_an_invited_member_answers_a_poll_by_number_letter_or_words(app, client, member, reply, label):
    consultation = poll(choices=["Every day", "Every week", "Less often"])
    invitation, _ = create_invitation(consultation, member)

    confirmation = text_in(client, reply)

    assert confirmation.startswith("Thank you") and label in confirmation
    (response,) = responses()
    assert (response.channel, response.member_id, response.invitation_id) == (ResponseChannel.SMS, member.id,
                                                                              invitation.id)
    assert response.ward == "Riverside"  # the analysis snapshot, as on the web
    assert answers_of(response) == [("Q1", label)]
    assert db.session.get(Invitation, invitation.id).completed_at is not None
    assert last_inbound().kind is InboundKind.ANSWER


def test_yes_answers_a_yes_no_poll_rather_than_opting_in(app, client, member):
    consultation = poll("yes_no")
    create_invitation(consultation, member)

    assert "Yes" in text_in(client, "Yes")
    assert answers_of(responses()[0]) == [("Q1", "Yes")]


@pytest.mark.parametrize("kind, reply, expected", [
    ("agreement", "1", "Strongly agree"), ("agreement", "disagree", "Disagree"), ("rating", "8", 8.0),
    ("rating", "about 7", 7.0), ("number", "12", 12.0), ("multiple", "1, 3", None), ("short_text", "More bins", "More bins"),
])
def test_each_kind_that_can_be_texted_reads_its_reply(app, client, member, kind, reply, expected):
    extras = {"multiple": {"choices": ["Walking", "Sport", "Play"]}, "number": {"settings": {"min": 0, "max": 20}}}
    consultation = poll(kind, **extras.get(kind, {}))
    create_invitation(consultation, member)

    assert text_in(client, reply).startswith("Thank you")
    stored = answers_of(responses()[0])
    if kind == "multiple":
        assert stored == [("Q1", "Walking"), ("Q1", "Play")]
    else:
        assert stored == [("Q1", expected)]


def test_ranking_and_grid_say_they_cannot_be_texted():
    assert not KINDS["ranking"].by_sms and not KINDS["grid"].by_sms
    assert KINDS["grid"].parse_sms_reply(None, "1").error


def test_an_unclear_reply_gets_one_retry_prompt_then_goes_to_an_officer(app, client, member):
    consultation = poll(choices=["Every day", "Every week", "Less often"])
    create_invitation(consultation, member)

    retry = text_in(client, "7")
    assert "could not read" in retry and "1 Every day" in retry
    assert (last_inbound().kind, last_inbound().needs_officer) == (InboundKind.UNCLEAR, False)

    second = text_in(client, "maybe")
    assert "passed it to our team" in second
    assert (last_inbound().kind, last_inbound().needs_officer) == (InboundKind.UNCLEAR, True)

    assert text_in(client, "2").startswith("Thank you")  # the poll still takes an answer
    assert len(responses()) == 1


def test_a_long_message_during_a_poll_is_for_an_officer_not_an_unclear_answer(app, client, member):
    consultation = poll(choices=["Every day", "Every week"])
    create_invitation(consultation, member)

    assert text_in(client, "Sorry who is this and why do you have my number?") is None
    assert (last_inbound().kind, last_inbound().needs_officer) == (InboundKind.OTHER, True)
    assert text_in(client, "1").startswith("Thank you")


def test_a_member_not_invited_or_already_answered_is_not_taken_as_answering(app, client, member):
    consultation = poll(choices=["Every day", "Every week"])

    assert text_in(client, "2") is None  # not invited
    invitation, _ = create_invitation(consultation, member)
    text_in(client, "2")
    assert text_in(client, "1") is None  # answered already: one response, the rest is for an officer

    assert len(responses()) == 1
    assert last_inbound().kind is InboundKind.OTHER


def test_a_closed_poll_takes_no_answer(app, client, member):
    consultation = poll(choices=["Every day", "Every week"])
    create_invitation(consultation, member)
    start_sms_survey(member, consultation)
    db.session.commit()
    consultation_operations.move_to(consultation, ConsultationStatus.CLOSED)

    assert "has closed" in text_in(client, "1")
    assert responses() == []


def test_a_stop_in_the_middle_of_a_poll_wins(app, client, member):
    consultation = poll(choices=["Every day", "Every week"])
    create_invitation(consultation, member)

    assert "no more texts" in text_in(client, "STOP")
    assert responses() == []
    assert db.session.scalar(select(SmsConversation)) is None or db.session.scalar(
        select(SmsConversation)).finished_at is not None


# --- short surveys, one question at a time -----------------------------------------------------


def survey():
    """Three questions; the third is shown only to those who answer Yes to the first."""
    consultation = create_consultation("Town centre", kinds=(), open_now=False, for_sms_poll=True)
    page = consultation.sections[0]
    first = consultation_operations.add_question(page, "yes_no", "Do you drive into town?")
    consultation_operations.add_question(page, "rating", "How safe do you feel in town?")
    consultation_operations.add_question(page, "single", "Where do you park?", choices=["Car park", "Street"],
                                         condition={"question_id": first.id, "option_codes": ["1"]})
    consultation_operations.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def test_a_survey_goes_one_question_at_a_time_and_stores_one_sms_response(app, client, member):
    consultation = survey()
    invitation, _ = create_invitation(consultation, member)
    start_sms_survey(member, consultation)
    db.session.commit()
    (first,) = app.extensions["epanel_sms_gateway"].sent
    assert first.to == NUMBER and "Town centre" in first.body and "Do you drive into town?" in first.body
    assert "Reply YES or NO" in first.body and "STOP" in first.body

    assert "Question 2: How safe" in text_in(client, "yes")
    assert "Question 3: Where do you park?" in text_in(client, "9")
    assert "last question" in text_in(client, "street")

    (response,) = responses()
    assert response.channel is ResponseChannel.SMS and response.invitation_id == invitation.id
    assert answers_of(response) == [("Q1", "Yes"), ("Q2", 9.0), ("Q3", "Street")]


def test_a_survey_skips_questions_its_conditions_hide(app, client, member):
    consultation = survey()
    create_invitation(consultation, member)
    start_sms_survey(member, consultation)
    db.session.commit()

    text_in(client, "no")
    assert "last question" in text_in(client, "6")

    assert answers_of(responses()[0]) == [("Q1", "No"), ("Q2", 6.0)]


def test_a_survey_resumes_where_the_member_left_off(app, client, member):
    consultation = survey()
    create_invitation(consultation, member)
    start_sms_survey(member, consultation)
    db.session.commit()
    text_in(client, "yes")

    start_sms_survey(member, consultation)  # the campaign's reminder, days later
    db.session.commit()

    resumed = app.extensions["epanel_sms_gateway"].sent[-1]
    assert "Carry on where you left off" in resumed.body and "How safe" in resumed.body
    text_in(client, "3")
    text_in(client, "car park")
    assert answers_of(responses()[0]) == [("Q1", "Yes"), ("Q2", 3.0), ("Q3", "Car park")]


def test_a_consultation_that_cannot_be_texted_is_refused_with_a_reason(app, member):
    ranking = create_consultation("Priorities", kinds=("ranking",), for_sms_poll=True)
    not_sms = create_consultation("Web only", kinds=("single",))

    with pytest.raises(SmsSurveyError, match="cannot be answered by text: Q1"):
        start_sms_survey(member, ranking)
    with pytest.raises(SmsSurveyError, match="not set up"):
        start_sms_survey(member, not_sms)


def test_an_opted_out_member_is_sent_no_survey(app, client, member):
    consultation = survey()
    text_in(client, "STOP")

    message = start_sms_survey(member, consultation)
    db.session.commit()

    assert message.state.value == "cancelled"
    assert [m for m in app.extensions["epanel_sms_gateway"].sent if "Town centre" in m.body] == []
