"""The Twilio gateway, driving the real `twilio` library against a local Twilio-compatible server."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from sms import LookupFailed, TwilioGateway
from sms.statuses import NOT_FOUND, DeliveryState, ErrorClass
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, MESSAGING_SERVICE_SID

MEMBER = "+447700900123"
CALLBACK = "https://council.example/sms/status"


def test_send_posts_the_message_to_twilios_messages_resource(twilio_gateway, twilio_server):
    result = twilio_gateway.send(MEMBER, "Your survey is open", reference="outbox-42", status_callback=CALLBACK)

    [request] = twilio_server.created()
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form["To"] == MEMBER
    assert request.form["Body"] == "Your survey is open"
    assert request.form["MessagingServiceSid"] == MESSAGING_SERVICE_SID
    assert "From" not in request.form
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {credentials}"
    assert result.accepted
    assert result.provider_id in twilio_server.messages
    assert result.state is DeliveryState.QUEUED  # Twilio said "accepted"
    assert result.segments == 1


def test_reference_travels_on_the_status_callback_url(twilio_gateway, twilio_server):
    twilio_gateway.send(MEMBER, "Hello", reference="outbox-42", status_callback=CALLBACK + "?panel=youth")

    callback = urlsplit(twilio_server.created()[0].form["StatusCallback"])
    assert callback._replace(query="").geturl() == CALLBACK
    assert parse_qs(callback.query) == {"panel": ["youth"], "reference": ["outbox-42"]}


def test_send_without_a_status_callback_sends_none(twilio_gateway, twilio_server):
    twilio_gateway.send(MEMBER, "Hello", reference="outbox-42")

    assert "StatusCallback" not in twilio_server.created()[0].form


def test_gateway_with_a_from_number_sends_from_it(twilio_server):
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number="+447700900001", api_url=twilio_server.url)

    result = gateway.send(MEMBER, "Hello", reference="1")

    form = twilio_server.created()[0].form
    assert (form["From"], "MessagingServiceSid" in form) == ("+447700900001", False)
    assert result.state is DeliveryState.QUEUED


def test_long_body_reports_twilios_segment_count(twilio_gateway):
    assert twilio_gateway.send(MEMBER, "a" * 161, reference="1").segments == 2


def test_invalid_number_is_refused_permanently(twilio_gateway):
    result = twilio_gateway.send("07700", "Hello", reference="1")

    assert (result.accepted, result.error_code, result.error_class) == (False, 21211, ErrorClass.PERMANENT)
    assert "Invalid 'To' Phone Number" in result.error_message


def test_too_many_requests_is_throttling(twilio_gateway, twilio_server):
    twilio_server.fail_next(429, 20429, "Too Many Requests")

    result = twilio_gateway.send(MEMBER, "Hello", reference="1")

    assert (result.accepted, result.error_code, result.error_class) == (False, 20429, ErrorClass.THROTTLING)


def test_member_who_replied_stop_is_refused_permanently(twilio_gateway, twilio_server):
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    result = twilio_gateway.send(MEMBER, "Hello", reference="1")

    assert (result.error_code, result.error_class) == (21610, ErrorClass.PERMANENT)


def test_dropped_connection_is_temporary_without_a_code(twilio_gateway, twilio_server):
    twilio_server.drop_next()

    result = twilio_gateway.send(MEMBER, "Hello", reference="1")

    assert (result.accepted, result.error_code, result.error_class) == (False, None, ErrorClass.TEMPORARY)
    assert result.error_message.startswith("no answer from Twilio")


def test_timeout_is_temporary_without_a_code(twilio_server):
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number="+447700900001", api_url=twilio_server.url,
                            timeout=0.2)
    twilio_server.stall_next()

    result = gateway.send(MEMBER, "Hello", reference="1")

    assert (result.accepted, result.error_code, result.error_class) == (False, None, ErrorClass.TEMPORARY)


def test_server_that_is_not_there_is_temporary(twilio_server):
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number="+447700900001", api_url=twilio_server.url)
    twilio_server.stop()

    result = gateway.send(MEMBER, "Hello", reference="1")

    assert (result.accepted, result.error_class) == (False, ErrorClass.TEMPORARY)


def test_wrong_auth_token_is_refused_by_the_server(twilio_server):
    gateway = TwilioGateway(ACCOUNT_SID, "wrong", from_number="+447700900001", api_url=twilio_server.url)

    result = gateway.send(MEMBER, "Hello", reference="1")

    assert (result.accepted, result.error_code) == (False, 20003)
    assert twilio_server.messages == {}


def test_twilio_edge_in_the_environment_does_not_divert_requests(twilio_server, monkeypatch):
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number="+447700900001", api_url=twilio_server.url)

    assert gateway.send(MEMBER, "Hello", reference="1").accepted
    assert len(twilio_server.created()) == 1


def test_fetch_reports_twilios_current_status_and_error(twilio_gateway, twilio_server):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")
    twilio_server.set_status(sent.provider_id, "undelivered", 30003, "Unreachable destination handset")

    result = twilio_gateway.fetch(sent.provider_id)

    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.provider_id}.json"
    assert (twilio_server.requests[-1].method, twilio_server.requests[-1].path) == ("GET", path)
    assert (result.accepted, result.provider_id) == (True, sent.provider_id)
    assert result.state is DeliveryState.UNDELIVERED
    assert (result.error_code, result.error_class) == (30003, ErrorClass.TEMPORARY)
    assert result.error_message == "Unreachable destination handset"


def test_fetch_of_a_delivered_message_has_no_error(twilio_gateway, twilio_server):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")
    twilio_server.set_status(sent.provider_id, "delivered")

    result = twilio_gateway.fetch(sent.provider_id)

    assert (result.state, result.error_code, result.error_class) == (DeliveryState.DELIVERED, None, None)


def test_fetch_of_a_message_twilio_never_had_is_refused_with_20404(twilio_gateway):
    result = twilio_gateway.fetch("SM" + "0" * 32)

    assert (result.accepted, result.error_code) == (False, NOT_FOUND)


def test_fetch_of_a_status_we_do_not_map_still_counts_as_accepted(twilio_gateway, twilio_server):
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")
    twilio_server.set_status(sent.provider_id, "teleported")

    result = twilio_gateway.fetch(sent.provider_id)

    assert (result.accepted, result.provider_id, result.state) == (True, sent.provider_id, None)


def test_find_returns_twilios_record_of_the_message(twilio_gateway, twilio_server):
    since = datetime.now(UTC)
    sent = twilio_gateway.send(MEMBER, "Your survey is open", reference="outbox-42")
    twilio_server.set_status(sent.provider_id, "delivered")

    found = twilio_gateway.find(MEMBER, "Your survey is open", since=since)

    assert (found.accepted, found.provider_id, found.state, found.segments) == (
        True, sent.provider_id, DeliveryState.DELIVERED, 1,
    )


def test_find_asks_twilio_for_messages_to_that_number_since_the_day_before_the_skew(twilio_gateway, twilio_server):
    since = datetime(2025, 3, 2, 0, 0, 30, tzinfo=UTC)  # 60 s of skew reach back into 1 March

    twilio_gateway.find(MEMBER, "Hello", since=since)

    request = twilio_server.requests[-1]
    assert (request.method, urlsplit(request.path).path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert request.query == {"To": MEMBER, "DateSent>": "2025-03-01", "PageSize": "100"}


def test_find_returns_none_when_twilio_has_no_such_message(twilio_gateway):
    assert twilio_gateway.find(MEMBER, "Hello", since=datetime.now(UTC) - timedelta(hours=1)) is None


def test_find_ignores_messages_with_another_body_or_to_another_number(twilio_gateway):
    since = datetime.now(UTC)
    twilio_gateway.send(MEMBER, "Hello!", reference="1")
    twilio_gateway.send("+447700900999", "Hello", reference="2")

    assert twilio_gateway.find(MEMBER, "Hello", since=since) is None


def test_find_ignores_a_message_created_before_since_beyond_the_clock_skew(twilio_gateway, twilio_server):
    now = datetime.now(UTC)
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")
    twilio_server.set_created(sent.provider_id, now - timedelta(minutes=5))

    assert twilio_gateway.find(MEMBER, "Hello", since=now - timedelta(minutes=3)) is None


def test_find_allows_for_twilios_clock_being_a_little_behind_ours(twilio_gateway, twilio_server):
    now = datetime.now(UTC)
    sent = twilio_gateway.send(MEMBER, "Hello", reference="1")
    twilio_server.set_created(sent.provider_id, now - timedelta(seconds=30))

    assert twilio_gateway.find(MEMBER, "Hello", since=now).provider_id == sent.provider_id


def test_find_returns_the_newest_of_several_matches(twilio_gateway, twilio_server):
    now = datetime.now(UTC)
    newest = twilio_gateway.send(MEMBER, "Hello", reference="1")
    older = twilio_gateway.send(MEMBER, "Hello", reference="2")  # listed first, but created earlier
    twilio_server.set_created(older.provider_id, now - timedelta(minutes=2))

    assert twilio_gateway.find(MEMBER, "Hello", since=now - timedelta(minutes=10)).provider_id == newest.provider_id


def test_find_reads_every_page_of_twilios_list(twilio_gateway, twilio_server, monkeypatch):
    monkeypatch.setattr("sms.twilio_gateway.LOOKUP_PAGE_SIZE", 2)
    since = datetime.now(UTC)
    sent = twilio_gateway.send(MEMBER, "The one we want", reference="1")
    for n in range(4):
        twilio_gateway.send(MEMBER, f"Another {n}", reference=str(n))

    found = twilio_gateway.find(MEMBER, "The one we want", since=since)

    assert found.provider_id == sent.provider_id
    assert len([request for request in twilio_server.requests if request.method == "GET"]) == 3


def test_find_raises_rather_than_answer_none_when_there_are_too_many_messages_to_check(
    twilio_gateway, twilio_server, monkeypatch,
):
    monkeypatch.setattr("sms.twilio_gateway.LOOKUP_MAX_MESSAGES", 3)
    since = datetime.now(UTC)
    for n in range(4):
        twilio_gateway.send(MEMBER, f"Another {n}", reference=str(n))

    with pytest.raises(LookupFailed, match="more than 3 messages"):
        twilio_gateway.find(MEMBER, "Hello", since=since)


def test_find_raises_lookup_failed_when_twilio_answers_with_a_server_error(twilio_gateway, twilio_server):
    twilio_gateway.send(MEMBER, "Hello", reference="1")
    twilio_server.fail_next_list(500)

    with pytest.raises(LookupFailed, match="HTTP 500"):
        twilio_gateway.find(MEMBER, "Hello", since=datetime.now(UTC) - timedelta(minutes=1))


def test_find_raises_lookup_failed_when_twilio_cannot_be_reached(twilio_server):
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, from_number="+447700900001", api_url=twilio_server.url)
    twilio_server.stop()

    with pytest.raises(LookupFailed, match="could not list"):
        gateway.find(MEMBER, "Hello", since=datetime.now(UTC))


def test_find_raises_lookup_failed_when_twilio_refuses_our_credentials(twilio_server):
    gateway = TwilioGateway(ACCOUNT_SID, "wrong", from_number="+447700900001", api_url=twilio_server.url)

    with pytest.raises(LookupFailed, match="HTTP 401"):
        gateway.find(MEMBER, "Hello", since=datetime.now(UTC))


def test_find_refuses_a_since_without_a_time_zone(twilio_gateway):
    with pytest.raises(ValueError, match="no time zone"):
        twilio_gateway.find(MEMBER, "Hello", since=datetime.now())


@pytest.mark.parametrize(
    "senders",
    [{}, {"messaging_service_sid": MESSAGING_SERVICE_SID, "from_number": "+447700900001"},
     {"messaging_service_sid": "", "from_number": ""}],
)
def test_gateway_needs_exactly_one_sender(senders):
    with pytest.raises(ValueError, match="exactly one of messaging_service_sid and from_number"):
        TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, **senders)


@pytest.mark.parametrize(("sid", "token"), [("", AUTH_TOKEN), (ACCOUNT_SID, ""), (None, None)])
def test_gateway_never_falls_back_to_credentials_from_the_environment(sid, token, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)

    with pytest.raises(ValueError, match="account SID and an auth token"):
        TwilioGateway(sid, token, from_number="+447700900001")
