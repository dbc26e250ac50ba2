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
