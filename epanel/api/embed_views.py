"""Embeddable consultation and results card, framed only by origins an officer allows.

The answering pages here mirror respond/views.py, but keep the respondent's place in a signed
token in the URL instead of the session cookie, which a third-party iframe does not get
(see epanel/api/embeds.py for why, and docs/embeds.md).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import Role
from epanel.analysis.suppression import MIN_PUBLIC_BASE
from epanel.api import embeds
from epanel.api.embed_forms import EmbedAboutForm, OriginForm, RemoveOriginForm
from epanel.common.links import external_url
from epanel.consultations.models import ConsultationStatus
from epanel.consultations.queries import (
    PUBLIC_STATUSES,
    get_consultation_for_answering,
    get_consultation_with_questions,
)
from epanel.extensions import csrf, limiter
from epanel.panels.queries import age_bands
from epanel.respond import operations
from epanel.respond.models import ResponseStatus
from epanel.respond.views import keep_lifecycle_on_time
from epanel.security import allow_framing_by

bp = Blueprint("api_embeds", __name__)
OFFICERS = (Role.OFFICER, Role.ADMIN)

def _embeddable_or_404(consultation):
    """The consultation, if the public may see it and some website may embed it; its pages may then be
    framed by exactly those websites."""
    if consultation is None or consultation.status not in PUBLIC_STATUSES:
        abort(404)
    origins = embeds.allowed_origins(consultation)
    if not origins:
        abort(404)
    allow_framing_by(origins)
    return consultation


def _check_form_token(submission_id: str | None) -> None:
    """Embed forms carry a signed token for their response in place of the session's CSRF token."""
    if submission_id is None or not embeds.form_token_is_good(request.form.get("csrf_token"), submission_id):
        raise CSRFError("The embed form's token is missing or is not for this response.")


def _answering(slug, token):
    """The consultation, the respondent the token names, and their response so far; a POST without the
    right form token is refused before anything is loaded."""
    place = embeds.read_response_token(token)
    if request.method == "POST":
        _check_form_token(place[1] if place else None)
    operations.keep_loaded_objects_after_commit()
    operations.read_without_transaction()
    keep_lifecycle_on_time()  # as on the main answering pages: on time even without cron
    consultation = _embeddable_or_404(get_consultation_for_answering(slug))
    if place is None or place[0] != consultation.id or not embeds.can_answer_in_embed(consultation):
        abort(404)
    respondent = operations.Respondent(submission_id=place[1])
    return consultation, respondent, operations.find_response(consultation, respondent)


def _asks_about(consultation) -> bool:
    return consultation.ask_public_postcode or consultation.ask_public_age_band or consultation.public_needs_email


# --- the embedded consultation ---------------------------------------------------------------


@bp.route("/embed/consultations/<slug>")
@public
def show_embed(slug):
    keep_lifecycle_on_time()  # as on the main answering pages: on time even without cron
    consultation = _embeddable_or_404(get_consultation_for_answering(slug))
    answerable = consultation.is_open and embeds.can_answer_in_embed(consultation)
    token = None
    if answerable:
        # Back from page 1 carries on the same response; otherwise a fresh place for each visit
        # (nothing is stored until the first page is saved).
        place = embeds.read_response_token(request.args.get("continue", ""))
        token = request.args["continue"] if place and place[0] == consultation.id else \
            embeds.response_token(consultation, operations.new_submission_id())
    return render_template("api/embed_consultation.html", consultation=consultation, token=token,
                           answerable=answerable, full_page=external_url("respond.show_consultation", slug=slug))


