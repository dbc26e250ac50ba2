"""Councillors: ward digests, public comments on a ward's results, topic suggestions; and the
officers' pages that set councillors' wards, remove comments and decide on suggestions."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.analysis.suppression import MIN_PUBLIC_BASE
from epanel.planning import community_queries as queries
from epanel.planning import councillors
from epanel.planning.councillor_forms import (
    CommentForm,
    ConfirmForm,
    DecisionForm,
    DigestForm,
    RemoveCommentForm,
    SuggestionForm,
    WardsForm,
)
from epanel.planning.councillors import CouncillorError
from epanel.planning.digests import set_digest_frequency
from epanel.planning.models import DigestFrequency, SuggestionStatus

bp = Blueprint("planning_councillors", __name__)

councillors_only = roles_required(Role.COUNCILLOR)
officers_only = roles_required(Role.OFFICER, Role.ADMIN)


def _own_ward_or_403(ward: str) -> str:
    """A councillor sees figures only for the wards they represent."""
    if not queries.represents(current_user, ward):
        abort(403)
    return ward


def _consultation_or_404(slug: str):
    return queries.get_visible_consultation(slug) or abort(404)


# --- the councillor's pages --------------------------------------------------------------------


@bp.route("/councillor")
@councillors_only
def home():
    form = DigestForm(frequency=queries.frequency_for(user=current_user).value)
    return render_template("planning/councillor_home.html", wards=queries.wards_of(current_user), form=form)


@bp.route("/councillor/digest", methods=["POST"])
@councillors_only
def save_digest():
    form = DigestForm()
    if not form.validate_on_submit():
        return render_template("planning/councillor_home.html", wards=queries.wards_of(current_user), form=form), 400
    set_digest_frequency(DigestFrequency(form.frequency.data), user=current_user)
    flash("Your digest settings are saved", "success")
    return redirect(url_for(".home"))


@bp.route("/councillor/wards/<ward>")
@councillors_only
def show_ward(ward):
    ward = _own_ward_or_403(ward)
    figures = queries.ward_figures_for(queries.consultations_for_wards(), ward)
    return render_template("planning/councillor_ward.html", ward=ward, figures=figures, min_base=MIN_PUBLIC_BASE)


@bp.route("/councillor/wards/<ward>/consultations/<slug>", methods=["GET", "POST"])
@councillors_only
def ward_result(ward, slug):
    ward = _own_ward_or_403(ward)
    consultation = _consultation_or_404(slug)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            councillors.add_comment(current_user, consultation, ward, form.body.data)
        except CouncillorError as error:
            form.body.errors.append(str(error))
        else:
            flash("Your comment is published with the results", "success")
            return redirect(url_for(".ward_result", ward=ward, slug=slug))
    return render_template("planning/councillor_ward_result.html", ward=ward, consultation=consultation, form=form,
                           figures=queries.ward_figures(consultation, ward),
                           questions=queries.ward_results(consultation, ward),
                           comments=queries.comments_by(current_user, consultation, ward),
                           can_comment=consultation.status in queries.COMMENTABLE_STATUSES,
                           withdraw_form=ConfirmForm(), min_base=MIN_PUBLIC_BASE), 400 if form.errors else 200


@bp.route("/councillor/comments/<int:comment_id>/withdraw", methods=["POST"])
@councillors_only
def withdraw_comment(comment_id):
    comment = queries.get_comment(comment_id)
    if comment is None or comment.user_id != current_user.id or not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        councillors.remove_comment(comment, current_user, "")
    except CouncillorError as error:
        flash(str(error), "error")
    else:
        flash("Your comment is withdrawn", "success")
    return redirect(url_for(".ward_result", ward=comment.ward, slug=comment.consultation.slug))


@bp.route("/councillor/suggestions")
@councillors_only
def list_suggestions():
    return render_template("planning/councillor_suggestions.html", suggestions=queries.suggestions_by(current_user))


@bp.route("/councillor/suggestions/new", methods=["GET", "POST"])
@councillors_only
def new_suggestion():
    form = SuggestionForm()
    form.ward.choices = [(ward, ward) for ward in queries.wards_of(current_user)] + [("", "The whole area")]
    if form.validate_on_submit():
        try:
            councillors.suggest_topic(current_user, form.title.data, form.details.data or "", form.ward.data or None)
        except CouncillorError as error:
            form.title.errors.append(str(error))
        else:
            flash("Your suggestion is sent to the consultation team", "success")
            return redirect(url_for(".list_suggestions"))
    return render_template("planning/councillor_suggestion_form.html", form=form), 400 if form.errors else 200


# --- officers ----------------------------------------------------------------------------------


@bp.route("/officer/councillors")
@officers_only
def list_councillors():
    return render_template("planning/councillor_officer_list.html", summaries=queries.list_councillors())


@bp.route("/officer/councillors/<int:user_id>/wards", methods=["GET", "POST"])
@officers_only
def edit_wards(user_id):
    councillor = queries.get_councillor(user_id) or abort(404)
    form = WardsForm(wards=queries.wards_of(councillor))
    form.wards.choices = [SelectChoice(ward, ward) for ward in queries.known_wards()]
    if form.validate_on_submit():
        try:
            councillors.set_wards(councillor, form.wards.data or [], current_user)
        except CouncillorError as error:
            form.wards.errors.append(str(error))
        else:
            flash(f"Wards saved for {councillor.display_name}", "success")
            return redirect(url_for(".list_councillors"))
    return render_template("planning/councillor_officer_wards.html", councillor=councillor,
                           form=form), 400 if form.errors else 200


@bp.route("/officer/councillor-comments")
@officers_only
def list_comments():
    return render_template("planning/councillor_officer_comments.html", comments=queries.list_comments_for_officers())


@bp.route("/officer/councillor-comments/<int:comment_id>/remove", methods=["GET", "POST"])
@officers_only
def remove_comment(comment_id):
    comment = queries.get_comment(comment_id) or abort(404)
    form = RemoveCommentForm()
    if form.validate_on_submit():
        try:
            councillors.remove_comment(comment, current_user, form.reason.data)
        except CouncillorError as error:
            form.reason.errors.append(str(error))
        else:
            flash("The comment is removed from the public page", "success")
            return redirect(url_for(".list_comments"))
    return render_template("planning/councillor_officer_remove_comment.html", comment=comment,
                           form=form), 400 if form.errors else 200


@bp.route("/officer/topic-suggestions")
@officers_only
def officer_suggestions():
    return render_template("planning/councillor_officer_suggestions.html",
                           suggestions=queries.list_suggestions_for_officers())


@bp.route("/officer/topic-suggestions/<int:suggestion_id>", methods=["GET", "POST"])
@officers_only
def decide_suggestion(suggestion_id):
    suggestion = queries.get_suggestion(suggestion_id) or abort(404)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            councillors.decide_suggestion(suggestion, SuggestionStatus(form.decision.data), form.reason.data,
                                          current_user)
        except CouncillorError as error:
            form.reason.errors.append(str(error))
        else:
            flash(f"Suggestion {suggestion.status.label.lower()}", "success")
            return redirect(url_for(".officer_suggestions"))
    return render_template("planning/councillor_officer_decide.html", suggestion=suggestion,
                           form=form), 400 if form.errors else 200
