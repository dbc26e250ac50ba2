"""Officer pages for importing the existing panel: upload, check, report, import."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.panels import importing
from epanel.panels.import_forms import ConfirmImportForm, ImportMembersForm
from epanel.panels.queries import get_panel_by_slug, list_panels

bp = Blueprint("panels_import", __name__)

# Longer reports stay readable in the page; the counts above them are always complete.
LINES_SHOWN = 1000


def _stored_or_404(token):
    return importing.get_stored_import(token, current_user) or abort(404)


@bp.route("/officer/members/import", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def upload():
    form = ImportMembersForm()
    form.set_panels(list_panels())
    if form.validate_on_submit():
        uploaded = form.file.data
        try:
            token = importing.import_upload(
                uploaded.read(),
                uploaded.filename,
                default_panel=get_panel_by_slug(form.panel.data) if form.panel.data else None,
                dry_run=form.dry_run,
                actor=current_user,
            )
        except importing.ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            return redirect(url_for(".report", token=token))
    return render_template("panels/import.html", form=form)


@bp.route("/officer/members/import/<token>")
@roles_required(Role.OFFICER, Role.ADMIN)
def report(token):
    stored = _stored_or_404(token)
    return render_template(
        "panels/import_report.html",
        stored=stored,
        rejected=stored.report.lines_with(importing.Outcome.REJECTED),
        notes=stored.report.lines_with(importing.Outcome.CHANGED, importing.Outcome.WARNING),
        lines_shown=LINES_SHOWN,
        form=ConfirmImportForm(),
    )


@bp.route("/officer/members/import/<token>", methods=["POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def import_checked_file(token):
    stored = _stored_or_404(token)
    if not ConfirmImportForm().validate_on_submit():
        abort(400)
    try:
        importing.import_checked_upload(stored, current_user)
    except importing.ImportFileError as error:
        flash(str(error))
    return redirect(url_for(".report", token=token))
