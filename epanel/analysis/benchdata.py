"""Benchmark data: a consultation of 20 questions with many complete responses, written in bulk.

Used by `flask epanel bench-data` and tests/bench/bench_analysis.py. The survey is built through the
consultations operations; responses and answers go in with the database's bulk path (executemany on
SQLite, COPY on PostgreSQL) because a million ORM objects would take longer than the benchmark."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from epanel.consultations import operations as authoring
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.panels.models import PopulationTarget, TargetDimension
from epanel.respond.models import Answer, Response

AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
GENDERS = ["Woman", "Man"]
WARDS = [f"Ward {letter}" for letter in "ABCDEFGHIJKLMNOPQRST"]
CHANNELS = ["web"] * 7 + ["sms", "paper", "class"]
WORDS = ["parks", "buses", "litter", "libraries", "lighting", "safety", "roads", "youth club", "bins", "trees"]

QUESTIONS = (
    [("single", f"Single choice question {n}", {"choices": ["Yes, often", "Sometimes", "Rarely", "Never"]}) for n in range(1, 9)]
    + [("multiple", f"Multiple choice question {n}", {"choices": ["Walking", "Sport", "Play", "Nature", "Events"]})
       for n in range(1, 5)]
    + [("agreement", f"Agreement question {n}", {}) for n in range(1, 5)]
    + [("rating", "How would you rate the council?", {}), ("rating", "How would you rate your area?", {}),
       ("number", "How many minutes to the nearest park?", {"settings": {"min": 0, "max": 120}}),
       ("long_text", "Anything else?", {"settings": {"max_length": 2000}})]
)


def create_bench_consultation(title: str = "Benchmark survey") -> Consultation:
    consultation = authoring.create_consultation(title, None, summary="Generated for benchmarks.")
    sections = [consultation.sections[0]] + [authoring.add_section(consultation, f"Page {n}") for n in range(2, 5)]
    for index, (kind, question_text, extras) in enumerate(QUESTIONS):
        authoring.add_question(sections[index // 5], kind, question_text, **extras)
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def add_bench_targets() -> None:
    """Population targets for weighting, when there are none yet."""
    if db.session.scalar(select(func.count()).select_from(PopulationTarget)):
        return
    shares = {TargetDimension.AGE_BAND: dict(zip(AGE_BANDS, [0.11, 0.17, 0.16, 0.17, 0.15, 0.13, 0.11])),
              TargetDimension.GENDER: {"Woman": 0.51, "Man": 0.49},
              TargetDimension.WARD: {ward: 1 / len(WARDS) for ward in WARDS}}
    for dimension, categories in shares.items():
        for category, share in categories.items():
            db.session.add(PopulationTarget(dimension=dimension, category=category, share=share, source="benchmark"))
    db.session.commit()


def _answers_for(rng: random.Random, questions) -> list[tuple]:
    """(question_id, option_id, row_id, number, text) rows for one respondent's answers."""
    rows = []
    for question, choices in questions:
        kind = question.kind
        if rng.random() < 0.05:  # some skip each question
            continue
        if kind in ("single", "agreement"):
            rows.append((question.id, rng.choice(choices), None, None, None))
        elif kind == "multiple":
            for option_id in rng.sample(choices, rng.randint(1, 3)):
                rows.append((question.id, option_id, None, None, None))
        elif kind == "rating":
            rows.append((question.id, None, None, float(min(10, max(0, round(rng.gauss(6.5, 2))))), None))
        elif kind == "number":
            rows.append((question.id, None, None, float(rng.randint(0, 120)), None))
        elif rng.random() < 0.3:
            rows.append((question.id, None, None, None, " ".join(rng.choices(WORDS, k=rng.randint(3, 25)))))
    return rows


def generate_responses(consultation: Consultation, count: int, *, seed: int = 2026, batch: int = 10_000) -> int:
    """Add `count` complete responses with answers to the consultation in bulk; returns the answers written."""
    rng = random.Random(seed)
    questions = [(question, [option.id for option in question.choices]) for question in consultation.questions]
    first_id = (db.session.scalar(select(func.max(Response.id))) or 0) + 1
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    raw = connection.connection.driver_connection
    answers_written = 0
    for offset in range(0, count, batch):
        responses, answers = [], []
        for number in range(offset, min(offset + batch, count)):
            response_id = first_id + number
            when = start + timedelta(seconds=number * 20)
            responses.append((
                response_id, consultation.id, f"bench-{response_id}", f"B{response_id:011d}"[-12:], rng.choice(CHANNELS),
                "complete", False, rng.choice(AGE_BANDS), rng.choice(GENDERS), rng.choice(WARDS), None, None,
                "citizens", 4, when, when, when,
            ))
            answers.extend((response_id, *row) for row in _answers_for(rng, questions))
        answers_written += len(answers)
        _bulk_insert(raw, postgres, responses, answers)
    authoring.lock_structure(consultation)
    if postgres:
        connection.execute(text("SELECT setval(pg_get_serial_sequence('responses', 'id'), (SELECT max(id) FROM responses))"))
    db.session.commit()
    return answers_written


RESPONSE_COLUMNS = ("id, consultation_id, submission_id, reference, channel, status, assisted, age_band, gender, ward, "
                    "parish, postcode_district, panels, pages_done, started_at, updated_at, submitted_at")
ANSWER_COLUMNS = "response_id, question_id, option_id, row_id, number, text"


def _bulk_insert(raw, postgres: bool, responses: list[tuple], answers: list[tuple]) -> None:
    cursor = raw.cursor()
    if postgres:
        with cursor.copy(f"COPY {Response.__tablename__} ({RESPONSE_COLUMNS}) FROM STDIN") as copy:
            for row in responses:
                copy.write_row(row)
        with cursor.copy(f"COPY {Answer.__tablename__} ({ANSWER_COLUMNS}) FROM STDIN") as copy:
            for row in answers:
                copy.write_row(row)
    else:
        # SQLAlchemy stores SQLite datetimes as naive UTC text.
        responses = [row[:-3] + tuple(moment.strftime("%Y-%m-%d %H:%M:%S.%f") for moment in row[-3:]) for row in responses]
        cursor.executemany(f"INSERT INTO responses ({RESPONSE_COLUMNS}) VALUES ({', '.join(['?'] * 17)})", responses)
        cursor.executemany(f"INSERT INTO answers ({ANSWER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", answers)
    cursor.close()
