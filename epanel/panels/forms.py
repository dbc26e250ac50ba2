"""Forms for panels, members and the public sign-up, one thing per page."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from epanel.common.fields import DateOfBirthField, GovEmailInput, GovTelInput, strip_whitespace
from epanel.panels.models import MemberSource, MemberStatus
from epanel.panels.profile import (
    CARING_ANSWERS,
    DISABILITY_ANSWERS,
    ETHNIC_GROUPS,
    GENDERS,
    ProfileValueError,
    normalise_mobile,
    normalise_postcode,
)

EMAIL_FORMAT = Email(
    message="Enter an email address in the correct format, like name@example.com",
    check_deliverability=False,
)


def choices(values, *, blank=None):
    listed = [SelectChoice(value, value) for value in values]
    return ([SelectChoice("", blank)] if blank is not None else []) + listed


def valid_postcode(form, field):
    if field.data:
        try:
            field.data = normalise_postcode(field.data)
        except ProfileValueError as error:
            raise ValidationError(str(error)) from None


def valid_mobile(form, field):
    if field.data:
        try:
            field.data = normalise_mobile(field.data)
        except ProfileValueError as error:
            raise ValidationError(str(error)) from None


def lower_case(value):
    return value.strip().lower() if isinstance(value, str) else value


class ContinueForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


# --- sign-up, one question per page ---------------------------------------------


class DateOfBirthForm(FlaskForm):
    date_of_birth = DateOfBirthField(
        "What is your date of birth?",
        description="For example, 27 3 2007. We use it to check which panels you can join.",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class OfferedChoicesField(SelectMultipleField):
    """Checkboxes whose refusal of an unlisted value reads as plain English."""

    def pre_validate(self, form):
        offered = {choice.value for choice in self.choices}
        if any(value not in offered for value in self.data or []):
            raise ValidationError("Choose from the options listed")


class ChoosePanelsForm(FlaskForm):
    panels = OfferedChoicesField(
        "Which panels would you like to join?",
        description="Select all that apply.",
        validators=[InputRequired(message="Select at least one panel to join")],
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class NameForm(FlaskForm):
    first_name = StringField(
        "First name",
        validators=[DataRequired(message="Enter your first name"),
                    Length(max=80, message="First name must be 80 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    last_name = StringField(
        "Last name",
        validators=[DataRequired(message="Enter your last name"),
                    Length(max=80, message="Last name must be 80 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ContactDetailsForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="We will email you a link to confirm you want to join.",
        validators=[Optional(), Length(max=254, message="Email address must be 254 characters or fewer"), EMAIL_FORMAT],
        filters=[lower_case],
        widget=GovEmailInput(),
    )
    mobile = StringField(
        "UK mobile number",
        description="If you have no email address, we will text you a code instead.",
        validators=[Optional(), valid_mobile],
        filters=[strip_whitespace],
        widget=GovTelInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and not (self.email.data or self.mobile.data):
            self.email.errors.append("Enter an email address or a UK mobile number")
            return False
        return valid


class PostcodeForm(FlaskForm):
    postcode = StringField(
        "What is your postcode?",
        description="For example, AV1 2BX. We use it to find your ward.",
        validators=[DataRequired(message="Enter your postcode"), valid_postcode],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class WardForm(FlaskForm):
    ward = SelectField(
        "Which ward do you live in?",
        description="We could not find your postcode. Choose your ward, or choose 'I do not know'.",
        validators=[InputRequired(message="Choose your ward, or choose 'I do not know'")],
        widget=GovSelect(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AboutYouForm(FlaskForm):
    """Optional equality questions: nothing is chosen for the person."""

    gender = RadioField("What is your gender?", choices=choices(GENDERS), validators=[Optional()],
                        widget=GovRadioInput())
    ethnic_group = RadioField("What is your ethnic group?", choices=choices(ETHNIC_GROUPS),
                              validators=[Optional()], widget=GovRadioInput())
    disability = RadioField(
        "Are your day-to-day activities limited because of a health problem or disability?",
        choices=choices(DISABILITY_ANSWERS), validators=[Optional()], widget=GovRadioInput(),
    )
    caring = RadioField(
        "Do you look after, or give help or support to, anyone because of a long-term health problem, disability or old age?",
        choices=choices(CARING_ANSWERS), validators=[Optional()], widget=GovRadioInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


CONTACT_CHOICES = [
    SelectChoice("email", "Email"),
    SelectChoice("sms", "Text message"),
    SelectChoice("post", "Post"),
]


class ContactPreferencesForm(FlaskForm):
    channels = SelectMultipleField(
        "How can we contact you about consultations?",
        description="Select all that apply. You can change this or stop at any time.",
        choices=CONTACT_CHOICES,
        validators=[InputRequired(message="Select how we can contact you")],
        widget=GovCheckboxesInput(),
    )
    address = TextAreaField(
        "Postal address",
        description="Only needed if you choose post.",
        validators=[Optional(), Length(max=500, message="Address must be 500 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextArea(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(self, *args, has_email=True, has_mobile=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_email = has_email
        self.has_mobile = has_mobile

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        chosen = set(self.channels.data or [])
        if "post" in chosen and not self.address.data:
            self.address.errors.append("Enter your postal address, or untick post")
            valid = False
        if "email" in chosen and not self.has_email:
            self.channels.errors.append("You did not give an email address: untick email, or go back and add one")
            valid = False
        if "sms" in chosen and not self.has_mobile:
            self.channels.errors.append("You did not give a mobile number: untick text message, or go back and add one")
            valid = False
        return valid


class ParentForm(FlaskForm):
    parent_name = StringField(
        "Your parent or carer's full name",
        validators=[DataRequired(message="Enter your parent or carer's full name"),
                    Length(max=160, message="Name must be 160 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    parent_email = EmailField(
        "Their email address",
        description="We will tell them you have joined, and how they can stop it.",
        validators=[DataRequired(message="Enter your parent or carer's email address"),
                    Length(max=254, message="Email address must be 254 characters or fewer"), EMAIL_FORMAT],
        filters=[lower_case],
        widget=GovEmailInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class PrivacyForm(FlaskForm):
    agree = BooleanField(
        "I have read how my information will be used and I want to join",
        validators=[InputRequired(message="Tick the box to say you have read how your information will be used")],
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Enter the 6-digit code",
        description="We sent it in a text message. It lasts 10 minutes.",
        validators=[InputRequired(message="Enter the 6-digit code from the text message"),
                    Regexp(r"^\d{6}$", message="The code is 6 numbers, like 123456")],
        filters=[lambda value: value.replace(" ", "") if isinstance(value, str) else value],
        widget=GovTextInput(),
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())


# --- officers ----------------------------------------------------------------------


def _age(label):
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=5, max=120, message=f"{label} must be between 5 and 120")],
        widget=GovTextInput(),
    )


class PanelForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Enter the panel's name"),
                                           Length(max=120, message="Name must be 120 characters or fewer")],
                       filters=[strip_whitespace], widget=GovTextInput())
    slug = StringField(
        "Short name for web addresses",
        description="Lower-case letters, numbers and hyphens, like youth-panel. It cannot be changed later.",
        validators=[DataRequired(message="Enter a short name"),
                    Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Use lower-case letters, numbers and hyphens only"),
                    Length(max=60, message="Short name must be 60 characters or fewer")],
        filters=[lower_case], widget=GovTextInput(),
    )
    description = TextAreaField("Description", validators=[Length(max=2000, message="Description must be 2,000 characters or fewer")],
                                filters=[strip_whitespace], widget=GovCharacterCount())
    min_age = _age("Minimum age")
    max_age = _age("Maximum age")
    area = StringField("Area", description="For example, the district, or a list of wards.",
                       validators=[Length(max=120, message="Area must be 120 characters or fewer")],
                       filters=[strip_whitespace], widget=GovTextInput())
    is_youth_panel = BooleanField("This is a youth panel (young people's privacy protections apply)",
                                  widget=GovCheckboxInput())
    signup_open = BooleanField("Open for people to sign up", widget=GovCheckboxInput())
    submit = SubmitField("Save panel", widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and self.min_age.data is not None and self.max_age.data is not None \
                and self.min_age.data > self.max_age.data:
            self.max_age.errors.append("Maximum age must be the same as or more than the minimum age")
            return False
        return valid


class MemberForm(FlaskForm):
    """An officer's view of a member's profile, also used to key in a paper form."""

    first_name = NameForm.first_name
    last_name = NameForm.last_name
    email = EmailField("Email address", validators=[Optional(), Length(max=254), EMAIL_FORMAT],
                       filters=[lower_case], widget=GovEmailInput())
    mobile = StringField("UK mobile number", validators=[Optional(), valid_mobile],
                         filters=[strip_whitespace], widget=GovTelInput())
    address = TextAreaField("Postal address", validators=[Optional(), Length(max=500)],
                            filters=[strip_whitespace], widget=GovTextArea())
    postcode = StringField("Postcode", validators=[Optional(), valid_postcode],
                           filters=[strip_whitespace], widget=GovTextInput())
    ward = SelectField("Ward", validators=[Optional()], widget=GovSelect())
    date_of_birth = DateOfBirthField("Date of birth", validators=[Optional()])
    gender = SelectField("Gender", choices=choices(GENDERS, blank="Not given"), validators=[Optional()],
                         widget=GovSelect())
    ethnic_group = SelectField("Ethnic group", choices=choices(ETHNIC_GROUPS, blank="Not given"),
                               validators=[Optional()], widget=GovSelect())
    disability = SelectField("Disability", choices=choices(DISABILITY_ANSWERS, blank="Not given"),
                             validators=[Optional()], widget=GovSelect())
    caring = SelectField("Caring responsibilities", choices=choices(CARING_ANSWERS, blank="Not given"),
                         validators=[Optional()], widget=GovSelect())
    channels = SelectMultipleField("Contact preferences", choices=CONTACT_CHOICES, validators=[Optional()],
                                   widget=GovCheckboxesInput())
    submit = SubmitField("Save", widget=GovSubmitInput())


class MyDetailsForm(FlaskForm):
    """What members change themselves. The e-mail address is changed through the account, not here."""

    first_name = NameForm.first_name
    last_name = NameForm.last_name
    mobile = StringField("UK mobile number", description="Leave empty if you do not want texts.",
                         validators=[Optional(), valid_mobile], filters=[strip_whitespace], widget=GovTelInput())
    address = TextAreaField("Postal address", validators=[Optional(), Length(max=500)],
                            filters=[strip_whitespace], widget=GovTextArea())
    postcode = StringField("Postcode", validators=[DataRequired(message="Enter your postcode"), valid_postcode],
                           filters=[strip_whitespace], widget=GovTextInput())
    gender = AboutYouForm.gender
    ethnic_group = AboutYouForm.ethnic_group
    disability = AboutYouForm.disability
    caring = AboutYouForm.caring
    password = PasswordField("Your password", description="Only needed if you change your mobile number.",
                             validators=[Optional()], widget=GovPasswordInput())
    submit = SubmitField("Save my details", widget=GovSubmitInput())


class PaperMemberForm(MemberForm):
    panels = SelectMultipleField("Panels", description="Select all the panels ticked on the form.",
                                 validators=[InputRequired(message="Select at least one panel")],
                                 widget=GovCheckboxesInput())
    submit = SubmitField("Add member", widget=GovSubmitInput())


class MemberFiltersForm(FlaskForm):
    """GET form: filters travel in the address so a filtered list can be bookmarked."""

    class Meta:
        csrf = False

    search = StringField("Name, email, mobile or postcode", filters=[strip_whitespace], widget=GovTextInput())
    panel = SelectField("Panel", validators=[Optional()], widget=GovSelect())
    status = SelectField("Status", choices=[SelectChoice("", "Any")] + [SelectChoice(s.value, s.label) for s in MemberStatus],
                         validators=[Optional()], widget=GovSelect())
    age_band = SelectField("Age band", validators=[Optional()], widget=GovSelect())
    gender = SelectField("Gender", choices=choices(GENDERS, blank="Any"), validators=[Optional()], widget=GovSelect())
    ward = SelectField("Ward", validators=[Optional()], widget=GovSelect())
    source = SelectField("Source", choices=[SelectChoice("", "Any")] + [SelectChoice(s.value, s.label) for s in MemberSource],
                         validators=[Optional()], widget=GovSelect())
    channel = SelectField("Can be contacted by", choices=[SelectChoice("", "Any")] + CONTACT_CHOICES,
                          validators=[Optional()], widget=GovSelect())
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class BulkActionForm(FlaskForm):
    action = RadioField("What do you want to do with the selected members?", choices=[
        SelectChoice("pause", "Pause them (no invitations until resumed)"),
        SelectChoice("resume", "Resume paused members"),
        SelectChoice("move", "Move them to one panel"),
    ], validators=[InputRequired(message="Choose what to do with the selected members")], widget=GovRadioInput())
    panel = SelectField("Panel to move them to", validators=[Optional()], widget=GovSelect())
    submit = SubmitField("Apply to selected members", widget=GovSubmitInput())


class WardLookupForm(FlaskForm):
    lookup = FileField(
        "Postcode to ward lookup (CSV)",
        description="Columns: postcode, ward, and optionally parish. The file replaces the current lookup.",
        validators=[FileRequired(message="Choose a CSV file to upload")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Upload lookup", widget=GovSubmitInput())
