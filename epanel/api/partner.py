"""Partner submissions: a whole response sent by a partner's own site or kiosk, stored once per submission id.

The answers are read by each question kind's own `parse`, exactly as the web pages read them, and stored
through the answering code's rows and write lock, so a partner response is the same as a web one but for
its channel ("partner"). Sending the same submission id again returns the first result; the same id with
different content is a conflict, never a second response.
"""

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from epanel.api.models import PartnerSubmission
from epanel.common.time import utcnow
from epanel.consultations.kinds import kind_of
from epanel.consultations.operations import lock_structure, new_reference
from epanel.extensions import db
from epanel.panels.profile import ProfileValueError, normalise_postcode
from epanel.panels.queries import age_bands, ward_for_postcode
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus
from epanel.respond.operations import (
    answer_values,
    is_shown,
    keep_loaded_objects_after_commit,
    read_page,
    visible_numbers,
)
from epanel.respond.writing import one_writer

log = logging.getLogger(__name__)


class SubmissionError(ValueError):
    """A submission that cannot be stored; the message is for the partner's developer."""

    status = 422

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


class SubmissionClosed(SubmissionError):
    status = 409


class SubmissionConflict(SubmissionError):
    status = 409


@dataclass
class SubmissionResult:
    response: Response
    created: bool


def content_hash(data: dict) -> str:
    """A hash of what a submission said, to tell a retry from a different submission with the same id."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()).hexdigest()


def answer_format(question) -> str:
    """How a partner sends this question's answer, in words (also in the API's question list)."""
    kind = kind_of(question)
    if kind.has_rows:
        return "object: {row code: option code}"
    if kind.has_choices and "number" in kind.answer_columns:
        return "object: {option code: rank from 1}"
    if kind.has_choices and not kind.exclusive:
        return "list of option codes"
    if kind.has_choices:
        return "option code" + (" (or 'other' with other_text)" if question.allow_other else "")
    if "number" in kind.answer_columns:
        return "number"
    return "text"


def _form_from(consultation, answers: list[dict]) -> tuple[MultiDict, dict[int, object], list[dict]]:
    """The answers as the form fields the kinds read, the value sent per question id, and errors naming fields."""
    by_code = {question.code: question for question in consultation.questions}
    form, sent, errors = MultiDict(), {}, []
    for index, answer in enumerate(answers):
        question = by_code.get(answer["question"])
        if question is None:
            errors.append({"field": f"answers.{index}.question",
                           "message": f"No question with code {answer['question']!r} in this consultation"})
            continue
        if question.id in sent:
            errors.append({"field": f"answers.{index}.question", "message": f"Question {question.code} is answered twice"})
            continue
        value = answer.get("value")
        sent[question.id] = value
        name = f"q{question.id}"
        if value is None:
            continue
        if isinstance(value, bool):
            errors.append({"field": f"answers.{index}.value",
                           "message": f"Question {question.code} takes {answer_format(question)}, not true or false"})
        elif isinstance(value, dict):
            for key, item in value.items():
                form.add(f"{name}-{key}", "" if item is None else str(item))
        elif isinstance(value, list):
            for item in value:
                form.add(name, str(item))
        elif isinstance(value, float) and value.is_integer():
            form.add(name, str(int(value)))  # 7.0 from a JSON encoder is the whole number 7
        else:
            form.add(name, str(value))
        if answer.get("other_text"):
            form.add(f"{name}-other", answer["other_text"])
    return form, sent, errors


def read_submission(consultation, answers: list[dict]) -> dict:
    """Each question's parsed answer by question id, or SubmissionError naming every field that is wrong."""
    form, sent, errors = _form_from(consultation, answers)
    index_of = {question_id: index for index, question_id in enumerate(sent)}
    codes = {question.id: question.code for question in consultation.questions}
    values: dict = {}
    for section in consultation.sections:
        page = read_page(consultation, section, form, values, {q.id: 0 for q in consultation.questions},
                         check_required=False)
        values = page.values
        for question_id, message in page.errors.items():
            errors.append({"field": f"answers.{index_of.get(question_id, codes[question_id])}.value",
                           "message": f"{codes[question_id]}: {message}"})
    by_id = {question.id: question for question in consultation.questions}
    for question_id, value in sent.items():
        parsed = values.get(question_id)
        if value is not None and (parsed is None or parsed.value is None) and is_shown(by_id[question_id], values, by_id) \
                and not any(error["field"] == f"answers.{index_of[question_id]}.value" for error in errors):
            errors.append({"field": f"answers.{index_of[question_id]}.value",
                           "message": f"{codes[question_id]} takes {answer_format(by_id[question_id])}"})
    numbers = visible_numbers(consultation, values)
    for question in sorted(consultation.questions, key=lambda q: numbers[q.id]):
        parsed = values.get(question.id)
        if question.required and is_shown(question, values, by_id) and (parsed is None or parsed.value is None) \
                and question.id not in {qid for qid, value in sent.items() if value is not None}:
            errors.append({"field": "answers", "message": f"{question.code} is required: "
                                                           f"{kind_of(question).missing_message(numbers[question.id])}"})
    if errors:
        named = "; ".join(f"{error['field']}: {error['message']}" for error in errors[:5])
        raise SubmissionError(f"Some answers are not valid: {named}", errors)
    return values


