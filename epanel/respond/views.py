"""Answering: private invitation links, the public hub and public responses, paper entry by officers."""

import time

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import Role
from epanel.common.links import external_url
from epanel.common.time import utcnow
from epanel.consultations.models import ConsultationStatus
from epanel.consultations.operations import open_and_close_due
from epanel.consultations.queries import (
    PUBLIC_STATUSES,
    get_consultation_for_answering,
    get_consultation_with_questions,
    list_public_consultations,
    list_themes,
)
from epanel.extensions import limiter
from epanel.panels.outreach import get_group
from epanel.panels.queries import age_bands, find_member_by_email, find_member_for_user, get_member
from epanel.respond import operations
from epanel.respond.forms import AboutRespondentForm, KioskForm, PaperStartForm, StartForm
from epanel.respond.models import ResponseChannel, ResponseStatus
from epanel.respond.queries import (
    find_invitation,
    get_consultation_with_invitation,
    get_invitation,
    groups_member_can_answer_for,
    invitation_problem,
)

bp = Blueprint("respond", __name__)
bp.before_request(operations.keep_loaded_objects_after_commit)
bp.before_request(operations.read_without_transaction)

# session["respond"][slug]: {"invitation_id": id} | {"submission_id": s, "public": True, "about": {...}}
#                           | {"submission_id": s, "paper": True, "member_id": id | None}
STATE_KEY = "respond"


def _state(slug: str) -> dict | None:
    return session.get(STATE_KEY, {}).get(slug)


def _set_state(slug: str, state: dict | None) -> None:
    states = dict(session.get(STATE_KEY, {}))
    if state is None:
        states.pop(slug, None)
    else:
        states[slug] = state
    session[STATE_KEY] = states


# session[REFERRAL_KEY][slug]: the id of the community group whose tracked link (?via=<tag>) was followed.
REFERRAL_KEY = "respond_via"


def _remember_referral(slug: str) -> None:
    """A group's tracked link ends "?via=<name>-<group id>" (epanel/planning/groups.py makes it): remember
    the group, so a public response started here records it. A tag naming no group is ignored."""
    tag = request.args.get("via", "")[:100]
    group_id = tag.rpartition("-")[2]
    group = get_group(int(group_id)) if group_id.isdigit() and len(group_id) < 10 else None
    if group is not None:
        session[REFERRAL_KEY] = {**session.get(REFERRAL_KEY, {}), slug: group.id}


# Without cron, consultations still open and close on time: the first request after a
# due time moves them, at most once every LIFECYCLE_CHECK_SECONDS per process.
LIFECYCLE_CHECK_SECONDS = 30
_last_lifecycle_check = 0.0


def keep_lifecycle_on_time() -> None:
    """Open and close due consultations, at most once every LIFECYCLE_CHECK_SECONDS (the embeds call it too)."""
    global _last_lifecycle_check
    now = time.monotonic()
    if now - _last_lifecycle_check >= LIFECYCLE_CHECK_SECONDS:
        _last_lifecycle_check = now
        open_and_close_due()


def _consultation_or_404(slug):
    """The consultation as respondents see it: its row read now, its questions from the per-process cache."""
    keep_lifecycle_on_time()
    consultation = get_consultation_for_answering(slug)
    if consultation is None or consultation.status not in PUBLIC_STATUSES:
        abort(404)
    return consultation


def _invited(invitation, consultation) -> operations.Respondent | None:
    if invitation is None or invitation.consultation_id != consultation.id or invitation_problem(invitation):
        return None
    return operations.Respondent(invitation=invitation, member=invitation.member)


