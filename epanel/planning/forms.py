"""Forms for outcomes ("You said, we did") and the community plan."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from epanel.common.fields import strip_whitespace
from epanel.consultations.forms import CalendarDateField
from epanel.planning.models import PlanActionStatus
from epanel.planning.outcomes import BREAKDOWNS, LIMITS


class OutcomeForm(FlaskForm):
    what_we_asked = TextAreaField(
        "What we asked", widget=GovTextArea(), filters=[strip_whitespace],
        description="In a sentence or two, what the consultation was about.",
        validators=[Length(max=LIMITS["what_we_asked"],
                           message=f"Use {LIMITS['what_we_asked']:,} characters or fewer for what we asked")])
    what_you_said = TextAreaField(
        "What you said", widget=GovTextArea(), filters=[strip_whitespace],
        description="The main messages from people's answers, in plain words.",
        validators=[Length(max=LIMITS["what_you_said"],
                           message=f"Use {LIMITS['what_you_said']:,} characters or fewer for what people said")])
    what_we_did = TextAreaField(
        "What we did, or will do", widget=GovTextArea(), filters=[strip_whitespace],
        description="What the council decided or changed because of it. Results notices quote this.",
        validators=[Length(max=LIMITS["what_we_did"],
                           message=f"Use {LIMITS['what_we_did']:,} characters or fewer for what we did")])
    headlines = SelectMultipleField(
        "Headline results", widget=GovCheckboxesInput(), coerce=int, validate_choice=True,
        description="Questions whose results appear on the public page. Any question or group answered by "
                    "fewer than 10 people shows no figures.")
    breakdown = RadioField("Break the headline results down by", widget=GovRadioInput(),
                           choices=[SelectChoice(value, label) for value, label in BREAKDOWNS.items()], default="",
                           validators=[Optional()])
    submit = SubmitField("Save outcome", widget=GovSubmitInput())


class PublishForm(FlaskForm):
    submit = SubmitField("Publish and send results notices", widget=GovSubmitInput())


def _title(noun):
    return StringField("Title", filters=[strip_whitespace], widget=GovTextInput(),
                       validators=[DataRequired(message=f"Enter the {noun}'s title"),
                                   Length(max=200, message="Use 200 characters or fewer for the title")])


def _description():
    return TextAreaField("Description (optional)", filters=[strip_whitespace], widget=GovTextArea(),
                         validators=[Optional(), Length(max=5000, message="Use 5,000 characters or fewer")])


class ThemeForm(FlaskForm):
    title = _title("theme")
    description = _description()
    submit = SubmitField("Save theme", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    title = _title("action")
    description = _description()
    owner = StringField("Owner (optional)", description="The team or partner responsible, like Parks team.",
                        filters=[strip_whitespace], widget=GovTextInput(),
                        validators=[Optional(), Length(max=120, message="Use 120 characters or fewer for the owner")])
    status = RadioField("Status", widget=GovRadioInput(),
                        choices=[SelectChoice(status.value, status.label) for status in PlanActionStatus],
                        default=PlanActionStatus.PLANNED.value,
                        validators=[InputRequired(message="Choose the action's status")])
    target_date = CalendarDateField("Target date (optional)", noun="target date",
                                    description="For example, 31 3 2027.")
    area = StringField("Ward or area (optional)", description="Leave blank if it covers everywhere.",
                       filters=[strip_whitespace], widget=GovTextInput(),
                       validators=[Optional(), Length(max=120, message="Use 120 characters or fewer for the area")])
    submit = SubmitField("Save action", widget=GovSubmitInput())


class LinkConsultationForm(FlaskForm):
    consultation = SelectField("Consultation with a published outcome", widget=GovSelect(), validate_choice=False,
                               validators=[DataRequired(message="Choose a consultation")])
    submit = SubmitField("Link consultation", widget=GovSubmitInput())


class UnlinkForm(FlaskForm):
    submit = SubmitField("Remove link", widget=GovSubmitInput(), render_kw={"class": "govuk-button--secondary"})
