"""Joining a panel by text: JOIN or YOUTH, then name, age and postcode, then a link to finish on the web."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from epanel.extensions import db
from epanel.messaging.models import InboundKind, InboundMessage, SmsConversation
from epanel.panels.models import Member, MemberSource
from tests.factories import create_member, create_panel
from tests.messaging.conftest import text_in
from tests.pages import get, path_of

NUMBER = "+447700900321"


@pytest.fixture
def app(texting_app):
    return texting_app


@pytest.fixture
def panels(app):
    return {
        "citizens": create_panel("citizens", "Citizens' Panel", min_age=18),
        "youth": create_panel("youth", "Youth Panel", min_age=11, max_age=25, is_youth_panel=True),
    }


def link_path(reply: str) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", reply).group(1)


def test_join_asks_name_age_and_postcode_then_texts_a_link_that_fills_in_the_web_sign_up(app, client, panels):
    first = text_in(client, "join", sender=NUMBER)
    assert "Citizens' Panel" in first and "/privacy" in first and "name" in first
    assert "How old" in text_in(client, "Priya Shah", sender=NUMBER)
    assert "postcode" in text_in(client, "I'm 34", sender=NUMBER)
    done = text_in(client, "av1 2bx", sender=NUMBER)
    assert "Thanks, Priya" in done and "48 hours" in done

    assert {row.kind for row in db.session.scalars(select(InboundMessage))} == {InboundKind.JOIN}
    landing = get(client, link_path(done))
    # Only an age was given, so the web asks the date of birth first; the rest is filled in.
    assert path_of(landing.location) == "/join/date-of-birth"
    with client.session_transaction() as session:
        answers = session["sign_up"]
    assert (answers["first_name"], answers["last_name"], answers["mobile"], answers["postcode"],
            answers["panel_slugs"], answers["source"]) == ("Priya", "Shah", NUMBER, "AV1 2BX", ["citizens"], "sms")


def test_a_date_of_birth_by_text_takes_the_link_straight_to_contact_details(app, client, panels):
    text_in(client, "JOIN", sender=NUMBER)
    text_in(client, "Priya Shah", sender=NUMBER)
    text_in(client, "21/06/1990", sender=NUMBER)
    done = text_in(client, "AV1 2BX", sender=NUMBER)

    assert path_of(get(client, link_path(done)).location) == "/join/contact"
    with client.session_transaction() as session:
        assert session["sign_up"]["date_of_birth"] == "1990-06-21"


def test_a_member_who_finishes_on_the_web_comes_from_sms(app, client, panels):
    from epanel.panels import signup

    answers = signup.answers_from_text(panels["citizens"], first_name="Priya", last_name="Shah", mobile=NUMBER,
                                       postcode="AV1 2BX", date_of_birth=date(1990, 6, 21))
    answers.agreed_notice = signup.notice_version_for(35)

    signup.submit_sign_up(answers)

    member = db.session.scalar(select(Member))
    assert (member.source, member.mobile, member.contact_by_sms) == (MemberSource.SMS, NUMBER, True)


def test_youth_keyword_joins_the_youth_panel_and_an_under_16_is_told_a_parent_is_needed(app, client, panels):
    assert "Youth Panel" in text_in(client, "YOUTH", sender=NUMBER)
    text_in(client, "Jo Bloggs", sender=NUMBER)
    text_in(client, "14", sender=NUMBER)
    done = text_in(client, "AV1 2BX", sender=NUMBER)

    assert "under 16" in done and "parent or carer" in done
    get(client, link_path(done))
    with client.session_transaction() as session:
        assert session["sign_up"]["panel_slugs"] == ["youth"]


def test_an_age_the_panel_does_not_take_ends_the_conversation_and_points_to_another_panel(app, client, panels):
    text_in(client, "JOIN", sender=NUMBER)
    text_in(client, "Jo Bloggs", sender=NUMBER)

    reply = text_in(client, "16", sender=NUMBER)

    assert "Citizens' Panel is for people aged 18 and over" in reply
    assert "text YOUTH" in reply
    assert db.session.scalar(select(SmsConversation)).finished_at is not None
    assert text_in(client, "AV1 2BX", sender=NUMBER) is None  # no longer in a conversation: for an officer


def test_under_13s_are_told_about_school_and_nothing_is_kept_to_finish(app, client, panels):
    text_in(client, "YOUTH", sender=NUMBER)
    text_in(client, "Jo Bloggs", sender=NUMBER)

    reply = text_in(client, "12", sender=NUMBER)

    assert "13 or over" in reply and "school" in reply
    assert "http" not in reply


def test_unclear_answers_get_a_retry_prompt(app, client, panels):
    text_in(client, "JOIN", sender=NUMBER)
    assert "first and last name" in text_in(client, "Priya", sender=NUMBER)
    text_in(client, "Priya Shah", sender=NUMBER)
    assert "age as a number" in text_in(client, "old enough", sender=NUMBER)
    text_in(client, "40", sender=NUMBER)
    assert "like AV1 2BX" in text_in(client, "my house", sender=NUMBER)


def test_a_number_that_is_already_a_member_is_not_signed_up_again(app, client, panels):
    create_member([panels["citizens"]], mobile=NUMBER)

    assert "already on our panels" in text_in(client, "JOIN", sender=NUMBER)
    assert db.session.scalar(select(SmsConversation)) is None


def test_join_keywords_come_from_settings(make_app):
    from tests.conftest import _empty_all_tables

    app = make_app(TWILIO_AUTH_TOKEN="test-auth-token", SMS_JOIN_KEYWORDS="PANEL:citizens")
    with app.app_context():
        try:
            create_panel("citizens", "Citizens' Panel", min_age=18)
            client = app.test_client()
            assert text_in(client, "JOIN", sender=NUMBER) is None
            assert "Citizens' Panel" in text_in(client, "panel", sender=NUMBER)
        finally:
            db.session.remove()
            _empty_all_tables()


def test_a_forged_or_expired_link_is_not_usable(app, client, panels):
    text_in(client, "JOIN", sender=NUMBER)
    text_in(client, "Priya Shah", sender=NUMBER)
    text_in(client, "34", sender=NUMBER)
    path = link_path(text_in(client, "AV1 2BX", sender=NUMBER))

    assert get(client, path[:-3] + "abc").status == 400
    assert get(client, "/join/text/nonsense").status == 400
    conversation = db.session.scalar(select(SmsConversation))
    conversation.finished_at = conversation.finished_at.replace(year=2000)
    db.session.commit()
    assert get(client, path).status == 400
