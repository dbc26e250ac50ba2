"""Partner submissions through the API: stored like web responses, once per submission id, with clear errors."""

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_results
from epanel.api.models import PartnerSubmission, TokenScope
from epanel.consultations import operations as consultation_operations
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus
from epanel.respond.operations import load_values
from tests.api.helpers import full_answers, make_token, submit, survey


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_submission_is_stored_as_a_complete_partner_response_with_the_web_answer_rows(client):
    consultation = survey()
    token, secret = make_token(TokenScope.READ_WRITE)
    response = submit(client, consultation.slug, secret, {
        "submission_id": "kiosk-0001", "answers": full_answers(),
        "respondent": {"age_band": "25-34"}})
    assert response.status_code == 201
    body = response.get_json()
    assert body["created"] and body["channel"] == "partner" and len(body["reference"]) == 8
    stored = db.session.scalar(db.select(Response))
    assert (stored.status, stored.channel, stored.submission_id, stored.reference, stored.age_band) == (
        ResponseStatus.COMPLETE, ResponseChannel.PARTNER, "kiosk-0001", body["reference"], "25-34")
    values = {question.code: parsed.value for question, parsed in
              ((next(q for q in consultation.questions if q.id == qid), parsed)
               for qid, parsed in load_values(stored, consultation).items())}
    assert values["Q1"] == "1" and sorted(values["Q2"]) == ["1", "3"] and values["Q3"] == 7
    assert values["Q4"] == {"1": 2, "2": 1, "3": 3} and values["Q5"] == {"1": "5", "2": "4"}
    assert db.session.scalar(db.select(PartnerSubmission.token_id)) == token.id
    # Analysis can pick out the partner channel.
    results = get_results(consultation, ResponseFilter(channel="partner"))
    assert results.responses == 1
    assert get_results(consultation, ResponseFilter(channel="web")).responses == 0


def test_the_same_submission_twice_stores_one_response_and_returns_the_first_result(client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ_WRITE)
    body = {"submission_id": "kiosk-0001", "answers": full_answers()}
    first = submit(client, consultation.slug, secret, body)
    again = submit(client, consultation.slug, secret, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == {**first.get_json(), "created": False}
    assert count(Response) == 1 and count(PartnerSubmission) == 1


def test_the_same_submission_id_with_different_answers_is_a_conflict(client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ_WRITE)
    first = submit(client, consultation.slug, secret, {"submission_id": "kiosk-0001", "answers": full_answers()})
    changed = full_answers()
    changed[0]["value"] = "2"
    conflict = submit(client, consultation.slug, secret, {"submission_id": "kiosk-0001", "answers": changed})
    assert conflict.status_code == 409 and conflict.content_type == "application/problem+json"
    problem = conflict.get_json()
    assert "already used, with different content" in problem["detail"]
    assert first.get_json()["reference"] in problem["detail"]
    assert problem["errors"] == [{"field": "submission_id", "message": "Already used for a different submission"}]
    assert count(Response) == 1
    assert db.session.scalar(db.select(Answer.option_id).where(Answer.question_id == consultation.questions[0].id)) == \
        consultation.questions[0].choices[0].id


def test_answers_that_do_not_fit_their_questions_name_each_field_and_store_nothing(client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ_WRITE)
    response = submit(client, consultation.slug, secret, {"submission_id": "kiosk-0001", "answers": [
        {"question": "Q1", "value": "9"},
        {"question": "Q2", "value": ["1", "2", "3"]},
        {"question": "Q3", "value": "eleven"},
        {"question": "Q4", "value": "1"},
        {"question": "Q99", "value": "1"},
    ]})
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    errors = {error["field"]: error["message"] for error in response.get_json()["errors"]}
    assert errors["answers.0.value"].startswith("Q1: Choose")
    assert errors["answers.1.value"].startswith("Q2:")
    assert errors["answers.2.value"].startswith("Q3:")
    assert errors["answers.3.value"] == "Q4 takes object: {option code: rank from 1}"
    assert errors["answers.4.question"] == "No question with code 'Q99' in this consultation"
    assert count(Response) == 0


def test_a_missing_required_answer_and_a_malformed_body_are_explained(client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ_WRITE)
    missing = submit(client, consultation.slug, secret, {"submission_id": "kiosk-0001",
                                                         "answers": [{"question": "Q6", "value": "Hello"}]})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == [{"field": "answers", "message": "Q1 is required: Select an answer to question 1"}]
    shapeless = submit(client, consultation.slug, secret, {"submission_id": "x", "answers": "all of them", "colour": "red"})
    fields = {error["field"] for error in shapeless.get_json()["errors"]}
    assert shapeless.status_code == 422 and fields == {"submission_id", "answers", "colour"}
    unreadable = client.post(f"/api/v1/consultations/{consultation.slug}/responses", data="{not json",
                             content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert unreadable.status_code == 400 and unreadable.get_json()["detail"] == "The request body is not valid JSON."
    bad_band = submit(client, consultation.slug, secret, {"submission_id": "kiosk-0002", "answers": full_answers(),
                                                          "respondent": {"age_band": "ancient", "postcode": "nowhere"}})
    assert bad_band.status_code == 422
    assert bad_band.get_json()["errors"][0]["field"] == "respondent.postcode"
    assert count(Response) == 0


def test_a_closed_consultation_takes_no_new_submissions_but_still_answers_a_retry(client):
    consultation = survey()
    _, secret = make_token(TokenScope.READ_WRITE)
    body = {"submission_id": "kiosk-0001", "answers": full_answers()}
    assert submit(client, consultation.slug, secret, body).status_code == 201
    consultation_operations.move_to(consultation, ConsultationStatus.CLOSED)
    assert submit(client, consultation.slug, secret, body).status_code == 200
    closed = submit(client, consultation.slug, secret, {**body, "submission_id": "kiosk-0002"})
    assert closed.status_code == 409 and "is not open" in closed.get_json()["detail"]
    missing = submit(client, "no-such-consultation", secret, body)
    assert missing.status_code == 404
    assert count(Response) == 1
