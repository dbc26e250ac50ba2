"""Forms for importing the existing panel from a CSV file."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSelect, GovSubmitInput
from wtforms import RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from epanel.panels.importing import MAX_UPLOAD_BYTES

CHECK_ONLY = "check"
IMPORT_NOW = "import"


class ImportMembersForm(FlaskForm):
    file = FileField(
        "Upload the CSV file",
        description="Save the spreadsheet from Excel as 'CSV UTF-8 (Comma delimited)'. Up to 10 MB.",
        validators=[
            FileRequired(message="Select a CSV file"),
            FileSize(MAX_UPLOAD_BYTES, message="The file must be smaller than 10 MB: split it into smaller files"),
        ],
        widget=GovFileInput(),
    )
    panel = SelectField(
        "Panel to add members to",
        description="Used for rows whose panel column is empty, or when the file has no panel column.",
        widget=GovSelect(),
    )
    mode = RadioField(
        "What do you want to do?",
        description="A check shows exactly what an import would do.",
        choices=[
            SelectChoice(CHECK_ONLY, "Check the file only (dry run): nothing is saved"),
            SelectChoice(IMPORT_NOW, "Import the members now"),
        ],
        default=CHECK_ONLY,
        validators=[InputRequired(message="Choose whether to check the file or import it")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def set_panels(self, panels) -> None:
        self.panel.choices = [SelectChoice("", "The panel named in each row")] + [
            SelectChoice(panel.slug, panel.name) for panel in panels
        ]

    @property
    def dry_run(self) -> bool:
        return self.mode.data != IMPORT_NOW


class ConfirmImportForm(FlaskForm):
    """The button that imports a file already checked."""

    submit = SubmitField("Import these members", widget=GovSubmitInput())
