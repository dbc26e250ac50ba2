"""Teachers: start class sessions, show the board with live results, see and export their classes' results.

A teacher sees only their own sessions: any other session id is a 404, as if it did not exist.
"""

import io
from datetime import datetime

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from openpyxl import Workbook
from wtforms.fields.choices import SelectChoice

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.classroom import operations, queries
from epanel.classroom.forms import ConfirmForm, StartSessionForm
from epanel.common.links import external_url
from epanel.common.spreadsheets import csv_lines, safe_cell
from epanel.common.time import utcnow
from epanel.consultations.forms import LONDON
from epanel.consultations.kinds import kind_of
from epanel.consultations.queries import get_consultation_by_slug
from epanel.consultations.structure import AnsweringConsultation, get_structure
from epanel.respond.operations import values_from_answers

bp = Blueprint("classroom", __name__)

TEACHERS = (Role.TEACHER,)
BOARD_POLL_SECONDS = 3


def _session_or_404(session_id: int):
    found = queries.get_teachers_session(session_id, current_user)
    if found is None:
        abort(404)
    return found


def _answering(class_session):
    row = class_session.consultation
    return AnsweringConsultation(row, get_structure(row))


@bp.route("/teacher")
@roles_required(*TEACHERS)
def home():
    return render_template("classroom/teacher_home.html", school=queries.school_of(current_user),
                           sessions=queries.sessions_of(current_user),
                           consultations=queries.consultations_for_schools(), now=utcnow())


def _today_at(clock) -> datetime:
    return datetime.combine(utcnow().astimezone(LONDON).date(), clock, tzinfo=LONDON)


@bp.route("/teacher/sessions/new", methods=["GET", "POST"])
@roles_required(*TEACHERS)
def start_session():
    consultations = queries.consultations_for_schools()
    form = StartSessionForm()
    form.consultation.choices = [SelectChoice(c.slug, c.title) for c in consultations]
    if request.method == "GET":
        now = utcnow().astimezone(LONDON).replace(second=0, microsecond=0)
        form.starts_at.data, form.ends_at.data = now.time(), (now + operations.DEFAULT_LENGTH).time()
        if len(consultations) == 1 or request.args.get("consultation"):
            form.consultation.data = request.args.get("consultation") or consultations[0].slug
    if form.validate_on_submit():
        consultation = next((c for c in consultations if c.slug == form.consultation.data), None)
        starts_at, ends_at = _today_at(form.starts_at.data), _today_at(form.ends_at.data)
        if consultation is None:
            form.consultation.errors.append("Choose a consultation")
        elif ends_at <= starts_at:
            form.ends_at.errors.append("The end time must be after the start time")
        else:
            try:
                started = operations.start_session(
                    current_user, consultation, class_name=form.class_name.data, year_group=form.year_group.data,
                    expected_pupils=form.expected_pupils.data, starts_at=starts_at, ends_at=ends_at,
                    shared_devices=form.shared_devices.data, results_hidden=form.results_hidden.data)
            except operations.ClassroomError as error:
                form.ends_at.errors.append(str(error))
            else:
                return redirect(url_for("classroom.board", session_id=started.id))
    return render_template("classroom/start_session.html", form=form, consultations=consultations,
                           school=queries.school_of(current_user))


def _join_url(class_session) -> str:
    return external_url("classroom_pupils.join_with_code", code=class_session.join_code)


@bp.route("/teacher/sessions/<int:session_id>")
@roles_required(*TEACHERS)
def board(session_id):
    class_session = _session_or_404(session_id)
    consultation = _answering(class_session)
    return render_template("classroom/board.html", class_session=class_session, consultation=consultation,
                           results=queries.board_results(class_session, consultation), now=utcnow(),
                           join_url=_join_url(class_session), join_page=external_url("classroom_pupils.join"),
                           poll_seconds=BOARD_POLL_SECONDS, form=ConfirmForm(formdata=None))


@bp.route("/teacher/sessions/<int:session_id>/live")
@roles_required(*TEACHERS)
def live_results(session_id):
    """The board's results, polled every few seconds: 304 until something changes, then one aggregate query."""
    class_session = _session_or_404(session_id)
    now = utcnow()
    etag = f"s{class_session.id}-v{class_session.board_version}-{class_session.state(now)}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        consultation = _answering(class_session)
        response = Response(render_template(
            "classroom/_board_results.html", class_session=class_session, consultation=consultation,
            results=queries.board_results(class_session, consultation), now=now, form=ConfirmForm(formdata=None)))
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"private, max-age={BOARD_POLL_SECONDS - 1}"
    return response


