import pytest

from sms.numbers import InvalidNumber, is_uk_mobile, to_e164


@pytest.mark.parametrize(
    "typed",
    ["07700 900123", "+44 7700 900123", "0044 7700 900123", "(07700) 900-123", "07700900123", " 07700 900123 ",
     "+44 (0)7700 900123"],
)
def test_uk_mobile_typed_any_common_way_becomes_e164(typed):
    assert to_e164(typed) == "+447700900123"


def test_number_with_plus_keeps_its_own_country():
    assert to_e164("+33 6 12 34 56 78") == "+33612345678"


def test_number_without_plus_is_read_in_the_given_region():
    assert to_e164("06 12 34 56 78", region="FR") == "+33612345678"


@pytest.mark.parametrize("junk", ["hello", "07700", "0770 090 012 345", "+44 7700 900 123 4", "01632 960001"])
def test_junk_or_impossible_number_is_refused_with_an_example_to_follow(junk):
    with pytest.raises(InvalidNumber, match="Enter a UK mobile number, like 07700 900123"):
        to_e164(junk)


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_number_asks_for_one(blank):
    with pytest.raises(InvalidNumber, match="^Enter a mobile number$"):
        to_e164(blank)


def test_number_with_an_extension_is_refused():
    with pytest.raises(InvalidNumber):
        to_e164("07700 900123 ext 5")


def test_invalid_number_is_a_value_error_for_form_validation():
    assert issubclass(InvalidNumber, ValueError)


@pytest.mark.parametrize("e164", ["+447700900000", "+447700900123", "+447700900999", "+447400123456"])
def test_drama_range_and_real_mobiles_count_as_uk_mobiles(e164):
    assert is_uk_mobile(e164)


@pytest.mark.parametrize(
    "e164",
    [
        "+442079460018",  # London landline
        "+448001234567",  # freephone
        "+447700901000",  # just past the drama range
        "+33612345678",  # French mobile
        "+447624123456",  # Isle of Man mobile: +44 but not the UK
        "07700 900123",  # not E.164
        "nonsense",
    ],
)
def test_landlines_foreign_and_unreadable_numbers_are_not_uk_mobiles(e164):
    assert not is_uk_mobile(e164)
