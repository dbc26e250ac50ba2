"""Forms for schools, teachers, class sessions, pupils' join codes and lesson plans."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from epanel.classroom.models import SchoolPhase
from epanel.common.fields import GovEmailInput, strip_whitespace
from epanel.consultations.forms import ClockTimeField

YEAR_GROUPS = [f"Year {number}" for number in range(3, 14)]


def _email_field(label):
    return EmailField(label, validators=[
        DataRequired(message="Enter an email address"), Length(max=254),
        Email(message="Enter an email address in the correct format, like name@example.com",
              check_deliverability=False)], filters=[strip_whitespace], widget=GovEmailInput())


class SchoolForm(FlaskForm):
    name = StringField("School name", validators=[DataRequired(message="Enter the school's name"),
                                                  Length(max=160, message="Use 160 characters or fewer")],
                       filters=[strip_whitespace], widget=GovTextInput())
    area = StringField("Area", description="The ward, town or parish the school is in.",
                       validators=[Optional(), Length(max=120, message="Use 120 characters or fewer")],
                       filters=[strip_whitespace], widget=GovTextInput())
    phase = RadioField("Phase", choices=[SelectChoice(phase.value, phase.label) for phase in SchoolPhase],
                       default=SchoolPhase.SECONDARY.value, widget=GovRadioInput(),
                       validators=[InputRequired(message="Choose the school's phase")])
    submit = SubmitField("Add school", widget=GovSubmitInput())


class InviteTeacherForm(FlaskForm):
    name = StringField("Teacher's name", validators=[DataRequired(message="Enter the teacher's name"),
                                                     Length(max=120, message="Use 120 characters or fewer")],
                       filters=[strip_whitespace], widget=GovTextInput())
    email = _email_field("Teacher's school email address")
    submit = SubmitField("Invite teacher", widget=GovSubmitInput())


class TeacherRequestForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(message="Enter your name"),
                                                Length(max=120, message="Use 120 characters or fewer")],
                       filters=[strip_whitespace], widget=GovTextInput())
    email = _email_field("Your school email address")
    school = SelectField("Your school", widget=GovSelect(), validate_choice=False)
    school_name = StringField("If your school is not listed, its name",
                              validators=[Length(max=160, message="Use 160 characters or fewer")],
                              filters=[strip_whitespace], widget=GovTextInput())
    message = TextAreaField("Anything the council should know (optional)",
                            validators=[Optional(), Length(max=1000, message="Use 1,000 characters or fewer")],
                            widget=GovTextArea())
    submit = SubmitField("Ask for an account", widget=GovSubmitInput())

    def validate_school_name(self, field):
        if not self.school.data and not field.data:
            raise ValidationError("Choose your school, or enter its name if it is not listed")


class ApproveRequestForm(FlaskForm):
    school = SelectField("School", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Approve and invite", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class StartSessionForm(FlaskForm):
    consultation = RadioField("Consultation", widget=GovRadioInput(),
                              validators=[InputRequired(message="Choose a consultation")])
    class_name = StringField("Class name", description="For example, 9R or Citizenship group B.",
                             validators=[DataRequired(message="Enter the class name"),
                                         Length(max=80, message="Use 80 characters or fewer")],
                             filters=[strip_whitespace], widget=GovTextInput())
    year_group = SelectField("Year group", choices=[SelectChoice(year, year) for year in YEAR_GROUPS], default="Year 9",
                             widget=GovSelect())
    expected_pupils = IntegerField("How many pupils do you expect? (optional)", widget=GovTextInput(),
                                   validators=[Optional(), NumberRange(min=1, max=400,
                                                                       message="Enter a number from 1 to 400")])
    starts_at = ClockTimeField("Start time", noun="start time", description="Today, on the 24-hour clock.",
                               validators=[InputRequired(message="Enter the start time")])
    ends_at = ClockTimeField("End time", noun="end time", description="The join code stops working at this time.",
                             validators=[InputRequired(message="Enter the end time")])
    shared_devices = BooleanField("Pupils share devices", widget=GovCheckboxInput(),
                                  description="After each pupil sends their answers, the device goes back to the "
                                              "start for the next pupil.")
    results_hidden = BooleanField("Hide results until I reveal them", widget=GovCheckboxInput())
    submit = SubmitField("Start session", widget=GovSubmitInput())


class JoinForm(FlaskForm):
    code = StringField("Class code", description="It has 6 letters and numbers. Your teacher will show it.",
                       validators=[DataRequired(message="Type the class code")], widget=GovTextInput(),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    submit = SubmitField("Join", widget=GovSubmitInput())


class LessonPlanForm(FlaskForm):
    objectives = TextAreaField("Learning objectives", widget=GovTextArea(), validators=[Length(max=10_000)],
                               description="Linked to the citizenship programmes of study. Markdown: ## headings, "
                                           "- lists, **bold**.")
    running_order = TextAreaField("20-minute running order", widget=GovTextArea(), validators=[Length(max=10_000)])
    prompts = TextAreaField("Discussion prompts", widget=GovTextArea(), validators=[Length(max=10_000)])
    what_happens = TextAreaField("What happens to your class's views", widget=GovTextArea(),
                                 validators=[Length(max=10_000)])
    submit = SubmitField("Save lesson page", widget=GovSubmitInput())
