"""Writes for "You said, we did": drafting a consultation's outcome and publishing it.

Publishing is one transaction: the outcome is stamped published, one results notice per
reachable respondent goes into the outbox (grouped as a results campaign, so officers see it
with the consultation's other campaigns), and the consultation moves to "results published"
through the lifecycle's own move_to, whose commit carries all of it. The stamp is a
conditional UPDATE, so a double-click or two officers at once publish (and notify) once.
Anyone already sent (or queued) a results message for the consultation by an earlier results
campaign from the campaigns page is left out and counted, so nobody hears twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from epanel.accounts.models import User
from epanel.classroom.models import ClassSession
from epanel.common.time import utcnow
from epanel.consultations.invitations import fill_placeholders
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.consultations.operations import ConsultationError, move_to
from epanel.extensions import db
from epanel.messaging import campaigns
from epanel.messaging.models import (
    Campaign,
    CampaignChannel,
    CampaignKind,
    CampaignState,
    Message,
    MessageChannel,
    MessageState,
)
from epanel.messaging.outbox import UnsendableNumber, queue_sms, queue_templated_email
from epanel.planning.models import Outcome
from epanel.privacy.audit import record_audit_event
from epanel.respond.models import Response, ResponseChannel, ResponseStatus

log = logging.getLogger(__name__)

PURPOSE = "results"
# Breakdowns an officer may add to a headline question; each group under the public minimum shows no figures.
BREAKDOWNS = {"": "No breakdown", "age_band": "Age band", "gender": "Gender", "ward": "Ward"}
# Kinds whose results are shares of answers, so can be a headline.
HEADLINE_KINDS = {"single", "multiple", "agreement", "rating", "yes_no"}
EDITABLE_STATUSES = (ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED)
LIMITS = {"what_we_asked": 5000, "what_you_said": 10000, "what_we_did": 10000}
MAX_HEADLINES = 10


class OutcomeError(ValueError):
    """An outcome rule was broken; the message is for the officer."""


def headline_questions(consultation: Consultation) -> list:
    """The consultation's questions that can be shown as headline results."""
    return [question for question in sorted(consultation.questions, key=lambda q: q.position)
            if question.kind in HEADLINE_KINDS]


def save_outcome(consultation: Consultation, actor, *, what_we_asked: str, what_you_said: str, what_we_did: str,
                 headlines: list[dict]) -> Outcome:
    """Save the outcome's words and headline results (a draft until published; a correction after)."""
    if consultation.status not in EDITABLE_STATUSES:
        raise OutcomeError("Close the consultation before writing its outcome")
    texts = {"what_we_asked": (what_we_asked or "").strip(), "what_you_said": (what_you_said or "").strip(),
             "what_we_did": (what_we_did or "").strip()}
    for name, text in texts.items():
        if len(text) > LIMITS[name]:
            raise OutcomeError(f"Use {LIMITS[name]:,} characters or fewer")
    allowed = {question.id for question in headline_questions(consultation)}
    chosen = []
    for headline in headlines:
        question_id, by = int(headline.get("question_id") or 0), headline.get("by") or ""
        if question_id not in allowed:
            raise OutcomeError("Choose headline questions from this consultation's results")
        if by not in BREAKDOWNS:
            raise OutcomeError("Choose a breakdown from the list")
        if question_id not in {item["question_id"] for item in chosen}:
            chosen.append({"question_id": question_id, "by": by})
    if len(chosen) > MAX_HEADLINES:
        raise OutcomeError(f"Choose {MAX_HEADLINES} headline questions or fewer")
    outcome = get_or_new_outcome(consultation)
    for name, text in texts.items():
        setattr(outcome, name, text)
    outcome.headlines = chosen
    db.session.add(outcome)
    record_audit_event(actor, "outcome.saved", "consultation", consultation.id)
    db.session.commit()
    log.info("outcome of consultation %s saved by %s", consultation.slug, getattr(actor, "id", actor))
    return outcome


def get_or_new_outcome(consultation: Consultation) -> Outcome:
    outcome = db.session.scalar(select(Outcome).where(Outcome.consultation_id == consultation.id))
    if outcome is None:
        outcome = Outcome(consultation_id=consultation.id, what_we_asked=consultation.summary or "",
                          what_you_said="", what_we_did="", headlines=[])
    return outcome


def outcome_problems(outcome: Outcome | None) -> list[str]:
    """What must be written before the outcome can be published, in words for the officer."""
    if outcome is None:
        return ["Write the outcome first"]
    problems = []
    if not outcome.what_we_asked:
        problems.append("Enter what we asked")
    if not outcome.what_you_said:
        problems.append("Enter what people said")
    if not outcome.what_we_did:
        problems.append("Enter what the council did or will do")
    return problems