def _respondent(consultation) -> operations.Respondent | None:
    """Who is answering this consultation in this browser, if anyone may."""
    state = _state(consultation.slug) or {}
    if state.get("invitation_id"):
        return _invited(get_invitation(state["invitation_id"]), consultation)
    if state.get("paper"):
        if not (current_user.is_authenticated and current_user.has_any_role({Role.OFFICER, Role.ADMIN})):
            return None
        return operations.Respondent(channel=ResponseChannel.PAPER, keyed_by=current_user,
                                     member=get_member(state["member_id"]) if state.get("member_id") else None,
                                     submission_id=state["submission_id"])
    if state.get("group_id"):
        member = find_member_for_user(current_user) if current_user.is_authenticated else None
        group = next((g for g in groups_member_can_answer_for(member) if g.id == state["group_id"]), None)
        if group is None:
            return None
        return operations.Respondent(channel=ResponseChannel.GROUP, member=member, group=group,
                                     submission_id=state["submission_id"])
    if state.get("public") and consultation.for_public:
        return operations.Respondent(submission_id=state["submission_id"], assisted=state.get("assisted", False),
                                     referral_group_id=state.get("referral_group_id"))
    return None


def _answering(slug):
    """The consultation (404 unless respondents may see it), who answers it in this browser, if anyone
    may, and their response so far. For an invited member, the page's one query gives all three."""
    keep_lifecycle_on_time()
    invitation_id = (_state(slug) or {}).get("invitation_id")
    if invitation_id:
        consultation, invitation, response = get_consultation_with_invitation(slug, invitation_id)
    else:
        consultation = get_consultation_for_answering(slug)
    if consultation is None or consultation.status not in PUBLIC_STATUSES:
        abort(404)
    if invitation_id:
        respondent = _invited(invitation, consultation)
        return consultation, respondent, response if respondent else None
    respondent = _respondent(consultation)
    return consultation, respondent, operations.find_response(consultation, respondent) if respondent else None


def _answering_or_redirect(slug):
    """As `_answering`, with a redirect to the consultation's page for a browser that may not answer now."""
    consultation, respondent, response = _answering(slug)
    if respondent is None or not consultation.is_open:
        return consultation, None, None, redirect(url_for("respond.show_consultation", slug=slug))
    return consultation, respondent, response, None


# --- the hub -----------------------------------------------------------------------------


@bp.route("/consultations")
@public
def hub():
    keep_lifecycle_on_time()
    search, theme, status = (request.args.get(name, "").strip()[:100] for name in ("search", "theme", "status"))
    return render_template("respond/hub.html", consultations=list_public_consultations(search=search, theme=theme, status=status),
                           themes=list_themes(), search=search, theme=theme, status=status)


@bp.route("/consultations/<slug>")
@public
def show_consultation(slug):
    consultation = _consultation_or_404(slug)
    _remember_referral(slug)
    state = _state(slug) or {}
    member = find_member_for_user(current_user) if current_user.is_authenticated else None
    return render_template("respond/consultation.html", consultation=consultation, state=state,
                           has_access=_respondent(consultation) is not None, start_form=StartForm(),
                           groups=groups_member_can_answer_for(member), kiosk=_kiosk())


@bp.route("/consultations/<slug>/start", methods=["POST"])
@public
@limiter.limit("20 per hour", exempt_when=lambda: _kiosk() is not None)
def start_public(slug):
    consultation = _consultation_or_404(slug)
    form = StartForm()
    if not (consultation.for_public and consultation.is_open) or not form.validate_on_submit():
        abort(404)
    if consultation.public_needs_sign_in and not current_user.is_authenticated and _kiosk() is None:
        return redirect(url_for("accounts.sign_in", next=url_for("respond.show_consultation", slug=slug)))
    state = _state(slug) or {}
    if not state.get("public"):
        _set_state(slug, {"public": True, "submission_id": operations.new_submission_id(), "about": {},
                          "assisted": _kiosk() is not None and form.assisted.data,
                          "referral_group_id": session.get(REFERRAL_KEY, {}).get(slug)})
    return redirect(url_for("respond.resume", slug=slug))


