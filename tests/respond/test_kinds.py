"""Each question kind reads, checks, stores and reads back its answer."""

import pytest
from werkzeug.datastructures import MultiDict

from epanel.consultations.kinds import kind_of
from epanel.consultations.queries import get_consultation_with_questions, question_numbers
from epanel.respond import operations
from tests.factories import create_consultation

ALL_KINDS = ("single", "multiple", "agreement", "rating", "number", "short_text", "long_text", "ranking", "grid", "yes_no")


@pytest.fixture
def survey(app):
    consultation = create_consultation(kinds=ALL_KINDS, for_public=True)
    return get_consultation_with_questions(consultation.slug)


def question(survey, kind):
    return next(q for q in survey.questions if q.kind == kind)


def form_for(q, answer) -> MultiDict:
    """Form fields as a browser would send them for a given kind's answer."""
    name = f"q{q.id}"
    if q.kind == "ranking":
        return MultiDict({f"{name}-{code}": str(rank) for code, rank in answer.items()})
    if q.kind == "grid":
        return MultiDict({f"{name}-{row}": code for row, code in answer.items()})
    if isinstance(answer, list):
        return MultiDict([(name, value) for value in answer])
    if isinstance(answer, dict):
        return MultiDict(answer)
    return MultiDict({name: answer})


GOOD = {
    "single": ("2", "2"),
    "multiple": (["1", "3"], ["1", "3"]),
    "agreement": ("4", "4"),
    "rating": ("7", 7.0),
    "number": ("12.5", 12.5),
    "short_text": ("  Near the river  ", "Near the river"),
    "long_text": ("Line one\r\nLine two", "Line one\nLine two"),
    "ranking": ({"2": 1, "1": 2}, {"2": 1, "1": 2}),
    "grid": ({"1": "5", "2": "3"}, {"1": "5", "2": "3"}),
    "yes_no": ("1", "1"),
}

BAD = {
    "single": ("99", "Choose one of the answers listed"),
    "multiple": (["1", "2", "3"], "Select no more than 2 answers"),
    "agreement": ("6", "Choose one of the answers listed"),
    "rating": ("11", "Choose a number from 0 to 10"),
    "number": ("21", "Enter a number between 0 and 20"),
    "short_text": ("x" * 51, "Your answer must be 50 characters or fewer (it has 51)"),
    "long_text": ("y" * 201, "Your answer must be 200 characters or fewer (it has 201)"),
    "ranking": ({"1": 1, "2": 1}, "Give each option a different number"),
    "grid": ({"1": "9"}, "Choose one of the answers listed"),
    "yes_no": ("3", "Choose one of the answers listed"),
}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_good_answer_is_stored_and_read_back(survey, kind):
    q = question(survey, kind)
    sent, expected = GOOD[kind]
    response = operations.start_response(survey, operations.Respondent(submission_id="s1"))
    section = q.section
    result = operations.read_page(survey, section, form_for(q, sent), {}, question_numbers(survey), check_required=False)

    assert result.errors.get(q.id) is None
    operations.save_page(response, survey, section, result, 1)
    assert operations.load_values(response, survey)[q.id].value == expected


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_bad_answer_gets_a_clear_message_and_is_not_stored(survey, kind):
    q = question(survey, kind)
    sent, message = BAD[kind]
    response = operations.start_response(survey, operations.Respondent(submission_id="s1"))
    result = operations.read_page(survey, q.section, form_for(q, sent), {}, question_numbers(survey), check_required=False)

    assert result.errors[q.id] == message
    operations.save_page(response, survey, q.section, result, 1)
    assert q.id not in operations.load_values(response, survey)


def test_other_needs_its_text(survey):
    q = question(survey, "single")

    missing = kind_of(q).parse(q, MultiDict({f"q{q.id}": "other"}))
    given = kind_of(q).parse(q, MultiDict({f"q{q.id}": "other", f"q{q.id}-other": "Weekends only"}))

    assert missing.error == "Tell us your other answer"
    assert (given.value, given.other_text, given.error) == ("other", "Weekends only", None)
    assert kind_of(q).describe(q, given) == ["Other: Weekends only"]


def test_required_questions_must_be_answered(app):
    from epanel.consultations import operations as authoring

    consultation = create_consultation(kinds=(), open_now=False)
    q = authoring.add_question(consultation.sections[0], "yes_no", "Do you agree?", required=True)
    survey = get_consultation_with_questions(consultation.slug)

    result = operations.read_page(survey, survey.sections[0], MultiDict(), {}, question_numbers(survey))

    assert result.errors == {q.id: "Select an answer to question 1"}