@dataclass
class PublishReport:
    by_email: int = 0
    by_sms: int = 0
    held_for_quiet_hours: int = 0
    teachers: int = 0
    left_out: int = 0
    already_sent: int = 0  # had a results message from an earlier results campaign

    @property
    def total(self) -> int:
        return self.by_email + self.by_sms + self.teachers

    @property
    def summary(self) -> str:
        parts = [f"{self.total:,} results {'notice' if self.total == 1 else 'notices'} queued"]
        if self.held_for_quiet_hours:
            parts.append(f"{self.held_for_quiet_hours:,} held until quiet hours end")
        if self.left_out:
            parts.append(f"{self.left_out:,} {'respondent' if self.left_out == 1 else 'respondents'} could not be reached")
        if self.already_sent:
            parts.append(f"{self.already_sent:,} already sent the results by an earlier campaign")
        return ", ".join(parts) + "."


@dataclass
class Reach:
    """Who publishing would notify now, for the officer to check first."""

    by_email: int
    by_sms: int
    public_emails: int
    teachers: int
    left_out: list[tuple[str, int]]
    already_sent: int = 0


def preview_reach(consultation: Consultation, *, now: datetime | None = None) -> Reach:
    """How many results notices publishing would queue now, by channel, and who would be left out and why."""
    now = now or utcnow()
    # A campaign that is never added to the session: only its kind, channel and consultation are read.
    campaign = Campaign(kind=CampaignKind.RESULTS, channel=CampaignChannel.PREFERRED)
    campaign.consultation = consultation
    plan = campaigns.plan_campaign(campaign, today=now.astimezone(campaigns.LONDON).date())
    sent = _already_notified(consultation)
    by_email = [r for r in plan.by_email if r.member_id not in sent.member_ids]
    by_sms = [r for r in plan.by_sms if r.member_id not in sent.member_ids]
    member_emails = {recipient.email.strip().lower() for recipient in by_email}
    public = _public_emails(consultation) - member_emails
    teachers = [teacher for teacher in _teachers(consultation) if teacher[1].strip().lower() not in sent.emails]
    left_out = [(label, plan.left_out[reason]) for reason, label in campaigns.LEFT_OUT_REASONS.items()
                if plan.left_out.get(reason)]
    already = (len(plan.by_email) + len(plan.by_sms) - len(by_email) - len(by_sms)
               + len(public & sent.emails) + len(_teachers(consultation)) - len(teachers))
    return Reach(len(by_email), len(by_sms), len(public - sent.emails), len(teachers), left_out, already)


@dataclass
class _Notified:
    member_ids: set[int]
    emails: set[str]  # lower case


def _already_notified(consultation: Consultation) -> _Notified:
    """Who an earlier results campaign for this consultation has sent, or queued, a message to
    (cancelled and failed messages never reached anyone, so do not count)."""
    rows = db.session.execute(
        select(Message.member_id, Message.to_address)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .where(Campaign.consultation_id == consultation.id, Campaign.kind == CampaignKind.RESULTS,
               Message.state.not_in((MessageState.CANCELLED, MessageState.FAILED)))
    ).all()
    return _Notified({member_id for member_id, _to in rows if member_id is not None},
                     {to.strip() for _member_id, to in rows if to})


def _public_emails(consultation: Consultation) -> set[str]:
    """Members of the public who answered without an account and left an address. Where the
    consultation asks the public to confirm by e-mail, only confirmed addresses: an unconfirmed one
    may be anybody's, typed by someone else (see docs/officer-guide-outcomes.md)."""
    query = (select(func.lower(Response.contact_email)).distinct()
             .where(Response.consultation_id == consultation.id, Response.status == ResponseStatus.COMPLETE,
                    Response.member_id.is_(None), Response.contact_email.is_not(None),
                    Response.contact_email != ""))
    if consultation.public_needs_email:
        query = query.where(Response.email_confirmed_at.is_not(None))
    return {email.strip() for email in db.session.scalars(query)}


