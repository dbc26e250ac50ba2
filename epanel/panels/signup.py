"""Public sign-up: the answers a person gives, creating them as a pending member, and confirming.

A new member stays pending until they prove the e-mail address (a link) or the
mobile (a 6-digit code) is theirs. Signing up with an address or number that
already belongs to a member creates nothing and says nothing different on
screen: the existing member is told by message instead.
"""

import logging
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from flask import current_app

from epanel.accounts.models import Role
from epanel.accounts.operations import create_user
from epanel.accounts.queries import find_user_by_email
from epanel.common.links import external_url, hash_secret
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.mail import send_templated_mail
from epanel.panels.models import (
    Member,
    MemberSource,
    MemberStatus,
    MemberToken,
    MemberTokenPurpose,
    Panel,
    PanelMembership,
)
from epanel.panels.operations import record_consents, set_member_status
from epanel.panels.profile import ProfileValueError, age_on, format_mobile, normalise_mobile
from epanel.panels.queries import (
    find_member_by_email,
    find_member_by_mobile,
    get_panel_by_slug,
    list_panels,
    ward_for_postcode,
)
from epanel.privacy.audit import record_audit_event
from epanel.privacy.models import Consent, ConsentChannel, ConsentKind
from epanel.texting import send_text

log = logging.getLogger(__name__)

YOUNGEST_ONLINE_AGE = 13  # under-13s take part only anonymously, through a class session
PARENT_NEEDED_UNDER = 16
ADULT_AGE = 18
CODES_PER_HOUR = 3
PARENT_LINK_LIFETIME = timedelta(days=365)


class SignUpError(ValueError):
    """A sign-up step that cannot go ahead; the message is for the person."""


@dataclass
class SignUpAnswers:
    """Everything typed so far, kept in the session between the one-question pages."""

    date_of_birth: str | None = None  # ISO date; sessions hold only plain values
    panel_slugs: list[str] = field(default_factory=list)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    mobile: str = ""
    postcode: str = ""
    ward: str = ""
    parish: str = ""
    gender: str = ""
    ethnic_group: str = ""
    disability: str = ""
    caring: str = ""
    channels: list[str] = field(default_factory=list)
    address: str = ""
    parent_name: str = ""
    parent_email: str = ""
    agreed_notice: str = ""
    source: str = ""  # MemberSource value when the sign-up began elsewhere (by text); blank: the web

    @classmethod
    def from_session(cls, data: dict | None) -> "SignUpAnswers":
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in (data or {}).items() if key in known})

    def to_session(self) -> dict:
        return asdict(self)

    @property
    def birth_date(self) -> date | None:
        return date.fromisoformat(self.date_of_birth) if self.date_of_birth else None

    def age(self, today: date | None = None) -> int | None:
        return age_on(self.birth_date, today or date.today())


def is_too_young_to_join_online(age: int) -> bool:
    return age < YOUNGEST_ONLINE_AGE


def needs_parent(age: int | None) -> bool:
    return age is not None and age < PARENT_NEEDED_UNDER


def is_young_person(age: int | None) -> bool:
    return age is not None and age < ADULT_AGE


def notice_version_for(age: int | None) -> str:
    """Young people agree to the plain-language version of the notice, recorded as such."""
    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    return f"{version}-young-people" if is_young_person(age) else version


def panels_open_to(age: int | None) -> list[Panel]:
    return [panel for panel in list_panels() if panel.signup_open and panel.admits_age(age)]


def missing_steps(answers: SignUpAnswers) -> str | None:
    """The first step still unanswered, by name, or None when the answers are complete."""
    age = answers.age()
    required = [
        ("date_of_birth", answers.date_of_birth),
        ("panels", answers.panel_slugs),
        ("name", answers.first_name and answers.last_name),
        ("contact", answers.email or answers.mobile),
        ("postcode", answers.postcode),
        ("contact_preferences", answers.channels),
        ("parent", answers.parent_name or not needs_parent(age)),
        ("privacy", answers.agreed_notice),
    ]
    return next((step for step, done in required if not done), None)


# --- signing up by text message -------------------------------------------------


def text_sign_up_problem(panel: Panel, age: int) -> str | None:
    """Why someone of this age cannot join this panel by text, in words for a text message; None if they can.

    The same rules as the web sign-up: under-13s take part only through school, and each
    panel has its own age range. Under-16s may go on, but finish on the web, where their
    parent or carer's details are asked for.
    """
    if is_too_young_to_join_online(age):
        return (f"Thank you. You need to be {YOUNGEST_ONLINE_AGE} or over to join a panel. "
                "You can still take part through your school.")
    if not panel.signup_open:
        return f"Sorry, the {panel.name} is not taking new members just now."
    if not panel.admits_age(age):
        return f"Sorry, the {panel.name} is for people aged {panel.age_range_text.removeprefix('Ages ')}."
    return None


