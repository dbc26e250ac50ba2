"""Forms around the questions: the public's optional details, and starting a paper entry."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, EmailField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from epanel.common.fields import GovEmailInput, strip_whitespace
from epanel.panels.forms import lower_case, valid_postcode


class StartForm(FlaskForm):
    assisted = BooleanField("A helper is filling this in with the person", widget=GovCheckboxInput())
    submit = SubmitField("Start now", widget=GovSubmitInput())


class KioskForm(FlaskForm):
    place = StringField(
        "Where is this device?",
        description="For example, Avonmere Library. Shown on the screen so people know it is a council service.",
        validators=[DataRequired(message="Enter where this device is"), Length(max=80, message="Use 80 characters or fewer")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Start kiosk mode", widget=GovSubmitInput())


class AboutRespondentForm(FlaskForm):
    """Optional details that help analysis; nothing here identifies the person unless they give an email."""

    postcode = StringField("Your postcode (optional)", description="We use it only to see which areas replied.",
                           validators=[Optional(), valid_postcode], filters=[strip_whitespace], widget=GovTextInput())
    age_band = RadioField("Your age (optional)", validators=[Optional()], widget=GovRadioInput())
    email = EmailField("Your email address", validators=[Optional(), Length(max=254), Email(
        message="Enter an email address in the correct format, like name@example.com", check_deliverability=False)],
        filters=[lower_case], widget=GovEmailInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())

    @classmethod
    def for_consultation(cls, consultation, bands, data):
        form = cls(data=data)
        form.age_band.choices = [SelectChoice(band.label, band.label) for band in bands] + [
            SelectChoice("prefer_not", "Prefer not to say")]
        form.asks_postcode = consultation.ask_public_postcode
        form.asks_age_band = consultation.ask_public_age_band
        form.needs_email = consultation.public_needs_email
        if form.needs_email:
            form.email.validators = [DataRequired(message="Enter your email address"), *form.email.validators[1:]]
            form.email.description = "This consultation asks for an email address so each person answers once."
        else:
            form.email.label.text = "Your email address (optional)"
            form.email.description = "Only if you want a copy of your answers."
        return form

    def answers(self) -> dict:
        band = self.age_band.data if self.age_band.data != "prefer_not" else None
        return {"postcode": self.postcode.data or None, "age_band": band, "email": self.email.data or None}


class PaperStartForm(FlaskForm):
    member_email = EmailField(
        "Member's email address",
        description="Leave empty for an anonymous paper return.",
        validators=[Optional(), Length(max=254)],
        filters=[lower_case],
        widget=GovEmailInput(),
    )
    submit = SubmitField("Start keying in", widget=GovSubmitInput())
