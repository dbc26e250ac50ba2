"""Writes for consultations: authoring, copying waves, trackers and the lifecycle."""

import logging
import re
import secrets
from datetime import datetime

from epanel.common.time import utcnow
from epanel.consultations.kinds import KINDS, OTHER
from epanel.consultations.models import (
    Consultation,
    ConsultationStatus,
    Option,
    OptionRole,
    Question,
    Section,
    Tracker,
)
from epanel.consultations.queries import get_consultation_by_slug
from epanel.extensions import db

log = logging.getLogger(__name__)


class ConsultationError(ValueError):
    """A change that breaks a rule; the message is for the officer."""


def _slug_for(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "consultation"
    slug, number = base, 2
    while get_consultation_by_slug(slug) is not None:
        slug, number = f"{base}-{number}", number + 1
    return slug


def create_consultation(title: str, actor, *, summary="", body="", theme="", opens_at=None, closes_at=None,
                        **access) -> Consultation:
    """Start a draft consultation with one empty section."""
    _check_dates(opens_at, closes_at)
    consultation = Consultation(
        slug=_slug_for(title), title=title.strip(), summary=summary, body=body, theme=theme,
        opens_at=opens_at, closes_at=closes_at, created_by_id=getattr(actor, "id", None), **access,
    )
    consultation.sections = [Section(position=1, title="Your views")]
    db.session.add(consultation)
    db.session.commit()
    log.info("consultation %s created by %s", consultation.slug, getattr(actor, "id", actor))
    return consultation


def _check_dates(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise ConsultationError("The closing time must be after the opening time")


def update_consultation(consultation: Consultation, **fields) -> Consultation:
    """Change the title, texts, dates and access modes."""
    _check_dates(fields.get("opens_at", consultation.opens_at), fields.get("closes_at", consultation.closes_at))
    for name, value in fields.items():
        setattr(consultation, name, value)
    db.session.commit()
    log.info("consultation %s updated", consultation.slug)
    return consultation


# --- structure ---------------------------------------------------------------------


def _check_structure_editable(consultation: Consultation) -> None:
    if consultation.structure_locked_at is not None:
        raise ConsultationError("Responses have arrived, so questions can no longer be added, removed or "
                                "reordered. You can still correct wording.")


def _touch(consultation: Consultation) -> None:
    consultation.version += 1


def add_section(consultation: Consultation, title: str, intro: str = "") -> Section:
    """Add a page at the end."""
    _check_structure_editable(consultation)
    section = Section(consultation=consultation, title=title, intro=intro,
                      position=max((s.position for s in consultation.sections), default=0) + 1)
    db.session.add(section)
    _touch(consultation)
    db.session.commit()
    return section


def update_section(section: Section, *, title: str, intro: str) -> Section:
    section.title, section.intro = title, intro
    _touch(section.consultation)
    db.session.commit()
    return section


def move_section(section: Section, step: int) -> None:
    """Move a page up (-1) or down (+1) with its questions; refused if a question would then come
    before the one its show-only-if condition reads."""
    consultation = section.consultation
    _check_structure_editable(consultation)
    ordered = list(consultation.sections)
    index = ordered.index(section)
    target = index + step
    if not 0 <= target < len(ordered):
        return
    other = ordered[target]
    section.position, other.position = other.position, section.position
    _renumber_questions(consultation)
    try:
        for question in consultation.questions:
            _check_condition(question)
    except ConsultationError:
        db.session.rollback()
        raise ConsultationError("A question on one of these pages depends on a question on the other, so "
                                "the pages cannot swap. Change that question's condition first.") from None
    _touch(consultation)
    db.session.commit()


def delete_section(section: Section) -> int:
    """Delete a page and its questions; returns how many questions went with it."""
    consultation = section.consultation
    _check_structure_editable(consultation)
    if len(consultation.sections) == 1:
        raise ConsultationError("A consultation needs at least one page. Add another page before deleting this one.")
    going = {question.id for question in section.questions}
    dependent = [q for q in consultation.questions
                 if q.id not in going and q.condition and q.condition.get("question_id") in going]
    if dependent:
        raise ConsultationError(f"Question {dependent[0].code} on another page depends on a question on this page. "
                                "Change that question first.")
    for question in list(section.questions):
        consultation.questions.remove(question)
    consultation.sections.remove(section)
    _renumber_questions(consultation)
    _touch(consultation)
    db.session.commit()
    return len(going)


def _renumber_questions(consultation: Consultation) -> None:
    """Question positions run through the whole consultation in page order (see _insert_position)."""
    consultation.sections.sort(key=lambda section: section.position)
    page_of = {section.id: number for number, section in enumerate(consultation.sections)}
    consultation.questions.sort(key=lambda question: (page_of[question.section.id], question.position))
    for position, question in enumerate(consultation.questions, start=1):
        question.position = position


def _next_code(consultation: Consultation) -> str:
    taken = {question.code for question in consultation.questions}
    number = len(taken) + 1
    while f"Q{number}" in taken:
        number += 1
    return f"Q{number}"


def _insert_position(consultation: Consultation, section: Section, after: Question | None) -> int:
    """The place for a new question (at the end of its page, or just after `after`); later ones move down.

    Positions run through the whole consultation in page order, so numbering and
    "depends on an earlier question" follow what people see."""
    if after is not None:
        position = after.position + 1
    else:
        on_or_before = [q.position for q in consultation.questions
                        if q.section is not None and q.section.position <= section.position]
        position = max(on_or_before, default=0) + 1
    for question in consultation.questions:
        if question.position >= position:
            question.position += 1
    return position


def add_question(section: Section, kind: str, text: str, *, help_text="", required=False, allow_other=False,
                 choices=None, rows=None, settings=None, condition=None, code=None, tracker=None,
                 after: Question | None = None, sms_code: str | None = None) -> Question:
    """Add a question at the end of a section (or after another); choices and rows are (code, label) pairs or labels."""
    consultation = section.consultation
    _check_structure_editable(consultation)
    if kind not in KINDS:
        raise ConsultationError(f"Unknown question kind {kind}")
    definition = KINDS[kind]
    choices = list(choices or definition.preset_choices)
    if definition.has_choices and len(choices) < 2:
        raise ConsultationError("Give at least two answers to choose from")
    if definition.has_rows and not rows:
        raise ConsultationError("Give at least one row")
    position = _insert_position(consultation, section, after)
    question = Question(
        consultation=consultation, section=section, kind=kind, text=text.strip(), help_text=help_text,
        required=required, allow_other=allow_other and kind in {"single", "multiple"},
        settings=settings or {}, condition=condition, code=code or _next_code(consultation), tracker=tracker,
        position=position, sms_code=_checked_sms_code(consultation, None, sms_code),
    )
    db.session.add(question)  # before anything autoflushes: SQLAlchemy 2 does not cascade along backrefs
    with db.session.no_autoflush:
        question.options = _options(choices, OptionRole.CHOICE) + _options(rows or [], OptionRole.ROW)
        _check_condition(question)
    _touch(consultation)
    db.session.commit()
    log.info("question %s (%s) added to %s", question.code, kind, consultation.slug)
    return question


def _options(items, role: OptionRole) -> list[Option]:
    options = []
    for position, item in enumerate(items, start=1):
        code, label = item if isinstance(item, tuple) else (str(position), item)
        if code == OTHER:
            raise ConsultationError("'other' is kept for the Other (please say) box")
        options.append(Option(role=role, code=str(code), label=label.strip(), position=position))
    if len({option.code for option in options}) != len(options):
        raise ConsultationError("Each answer needs a different code")
    return options


def _check_condition(question: Question) -> None:
    condition = question.condition
    if not condition:
        return
    earlier = next((q for q in question.consultation.questions
                    if q.id == condition.get("question_id") and q is not question), None)
    if earlier is None or earlier.position >= question.position:
        raise ConsultationError("A question can only depend on an earlier question")
    codes = {option.code for option in earlier.choices} | ({OTHER} if earlier.allow_other else set())
    if not condition.get("option_codes") or not set(condition["option_codes"]) <= codes:
        raise ConsultationError("Choose which answers to the earlier question show this one")


def update_question_wording(question: Question, *, text: str, help_text: str, labels: dict[int, str],
                            sms_code: str | None = None) -> Question:
    """Correct wording (and the text-message code): allowed even after responses arrive, since it changes
    no answer's meaning in the data."""
    question.sms_code = _checked_sms_code(question.consultation, question, sms_code)
    question.text, question.help_text = text.strip(), help_text
    for option in question.options:
        if option.id in labels and labels[option.id].strip():
            option.label = labels[option.id].strip()
    _touch(question.consultation)
    db.session.commit()
    return question


def _checked_sms_code(consultation: Consultation, question: Question | None, sms_code: str | None) -> str | None:
    """The code upper-cased, or ConsultationError if another question of the consultation has it."""
    code = (sms_code or "").strip().upper() or None
    if code and any(other.sms_code == code and other is not question for other in consultation.questions):
        raise ConsultationError(f"Another question already has the text message code {code}")
    return code


def update_question(question: Question, *, required: bool, allow_other: bool, settings: dict,
                    condition: dict | None) -> Question:
    """Change a question's rules; only before responses arrive."""
    _check_structure_editable(question.consultation)
    question.required, question.allow_other = required, allow_other and question.kind in {"single", "multiple"}
    question.settings, question.condition = settings, condition
    _check_condition(question)
    _touch(question.consultation)
    db.session.commit()
    return question


def delete_question(question: Question) -> None:
    consultation = question.consultation
    _check_structure_editable(consultation)
    if any(q.condition and q.condition.get("question_id") == question.id for q in consultation.questions):
        raise ConsultationError("Another question depends on this one. Change that question first.")
    db.session.delete(question)
    _touch(consultation)
    db.session.commit()


def move_question(question: Question, step: int) -> None:
    """Move a question up (-1) or down (+1) within the consultation, keeping conditions valid."""
    consultation = question.consultation
    _check_structure_editable(consultation)
    ordered = sorted(consultation.questions, key=lambda q: q.position)
    index = ordered.index(question)
    target = index + step
    if not 0 <= target < len(ordered):
        return
    other = ordered[target]
    if other.section_id != question.section_id:
        # Crossing a page boundary: the question joins the neighbouring page, keeping its place in the order.
        question.section = other.section
    else:
        question.position, other.position = other.position, question.position
    for candidate in (question, other):
        _check_condition(candidate)
    _touch(consultation)
    db.session.commit()


def duplicate_question(question: Question) -> Question:
    """Copy a question (with its answers to choose from) to just after itself."""
    return add_question(
        question.section, question.kind, question.text, help_text=question.help_text, required=question.required,
        allow_other=question.allow_other, settings=dict(question.settings), condition=question.condition,
        choices=[(o.code, o.label) for o in question.choices], rows=[(o.code, o.label) for o in question.rows],
        after=question,
    )


def duplicate_consultation(original: Consultation, actor, *, title: str | None = None) -> Consultation:
    """A new draft with the same pages and questions (trackers kept), for the next wave."""
    copy = Consultation(
        slug=_slug_for(title or f"{original.title} (copy)"), title=title or f"{original.title} (copy)",
        summary=original.summary, body=original.body, theme=original.theme, copied_from_id=original.id,
        created_by_id=getattr(actor, "id", None), audience=dict(original.audience or {}),
        invitation_subject=original.invitation_subject, invitation_body=original.invitation_body,
        **{name: getattr(original, name) for name in ACCESS_FIELDS},
    )
    db.session.add(copy)
    question_map = {}
    with db.session.no_autoflush:
        for section in original.sections:
            new_section = Section(consultation=copy, title=section.title, intro=section.intro,
                                  position=section.position)
            db.session.add(new_section)  # SQLAlchemy 2 does not cascade along backrefs
            for question in section.questions:
                new_question = Question(
                    consultation=copy, section=new_section, kind=question.kind, code=question.code,
                    text=question.text, help_text=question.help_text, required=question.required,
                    allow_other=question.allow_other, settings=dict(question.settings), position=question.position,
                    tracker_id=question.tracker_id, sms_code=question.sms_code,
                )
                new_question.options = [Option(role=o.role, code=o.code, label=o.label, position=o.position)
                                        for o in question.options]
                db.session.add(new_question)
                question_map[question.id] = (new_question, question.condition)
    db.session.flush()
    for new_question, condition in question_map.values():
        if condition:
            new_question.condition = {**condition, "question_id": question_map[condition["question_id"]][0].id}
    db.session.commit()
    log.info("consultation %s copied to %s", original.slug, copy.slug)
    return copy


ACCESS_FIELDS = [
    "for_invited_members", "for_public", "public_needs_sign_in", "public_needs_email", "for_schools",
    "for_sms_poll", "for_paper", "ask_public_postcode", "ask_public_age_band",
]


def make_tracker(question: Question, code: str) -> Tracker:
    """Mark a question as a tracker, so later waves can ask it with the same identity."""
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,39}", code):
        raise ConsultationError("A tracker code starts with a letter and uses letters, digits and _ only")
    if db.session.scalar(db.select(Tracker).where(Tracker.code == code)) is not None:
        raise ConsultationError(f"There is already a tracker called {code}")
    tracker = Tracker(code=code, title=question.text[:200], kind=question.kind)
    question.tracker = tracker
    db.session.commit()
    return tracker


def add_tracker_question(section: Section, tracker: Tracker) -> Question:
    """Ask a tracker again: the same kind, wording and answer codes as its latest asking."""
    latest = db.session.scalar(
        db.select(Question).where(Question.tracker_id == tracker.id).order_by(Question.id.desc())
    )
    if latest is None:
        raise ConsultationError("This tracker has no question to copy")
    return add_question(
        section, latest.kind, latest.text, help_text=latest.help_text, required=latest.required,
        allow_other=latest.allow_other, settings=dict(latest.settings), tracker=tracker,
        choices=[(o.code, o.label) for o in latest.choices], rows=[(o.code, o.label) for o in latest.rows],
    )


# --- lifecycle ---------------------------------------------------------------------------


def move_to(consultation: Consultation, status: ConsultationStatus, actor=None) -> Consultation:
    """Change status along an allowed transition (see models.TRANSITIONS)."""
    if not consultation.can_move_to(status):
        raise ConsultationError(f"A consultation that is {consultation.status.label.lower()} cannot become "
                                f"{status.label.lower()}")
    if status in (ConsultationStatus.SCHEDULED, ConsultationStatus.OPEN):
        if not consultation.questions:
            raise ConsultationError("Add at least one question first")
        if status == ConsultationStatus.SCHEDULED and not consultation.opens_at:
            raise ConsultationError("Set an opening time to schedule it")
        if consultation.closes_at and consultation.closes_at <= utcnow():
            raise ConsultationError("The closing time has passed. Set a later one first.")
    if status == ConsultationStatus.OPEN and not consultation.opens_at:
        consultation.opens_at = utcnow()
    if status == ConsultationStatus.CLOSED and (not consultation.closes_at or consultation.closes_at > utcnow()):
        consultation.closes_at = utcnow()
    consultation.status = status
    db.session.commit()
    log.info("consultation %s is now %s (by %s)", consultation.slug, status.value, getattr(actor, "id", actor))
    return consultation


def open_and_close_due(now: datetime | None = None) -> tuple[int, int]:
    """Open scheduled consultations whose time has come and close open ones past their close time."""
    now = now or utcnow()
    opened = closed = 0
    due_to_open = db.select(Consultation).where(
        Consultation.status == ConsultationStatus.SCHEDULED, Consultation.opens_at <= now)
    for consultation in db.session.scalars(due_to_open):
        if consultation.closes_at and consultation.closes_at <= now:
            consultation.status = ConsultationStatus.CLOSED
            closed += 1
        else:
            consultation.status = ConsultationStatus.OPEN
            opened += 1
    due_to_close = db.select(Consultation).where(
        Consultation.status == ConsultationStatus.OPEN, Consultation.closes_at <= now)
    for consultation in db.session.scalars(due_to_close):
        consultation.status = ConsultationStatus.CLOSED
        closed += 1
    db.session.commit()
    if opened or closed:
        log.info("lifecycle tick: %d opened, %d closed", opened, closed)
    return opened, closed


def lock_structure(consultation: Consultation) -> None:
    """Called when the first response arrives: from now on only wording can change."""
    if consultation.structure_locked_at is None:
        db.session.execute(
            db.update(Consultation)
            .where(Consultation.id == consultation.id, Consultation.structure_locked_at.is_(None))
            .values(structure_locked_at=utcnow())
        )


def new_reference() -> str:
    """A short reference people can read out on the phone: no look-alike characters."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))