@bp.route("/embed/consultations/<slug>/answer/<token>/page/<int:number>", methods=["GET", "POST"])
@public
@limiter.limit("60 per minute", exempt_when=lambda: request.method != "POST")
def page(slug, token, number):
    consultation, respondent, response = _answering(slug, token)
    if not consultation.is_open:
        return redirect(url_for("api_embeds.show_embed", slug=slug))
    needs_saved = request.method == "GET" or operations.has_conditions(consultation)
    saved = operations.load_values(response, consultation) if needs_saved else {}
    visible = operations.pages(consultation, saved)
    if not 1 <= number <= len(visible):
        return redirect(url_for("api_embeds.page", slug=slug, token=token, number=1))
    section = visible[number - 1]
    numbers = operations.visible_numbers(consultation, saved)
    values, errors, revealed = saved, {}, []
    if request.method == "POST":
        result = operations.read_page(consultation, section, request.form, saved, numbers)
        values, errors = result.values, result.errors
        revealed = operations.newly_shown(section, saved, values, consultation)
        if not errors:
            try:
                operations.save_page(response, consultation, section, result, number - 1 if revealed else number,
                                     respondent=respondent)
            except operations.RespondError:
                return redirect(url_for("api_embeds.show_embed", slug=slug))
            change = {"change": 1} if request.args.get("change") else {}
            if revealed:
                return redirect(url_for("api_embeds.page", slug=slug, token=token, number=number, revealed=1, **change))
            if change or number >= len(operations.pages(consultation, values)):
                return redirect(url_for("api_embeds.check", slug=slug, token=token))
            return redirect(url_for("api_embeds.page", slug=slug, token=token, number=number + 1))
    by_id = {q.id: q for q in consultation.questions}
    shown = [q for q in section.questions if operations.is_shown(q, values, by_id)]
    return render_template("api/embed_page.html", consultation=consultation, section=section, questions=shown,
                           values=values, errors=errors, numbers=operations.visible_numbers(consultation, values),
                           number=number, total=len(visible), token=token,
                           form_token=embeds.form_token(respondent.submission_id),
                           revealed=bool(request.args.get("revealed")))


