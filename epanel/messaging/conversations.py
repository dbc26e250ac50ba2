"""Conversations by text: SMS polls, short surveys one question at a time, and joining a panel by text.

A number is in at most one conversation at a time (an SmsConversation row without
finished_at), so a reply such as "2" can be read in context. Surveys keep their answers in
the conversation until the last one, then store the whole response at once with channel sms;
a member who stops halfway resumes at the same question, whenever they next reply.

Nothing here commits: receive() (epanel.messaging.inbound) and the campaigns that call
start_sms_survey() commit what these functions add to the session.
"""

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from epanel.common.links import external_url, hash_secret
from epanel.common.time import utcnow
from epanel.consultations.kinds import Parsed, kind_of
from epanel.consultations.models import Consultation, ConsultationStatus, Invitation, Question
from epanel.extensions import db
from epanel.messaging.models import ConversationKind, InboundKind, InboundMessage, Message, SmsConversation
from epanel.messaging.outbox import queue_sms
from epanel.panels import signup
from epanel.panels.models import Member, Panel
from epanel.panels.profile import ProfileValueError, age_on, normalise_postcode
from epanel.panels.queries import get_panel_by_slug
from epanel.respond.models import ResponseChannel
from epanel.respond.operations import (
    Respondent,
    find_response,
    is_shown,
    member_snapshot,
    record_complete_response,
)

log = logging.getLogger(__name__)

MAX_SURVEY_QUESTIONS = 10  # longer than this is a web survey, not a text conversation
# Past this, a half-finished conversation is forgotten and the next text is read afresh.
CONVERSATION_LIFETIME = timedelta(days=30)
UNCLEAR_BEFORE_OFFICER = 2  # the first unclear reply gets a retry prompt, the second goes to an officer
# An unreadable reply longer than this is a message for a person, not a stab at an answer.
MAX_ANSWER_WORDS = 4


class SmsSurveyError(ValueError):
    """A consultation that cannot be answered by text, or a member who cannot be texted; for the officer."""


@dataclass(frozen=True)
class Handled:
    """What a text was taken as, the reply to send back (None: no reply), and whether an officer must see it."""

    kind: InboundKind
    reply: str | None = None
    needs_officer: bool = False


# --- finding a number's conversation -----------------------------------------------------------


def active_conversation(number: str) -> SmsConversation | None:
    """The number's unfinished conversation, if it has one that is still fresh."""
    return db.session.scalar(
        select(SmsConversation)
        .where(SmsConversation.number == number, SmsConversation.finished_at.is_(None),
               SmsConversation.updated_at >= utcnow() - CONVERSATION_LIFETIME)
        .order_by(SmsConversation.updated_at.desc(), SmsConversation.id.desc()).limit(1)
    )


def end_conversations(number: str, reason: str) -> None:
    """Finish every open conversation of a number (it said STOP, or started another)."""
    now = utcnow()
    for conversation in db.session.scalars(
        select(SmsConversation).where(SmsConversation.number == number, SmsConversation.finished_at.is_(None))
    ):
        conversation.finished_at = now
        conversation.data = {**(conversation.data or {}), "ended": reason}


def continue_conversation(inbound: InboundMessage, member: Member | None) -> Handled | None:
    """Read a text as the next step of the number's conversation, or as an answer to an SMS poll the
    member was invited to; None when it is neither."""
    conversation = active_conversation(inbound.from_number)
    if conversation is None and member is not None:
        conversation = _conversation_from_invitation(member)
    if conversation is None:
        return None
    if conversation.kind is ConversationKind.JOIN:
        return _join_step(conversation, inbound)
    return _survey_step(conversation, inbound, member)


