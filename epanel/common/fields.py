"""Form fields shared by domains, built on GOV.UK widgets."""

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovTextInput
from wtforms import Field, ValidationError


class GovEmailInput(GovTextInput):
    input_type = "email"


class GovTelInput(GovTextInput):
    input_type = "tel"


def strip_whitespace(value):
    """People paste values with spaces around them; that is not their mistake."""
    return value.strip() if isinstance(value, str) else value


class DateOfBirthField(Field):
    """Day, month and year boxes read into a date, with GOV.UK's error messages."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, *, noun="date of birth", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if len(valuelist) != 3:
            self.raw_data = ["", "", ""]  # a tampered or partial post: show three empty boxes
            return
        parts = [part.strip() for part in valuelist]
        if not any(parts):
            return
        labels = ("day", "month", "year")
        missing = [label for label, part in zip(labels, parts) if not part]
        if missing:
            raise ValueError(f"{self.noun.capitalize()} must include a {' and a '.join(missing)}")
        if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
            raise ValueError(f"{self.noun.capitalize()} must be a real date, like 27 3 2007")
        day, month, year = (int(part) for part in parts)
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.noun.capitalize()} must be a real date, like 27 3 2007") from None

    def pre_validate(self, form):
        if self.data is None and not self.process_errors:
            raise ValidationError(f"Enter your {self.noun}")
        if self.data is not None:
            if self.data >= date.today():
                raise ValidationError(f"{self.noun.capitalize()} must be in the past")
            if self.data.year < 1900:
                raise ValidationError(f"{self.noun.capitalize()} must be after 1900")
