from urllib.parse import parse_qs, urlsplit

from sms.gateway import SendResult, with_reference
from sms.statuses import ErrorClass


def test_reference_is_added_to_a_callback_url_without_a_query():
    url = with_reference("https://council.example/sms/status", "42")

    assert url == "https://council.example/sms/status?reference=42"


def test_reference_keeps_the_callback_urls_other_parameters():
    url = with_reference("https://council.example/sms/status?panel=youth", "42")

    assert parse_qs(urlsplit(url).query) == {"panel": ["youth"], "reference": ["42"]}


def test_reference_replaces_an_earlier_one():
    url = with_reference("https://council.example/sms/status?reference=41", "42")

    assert parse_qs(urlsplit(url).query) == {"reference": ["42"]}


def test_reference_with_awkward_characters_survives_the_round_trip():
    url = with_reference("https://council.example/sms/status", "campaign 7/row&8")

    assert parse_qs(urlsplit(url).query) == {"reference": ["campaign 7/row&8"]}


def test_refused_result_is_classified_by_its_code():
    result = SendResult.refused(21610, "unsubscribed")

    assert (result.accepted, result.provider_id, result.error_code, result.error_class) == (
        False, None, 21610, ErrorClass.PERMANENT,
    )
