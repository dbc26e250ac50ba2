import pytest

from sms.statuses import DeliveryState, ErrorClass, UnmappedStatus, classify_error, delivery_state, is_final


@pytest.mark.parametrize(
    ("twilio_status", "state"),
    [
        ("accepted", DeliveryState.QUEUED),
        ("scheduled", DeliveryState.QUEUED),
        ("queued", DeliveryState.QUEUED),
        ("sending", DeliveryState.SENDING),
        ("sent", DeliveryState.SENT),
        ("delivered", DeliveryState.DELIVERED),
        ("read", DeliveryState.DELIVERED),
        ("partially_delivered", DeliveryState.DELIVERED),
        ("undelivered", DeliveryState.UNDELIVERED),
        ("failed", DeliveryState.FAILED),
        ("canceled", DeliveryState.CANCELLED),
    ],
)
def test_each_twilio_status_maps_to_one_of_ours(twilio_status, state):
    assert delivery_state(twilio_status) is state


@pytest.mark.parametrize("inbound", ["receiving", "received"])
def test_inbound_statuses_map_to_no_delivery_state(inbound):
    with pytest.raises(UnmappedStatus, match="incoming message"):
        delivery_state(inbound)


def test_a_status_twilio_adds_later_is_refused_not_guessed():
    with pytest.raises(UnmappedStatus, match="unknown Twilio message status 'teleported'"):
        delivery_state("teleported")


def test_our_states_are_stored_as_plain_strings_spelled_the_british_way():
    assert [str(state) for state in DeliveryState] == [
        "queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled",
    ]


@pytest.mark.parametrize("state", ["delivered", "undelivered", "failed", "cancelled"])
def test_delivered_and_failed_states_are_final(state):
    assert is_final(DeliveryState(state))


@pytest.mark.parametrize("state", ["queued", "sending", "sent"])
def test_states_a_later_report_can_change_are_not_final(state):
    assert not is_final(DeliveryState(state))


@pytest.mark.parametrize("code", [21211, 21614, 21610, 21408, 21612, 30004, 30005, 30006, 30007])
def test_errors_that_will_never_go_away_are_permanent(code):
    assert classify_error(code) is ErrorClass.PERMANENT


@pytest.mark.parametrize("code", [30003, 30008, 20500, 20503])
def test_errors_that_may_clear_are_temporary(code):
    assert classify_error(code) is ErrorClass.TEMPORARY


@pytest.mark.parametrize("code", [20429, 30001, 21611])
def test_errors_that_say_slow_down_are_throttling(code):
    assert classify_error(code) is ErrorClass.THROTTLING


def test_network_error_without_a_code_is_temporary():
    assert classify_error(None) is ErrorClass.TEMPORARY


def test_unknown_code_is_temporary_so_it_is_retried_a_few_times():
    assert classify_error(99999) is ErrorClass.TEMPORARY


def test_codes_from_webhook_forms_arrive_as_digits_and_classify_the_same():
    assert classify_error("21610") is ErrorClass.PERMANENT


def test_a_code_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        classify_error("oops")
