"""Forms for the outbox page and the development phone simulator."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovSelect, GovSubmitInput, GovTextInput
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from epanel.common.fields import GovTelInput, strip_whitespace
from epanel.messaging.models import MessageChannel, MessageState

MAX_TEXT_LENGTH = 1600  # Twilio's limit for one message, however many segments


def purpose_label(purpose: str) -> str:
    """'sign_up_code' -> 'Sign up code'."""
    return purpose.replace("_", " ").capitalize()


class OutboxFilterForm(FlaskForm):
    """Narrow the message list; read from the query string, so no CSRF token."""

    state = SelectField("State", choices=[SelectChoice("", "Any state")]
                        + [SelectChoice(state.value, state.label) for state in MessageState], widget=GovSelect())
    channel = SelectField("Channel", choices=[SelectChoice("", "Any channel")]
                          + [SelectChoice(channel.value, channel.label) for channel in MessageChannel],
                          widget=GovSelect())
    purpose = SelectField("Purpose", choices=[SelectChoice("", "Any purpose")], widget=GovSelect())
    recipient = StringField("Recipient", description="A whole mobile number or e-mail address",
                            filters=[strip_whitespace], validators=[Optional(), Length(max=254)],
                            widget=GovTextInput())
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def set_purposes(self, purposes: list[str]) -> "OutboxFilterForm":
        self.purpose.choices = [SelectChoice("", "Any purpose")] + [SelectChoice(p, purpose_label(p)) for p in purposes]
        return self


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels with it."""


class PhoneChooseForm(FlaskForm):
    """Pick the phone to act as; read from the query string, so no CSRF token."""

    member = SelectField("Act as a member's phone", choices=[SelectChoice("", "Choose a member")], widget=GovSelect())
    number = StringField("Or type any phone number", description="For example, 07700 900123",
                         filters=[strip_whitespace], validators=[Optional(), Length(max=32)], widget=GovTelInput())
    submit = SubmitField("Show the messages", widget=GovSubmitInput())

    def set_members(self, members) -> "PhoneChooseForm":
        self.member.choices = [SelectChoice("", "Choose a member")] + [
            SelectChoice(member.mobile, f"{member.full_name} ({member.mobile})") for member in members
        ]
        return self

    def chosen_number(self) -> str:
        """The typed number if there is one, otherwise the chosen member's."""
        return self.number.data or self.member.data or ""


class PhoneReplyForm(FlaskForm):
    number = HiddenField()
    body = TextAreaField(
        "Text message from this phone",
        description="It goes to the same handler as a real text: try STOP, START, HELP, JOIN or an answer.",
        validators=[DataRequired(message="Enter the text to send"),
                    Length(max=MAX_TEXT_LENGTH, message=f"The text must be {MAX_TEXT_LENGTH} characters or fewer")],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Send", widget=GovSubmitInput())