def answers_from_text(panel: Panel, *, first_name: str, last_name: str, mobile: str, postcode: str,
                      date_of_birth: date | None) -> SignUpAnswers:
    """The answers a sign-up by text gathered, ready to finish on the web; the member will come from SMS."""
    area = ward_for_postcode(postcode) if postcode else None
    return SignUpAnswers(
        date_of_birth=date_of_birth.isoformat() if date_of_birth else None,
        panel_slugs=[panel.slug], first_name=first_name, last_name=last_name, mobile=mobile,
        postcode=postcode, ward=area.ward if area else "", parish=(area.parish or "") if area else "",
        channels=["sms"], source=MemberSource.SMS.value,
    )


@dataclass(frozen=True)
class SignUpSent:
    """What the person is told after submitting: where the confirmation went."""

    channel: str  # "email" or "sms"
    destination: str
    member_id: int | None  # None when nothing was created (the address was already a member's)


def submit_sign_up(answers: SignUpAnswers, *, recruitment_link_id: int | None = None) -> SignUpSent:
    """Create a pending member from complete answers and send the confirmation."""
    step = missing_steps(answers)
    if step is not None:
        raise SignUpError(f"Some answers are missing ({step.replace('_', ' ')})")
    age = answers.age()
    panels = [panel for slug in answers.panel_slugs if (panel := get_panel_by_slug(slug)) is not None]
    if not panels or any(not (p.signup_open and p.admits_age(age)) for p in panels):
        raise SignUpError("Choose panels you can join at your age")
    channel = "email" if answers.email else "sms"
    destination = answers.email if channel == "email" else format_mobile(answers.mobile)
    if channel == "sms":
        # Before looking for an existing member, so both outcomes meet the same limits.
        check_sign_up_text_allowed(answers.mobile)

    existing = (answers.email and find_member_by_email(answers.email)) or (
        answers.mobile and find_member_by_mobile(answers.mobile))
    if existing:
        _tell_existing_member(existing, channel)
        return SignUpSent(channel, destination, None)

    member = Member(
        first_name=answers.first_name,
        last_name=answers.last_name,
        email=answers.email or None,
        mobile=answers.mobile or None,
        address=answers.address or None,
        postcode=answers.postcode or None,
        ward=answers.ward or None,
        parish=answers.parish or None,
        date_of_birth=answers.birth_date,
        gender=answers.gender or None,
        ethnic_group=answers.ethnic_group or None,
        disability=answers.disability or None,
        caring=answers.caring or None,
        contact_by_email="email" in answers.channels,
        contact_by_sms="sms" in answers.channels,
        contact_by_post="post" in answers.channels,
        parent_name=answers.parent_name or None,
        parent_contact=answers.parent_email or None,
        status=MemberStatus.PENDING,
        source=MemberSource(answers.source) if answers.source else MemberSource.SIGN_UP,
        recruitment_link_id=recruitment_link_id,
    )
    member.memberships = [PanelMembership(panel=panel) for panel in panels]
    db.session.add(member)
    record_consents(member, channel=ConsentChannel.WEB, notice_version=answers.agreed_notice)
    db.session.flush()
    if channel == "email":
        _send_confirmation_link(member)
    else:
        _send_confirmation_code(member)
    db.session.commit()
    log.info("member %s signed up, pending confirmation by %s", member.id, channel)
    return SignUpSent(channel, destination, member.id)


# --- SMS pumping defences -----------------------------------------------------------------

TOO_MANY_TO_NUMBER = "We have sent too many codes to this number. Wait an hour and try again, or sign up with an email address."
TOO_MANY_FROM_HERE = "We have sent too many codes from this device today. Try again tomorrow, or sign up with an email address."
TEXTS_PAUSED = ("We cannot send codes by text message just now. Go back and give an email address instead, "
                "or try again tomorrow.")


def _unsolicited_texts_to(number: str, since) -> int:
    from epanel.messaging.models import Message, MessageChannel, MessageState
    from epanel.messaging.spend import UNSOLICITED_PURPOSES

    return db.session.scalar(db.select(db.func.count(Message.id)).where(
        Message.channel == MessageChannel.SMS, Message.to_address == number,
        Message.purpose.in_(UNSOLICITED_PURPOSES), Message.state != MessageState.CANCELLED,
        Message.queued_at >= since,
    ))