@bp.route("/teacher/sessions/<int:session_id>/qr.svg")
@roles_required(*TEACHERS)
def qr_code(session_id):
    class_session = _session_or_404(session_id)
    buffer = io.BytesIO()
    segno.make(_join_url(class_session), error="m").save(buffer, kind="svg", scale=10, border=2,
                                                          title="Join code QR", xmldecl=False)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/teacher/sessions/<int:session_id>/board", methods=["POST"])
@roles_required(*TEACHERS)
def change_board(session_id):
    class_session = _session_or_404(session_id)
    if ConfirmForm().validate_on_submit():
        action = request.form.get("action")
        if action == "hide":
            operations.set_board(class_session, hidden=True)
        elif action == "show_all":
            operations.set_board(class_session, reveal_all=True)
        elif action == "reveal" and request.form.get("question_id", "").isdigit():
            operations.set_board(class_session, reveal_question_id=int(request.form["question_id"]))
    return redirect(url_for("classroom.board", session_id=class_session.id))


@bp.route("/teacher/sessions/<int:session_id>/end", methods=["POST"])
@roles_required(*TEACHERS)
def end_session(session_id):
    class_session = _session_or_404(session_id)
    if ConfirmForm().validate_on_submit():
        operations.end_session(class_session)
        flash("The session has ended. Its code no longer works.", "success")
    return redirect(url_for("classroom.results", session_id=class_session.id))


@bp.route("/teacher/sessions/<int:session_id>/results")
@roles_required(*TEACHERS)
def results(session_id):
    class_session = _session_or_404(session_id)
    consultation = _answering(class_session)
    return render_template("classroom/results.html", class_session=class_session, consultation=consultation,
                           results=queries.board_results(class_session, consultation, show_all=True), now=utcnow(),
                           by_year=queries.responses_by_year_group(consultation),
                           smallest=queries.SMALLEST_GROUP)


@bp.route("/teacher/sessions/<int:session_id>/written-answers")
@roles_required(*TEACHERS)
def written_answers(session_id):
    """Typed answers, for the teacher alone to read first: the board never shows them."""
    class_session = _session_or_404(session_id)
    consultation = _answering(class_session)
    by_question: dict[int, list[str]] = {}
    for question_id, text in queries.written_answers(class_session):
        by_question.setdefault(question_id, []).append(text)
    return render_template("classroom/written_answers.html", class_session=class_session, consultation=consultation,
                           by_question=by_question)


def _export_table(class_session, consultation):
    """The class's anonymous answers: one row per response, one column per question."""
    questions = sorted(consultation.questions, key=lambda q: q.position)
    header = ["Response", "Sent at", "School", "Year group", "Class"] + [q.code + " " + q.text for q in questions]
    rows = []
    answers = {}
    for row in queries.session_answer_rows(class_session):
        answers.setdefault(row.response_id, []).append(row)
    for number, response in enumerate(queries.session_responses(class_session), start=1):
        values = values_from_answers(answers.get(response.id, []), consultation)
        rows.append([number, response.submitted_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
                     class_session.school.name, class_session.year_group, class_session.class_name] + [
            "; ".join(kind_of(q).describe(q, values[q.id])) if q.id in values else "" for q in questions])
    return header, rows


def _export_name(class_session, extension: str) -> str:
    day = class_session.starts_at.astimezone(LONDON).strftime("%Y-%m-%d")
    return f"class-session-{class_session.id}-{day}.{extension}"


@bp.route("/teacher/sessions/<int:session_id>/export.csv")
@roles_required(*TEACHERS)
def export_csv(session_id):
    class_session = _session_or_404(session_id)
    header, rows = _export_table(class_session, _answering(class_session))
    return Response(csv_lines(header, rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{_export_name(class_session, "csv")}"'})


@bp.route("/teacher/sessions/<int:session_id>/export.xlsx")
@roles_required(*TEACHERS)
def export_xlsx(session_id):
    class_session = _session_or_404(session_id)
    header, rows = _export_table(class_session, _answering(class_session))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Answers")
    sheet.append([safe_cell(value) for value in header])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(), headers={
        "Content-Disposition": f'attachment; filename="{_export_name(class_session, "xlsx")}"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/teacher/lessons/<slug>")
@roles_required(Role.TEACHER, Role.OFFICER, Role.ADMIN)
def lesson(slug):
    consultation = get_consultation_by_slug(slug)
    if consultation is None or not consultation.for_schools:
        abort(404)
    return render_template("classroom/lesson.html", consultation=consultation,
                           plan=queries.get_lesson_plan(consultation) or queries.default_lesson_plan(consultation))


@bp.app_template_global()
def london_time(moment) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M") if moment else ""


@bp.app_template_global()
def london_date(moment) -> str:
    return moment.astimezone(LONDON).strftime("%-d %B %Y") if moment else ""
