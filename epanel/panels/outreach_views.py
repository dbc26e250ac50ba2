"""Groups and their contact points, population targets, "who is missing" and recruitment links."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user
from markupsafe import Markup

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import Role
from epanel.panels import outreach
from epanel.panels.models import RecruitmentKind, TargetDimension
from epanel.panels.operations import PanelError
from epanel.panels.outreach_forms import (
    ConfirmForm,
    GroupContactForm,
    GroupForm,
    RecruitmentLinkForm,
    TargetsUploadForm,
    population_targets_form,
)
from epanel.panels.queries import get_panel_by_slug, list_panels

bp = Blueprint("panels_outreach", __name__)

officers_only = roles_required(Role.OFFICER, Role.ADMIN)


def _group_or_404(group_id: int):
    group = outreach.get_group(group_id)
    if group is None:
        abort(404)
    return group


def _link_or_404(code: str):
    link = outreach.get_recruitment_link(code)
    if link is None:
        abort(404)
    return link


# --- groups --------------------------------------------------------------------


@bp.route("/officer/groups")
@officers_only
def list_groups():
    return render_template("panels/outreach/groups.html", summaries=outreach.list_groups())


@bp.route("/officer/groups/new", methods=["GET", "POST"])
@officers_only
def new_group():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = outreach.create_group(**form.details())
        except PanelError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"{group.name} added", "success")
            return redirect(url_for(".view_group", group_id=group.id))
    return render_template("panels/outreach/group_form.html", form=form, group=None)


@bp.route("/officer/groups/<int:group_id>")
@officers_only
def view_group(group_id):
    group = _group_or_404(group_id)
    return render_template("panels/outreach/group.html", group=group, form=GroupContactForm(),
                           remove_form=ConfirmForm())


@bp.route("/officer/groups/<int:group_id>/edit", methods=["GET", "POST"])
@officers_only
def edit_group(group_id):
    group = _group_or_404(group_id)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            outreach.update_group(group, **form.details())
        except PanelError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"{group.name} saved", "success")
            return redirect(url_for(".view_group", group_id=group.id))
    return render_template("panels/outreach/group_form.html", form=form, group=group)


@bp.route("/officer/groups/<int:group_id>/contacts", methods=["POST"])
@officers_only
def add_group_contact(group_id):
    group = _group_or_404(group_id)
    form = GroupContactForm()
    if form.validate_on_submit():
        try:
            contact = outreach.add_group_contact(group, form.email.data, role_title=form.role_title.data,
                                                 can_respond=form.can_respond.data, actor=current_user)
        except PanelError as error:
            form.email.errors.append(str(error))
        else:
            flash(f"{contact.member.full_name} is now a contact point for {group.name}", "success")
            return redirect(url_for(".view_group", group_id=group.id))
    return render_template("panels/outreach/group.html", group=group, form=form, remove_form=ConfirmForm())


@bp.route("/officer/groups/<int:group_id>/contacts/<int:member_id>/remove", methods=["POST"])
@officers_only
def remove_group_contact(group_id, member_id):
    group = _group_or_404(group_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not outreach.remove_group_contact(group, member_id, current_user):
        abort(404)
    flash("Contact point removed", "success")
    return redirect(url_for(".view_group", group_id=group.id))


@bp.route("/groups")
@public
def public_groups():
    return render_template("panels/outreach/public_groups.html", groups=outreach.list_public_groups())


# --- population targets and who is missing ----------------------------------------


def _dimension_or_404(name: str) -> TargetDimension:
    try:
        return TargetDimension(name.replace("-", "_"))
    except ValueError:
        abort(404)


@bp.route("/officer/population-targets")
@officers_only
def population_targets():
    targets = outreach.list_population_targets()
    return render_template("panels/outreach/targets.html", targets=targets,
                           off_total={dimension: outreach.total_is_off(rows) for dimension, rows in targets.items()},
                           panels=list_panels())


@bp.route("/officer/population-targets/<dimension>/edit", methods=["GET", "POST"])
@officers_only
def edit_population_targets(dimension):
    dimension = _dimension_or_404(dimension)
    draft = outreach.get_targets_draft(dimension)
    form = population_targets_form(dimension, draft.categories, draft.shares, draft.source)
    if form.validate_on_submit():
        count = outreach.set_population_targets(dimension, form.shares(), form.source.data, current_user)
        flash(f"{dimension.label} targets saved: {count} {'category' if count == 1 else 'categories'}", "success")
        return redirect(url_for(".population_targets"))
    return render_template("panels/outreach/targets_edit.html", form=form, dimension=dimension)


@bp.route("/officer/population-targets/upload", methods=["GET", "POST"])
@officers_only
def upload_population_targets():
    form = TargetsUploadForm()
    problems = []
    if form.validate_on_submit():
        try:
            data = form.file.data.read(outreach.MAX_TARGETS_FILE_BYTES + 1)
            rows = outreach.upload_population_targets(data, current_user)
        except outreach.TargetsFileError as error:
            problems = error.problems
            form.file.errors.append(problems[0] if len(problems) == 1 else
                                    f"The file has {len(problems)} problems: fix them and upload it again")
        else:
            dimensions = sorted({row.dimension.label.lower() for row in rows})
            flash(f"{len(rows)} population targets uploaded for {' and '.join(dimensions)}", "success")
            return redirect(url_for(".population_targets"))
    return render_template("panels/outreach/targets_upload.html", form=form,
                           problems=problems if len(problems) > 1 else [])


@bp.route("/officer/panels/<slug>/who-is-missing")
@officers_only
def who_is_missing(slug):
    panel = get_panel_by_slug(slug)
    if panel is None:
        abort(404)
    return render_template("panels/outreach/who_is_missing.html",
                           representation=outreach.get_panel_representation(panel))


# --- recruitment ---------------------------------------------------------------------


@bp.route("/officer/recruitment")
@officers_only
def recruitment():
    return render_template("panels/outreach/recruitment.html", report=outreach.get_recruitment_report())


@bp.route("/officer/recruitment/new", methods=["GET", "POST"])
@officers_only
def new_recruitment_link():
    panels = list_panels()
    form = RecruitmentLinkForm(panels=panels)
    if form.validate_on_submit():
        try:
            link = outreach.create_recruitment_link(
                form.name.data, RecruitmentKind(form.kind.data),
                panel=get_panel_by_slug(form.panel.data) if form.panel.data else None,
                code=form.code.data or None, actor=current_user,
            )
        except PanelError as error:
            form.code.errors.append(str(error))
        else:
            flash(f"Link created for {link.name}", "success")
            return redirect(url_for(".recruitment_poster", code=link.code))
    return render_template("panels/outreach/link_form.html", form=form)


def _printable(template: str, code: str):
    link = _link_or_404(code)
    # segno writes the SVG from our own URL: no user text goes into it unescaped.
    return render_template(template, link=link, qr_svg=Markup(outreach.qr_code_svg(link)),
                           url=outreach.tracked_url(link), short_url=outreach.short_url(link))


@bp.route("/officer/recruitment/<code>/poster")
@officers_only
def recruitment_poster(code):
    return _printable("panels/outreach/poster.html", code)


@bp.route("/officer/recruitment/<code>/leaflet")
@officers_only
def recruitment_leaflet(code):
    return _printable("panels/outreach/leaflet.html", code)


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/officer/recruitment/<code>/qr.svg")
@officers_only
def recruitment_qr_svg(code):
    link = _link_or_404(code)
    return _download(outreach.qr_code_svg(link), "image/svg+xml", f"{link.code}-qr-code.svg")


@bp.route("/officer/recruitment/<code>/qr.png")
@officers_only
def recruitment_qr_png(code):
    link = _link_or_404(code)
    return _download(outreach.qr_code_png(link), "image/png", f"{link.code}-qr-code.png")


@bp.route("/join/from/<code>")
@public
def join_from(code):
    link = _link_or_404(code)
    session[outreach.RECRUITMENT_SESSION_KEY] = link.id
    return redirect("/join")
