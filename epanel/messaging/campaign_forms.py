"""Forms for campaigns: the message and channel, and when to send it."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from epanel.common.fields import strip_whitespace
from epanel.consultations.audience_forms import WholeNumberField
from epanel.consultations.forms import CalendarDateField, ClockTimeField, london_to_utc, one_of_the_choices
from epanel.messaging.campaigns import email_subject_problems, text_problems
from epanel.messaging.models import CampaignChannel, CampaignKind

CHANNEL_CHOICES = [
    SelectChoice(CampaignChannel.SMS.value, "Text message"),
    SelectChoice(CampaignChannel.EMAIL.value, "Email"),
    SelectChoice(CampaignChannel.PREFERRED.value, "Each member's preferred channel: a text if they asked for texts "
                                                  "and gave a mobile number, otherwise email"),
]


class CampaignForm(FlaskForm):
    channel = RadioField(
        "How should it go?", choices=CHANNEL_CHOICES, validate_choice=False,
        validators=[InputRequired(message="Select how the message should go"),
                    one_of_the_choices("Select how the message should go")],
        widget=GovRadioInput(),
    )
    sms_body = TextAreaField(
        "Text message",
        description="Used when the message goes by text. Keep it short: each part of a text costs money. "
                    "Straight quotes (' and \") keep a text cheaper than curly ones.",
        validators=[Length(max=1000, message="Text message must be 1,000 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    email_subject = StringField(
        "Email subject",
        validators=[Length(max=200, message="Email subject must be 200 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    email_body = TextAreaField(
        "Email message",
        description="Used when the message goes by email. Plain text; leave a blank line between paragraphs.",
        validators=[Length(max=5000, message="Email message must be 5,000 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    remind_after_days = WholeNumberField(
        "Remind automatically after this many days (optional)", example=7, lowest=1, highest=90,
        description="Each member who has not finished gets a reminder this many days after their invitation, "
                    "and again after their last reminder. Leave empty to send one reminder now or at a set time.",
    )
    reminder_limit = WholeNumberField(
        "Most reminders per member", example=2, lowest=1, highest=10,
        description="Only used for automatic reminders.",
    )
    submit = SubmitField("Save and preview", widget=GovSubmitInput())

    def __init__(self, *args, kind: CampaignKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind is not CampaignKind.REMINDER:
            del self.remind_after_days
            del self.reminder_limit

    @property
    def uses_sms(self) -> bool:
        return self.channel.data in (CampaignChannel.SMS.value, CampaignChannel.PREFERRED.value)

    @property
    def uses_email(self) -> bool:
        return self.channel.data in (CampaignChannel.EMAIL.value, CampaignChannel.PREFERRED.value)

    def validate_sms_body(self, field):
        if self.uses_sms:
            if not field.data:
                raise ValidationError("Enter the text message")
            field.errors.extend(text_problems(self.kind, field.data))

    def validate_email_subject(self, field):
        if self.uses_email:
            if not field.data:
                raise ValidationError("Enter the email subject")
            field.errors.extend(email_subject_problems(field.data))

    def validate_email_body(self, field):
        if self.uses_email:
            if not field.data:
                raise ValidationError("Enter the email message")
            field.errors.extend(text_problems(self.kind, field.data))

    def settings(self) -> dict:
        """What the officer set, as create_campaign and update_campaign take it."""
        automatic = getattr(self, "remind_after_days", None)
        return {
            "channel": CampaignChannel(self.channel.data), "sms_body": self.sms_body.data or "",
            "email_subject": self.email_subject.data or "", "email_body": self.email_body.data or "",
            "remind_after_days": automatic.data if automatic else None,
            "reminder_limit": self.reminder_limit.data if automatic else None,
        }


class ScheduleForm(FlaskForm):
    send_on = CalendarDateField("Date", noun="date to send", description="For example, 27 3 2026.")
    send_time = ClockTimeField("Time", noun="time to send", description="UK time, like 09:30 or 18:00.")
    schedule = SubmitField("Schedule", widget=GovSubmitInput())

    def validate_send_on(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date to send")

    def validate_send_time(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the time to send")

    def when(self):
        """The UTC moment of the UK date and time typed."""
        return london_to_utc(self.send_on.data, self.send_time.data, self.send_time.data)
