"""Officers build consultations: details and access, pages, questions, trackers, copies, lifecycle and preview."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from epanel.accounts.access import roles_required
from epanel.accounts.models import Role
from epanel.consultations import operations, queries
from epanel.consultations.forms import (
    KIND_HINTS,
    LONDON,
    PUBLIC_LINK_OPTIONS,
    WAYS_TO_TAKE_PART,
    ConsultationForm,
    DuplicateForm,
    EditQuestionForm,
    FromTrackerForm,
    KindForm,
    NewQuestionForm,
    SectionForm,
    StatusForm,
    TrackerForm,
    condition_choices,
)
from epanel.consultations.kinds import KINDS
from epanel.consultations.models import TRANSITIONS, ConsultationStatus
from epanel.consultations.operations import ConsultationError

bp = Blueprint("consultations", __name__)

OFFICERS = (Role.OFFICER, Role.ADMIN)

STATUS_TAG_CLASSES = {
    ConsultationStatus.DRAFT: "govuk-tag--grey",
    ConsultationStatus.SCHEDULED: "",
    ConsultationStatus.OPEN: "govuk-tag--green",
    ConsultationStatus.CLOSED: "govuk-tag--orange",
    ConsultationStatus.PUBLISHED: "govuk-tag--purple",
}

# What each lifecycle button says, by the status it moves to.
STATUS_ACTIONS = {
    ConsultationStatus.DRAFT: "Return to draft",
    ConsultationStatus.SCHEDULED: "Schedule it to open on time",
    ConsultationStatus.OPEN: "Open now",
    ConsultationStatus.CLOSED: "Close now",
    ConsultationStatus.PUBLISHED: "Publish results",
}


def format_uk_time(moment) -> str:
    """A UTC moment as people in the UK read it, like '27 March 2026 at 9:30am'."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    clock = local.strftime("%-I:%M%p").lower().replace(":00", "")
    if (local.hour, local.minute) == (12, 0):
        clock = "midday"
    elif (local.hour, local.minute) == (0, 0):
        clock = "midnight"
    return f"{local.day} {local.strftime('%B %Y')} at {clock}"


def describe_condition(question, questions_by_id, numbers) -> str:
    """'question 2 (Q2) is ‘Yes’ or ‘No’' for a show-only-if rule, in the words officers wrote."""
    condition = question.condition or {}
    earlier = questions_by_id.get(condition.get("question_id"))
    if earlier is None:
        return ""
    labels = dict(condition_choices(earlier))
    answers = " or ".join(f"‘{labels.get(code, code)}’" for code in condition.get("option_codes", []))
    return f"question {numbers.get(earlier.id, '?')} ({earlier.code}) is {answers}"


def condition_items(question) -> list[dict]:
    """Checkbox items for the answers to an earlier question that could show a later one."""
    return [{"value": f"{question.id}:{code}", "text": label} for code, label in condition_choices(question)]


@bp.context_processor
def authoring_helpers():
    return {
        "uk_time": format_uk_time, "kinds": KINDS, "status_tag_classes": STATUS_TAG_CLASSES,
        "describe_condition": describe_condition, "condition_items": condition_items,
    }


def _consultation_or_404(slug):
    return queries.get_consultation_with_questions(slug) or abort(404)


def _section_or_404(consultation, section_id):
    section = queries.get_section(section_id) if section_id is not None else None
    if section is None or section.consultation_id != consultation.id:
        abort(404)
    return section


def _question_or_404(consultation, question_id):
    question = queries.get_question(question_id)
    if question is None or question.consultation_id != consultation.id:
        abort(404)
    return question


def _in_page_order(consultation) -> list:
    return [question for section in consultation.sections for question in section.questions]


def _questions_on_or_before(consultation, section) -> list:
    """Questions a new question on this page may depend on: those on this page and earlier pages."""
    return [q for s in consultation.sections if s.position <= section.position for q in s.questions]


def _questions_before(question) -> list:
    """Questions asked before this one, which it may depend on."""
    ordered = _in_page_order(question.consultation)
    return [q for q in ordered[:ordered.index(question)] if q.position < question.position]


def _show_error(form, error: ConsultationError) -> None:
    """Put an operation's refusal on the field it is about: the condition, the SMS code, or else the question."""
    about_condition = form.show_if is not None and "earlier question" in str(error)
    about_sms_code = "text message code" in str(error)
    (form.show_if if about_condition else form.sms_code if about_sms_code else form.text).errors.append(str(error))


def kind_by_sms(kind: str) -> bool:
    return KINDS[kind].by_sms


