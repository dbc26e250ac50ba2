"""Publishing "You said, we did": one results notice per reachable respondent, by their channel,
opt-outs and quiet hours honoured, and nothing more however often it is published."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from epanel.classroom.operations import start_session
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.messaging.models import Campaign, CampaignKind, Message, MessageChannel
from epanel.messaging.outbox import record_opt_out
from epanel.planning import outcomes
from epanel.planning.models import Outcome
from epanel.respond.models import ResponseChannel
from tests.classroom.helpers import create_teacher
from tests.factories import create_panel
from tests.planning.outcome_helpers import (
    DAY,
    NIGHT,
    answer,
    citizens,
    close,
    emailer,
    make_consultation,
    texter,
    write_outcome,
)


@pytest.fixture
def gateway(app):
    return app.extensions["epanel_sms_gateway"]


def results_messages() -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.purpose == "results").order_by(Message.id)))


def test_publishing_sends_one_results_notice_per_reachable_respondent_by_their_channel(app, mailbox, gateway):
    panel = citizens()
    consultation = make_consultation()
    ann = emailer(panel, "Ann")
    bob = texter(panel, "Bob")
    # Cat asked for texts and e-mails: her preferred channel, a text, and only that.
    cat = texter(panel, "Cat", email="cat@example.org", contact_by_email=True)
    # Dan answered twice, on the web and on paper: still one notice.
    dan = emailer(panel, "Dan")
    for member in (ann, bob, cat, dan):
        answer(consultation, member)
    answer(consultation, dan, channel=ResponseChannel.PAPER)
    # A member of the public who left an address for a copy of their answers.
    answer(consultation, contact_email="Pat@Example.org")
    close(consultation)
    write_outcome(consultation)

    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert (report.by_email, report.by_sms, report.teachers) == (2 + 1, 2, 0)
    assert sorted(message['To'] for message in mailbox) == [
        "ann@example.org", "dan@example.org", "pat@example.org"]
    assert sorted(text.to for text in gateway.sent) == sorted([bob.mobile, cat.mobile])
    text = next(text for text in gateway.sent if text.to == bob.mobile)
    assert text.body.startswith("Hi Bob, thank you for your views on Library opening hours.")
    assert f"http://localhost/you-said-we-did/{consultation.slug}" in text.body
    email = next(message for message in mailbox if message['To'] == "ann@example.org")
    assert "We will open three libraries on Sundays." in email.get_content()
    assert f"http://localhost/you-said-we-did/{consultation.slug}" in email.get_content()
    db.session.expire_all()
    assert consultation.status is ConsultationStatus.PUBLISHED
    campaign = db.session.scalar(select(Campaign).where(Campaign.consultation_id == consultation.id))
    assert campaign.kind is CampaignKind.RESULTS
    assert {message.campaign_id for message in results_messages()} == {campaign.id}


def test_members_who_opted_out_get_no_results_notice(app, mailbox, gateway):
    panel = citizens()
    consultation = make_consultation()
    stopped = texter(panel, "Sam")  # replied STOP to our texts, and gave no e-mail
    no_contact = create_member_without_consent(panel)
    reachable = emailer(panel, "Ann")
    for member in (stopped, no_contact, reachable):
        answer(consultation, member)
    record_opt_out(stopped.mobile, "replied STOP")
    db.session.commit()
    close(consultation)
    write_outcome(consultation)

    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert report.total == 1
    assert report.left_out == 2
    assert [message.member_id for message in results_messages()] == [reachable.id]
    assert not gateway.sent
    assert [message['To'] for message in mailbox] == ["ann@example.org"]


def create_member_without_consent(panel):
    return emailer(panel, "Noel", contact_by_email=False)


def test_a_member_who_stopped_texts_but_takes_emails_hears_by_email(app, mailbox, gateway):
    panel = citizens()
    consultation = make_consultation()
    kim = texter(panel, "Kim", email="kim@example.org", contact_by_email=True)
    answer(consultation, kim)
    record_opt_out(kim.mobile, "replied STOP")
    db.session.commit()
    close(consultation)
    write_outcome(consultation)

    outcomes.publish_outcome(consultation, None, now=DAY)

    assert not gateway.sent
    assert [message['To'] for message in mailbox] == ["kim@example.org"]


def test_publishing_twice_or_double_clicking_sends_nothing_more(app, mailbox, gateway):
    panel = citizens()
    consultation = make_consultation()
    answer(consultation, emailer(panel, "Ann"))
    answer(consultation, texter(panel, "Bob"))
    close(consultation)
    write_outcome(consultation)
    outcomes.publish_outcome(consultation, None, now=DAY)

    with pytest.raises(outcomes.OutcomeError, match="already been published"):
        outcomes.publish_outcome(consultation, None, now=DAY)

    assert len(results_messages()) == 2
    assert len(mailbox) == 1 and len(gateway.sent) == 1


def test_texts_decided_in_quiet_hours_wait_for_the_morning_and_young_people_wait_longer(app, gateway):
    panel = citizens()
    youth = create_panel("youth", "Youth Panel", is_youth_panel=True)
    consultation = make_consultation()
    adult = texter(panel, "Ann")
    young = texter(youth, "Jo")
    answer(consultation, adult)
    answer(consultation, young)
    close(consultation)
    write_outcome(consultation)

    report = outcomes.publish_outcome(consultation, None, now=NIGHT)

    assert report.held_for_quiet_hours == 2
    assert not gateway.sent
    held = {message.member_id: message.next_attempt_at for message in results_messages()}
    assert held[adult.id] == datetime(2030, 6, 13, 7, 0, tzinfo=UTC)  # 08:00 in London (BST)
    assert held[young.id] == datetime(2030, 6, 13, 8, 0, tzinfo=UTC)  # 09:00 for the Youth Panel


def test_teachers_whose_classes_took_part_are_told_once(app, mailbox):
    consultation = make_consultation(for_schools=True)
    teacher = create_teacher(email="teacher@school.example.org")
    first = start_session(teacher, consultation, class_name="9R", year_group="Year 9")
    second = start_session(teacher, consultation, class_name="9S", year_group="Year 9")
    idle = create_teacher(email="idle@school.example.org")
    start_session(idle, consultation, class_name="8A", year_group="Year 8")  # nobody answered
    for session in (first, first, second):
        answer(consultation, channel=ResponseChannel.CLASS, class_session_id=session.id, year_group="Year 9")
    close(consultation)
    write_outcome(consultation)

    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert report.teachers == 1
    [notice] = [message for message in mailbox if message['To'] == "teacher@school.example.org"]
    assert "Your class took part in Library opening hours" in notice.get_content()
    assert len(mailbox) == 1


def test_an_outcome_cannot_be_published_before_it_is_written_or_while_the_consultation_is_open(app):
    consultation = make_consultation()
    with pytest.raises(outcomes.OutcomeError, match="Close the consultation"):
        write_outcome(consultation)
    close(consultation)
    with pytest.raises(outcomes.OutcomeError, match="Write the outcome first"):
        outcomes.publish_outcome(consultation, None, now=DAY)
    write_outcome(consultation, what_we_did="   ")
    with pytest.raises(outcomes.OutcomeError, match="Enter what the council did"):
        outcomes.publish_outcome(consultation, None, now=DAY)

    db.session.expire_all()
    assert consultation.status is ConsultationStatus.CLOSED
    assert db.session.scalar(select(Outcome.published_at)) is None
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_headlines_must_be_this_consultations_summable_questions(app):
    consultation = make_consultation()
    other = make_consultation("Bus routes")
    close(consultation)
    with pytest.raises(outcomes.OutcomeError, match="Choose headline questions"):
        outcomes.save_outcome(consultation, None, what_we_asked="a", what_you_said="b", what_we_did="c",
                              headlines=[{"question_id": other.questions[0].id, "by": ""}])
    with pytest.raises(outcomes.OutcomeError, match="breakdown"):
        outcomes.save_outcome(consultation, None, what_we_asked="a", what_you_said="b", what_we_did="c",
                              headlines=[{"question_id": consultation.questions[0].id, "by": "postcode"}])


def test_results_already_marked_published_can_still_get_their_outcome_and_notices(app, mailbox):
    from epanel.consultations.operations import move_to

    panel = citizens()
    consultation = make_consultation()
    answer(consultation, emailer(panel, "Ann"))
    close(consultation)
    write_outcome(consultation)
    move_to(consultation, ConsultationStatus.PUBLISHED)  # from the consultation page, before the outcome

    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert report.by_email == 1
    assert [message['To'] for message in mailbox] == ["ann@example.org"]
    assert db.session.scalar(select(Message.channel)) is MessageChannel.EMAIL


def test_two_officers_publishing_at_once_send_each_respondent_one_notice(make_app):
    import threading

    from tests.conftest import _empty_all_tables

    app = make_app(SMS_RATE_PER_SECOND=0)
    gateway = app.extensions["epanel_sms_gateway"]
    with app.app_context():
        panel = citizens()
        consultation = make_consultation()
        for number in range(12):
            answer(consultation, texter(panel, f"Member{number}"))
        close(consultation)
        write_outcome(consultation)
        consultation_id = consultation.id
    barrier = threading.Barrier(2)
    results = []

    def publish():
        try:
            with app.app_context():
                from epanel.consultations.models import Consultation

                barrier.wait()
                results.append(outcomes.publish_outcome(db.session.get(Consultation, consultation_id), None, now=DAY))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            results.append(error)

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    try:
        refused = [item for item in results if isinstance(item, outcomes.OutcomeError)]
        reports = [item for item in results if isinstance(item, outcomes.PublishReport)]
        assert len(reports) == 1 and len(refused) == 1, results
        assert reports[0].by_sms == 12
        assert len(gateway.sent) == 12
        assert len({text.to for text in gateway.sent}) == 12
        with app.app_context():
            assert db.session.scalar(select(func.count(Message.id)).where(Message.purpose == "results")) == 12
            assert db.session.scalar(select(func.count(Campaign.id))) == 1
    finally:
        with app.app_context():
            _empty_all_tables()
