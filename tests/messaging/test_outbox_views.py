"""The officer outbox: counts, the filtered list, masking, and resending or settling what needs attention."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging import outbox, queries
from epanel.messaging.models import Message, MessageChannel, MessageState
from epanel.privacy.models import AuditEvent
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in

NUMBER = "+447700900123"


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


def gateway():
    return current_app.extensions["epanel_sms_gateway"]


def text(to=NUMBER, body="Have your say on parks", *, purpose="invitation", fail_with=None) -> Message:
    """A text through the real outbox (the test app delivers at commit), failing with a Twilio code if asked."""
    if fail_with is not None:
        gateway().fail_next(fail_with)
    message = outbox.queue_sms(to, body, purpose=purpose)
    db.session.commit()
    db.session.refresh(message)
    return message


def email(to="sam.okafor@example.org", *, purpose="account") -> Message:
    message = outbox.queue_email(to, "Your account", "Hello", purpose=purpose)
    db.session.commit()
    db.session.refresh(message)
    return message


def email_left_sending_by_a_dead_worker() -> Message:
    """An e-mail a worker claimed and then died over; reconciliation flags it for an officer."""
    message = outbox.queue_email("pat@example.org", "Reminder", "Please answer", purpose="reminder",
                                 not_before=utcnow() + timedelta(days=1))  # so the test app does not send it
    db.session.commit()
    message.state, message.attempts = MessageState.SENDING, 1
    message.sending_since = utcnow() - timedelta(hours=1)
    message.next_attempt_at = None
    db.session.commit()
    outbox.reconcile_stale()
    db.session.refresh(message)
    assert message.needs_attention
    return message


def post_action(client, url):
    """Press a button on the outbox page (any signed-in page carries the CSRF token)."""
    token = get(client, "/officer/outbox").csrf_token()
    return client.post(url, data={"csrf_token": token}, follow_redirects=True)


def banners(response) -> list[str]:
    from tests.pages import Page

    return Page(response.status_code, response.get_data(as_text=True)).banners


def test_outbox_counts_messages_by_state_and_channel(officer, client):
    text()
    text("+447700900124")
    text("+447700900125", fail_with=21211)
    email()

    counts = queries.count_messages()
    page = get(client, "/officer/outbox")

    assert counts.total(MessageState.SENT, MessageChannel.SMS) == 2
    assert counts.total(MessageState.FAILED, MessageChannel.SMS) == 1
    assert counts.total(MessageState.SENT, MessageChannel.EMAIL) == 1
    assert counts.total() == 4
    assert page.status == 200
    assert page.title == "Outbox – Have your say – Avonmere District Council"
    assert page.heading == "Outbox"
    rows = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
            for row in page.soup.select("table")[0].select("tbody tr")}
    assert rows["Sent"] == ["2", "1", "3"]
    assert rows["Failed"] == ["1", "0", "1"]
    assert rows["All states"] == ["3", "1", "4"]


def test_outbox_explains_each_delivery_state_in_words(officer, client):
    page = get(client, "/officer/outbox")

    meanings = {row.dt.get_text(strip=True): row.dd.get_text(" ", strip=True)
                for row in page.soup.select(".govuk-details .govuk-summary-list__row")}
    assert set(meanings) == {state.label for state in MessageState}
    assert "reached the phone" in meanings["Delivered"]
    assert "opted out" in meanings["Cancelled"]


def test_outbox_list_filters_by_state_channel_purpose_and_recipient(officer, client):
    first = text(purpose="invitation")
    text("+447700900124", purpose="reminder")
    failed = text("+447700900125", fail_with=21614)
    email()

    def ids(url):
        page = get(client, url)
        return [int(row["id"].removeprefix("row-")) for row in page.soup.select("table")[1].select("tbody tr[id]")]

    assert ids("/officer/outbox?state=failed") == [failed.id]
    assert len(ids("/officer/outbox?channel=email")) == 1
    assert ids("/officer/outbox?purpose=reminder") == [first.id + 1]
    assert ids("/officer/outbox?recipient=07700%20900123") == [first.id]
    assert ids("/officer/outbox?state=nonsense") == [failed.id + 1, failed.id, first.id + 1, first.id]
    assert "1 message match the filters" in get(client, "/officer/outbox?state=failed").text


def test_outbox_list_is_newest_first_and_pages_by_id(officer, client):
    messages = [text(f"+4477009001{n:02d}", f"Text {n}") for n in range(5)]

    first = queries.find_messages(queries.OutboxFilters(), page_size=2)
    second = queries.find_messages(queries.OutboxFilters(), after_id=first.next_after, page_size=2)
    last = queries.find_messages(queries.OutboxFilters(), after_id=second.next_after, page_size=2)

    assert [m.id for m in first.messages] == [messages[4].id, messages[3].id]
    assert [m.id for m in second.messages] == [messages[2].id, messages[1].id]
    assert [m.id for m in last.messages] == [messages[0].id]
    assert last.next_after is None
    assert first.total == 5
    page = get(client, f"/officer/outbox?after={messages[2].id}")
    assert "Newest messages" in page.text
    assert len(page.soup.select("table")[1].select("tbody tr")) == 2


def test_recipients_are_masked_but_for_the_last_three_digits(officer, client):
    text("+447700900987", fail_with=30005)
    email("sam.okafor@example.org")

    page = get(client, "/officer/outbox")

    assert queries.mask_number("+447700900987") == "07••• •••987"
    assert queries.mask_email("sam.okafor@example.org") == "s•••@example.org"
    assert "900987" not in page.html and "7700900" not in page.html
    assert "sam.okafor" not in page.html
    assert "07••• •••987" in page.text
    assert "Mobile number ending 987" in page.text  # what a screen reader hears instead of the dots


def test_errors_are_described_in_words_with_their_code(officer, client):
    text(fail_with=30005)

    page = get(client, "/officer/outbox")

    assert "The number does not exist or is no longer in use (error 30005)" in page.text


def test_a_failed_text_can_be_resent_once_and_then_leaves_needs_attention(officer, client):
    failed = text(fail_with=21211)
    page = get(client, "/officer/outbox")
    assert [card["id"] for card in page.soup.select("#needs-attention ~ .govuk-summary-card")] == [
        f"message-{failed.id}"]

    response = post_action(client, f"/officer/outbox/{failed.id}/resend")

    copy = db.session.scalar(select(Message).where(Message.id > failed.id))
    assert banners(response) == [f"Message {failed.id} queued again as message {copy.id}"]
    assert (copy.to_address, copy.body, copy.purpose) == (failed.to_address, failed.body, failed.purpose)
    assert copy.state is MessageState.SENT  # the test app sends at commit
    db.session.refresh(failed)
    assert failed.state is MessageState.FAILED  # the original stays as it was
    assert queries.find_messages_needing_attention().total == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.resent"))
    assert (event.object_id, event.details["new_message_id"], event.actor_id) == (str(failed.id), copy.id, officer.id)

    again = post_action(client, f"/officer/outbox/{failed.id}/resend")

    assert banners(again) == [f"Message {failed.id} has already been sent again as message {copy.id}"]
    assert db.session.scalar(select(db.func.count(Message.id))) == 2


def test_resending_to_a_number_that_opted_out_is_refused(officer, client):
    failed = text(fail_with=30003)  # temporary: the test app will retry it later
    failed.state = MessageState.FAILED
    db.session.commit()
    outbox.record_opt_out(NUMBER, "replied STOP")
    db.session.commit()

    page = get(client, "/officer/outbox")
    response = post_action(client, f"/officer/outbox/{failed.id}/resend")

    assert "Nothing needs attention" in page.text  # nothing to do for a number that said STOP
    assert banners(response) == [f"Message {failed.id} was not resent. That number has opted out of text "
                                 "messages, so nothing can be sent to it."]
    assert db.session.scalar(select(db.func.count(Message.id))) == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.resent")) is None


def test_a_delivered_message_cannot_be_resent(officer, client):
    sent = text()

    response = post_action(client, f"/officer/outbox/{sent.id}/resend")

    assert banners(response) == [f"Message {sent.id} is sent: only a failed or undelivered message, "
                                 "or one flagged for attention, can be resent"]
    assert db.session.scalar(select(db.func.count(Message.id))) == 1


def test_an_email_a_dead_worker_left_sending_can_be_marked_as_sent(officer, client, mailbox):
    flagged = email_left_sending_by_a_dead_worker()
    page = get(client, "/officer/outbox")
    card = page.soup.select_one(f"#message-{flagged.id}")
    assert "may or may not have gone" in card.get_text(" ", strip=True)
    assert [b.get_text(" ", strip=True) for b in card.select("button")] == [
        f"Resend message {flagged.id}", f"Mark as sent message {flagged.id}"]

    response = post_action(client, f"/officer/outbox/{flagged.id}/mark-sent")

    assert banners(response) == [f"Message {flagged.id} marked as sent"]
    db.session.refresh(flagged)
    assert (flagged.state, flagged.needs_attention) == (MessageState.SENT, None)
    assert flagged.sent_at is not None
    assert mailbox == []  # nothing was sent again
    assert queries.find_messages_needing_attention().total == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.marked_sent")).object_id == str(
        flagged.id)

    again = post_action(client, f"/officer/outbox/{flagged.id}/mark-sent")

    assert banners(again) == [f"Message {flagged.id} no longer needs attention, so it was left as it is"]


def test_resending_a_flagged_email_sends_a_fresh_copy_and_closes_the_original(officer, client, mailbox):
    flagged = email_left_sending_by_a_dead_worker()

    post_action(client, f"/officer/outbox/{flagged.id}/resend")

    db.session.refresh(flagged)
    assert (flagged.state, flagged.needs_attention) == (MessageState.FAILED, None)
    assert flagged.error_message == "Resent by an officer as a new message"
    assert [mail["Subject"] for mail in mailbox] == ["Reminder"]


def test_a_sent_message_cannot_be_marked_as_sent(officer, client):
    sent = text()

    response = post_action(client, f"/officer/outbox/{sent.id}/mark-sent")

    assert banners(response) == [f"Message {sent.id} no longer needs attention, so it was left as it is"]


def test_an_unknown_message_is_not_found(officer, client):
    token = get(client, "/officer/outbox").csrf_token()

    assert client.post("/officer/outbox/999/resend", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("role", ["member", "teacher", "councillor"])
def test_only_officers_and_administrators_see_the_outbox(app, client, role):
    failed = text(fail_with=21211)
    create_user("someone@example.org", roles=[role])
    sign_in(client, "someone@example.org", PASSWORD)
    token = get(client, "/account").csrf_token()

    assert get(client, "/officer/outbox").status == 403
    assert client.post(f"/officer/outbox/{failed.id}/resend", data={"csrf_token": token}).status_code == 403
    assert db.session.scalar(select(db.func.count(Message.id))) == 1


def test_an_administrator_sees_the_outbox(app, client):
    create_user("admin@example.org", roles=["admin"])
    sign_in(client, "admin@example.org", PASSWORD)

    assert get(client, "/officer/outbox").status == 200


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    response = get(client, "/officer/outbox")

    assert response.status == 302
    assert path_of(response.location).startswith("/sign-in?next=")


def test_staff_home_and_navigation_link_to_the_outbox(officer, client):
    page = get(client, "/staff")

    links = {a.get_text(strip=True): a["href"] for a in page.soup.select("a")}
    assert links["Outbox"] == "/officer/outbox"
    assert "Phone simulator (development)" not in links  # no development tools outside development
    assert "/officer/outbox" in [a["href"] for a in page.soup.select(".govuk-service-navigation a")]
