import pytest

from sms.payloads import InboundMessage, PayloadError, StatusReport, parse_inbound, parse_status_report
from sms.statuses import DeliveryState, ErrorClass

SID = "SM" + "a" * 32


def inbound_form(**overrides) -> dict[str, str]:
    form = {"MessageSid": SID, "From": "+447700900123", "To": "+447700900001", "Body": "  Yes please \n",
            "NumMedia": "0", "AccountSid": "AC" + "0" * 32}
    form.update(overrides)
    return form


def status_form(**overrides) -> dict[str, str]:
    form = {"MessageSid": SID, "MessageStatus": "delivered", "To": "+447700900123", "AccountSid": "AC" + "0" * 32}
    form.update(overrides)
    return form


def test_inbound_sms_is_read_with_its_body_trimmed():
    assert parse_inbound(inbound_form()) == InboundMessage(
        provider_id=SID, sender="+447700900123", recipient="+447700900001", body="Yes please", media_count=0,
    )


def test_inbound_body_keeps_inner_spacing_and_case():
    assert parse_inbound(inbound_form(Body="Q1  B\nq2 a")).body == "Q1  B\nq2 a"


def test_picture_only_message_has_an_empty_body_and_counts_its_media():
    message = parse_inbound(inbound_form(Body="", NumMedia="2"))

    assert (message.body, message.media_count) == ("", 2)


def test_inbound_without_num_media_has_no_media():
    form = inbound_form()
    del form["NumMedia"]

    assert parse_inbound(form).media_count == 0


@pytest.mark.parametrize("field", ["MessageSid", "From", "To"])
def test_inbound_without_a_required_field_names_it(field):
    form = inbound_form()
    del form[field]

    with pytest.raises(PayloadError, match=f"^{field} is missing"):
        parse_inbound(form)


def test_inbound_with_unreadable_num_media_names_the_field():
    with pytest.raises(PayloadError, match="NumMedia should be a whole number, not 'two'"):
        parse_inbound(inbound_form(NumMedia="two"))


def test_status_callback_is_read_into_our_state():
    assert parse_status_report(status_form()) == StatusReport(
        provider_id=SID, state=DeliveryState.DELIVERED, raw_status="delivered",
        error_code=None, error_class=None, recipient="+447700900123",
    )


def test_failed_status_callback_carries_its_error_code_and_class():
    report = parse_status_report(status_form(MessageStatus="undelivered", ErrorCode="30003"))

    assert (report.state, report.error_code, report.error_class) == (
        DeliveryState.UNDELIVERED, 30003, ErrorClass.TEMPORARY,
    )


def test_empty_error_code_means_no_error():
    assert parse_status_report(status_form(ErrorCode="")).error_code is None


@pytest.mark.parametrize("field", ["MessageSid", "MessageStatus"])
def test_status_callback_without_a_required_field_names_it(field):
    form = status_form()
    del form[field]

    with pytest.raises(PayloadError, match=f"^{field} is missing"):
        parse_status_report(form)


def test_status_callback_with_an_inbound_status_is_refused():
    with pytest.raises(PayloadError, match="MessageStatus"):
        parse_status_report(status_form(MessageStatus="received"))


def test_payload_error_is_a_value_error():
    assert issubclass(PayloadError, ValueError)