@bp.route("/consultations/<slug>/for-group/<int:group_id>", methods=["POST"])
@public
def start_for_group(slug, group_id):
    """A group's contact point answers once on the group's behalf."""
    consultation = _consultation_or_404(slug)
    member = find_member_for_user(current_user) if current_user.is_authenticated else None
    group = next((g for g in groups_member_can_answer_for(member) if g.id == group_id), None)
    if group is None or not consultation.is_open or not StartForm().validate_on_submit():
        abort(404)
    # One response per group: the submission id is the group's, and it is unique per consultation.
    _set_state(slug, {"group_id": group.id, "submission_id": f"group-{group.id}"})
    return redirect(url_for("respond.resume", slug=slug))


# --- private links -------------------------------------------------------------------------


@bp.route("/respond/i/<token>")
@public
@limiter.limit("60 per minute")
def invitation_link(token):
    invitation = find_invitation(token)
    if invitation is None:
        return render_template("respond/link_not_usable.html", reason="unknown"), 404
    problem = invitation_problem(invitation)
    if problem is not None:
        return render_template("respond/link_not_usable.html", reason=problem,
                               consultation=invitation.consultation), 410 if problem == "closed" else 404
    operations.mark_invitation_opened(invitation)
    _set_state(invitation.consultation.slug, {"invitation_id": invitation.id})
    return resume(invitation.consultation.slug)  # straight to where they stopped: one request fewer


# --- answering -------------------------------------------------------------------------------


@bp.route("/respond/<slug>/")
@public
def resume(slug):
    """Send the respondent to where they stopped: the first page not done, or the check page."""
    consultation, respondent, response, refused = _answering_or_redirect(slug)
    if refused:
        return refused
    values = operations.load_values(response, consultation) if operations.has_conditions(consultation) else {}
    total = len(operations.pages(consultation, values))
    done = response.pages_done if response else 0
    if response is not None and (done >= total or response.status == ResponseStatus.COMPLETE):
        return redirect(url_for("respond.check", slug=slug))
    return redirect(url_for("respond.page", slug=slug, number=min(done + 1, total)))


@bp.route("/respond/<slug>/page/<int:number>", methods=["GET", "POST"])
@public
def page(slug, number):
    consultation, respondent, response, refused = _answering_or_redirect(slug)
    if refused:
        return refused
    # A POST replaces this page's answers; earlier ones matter to it only through show-only-if conditions.
    needs_saved = request.method == "GET" or operations.has_conditions(consultation)
    saved = operations.load_values(response, consultation) if needs_saved else {}
    visible = operations.pages(consultation, saved)
    if not 1 <= number <= len(visible):
        return redirect(url_for("respond.resume", slug=slug))
    section = visible[number - 1]
    numbers = operations.visible_numbers(consultation, saved)
    values, errors, revealed = saved, {}, []
    if request.method == "POST":
        result = operations.read_page(consultation, section, request.form, saved, numbers)
        values, errors = result.values, result.errors
        revealed = operations.newly_shown(section, saved, values, consultation)
        if not errors:
            operations.save_page(response, consultation, section, result, number - 1 if revealed else number,
                                 respondent=respondent)
            if revealed:  # without JavaScript, the follow-up question appears on the same page
                return redirect(url_for("respond.page", slug=slug, number=number, revealed=1,
                                        **({"change": 1} if request.args.get("change") else {})))
            following = operations.pages(consultation, values)
            if request.args.get("change") or number >= len(following):
                return redirect(url_for("respond.about_you" if _asks_about(consultation, respondent) else "respond.check",
                                        slug=slug))
            return redirect(url_for("respond.page", slug=slug, number=number + 1))
    by_id = {q.id: q for q in consultation.questions}
    shown = [q for q in section.questions if operations.is_shown(q, values, by_id)]
    return render_template("respond/page.html", consultation=consultation, section=section, questions=shown,
                           values=values, errors=errors, numbers=operations.visible_numbers(consultation, values),
                           number=number, total=len(visible), respondent=respondent,
                           revealed=bool(request.args.get("revealed")))