def _client_address() -> str | None:
    from flask import has_request_context
    from flask_limiter.util import get_remote_address

    return get_remote_address() if has_request_context() else None


def _count_request_from_address(address: str | None) -> bool:
    """Count one text asked for from this client address; False once today's allowance is used up."""
    from limits import parse

    from epanel.extensions import limiter

    allowance = current_app.config["SIGN_UP_CODES_PER_ADDRESS"]
    if address is None or not allowance or not limiter.enabled:
        return True
    return limiter.limiter.hit(parse(f"{allowance} per day"), "epanel-sign-up-texts", address)


def check_sign_up_text_allowed(mobile: str) -> None:
    """Raise SignUpError unless a sign-up text may go to this number now (the SMS pumping defences).

    Only UK mobiles; a few an hour and a day to one number; a few a day asked for from one
    client address; and none once today's ceiling on such texts is reached (which also
    e-mails the administrators, once a day).
    """
    from epanel.messaging.spend import start_of_today, unsolicited_texts_allowed

    try:
        number = normalise_mobile(mobile)
    except ProfileValueError:
        raise SignUpError("Enter a UK mobile number, like 07700 900123") from None
    config = current_app.config
    now = utcnow()
    per_hour, per_day = config["SIGN_UP_CODES_PER_NUMBER_HOUR"], config["SIGN_UP_CODES_PER_NUMBER_DAY"]
    if (per_hour and _unsolicited_texts_to(number, now - timedelta(hours=1)) >= per_hour) or (
            per_day and _unsolicited_texts_to(number, start_of_today(now)) >= per_day):
        log.warning("sign-up text refused: too many to one number today")
        raise SignUpError(TOO_MANY_TO_NUMBER)
    if not unsolicited_texts_allowed():
        raise SignUpError(TEXTS_PAUSED)
    if not _count_request_from_address(_client_address()):
        log.warning("sign-up text refused: too many from one client address today")
        raise SignUpError(TOO_MANY_FROM_HERE)


def _tell_existing_member(member: Member, channel: str) -> None:
    if channel == "email":
        send_templated_mail(member.email, "already_a_member", member=member,
                            sign_in_link=external_url("accounts.request_sign_in_link"))
    else:
        send_text(member.mobile, f"{current_app.config['COUNCIL_NAME']}: someone tried to join a panel with "
                                 "this number, but you are already a member. No need to do anything.",
                  purpose="sign_up_notice", member_id=member.id)
    log.info("sign-up with the details of existing member %s; member told by %s", member.id, channel)


def _new_token(member: Member, purpose: MemberTokenPurpose, secret: str, lifetime: timedelta) -> MemberToken:
    now = utcnow()
    for old in db.session.scalars(db.select(MemberToken).where(
        MemberToken.member_id == member.id, MemberToken.purpose == purpose, MemberToken.used_at.is_(None),
    )):
        old.used_at = now  # only the newest link or code works
    token = MemberToken(member=member, purpose=purpose, secret_hash=hash_secret(secret),
                        created_at=now, expires_at=now + lifetime)
    db.session.add(token)
    return token


def _send_confirmation_link(member: Member) -> None:
    secret = secrets.token_urlsafe(32)
    _new_token(member, MemberTokenPurpose.CONFIRM_EMAIL, secret, current_app.config["SIGN_UP_LINK_TTL"])
    send_templated_mail(member.email, "confirm_sign_up", member=member,
                        link=external_url("panels.confirm_sign_up_link", token=secret))


