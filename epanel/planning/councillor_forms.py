"""Forms for councillors, officers deciding on their suggestions and comments, and group contacts'
digest schedule, rendered with GOV.UK widgets."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from epanel.common.fields import strip_whitespace
from epanel.panels.forms import OfferedChoicesField
from epanel.planning.councillors import COMMENT_MAX
from epanel.planning.models import DigestFrequency, SuggestionStatus


class ConfirmForm(FlaskForm):
    """A button-only form, so removals are POSTs that carry a CSRF token."""


class DigestForm(FlaskForm):
    frequency = RadioField(
        "How often do you want the digest by e-mail?",
        choices=[SelectChoice(frequency.value, frequency.label) for frequency in DigestFrequency],
        validators=[InputRequired(message="Select how often you want the digest")],
        invalid_choice_message="Select how often you want the digest",
        widget=GovRadioInput(),
    )
    submit = SubmitField("Save digest settings", widget=GovSubmitInput())


class WardsForm(FlaskForm):
    wards = OfferedChoicesField("Wards they represent", description="Select all that apply.",
                                widget=GovCheckboxesInput())
    submit = SubmitField("Save wards", widget=GovSubmitInput())


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment on your ward's result",
        description="It will be shown to the public with the results, as a comment from you for this ward.",
        validators=[DataRequired(message="Enter your comment"),
                    Length(max=COMMENT_MAX, message=f"Your comment must be {COMMENT_MAX:,} characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextArea(),
    )
    submit = SubmitField("Publish comment", widget=GovSubmitInput())


class SuggestionForm(FlaskForm):
    title = StringField(
        "Topic",
        description="For example, 'Parking near Oakfield School'.",
        validators=[DataRequired(message="Enter the topic"),
                    Length(max=200, message="Topic must be 200 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    details = TextAreaField(
        "Why should we consult on it? (optional)",
        validators=[Optional(), Length(max=4000, message="Details must be 4,000 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextArea(),
    )
    ward = RadioField("Which ward is it about?", validators=[Optional()], widget=GovRadioInput(),
                      invalid_choice_message="Choose one of your wards")
    submit = SubmitField("Send suggestion", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Your decision",
        choices=[SelectChoice(SuggestionStatus.ACCEPTED.value, "Accept: we will consult on it"),
                 SelectChoice(SuggestionStatus.DECLINED.value, "Decline")],
        validators=[InputRequired(message="Select accept or decline")],
        invalid_choice_message="Select accept or decline",
        widget=GovRadioInput(),
    )
    reason = TextAreaField(
        "Reason",
        description="The councillor will see this.",
        validators=[DataRequired(message="Enter a reason the councillor will see"),
                    Length(max=2000, message="Reason must be 2,000 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextArea(),
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())


class RemoveCommentForm(FlaskForm):
    reason = StringField(
        "Why are you removing it?",
        validators=[DataRequired(message="Enter why you are removing the comment"),
                    Length(max=300, message="Reason must be 300 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Remove comment", widget=GovSubmitInput())
