"""Answering a consultation: starting a response, saving each page, and the final, idempotent submit.

Answers are saved page by page, so a person who closes the browser resumes where
they stopped. The final submit is a conditional update guarded by unique
constraints (one response per invitation, one per submission id), so a double
click, a retry or two tabs make one response.
"""

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import request
from sqlalchemy.exc import IntegrityError

from epanel.accounts.queries import get_user
from epanel.common.links import hash_secret
from epanel.common.time import utcnow
from epanel.consultations.kinds import OTHER, AnswerRow, Parsed, kind_of
from epanel.consultations.models import Consultation, Invitation, Question, Section
from epanel.consultations.operations import lock_structure, new_reference
from epanel.extensions import db
from epanel.mail import send_templated_mail
from epanel.panels.models import Group, Member
from epanel.panels.profile import age_on, band_for
from epanel.panels.queries import age_bands, ward_for_postcode
from epanel.privacy.audit import record_audit_event
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus
from epanel.respond.writing import one_writer

log = logging.getLogger(__name__)


class RespondError(ValueError):
    """Something about answering that cannot go ahead; the message is for the respondent."""


class SubmissionConflict(RespondError):
    """The same submission arrived with different answers (another tab changed them)."""


@dataclass
class MissingAnswers(RespondError):
    """Required answers are missing; page is the first page that needs attention."""

    page: int
    errors: dict

    def __str__(self):
        return "Some required questions have not been answered"


@dataclass
class Respondent:
    """Who is answering and how: an invited member, the public, an officer keying paper, a group."""

    channel: ResponseChannel = ResponseChannel.WEB
    invitation: Invitation | None = None
    member: Member | None = None
    group: Group | None = None
    keyed_by: object = None
    assisted: bool = False
    submission_id: str | None = None
    referral_group_id: int | None = None  # the community group whose tracked link brought them


def keep_loaded_objects_after_commit() -> None:
    """Answering commits several times a request; reloading the whole survey after each commit
    costs more than the answers themselves. Nothing in this flow changes the survey, and the
    conditional update that completes a response sets its new values on the loaded object."""
    db.session().expire_on_commit = False


def read_without_transaction() -> None:
    """A page that only reads (GET) runs its queries without BEGIN and ROLLBACK around them. Under
    PostgreSQL's read committed each query sees the committed data either way, and those two round trips
    cost more than the page's own queries. A write on such a page commits as it goes. (A request that
    has already queried, to load a signed-in user, keeps its transaction.)"""
    if request.method == "GET" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def new_submission_id() -> str:
    return secrets.token_hex(16)


# --- finding and starting -------------------------------------------------------------


def find_response(consultation: Consultation, respondent: Respondent) -> Response | None:
    query = db.select(Response).where(Response.consultation_id == consultation.id)
    if respondent.invitation is not None:
        query = query.where(Response.invitation_id == respondent.invitation.id)
    elif respondent.submission_id:
        query = query.where(Response.submission_id == respondent.submission_id)
    else:
        return None
    return db.session.scalar(query)


def start_response(consultation: Consultation, respondent: Respondent) -> Response:
    """The respondent's response, created on first use; two racing requests still make one."""
    existing = find_response(consultation, respondent)
    if existing is not None:
        return existing
    with one_writer():
        response, _ = _add_response(consultation, respondent)
        db.session.commit()
    return response


