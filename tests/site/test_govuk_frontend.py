"""govuk-frontend (npm), govuk-frontend-jinja and govuk-frontend-wtf must go together:
every GOV.UK class the Python macros and widgets write must exist in the CSS we build."""

import json
import re
from pathlib import Path

from flask import render_template_string
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

ROOT = Path(__file__).resolve().parents[2]
# The page template's own structural hooks, which govuk-frontend 6.3.0 gives no style.
HOOK_ONLY_CLASSES = {"govuk-template__header", "govuk-template__footer"}
CHOICES = [SelectChoice("a", "Option A"), SelectChoice("b", "Option B")]


class EveryWidgetForm(FlaskForm):
    text = StringField("Text", widget=GovTextInput())
    password = PasswordField("Password", widget=GovPasswordInput())
    checkboxes = SelectMultipleField("Checkboxes", choices=CHOICES, widget=GovCheckboxesInput())
    radios = RadioField("Radios", choices=CHOICES, widget=GovRadioInput())
    date = DateField("Date", widget=GovDateInput())
    select = SelectField("Select", choices=CHOICES, widget=GovSelect())
    textarea = TextAreaField("Textarea", widget=GovTextArea())
    counted = TextAreaField("Counted", widget=GovCharacterCount())
    submit = SubmitField("Submit", widget=GovSubmitInput())


def built_css() -> str:
    return (ROOT / "epanel" / "static" / "css" / "epanel.css").read_text()


def test_the_npm_package_is_the_version_the_macros_were_written_for():
    package = json.loads((ROOT / "node_modules" / "govuk-frontend" / "package.json").read_text())

    assert package["version"] == "6.3.0"


def test_every_class_the_widgets_render_is_styled(app):
    with app.test_request_context("/"):
        form = EveryWidgetForm(meta={"csrf": False})
        form.validate()  # so error messages render too
        html = render_template_string(
            "{% for field in form %}{{ field(params={'maxlength': 50} if field.name == 'counted' else {}) }}{% endfor %}"
            "{{ govukErrorSummary(wtforms_errors(form)) }}",
            form=form,
            govukErrorSummary=app.jinja_env.get_template(
                "govuk_frontend_jinja/components/error-summary/macro.html"
            ).module.govukErrorSummary,
        )
    classes = set(re.findall(r'class="([^"]+)"', html))
    govuk_classes = {name for value in classes for name in value.split() if name.startswith("govuk-") and "-js-" not in name}
    css = built_css()

    unstyled = sorted(name for name in govuk_classes if f".{name}" not in css)

    assert len(govuk_classes) > 20
    assert unstyled == []


def test_the_page_template_classes_are_styled(client):
    html = client.get("/").get_data(as_text=True)
    names = {name for value in re.findall(r'class="([^"]+)"', html) for name in value.split()}
    css = built_css()

    unstyled = sorted(
        name
        for name in names - HOOK_ONLY_CLASSES
        if name.startswith(("govuk-", "epanel-")) and "-js-" not in name and f".{name}" not in css
    )

    assert unstyled == []
