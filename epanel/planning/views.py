"""Outcomes ("You said, we did"), the community plan and "my say"."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from epanel.accounts.access import public, roles_required, signed_in
from epanel.accounts.models import Role
from epanel.analysis.suppression import MIN_PUBLIC_BASE
from epanel.consultations.queries import get_consultation_by_slug
from epanel.panels.queries import find_member_for_user
from epanel.planning import outcomes, plan, queries
from epanel.planning.community_queries import comments_for
from epanel.planning.forms import (
    ActionForm,
    LinkConsultationForm,
    OutcomeForm,
    PublishForm,
    ThemeForm,
    UnlinkForm,
)
from epanel.planning.models import PlanActionStatus

bp = Blueprint("planning", __name__)

OFFICERS = (Role.OFFICER, Role.ADMIN)


@bp.app_context_processor
def _outcome_helpers():
    """Lets the hub, the officers' consultation page and class results show a published outcome."""
    return {"published_outcome": queries.find_published_outcome}


def _consultation_or_404(slug):
    return get_consultation_by_slug(slug) or abort(404)


# --- officers: writing and publishing the outcome -------------------------------------------------


def _outcome_form(consultation, outcome, *, from_saved=False):
    """The outcome form: the officer's submission on a save, otherwise the saved outcome (also after a
    refused publish, whose POST carries only the publish button, so must not blank the text)."""
    if (from_saved or request.method == "GET") and outcome is not None:
        headlines = outcome.headlines or []
        form = OutcomeForm(formdata=None, data={
            "what_we_asked": outcome.what_we_asked, "what_you_said": outcome.what_you_said,
            "what_we_did": outcome.what_we_did, "headlines": [item["question_id"] for item in headlines],
            "breakdown": next((item["by"] for item in headlines if item.get("by")), "")})
    elif from_saved or request.method == "GET":
        form = OutcomeForm(formdata=None, data={"what_we_asked": consultation.summary or ""})
    else:
        form = OutcomeForm()
    form.headlines.choices = [SelectChoice(question.id, question.text)
                              for question in outcomes.headline_questions(consultation)]
    return form


def _outcome_page(consultation, outcome, form, publish_form):
    can_publish = consultation.status.value in ("closed", "published") and not (outcome and outcome.is_published)
    return render_template("planning/outcome_form.html", consultation=consultation, outcome=outcome, form=form,
                           publish_form=publish_form, problems=outcomes.outcome_problems(outcome),
                           headlines=queries.public_headlines(consultation, outcome) if outcome else [],
                           reach=outcomes.preview_reach(consultation) if can_publish else None,
                           minimum=MIN_PUBLIC_BASE)


