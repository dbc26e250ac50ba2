"""The parts of a member's profile that need rules: postcodes, mobiles, ages and the answer lists."""

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers

GENDERS = ["Woman", "Man", "Non-binary", "I describe myself another way", "Prefer not to say"]
ETHNIC_GROUPS = [
    "Asian or Asian British",
    "Black, Black British, Caribbean or African",
    "Mixed or multiple ethnic groups",
    "White",
    "Another ethnic group",
    "Prefer not to say",
]
DISABILITY_ANSWERS = ["Yes, limited a lot", "Yes, limited a little", "No", "Prefer not to say"]
CARING_ANSWERS = ["Yes", "No", "Prefer not to say"]

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][ABD-HJLNP-UW-Z]{2})$")
# Ofcom keeps 07700 900000 to 900999 for drama: never a real phone, so safe for demos and tests.
_DRAMA_MOBILES = re.compile(r"^\+447700900\d{3}$")


class ProfileValueError(ValueError):
    """A value a person typed that cannot be accepted; the message says what to do."""


def normalise_postcode(raw: str) -> str:
    """'av12bx', ' AV1  2BX ' -> 'AV1 2BX'; raises ProfileValueError if it is not a UK postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    match = _POSTCODE.match(compact)
    if not match:
        raise ProfileValueError("Enter a real postcode, like AV1 2BX")
    return f"{match.group(1)} {match.group(2)}"


def normalise_mobile(raw: str) -> str:
    """A UK mobile typed any common way ('07700 900123', '+44 7700 900123', '0044…') in E.164."""
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise ProfileValueError("Enter a UK mobile number, like 07700 900123") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _DRAMA_MOBILES.match(e164):
        return e164
    is_mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    if not (phonenumbers.is_valid_number(number) and number.country_code == 44 and is_mobile):
        raise ProfileValueError("Enter a UK mobile number, like 07700 900123")
    return e164


def format_mobile(e164: str | None) -> str:
    """+447700900123 -> '07700 900123', as people write it."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "GB")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def age_on(date_of_birth: date | None, today: date) -> int | None:
    if date_of_birth is None:
        return None
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class AgeBand:
    label: str
    lowest: int
    highest: int | None  # None: no upper limit

    def holds(self, age: int) -> bool:
        return age >= self.lowest and (self.highest is None or age <= self.highest)

    def birth_dates(self, today: date) -> tuple[date | None, date]:
        """(earliest, latest) dates of birth of people in this band today, for SQL filters."""
        latest = _years_before(today, self.lowest)
        if self.highest is None:
            return None, latest
        earliest = date.fromordinal(_years_before(today, self.highest + 1).toordinal() + 1)
        return earliest, latest


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def parse_age_bands(spec: str) -> list[AgeBand]:
    """'11-15,16-17,…,75+' -> AgeBands; raises ValueError for a malformed or overlapping list."""
    bands = []
    for part in (piece.strip() for piece in spec.split(",") if piece.strip()):
        if part.endswith("+"):
            bands.append(AgeBand(part, int(part[:-1]), None))
        else:
            low, _, high = part.partition("-")
            bands.append(AgeBand(part, int(low), int(high)))
    for earlier, later in zip(bands, bands[1:]):
        if earlier.highest is None or later.lowest <= earlier.highest:
            raise ValueError(f"age bands {earlier.label} and {later.label} overlap or are out of order")
    return bands


def band_for(age: int | None, bands: list[AgeBand]) -> str | None:
    if age is None:
        return None
    return next((band.label for band in bands if band.holds(age)), None)
