"""Phone numbers as people type them, turned into E.164 (`+447700900123`)."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

EXAMPLE = "07700 900123"

# Ofcom keeps 07700 900000-900999 for drama and documentation. phonenumbers
# (9.0.x) calls these numbers invalid, but they are shaped like UK mobiles and
# are what our demo data and examples use, so they must pass as mobiles.
_DRAMA_MOBILES = range(7700900000, 7700901000)


class InvalidNumber(ValueError):
    """A phone number that cannot be dialled; the message can be shown to the person."""


def to_e164(raw: str, region: str = "GB") -> str:
    """Return `raw` in E.164, reading it as a number dialled from `region`.

    Accepts the usual ways of writing a number (`07700 900123`,
    `+44 7700 900123`, `0044 7700 900123`, `(07700) 900-123`) and numbers of any
    country written with `+`. Raises InvalidNumber, with a message a person can
    act on, for anything that is not a real, dialable number.
    """
    if not raw or not raw.strip():
        raise InvalidNumber("Enter a mobile number")
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as error:
        raise InvalidNumber(f"Enter a UK mobile number, like {EXAMPLE}") from error
    # An extension ("x5", "ext 5") means a switchboard, which cannot take a text.
    if number.extension or not (phonenumbers.is_valid_number(number) or _is_drama_mobile(number)):
        raise InvalidNumber(f"Enter a UK mobile number, like {EXAMPLE}")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_uk_mobile(e164: str) -> bool:
    """True when `e164` is a mobile number in the UK (Ofcom's drama range included).

    Crown Dependency mobiles share +44 but are not UK numbers (phonenumbers puts
    them in GG, JE or IM); they are refused here so that a council whose Twilio
    account may text only the UK turns them away at sign-up, not at sending time.
    Never raises: anything unparseable is simply not a UK mobile.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    if _is_drama_mobile(number):
        return True
    return (
        phonenumbers.region_code_for_number(number) == "GB"
        and phonenumbers.number_type(number) == PhoneNumberType.MOBILE
    )


def _is_drama_mobile(number: phonenumbers.PhoneNumber) -> bool:
    return number.country_code == 44 and number.national_number in _DRAMA_MOBILES
