"""Retention: personal data is removed once the council no longer needs it (issue 9, docs/retention.md).

Each rule below finds what has outlived its EPANEL_RETENTION_* period and erases or anonymises it:

- members who left, and sign-ups never confirmed: erased as a member asking to be deleted is
  (privacy.operations.erase_member), so their answers stay as anonymous rows with the analysis
  snapshot each response keeps;
- expired and used sign-in, reset and sign-up links and codes: deleted;
- texts received: the sender's number is removed (the text and what it was taken as stay), and
  finished text conversations (which hold sign-up details in progress) are deleted;
- outgoing e-mails and texts: body, subject and address are removed; the row stays for delivery
  and spending figures;
- public respondents' e-mail addresses and confirmation links, once the consultation's results have
  been published (they are kept until then, so the results notice can reach them) or, failing that, a
  year after it closed.

- members with no activity (no answer, no change to their details) for RETENTION_INACTIVE_MEMBER_DAYS:
  e-mailed that they will be removed, then erased INACTIVE_MEMBER_NOTICE_DAYS later unless they answer,
  change their details or choose to stay on their profile page in between.

SMS opt-outs are never removed: STOP is honoured for good. Audit events stay too.

Every rule only selects rows not yet purged, so running it again (every minute from `flask epanel
tick`) does nothing more. A dry run counts the same rows and changes nothing. The big tables are
reached through indexes and changed in bounded batches, each committed, so a run never holds the
database for long.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, literal_column, or_

from epanel.accounts.models import EmailToken
from epanel.common.time import utcnow
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.messaging.models import InboundMessage, Message, MessageState, SmsConversation
from epanel.panels.models import Member, MemberSource, MemberStatus, MemberToken
from epanel.privacy.audit import record_audit_event
from epanel.privacy.operations import erase_member
from epanel.respond.models import Response

log = logging.getLogger(__name__)

REMOVED = "(removed)"  # stands in for an address or number in columns that cannot be empty
ACTOR = "retention"  # how purges appear in the audit log
SELF_SIGN_UPS = (MemberSource.SIGN_UP, MemberSource.SMS)
NOT_YET_SENT = (MessageState.QUEUED, MessageState.SENDING)
BATCH = 500  # rows changed per transaction by the table-wide purges
# Addresses given with answers to a consultation whose results are never published go this long
# after it closed (or after the retention period, if that is longer).
UNPUBLISHED_RESPONSE_EMAIL_DAYS = 365


@dataclass(frozen=True)
class Rule:
    """One kind of personal data: the setting giving its period, how to count what is due, how to purge it."""

    name: str  # as reported: "members who left"
    setting: str
    count: Callable[[datetime, datetime], int]  # (cutoff, now)
    purge: Callable[[datetime, datetime], int]


def _count(query) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))


# --- members -------------------------------------------------------------------------------------


def _left_members(cutoff):
    # The last change to a member who left is normally their leaving; a later change by an officer
    # restarts the clock, which errs on the side of keeping.
    return db.select(Member.id).where(Member.status == MemberStatus.LEFT, Member.updated_at < cutoff)


def _unconfirmed_sign_ups(cutoff):
    return db.select(Member.id).where(Member.status == MemberStatus.PENDING, Member.confirmed_at.is_(None),
                                      Member.source.in_(SELF_SIGN_UPS), Member.created_at < cutoff)


# --- inactive members ----------------------------------------------------------------------------

STAYING_STATUSES = (MemberStatus.ACTIVE, MemberStatus.PAUSED)


def _answered_since(when):
    return db.select(Response.id).where(Response.member_id == Member.id, Response.submitted_at >= when).exists()


def _inactive_unwarned(cutoff):
    return db.select(Member.id).where(Member.status.in_(STAYING_STATUSES), Member.inactivity_warned_at.is_(None),
                                      Member.updated_at < cutoff, ~_answered_since(cutoff))


def _warn_inactive(cutoff, now) -> int:
    """E-mail members inactive since `cutoff` (those with an address) and start their notice period. The
    stamp is written without touching updated_at, which is how later activity is told apart."""
    from epanel.messaging.outbox import queue_templated_email  # messaging sits above privacy's bottom half

    notice_days = current_app.config["INACTIVE_MEMBER_NOTICE_DAYS"]
    warned = 0
    for member in list(db.session.scalars(db.select(Member).where(Member.id.in_(_inactive_unwarned(cutoff))))):
        if member.email:
            queue_templated_email(member.email, "inactive_member_notice", purpose="inactive_member_notice",
                                  member_id=member.id, member=member, removal_date=now + timedelta(days=notice_days))
        db.session.execute(db.update(Member).where(Member.id == member.id)
                           .values(inactivity_warned_at=now, updated_at=Member.updated_at))
        record_audit_event(ACTOR, "member.inactivity_warned", "member", member.id, emailed=bool(member.email))
        db.session.commit()
        warned += 1
    return warned


def _still_inactive_after_notice(now):
    """Warned members whose notice has run out with nothing done since the warning."""
    notice = timedelta(days=current_app.config["INACTIVE_MEMBER_NOTICE_DAYS"])
    return db.select(Member.id).where(Member.status.in_(STAYING_STATUSES), Member.inactivity_warned_at.is_not(None),
                                      Member.inactivity_warned_at < now - notice,
                                      Member.updated_at <= Member.inactivity_warned_at,
                                      ~_answered_since(Member.inactivity_warned_at))


def _clear_warnings_of_the_active() -> None:
    """A warned member who answered or changed their details since is no longer on notice."""
    db.session.execute(db.update(Member).where(
        Member.inactivity_warned_at.is_not(None),
        or_(Member.updated_at > Member.inactivity_warned_at, _answered_since(Member.inactivity_warned_at)),
    ).values(inactivity_warned_at=None).execution_options(synchronize_session=False))


def _count_inactive(cutoff, now) -> int:
    return _count(_inactive_unwarned(cutoff)) + _count(_still_inactive_after_notice(now))


def _handle_inactive(cutoff, now) -> int:
    _clear_warnings_of_the_active()
    db.session.commit()
    return _warn_inactive(cutoff, now) + _erase_all(_still_inactive_after_notice(now))


def _erase_all(query) -> int:
    erased = 0
    for member_id in list(db.session.scalars(query)):
        member = db.session.get(Member, member_id)
        if member is not None:
            erase_member(member, ACTOR)  # audited per member, committed per member
            erased += 1
    return erased


# --- links and codes -----------------------------------------------------------------------------


def _spent(model, cutoff):
    return or_(model.used_at < cutoff, and_(model.expires_at.is_not(None), model.expires_at < cutoff))


def _count_tokens(cutoff) -> int:
    return (_count(db.select(EmailToken.id).where(_spent(EmailToken, cutoff)))
            + _count(db.select(MemberToken.id).where(_spent(MemberToken, cutoff))))


def _purge_tokens(cutoff) -> int:
    deleted = db.session.execute(db.delete(EmailToken).where(_spent(EmailToken, cutoff))).rowcount
    deleted += db.session.execute(db.delete(MemberToken).where(_spent(MemberToken, cutoff))).rowcount
    return deleted


# --- texts received ------------------------------------------------------------------------------


def _old_inbound(cutoff):
    return db.select(InboundMessage.id).where(InboundMessage.received_at < cutoff, InboundMessage.from_number != REMOVED)


def _old_conversations(cutoff):
    return db.select(SmsConversation.id).where(SmsConversation.updated_at < cutoff)


def _count_inbound(cutoff) -> int:
    return _count(_old_inbound(cutoff)) + _count(_old_conversations(cutoff))


def _purge_inbound(cutoff) -> int:
    changed = db.session.execute(
        db.update(InboundMessage).where(InboundMessage.id.in_(_old_inbound(cutoff)))
        .values(from_number=REMOVED).execution_options(synchronize_session=False)).rowcount
    changed += db.session.execute(
        db.delete(SmsConversation).where(SmsConversation.id.in_(_old_conversations(cutoff)))
        .execution_options(synchronize_session=False)).rowcount
    return changed


# --- the outbox ----------------------------------------------------------------------------------


def _old_messages(cutoff):
    # Written exactly as the partial index ix_messages_unpurged_queued_at says (a literal, not a
    # parameter), so SQLite and PostgreSQL use it instead of scanning the table.
    not_purged = Message.to_address != literal_column(f"'{REMOVED}'")
    return db.select(Message.id).where(not_purged, Message.queued_at < cutoff, Message.state.not_in(NOT_YET_SENT))


def _purge_messages(cutoff) -> int:
    changed = 0
    while batch := list(db.session.scalars(_old_messages(cutoff).order_by(Message.queued_at).limit(BATCH))):
        changed += db.session.execute(
            db.update(Message).where(Message.id.in_(batch))
            .values(to_address=REMOVED, body=REMOVED, subject=None).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return changed


# --- public respondents' e-mail addresses --------------------------------------------------------


def _consultations_done_with_emails(cutoff, now):
    """Consultations whose public respondents' addresses are no longer needed.

    The results notice ("You said, we did") goes to those addresses when the results are published,
    so the period counts from then: from the move to "results published", which is the consultation's
    last change (a later edit restarts the clock, erring on the side of keeping). A consultation whose
    results are never published keeps them until a hard limit after it closed."""
    days = (now - cutoff).days
    limit = now - timedelta(days=max(UNPUBLISHED_RESPONSE_EMAIL_DAYS, days))
    published = and_(Consultation.status == ConsultationStatus.PUBLISHED, Consultation.updated_at < cutoff)
    long_closed = and_(Consultation.status.in_((ConsultationStatus.CLOSED, ConsultationStatus.PUBLISHED)),
                       func.coalesce(Consultation.closes_at, Consultation.updated_at) < limit)
    return db.select(Consultation.id).where(or_(published, long_closed))


def _old_response_emails(cutoff, now):
    # Through ix_responses_consultation_status: only the responses of consultations that are due,
    # never a scan of the whole table.
    return db.select(Response.id).where(
        Response.consultation_id.in_(_consultations_done_with_emails(cutoff, now)),
        or_(Response.contact_email.is_not(None), Response.confirmation_hash.is_not(None)))


def _purge_response_emails(cutoff, now) -> int:
    changed = 0
    while batch := list(db.session.scalars(_old_response_emails(cutoff, now).limit(BATCH))):
        changed += db.session.execute(
            db.update(Response).where(Response.id.in_(batch))
            .values(contact_email=None, confirmation_hash=None).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return changed


def _by_cutoff(function):
    """Most rules need only the cutoff."""
    return lambda cutoff, now: function(cutoff)


RULES = (
    Rule("members who left", "RETENTION_LEFT_MEMBER_DAYS",
         _by_cutoff(lambda cutoff: _count(_left_members(cutoff))),
         _by_cutoff(lambda cutoff: _erase_all(_left_members(cutoff)))),
    Rule("unconfirmed sign-ups", "RETENTION_UNCONFIRMED_SIGN_UP_DAYS",
         _by_cutoff(lambda cutoff: _count(_unconfirmed_sign_ups(cutoff))),
         _by_cutoff(lambda cutoff: _erase_all(_unconfirmed_sign_ups(cutoff)))),
    Rule("expired links and codes", "RETENTION_TOKEN_DAYS", _by_cutoff(_count_tokens), _by_cutoff(_purge_tokens)),
    Rule("texts received", "RETENTION_INBOUND_TEXT_DAYS", _by_cutoff(_count_inbound), _by_cutoff(_purge_inbound)),
    Rule("messages sent", "RETENTION_OUTBOX_DAYS",
         _by_cutoff(lambda cutoff: _count(_old_messages(cutoff))), _by_cutoff(_purge_messages)),
    Rule("respondents' email addresses", "RETENTION_RESPONSE_EMAIL_DAYS",
         lambda cutoff, now: _count(_old_response_emails(cutoff, now)), _purge_response_emails),
    Rule("inactive members warned or removed", "RETENTION_INACTIVE_MEMBER_DAYS", _count_inactive, _handle_inactive),
)


def purge_personal_data(*, dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Erase or anonymise personal data past its retention period; {what: how many}. A dry run only counts.

    Idempotent: what was purged is not selected again. Anything purged is recorded in the audit log."""
    now = now or utcnow()
    done = {}
    for rule in RULES:
        days = current_app.config[rule.setting]
        if not days or days <= 0:
            continue  # 0: this kind is kept
        cutoff = now - timedelta(days=days)
        done[rule.name] = rule.count(cutoff, now) if dry_run else rule.purge(cutoff, now)
    if dry_run:
        db.session.rollback()  # nothing was written; end the read transaction all the same
        return done
    purged = {name: count for name, count in done.items() if count}
    if purged:
        record_audit_event(ACTOR, "retention.purged", "personal_data", None, **purged)
        log.info("retention: purged %s", ", ".join(f"{count} {name}" for name, count in purged.items()))
    db.session.commit()
    return done


def retention_schedule() -> list[tuple[str, int | None]]:
    """(kind of data, days it is kept after it stops being needed) for each rule; None: kept until deleted by hand."""
    schedule = []
    for rule in RULES:
        days = current_app.config[rule.setting]
        schedule.append((rule.name, days if days and days > 0 else None))
    return schedule
