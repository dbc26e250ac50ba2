"""Two-factor sign-in for staff: TOTP authenticator apps and single-use recovery codes.

A code from the app is good once: the time step of the last accepted code is kept, and
a code for that step or an earlier one is refused (a conditional update, so two
requests with the same code cannot both win). Recovery codes are stored as salted
SHA-256 hashes (they are long random strings, so a slow hash adds nothing) and spent
with a conditional update too.
"""

import hashlib
import hmac
import logging
import secrets

import pyotp
import segno
from flask import current_app

from epanel.accounts import passwords
from epanel.accounts.models import RecoveryCode, User
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1  # accept the code either side of now: phones' clocks drift
# The demo's staff accounts share this published secret (printed by `flask epanel demo`);
# in development only, the code page shows their current code. Never a real account's.
DEMO_TOTP_SECRET = "EPANELDEMOEPANELDEMOEPANELDEMO23"


class TwoFactorError(ValueError):
    """A two-factor step that cannot go ahead; the message is for the person."""


# --- codes ------------------------------------------------------------------------------


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _current_step() -> int:
    return int(utcnow().timestamp()) // TOTP_STEP_SECONDS


def _matching_step(secret: str, code: str) -> int | None:
    """The time step near now whose code this is, or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    now = _current_step()
    for step in range(now - TOTP_DRIFT_STEPS, now + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_totp_step(user: User, step: int) -> bool:
    """Record the step as used, only if no code at or after it was accepted before."""
    used = db.session.execute(
        db.update(User)
        .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(user)
    return used.rowcount == 1


def _hash_recovery_code(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{normalise_code(code)}".encode()).hexdigest()
    return f"{salt}${digest}"


def _recovery_code_matches(code: str, stored: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(_hash_recovery_code(code, salt), stored)


def _new_recovery_code() -> str:
    letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{letters[:5]}-{letters[5:]}"


def _use_recovery_code(user: User, code: str) -> bool:
    unused = db.session.scalars(
        db.select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for recovery in unused:
        if _recovery_code_matches(code, recovery.code_hash):
            spent = db.session.execute(
                db.update(RecoveryCode)
                .where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
            )
            if spent.rowcount != 1:
                db.session.rollback()
                return False
            record_audit_event(user, "two_factor.recovery_code_used", "user", user.id)
            db.session.commit()
            log.info("recovery code used by user %s", user.id)
            return True
    return False


def check_second_factor(user: User, code: str | None) -> bool:
    """True once for a current app code or an unused recovery code of this user."""
    if not user.has_two_factor:
        return False
    code = normalise_code(code)
    step = _matching_step(user.totp_secret, code)
    if step is not None:
        return _use_totp_step(user, step)
    if len(code) == 10:
        return _use_recovery_code(user, code)
    return False


def count_unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# --- enrolment --------------------------------------------------------------------------


def start_enrolment(user: User, secret: str | None = None) -> str:
    """The secret being enrolled for this user, made now if there is none waiting."""
    if not user.may_use_two_factor:
        raise TwoFactorError("Two-factor sign-in is for staff accounts")
    if secret is not None or user.totp_pending_secret is None:
        user.totp_pending_secret = secret or pyotp.random_base32()
        db.session.commit()
    return user.totp_pending_secret


def confirm_enrolment(user: User, code: str | None) -> list[str]:
    """Switch on the pending secret once the person shows a code from it; returns new recovery codes."""
    secret = user.totp_pending_secret
    if secret is None:
        raise TwoFactorError("Start setting up two-factor sign-in again")
    step = _matching_step(secret, normalise_code(code))
    if step is None:
        raise TwoFactorError("The code is not right. Check the time on your phone and enter the newest code")
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _replace_recovery_codes(user)
    record_audit_event(user, "two_factor.enrolled", "user", user.id)
    db.session.commit()
    log.info("two-factor sign-in set up by user %s", user.id)
    return codes


def enrol_with_known_secret(user: User, secret: str = DEMO_TOTP_SECRET) -> None:
    """Set-up data for the demo and tests: two-factor on with a known secret, no code asked, not audited."""
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None
    db.session.commit()
    log.info("user %s enrolled in two-factor sign-in with a known secret", user.id)


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes for a user who has re-authenticated; the old ones stop working."""
    if not user.has_two_factor:
        raise TwoFactorError("Set up two-factor sign-in first")
    codes = _replace_recovery_codes(user)
    record_audit_event(user, "two_factor.recovery_codes_replaced", "user", user.id)
    db.session.commit()
    log.info("recovery codes replaced for user %s", user.id)
    return codes


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off(user: User) -> None:
    """A teacher (for whom it is optional) stops using two-factor sign-in, after re-authenticating."""
    if user.must_use_two_factor:
        raise TwoFactorError("Your roles need two-factor sign-in, so you cannot turn it off")
    _clear(user)
    record_audit_event(user, "two_factor.turned_off", "user", user.id)
    db.session.commit()
    log.info("two-factor sign-in turned off by user %s", user.id)


def reset_for(user: User, *, by: User) -> None:
    """An administrator clears a person's two-factor set-up (a lost phone); they enrol again at next sign-in.

    Their sessions end too, so whoever held the lost phone and a session is shut out.
    """
    _clear(user)
    user.session_version += 1
    record_audit_event(by, "two_factor.reset", "user", user.id, email=user.email)
    db.session.commit()
    log.info("two-factor sign-in of user %s reset by user %s", user.id, by.id)


def reauthenticate(user: User, password: str | None, code: str | None) -> None:
    """Check the person at the keyboard is the account holder: password, and a code if they have 2FA."""
    if not passwords.verify_password(user.password_hash, password or ""):
        raise TwoFactorError("Enter your password and a code from your authenticator app")
    if user.has_two_factor and not check_second_factor(user, code):
        raise TwoFactorError("Enter your password and a code from your authenticator app")


# --- showing a secret -------------------------------------------------------------------


def provisioning_uri(user: User, secret: str) -> str:
    issuer = f"{current_app.config['COUNCIL_NAME']} {current_app.config['SERVICE_NAME']}"
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str) -> str:
    """An inline SVG QR code for the authenticator app (no image request, no script)."""
    # Scale 4 and low error correction keep it within a 320px-wide phone screen.
    svg = segno.make(uri, error="l").svg_inline(scale=4, border=4, svgclass="epanel-qr-code")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def current_code(secret: str) -> str:
    """The code an app would show now (the development hint for demo accounts, and tests)."""
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).now()
