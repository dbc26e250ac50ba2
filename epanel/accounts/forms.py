"""Sign-in, reset and staff-account forms, rendered with GOV.UK widgets."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from epanel.accounts.models import Role
from epanel.accounts.passwords import password_problem
from epanel.common.fields import GovEmailInput, strip_whitespace

EMAIL_VALIDATORS = [
    DataRequired(message="Enter your email address"),
    Length(max=254, message="Email address must be 254 characters or fewer"),
    Email(
        message="Enter an email address in the correct format, like name@example.com",
        check_deliverability=False,
    ),
]


def _acceptable_password(form, field):
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=EMAIL_VALIDATORS,
        filters=[strip_whitespace],
        widget=GovEmailInput(),
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(message="Enter your password")],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class EmailOnlyForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=EMAIL_VALIDATORS,
        filters=[strip_whitespace],
        widget=GovEmailInput(),
    )
    submit = SubmitField("Send link", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="Use 12 characters or more. A few random words make a good password.",
        validators=[InputRequired(message="Enter a new password"), _acceptable_password],
        widget=GovPasswordInput(),
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[
            InputRequired(message="Enter the new password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ContinueForm(FlaskForm):
    """A button-only form: e-mailed links act on POST, so link scanners cannot use them up."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    pass


class NewStaffUserForm(FlaskForm):
    display_name = StringField(
        "Full name",
        validators=[
            DataRequired(message="Enter the person's full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    email = EmailField(
        "Email address",
        validators=EMAIL_VALIDATORS,
        filters=[strip_whitespace],
        widget=GovEmailInput(),
    )
    roles = SelectMultipleField(
        "Roles",
        description="Select all that apply.",
        choices=[SelectChoice(role.value, role.label) for role in Role],
        validators=[InputRequired(message="Select at least one role")],
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        "Code",
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[InputRequired(message="Enter the code from your authenticator app"),
                    Length(max=40, message="Enter the code from your authenticator app")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolTwoFactorForm(FlaskForm):
    code = StringField(
        "Code from your app",
        description="Enter the 6-digit code your authenticator app shows for this account.",
        validators=[InputRequired(message="Enter the code from your authenticator app"),
                    Length(max=40, message="Enter the 6-digit code from your authenticator app")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Turn on two-factor sign-in", widget=GovSubmitInput())


class ReauthenticateForm(FlaskForm):
    """Password and, for accounts with 2FA, a code: asked again before sensitive changes."""

    password = PasswordField(
        "Your password",
        validators=[InputRequired(message="Enter your password")],
        widget=GovPasswordInput(),
    )
    code = StringField(
        "Code from your authenticator app",
        validators=[Length(max=40, message="Enter the code from your authenticator app")],
        filters=[strip_whitespace],
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
