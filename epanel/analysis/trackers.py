"""A tracker question's results across waves: every consultation that asked it, oldest first, each
answer's share with its 95% interval, so officers can see whether views moved beyond chance."""

from dataclasses import dataclass

from sqlalchemy import select

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import Line, get_results
from epanel.consultations.models import Consultation, ConsultationStatus, Question, Tracker
from epanel.extensions import db

SHARE_KINDS = {"single", "multiple", "agreement", "rating", "yes_no"}


@dataclass
class Wave:
    consultation: Consultation
    answered: float
    lines: dict[str, Line]  # by answer code


@dataclass
class TrackerWaves:
    tracker: Tracker
    answers: list[tuple[str, str]]  # (code, label) in the order of the latest asking
    waves: list[Wave]


def list_trackers() -> list[tuple[Tracker, int]]:
    """Every tracker with how many consultations have asked it."""
    rows = db.session.execute(
        select(Tracker, db.func.count(Question.id)).join(Question, Question.tracker_id == Tracker.id)
        .group_by(Tracker.id).order_by(Tracker.code)
    ).all()
    return [(tracker, count) for tracker, count in rows]


def get_tracker(code: str) -> Tracker | None:
    return db.session.scalar(select(Tracker).where(Tracker.code == code.upper()))


def tracker_waves(tracker: Tracker) -> TrackerWaves:
    """Results of each asking with responses, oldest consultation first (complete responses, unweighted)."""
    questions = list(db.session.scalars(
        select(Question).join(Consultation, Consultation.id == Question.consultation_id)
        .where(Question.tracker_id == tracker.id, Consultation.status != ConsultationStatus.DRAFT)
        .order_by(Consultation.opens_at.is_(None), Consultation.opens_at, Consultation.id)
    ))
    waves, answers = [], []
    for question in questions:
        results = get_results(question.consultation, ResponseFilter(), question_ids={question.id})
        result = results.find(question.id)
        if result is None or not result.answered:
            continue
        waves.append(Wave(question.consultation, result.answered, {line.code: line for line in result.lines}))
    if tracker.kind in SHARE_KINDS:
        # The latest wave's answers first, then any an earlier wave offered that it no longer does.
        for wave in reversed(waves):
            answers += [(code, line.label) for code, line in wave.lines.items() if code not in dict(answers)]
    return TrackerWaves(tracker, answers, waves)