def _add_response(consultation: Consultation, respondent: Respondent, pages_done: int = 0) -> tuple[Response, bool]:
    """Insert the respondent's response in the current transaction, or find the one a racing request made;
    the flag says whether it is new."""
    if not consultation.is_open:
        raise RespondError("This consultation is not open")
    response = Response(
        consultation_id=consultation.id,
        submission_id=respondent.submission_id or new_submission_id(),
        reference=new_reference(),
        channel=respondent.channel,
        member_id=respondent.member.id if respondent.member else None,
        invitation_id=respondent.invitation.id if respondent.invitation else None,
        group_id=respondent.group.id if respondent.group else None,
        group_size=respondent.group.size if respondent.group else None,
        keyed_by_id=getattr(respondent.keyed_by, "id", None),
        assisted=respondent.assisted,
        referral_group_id=respondent.referral_group_id,
        pages_done=pages_done,
    )
    db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # another request created it first: use that one
        existing = find_response(consultation, respondent)
        if existing is None:
            raise
        return existing, False
    lock_structure(consultation)
    if respondent.invitation is not None and respondent.invitation.started_at is None:
        respondent.invitation.started_at = utcnow()
    log.info("response %s started on %s by %s", response.id, consultation.slug, respondent.channel.value)
    return response, True


def mark_invitation_opened(invitation: Invitation) -> None:
    if invitation.opened_at is None:
        with one_writer():
            invitation.opened_at = utcnow()
            db.session.commit()


# --- values and visibility ---------------------------------------------------------------


def read_answers(response: Response | None) -> list:
    """The stored answer rows of a response, as plain rows in the order they were saved; one query."""
    if response is None:
        return []
    return db.session.execute(
        db.select(Answer.id, Answer.question_id, Answer.option_id, Answer.row_id, Answer.number, Answer.text)
        .where(Answer.response_id == response.id).order_by(Answer.id)
    ).all()


def values_from_answers(answers: list, consultation: Consultation) -> dict[int, Parsed]:
    """Answer rows (from `read_answers`) read back into each kind's plain value, by question id."""
    questions = {question.id: question for question in consultation.questions}
    options = {option.id: option for question in consultation.questions for option in question.options}
    by_question: dict[int, list[AnswerRow]] = {}
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            continue
        option = options.get(answer.option_id)
        row = options.get(answer.row_id)
        by_question.setdefault(answer.question_id, []).append(AnswerRow(
            option_code=option.code if option else (OTHER if answer.option_id is None and answer.text is not None
                                                    and kind_of(question).has_choices else None),
            row_code=row.code if row else None, number=answer.number, text=answer.text,
        ))
    return {qid: kind_of(questions[qid]).from_rows(questions[qid], rows) for qid, rows in by_question.items()}


def load_values(response: Response | None, consultation: Consultation) -> dict[int, Parsed]:
    """Saved answers, read back into each kind's plain value, by question id."""
    return values_from_answers(read_answers(response), consultation)


def has_conditions(consultation: Consultation) -> bool:
    """True when some question is shown only after certain answers, so saved answers decide what is shown."""
    return any(question.condition for question in consultation.questions)


def is_shown(question: Question, values: dict[int, Parsed], questions_by_id: dict[int, Question]) -> bool:
    """True unless the question's show-only-if condition on an earlier answer fails."""
    condition = question.condition
    if not condition:
        return True
    earlier = questions_by_id.get(condition.get("question_id"))
    if earlier is None or not is_shown(earlier, values, questions_by_id):
        return False
    parsed = values.get(earlier.id)
    chosen = kind_of(earlier).chosen_codes(parsed) if parsed and parsed.value is not None else set()
    return bool(chosen & set(condition.get("option_codes", [])))


def visible_numbers(consultation: Consultation, values: dict[int, Parsed]) -> dict[int, int]:
    """Question id -> the number shown to this respondent: questions hidden by a condition take no number."""
    by_id = {q.id: q for q in consultation.questions}
    shown = [q for q in sorted(consultation.questions, key=lambda q: q.position) if is_shown(q, values, by_id)]
    numbers = {question.id: number for number, question in enumerate(shown, start=1)}
    # A hidden question still needs a number for messages, should it appear after this answer.
    for question in consultation.questions:
        numbers.setdefault(question.id, len(shown) + 1)
    return numbers


