"""Officers: schools, teachers and their account requests, lesson pages, and class results by school.
Teachers: asking for an account."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from epanel.accounts.access import public, roles_required
from epanel.accounts.models import Role
from epanel.accounts.operations import AccountError
from epanel.classroom import operations, queries
from epanel.classroom.forms import (
    ApproveRequestForm,
    ConfirmForm,
    InviteTeacherForm,
    LessonPlanForm,
    SchoolForm,
    TeacherRequestForm,
)
from epanel.consultations.queries import get_consultation_by_slug, get_consultation_with_questions
from epanel.extensions import limiter

bp = Blueprint("classroom_schools", __name__)

OFFICERS = (Role.OFFICER, Role.ADMIN)


def _school_choices(blank: str):
    return [SelectChoice("", blank)] + [SelectChoice(str(school.id), school.name) for school in queries.list_schools()]


@bp.route("/officer/schools", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def list_schools():
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            school = operations.create_school(form.name.data, area=form.area.data or "", phase=form.phase.data)
        except operations.ClassroomError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"{school.name} added", "success")
            return redirect(url_for("classroom_schools.show_school", school_id=school.id))
    return render_template("classroom/schools.html", form=form, schools=queries.list_schools(),
                           requests=queries.pending_teacher_requests(),
                           consultations=queries.consultations_for_schools(open_only=False))


@bp.route("/officer/schools/<int:school_id>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def show_school(school_id):
    school = queries.get_school(school_id) or abort(404)
    form = InviteTeacherForm()
    if form.validate_on_submit():
        try:
            user = operations.invite_teacher(school, form.email.data, form.name.data)
        except (AccountError, operations.ClassroomError) as error:
            form.email.errors.append(str(error))
        else:
            flash(f"{user.display_name} is a teacher at {school.name}. New accounts get an e-mail to set a password.",
                  "success")
            return redirect(url_for("classroom_schools.show_school", school_id=school.id))
    return render_template("classroom/school.html", school=school, teachers=queries.teachers_at(school), form=form)


@bp.route("/teachers/request-account", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config.get("RATELIMIT_EMAIL_LINKS", "5 per minute;20 per hour"),
               exempt_when=lambda: request.method != "POST")
def request_account():
    form = TeacherRequestForm()
    form.school.choices = _school_choices("My school is not listed")
    if form.validate_on_submit():
        school = queries.get_school(int(form.school.data)) if (form.school.data or "").isdigit() else None
        operations.request_teacher_account(name=form.name.data, email=form.email.data, school=school,
                                           school_name=form.school_name.data or "", message=form.message.data or "")
        return render_template("classroom/request_sent.html")
    return render_template("classroom/request_account.html", form=form)


@bp.route("/officer/teacher-requests/<int:request_id>", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def decide_request(request_id):
    teacher_request = queries.get_teacher_request(request_id) or abort(404)
    form = ApproveRequestForm()
    form.school.choices = _school_choices("Choose a school")
    decline = ConfirmForm(prefix="decline")
    if decline.submit.data and decline.validate_on_submit():
        try:
            operations.decline_teacher_request(teacher_request, current_user)
        except operations.ClassroomError as error:
            flash(str(error))
        return redirect(url_for("classroom_schools.list_schools"))
    if form.submit.data and form.validate_on_submit():
        school = queries.get_school(int(form.school.data)) if (form.school.data or "").isdigit() else None
        if school is None:
            form.school.errors.append("Choose the teacher's school (add it first if it is new)")
        else:
            try:
                operations.approve_teacher_request(teacher_request, school, current_user)
            except (AccountError, operations.ClassroomError) as error:
                form.school.errors.append(str(error))
            else:
                flash(f"{teacher_request.name} has been invited as a teacher at {school.name}", "success")
                return redirect(url_for("classroom_schools.list_schools"))
    elif request.method == "GET" and teacher_request.school_id:
        form.school.data = str(teacher_request.school_id)
    return render_template("classroom/decide_request.html", teacher_request=teacher_request, form=form,
                           decline=decline)


def _schools_consultation_or_404(slug):
    consultation = get_consultation_by_slug(slug)
    if consultation is None or not consultation.for_schools:
        abort(404)
    return consultation


@bp.route("/officer/consultations/<slug>/lesson", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_lesson(slug):
    consultation = _schools_consultation_or_404(slug)
    plan = queries.get_lesson_plan(consultation) or queries.default_lesson_plan(consultation)
    form = LessonPlanForm(obj=plan)
    if form.validate_on_submit():
        operations.save_lesson_plan(consultation, current_user, objectives=form.objectives.data,
                                    running_order=form.running_order.data, prompts=form.prompts.data,
                                    what_happens=form.what_happens.data)
        flash("Lesson page saved", "success")
        return redirect(url_for("classroom.lesson", slug=slug))
    return render_template("classroom/edit_lesson.html", consultation=consultation, form=form)


@bp.route("/officer/consultations/<slug>/class-results")
@roles_required(*OFFICERS)
def class_results(slug):
    """Officers' console: class responses by school and year group (not suppressed here), and every session."""
    consultation = get_consultation_with_questions(slug)
    if consultation is None or not consultation.for_schools:
        abort(404)
    return render_template("classroom/class_results.html", consultation=consultation,
                           groups=queries.responses_by_school_and_year(consultation, suppress=False),
                           choices=queries.choices_by_school_and_year(consultation),
                           sessions=queries.sessions_on(consultation))
