"""A consultation's structure (pages, questions, options, conditions) as respondents see it, cached per process.

Answering pages need the whole structure on every request, and rebuilding about 120 ORM
objects from five queries each time was most of their cost. The structure only changes
through `consultations.operations`, which bumps the consultation's `version` with every
change, so a copy built once per version stays right: a request reads the consultation's
own row (status, version, texts) and takes the structure from the cache.

The cached objects are plain, read-only snapshots shared by every thread of the process:
they carry the same attribute names as the models, so question kinds and templates take
either, but they are not attached to any database session.
"""

import threading
from dataclasses import dataclass, field
from types import MappingProxyType

from flask import current_app

from epanel.consultations.models import Consultation, Option, OptionRole, Question, Section
from epanel.extensions import db


@dataclass(frozen=True, slots=True)
class OptionShape:
    id: int
    question_id: int
    role: OptionRole
    position: int
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class QuestionShape:
    id: int
    consultation_id: int
    section_id: int
    position: int
    kind: str
    code: str
    text: str
    help_text: str
    required: bool
    allow_other: bool
    settings: MappingProxyType
    condition: MappingProxyType | None
    tracker_id: int | None
    sms_code: str | None
    options: tuple[OptionShape, ...]
    choices: tuple[OptionShape, ...]
    rows: tuple[OptionShape, ...]


@dataclass(frozen=True, slots=True)
class SectionShape:
    id: int
    consultation_id: int
    position: int
    title: str
    intro: str
    questions: tuple[QuestionShape, ...]


@dataclass(frozen=True)
class Structure:
    """Pages in order, questions in consultation order, and look-ups the answering code needs."""

    sections: tuple[SectionShape, ...]
    questions: tuple[QuestionShape, ...]
    questions_by_id: dict = field(repr=False)
    options_by_id: dict = field(repr=False)
    has_conditions: bool = False


def _frozen(value):
    """JSON settings and conditions, read-only, so no request can change what other threads see."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _question_shape(question: Question, options: list) -> QuestionShape:
    shapes = tuple(OptionShape(o.id, o.question_id, o.role, o.position, o.code, o.label)
                   for o in sorted(options, key=lambda o: (o.position, o.id)))
    return QuestionShape(
        id=question.id, consultation_id=question.consultation_id, section_id=question.section_id,
        position=question.position, kind=question.kind, code=question.code, text=question.text,
        help_text=question.help_text, required=question.required, allow_other=question.allow_other,
        settings=_frozen(question.settings or {}), condition=_frozen(question.condition) if question.condition else None,
        tracker_id=question.tracker_id, sms_code=question.sms_code, options=shapes,
        choices=tuple(o for o in shapes if o.role == OptionRole.CHOICE),
        rows=tuple(o for o in shapes if o.role == OptionRole.ROW),
    )


def load_structure(consultation_id: int) -> Structure:
    """Build a consultation's structure from the database: three queries, whatever its size."""
    sections = db.session.scalars(
        db.select(Section).where(Section.consultation_id == consultation_id).order_by(Section.position, Section.id)
    ).all()
    questions = db.session.scalars(
        db.select(Question).where(Question.consultation_id == consultation_id).order_by(Question.position, Question.id)
    ).all()
    options: dict[int, list] = {}
    for option in db.session.scalars(
        db.select(Option).join(Question, Option.question_id == Question.id)
        .where(Question.consultation_id == consultation_id)
    ):
        options.setdefault(option.question_id, []).append(option)
    shapes = [_question_shape(question, options.get(question.id, [])) for question in questions]
    section_shapes = tuple(
        SectionShape(section.id, section.consultation_id, section.position, section.title, section.intro,
                     tuple(q for q in shapes if q.section_id == section.id))
        for section in sections
    )
    return Structure(
        sections=section_shapes, questions=tuple(shapes),
        questions_by_id={q.id: q for q in shapes},
        options_by_id={o.id: o for q in shapes for o in q.options},
        has_conditions=any(q.condition for q in shapes),
    )


_lock = threading.Lock()


def get_structure(consultation: Consultation) -> Structure:
    """The consultation's structure at its current version, from this process's cache when it has it."""
    # Per app, not per module: tests build a new app over an emptied database, where ids start again.
    cache = current_app.extensions.setdefault("epanel_structures", {})
    key = (consultation.id, consultation.version, consultation.created_at)
    found = cache.get(key)
    if found is None:
        found = load_structure(consultation.id)
        with _lock:
            for old in [k for k in cache if k[0] == consultation.id]:
                cache.pop(old, None)
            cache[key] = found
    return found


class AnsweringConsultation:
    """A consultation row, read on this request, with its structure from the cache.

    It stands in for the model on the answering pages: `sections` and `questions` are the
    cached snapshots, and every other attribute (status, texts, access settings) is the row's."""

    def __init__(self, row: Consultation, structure: Structure):
        self.row = row
        self.structure = structure
        self.sections = structure.sections
        self.questions = structure.questions

    def __getattr__(self, name):
        return getattr(self.row, name)

    def __repr__(self) -> str:
        return f"<AnsweringConsultation {self.row.slug} v{self.row.version}>"
