"""Officers' results, crosstabs, weighting, chart downloads and exports for one consultation."""

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.analysis import charts, operations, queries, representativeness
from epanel.analysis.exports import EXPORT_FORMATS, export_filename, make_layout
from epanel.analysis.filters import GROUPS, STATUSES, ResponseFilter, find_filter_values
from epanel.analysis.weighting import DEFAULT_TRIM, compute_weighting, find_targets
from epanel.common.time import utcnow
from epanel.panels.models import TargetDimension
from epanel.respond.models import ResponseChannel

bp = Blueprint("analysis", __name__, url_prefix="/officer/consultations/<slug>")

OFFICERS = (Role.OFFICER, Role.ADMIN)


def _consultation(slug):
    return queries.get_consultation(slug) or abort(404)


def _weighting(consultation, filters):
    """Weighting as the query string asks: ?weight=on, optional ?dimension=… and ?trim=on."""
    if request.args.get("weight") != "on":
        return None
    dimensions = [TargetDimension(value) for value in request.args.getlist("dimension")
                  if value in {dimension.value for dimension in TargetDimension}] or None
    trim = DEFAULT_TRIM if request.args.get("trim") == "on" else None
    return compute_weighting(consultation, filters, dimensions, trim)


def _page_context(consultation, filters):
    return {
        "consultation": consultation, "filters": filters, "filter_values": find_filter_values(consultation.id),
        "statuses": STATUSES, "group_options": GROUPS, "channels": ResponseChannel,
        "target_dimensions": list(find_targets()), "default_trim": DEFAULT_TRIM,
        "weight_args": {key: request.args.getlist(key) for key in ("weight", "dimension", "trim") if key in request.args},
    }


@bp.route("/results")
@roles_required(*OFFICERS)
def show_results(slug):
    consultation = _consultation(slug)
    filters = ResponseFilter.from_args(request.args)
    weighting = _weighting(consultation, filters)
    results = queries.get_results(consultation, filters, weighting)
    return render_template("analysis/results.html", results=results, weighting=weighting,
                           **_page_context(consultation, filters))


@bp.route("/representativeness")
@roles_required(*OFFICERS)
def show_representativeness(slug):
    consultation = _consultation(slug)
    filters = ResponseFilter.from_args(request.args)
    return render_template(
        "analysis/representativeness.html", comparisons=representativeness.compare_with_population(consultation, filters),
        panel_rates=representativeness.rates_by_panel(consultation),
        channel_rates=representativeness.rates_by_invitation_channel(consultation),
        by_channel=representativeness.responses_by_channel(consultation),
        by_group=representativeness.responses_by_group(consultation),
        waiting=representativeness.non_respondents_by_segment(consultation),
        segment_names=representativeness.SEGMENT_DIMENSIONS, not_recorded=representativeness.NOT_RECORDED,
        can_remind=consultation.status.value == "open", **_page_context(consultation, filters))


@bp.route("/report")
@roles_required(*OFFICERS)
def show_report(slug):
    """The results as a report for a committee paper: methodology, who responded, every question's chart and
    table; laid out to print cleanly (or save as PDF) from the browser."""
    consultation = _consultation(slug)
    filters = ResponseFilter.from_args(request.args)
    weighting = _weighting(consultation, filters)
    return render_template(
        "analysis/report.html", results=queries.get_results(consultation, filters, weighting), weighting=weighting,
        comparisons=representativeness.compare_with_population(consultation, filters),
        channel_rates=representativeness.rates_by_invitation_channel(consultation),
        by_channel=representativeness.responses_by_channel(consultation), generated=utcnow(),
        **_page_context(consultation, filters))


@bp.route("/results/charts/<int:question_id>.svg")
@roles_required(*OFFICERS)
def download_chart(slug, question_id):
    consultation = _consultation(slug)
    filters = ResponseFilter.from_args(request.args)
    results = queries.get_results(consultation, filters, _weighting(consultation, filters), question_ids={question_id})
    result = results.find(question_id) or abort(404)
    return Response(charts.as_download(result.chart), mimetype="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="{consultation.slug}-{result.question.code}.svg"'})


@bp.route("/crosstab")
@roles_required(*OFFICERS)
def show_crosstab(slug):
    consultation = _consultation(slug)
    filters = ResponseFilter.from_args(request.args)
    questions = queries.crosstab_questions(consultation)
    question = next((q for q in questions if str(q.id) == request.args.get("question")), None)
    by = request.args.get("by", "")
    crosstab = error = None
    if question and by:
        try:
            crosstab = queries.get_crosstab(consultation, question, by, filters, _weighting(consultation, filters))
        except ValueError as problem:
            error = str(problem)
    return render_template("analysis/crosstab.html", questions=questions, question=question, by=by,
                           attributes=queries.ATTRIBUTES, crosstab=crosstab, error=error,
                           **_page_context(consultation, filters))


@bp.route("/exports")
@roles_required(*OFFICERS)
def list_exports(slug):
    consultation = _consultation(slug)
    filters = ResponseFilter.from_args(request.args)
    return render_template("analysis/exports.html", formats=EXPORT_FORMATS.values(),
                           **_page_context(consultation, filters))


@bp.route("/exports/<key>")
@roles_required(*OFFICERS)
def download_export(slug, key):
    consultation = _consultation(slug)
    export = EXPORT_FORMATS.get(key) or abort(404)
    filters = ResponseFilter.from_args(request.args)
    weighting = _weighting(consultation, filters)
    operations.record_export(consultation, current_user, export, filters, weighted=weighting is not None)
    layout = make_layout(consultation, weighting)
    body = stream_with_context(export.write(layout, filters))
    return Response(body, mimetype=export.mimetype, headers={
        "Content-Disposition": f'attachment; filename="{export_filename(consultation, export, utcnow())}"',
        "Cache-Control": "no-store",
    })

