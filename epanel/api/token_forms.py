"""Forms for officers' API tokens."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from epanel.api.models import TokenScope
from epanel.common.fields import strip_whitespace


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name",
        description="Say what uses it, so you know which token to revoke later. For example, Parish council website.",
        validators=[DataRequired(message="Enter a name for the token"),
                    Length(max=100, message="The name must be 100 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    scope = RadioField(
        "What may it do?",
        choices=[
            SelectChoice(TokenScope.READ.value, "Read only: consultations, questions and results"),
            SelectChoice(TokenScope.READ_WRITE.value, "Read, and submit responses from a partner's site or kiosk"),
        ],
        validators=[InputRequired(message="Select what the token may do")],
        widget=GovRadioInput(),
    )
    can_read_responses = BooleanField(
        "It may also read individual responses (each read is recorded in the audit log)",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class RevokeTokenForm(FlaskForm):
    submit = SubmitField("Revoke", widget=GovSubmitInput())