def _snapshot(respondent: dict) -> dict:
    """The analysis attributes a partner may give for an anonymous respondent: postcode (to find the ward) and age band."""
    snapshot, errors = {}, []
    if respondent.get("postcode"):
        try:
            postcode = normalise_postcode(respondent["postcode"])
        except ProfileValueError as error:
            errors.append({"field": "respondent.postcode", "message": str(error)})
        else:
            area = ward_for_postcode(postcode)
            snapshot.update(postcode_district=postcode.split(" ")[0], ward=area.ward if area else None,
                            parish=area.parish if area else None)
    if respondent.get("age_band"):
        bands = [band.label for band in age_bands()]
        if respondent["age_band"] not in bands:
            errors.append({"field": "respondent.age_band", "message": f"Use one of: {', '.join(bands)}"})
        else:
            snapshot["age_band"] = respondent["age_band"]
    if errors:
        raise SubmissionError(f"The respondent's details are not valid: {errors[0]['field']}: {errors[0]['message']}", errors)
    return snapshot


def find_submission(consultation, submission_id: str) -> Response | None:
    return db.session.scalar(db.select(Response).where(Response.consultation_id == consultation.id,
                                                       Response.submission_id == submission_id))


def _repeat(response: Response, digest: str) -> SubmissionResult:
    """The first result again for a retry; a conflict when the same id came with different content."""
    stored = db.session.scalar(db.select(PartnerSubmission.content_hash).where(PartnerSubmission.response_id == response.id))
    if stored != digest:
        raise SubmissionConflict(
            f"Submission id {response.submission_id} was already used, with different content, for response "
            f"{response.reference}. Send a new response with a new submission id.",
            [{"field": "submission_id", "message": "Already used for a different submission"}])
    return SubmissionResult(response, created=False)


def submit_partner_response(consultation, token, data: dict) -> SubmissionResult:
    """Store a partner's complete response once (`token` is the calling token); a retry returns the first result."""
    keep_loaded_objects_after_commit()  # the result is read from the new row: no reload after the commit
    digest = content_hash(data)
    if not consultation.is_open:
        existing = find_submission(consultation, data["submission_id"])
        if existing is not None:
            return _repeat(existing, digest)
        raise SubmissionClosed(f"Consultation {consultation.slug} is not open for responses (it is {consultation.status.value})")
    values = read_submission(consultation, data["answers"])
    snapshot = _snapshot(data.get("respondent") or {})
    by_id = {question.id: question for question in consultation.questions}
    rows = [row for question_id, parsed in values.items()
            if parsed.value is not None and is_shown(by_id[question_id], values, by_id)
            for row in answer_values(None, by_id[question_id], parsed)]
    now = utcnow()
    with one_writer():
        response = Response(consultation_id=consultation.id, submission_id=data["submission_id"], reference=new_reference(),
                            channel=ResponseChannel.PARTNER, status=ResponseStatus.COMPLETE, started_at=now,
                            submitted_at=now, pages_done=len(consultation.sections), **snapshot)
        db.session.add(response)
        try:
            # Most submissions are new, so the unique (consultation, submission id) constraint finds repeats
            # rather than a query before every insert.
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            existing = find_submission(consultation, data["submission_id"])
            if existing is None:
                raise
            return _repeat(existing, digest)
        for row in rows:
            row["response_id"] = response.id
        if rows:
            db.session.execute(db.insert(Answer).execution_options(render_nulls=True), rows)
        db.session.execute(db.insert(PartnerSubmission).values(response_id=response.id, token_id=token.id,
                                                               content_hash=digest, created_at=now))
        lock_structure(consultation)
        db.session.commit()
    log.info("response %s submitted on %s through the API by token %s", response.id, consultation.slug, token.id)
    return SubmissionResult(response, created=True)