def newly_shown(section: Section, before: dict[int, Parsed], after: dict[int, Parsed],
                consultation: Consultation) -> list[Question]:
    """Unanswered questions on this page that an answer on the same page has just revealed."""
    by_id = {q.id: q for q in consultation.questions}
    return [q for q in section.questions if is_shown(q, after, by_id) and not is_shown(q, before, by_id)
            and (after.get(q.id) is None or after[q.id].value is None)]


def pages(consultation: Consultation, values: dict[int, Parsed]) -> list[Section]:
    """The sections a respondent sees, given their answers so far (pages with nothing to show are skipped)."""
    by_id = {q.id: q for q in consultation.questions}
    return [s for s in consultation.sections if any(is_shown(q, values, by_id) for q in s.questions)]


# --- saving a page ----------------------------------------------------------------------


@dataclass
class PageResult:
    values: dict[int, Parsed]
    errors: dict[int, str] = field(default_factory=dict)


def read_page(consultation: Consultation, section: Section, form, saved: dict[int, Parsed], numbers: dict[int, int],
              *, check_required: bool = True) -> PageResult:
    """Read and check one page's answers from a submitted form, on top of what was saved before."""
    values = dict(saved)
    errors = {}
    by_id = {q.id: q for q in consultation.questions}
    for question in section.questions:
        parsed = kind_of(question).parse(question, form)
        values[question.id] = parsed
    for question in section.questions:
        if not is_shown(question, values, by_id):
            values.pop(question.id, None)
            continue
        parsed = values[question.id]
        if parsed.error:
            errors[question.id] = parsed.error
        elif parsed.value is None and question.required and check_required:
            errors[question.id] = kind_of(question).missing_message(numbers[question.id])
    return PageResult(values, errors)


def save_page(response: Response | None, consultation: Consultation, section: Section, result: PageResult,
              page_number: int, *, respondent: Respondent | None = None) -> Response:
    """Store this page's good answers, replacing earlier ones, and drop answers to hidden questions.

    With no response yet, the respondent's is started in the same transaction: the page
    and the response are committed together, once."""
    _check_can_change(consultation)
    if response is None and respondent is None:
        raise ValueError("save_page needs the respondent to start a response")
    # Worked out before writing, so the write itself is short.
    by_id = {q.id: q for q in consultation.questions}
    page_ids = [q.id for q in section.questions]
    hidden = [q.id for q in consultation.questions if q.id not in page_ids
              and not is_shown(q, result.values, by_id) and q.id in result.values]
    rows = [values
            for question in section.questions
            if (parsed := result.values.get(question.id)) is not None and parsed.value is not None
            and question.id not in result.errors
            for values in answer_values(None, question, parsed)]
    with one_writer():
        fresh = False  # a response started here has no answers to replace, and its pages_done is set
        if response is None:
            response, fresh = _add_response(consultation, respondent, pages_done=page_number)
        if not fresh:
            # Updating the response first locks its row, so two saves of one response (a double click)
            # take turns and the second deletes what the first inserted.
            db.session.execute(
                db.update(Response).where(Response.id == response.id)
                .values(pages_done=sa.case((Response.pages_done < page_number, page_number),
                                           else_=Response.pages_done),
                        updated_at=utcnow())
                .execution_options(synchronize_session="fetch")
            )
            db.session.execute(db.delete(Answer).where(Answer.response_id == response.id,
                                                       Answer.question_id.in_(page_ids + hidden)))
        if rows:
            for row in rows:
                row["response_id"] = response.id
            # render_nulls: rows without an option or a text still make one statement for the page, not several.
            db.session.execute(db.insert(Answer).execution_options(render_nulls=True), rows)
        db.session.commit()
    return response


def answer_values(response_id: int | None, question: Question, parsed: Parsed) -> list[dict]:
    """The column values of the long-form Answer rows for one question's answer."""
    codes = {(option.role, option.code): option.id for option in question.options}
    rows = []
    for row in kind_of(question).to_rows(question, parsed):
        option_id = codes.get(("choice", row.option_code)) if row.option_code not in (None, OTHER) else None
        rows.append(dict(
            response_id=response_id, question_id=question.id, option_id=option_id,
            row_id=codes.get(("row", row.row_code)) if row.row_code else None,
            number=row.number, text=row.text if row.option_code != OTHER else (row.text or ""),
        ))
    return rows