def _send_confirmation_code(member: Member) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    # The hash is salted with the member id: a 6-digit code alone has too few values to hide.
    _new_token(member, MemberTokenPurpose.CONFIRM_SMS, f"{member.id}:{code}", current_app.config["SIGN_UP_CODE_TTL"])
    minutes = int(current_app.config["SIGN_UP_CODE_TTL"].total_seconds() // 60)
    send_text(member.mobile, f"Your {current_app.config['COUNCIL_NAME']} panel code is {code}. "
                             f"It lasts {minutes} minutes. Do not share it.",
              purpose="sign_up_code", member_id=member.id)


def resend_code(member_id: int) -> None:
    """Send a fresh code to a pending member, at most a few times an hour."""
    member = db.session.get(Member, member_id)
    if member is None or member.status != MemberStatus.PENDING or not member.mobile:
        raise SignUpError("There is nothing to confirm. Start again.")
    hour_ago = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(db.select(db.func.count(MemberToken.id)).where(
        MemberToken.member_id == member.id, MemberToken.purpose == MemberTokenPurpose.CONFIRM_SMS,
        MemberToken.created_at >= hour_ago,
    ))
    if recent >= CODES_PER_HOUR:
        raise SignUpError("We have sent too many codes to this number. Wait an hour and try again.")
    check_sign_up_text_allowed(member.mobile)
    _send_confirmation_code(member)
    db.session.commit()


def confirm_by_code(member_id: int, code: str) -> Member:
    """Activate a pending member whose code matches; wrong codes are counted and capped."""
    member = db.session.get(Member, member_id)
    token = member and db.session.scalar(db.select(MemberToken).where(
        MemberToken.member_id == member.id, MemberToken.purpose == MemberTokenPurpose.CONFIRM_SMS,
        MemberToken.used_at.is_(None),
    ).order_by(MemberToken.id.desc()))
    if token is None or token.expires_at <= utcnow():
        raise SignUpError("This code has expired. Ask for a new code.")
    if token.failed_attempts >= current_app.config["SIGN_UP_CODE_MAX_ATTEMPTS"]:
        raise SignUpError("Too many wrong codes. Ask for a new code.")
    if not secrets.compare_digest(token.secret_hash, hash_secret(f"{member.id}:{code}")):
        token.failed_attempts += 1
        db.session.commit()
        left = current_app.config["SIGN_UP_CODE_MAX_ATTEMPTS"] - token.failed_attempts
        raise SignUpError("The code is not right. Check the text message and try again."
                          if left else "Too many wrong codes. Ask for a new code.")
    token.used_at = utcnow()
    return _activate(member, ConsentChannel.SMS)


def find_confirmation_link(secret: str) -> MemberToken | None:
    token = db.session.scalar(db.select(MemberToken).where(
        MemberToken.secret_hash == hash_secret(secret or ""), MemberToken.purpose == MemberTokenPurpose.CONFIRM_EMAIL,
    ))
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def confirm_by_link(secret: str) -> Member:
    """Activate the pending member an e-mailed link belongs to; the link works once."""
    token = find_confirmation_link(secret)
    if token is None:
        raise SignUpError("This link has expired or has already been used")
    token.used_at = utcnow()
    return _activate(token.member, ConsentChannel.WEB)


def _activate(member: Member, channel: ConsentChannel) -> Member:
    member.status = MemberStatus.ACTIVE
    member.confirmed_at = utcnow()
    if member.email and member.user_id is None and find_user_by_email(member.email) is None:
        user = create_user(member.email, member.full_name, [Role.MEMBER])
        member.user_id = user.id
    if member.parent_contact:
        _tell_parent(member)
    record_audit_event(None, "member.confirmed", "member", member.id, channel=channel.value)
    db.session.commit()
    log.info("member %s confirmed", member.id)
    return member


def _tell_parent(member: Member) -> None:
    """Tell an under-16's parent or carer, record it, and give them a way to withdraw the membership."""
    secret = secrets.token_urlsafe(32)
    _new_token(member, MemberTokenPurpose.PARENT_WITHDRAWAL, secret, PARENT_LINK_LIFETIME)
    db.session.add(Consent(
        member=member, kind=ConsentKind.PARENT_ACKNOWLEDGEMENT, notice_version=notice_version_for(0),
        channel=ConsentChannel.PARENT, given_by=f"{member.parent_name} (told by email at {member.parent_contact})",
    ))
    send_templated_mail(member.parent_contact, "parent_notice", member=member,
                        withdraw_link=external_url("panels.parent_withdrawal", token=secret),
                        privacy_link=external_url("site.privacy"))


def find_parent_withdrawal(secret: str) -> MemberToken | None:
    token = db.session.scalar(db.select(MemberToken).where(
        MemberToken.secret_hash == hash_secret(secret or ""), MemberToken.purpose == MemberTokenPurpose.PARENT_WITHDRAWAL,
    ))
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def withdraw_by_parent(secret: str) -> Member:
    """A parent or carer ends their child's membership: every consent withdrawn, status left."""
    token = find_parent_withdrawal(secret)
    if token is None:
        raise SignUpError("This link has expired or has already been used")
    token.used_at = utcnow()
    set_member_status(token.member, MemberStatus.LEFT, f"parent or carer of member {token.member.id}")
    return token.member
