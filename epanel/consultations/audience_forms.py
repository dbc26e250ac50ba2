"""Forms for choosing a consultation's audience, writing its invitation and sending it."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from epanel.common.fields import strip_whitespace
from epanel.consultations.audience import AudienceChoices, AudienceRules, normalise_attribute_name
from epanel.consultations.invitations import body_problems, subject_problems
from epanel.panels.forms import OfferedChoicesField, choices
from epanel.panels.models import MemberStatus
from epanel.panels.profile import GENDERS

STATUS_CHOICES = [
    SelectChoice(MemberStatus.ACTIVE.value, "Active"),
    SelectChoice(MemberStatus.PENDING.value, "Pending (signed up but not yet confirmed their email or mobile)"),
]


class WholeNumberField(IntegerField):
    """A number box that says, in words, what it wants and between which limits."""

    def __init__(self, label, *, example: int, lowest: int, highest: int, required: str | None = None, **kwargs):
        super().__init__(label, widget=GovTextInput(), **kwargs)
        self.example, self.lowest, self.highest, self.required_message = example, lowest, highest, required

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().replace(",", "")
        if not text:
            return
        if not text.isdigit():
            raise ValueError(f"{self.label.text} must be a whole number, like {self.example}")
        self.data = int(text)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        if self.data is None:
            if self.required_message:
                raise StopValidation(self.required_message)
            raise StopValidation()
        if not self.lowest <= self.data <= self.highest:
            raise StopValidation(f"{self.label.text} must be between {self.lowest:,} and {self.highest:,}")


def valid_attributes(form, field):
    try:
        parse_attributes(field.data or "")
    except ValueError as error:
        raise ValidationError(str(error)) from None


def parse_attributes(text: str) -> tuple[tuple[str, str], ...]:
    """'school_year = 10' lines -> (('school_year', '10'),); raises ValueError saying which line is wrong."""
    pairs = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ValueError(f"Write each profile attribute as name = value, like school_year = 10 "
                             f"(line {number} is “{line.strip()[:40]}”)")
        pairs[normalise_attribute_name(name)] = value.strip()
    return tuple(sorted(pairs.items()))


def format_attributes(attributes) -> str:
    return "\n".join(f"{name} = {value}" for name, value in attributes)


class AudienceForm(FlaskForm):
    """Who to invite. Counted by GET (no CSRF needed to read); saved by POST, which checks CSRF."""

    panels = OfferedChoicesField("Panels", widget=GovCheckboxesInput(),
                                 description="Members of any of the ticked panels. Tick none for every panel.")
    age_bands = OfferedChoicesField("Age bands", description="Tick none for every age.", widget=GovCheckboxesInput())
    genders = OfferedChoicesField("Gender", description="Tick none for everyone.", choices=choices(GENDERS),
                                  widget=GovCheckboxesInput())
    wards = OfferedChoicesField("Wards", description="Tick none for every ward.", widget=GovCheckboxesInput())
    parishes = OfferedChoicesField("Parishes", description="Tick none for every parish.", widget=GovCheckboxesInput())
    statuses = OfferedChoicesField(
        "Member status",
        description="Paused members and members who have left are never invited.",
        choices=STATUS_CHOICES,
        validators=[InputRequired(message="Select at least one member status")],
        widget=GovCheckboxesInput(),
    )
    attributes = TextAreaField(
        "Profile attributes",
        description="Other details from imported spreadsheets. One per line, like school_year = 10. "
                    "Members must have every one; capital letters do not matter.",
        validators=[Length(max=2000, message="Profile attributes must be 2,000 characters or fewer"),
                    valid_attributes],
        widget=GovTextArea(),
    )
    sample_size = WholeNumberField(
        "Random sample size", example=500, lowest=1, highest=1_000_000,
        description="Leave empty to invite everyone who matches.",
    )
    seed = WholeNumberField(
        "Sample seed", example=482913, lowest=0, highest=999_999,
        description="The same seed always picks the same members. Leave empty for a new random one.",
    )
    max_invitations = WholeNumberField(
        "Most invitations per member", example=3, lowest=1, highest=100,
        required="Enter the most invitations a member may get in the period",
    )
    within_days = WholeNumberField(
        "Period in days", example=90, lowest=1, highest=3650,
        required="Enter the period in days",
    )
    count = SubmitField("Count members", widget=GovSubmitInput())

    def set_choices(self, offered: AudienceChoices) -> "AudienceForm":
        self.panels.choices = [SelectChoice(slug, name) for slug, name in offered.panels]
        self.age_bands.choices = choices(offered.age_bands)
        self.wards.choices = choices(offered.wards)
        self.parishes.choices = choices(offered.parishes)
        return self

    def rules(self) -> AudienceRules:
        """The rules typed into a validated form."""
        return AudienceRules(
            panels=tuple(self.panels.data or ()), age_bands=tuple(self.age_bands.data or ()),
            genders=tuple(self.genders.data or ()), wards=tuple(self.wards.data or ()),
            parishes=tuple(self.parishes.data or ()), statuses=tuple(self.statuses.data or ()),
            attributes=parse_attributes(self.attributes.data or ""),
            sample_size=self.sample_size.data, seed=self.seed.data if self.sample_size.data else None,
            max_invitations=self.max_invitations.data, within_days=self.within_days.data,
        )

    @staticmethod
    def data_from(rules: AudienceRules) -> dict:
        """Form data showing saved rules."""
        return {
            "panels": list(rules.panels), "age_bands": list(rules.age_bands), "genders": list(rules.genders),
            "wards": list(rules.wards), "parishes": list(rules.parishes), "statuses": list(rules.statuses),
            "attributes": format_attributes(rules.attributes), "sample_size": rules.sample_size,
            "seed": rules.seed, "max_invitations": rules.max_invitations, "within_days": rules.within_days,
        }


class ConfirmForm(FlaskForm):
    """A button that does one thing; the form only carries the CSRF token."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class InvitationMessageForm(FlaskForm):
    subject = StringField(
        "Subject",
        validators=[InputRequired(message="Enter a subject"),
                    Length(max=200, message="Subject must be 200 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    body = TextAreaField(
        "Message",
        description="Plain text. Leave a blank line between paragraphs.",
        validators=[InputRequired(message="Enter the message"),
                    Length(max=5000, message="Message must be 5,000 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextArea(),
    )
    preview = SubmitField("Preview", widget=GovSubmitInput())
    save = SubmitField("Save message", widget=GovSubmitInput())

    def validate_subject(self, field):
        field.errors.extend(subject_problems(field.data))

    def validate_body(self, field):
        field.errors.extend(body_problems(field.data))