def _unclear(conversation: SmsConversation, body: str, prompt: str) -> Handled:
    """One helpful retry prompt; the next unclear reply goes to an officer as well."""
    conversation.unclear_replies = (conversation.unclear_replies or 0) + 1
    conversation.updated_at = utcnow()
    if conversation.unclear_replies >= UNCLEAR_BEFORE_OFFICER:
        conversation.unclear_replies = 0
        return Handled(InboundKind.UNCLEAR, f"Sorry, we still could not read that, so we have passed it to our "
                                            f"team. {prompt}", needs_officer=True)
    return Handled(InboundKind.UNCLEAR, f"Sorry, we could not read that. {prompt}")


def _looks_like_an_attempt(body: str) -> bool:
    return 0 < len(body.split()) <= MAX_ANSWER_WORDS


# --- SMS polls and surveys ---------------------------------------------------------------------


def sms_questions(consultation: Consultation) -> list[Question]:
    """The questions asked by text: those given an SMS code, or, when none has one, every question."""
    questions = sorted(consultation.questions, key=lambda q: q.position)
    coded = [question for question in questions if question.sms_code]
    return coded or questions


def sms_survey_problem(consultation: Consultation) -> str | None:
    """Why this consultation cannot be answered by text, in words for an officer; None when it can."""
    if not consultation.for_sms_poll:
        return "This consultation is not set up to be answered by text message"
    if consultation.status is not ConsultationStatus.OPEN:
        return "This consultation is not open"
    questions = sms_questions(consultation)
    if not questions:
        return "This consultation has no questions"
    if len(questions) > MAX_SURVEY_QUESTIONS:
        return f"Only consultations of up to {MAX_SURVEY_QUESTIONS} questions can be answered by text"
    cannot = [question.code for question in questions if not kind_of(question).by_sms]
    if cannot:
        return f"These questions cannot be answered by text: {', '.join(cannot)}"
    return None


def start_sms_survey(member: Member, consultation: Consultation) -> Message:
    """Text the member the first question (or, resuming, the question they stopped at).

    Adds the outbox row to the caller's transaction; the caller commits. Raises SmsSurveyError
    when the consultation cannot be answered by text or the member has no mobile.
    """
    problem = sms_survey_problem(consultation)
    if problem:
        raise SmsSurveyError(problem)
    if not member.mobile:
        raise SmsSurveyError("This member has no mobile number")
    invitation = _invitation(member, consultation)
    if invitation is not None and invitation.completed_at is not None:
        raise SmsSurveyError("This member has already answered")
    conversation = active_conversation(member.mobile)
    if conversation is None or conversation.consultation_id != consultation.id:
        conversation = _new_survey(member, consultation, member.mobile)
    question = db.session.get(Question, int(conversation.step))
    values = _values(conversation)
    opening = (f"{current_app.config['COUNCIL_NAME']}: {consultation.title}. "
               + ("Please answer by text. " if not values else "Carry on where you left off. "))
    body = opening + _ask(question, conversation) + "\nText STOP to opt out."
    log.info("SMS %s of %s to member %s", conversation.kind.value, consultation.slug, member.id)
    return queue_sms(member.mobile, body, purpose=f"sms_{conversation.kind.value}", member_id=member.id)


def _new_survey(member: Member, consultation: Consultation, number: str) -> SmsConversation:
    end_conversations(number, f"started {consultation.slug}")
    questions = sms_questions(consultation)
    conversation = SmsConversation(
        number=number, member=member, consultation=consultation,
        kind=ConversationKind.POLL if len(questions) == 1 else ConversationKind.SURVEY,
        step=str(questions[0].id), data={"answers": {}, "asked": 1}, unclear_replies=0,
        started_at=utcnow(), updated_at=utcnow(),
    )
    db.session.add(conversation)
    db.session.flush()
    return conversation


