"""Forms for the officer inbox of incoming texts."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSubmitInput
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from epanel.common.fields import strip_whitespace

# Four text-message parts of plain characters: enough for a helpful answer, not a letter.
MAX_REPLY_LENGTH = 612


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Your reply",
        description="Sent by text to the number the message came from. Keep it short: "
                    "160 characters is one text.",
        validators=[DataRequired(message="Enter your reply"),
                    Length(max=MAX_REPLY_LENGTH, message=f"Your reply must be {MAX_REPLY_LENGTH} characters or fewer")],
        filters=[strip_whitespace],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Send reply", widget=GovSubmitInput())


class HandledForm(FlaskForm):
    submit = SubmitField("Mark as dealt with", widget=GovSubmitInput())