def _asks_about(consultation, respondent) -> bool:
    anonymous = respondent.member is None and respondent.channel == ResponseChannel.WEB
    return anonymous and (consultation.ask_public_postcode or consultation.ask_public_age_band
                          or consultation.public_needs_email)


@bp.route("/respond/<slug>/about-you", methods=["GET", "POST"])
@public
def about_you(slug):
    consultation, respondent, _, refused = _answering_or_redirect(slug)
    if refused:
        return refused
    if not _asks_about(consultation, respondent):
        return redirect(url_for("respond.check", slug=slug))
    state = _state(slug)
    form = AboutRespondentForm.for_consultation(consultation, age_bands(), data=state.get("about") or {})
    if form.validate_on_submit():
        _set_state(slug, {**state, "about": form.answers()})
        return redirect(url_for("respond.check", slug=slug))
    return render_template("respond/about_you.html", form=form, consultation=consultation)


@bp.route("/respond/<slug>/check", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute", exempt_when=lambda: request.method != "POST")
def check(slug):
    consultation, respondent, response, refused = _answering_or_redirect(slug)
    if refused:
        return refused
    if response is None:
        return redirect(url_for("respond.resume", slug=slug))
    answers = operations.read_answers(response)  # once: for the values, the numbers and the fingerprint
    values = operations.values_from_answers(answers, consultation)
    numbers = operations.visible_numbers(consultation, values)
    conflict = None
    if request.method == "POST":
        try:
            operations.submit_response(
                response, consultation, submission_id=request.form.get("submission_id", ""),
                fingerprint=request.form.get("fingerprint", ""), numbers=numbers,
                snapshot=(_state(slug) or {}).get("about"), answers=answers,
            )
        except operations.MissingAnswers as missing:
            return redirect(url_for("respond.page", slug=slug, number=missing.page))
        except operations.RespondError as error:
            conflict = str(error)
        else:
            copy_to = _known_email(respondent, slug) if request.form.get("email_copy") == "y" else None
            operations.send_after_submit(
                response, consultation, copy_to=copy_to,
                confirm_url=lambda token: external_url("respond.confirm_email", token=token),
            )
            return redirect(url_for("respond.done", slug=slug))
    visible = operations.pages(consultation, values)
    by_id = {q.id: q for q in consultation.questions}
    return render_template("respond/check.html", consultation=consultation, response=response, pages=visible,
                           values=values, numbers=numbers, conflict=conflict, by_id=by_id,
                           is_shown=operations.is_shown, fingerprint=operations.answers_fingerprint(response, answers),
                           copy_to=_known_email(respondent, slug))


def _known_email(respondent, slug) -> str | None:
    """Where a copy of the answers could go: the member's address, or the one a public respondent gave."""
    if respondent.member is not None and respondent.channel != ResponseChannel.PAPER:
        return respondent.member.email
    return ((_state(slug) or {}).get("about") or {}).get("email")


@bp.route("/respond/<slug>/done")
@public
def done(slug):
    consultation, respondent, response = _answering(slug)
    if response is None or response.status != ResponseStatus.COMPLETE:
        return redirect(url_for("respond.show_consultation", slug=slug))
    if respondent.channel == ResponseChannel.PAPER:
        _set_state(slug, None)  # ready for the next paper form
    return render_template("respond/done.html", consultation=consultation, response=response,
                           paper=respondent.channel == ResponseChannel.PAPER, kiosk=_kiosk(),
                           awaiting_confirmation=operations.needs_email_confirmation(response, consultation))


@bp.route("/respond/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token):
    """A public respondent confirms their answers from the e-mailed link (a button, so mail scanners can't)."""
    response = operations.find_response_to_confirm(token)
    if response is None:
        return render_template("respond/link_not_usable.html", reason="unknown"), 404
    form = StartForm()
    if form.validate_on_submit():
        operations.confirm_response_email(response)
    return render_template("respond/confirm_email.html", response=response, form=form,
                           confirmed=response.email_confirmed_at is not None)


# --- kiosk mode at community access points --------------------------------------------------

KIOSK_KEY = "kiosk"
KIOSK_IDLE_SECONDS = 600


def _kiosk() -> dict | None:
    return session.get(KIOSK_KEY)


@bp.before_app_request
def _end_idle_kiosk_visit():
    """On a shared device, a visit left idle for 10 minutes is wiped before the next person sees it."""
    kiosk = _kiosk()
    if kiosk is None:
        return
    now = int(utcnow().timestamp())
    if now - kiosk.get("seen", now) > KIOSK_IDLE_SECONDS:
        _reset_kiosk(kiosk)
    session[KIOSK_KEY] = {**(_kiosk() or kiosk), "seen": now}


def _reset_kiosk(kiosk: dict) -> None:
    session.clear()
    session[KIOSK_KEY] = {"place": kiosk["place"], "seen": int(utcnow().timestamp())}


@bp.route("/kiosk/start", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def kiosk_start():
    form = KioskForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        session[KIOSK_KEY] = {"place": form.place.data, "seen": int(utcnow().timestamp())}
        return redirect(url_for("respond.kiosk_home"))
    return render_template("respond/kiosk_start.html", form=form)


@bp.route("/kiosk")
@public
def kiosk_home():
    kiosk = _kiosk()
    if kiosk is None:
        return redirect(url_for("respond.hub"))
    open_now = [c for c in list_public_consultations(status="open") if c.for_public]
    return render_template("respond/kiosk.html", kiosk=kiosk, consultations=open_now)


@bp.route("/kiosk/next-person")
@public
def kiosk_next_person():
    """Wipe this visit (answers already sent are kept) and go back to the list for the next person."""
    kiosk = _kiosk()
    if kiosk is None:
        return redirect(url_for("respond.hub"))
    _reset_kiosk(kiosk)
    return redirect(url_for("respond.kiosk_home"))


@bp.route("/respond/<slug>/autosave/<int:number>", methods=["POST"])
@public
@limiter.limit("30 per minute")
def autosave(slug, number):
    """Save what is on the page so far (JavaScript calls this every few seconds); 204 when saved."""
    consultation, respondent, response = _answering(slug)
    if respondent is None or not consultation.is_open:
        return "", 409
    saved = operations.load_values(response, consultation)
    visible = operations.pages(consultation, saved)
    if not 1 <= number <= len(visible):
        return "", 404
    result = operations.read_page(consultation, visible[number - 1], request.form, saved,
                                  operations.visible_numbers(consultation, saved), check_required=False)
    operations.save_page(response, consultation, visible[number - 1], result, number - 1, respondent=respondent)
    return "", 204


# --- paper entry -----------------------------------------------------------------------------


@bp.route("/officer/consultations/<slug>/paper", methods=["GET", "POST"])
@roles_required(Role.OFFICER, Role.ADMIN)
def paper_start(slug):
    consultation = get_consultation_with_questions(slug) or abort(404)
    form = PaperStartForm()
    if consultation.status != ConsultationStatus.OPEN or not consultation.for_paper:
        return render_template("respond/paper_start.html", consultation=consultation, form=form, closed=True)
    if form.validate_on_submit():
        member = None
        if form.member_email.data:
            member = find_member_by_email(form.member_email.data)
            if member is None:
                form.member_email.errors.append("No member has this email address. Leave it empty for an anonymous return.")
        if not form.member_email.errors:
            _set_state(slug, {"paper": True, "submission_id": operations.new_submission_id(),
                              "member_id": member.id if member else None})
            return redirect(url_for("respond.page", slug=slug, number=1))
    return render_template("respond/paper_start.html", consultation=consultation, form=form, closed=False)


def register_template_globals(app) -> None:
    """The question-kind registry, which the question templates use to pick each kind's markup."""
    from epanel.consultations.kinds import KINDS

    app.jinja_env.globals["kinds"] = KINDS