@bp.route("/embed/consultations/<slug>/answer/<token>/check", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute", exempt_when=lambda: request.method != "POST")
def check(slug, token):
    consultation, respondent, response = _answering(slug, token)
    if not consultation.is_open:
        return redirect(url_for("api_embeds.show_embed", slug=slug))
    if response is None:
        return redirect(url_for("api_embeds.page", slug=slug, token=token, number=1))
    answers = operations.read_answers(response)
    values = operations.values_from_answers(answers, consultation)
    numbers = operations.visible_numbers(consultation, values)
    form = EmbedAboutForm.for_consultation(consultation, age_bands(), data={}) if _asks_about(consultation) else None
    conflict = None
    if request.method == "POST" and (form is None or form.validate()):
        about = form.answers() if form is not None else {}
        try:
            operations.submit_response(
                response, consultation, submission_id=request.form.get("submission_id", ""),
                fingerprint=request.form.get("fingerprint", ""), numbers=numbers, snapshot=about, answers=answers,
            )
        except operations.MissingAnswers as missing:
            return redirect(url_for("api_embeds.page", slug=slug, token=token, number=missing.page))
        except operations.RespondError as error:
            conflict = str(error)
        else:
            operations.send_after_submit(
                response, consultation, copy_to=about.get("email"),
                confirm_url=lambda secret: external_url("respond.confirm_email", token=secret),
            )
            return redirect(url_for("api_embeds.done", slug=slug, token=token))
    by_id = {q.id: q for q in consultation.questions}
    return render_template("api/embed_check.html", consultation=consultation, response=response,
                           pages=operations.pages(consultation, values), values=values, numbers=numbers,
                           conflict=conflict, by_id=by_id, is_shown=operations.is_shown, form=form, token=token,
                           fingerprint=operations.answers_fingerprint(response, answers),
                           form_token=embeds.form_token(respondent.submission_id))


@bp.route("/embed/consultations/<slug>/answer/<token>/done")
@public
def done(slug, token):
    consultation, _respondent, response = _answering(slug, token)
    if response is None or response.status != ResponseStatus.COMPLETE:
        return redirect(url_for("api_embeds.show_embed", slug=slug))
    return render_template("api/embed_done.html", consultation=consultation, response=response,
                           needs_confirmation=operations.needs_email_confirmation(response, consultation))


# --- the results card ------------------------------------------------------------------------


@bp.route("/embed/consultations/<slug>/results")
@public
def results_card(slug):
    consultation = _embeddable_or_404(get_consultation_with_questions(slug))
    return render_template("api/embed_results.html", consultation=consultation,
                           rows=embeds.results_card(consultation), minimum=MIN_PUBLIC_BASE,
                           full_page=external_url("respond.show_consultation", slug=slug))


# --- officers: allowed websites and the snippet ------------------------------------------------


def _officer_consultation_or_404(slug):
    return get_consultation_with_questions(slug) or abort(404)


def _snippets(consultation) -> dict[str, str]:
    title = consultation.title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    consultation_url = external_url("api_embeds.show_embed", slug=consultation.slug)
    results_url = external_url("api_embeds.results_card", slug=consultation.slug)
    return {
        "consultation": f'<iframe src="{consultation_url}" title="{title}: have your say" '
                        f'width="100%" height="900" loading="lazy"></iframe>',
        "results": f'<iframe src="{results_url}" title="{title}: results" '
                   f'width="100%" height="700" loading="lazy"></iframe>',
    }


def _render_officer_page(consultation, form, status=200):
    return render_template(
        "api/embed_settings.html", consultation=consultation, form=form, remove_form=RemoveOriginForm(),
        origins=embeds.list_embed_origins(consultation), site_wide=embeds.list_embed_origins(None),
        snippets=_snippets(consultation), answerable=embeds.can_answer_in_embed(consultation),
        published=consultation.status == ConsultationStatus.PUBLISHED,
    ), status


@bp.route("/officer/consultations/<slug>/embed", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def embed_settings(slug):
    consultation = _officer_consultation_or_404(slug)
    form = OriginForm()
    if form.validate_on_submit():
        try:
            row = embeds.add_embed_origin(consultation, form.origin.data, current_user)
        except embeds.EmbedError as error:
            form.origin.errors.append(str(error))
            return _render_officer_page(consultation, form, 400)
        flash(f"{row.origin} can now show this consultation", "success")
        return redirect(url_for("api_embeds.embed_settings", slug=slug))
    return _render_officer_page(consultation, form, 400 if form.errors else 200)


@bp.route("/officer/consultations/<slug>/embed/origins/<int:origin_id>/remove", methods=["POST"])
@roles_required(*OFFICERS)
def remove_consultation_origin(slug, origin_id):
    consultation = _officer_consultation_or_404(slug)
    row = embeds.get_embed_origin(origin_id)
    if row is None or row.consultation_id != consultation.id or not RemoveOriginForm().validate_on_submit():
        abort(404)
    embeds.remove_embed_origin(row, current_user)
    flash(f"{row.origin} can no longer show this consultation", "success")
    return redirect(url_for("api_embeds.embed_settings", slug=slug))


@bp.route("/admin/embed-websites", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def site_origins():
    form = OriginForm()
    status = 200
    if form.validate_on_submit():
        try:
            row = embeds.add_embed_origin(None, form.origin.data, current_user)
        except embeds.EmbedError as error:
            form.origin.errors.append(str(error))
        else:
            flash(f"{row.origin} can now show every consultation", "success")
            return redirect(url_for("api_embeds.site_origins"))
    if form.errors:
        status = 400
    return render_template("api/embed_site_origins.html", form=form, remove_form=RemoveOriginForm(),
                           origins=embeds.list_embed_origins(None)), status


@bp.route("/admin/embed-websites/<int:origin_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def remove_site_origin(origin_id):
    row = embeds.get_embed_origin(origin_id)
    if row is None or row.consultation_id is not None or not RemoveOriginForm().validate_on_submit():
        abort(404)
    embeds.remove_embed_origin(row, current_user)
    flash(f"{row.origin} can no longer show consultations", "success")
    return redirect(url_for("api_embeds.site_origins"))


# The answering posts carry their own token (checked first, in _answering), not the session's.
csrf.exempt(page)
csrf.exempt(check)
