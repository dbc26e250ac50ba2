"""Pupils: join a class session with its code and answer, with no account and nothing that identifies them.

The browser's session cookie holds the class session's id and a random device token, nothing else.
One response per device per session, unless the teacher allowed shared devices, when each
finished response sends the device back to the start for the next pupil.
"""

import secrets

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from epanel.accounts.access import public
from epanel.classroom import operations, queries
from epanel.classroom.forms import ConfirmForm, JoinForm
from epanel.common.time import utcnow
from epanel.consultations.structure import AnsweringConsultation, get_structure
from epanel.extensions import limiter
from epanel.respond import operations as answering

bp = Blueprint("classroom_pupils", __name__)
bp.before_request(answering.keep_loaded_objects_after_commit)

STATE_KEY = "class"  # session["class"]: {"id": class session id, "device": random token, "done": bool}


def _join_limit():
    # Per address, counting only wrong or expired codes: a whole class behind one school address joins freely.
    return current_app.config.get("RATELIMIT_CLASS_JOIN", "30 per minute;200 per hour")


def _failed_join(_response) -> bool:
    return g.get("class_join_failed", False)


def _state() -> dict:
    return session.get(STATE_KEY) or {}


def _join_failed(form, message: str, status: int = 200):
    g.class_join_failed = True
    form.code.errors = [*form.code.errors, message]
    return render_template("classroom/join.html", form=form), status


@bp.route("/class", methods=["GET", "POST"])
@public
@limiter.limit(_join_limit, exempt_when=lambda: request.method != "POST", deduct_when=_failed_join)
def join():
    form = JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = operations.normalise_code(request.args["code"])
    if not form.validate_on_submit():
        if form.errors:
            g.class_join_failed = True
        return render_template("classroom/join.html", form=form)
    code = operations.normalise_code(form.code.data)
    found = queries.find_session_by_code(code) if len(code) == operations.CODE_LENGTH else None
    if found is None:
        return _join_failed(form, "We could not find that code. Check it with your teacher and try again.")
    if not found.is_accepting(utcnow()):
        message = ("This session has not started yet. Wait for your teacher." if found.state(utcnow()) == "not_started"
                   else "This code has expired. Ask your teacher for the new one.")
        return _join_failed(form, message)
    state = _state()
    if state.get("id") != found.id:
        try:
            operations.record_join(found)
        except operations.ClassroomError as error:
            return _join_failed(form, str(error))
        session[STATE_KEY] = {"id": found.id, "device": secrets.token_hex(12), "done": False}
    return redirect(url_for("classroom_pupils.answer"))


@bp.route("/class/join/<code>")
@public
def join_with_code(code):
    """Where the QR code on the board leads: the join page with the code filled in."""
    return redirect(url_for("classroom_pupils.join", code=operations.normalise_code(code)[:6]))


def _pupil_session():
    """The class session this device joined, with its consultation as answering sees it, or None."""
    state = _state()
    found = queries.get_session(state["id"]) if state.get("id") else None
    if found is None:
        return None, None
    row = found.consultation
    return found, AnsweringConsultation(row, get_structure(row))


def _read_answers(consultation):
    """Every page's answers from the one form, checked as the answering engine checks each page."""
    values: dict = {}
    for check in (False, True):  # first the values, then the checks, with questions numbered as shown
        numbers = answering.visible_numbers(consultation, values)
        values, errors = {}, {}
        for section in consultation.sections:
            result = answering.read_page(consultation, section, request.form, values, numbers, check_required=check)
            values, errors = result.values, {**errors, **result.errors}
    return values, errors, numbers


def _shown_questions(consultation, values):
    by_id = {q.id: q for q in consultation.questions}
    return [(section, [q for q in section.questions if answering.is_shown(q, values, by_id)])
            for section in answering.pages(consultation, values)]


@bp.route("/class/answer", methods=["GET", "POST"])
@public
def answer():
    class_session, consultation = _pupil_session()
    if class_session is None:
        return redirect(url_for("classroom_pupils.join"))
    state = _state()
    if state.get("done"):
        return redirect(url_for("classroom_pupils.done"))
    if not (class_session.is_accepting(utcnow()) and consultation.is_open):
        return render_template("classroom/session_closed.html", class_session=class_session), 410
    values, errors, added = {}, {}, False
    if request.method == "POST":
        form = ConfirmForm()
        if not form.validate_on_submit():
            return redirect(url_for("classroom_pupils.answer"))
        values, errors, _ = _read_answers(consultation)
        shown_before = {int(part) for part in request.form.get("shown", "").split(",") if part.isdigit()}
        by_id = {q.id: q for q in consultation.questions}
        added = any(answering.is_shown(q, values, by_id) and q.id not in shown_before for q in consultation.questions)
        if not errors and not added:
            try:
                operations.submit_class_answers(class_session, consultation, values, state["device"])
            except operations.ClassroomError as error:
                return render_template("classroom/session_closed.html", class_session=class_session,
                                       message=str(error)), 410
            session[STATE_KEY] = {**state, "done": True}
            return redirect(url_for("classroom_pupils.done"))
    numbers = answering.visible_numbers(consultation, values)
    sections = _shown_questions(consultation, values)
    return render_template("classroom/answer.html", class_session=class_session, consultation=consultation,
                           sections=sections, values=values, errors=errors, numbers=numbers, added=added,
                           shown=",".join(str(q.id) for _, questions in sections for q in questions),
                           form=ConfirmForm(formdata=None))


@bp.route("/class/done")
@public
def done():
    class_session, _ = _pupil_session()
    if class_session is None or not _state().get("done"):
        return redirect(url_for("classroom_pupils.join"))
    return render_template("classroom/done.html", class_session=class_session, form=ConfirmForm(formdata=None))


@bp.route("/class/next-pupil", methods=["POST"])
@public
def next_pupil():
    """On a shared device, start afresh for the next pupil (a new device token, so a new response)."""
    class_session, _ = _pupil_session()
    if class_session is None or not ConfirmForm().validate_on_submit():
        return redirect(url_for("classroom_pupils.join"))
    if not class_session.shared_devices:
        return redirect(url_for("classroom_pupils.done"))
    try:
        operations.record_join(class_session)
    except operations.ClassroomError:
        return render_template("classroom/session_closed.html", class_session=class_session), 410
    session[STATE_KEY] = {"id": class_session.id, "device": secrets.token_hex(12), "done": False}
    return redirect(url_for("classroom_pupils.answer"))
