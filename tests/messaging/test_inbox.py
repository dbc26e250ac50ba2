"""The officer inbox of texts: what waits for a person, the sender's member record, replying and dealing with."""

import pytest
from sqlalchemy import select

from epanel.extensions import db
from epanel.messaging import inbound
from epanel.messaging.models import InboundMessage, Message, MessageState
from epanel.privacy.models import AuditEvent
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.messaging.conftest import text_in
from tests.pages import get, path_of, sign_in, submit

NUMBER = "+447700900123"


@pytest.fixture
def app(texting_app):
    return texting_app


@pytest.fixture
def officer_client(app, client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return client


@pytest.fixture
def member(app):
    return create_member([create_panel("citizens", "Citizens' Panel")], first_name="Sam", last_name="Okafor",
                         mobile=NUMBER, contact_by_sms=True)


def rows():
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def test_only_officers_and_admins_see_the_inbox(app, client):
    assert path_of(get(client, "/officer/texts").location).startswith("/sign-in?next=")
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    assert get(client, "/officer/texts").status == 403
    assert client.post("/officer/texts/1/handled").status_code in (400, 403)


def test_the_inbox_lists_texts_for_an_officer_newest_first_with_counts_by_kind(app, officer_client, member):
    text_in(officer_client, "Is the library open on Sunday?")
    text_in(officer_client, "HELP")  # answered automatically: not for an officer
    text_in(officer_client, "Who are you?", sender="+447700900888")
    text_in(officer_client, "please stop texting me", sender="+447700900889")

    page = get(officer_client, "/officer/texts")

    assert page.status == 200
    assert page.heading == "Texts for an officer"
    cards = [card.get_text(" ", strip=True) for card in page.soup.select(".govuk-summary-card")]
    assert len(cards) == 3
    assert "+447700900889" in cards[0] and "Asked not to be texted" in cards[0]
    assert "Sam Okafor" in cards[2] and "library" in cards[2]
    counts = {row.th.get_text(" ", strip=True): row.td.get_text(strip=True)
              for row in page.soup.select("table tbody tr") if row.th}
    assert counts == {"Asked not to be texted": "1", "Message for an officer": "2"}
    only = get(officer_client, "/officer/texts?kind=complaint")
    assert len(only.soup.select(".govuk-summary-card")) == 1
    assert get(officer_client, "/officer/texts?kind=nonsense").status == 404


def test_the_inbox_pages_through_many_texts(app, officer_client):
    for number in range(inbound.INBOX_PAGE_SIZE + 3):
        text_in(officer_client, f"Message {number}", sender="+447700900555")

    first = get(officer_client, "/officer/texts")
    second = get(officer_client, "/officer/texts?page=2")

    assert len(first.soup.select(".govuk-summary-card")) == inbound.INBOX_PAGE_SIZE
    assert len(second.soup.select(".govuk-summary-card")) == 3
    assert "Message 0" in second.text


def test_a_text_shows_the_sender_member_record_and_the_conversation(app, officer_client, member):
    text_in(officer_client, "JOIN")
    text_in(officer_client, "Can I come to the meeting?")
    (_, question) = rows()

    page = get(officer_client, f"/officer/texts/{question.id}")

    assert page.heading == "Text from Sam Okafor"
    link = page.soup.select_one(f"a[href='/officer/members/{member.id}']")
    assert link is not None and link.get_text(strip=True) == "Sam Okafor"
    assert "Can I come to the meeting?" in page.text and "already on our panels" in page.text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inbound_text.viewed")) is not None


def test_an_officer_replies_by_text_and_the_text_counts_as_dealt_with(app, officer_client, member):
    text_in(officer_client, "Can I come to the meeting?")
    (question,) = rows()

    page = submit(officer_client, f"/officer/texts/{question.id}/reply", {"body": "Yes, 7pm at the town hall."},
                  form_page=f"/officer/texts/{question.id}")

    assert path_of(page.location) == "/officer/texts"
    (sent,) = app.extensions["epanel_sms_gateway"].sent
    assert (sent.to, sent.body) == (NUMBER, "Yes, 7pm at the town hall.")
    db.session.refresh(question)
    assert question.handled_at is not None and question.reply.purpose == "officer_reply"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inbound_text.replied")) is not None
    assert get(officer_client, "/officer/texts").soup.select(".govuk-summary-card") == []
    assert len(get(officer_client, "/officer/texts?show=handled").soup.select(".govuk-summary-card")) == 1


def test_a_reply_to_an_opted_out_number_is_refused_with_a_clear_message(app, officer_client, member):
    text_in(officer_client, "Please stop texting me")
    (complaint,) = rows()

    shown = get(officer_client, f"/officer/texts/{complaint.id}")
    assert "opted out of texts" in shown.text
    assert shown.soup.select_one("textarea") is None
    token = shown.csrf_token()
    response = officer_client.post(f"/officer/texts/{complaint.id}/reply",
                                   data={"csrf_token": token, "body": "Sorry to bother you"})

    assert response.status_code == 400
    assert "opted out of texts" in response.get_data(as_text=True)
    assert db.session.scalar(select(Message).where(Message.purpose == "officer_reply")) is None
    assert list(app.extensions["epanel_sms_gateway"].sent) == []


def test_an_empty_or_overlong_reply_shows_an_error(app, officer_client, member):
    text_in(officer_client, "Hello?")
    (text,) = rows()

    page = submit(officer_client, f"/officer/texts/{text.id}/reply", {"body": "  "}, form_page=f"/officer/texts/{text.id}")
    assert page.status == 400 and page.title.startswith("Error:")
    assert page.error_summary == ["Enter your reply"]
    long = submit(officer_client, f"/officer/texts/{text.id}/reply", {"body": "x" * 700},
                  form_page=f"/officer/texts/{text.id}")
    assert long.error_summary == ["Your reply must be 612 characters or fewer"]


def test_marking_a_text_as_dealt_with_takes_it_off_the_list(app, officer_client):
    text_in(officer_client, "Hello?", sender="+447700900555")
    (text,) = rows()

    page = submit(officer_client, f"/officer/texts/{text.id}/handled", {}, form_page=f"/officer/texts/{text.id}")

    assert path_of(page.location) == "/officer/texts"
    db.session.refresh(text)
    assert text.handled_at is not None and text.handled_by.email == "officer@example.org"
    assert "Nothing is waiting for an officer" in get(officer_client, "/officer/texts").text


def test_a_reply_message_row_is_queued_through_the_outbox(app, member):
    officer = create_user("o@example.org", roles=["officer"])
    text_in(app.test_client(), "Hello?")
    (text,) = rows()

    message = inbound.reply_to_text(text, "Hello Sam", officer)

    assert db.session.get(Message, message.id).state is MessageState.SENT
    with pytest.raises(inbound.InboxError, match="Enter your reply"):
        inbound.reply_to_text(text, "   ", officer)
