"""The daily ceiling on texts that strangers can make us send (SMS pumping defence).

SMS pumping is a fraudster making a service text numbers whose operators pay them a share:
every sign-up code to such a number costs the council money. Texts that nobody signed in
has asked for (sign-up codes, "you are already a member" notices) are counted here per
London day; once either ceiling is reached (EPANEL_SMS_DAILY_LIMIT texts or
EPANEL_SMS_DAILY_SPEND pounds at EPANEL_SMS_PRICE_PER_SEGMENT), the callers stop queueing
them until midnight and administrators are e-mailed, once that day.

Officers' campaigns are not counted: officers choose them, they are budgeted, and a large
one must not shut sign-ups for the day. Like outbox queueing, this sits low in the stack
(it reads the outbox and accounts only), so panels may call it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging.models import Message, MessageChannel, MessageState

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# Texts strangers can trigger: these count toward the ceiling and stop when it is reached.
UNSOLICITED_PURPOSES = frozenset({"sign_up_code", "sign_up_notice"})
ALERT_PURPOSE = "sms_ceiling_alert"


@dataclass(frozen=True)
class DailyUse:
    texts: int
    segments: int
    pounds: float


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight, London time, as a UTC moment."""
    local = (now or utcnow()).astimezone(LONDON)
    return datetime.combine(local.date(), time(0), tzinfo=LONDON).astimezone(ZoneInfo("UTC"))


def unsolicited_use_today() -> DailyUse:
    texts, segments = db.session.execute(
        select(func.count(Message.id), func.coalesce(func.sum(func.coalesce(Message.segments, 1)), 0)).where(
            Message.channel == MessageChannel.SMS,
            Message.purpose.in_(UNSOLICITED_PURPOSES),
            Message.state != MessageState.CANCELLED,
            Message.queued_at >= start_of_today(),
        )
    ).one()
    return DailyUse(texts, int(segments), round(int(segments) * current_app.config["SMS_PRICE_PER_SEGMENT"], 2))


def ceiling_reached() -> str | None:
    """Which daily ceiling today's unsolicited texts have reached, described for administrators; None if neither."""
    config = current_app.config
    use = unsolicited_use_today()
    limit, spend = config["SMS_DAILY_LIMIT"], config["SMS_DAILY_SPEND"]
    if limit and use.texts >= limit:
        return f"{use.texts} sign-up texts today, the daily limit of {limit} (EPANEL_SMS_DAILY_LIMIT)"
    if spend and use.pounds >= spend:
        return f"£{use.pounds:.2f} of sign-up texts today, the daily ceiling of £{spend:.2f} (EPANEL_SMS_DAILY_SPEND)"
    return None


def unsolicited_texts_allowed() -> bool:
    """False once today's ceiling is reached; the first refusal of the day e-mails the administrators."""
    reason = ceiling_reached()
    if reason is None:
        return True
    alert_administrators_once(reason)
    return False


def alert_administrators_once(reason: str) -> bool:
    """E-mail every active administrator that sign-up texts have stopped, unless done already today."""
    from epanel.accounts.models import Role, RoleGrant, User
    from epanel.messaging.outbox import queue_templated_email
    from epanel.privacy.audit import record_audit_event

    already = db.session.scalar(select(func.count(Message.id)).where(
        Message.purpose == ALERT_PURPOSE, Message.queued_at >= start_of_today()))
    if already:
        return False
    admins = db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == Role.ADMIN, User.is_disabled.is_(False)).order_by(User.id)).all()
    resume_at = start_of_today() + timedelta(days=1)
    for admin in admins:
        queue_templated_email(admin.email, "sms_ceiling_reached", purpose=ALERT_PURPOSE, user=admin, reason=reason,
                              resume_at=resume_at.astimezone(LONDON).strftime("%-d %B %Y"))
    record_audit_event(None, "sms.daily_ceiling_reached", "sms", None, reason=reason, administrators=len(admins))
    db.session.commit()
    log.warning("SMS daily ceiling reached (%s); %d administrators told", reason, len(admins))
    return True