def answer_rows(response: Response, question: Question, parsed: Parsed) -> list[Answer]:
    """The long-form Answer rows for one question's answer."""
    return [Answer(**values) for values in answer_values(response.id, question, parsed)]


def _check_can_change(consultation: Consultation) -> None:
    if not consultation.is_open:
        raise RespondError("This consultation has closed, so answers can no longer be changed")


# --- submitting --------------------------------------------------------------------------


def answers_fingerprint(response: Response, answers: list | None = None) -> str:
    """A short hash of the stored answers: the check page carries it so a stale page is noticed.

    `answers` are the rows `read_answers` gave earlier in the same request, so they are read once."""
    answers = read_answers(response) if answers is None else answers
    ordered = sorted(answers, key=lambda a: (a.question_id, a.option_id is not None, a.option_id or 0,
                                             a.row_id is not None, a.row_id or 0, a.id))
    content = [[a.question_id, a.option_id, a.row_id, a.number, a.text] for a in ordered]
    return hashlib.sha256(json.dumps(content, default=str).encode()).hexdigest()[:16]


def missing_required(consultation: Consultation, values: dict[int, Parsed], numbers: dict[int, int]) -> MissingAnswers | None:
    by_id = {q.id: q for q in consultation.questions}
    visible_pages = pages(consultation, values)
    for page_number, section in enumerate(visible_pages, start=1):
        errors = {
            q.id: kind_of(q).missing_message(numbers[q.id])
            for q in section.questions
            if q.required and is_shown(q, values, by_id) and (values.get(q.id) is None or values[q.id].value is None)
        }
        if errors:
            return MissingAnswers(page_number, errors)
    return None


def submit_response(response: Response, consultation: Consultation, *, submission_id: str, fingerprint: str,
                    numbers: dict[int, int], snapshot: dict | None = None, answers: list | None = None) -> Response:
    """Complete the response once; repeating the same submission is harmless, a changed one is a conflict.

    `answers` are the response's rows from `read_answers` earlier in this request, when the caller has them."""
    if submission_id != response.submission_id:
        raise RespondError("This form belongs to a different response. Go back to the start of the consultation.")
    _check_can_change(consultation)
    answers = read_answers(response) if answers is None else answers
    if fingerprint != answers_fingerprint(response, answers):
        raise SubmissionConflict("Your answers were changed in another window. Check them below, then submit again.")
    values = values_from_answers(answers, consultation)
    missing = missing_required(consultation, values, numbers)
    if missing:
        raise missing
    now = utcnow()
    snapshot_values = _snapshot(response, snapshot)
    with one_writer():
        completed = db.session.execute(
            db.update(Response)
            .where(Response.id == response.id, Response.status == ResponseStatus.IN_PROGRESS)
            .values(status=ResponseStatus.COMPLETE, submitted_at=now, updated_at=now, **snapshot_values)
        ).rowcount
        if completed:
            if response.invitation is not None and response.invitation.completed_at is None:
                response.invitation.completed_at = now
            if response.keyed_by_id:
                record_audit_event(get_user(response.keyed_by_id), "response.keyed", "response", response.id,
                                   channel=response.channel.value, assisted=response.assisted)
            log.info("response %s submitted on %s", response.id, consultation.slug)
        else:
            response.updated_at = now  # an edit after submission, or a repeated click: still one response
        # The ORM update above has already set the new values on `response` (synchronize_session): no reload.
        db.session.commit()
    return response


