"""Plain functions that make test data with sensible defaults, through the real operations."""

import itertools
from datetime import date

from epanel.accounts import operations as account_operations
from epanel.panels import operations as panel_operations
from epanel.panels.models import Member, MemberSource, MemberStatus

PASSWORD = "correct horse battery staple"
# Every test account with two-factor sign-in shares this authenticator secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_numbers = itertools.count(1)


def create_user(email=None, roles=("member",), password=PASSWORD, name=None, totp=None):
    """A user; staff whose roles need two-factor sign-in are enrolled with TOTP_SECRET unless totp=False."""
    from epanel.accounts import two_factor
    from epanel.accounts.models import TWO_FACTOR_REQUIRED_ROLES, Role

    number = next(_numbers)
    email = email or f"person{number}@example.org"
    user = account_operations.create_user(email, name or f"Person {number}", roles, password=password)
    if totp is None:
        totp = bool({Role(role) for role in roles} & TWO_FACTOR_REQUIRED_ROLES)
    if totp:
        two_factor.enrol_with_known_secret(user, TOTP_SECRET)
    return user


def current_totp_code(secret=TOTP_SECRET) -> str:
    import pyotp

    return pyotp.TOTP(secret).now()


def forget_used_codes(email):
    """Let a test sign the same account in again within one 30-second window.

    Codes are single-use, so a second sign-in in the same window would be refused as a
    replay; tests that prove that call nothing here.
    """
    from epanel.accounts.models import User
    from epanel.extensions import db

    db.session.execute(db.update(User).where(User.email == email.lower()).values(totp_last_step=None))
    db.session.commit()


def create_panel(slug=None, name=None, **rules):
    number = next(_numbers)
    return panel_operations.create_panel(slug or f"panel-{number}", name or f"Panel {number}", **rules)


def create_member(panels=(), *, first_name="Alex", last_name=None, status=MemberStatus.ACTIVE,
                  date_of_birth=date(1980, 1, 1), **fields):
    number = next(_numbers)
    member = Member(
        first_name=first_name,
        last_name=last_name or f"Member{number}",
        status=status,
        source=fields.pop("source", MemberSource.SIGN_UP),
        date_of_birth=date_of_birth,
        **fields,
    )
    panel_operations.add_members([(member, list(panels))])
    return member


def create_consultation(title="Parks and open spaces", *, kinds=("single",), open_now=True, sections=1, **access):
    """A consultation with one question of each kind given (spread over `sections` pages)."""
    from epanel.consultations import operations as consultation_operations
    from epanel.consultations.models import ConsultationStatus

    consultation = consultation_operations.create_consultation(title, None, summary="About our parks.", **access)
    pages = [consultation.sections[0]] + [
        consultation_operations.add_section(consultation, f"Page {number}") for number in range(2, sections + 1)
    ]
    for index, kind in enumerate(kinds):
        page = pages[index * len(pages) // max(len(kinds), 1)]
        consultation_operations.add_question(page, kind, f"Question about {kind}", **QUESTION_EXTRAS.get(kind, {}))
    if open_now:
        consultation_operations.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


QUESTION_EXTRAS = {
    "single": {"choices": ["Every day", "Every week", "Less often"], "allow_other": True},
    "multiple": {"choices": ["Walking", "Sport", "Play", "Nature"], "settings": {"max_choices": 2}},
    "number": {"settings": {"min": 0, "max": 20}},
    "short_text": {"settings": {"max_length": 50}},
    "long_text": {"settings": {"max_length": 200}},
    "ranking": {"choices": ["Toilets", "Lighting", "Benches"]},
    "grid": {"rows": ["Cleanliness", "Safety"]},
}


def create_invitation(consultation, member):
    """An invitation with a known private token; returns (invitation, token)."""
    from epanel.consultations.invitations import hash_invitation_token, new_invitation_token
    from epanel.consultations.models import Invitation, InvitationChannel
    from epanel.extensions import db

    token = new_invitation_token()
    invitation = Invitation(consultation_id=consultation.id, member_id=member.id, channel=InvitationChannel.EMAIL,
                            token_hash=hash_invitation_token(token))
    db.session.add(invitation)
    db.session.commit()
    return invitation, token