@bp.route("/officer/consultations/<slug>/outcome", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_outcome(slug):
    consultation = _consultation_or_404(slug)
    outcome = queries.find_outcome(consultation)
    form = _outcome_form(consultation, outcome)
    if form.validate_on_submit():
        try:
            outcome = outcomes.save_outcome(
                consultation, current_user, what_we_asked=form.what_we_asked.data, what_you_said=form.what_you_said.data,
                what_we_did=form.what_we_did.data,
                headlines=[{"question_id": question_id, "by": form.breakdown.data} for question_id in form.headlines.data])
        except outcomes.OutcomeError as error:
            form.what_we_asked.errors.append(str(error))
        else:
            flash("Outcome saved" + ("" if outcome.is_published else ". Publish it when it is ready."), "success")
            return redirect(url_for("planning.edit_outcome", slug=consultation.slug))
    return _outcome_page(consultation, outcome, form, PublishForm())


@bp.route("/officer/consultations/<slug>/outcome/publish", methods=["POST"])
@roles_required(*OFFICERS)
def publish_outcome(slug):
    consultation = _consultation_or_404(slug)
    publish_form = PublishForm()
    if publish_form.validate_on_submit():
        try:
            report = outcomes.publish_outcome(consultation, current_user)
        except outcomes.OutcomeError as error:
            publish_form.submit.errors = [str(error)]
        else:
            flash(f"Outcome published. {report.summary}", "success")
            return redirect(url_for("planning.edit_outcome", slug=consultation.slug))
    outcome = queries.find_outcome(consultation)
    return _outcome_page(consultation, outcome, _outcome_form(consultation, outcome, from_saved=True), publish_form)


# --- the public: "You said, we did" ----------------------------------------------------------------


@bp.route("/you-said-we-did")
@public
def list_outcomes():
    return render_template("planning/outcomes.html", items=queries.list_published_outcomes())


@bp.route("/you-said-we-did/<slug>")
@public
def show_outcome(slug):
    consultation = _consultation_or_404(slug)
    outcome = queries.find_published_outcome(consultation) or abort(404)
    return render_template("planning/outcome.html", consultation=consultation, outcome=outcome,
                           headlines=queries.public_headlines(consultation, outcome),
                           actions=queries.actions_citing(consultation), minimum=MIN_PUBLIC_BASE,
                           councillor_comments=comments_for(consultation))


@bp.route("/community-plan")
@public
def community_plan():
    themes = queries.list_themes()
    return render_template("planning/plan.html", themes=themes, counts=queries.status_counts(themes),
                           statuses=list(PlanActionStatus))


@bp.route("/my/say")
@signed_in
def my_say():
    member = find_member_for_user(current_user)
    return render_template("planning/my_say.html", member=member,
                           items=queries.my_say(member) if member else [])


# --- officers: the community plan --------------------------------------------------------------------


@bp.route("/officer/community-plan", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def manage_plan():
    form = ThemeForm()
    if form.validate_on_submit():
        try:
            theme = plan.create_theme(form.title.data, current_user, description=form.description.data)
        except plan.PlanError as error:
            form.title.errors.append(str(error))
        else:
            flash(f"Theme {theme.title} added", "success")
            return redirect(url_for("planning.show_theme", theme_id=theme.id))
    return render_template("planning/manage_plan.html", form=form, themes=queries.list_themes())


@bp.route("/officer/community-plan/themes/<int:theme_id>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def show_theme(theme_id):
    theme = queries.get_theme(theme_id) or abort(404)
    theme_form = ThemeForm(obj=theme if request.method == "GET" else None, prefix="theme")
    form = ActionForm(prefix="action")
    if form.submit.data and form.validate_on_submit():
        try:
            action = plan.add_action(theme, current_user, title=form.title.data, description=form.description.data,
                                     owner=form.owner.data, status=form.status.data,
                                     target_date=form.target_date.data, area=form.area.data)
        except plan.PlanError as error:
            form.title.errors.append(str(error))
        else:
            flash(f"Action {action.title} added", "success")
            return redirect(url_for("planning.show_action", action_id=action.id))
    elif theme_form.submit.data and theme_form.validate_on_submit():
        try:
            plan.update_theme(theme, current_user, title=theme_form.title.data,
                              description=theme_form.description.data)
        except plan.PlanError as error:
            theme_form.title.errors.append(str(error))
        else:
            flash("Theme saved", "success")
            return redirect(url_for("planning.show_theme", theme_id=theme.id))
    return render_template("planning/theme.html", theme=theme, form=form, theme_form=theme_form,
                           page_errors=bool(theme_form.errors))


def _link_form(action):
    form = LinkConsultationForm(prefix="link")
    linked = {evidence.consultation_id for evidence in action.evidence}
    form.consultation.choices = [SelectChoice("", "Choose a consultation")] + [
        SelectChoice(consultation.slug, consultation.title)
        for consultation in queries.list_linkable_consultations() if consultation.id not in linked]
    return form


@bp.route("/officer/community-plan/actions/<int:action_id>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def show_action(action_id):
    action = queries.get_action(action_id) or abort(404)
    form = ActionForm(obj=action if request.method == "GET" else None, prefix="action")
    link_form = _link_form(action)
    if link_form.submit.data and link_form.validate_on_submit():
        try:
            plan.link_consultation(action, get_consultation_by_slug(link_form.consultation.data), current_user)
        except plan.PlanError as error:
            link_form.consultation.errors.append(str(error))
        else:
            flash("Consultation linked", "success")
            return redirect(url_for("planning.show_action", action_id=action.id))
    elif form.submit.data and form.validate_on_submit():
        try:
            plan.update_action(action, current_user, title=form.title.data, description=form.description.data,
                               owner=form.owner.data, status=form.status.data, target_date=form.target_date.data,
                               area=form.area.data)
        except plan.PlanError as error:
            form.title.errors.append(str(error))
        else:
            flash("Action saved", "success")
            return redirect(url_for("planning.show_action", action_id=action.id))
    return render_template("planning/action.html", action=action, form=form, link_form=link_form,
                           unlink_form=UnlinkForm(prefix="unlink"), page_errors=bool(link_form.errors))


@bp.route("/officer/community-plan/actions/<int:action_id>/evidence/<int:evidence_id>/remove", methods=["POST"])
@roles_required(*OFFICERS)
def unlink_consultation(action_id, evidence_id):
    action = queries.get_action(action_id) or abort(404)
    if UnlinkForm(prefix="unlink").validate_on_submit():
        try:
            plan.unlink_consultation(action, evidence_id, current_user)
        except plan.PlanError as error:
            flash(str(error))
        else:
            flash("Link removed", "success")
    return redirect(url_for("planning.show_action", action_id=action.id))

