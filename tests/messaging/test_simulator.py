"""The development phone simulator: only with DEMO_TOOLS, and a typed text takes the real inbound path."""

import pytest
from flask import current_app
from sqlalchemy import select

from epanel.extensions import db
from epanel.messaging import inbound, outbox
from epanel.messaging.models import InboundMessage, Message
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit

NUMBER = "+447700900456"


@pytest.fixture
def dev_app(app, make_app):
    """An app with the development tools on (as `make run` has), sharing the test database."""
    dev = make_app(DEMO_TOOLS=True)
    with dev.app_context():
        yield dev
        db.session.remove()


@pytest.fixture
def dev_client(dev_app):
    client = dev_app.test_client()
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return client


def member_with_mobile(mobile=NUMBER):
    return create_member([create_panel("citizens", "Citizens' Panel")], first_name="Sam", last_name="Okafor",
                         mobile=mobile)


def thread(page) -> list[str]:
    return [item.get_text(" ", strip=True) for item in page.soup.select("ol[aria-label='Messages, oldest first'] > li")]


def test_the_simulator_does_not_exist_without_the_development_tools(app, client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)

    token = get(client, "/account").csrf_token()

    assert get(client, "/dev/phone").status == 404
    assert client.post("/dev/phone", data={"csrf_token": token, "number": NUMBER, "body": "STOP"}).status_code == 404
    assert not outbox.is_opted_out(NUMBER)


def test_the_simulator_is_for_officers_only(dev_app):
    client = dev_app.test_client()
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    assert get(client, "/dev/phone").status == 403
    assert get(dev_app.test_client(), "/dev/phone").status == 302  # signed out: to sign-in


def test_the_simulator_lists_what_the_development_gateway_accepted(dev_client):
    outbox.queue_sms(NUMBER, "Your code is 123456", purpose="sign_up_code")
    db.session.commit()

    page = get(dev_client, "/dev/phone")

    assert page.status == 200
    assert page.title == "Phone simulator (development) – Have your say – Avonmere District Council"
    card = page.soup.select_one(".govuk-summary-card")
    assert f"To {NUMBER}" in card.get_text(" ", strip=True)
    assert "Your code is 123456" in card.get_text(" ", strip=True)
    assert path_of(card.select_one("a")["href"]).startswith("/dev/phone?number=%2B447700900456")


def test_choosing_a_member_shows_their_thread_in_time_order(dev_client):
    member = member_with_mobile()
    outbox.queue_sms(NUMBER, "Have your say on parks: reply 1 for yes", purpose="invitation", member_id=member.id)
    db.session.commit()
    db.session.add(InboundMessage(provider_id="SMtest1", from_number=NUMBER, body="1", member_id=member.id))
    db.session.commit()

    page = get(dev_client, f"/dev/phone?member={NUMBER.replace('+', '%2B')}")

    assert page.soup.select_one("#member option[selected]").get_text() == f"Sam Okafor ({NUMBER})"
    assert "This is Sam Okafor's number" in page.text
    items = thread(page)
    assert items[0].startswith("The council ,") and "Have your say on parks" in items[0] and "Sent" in items[0]
    assert items[1].startswith("This phone ,") and items[1].endswith("1")


def test_a_typed_number_is_read_as_a_uk_mobile(dev_client):
    page = get(dev_client, "/dev/phone?number=07700%20900456")

    assert page.heading == "Phone simulator"
    assert f"Messages with {NUMBER}" in page.text
    assert "No member has this number" in page.text


def test_a_number_no_text_can_reach_is_an_error(dev_client):
    page = get(dev_client, "/dev/phone?number=12")

    assert page.title.startswith("Error: ")
    assert len(page.error_summary) == 1


def test_an_empty_text_is_an_error(dev_client):
    page = submit(dev_client, "/dev/phone", {"number": NUMBER, "body": "  "},
                  form_page=f"/dev/phone?number={NUMBER.replace('+', '%2B')}")

    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert page.error_summary == ["Enter the text to send"]


def test_a_typed_text_goes_to_the_inbound_handler_as_a_real_text_would(dev_client, monkeypatch):
    received = []

    def handler(message):
        received.append(message)
        return "Thanks, we got your answer"  # and stores nothing: the simulator must still show it

    monkeypatch.setattr(inbound, "receive", handler)

    page = submit(dev_client, "/dev/phone", {"number": NUMBER, "body": " Yes please "},
                  form_page=f"/dev/phone?number={NUMBER.replace('+', '%2B')}", follow_redirects=True)

    [message] = received
    assert message.provider_id.startswith("SMdev") and len(message.provider_id) == 34
    assert (message.sender, message.body, message.media_count) == (NUMBER, "Yes please", 0)
    assert message.recipient.startswith("+44")
    items = thread(page)
    assert items[-2].startswith("This phone ,") and items[-2].endswith("Yes please")
    assert items[-1].startswith("The council ,") and items[-1].endswith("Thanks, we got your answer")


def test_a_text_from_the_simulator_is_recorded_like_a_real_one(dev_client):
    member = member_with_mobile()

    page = submit(dev_client, "/dev/phone", {"number": NUMBER, "body": "HELP"},
                  form_page=f"/dev/phone?number={NUMBER.replace('+', '%2B')}", follow_redirects=True)

    recorded = db.session.scalar(select(InboundMessage).where(InboundMessage.from_number == NUMBER))
    if recorded is None:
        pytest.skip("epanel.messaging.inbound.receive does not record texts yet")
    assert recorded.provider_id.startswith("SMdev")
    assert recorded.member_id == member.id
    assert recorded.body == "HELP"
    items = thread(page)
    assert "HELP" in items[-2]
    assert items[-1].startswith("The council ,")  # the help reply
    if recorded.reply_message_id is not None:  # stored as an outbox row: shown once, not twice
        assert db.session.get(Message, recorded.reply_message_id).body.startswith("Avonmere District Council")
        assert [item.startswith("The council") for item in items] == [False, True]


def test_stop_from_the_simulator_opts_the_number_out(dev_client):
    member_with_mobile()

    page = submit(dev_client, "/dev/phone", {"number": NUMBER, "body": "STOP"},
                  form_page=f"/dev/phone?number={NUMBER.replace('+', '%2B')}", follow_redirects=True)

    if not outbox.is_opted_out(NUMBER):
        pytest.skip("epanel.messaging.inbound.receive does not handle STOP yet")
    assert "Opted out of texts" in page.text


def test_staff_home_links_to_the_simulator_in_development(dev_client):
    page = get(dev_client, "/staff")

    links = {a.get_text(strip=True): a["href"] for a in page.soup.select("main a")}
    assert links["Phone simulator (development)"] == "/dev/phone"
    assert current_app.config["DEMO_TOOLS"] is True
