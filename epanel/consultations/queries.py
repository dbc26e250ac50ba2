"""Reads for consultations."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from epanel.common.search import LIKE_ESCAPE, contains_pattern
from epanel.consultations.models import Consultation, ConsultationStatus, Question, Section, Tracker
from epanel.consultations.structure import AnsweringConsultation, get_structure
from epanel.extensions import db

PUBLIC_STATUSES = (ConsultationStatus.OPEN, ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED)


def get_consultation_by_slug(slug: str) -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))


def get_consultation_with_questions(slug: str) -> Consultation | None:
    """A consultation with its sections, questions and options loaded in a few queries."""
    return db.session.scalar(
        select(Consultation).where(Consultation.slug == slug).options(
            selectinload(Consultation.sections).selectinload(Section.questions).selectinload(Question.options),
            # The same questions again, in consultation order: the identity map already holds their options.
            selectinload(Consultation.questions),
        )
    )


def get_consultation_for_answering(slug: str) -> AnsweringConsultation | None:
    """A consultation's row, read now, with its sections, questions and options from the per-process cache."""
    row = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    return None if row is None else AnsweringConsultation(row, get_structure(row))


def get_question(question_id: int) -> Question | None:
    return db.session.get(Question, question_id)


def get_section(section_id: int) -> Section | None:
    return db.session.get(Section, section_id)


def list_consultations_for_officers() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id.desc())))


def list_public_consultations(*, search: str = "", theme: str = "", status: str = "") -> list[Consultation]:
    """The hub: consultations the public may see, newest first, with search and theme filter."""
    query = select(Consultation).where(Consultation.status.in_(PUBLIC_STATUSES))
    if search:
        term = contains_pattern(search)
        query = query.where(or_(func.lower(Consultation.title).like(term, escape=LIKE_ESCAPE),
                                func.lower(Consultation.summary).like(term, escape=LIKE_ESCAPE)))
    if theme:
        query = query.where(Consultation.theme == theme)
    if status in {s.value for s in PUBLIC_STATUSES}:
        query = query.where(Consultation.status == ConsultationStatus(status))
    return list(db.session.scalars(query.order_by(Consultation.opens_at.desc().nulls_last(), Consultation.id.desc())))


def list_themes() -> list[str]:
    return sorted(t for t in db.session.scalars(select(Consultation.theme).distinct()) if t)


def list_trackers() -> list[Tracker]:
    return list(db.session.scalars(select(Tracker).order_by(Tracker.code)))


def question_numbers(consultation: Consultation) -> dict[int, int]:
    """Question id -> the number people see (1, 2, 3 …) in consultation order."""
    ordered = sorted(consultation.questions, key=lambda q: q.position)
    return {question.id: number for number, question in enumerate(ordered, start=1)}
