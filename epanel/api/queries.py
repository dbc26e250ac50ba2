"""Reads for the API, as plain dicts in the shapes of epanel/api/schemas.py.

Aggregate results go through the one public rule (epanel/analysis/suppression.py): every figure
resting on fewer than MIN_PUBLIC_BASE respondents is withheld, whoever asks, because API results
end up on partners' sites."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_results
from epanel.analysis.suppression import MIN_PUBLIC_BASE, public_shares, publishable
from epanel.api.partner import answer_format
from epanel.consultations.kinds import OTHER
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import Response, ResponseStatus
from epanel.respond.operations import read_answers, values_from_answers


def consultation_summary(consultation) -> dict:
    return {"slug": consultation.slug, "title": consultation.title, "summary": consultation.summary or "",
            "theme": consultation.theme or "", "status": consultation.status.value, "opens_at": consultation.opens_at,
            "closes_at": consultation.closes_at, "accepts_responses": consultation.is_open}


def list_consultations(page: int, per_page: int, status: str | None = None) -> dict:
    query = select(Consultation)
    if status:
        query = query.where(Consultation.status == ConsultationStatus(status))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Consultation.created_at.desc(), Consultation.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    return {"items": [consultation_summary(row) for row in rows], "page": page, "per_page": per_page, "total": total}


def describe_questions(consultation) -> list[dict]:
    """Every question in order, with its options, rows and how to answer it."""
    codes = {question.id: question.code for question in consultation.questions}
    page_of = {section.id: number for number, section in enumerate(consultation.sections, start=1)}
    described = []
    ordered = sorted(consultation.questions, key=lambda q: (page_of.get(q.section_id, 0), q.position))
    for number, question in enumerate(ordered, start=1):
        condition = question.condition or None
        described.append({
            "code": question.code, "number": number, "page": page_of.get(question.section_id, 1),
            "kind": question.kind, "text": question.text, "help_text": question.help_text or "",
            "required": question.required, "allow_other": question.allow_other,
            "options": [{"code": option.code, "label": option.label} for option in question.choices],
            "rows": [{"code": option.code, "label": option.label} for option in question.rows],
            "settings": dict(question.settings or {}),
            "shown_if": {"question": codes.get(condition.get("question_id"), ""),
                         "option_codes": list(condition.get("option_codes", []))} if condition else None,
            "answer_format": answer_format(question),
        })
    return described


def consultation_detail(consultation) -> dict:
    return {**consultation_summary(consultation), "body": consultation.body or "",
            "questions": describe_questions(consultation)}


def get_api_consultation(slug: str) -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug).options(
        selectinload(Consultation.questions), selectinload(Consultation.sections)))


def _shares(lines, base) -> list[dict]:
    return [{"code": line.code, "label": share.label, "count": share.count, "percent": share.percent,
             "suppressed": share.suppressed} for line, share in zip(lines, public_shares(lines, base))]


def public_results(consultation, filters: dict) -> dict:
    """Aggregate results, complete responses only, with every small group withheld."""
    response_filter = ResponseFilter(**{name: value for name, value in filters.items() if value})
    results = get_results(consultation, response_filter)
    questions = []
    for result in results.questions:
        base = result.answered
        shown = publishable(base)
        numbers = None
        if result.numbers is not None and shown:
            numbers = {"mean": result.numbers.mean, "median": result.numbers.median,
                       "minimum": result.numbers.minimum, "maximum": result.numbers.maximum}
        rows = [{"code": code, "label": label, "base": int(round(row_base)) if publishable(row_base) else None,
                 "suppressed": not publishable(row_base), "shares": _shares(lines, row_base)}
                for code, label, row_base, lines in result.grid]
        questions.append({
            "code": result.question.code, "number": result.number, "text": result.question.text,
            "kind": result.question.kind, "shape": result.summary.shape,
            "base": int(round(base)) if shown else None, "suppressed": not shown,
            "shares": _shares(result.lines, base), "rows": rows, "numbers": numbers,
        })
    overall = publishable(results.responses)
    return {"consultation": consultation.slug, "min_base": MIN_PUBLIC_BASE,
            "responses": results.responses if overall else None, "suppressed": not overall,
            "filters": {name: value for name, value in filters.items() if value}, "questions": questions}


def list_responses(consultation, page: int, per_page: int, status: str) -> dict:
    """Individual responses with their answers by question code (for tokens allowed to read them)."""
    query = select(Response).where(Response.consultation_id == consultation.id)
    if status == "complete":
        query = query.where(Response.status == ResponseStatus.COMPLETE)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(db.session.scalars(query.order_by(Response.id).limit(per_page).offset((page - 1) * per_page)))
    codes = {question.id: question.code for question in consultation.questions}
    order = {question.id: number for number, question in enumerate(consultation.questions)}
    items = []
    for response in rows:
        values = values_from_answers(read_answers(response), consultation)
        answers = [{"question": codes[question_id], "value": _plain(parsed.value), "other_text": parsed.other_text or None}
                   for question_id, parsed in sorted(values.items(), key=lambda item: order.get(item[0], 0))
                   if parsed.value is not None]
        items.append({"reference": response.reference, "submission_id": response.submission_id,
                      "channel": response.channel.value, "status": response.status.value,
                      "started_at": response.started_at, "submitted_at": response.submitted_at,
                      "age_band": response.age_band, "gender": response.gender, "ward": response.ward,
                      "answers": answers})
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _plain(value):
    """An answer's value as JSON: sets as sorted lists, "other" kept as the code it is."""
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    if isinstance(value, list):
        return list(value)
    return OTHER if value == OTHER else value