def _teachers(consultation: Consultation) -> list[tuple[int, str, str]]:
    """Teachers (id, e-mail, name) whose class sessions on this consultation have complete responses."""
    rows = db.session.execute(
        select(User.id, User.email, User.display_name).distinct()
        .join(ClassSession, ClassSession.teacher_id == User.id)
        .where(ClassSession.consultation_id == consultation.id, User.is_disabled.is_(False))
        .where(select(Response.id).where(Response.class_session_id == ClassSession.id,
                                         Response.channel == ResponseChannel.CLASS,
                                         Response.status == ResponseStatus.COMPLETE).exists())
        .order_by(User.id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def outcome_link(consultation: Consultation) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + f"/you-said-we-did/{consultation.slug}"


def publish_outcome(consultation: Consultation, actor, *, now: datetime | None = None) -> PublishReport:
    """Publish the outcome, move the consultation to "results published" and queue one results notice
    per reachable respondent (and one per teacher whose classes took part), all in one commit."""
    now = now or utcnow()
    outcome = db.session.scalar(select(Outcome).where(Outcome.consultation_id == consultation.id))
    problems = outcome_problems(outcome)
    if problems:
        raise OutcomeError(problems[0])
    if outcome.published_at is not None:
        raise OutcomeError("The outcome has already been published")
    # Results may already have been marked published from the consultation page, with no outcome yet.
    already_published = consultation.status is ConsultationStatus.PUBLISHED
    if not already_published and not consultation.can_move_to(ConsultationStatus.PUBLISHED):
        raise OutcomeError("Close the consultation before publishing its outcome")
    # The stamp that makes publishing happen once: the row lock it takes makes a second request wait, then find it set.
    claimed = db.session.execute(
        update(Outcome).where(Outcome.id == outcome.id, Outcome.published_at.is_(None))
        .values(published_at=now, published_by_id=getattr(actor, "id", None))
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise OutcomeError("The outcome has already been published")
    try:
        report = _queue_notices(consultation, outcome, actor, now)
        db.session.execute(update(Outcome).where(Outcome.id == outcome.id).values(notices_queued=report.total))
        record_audit_event(actor, "outcome.published", "consultation", consultation.id, notices=report.total)
        if already_published:
            db.session.commit()
        else:
            move_to(consultation, ConsultationStatus.PUBLISHED, actor)  # commits the lot
    except ConsultationError as error:
        db.session.rollback()
        raise OutcomeError(str(error)) from None
    except Exception:
        db.session.rollback()
        raise
    log.info("outcome of consultation %s published by %s: %s", consultation.slug, getattr(actor, "id", actor),
             report.summary)
    return report


def _queue_notices(consultation: Consultation, outcome: Outcome, actor, now: datetime) -> PublishReport:
    """One message per reachable respondent, by their own channel, in the caller's transaction."""
    report = PublishReport()
    texts = campaigns.default_texts(consultation, CampaignKind.RESULTS)
    campaign = Campaign(consultation_id=consultation.id, kind=CampaignKind.RESULTS, channel=CampaignChannel.PREFERRED,
                        state=CampaignState.SENDING, sms_body=texts["sms_body"], email_subject=texts["email_subject"],
                        email_body=texts["email_body"], created_by_id=getattr(actor, "id", None), left_out={},
                        started_at=now)
    campaign.consultation = consultation
    db.session.add(campaign)
    db.session.flush()
    # Panel members who responded, each by their preferred channel, opt-outs and failed numbers left out.
    plan = campaigns.plan_campaign(campaign, today=now.astimezone(campaigns.LONDON).date())
    sent = _already_notified(consultation)
    link = outcome_link(consultation)
    common = {"consultation": consultation.title, "closes": "", "link": link}
    hold = {False: campaigns.sms_not_before(now, youth=False), True: campaigns.sms_not_before(now, youth=True)}
    reached_emails: set[str] = set()
    for recipient, channel in plan.deliveries():
        if recipient.member_id in sent.member_ids:
            report.already_sent += 1
            continue
        values = common | {"first_name": recipient.first_name}
        if channel is MessageChannel.SMS:
            try:
                queue_sms(recipient.mobile, fill_placeholders(campaign.sms_body, values), purpose=PURPOSE,
                          member_id=recipient.member_id, campaign_id=campaign.id,
                          not_before=hold[recipient.youth], opted_out=False)
            except UnsendableNumber:
                plan.left_out["number_failed"] += 1
                continue
            report.by_sms += 1
            report.held_for_quiet_hours += hold[recipient.youth] is not None
        else:
            _queue_results_email(recipient.email, campaign, consultation, outcome, recipient.first_name, link,
                                 member_id=recipient.member_id)
            reached_emails.add(recipient.email.strip().lower())
            report.by_email += 1
    for email in sorted(_public_emails(consultation) - reached_emails):
        if email in sent.emails:
            report.already_sent += 1
            continue
        _queue_results_email(email, campaign, consultation, outcome, "", link)
        report.by_email += 1
    # Pupils answer anonymously: their teachers hear, and the class results page shows the outcome.
    for _user_id, email, name in _teachers(consultation):
        if email.strip().lower() in sent.emails:
            report.already_sent += 1
            continue
        message = queue_templated_email(email, "results_notice_teacher", purpose=PURPOSE, consultation=consultation,
                                        outcome=outcome, name=name, link=link)
        message.campaign_id = campaign.id
        report.teachers += 1
    report.left_out = plan.left_out_total
    campaign.state, campaign.finished_at = CampaignState.SENT, now
    campaign.left_out = {reason: count for reason, count in plan.left_out.items() if count}
    return report


def _queue_results_email(to: str, campaign: Campaign, consultation: Consultation, outcome: Outcome,
                         first_name: str, link: str, *, member_id: int | None = None) -> None:
    """A respondent's results notice (templates/mail/results_notice.txt), as part of the results campaign."""
    message = queue_templated_email(
        to, "results_notice", purpose=PURPOSE, member_id=member_id, consultation=consultation, outcome=outcome,
        first_name=first_name, link=link, member=member_id is not None,
        preferences_link=current_app.config["PUBLIC_URL"].rstrip("/") + "/my/preferences")
    message.campaign_id = campaign.id
