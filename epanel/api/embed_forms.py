"""Forms for embeds: officers' allowed websites, and the respondent's details inside an embed."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from epanel.common.fields import strip_whitespace
from epanel.respond.forms import AboutRespondentForm


class OriginForm(FlaskForm):
    origin = StringField(
        "Website address",
        description="The address of the website that will show the consultation, starting with https://. "
                    "For example, https://www.example-parish.org.uk",
        validators=[DataRequired(message="Enter the website's address, like https://www.example-parish.org.uk")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Allow this website", widget=GovSubmitInput())


class RemoveOriginForm(FlaskForm):
    submit = SubmitField("Remove", widget=GovSubmitInput())


class EmbedAboutForm(AboutRespondentForm):
    """The public's optional details, asked on the embed's check page. Embed forms carry their own
    signed token instead of the session-bound CSRF token (see epanel/api/embeds.py)."""

    class Meta:
        csrf = False
