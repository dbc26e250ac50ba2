"""Forms for groups, population targets and recruitment links, rendered with GOV.UK widgets.

Text is stripped, so required text fields use DataRequired: a name of only spaces is no name.
"""

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from epanel.accounts.forms import GovEmailInput, strip_whitespace
from epanel.panels.models import GroupKind, RecruitmentKind, TargetDimension
from epanel.panels.operations import PanelError
from epanel.panels.outreach import check_link_code, format_percent, parse_share


class WholeNumberField(IntegerField):
    """A whole number that may be typed with commas ('1,200'); its error says what to type."""

    def __init__(self, label=None, validators=None, *, not_a_number: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist):
        text = valuelist[0].strip().replace(",", "") if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(self.not_a_number) from None


def _web_address(form, field):
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in field.data:
        raise ValidationError("Enter a website address in the correct format, like https://www.example.org")


def _with_scheme(value):
    """People type 'www.example.org'; a link needs 'https://' in front."""
    value = strip_whitespace(value)
    if value and "://" not in value:
        return f"https://{value}"
    return value


class GroupForm(FlaskForm):
    name = StringField(
        "Name of the group",
        validators=[DataRequired(message="Enter the name of the group"),
                    Length(max=160, message="Name of the group must be 160 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    kind = RadioField(
        "Kind of group",
        choices=[SelectChoice(kind.value, kind.label) for kind in GroupKind],
        validators=[InputRequired(message="Select the kind of group")],
        invalid_choice_message="Select the kind of group",
        widget=GovRadioInput(),
    )
    area = StringField(
        "Area it covers",
        description="For example, a parish, a ward or 'District-wide'.",
        validators=[Length(max=120, message="Area must be 120 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    description = TextAreaField(
        "Description",
        description="What the group does and whom it speaks for. Shown in the public directory if it is listed.",
        validators=[Length(max=2000, message="Description must be 2,000 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextArea(),
    )
    size = WholeNumberField(
        "How many people it speaks for (optional)",
        not_a_number="How many people it speaks for must be a whole number, like 250",
        validators=[Optional(), NumberRange(min=1, max=10_000_000, message=(
            "How many people it speaks for must be between 1 and 10,000,000"))],
        widget=GovTextInput(),
    )
    website = StringField(
        "Website (optional)",
        validators=[Length(max=300, message="Website address must be 300 characters or fewer"), _web_address],
        filters=[_with_scheme],
        widget=GovTextInput(),
    )
    listed_publicly = BooleanField(
        "List this group in the public directory of groups",
        description="Only the name, kind, area, description, size and website are shown, never its contact points.",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Save group", widget=GovSubmitInput())

    def details(self) -> dict:
        """The group's details as the operations take them."""
        return {
            "name": self.name.data,
            "kind": GroupKind(self.kind.data),
            "area": self.area.data or "",
            "description": self.description.data or "",
            "size": self.size.data,
            "website": self.website.data or None,
            "listed_publicly": self.listed_publicly.data,
        }


class GroupContactForm(FlaskForm):
    email = EmailField(
        "Member's email address",
        description="The person must already be a member of a panel.",
        validators=[
            InputRequired(message="Enter the member's email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com",
                  check_deliverability=False),
        ],
        filters=[strip_whitespace],
        widget=GovEmailInput(),
    )
    role_title = StringField(
        "Their role in the group",
        description="For example, Parish Clerk, Chair or Secretary.",
        validators=[DataRequired(message="Enter their role in the group, like Parish Clerk"),
                    Length(max=80, message="Role must be 80 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    can_respond = BooleanField(
        "They can respond to consultations on the group's behalf",
        default=True,
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Add contact point", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button-only form, so removals are POSTs that carry a CSRF token."""


class PopulationTargetsForm(FlaskForm):
    """One dimension's shares; the share fields are added per category by population_targets_form."""

    source = StringField(
        "Source of these figures",
        description="For example, Census 2021, Office for National Statistics.",
        validators=[Length(max=200, message="Source must be 200 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Save targets", widget=GovSubmitInput())

    categories: list[str] = []
    extra_rows = 0

    def share_fields(self):
        return [self[f"share_{index}"] for index in range(len(self.categories))]

    def extra_fields(self):
        return [(self[f"new_category_{index}"], self[f"new_share_{index}"]) for index in range(self.extra_rows)]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        named = {category.lower() for category in self.categories}
        for category_field, share_field in self.extra_fields():
            if category_field.data and not share_field.data and not share_field.errors:
                share_field.errors.append(f"Enter the share for {category_field.data}, like 12.5")
                valid = False
            elif share_field.data and not category_field.data:
                category_field.errors.append("Enter the name of the ward for this share")
                valid = False
            elif category_field.data and category_field.data.lower() in named:
                category_field.errors.append(f"{category_field.data} is already in the list: enter its share there")
                valid = False
            named.add((category_field.data or "").lower())
        typed = [field.data for field in self.share_fields()] + [share.data for _, share in self.extra_fields()]
        if any(typed) and not self.source.data:
            self.source.errors.append("Enter the source of these figures, like Census 2021")
            valid = False
        return valid

    def shares(self) -> dict[str, float]:
        """Category to share (0 to 1) for every share filled in."""
        filled = {category: field.data for category, field in zip(self.categories, self.share_fields())}
        filled.update({category.data: share.data for category, share in self.extra_fields()})
        return {category: parse_share(text) for category, text in filled.items() if category and text}


def _share_in_range(category: str | None):
    def check(form, field):
        if not field.data:
            return
        try:
            parse_share(field.data)
        except ValueError:
            name = category or (form[field.name.replace("share", "category")].data or "this ward")
            raise ValidationError(f"Enter the share for {name} as a percentage from 0 to 100, like 12.5") from None

    return check


def _share_field(label: str, category: str | None) -> StringField:
    return StringField(label, validators=[_share_in_range(category)], filters=[strip_whitespace], widget=GovTextInput())


def population_targets_form(dimension: TargetDimension, categories: list[str], current: dict[str, float],
                            source: str) -> PopulationTargetsForm:
    """A form with one share field per category, plus blank rows to add wards by name."""
    extra_rows = 3 if dimension == TargetDimension.WARD else 0
    fields = {f"share_{index}": _share_field(category, category) for index, category in enumerate(categories)}
    for index in range(extra_rows):
        fields[f"new_category_{index}"] = StringField(
            f"Another ward {index + 1}: name",
            validators=[Length(max=80, message="A ward's name must be 80 characters or fewer")],
            filters=[strip_whitespace], widget=GovTextInput(),
        )
        fields[f"new_share_{index}"] = _share_field(f"Another ward {index + 1}: share", None)
    form_class = type(f"{dimension.name.title()}TargetsForm", (PopulationTargetsForm,),
                      {**fields, "categories": categories, "extra_rows": extra_rows})
    data = {f"share_{index}": format_percent(current.get(category)) for index, category in enumerate(categories)}
    return form_class(data={**data, "source": source})


class TargetsUploadForm(FlaskForm):
    file = FileField(
        "Upload a CSV file",
        description="Columns: dimension, category, share, source. See the example below.",
        validators=[FileRequired(message="Choose a CSV file of population targets")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Upload targets", widget=GovSubmitInput())


def _link_code(form, field):
    if field.data:
        try:
            check_link_code(field.data)
        except PanelError as error:
            raise ValidationError(str(error)) from None


class RecruitmentLinkForm(FlaskForm):
    name = StringField(
        "Where or with whom the link will be used",
        description="For example, Central Library, Eastgate Youth Club or the Castle Hill parish newsletter.",
        validators=[DataRequired(message="Enter where or with whom the link will be used, like Central Library"),
                    Length(max=160, message="Name must be 160 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    kind = RadioField(
        "Kind of place or partner",
        choices=[SelectChoice(kind.value, kind.label) for kind in RecruitmentKind],
        validators=[InputRequired(message="Select the kind of place or partner")],
        invalid_choice_message="Select the kind of place or partner",
        widget=GovRadioInput(),
    )
    panel = RadioField(
        "Panel people will join",
        invalid_choice_message="Select a panel, or 'Any panel'",
        widget=GovRadioInput(),
    )
    code = StringField(
        "Short code for the web address (optional)",
        description="Letters, numbers and hyphens, like central-library. Leave blank to make one from the name.",
        validators=[_link_code],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Create link", widget=GovSubmitInput())

    def __init__(self, *args, panels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.panel.choices = [SelectChoice("", "Any panel: people choose when they sign up")] + [
            SelectChoice(panel.slug, panel.name) for panel in panels
        ]
        if self.panel.data is None:
            self.panel.data = ""