def _conversation_from_invitation(member: Member) -> SmsConversation | None:
    """A reply with no conversation open may still answer an SMS poll the member was invited to:
    the newest open one they have not answered."""
    invitations = db.session.scalars(
        select(Invitation).join(Consultation, Invitation.consultation_id == Consultation.id)
        .where(Invitation.member_id == member.id, Invitation.revoked_at.is_(None),
               Invitation.completed_at.is_(None), Consultation.for_sms_poll.is_(True),
               Consultation.status == ConsultationStatus.OPEN)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    for invitation in invitations:
        if sms_survey_problem(invitation.consultation) is None:
            return _new_survey(member, invitation.consultation, member.mobile)
    return None


def _values(conversation: SmsConversation) -> dict[int, Parsed]:
    answers = (conversation.data or {}).get("answers", {})
    return {int(question_id): Parsed(value=value) for question_id, value in answers.items()}


def _ask(question: Question, conversation: SmsConversation) -> str:
    prompt = f"{question.text}\n{kind_of(question).sms_prompt(question)}"
    if conversation.kind is ConversationKind.SURVEY:
        return f"Question {(conversation.data or {}).get('asked', 1)}: {prompt}"
    return prompt


def _survey_step(conversation: SmsConversation, inbound: InboundMessage, member: Member | None) -> Handled:
    consultation = conversation.consultation
    title = consultation.title if consultation else "that consultation"
    if consultation is None or consultation.status is not ConsultationStatus.OPEN:
        end_conversations(conversation.number, "consultation closed")
        return Handled(InboundKind.OTHER, f"Sorry, {title} has closed, so we could not take your answer.")
    if member is None or member.id != conversation.member_id:
        end_conversations(conversation.number, "number no longer belongs to the member")
        return Handled(InboundKind.OTHER, needs_officer=True)
    invitation = _invitation(member, consultation)
    if invitation is not None and (invitation.completed_at is not None
                                   or find_response(consultation, Respondent(invitation=invitation)) is not None):
        end_conversations(conversation.number, "answered another way")
        return Handled(InboundKind.OTHER, f"You have already answered {title} online. Thank you.")
    question = db.session.get(Question, int(conversation.step))
    if question is None or question.consultation_id != consultation.id:
        end_conversations(conversation.number, "question removed")
        return Handled(InboundKind.OTHER, needs_officer=True)
    kind = kind_of(question)
    parsed = kind.parse_sms_reply(question, inbound.body)
    if parsed.error or parsed.value is None:
        if parsed.value is None and not _looks_like_an_attempt(inbound.body):
            return Handled(InboundKind.OTHER, needs_officer=True)  # a message for a person, not an answer
        return _unclear(conversation, inbound.body, kind.sms_prompt(question))

    answers = dict((conversation.data or {}).get("answers", {}))
    answers[str(question.id)] = parsed.value
    values = {int(qid): Parsed(value=value) for qid, value in answers.items()}
    conversation.unclear_replies = 0
    conversation.updated_at = utcnow()
    following = _next_question(consultation, question, values)
    if following is not None:
        conversation.step = str(following.id)
        conversation.data = {**conversation.data, "answers": answers,
                             "asked": (conversation.data or {}).get("asked", 1) + 1}
        return Handled(InboundKind.ANSWER, _ask(following, conversation))

    conversation.data = {**conversation.data, "answers": answers}
    response = _store_response(consultation, values, member, invitation)
    conversation.data = {**conversation.data, "response_id": response.id}
    conversation.finished_at = utcnow()
    if conversation.kind is ConversationKind.POLL:
        answer = "; ".join(kind.describe(question, parsed))
        return Handled(InboundKind.ANSWER, f"Thank you. We have your answer to {title}: {answer}"[:300])
    return Handled(InboundKind.ANSWER, f"Thank you, that was the last question. We have your answers to {title}.")


def _invitation(member: Member, consultation: Consultation) -> Invitation | None:
    return db.session.scalar(select(Invitation).where(
        Invitation.member_id == member.id, Invitation.consultation_id == consultation.id,
        Invitation.revoked_at.is_(None)))


def _next_question(consultation: Consultation, current: Question, values: dict[int, Parsed]) -> Question | None:
    """The next question to ask after `current`, skipping those the answers so far hide."""
    by_id = {question.id: question for question in consultation.questions}
    later = [q for q in sms_questions(consultation) if q.position > current.position]
    return next((question for question in later if is_shown(question, values, by_id)), None)


def _store_response(consultation: Consultation, values: dict[int, Parsed], member: Member,
                    invitation: Invitation | None):
    response = record_complete_response(consultation, values, channel=ResponseChannel.SMS, member=member,
                                        snapshot=member_snapshot(member))
    if invitation is not None:
        now = utcnow()
        response.invitation_id = invitation.id
        invitation.started_at = invitation.started_at or now
        invitation.completed_at = now
    log.info("SMS response %s to %s from member %s", response.id, consultation.slug, member.id)
    return response


# --- joining a panel by text -------------------------------------------------------------------


def join_keywords() -> dict[str, str]:
    """SMS_JOIN_KEYWORDS ("JOIN:citizens,YOUTH:youth") as {"join": "citizens", "youth": "youth"}."""
    keywords = {}
    for pair in (current_app.config.get("SMS_JOIN_KEYWORDS") or "").split(","):
        word, _, slug = pair.partition(":")
        if word.strip() and slug.strip():
            keywords[word.strip().lower()] = slug.strip()
    return keywords


def start_join(inbound: InboundMessage, member: Member | None, slug: str) -> Handled:
    """A JOIN keyword: start asking for name, age and postcode."""
    panel = get_panel_by_slug(slug)
    if panel is None:
        log.warning("SMS join keyword points at panel %r, which does not exist", slug)
        return Handled(InboundKind.JOIN, needs_officer=True)
    if member is not None:
        return Handled(InboundKind.JOIN, f"This number is already on our panels. To change your panels, "
                                         f"go to {external_url('panels.my_profile')}")
    if not panel.signup_open:
        return Handled(InboundKind.JOIN, f"Sorry, the {panel.name} is not taking new members just now.")
    end_conversations(inbound.from_number, f"texted {slug} join keyword")
    db.session.add(SmsConversation(number=inbound.from_number, kind=ConversationKind.JOIN, step="name",
                                   data={"panel": panel.slug}, unclear_replies=0,
                                   started_at=utcnow(), updated_at=utcnow()))
    return Handled(InboundKind.JOIN, f"Thanks for your interest in the {panel.name}. How we use your details: "
                                     f"{external_url('site.privacy')}\nWhat is your first and last name?")


_NAME = re.compile(r"^[^\W\d_][\w'’.-]*$")
_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b|\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def _join_step(conversation: SmsConversation, inbound: InboundMessage) -> Handled:
    panel = get_panel_by_slug((conversation.data or {}).get("panel", ""))
    if panel is None:
        end_conversations(conversation.number, "panel removed")
        return Handled(InboundKind.JOIN, needs_officer=True)
    data = dict(conversation.data or {})
    body = inbound.body
    if conversation.step == "name":
        words = body.replace(",", " ").split()
        if not 2 <= len(words) <= 6 or not all(_NAME.match(word) for word in words) or len(body) > 160:
            return _unclear(conversation, body, "Please send your first and last name, like: Sam Jones")
        data.update(first_name=words[0][:80], last_name=" ".join(words[1:])[:80])
        return _next_join_step(conversation, data, "age", f"Thanks, {words[0]}. How old are you? "
                                                         "(Or send your date of birth, like 21/06/2009.)")
    if conversation.step == "age":
        born, age = _read_age(body)
        if age is None:
            return _unclear(conversation, body, "Please send your age as a number, like 34, "
                                                "or your date of birth, like 21/06/2009.")
        problem = signup.text_sign_up_problem(panel, age)
        if problem:
            conversation.finished_at = utcnow()
            conversation.data = {**data, "ended": "not eligible", "age": age}
            return Handled(InboundKind.JOIN, problem + _other_panels(age, panel))
        data.update(age=age, date_of_birth=born.isoformat() if born else None)
        return _next_join_step(conversation, data, "postcode", "What is your postcode?")
    if conversation.step == "postcode":
        try:
            postcode = normalise_postcode(body)
        except ProfileValueError:
            return _unclear(conversation, body, "Please send your postcode, like AV1 2BX.")
        data.update(postcode=postcode)
        return _finish_join(conversation, panel, data)
    end_conversations(conversation.number, "unknown step")
    return Handled(InboundKind.JOIN, needs_officer=True)


def _next_join_step(conversation: SmsConversation, data: dict, step: str, question: str) -> Handled:
    conversation.data, conversation.step = data, step
    conversation.unclear_replies, conversation.updated_at = 0, utcnow()
    return Handled(InboundKind.JOIN, question)


def _read_age(text: str) -> tuple[date | None, int | None]:
    """(date of birth, age) from "15", "I'm 15", "21/06/2009" or "2009-06-21"; (None, None) if unreadable."""
    today = date.today()
    found = _DATE.search(text or "")
    if found:
        day, month, year = (found.group(1), found.group(2), found.group(3)) if found.group(1) else (
            found.group(6), found.group(5), found.group(4))
        try:
            born = date(int(year), int(month), int(day))
        except ValueError:
            return None, None
        age = age_on(born, today)
        return (born, age) if born <= today and age <= 120 else (None, None)
    numbers = re.findall(r"\d+", text or "")
    if len(numbers) == 1 and 1 <= int(numbers[0]) <= 120:
        return None, int(numbers[0])
    return None, None


def _other_panels(age: int, refused: Panel) -> str:
    by_slug = {slug: word for word, slug in join_keywords().items()}
    others = [panel for panel in signup.panels_open_to(age) if panel.id != refused.id and panel.slug in by_slug]
    if signup.is_too_young_to_join_online(age) or not others:
        return ""
    return " " + " ".join(f"You could join the {panel.name}: text {by_slug[panel.slug].upper()}." for panel in others)


def _finish_join(conversation: SmsConversation, panel: Panel, data: dict) -> Handled:
    secret = secrets.token_urlsafe(24)
    conversation.data = {**data, "link_hash": hash_secret(secret)}
    conversation.step, conversation.finished_at = "link sent", utcnow()
    conversation.updated_at = utcnow()
    db.session.flush()  # the link names the conversation
    link = external_url("messaging_inbox.finish_text_sign_up", token=f"{conversation.id}.{secret}")
    hours = int(current_app.config["SIGN_UP_LINK_TTL"].total_seconds() // 3600)
    first_name = data["first_name"]
    if signup.needs_parent(data.get("age")):
        return Handled(InboundKind.JOIN, f"Thanks, {first_name}. As you are under 16, we also need your parent "
                                         f"or carer's name and email, so please finish joining online: {link}")
    return Handled(InboundKind.JOIN, f"Thanks, {first_name}. To finish joining the {panel.name}, open this "
                                     f"link within {hours} hours: {link}")


def find_text_sign_up(token: str) -> signup.SignUpAnswers | None:
    """The answers a finished JOIN conversation gathered, from the link we texted; None once it has expired."""
    conversation_id, _, secret = (token or "").partition(".")
    if not conversation_id.isdigit() or not secret or len(token) > 100:
        return None
    conversation = db.session.get(SmsConversation, int(conversation_id))
    if conversation is None or conversation.kind is not ConversationKind.JOIN:
        return None
    data = conversation.data or {}
    if not secrets.compare_digest(data.get("link_hash") or "", hash_secret(secret)):
        return None
    finished: datetime | None = conversation.finished_at
    if finished is None or finished + current_app.config["SIGN_UP_LINK_TTL"] <= utcnow():
        return None
    panel = get_panel_by_slug(data.get("panel", ""))
    if panel is None:
        return None
    born = date.fromisoformat(data["date_of_birth"]) if data.get("date_of_birth") else None
    return signup.answers_from_text(panel, first_name=data["first_name"], last_name=data["last_name"],
                                    mobile=conversation.number, postcode=data["postcode"], date_of_birth=born)