def _back_to_question(consultation, question):
    return redirect(url_for("consultations.show_consultation", slug=consultation.slug,
                            _anchor=f"question-{question.id}"))


# --- consultations -----------------------------------------------------------------


@bp.route("/officer/consultations")
@roles_required(*OFFICERS)
def list_consultations():
    return render_template("consultations/list.html", consultations=queries.list_consultations_for_officers())


@bp.route("/officer/consultations/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_consultation():
    form = ConsultationForm(data=ConsultationForm.data_for_new())
    if form.validate_on_submit():
        details = form.details()
        try:
            consultation = operations.create_consultation(details.pop("title"), current_user, **details)
        except ConsultationError as error:
            form.closes_on.errors.append(str(error))
        else:
            flash(f"{consultation.title} created as a draft. Now add its questions.", "success")
            return redirect(url_for("consultations.show_consultation", slug=consultation.slug))
    return render_template("consultations/details_form.html", form=form, consultation=None)


@bp.route("/officer/consultations/<slug>")
@roles_required(*OFFICERS)
def show_consultation(slug):
    return _overview(_consultation_or_404(slug), StatusForm())


def _overview(consultation, form):
    following = [status for status in ConsultationStatus if status in TRANSITIONS[consultation.status]]
    actions = [(status, "Open again now" if status == ConsultationStatus.OPEN and
                consultation.status == ConsultationStatus.CLOSED else STATUS_ACTIONS[status])
               for status in following]
    ordered = sorted(consultation.questions, key=lambda question: question.position)
    return render_template(
        "consultations/show.html", consultation=consultation, form=form, status_actions=actions,
        numbers=queries.question_numbers(consultation),
        first_question_id=ordered[0].id if ordered else None, last_question_id=ordered[-1].id if ordered else None,
        questions_by_id={question.id: question for question in consultation.questions},
        ways=[c.label for c in WAYS_TO_TAKE_PART if getattr(consultation, c.value)],
        public_options=[c.label for c in PUBLIC_LINK_OPTIONS if getattr(consultation, c.value)],
    )


@bp.route("/officer/consultations/<slug>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_consultation(slug):
    consultation = _consultation_or_404(slug)
    form = ConsultationForm(data=ConsultationForm.data_for(consultation) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            operations.update_consultation(consultation, **form.details())
        except ConsultationError as error:
            form.closes_on.errors.append(str(error))
        else:
            flash(f"{consultation.title} saved", "success")
            return redirect(url_for("consultations.show_consultation", slug=consultation.slug))
    return render_template("consultations/details_form.html", form=form, consultation=consultation)


@bp.route("/officer/consultations/<slug>/status", methods=["POST"])
@roles_required(*OFFICERS)
def change_status(slug):
    consultation = _consultation_or_404(slug)
    form = StatusForm()
    if form.validate_on_submit():
        status = ConsultationStatus(form.status.data)
        try:
            operations.move_to(consultation, status, current_user)
        except ConsultationError as error:
            form.status.errors.append(str(error))
        else:
            flash(f"{consultation.title} is now {status.label.lower()}", "success")
            return redirect(url_for("consultations.show_consultation", slug=consultation.slug))
    return _overview(consultation, form)


@bp.route("/officer/consultations/<slug>/duplicate", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def duplicate_consultation(slug):
    consultation = _consultation_or_404(slug)
    form = DuplicateForm(data={"title": f"{consultation.title} (copy)"[:200]})
    if form.validate_on_submit():
        copy = operations.duplicate_consultation(consultation, current_user, title=form.title.data)
        flash(f"{copy.title} created as a copy of {consultation.title}. Set its opening and closing times.",
              "success")
        return redirect(url_for("consultations.show_consultation", slug=copy.slug))
    return render_template("consultations/duplicate.html", form=form, consultation=consultation)


@bp.route("/officer/consultations/<slug>/preview")
@roles_required(*OFFICERS)
def preview(slug):
    consultation = _consultation_or_404(slug)
    page = request.args.get("page", default=1, type=int)
    if not 1 <= page <= len(consultation.sections):
        abort(404)
    return render_template(
        "consultations/preview.html", consultation=consultation, section=consultation.sections[page - 1],
        page=page, page_count=len(consultation.sections), numbers=queries.question_numbers(consultation),
        questions_by_id={question.id: question for question in consultation.questions},
    )


# --- pages -------------------------------------------------------------------------


@bp.route("/officer/consultations/<slug>/sections/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_section(slug):
    consultation = _consultation_or_404(slug)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            operations.add_section(consultation, form.title.data, form.intro.data or "")
        except ConsultationError as error:
            form.title.errors.append(str(error))
        else:
            flash(f"Page {form.title.data} added", "success")
            return redirect(url_for("consultations.show_consultation", slug=consultation.slug))
    return render_template("consultations/section_form.html", form=form, consultation=consultation, section=None)


@bp.route("/officer/consultations/<slug>/sections/<int:section_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_section(slug, section_id):
    consultation = _consultation_or_404(slug)
    section = _section_or_404(consultation, section_id)
    form = SectionForm(obj=section)
    if form.validate_on_submit():
        operations.update_section(section, title=form.title.data, intro=form.intro.data or "")
        flash(f"Page {section.title} saved", "success")
        return redirect(url_for("consultations.show_consultation", slug=consultation.slug,
                                _anchor=f"section-{section.id}"))
    return render_template("consultations/section_form.html", form=form, consultation=consultation,
                           section=section)


@bp.route("/officer/consultations/<slug>/sections/<int:section_id>/move-up", methods=["POST"])
@roles_required(*OFFICERS)
def move_section_up(slug, section_id):
    return _move_section(slug, section_id, -1, "up")


@bp.route("/officer/consultations/<slug>/sections/<int:section_id>/move-down", methods=["POST"])
@roles_required(*OFFICERS)
def move_section_down(slug, section_id):
    return _move_section(slug, section_id, 1, "down")


def _move_section(slug, section_id, step, direction):
    consultation = _consultation_or_404(slug)
    section = _section_or_404(consultation, section_id)
    title = section.title
    try:
        operations.move_section(section, step)
    except ConsultationError as error:
        flash(str(error), "error")
    else:
        flash(f"Page {title} moved {direction}", "success")
    return redirect(url_for("consultations.show_consultation", slug=consultation.slug, _anchor=f"section-{section_id}"))


@bp.route("/officer/consultations/<slug>/sections/<int:section_id>/delete", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def delete_section(slug, section_id):
    consultation = _consultation_or_404(slug)
    section = _section_or_404(consultation, section_id)
    if request.method == "POST":
        title = section.title
        try:
            deleted = operations.delete_section(section)
        except ConsultationError as error:
            flash(str(error), "error")
            return redirect(url_for("consultations.show_consultation", slug=consultation.slug,
                                    _anchor=f"section-{section_id}"))
        flash(f"Page {title} deleted, with {deleted} question{'' if deleted == 1 else 's'}", "success")
        return redirect(url_for("consultations.show_consultation", slug=consultation.slug))
    return render_template("consultations/delete_section.html", consultation=consultation, section=section,
                           page_number=consultation.sections.index(section) + 1,
                           numbers=queries.question_numbers(consultation))


# --- questions ---------------------------------------------------------------------


@bp.route("/officer/consultations/<slug>/questions/new", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new_question(slug):
    consultation = _consultation_or_404(slug)
    section = (_section_or_404(consultation, request.args.get("section", type=int))
               if "section" in request.args else consultation.sections[-1])
    kind = request.args.get("kind", "")
    if kind not in KINDS:
        chooser = KindForm(request.args)
        if "chosen" in request.args:
            chooser.validate()
        return render_template("consultations/choose_kind.html", form=chooser, consultation=consultation,
                               section=section,
                               kind_items=[{"hint": {"text": KIND_HINTS[key]}} for key in KINDS])
    form = NewQuestionForm(kind=kind, earlier_questions=_questions_on_or_before(consultation, section))
    if form.validate_on_submit():
        try:
            question = operations.add_question(
                section, kind, form.text.data, help_text=form.help_text.data or "", required=form.required.data,
                allow_other=bool(form.allow_other and form.allow_other.data), choices=form.answer_items(),
                rows=form.parsed_rows, settings=form.settings(), condition=form.condition(),
                sms_code=form.sms_code.data if kind_by_sms(kind) else None,
            )
        except ConsultationError as error:
            _show_error(form, error)
        else:
            flash(f"Question {question.code} added", "success")
            return _back_to_question(consultation, question)
    return render_template("consultations/question_form.html", form=form, consultation=consultation,
                           section=section, question=None, kind=KINDS[kind],
                           numbers=queries.question_numbers(consultation))


@bp.route("/officer/consultations/<slug>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit_question(slug, question_id):
    consultation = _consultation_or_404(slug)
    question = _question_or_404(consultation, question_id)
    locked = consultation.structure_locked_at is not None
    form = EditQuestionForm.for_question(
        question, locked=locked, earlier_questions=_questions_before(question),
        data=EditQuestionForm.data_for(question) if request.method == "GET" else None,
    )
    if form.validate_on_submit():
        try:
            if not locked:
                operations.update_question(
                    question, required=form.required.data,
                    allow_other=bool(form.allow_other and form.allow_other.data),
                    settings=form.settings(question.settings), condition=form.condition(),
                )
            operations.update_question_wording(
                question, text=form.text.data, help_text=form.help_text.data or "", labels=form.new_labels(),
                sms_code=form.sms_code.data if kind_by_sms(question.kind) else question.sms_code)
        except ConsultationError as error:
            _show_error(form, error)
        else:
            flash(f"Question {question.code} saved", "success")
            return _back_to_question(consultation, question)
    return render_template("consultations/question_form.html", form=form, consultation=consultation,
                           section=question.section, question=question, kind=KINDS[question.kind],
                           numbers=queries.question_numbers(consultation))


@bp.route("/officer/consultations/<slug>/questions/<int:question_id>/move-up", methods=["POST"])
@roles_required(*OFFICERS)
def move_question_up(slug, question_id):
    return _move(slug, question_id, -1, "up")


@bp.route("/officer/consultations/<slug>/questions/<int:question_id>/move-down", methods=["POST"])
@roles_required(*OFFICERS)
def move_question_down(slug, question_id):
    return _move(slug, question_id, 1, "down")


def _move(slug, question_id, step, direction):
    consultation = _consultation_or_404(slug)
    question = _question_or_404(consultation, question_id)
    try:
        operations.move_question(question, step)
    except ConsultationError as error:
        flash(str(error), "error")
    else:
        flash(f"Question {question.code} moved {direction}", "success")
    return _back_to_question(consultation, question)


@bp.route("/officer/consultations/<slug>/questions/<int:question_id>/duplicate", methods=["POST"])
@roles_required(*OFFICERS)
def duplicate_question(slug, question_id):
    consultation = _consultation_or_404(slug)
    question = _question_or_404(consultation, question_id)
    try:
        copy = operations.duplicate_question(question)
    except ConsultationError as error:
        flash(str(error), "error")
        return _back_to_question(consultation, question)
    flash(f"Question {question.code} copied as {copy.code}", "success")
    return _back_to_question(consultation, copy)


@bp.route("/officer/consultations/<slug>/questions/<int:question_id>/delete", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def delete_question(slug, question_id):
    consultation = _consultation_or_404(slug)
    question = _question_or_404(consultation, question_id)
    if request.method == "POST":
        try:
            operations.delete_question(question)
        except ConsultationError as error:
            flash(str(error), "error")
            return _back_to_question(consultation, question)
        flash(f"Question {question.code} deleted", "success")
        return redirect(url_for("consultations.show_consultation", slug=consultation.slug))
    return render_template("consultations/delete_question.html", consultation=consultation, question=question,
                           numbers=queries.question_numbers(consultation))


# --- trackers ----------------------------------------------------------------------


@bp.route("/officer/consultations/<slug>/questions/<int:question_id>/tracker", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def make_tracker(slug, question_id):
    consultation = _consultation_or_404(slug)
    question = _question_or_404(consultation, question_id)
    form = TrackerForm()
    if question.tracker is None and form.validate_on_submit():
        try:
            tracker = operations.make_tracker(question, form.code.data)
        except ConsultationError as error:
            form.code.errors.append(str(error))
        else:
            flash(f"Question {question.code} is now the tracker {tracker.code}", "success")
            return _back_to_question(consultation, question)
    return render_template("consultations/tracker_form.html", form=form, consultation=consultation,
                           question=question)


@bp.route("/officer/consultations/<slug>/questions/from-tracker", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def add_from_tracker(slug):
    consultation = _consultation_or_404(slug)
    asked_here = {question.tracker_id for question in consultation.questions}
    trackers = [tracker for tracker in queries.list_trackers() if tracker.id not in asked_here]
    form = FromTrackerForm(data={"section": request.args.get("section", str(consultation.sections[-1].id))})
    form.tracker.choices = [SelectChoice(str(tracker.id), f"{tracker.code}: {tracker.title}") for tracker in trackers]
    form.section.choices = [SelectChoice(str(section.id), f"Page {number}: {section.title}")
                            for number, section in enumerate(consultation.sections, start=1)]
    if form.validate_on_submit():
        tracker = next(tracker for tracker in trackers if str(tracker.id) == form.tracker.data)
        section = _section_or_404(consultation, int(form.section.data))
        try:
            question = operations.add_tracker_question(section, tracker)
        except ConsultationError as error:
            form.tracker.errors.append(str(error))
        else:
            flash(f"Tracker {tracker.code} added as question {question.code}", "success")
            return _back_to_question(consultation, question)
    return render_template("consultations/from_tracker.html", form=form, consultation=consultation,
                           trackers=trackers)
