from datetime import UTC, datetime, timedelta

import pytest

from sms import LookupFailed
from sms.fake import ConsoleGateway, FakeGateway, SentMessage
from sms.statuses import NOT_FOUND, DeliveryState, ErrorClass

MEMBER = "+447700900123"


def test_fake_keeps_every_message_it_accepts():
    gateway = FakeGateway()

    callback = "https://council.example/sms/status"
    first = gateway.send(MEMBER, "Hello", reference="outbox-1", status_callback=callback)
    second = gateway.send(MEMBER, "Again", reference="outbox-2")

    assert list(gateway.sent) == [
        SentMessage(MEMBER, "Hello", "outbox-1", callback, "SMfake000001"),
        SentMessage(MEMBER, "Again", "outbox-2", None, "SMfake000002"),
    ]
    assert (first.accepted, first.provider_id, first.state, first.segments) == (
        True, "SMfake000001", DeliveryState.QUEUED, 1,
    )
    assert second.provider_id == "SMfake000002"


def test_fail_next_refuses_that_many_sends_then_accepts_again():
    gateway = FakeGateway()
    gateway.fail_next(21610, times=2)

    results = [gateway.send(MEMBER, "Hello", reference=str(n)) for n in range(3)]

    assert [(result.accepted, result.error_code) for result in results] == [
        (False, 21610), (False, 21610), (True, None),
    ]
    assert results[0].error_class is ErrorClass.PERMANENT
    assert [message.reference for message in gateway.sent] == ["2"]


def test_fail_next_without_a_code_looks_like_a_network_failure():
    gateway = FakeGateway()
    gateway.fail_next(None)

    result = gateway.send(MEMBER, "Hello", reference="1")

    assert (result.accepted, result.error_code, result.error_class) == (False, None, ErrorClass.TEMPORARY)


def test_fetch_reports_queued_until_a_status_is_set():
    gateway = FakeGateway()
    sent = gateway.send(MEMBER, "Hello", reference="1")

    before = gateway.fetch(sent.provider_id)
    gateway.set_status(sent.provider_id, DeliveryState.UNDELIVERED, error_code=30003)
    after = gateway.fetch(sent.provider_id)

    assert (before.accepted, before.state) == (True, DeliveryState.QUEUED)
    assert (after.state, after.error_code, after.error_class) == (
        DeliveryState.UNDELIVERED, 30003, ErrorClass.TEMPORARY,
    )


def test_fetch_of_a_message_never_sent_is_refused_like_twilio_does():
    result = FakeGateway().fetch("SMfake999999")

    assert (result.accepted, result.error_code) == (False, NOT_FOUND)


def test_fake_can_keep_only_the_newest_messages():
    gateway = FakeGateway(keep=2)

    for n in range(3):
        gateway.send(MEMBER, "Hello", reference=str(n))

    assert [message.reference for message in gateway.sent] == ["1", "2"]


def test_find_returns_the_message_sent_to_that_number_with_that_body():
    gateway = FakeGateway()
    before = datetime.now(UTC)
    sent = gateway.send(MEMBER, "Your survey is open", reference="outbox-7")
    gateway.set_status(sent.provider_id, DeliveryState.DELIVERED)

    found = gateway.find(MEMBER, "Your survey is open", since=before)

    assert (found.accepted, found.provider_id, found.state) == (True, sent.provider_id, DeliveryState.DELIVERED)


def test_find_returns_none_when_nothing_was_sent():
    assert FakeGateway().find(MEMBER, "Hello", since=datetime.now(UTC) - timedelta(hours=1)) is None


def test_find_ignores_a_different_body_or_number():
    gateway = FakeGateway()
    before = datetime.now(UTC)
    gateway.send(MEMBER, "Hello ", reference="1")
    gateway.send("+447700900999", "Hello", reference="2")

    assert gateway.find(MEMBER, "Hello", since=before) is None


def test_find_ignores_a_message_sent_before_since():
    gateway = FakeGateway()
    gateway.send(MEMBER, "Hello", reference="1")

    assert gateway.find(MEMBER, "Hello", since=datetime.now(UTC) + timedelta(seconds=1)) is None


def test_find_returns_the_newest_of_several_matches():
    gateway = FakeGateway()
    before = datetime.now(UTC)
    gateway.send(MEMBER, "Hello", reference="1")
    newest = gateway.send(MEMBER, "Hello", reference="2")

    assert gateway.find(MEMBER, "Hello", since=before).provider_id == newest.provider_id


def test_fail_next_lookup_makes_find_raise_then_answer_again():
    gateway = FakeGateway()
    before = datetime.now(UTC)
    sent = gateway.send(MEMBER, "Hello", reference="1")
    gateway.fail_next_lookup()

    with pytest.raises(LookupFailed):
        gateway.find(MEMBER, "Hello", since=before)
    assert gateway.find(MEMBER, "Hello", since=before).provider_id == sent.provider_id


def test_find_refuses_a_since_without_a_time_zone():
    with pytest.raises(ValueError, match="no time zone"):
        FakeGateway().find(MEMBER, "Hello", since=datetime.now())


def test_sent_messages_record_when_they_were_taken():
    gateway = FakeGateway()
    before = datetime.now(UTC)

    gateway.send(MEMBER, "Hello", reference="1")

    assert before <= gateway.sent[0].created <= datetime.now(UTC)


def test_console_gateway_prints_each_message_it_accepts(capsys):
    gateway = ConsoleGateway()

    result = gateway.send(MEMBER, "Your survey is open", reference="outbox-42")

    printed = capsys.readouterr().out
    assert "SMS to +447700900123 (reference outbox-42, 1 part(s))" in printed
    assert "Your survey is open" in printed
    assert result.accepted and gateway.sent[-1].body == "Your survey is open"


def test_console_gateway_prints_nothing_for_a_refused_message(capsys):
    gateway = ConsoleGateway()
    gateway.fail_next(30007)

    result = gateway.send(MEMBER, "Hello", reference="1")

    assert capsys.readouterr().out == ""
    assert result.error_class is ErrorClass.PERMANENT