def member_snapshot(member: Member, today: date | None = None) -> dict:
    """A member's analysis attributes as a response keeps them."""
    return {
        "age_band": band_for(age_on(member.date_of_birth, today or date.today()), age_bands()),
        "gender": member.gender, "ward": member.ward, "parish": member.parish,
        "postcode_district": (member.postcode or "").split(" ")[0] or None,
        "panels": ";".join(p.slug for p in member.panels)[:200] or None,
    }


def _snapshot(response: Response, given: dict | None) -> dict:
    """The analysis attributes frozen with the response: from the member's profile, or what the public gave."""
    member = db.session.get(Member, response.member_id) if response.member_id else None
    if member is not None:
        return member_snapshot(member)
    given = given or {}
    area = ward_for_postcode(given["postcode"]) if given.get("postcode") else None
    return {
        "age_band": given.get("age_band") or None,
        "ward": area.ward if area else None,
        "parish": area.parish if area else None,
        "postcode_district": given["postcode"].split(" ")[0] if given.get("postcode") else None,
        "contact_email": given.get("email") or None,
    }


def record_complete_response(consultation: Consultation, values: dict[int, Parsed], *, channel: ResponseChannel,
                             member: Member | None = None, submitted_at=None, snapshot: dict | None = None) -> Response:
    """Store a whole, finished response in one go (imports, demo data, channels that answer all at once).

    The caller commits, so many responses can share one transaction."""
    response = Response(
        consultation_id=consultation.id, submission_id=new_submission_id(), reference=new_reference(),
        channel=channel, status=ResponseStatus.COMPLETE, member_id=member.id if member else None,
        submitted_at=submitted_at or utcnow(), started_at=submitted_at or utcnow(), **(snapshot or {}),
    )
    db.session.add(response)
    db.session.flush()
    by_id = {q.id: q for q in consultation.questions}
    for question_id, parsed in values.items():
        question = by_id[question_id]
        if parsed.value is not None and is_shown(question, values, by_id):
            db.session.add_all(answer_rows(response, question, parsed))
    lock_structure(consultation)
    return response


# --- after sending: a copy of the answers, and confirming public responses by e-mail ---------


def answers_as_text(response: Response, consultation: Consultation) -> str:
    """The response as plain text, question by question, for e-mailed copies."""
    values = load_values(response, consultation)
    numbers = visible_numbers(consultation, values)
    by_id = {q.id: q for q in consultation.questions}
    lines = []
    for question in sorted(consultation.questions, key=lambda q: q.position):
        if not is_shown(question, values, by_id):
            continue
        parsed = values.get(question.id)
        described = kind_of(question).describe(question, parsed) if parsed else []
        lines.append(f"{numbers[question.id]}. {question.text}")
        lines.extend(f"   {line}" for line in (described or ["Not answered"]))
        lines.append("")
    return "\n".join(lines)


def needs_email_confirmation(response: Response, consultation: Consultation) -> bool:
    return consultation.public_needs_email and response.member_id is None and response.email_confirmed_at is None


def send_after_submit(response: Response, consultation: Consultation, *, copy_to: str | None, confirm_url) -> None:
    """E-mail a confirmation link (when the consultation asks the public to confirm) or a copy of the answers."""
    if needs_email_confirmation(response, consultation) and response.contact_email:
        token = secrets.token_urlsafe(24)
        response.confirmation_hash = hash_secret(token)
        db.session.commit()
        send_templated_mail(response.contact_email, "confirm_response", consultation=consultation,
                            response=response, link=confirm_url(token),
                            answers=answers_as_text(response, consultation))
    elif copy_to:
        send_templated_mail(copy_to, "response_copy", consultation=consultation, response=response,
                            answers=answers_as_text(response, consultation))


def find_response_to_confirm(token: str) -> Response | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(db.select(Response).where(
        Response.confirmation_hash == hash_secret(token)))


def confirm_response_email(response: Response) -> None:
    """The respondent proved the e-mail address: their response now counts."""
    if response.email_confirmed_at is None:
        response.email_confirmed_at = utcnow()
        db.session.commit()
        log.info("response %s confirmed by e-mail", response.id)
