"""A consultation with every question kind, and responses with known answers, for analysis tests."""

from datetime import UTC, datetime

from epanel.consultations import operations as authoring
from epanel.consultations.kinds import Parsed
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import ResponseChannel, ResponseStatus
from epanel.respond.operations import record_complete_response

EVERY_KIND = [
    ("single", "How often do you visit a park?", {"choices": ["Every day", "Every week", "Less often"], "allow_other": True}),
    ("multiple", "What do you do there?", {"choices": ["Walking", "Sport", "Play", "Nature"]}),
    ("agreement", "The parks are well kept", {}),
    ("rating", "How would you rate the parks?", {}),
    ("number", "How many minutes do you walk there?", {"settings": {"min": 0, "max": 600}}),
    ("short_text", "One word for our parks", {}),
    ("long_text", "Anything else?", {"settings": {"max_length": 5000}}),
    ("ranking", "Put these in order", {"choices": ["Toilets", "Lighting", "Benches"]}),
    ("grid", "Rate each", {"rows": ["Cleanliness", "Safety"]}),
    ("yes_no", "Do you have a dog?", {}),
]


def build_consultation(title="Parks survey", kinds=EVERY_KIND):
    """A consultation with the questions given as (kind, text, extras); codes are Q1, Q2, ... in order."""
    consultation = authoring.create_consultation(title, None, summary="About parks.")
    section = consultation.sections[0]
    for kind, text, extras in kinds:
        authoring.add_question(section, kind, text, **extras)
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def respond(consultation, answers: dict, *, channel=ResponseChannel.WEB, partial=False, submitted_at=None, **snapshot):
    """Store one response; `answers` maps question codes to answer values as the kinds parse them
    (a code, a list of codes, a number, text, {option: rank}, {row: code}); ("other", text) for Other."""
    by_code = {question.code: question for question in consultation.questions}
    values = {}
    for code, value in answers.items():
        if isinstance(value, tuple) and value[0] == "other":
            values[by_code[code].id] = Parsed(value="other", other_text=value[1])
        elif isinstance(value, tuple) and value[0] == "other-multiple":
            values[by_code[code].id] = Parsed(value=value[1], other_text=value[2])
        else:
            values[by_code[code].id] = Parsed(value=value)
    response = record_complete_response(consultation, values, channel=channel,
                                        submitted_at=submitted_at or datetime(2026, 3, 2, 12, tzinfo=UTC), snapshot=snapshot)
    if partial:
        response.status = ResponseStatus.IN_PROGRESS
        response.submitted_at = None
        response.pages_done = 1
    db.session.commit()
    return response


def question(consultation, code):
    return next(q for q in consultation.questions if q.code == code)
