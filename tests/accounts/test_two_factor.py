"""Staff two-factor sign-in: enrolment, codes, replay, recovery codes, re-authentication and resets."""

import re
import time

import pyotp
import pytest

from epanel.accounts import two_factor
from epanel.accounts.models import RecoveryCode, User
from epanel.extensions import db
from epanel.privacy.models import AuditEvent
from tests.factories import PASSWORD, TOTP_SECRET, create_user, current_totp_code, forget_used_codes
from tests.pages import Page, get, path_of, sign_in, submit


def _password_step(client, email, password=PASSWORD, next_path=None):
    url = "/sign-in" + (f"?next={next_path}" if next_path else "")
    return submit(client, url, {"email": email, "password": password}, form_page="/sign-in")


def _code_at(secret, steps_from_now=0):
    return pyotp.TOTP(secret).at(int(time.time()) + steps_from_now * 30)


def _audit_actions():
    return [event.action for event in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def _secret_on(page) -> str:
    return page.soup.select_one("[data-testid=totp-secret]").get_text().replace(" ", "")


def _recovery_codes_on(page) -> list[str]:
    return [item.get_text(strip=True) for item in page.soup.select("[data-testid=recovery-codes] li")]


# --- enrolment ---------------------------------------------------------------------------


def test_an_officer_sets_up_two_factor_at_first_sign_in_and_gets_ten_recovery_codes(client):
    create_user("officer@example.org", roles=["officer"], totp=False)

    first = _password_step(client, "officer@example.org", next_path="/officer/panels")
    assert path_of(first.location) == "/sign-in/set-up-two-factor"
    setup = get(client, "/sign-in/set-up-two-factor")
    assert setup.heading == "Set up two-factor sign-in"
    assert setup.soup.select_one("svg.epanel-qr-code") is not None, "an inline SVG QR code"
    secret = _secret_on(setup)
    assert get(client, "/staff").status == 302, "not signed in yet"

    wrong = submit(client, "/sign-in/set-up-two-factor", {"code": "000000" if _code_at(secret) != "000000" else "111111"})
    assert wrong.status == 200 and wrong.title.startswith("Error:")
    token = setup.csrf_token()
    response = client.post("/sign-in/set-up-two-factor", data={"csrf_token": token, "code": _code_at(secret)})
    done = Page(response.status_code, response.get_data(as_text=True))

    assert done.status == 200
    assert response.headers["Cache-Control"] == "no-store", "the codes are not kept in any cache"
    codes = _recovery_codes_on(done)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert done.soup.select_one("a.govuk-button")["href"] == "/officer/panels"
    assert get(client, "/officer/panels").status == 200, "signed in after enrolling"
    user = db.session.scalar(db.select(User).where(User.email == "officer@example.org"))
    assert user.has_two_factor and user.totp_secret == secret
    stored = db.session.scalars(db.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not any(code in hashed or code.replace("-", "") in hashed for code in codes for hashed in stored), \
        "only salted hashes are kept"
    assert "two_factor.enrolled" in _audit_actions()


def test_the_enrolment_secret_stays_the_same_while_the_page_is_reloaded(client):
    create_user("officer@example.org", roles=["officer"], totp=False)
    _password_step(client, "officer@example.org")

    assert _secret_on(get(client, "/sign-in/set-up-two-factor")) == _secret_on(get(client, "/sign-in/set-up-two-factor"))


def test_a_teacher_signs_in_with_a_password_alone_until_they_choose_two_factor(client):
    create_user("teacher@example.org", roles=["teacher"])

    page = _password_step(client, "teacher@example.org")

    assert path_of(page.location) == "/staff"
    assert "off" in get(client, "/account").text


def test_a_teacher_turns_on_two_factor_after_confirming_it_is_them(client):
    create_user("teacher@example.org", roles=["teacher"])
    sign_in(client, "teacher@example.org", PASSWORD)

    asked = get(client, "/account/two-factor/set-up")
    assert path_of(asked.location).startswith("/account/confirm-it-is-you")
    refused = submit(client, asked.location, {"password": "not my password at all"}, form_page=asked.location)
    assert refused.status == 200 and refused.title.startswith("Error:")
    confirmed = submit(client, asked.location, {"password": PASSWORD}, form_page=asked.location)
    assert path_of(confirmed.location) == "/account/two-factor/set-up"
    secret = _secret_on(get(client, "/account/two-factor/set-up"))
    done = submit(client, "/account/two-factor/set-up", {"code": _code_at(secret)})
    assert len(_recovery_codes_on(done)) == 10

    submit(client, "/sign-out", {}, form_page="/account")
    assert path_of(_password_step(client, "teacher@example.org").location) == "/sign-in/code"


def test_members_cannot_set_up_two_factor(client):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    assert get(client, "/account/two-factor").status == 403
    assert get(client, "/account/two-factor/set-up").status == 403


# --- signing in with a code ----------------------------------------------------------------


def test_staff_sign_in_with_password_then_a_code_and_only_then_are_signed_in(client):
    create_user("admin@example.org", roles=["admin"])

    first = _password_step(client, "admin@example.org", next_path="/admin/users")

    assert path_of(first.location) == "/sign-in/code"
    code_page = get(client, "/sign-in/code")
    assert code_page.heading == "Enter the code from your authenticator app"
    with client.session_transaction() as current:
        assert "_user_id" not in current, "Flask-Login knows nothing until the code is right"
    for url in ("/admin/users", "/staff", "/officer/panels", "/account"):
        assert path_of(get(client, url).location).startswith("/sign-in?next="), url

    second = submit(client, "/sign-in/code", {"code": current_totp_code()})

    assert path_of(second.location) == "/admin/users"
    assert get(client, "/admin/users").status == 200


def test_a_wrong_code_is_refused_with_an_error_and_nothing_is_signed_in(client):
    create_user("admin@example.org", roles=["admin"])
    _password_step(client, "admin@example.org")

    wrong = submit(client, "/sign-in/code", {"code": "123456" if current_totp_code() != "123456" else "654321"})

    assert wrong.status == 200
    assert wrong.title.startswith("Error:")
    assert wrong.error_summary == ["The code is not right, or has been used already. Enter the newest code from your app"]
    assert path_of(get(client, "/admin/users").location).startswith("/sign-in")


def test_a_code_cannot_be_replayed_within_its_window(app):
    create_user("officer@example.org", roles=["officer"])
    code = current_totp_code()
    first, second = app.test_client(), app.test_client()

    _password_step(first, "officer@example.org")
    assert path_of(submit(first, "/sign-in/code", {"code": code}).location) == "/staff"
    _password_step(second, "officer@example.org")
    replay = submit(second, "/sign-in/code", {"code": code})

    assert replay.status == 200
    assert replay.error_summary == ["The code is not right, or has been used already. Enter the newest code from your app"]
    assert path_of(get(second, "/staff").location).startswith("/sign-in")


def test_an_earlier_code_is_refused_once_a_later_one_was_used(app):
    user = create_user("officer@example.org", roles=["officer"])

    assert two_factor.check_second_factor(user, _code_at(TOTP_SECRET, 0))
    assert not two_factor.check_second_factor(user, _code_at(TOTP_SECRET, -1))
    assert two_factor.check_second_factor(user, _code_at(TOTP_SECRET, 1)), "the next step is within the drift allowed"
    assert not two_factor.check_second_factor(user, _code_at(TOTP_SECRET, 1))
    assert not two_factor.check_second_factor(user, _code_at(TOTP_SECRET, 5)), "too far ahead"


def test_a_recovery_code_signs_in_once(app):
    user = create_user("officer@example.org", roles=["officer"])
    codes = two_factor.regenerate_recovery_codes(user)
    first, second = app.test_client(), app.test_client()

    _password_step(first, "officer@example.org")
    used = submit(first, "/sign-in/code", {"code": codes[3].upper().replace("-", " ")})
    _password_step(second, "officer@example.org")
    again = submit(second, "/sign-in/code", {"code": codes[3]})

    assert path_of(used.location) == "/staff"
    assert again.status == 200 and again.error_summary
    assert two_factor.count_unused_recovery_codes(user) == 9
    assert "two_factor.recovery_code_used" in _audit_actions()


def test_code_attempts_are_rate_limited(app, client):
    app.config["RATELIMIT_TWO_FACTOR"] = "3 per minute"
    create_user("officer@example.org", roles=["officer"])
    _password_step(client, "officer@example.org")
    wrong = "123456" if current_totp_code() != "123456" else "654321"

    for _ in range(3):
        assert submit(client, "/sign-in/code", {"code": wrong}).status == 200
    blocked = submit(client, "/sign-in/code", {"code": current_totp_code()})

    assert blocked.status == 429
    assert blocked.heading == "Too many attempts"


def test_the_half_way_state_expires_and_ends_with_a_password_change(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    _password_step(client, "officer@example.org")
    with client.session_transaction() as current:
        current["pending_sign_in"] = {**current["pending_sign_in"], "at": current["pending_sign_in"]["at"] - 11 * 60}
    late = submit(client, "/sign-in/code", {"code": current_totp_code()}, form_page="/sign-in")
    assert path_of(late.location) == "/sign-in"

    forget_used_codes(user.email)
    _password_step(client, "officer@example.org")
    from epanel.accounts.operations import change_password

    change_password(user, "another long password entirely")
    assert path_of(submit(client, "/sign-in/code", {"code": current_totp_code()}, form_page="/sign-in").location) == "/sign-in"


def test_a_disabled_account_cannot_finish_signing_in(client):
    user = create_user("officer@example.org", roles=["officer"])
    _password_step(client, "officer@example.org")
    user.is_disabled = True
    db.session.commit()

    page = submit(client, "/sign-in/code", {"code": current_totp_code()}, form_page="/sign-in")

    assert path_of(page.location) == "/sign-in"
    assert path_of(get(client, "/staff").location).startswith("/sign-in")


def test_staff_who_must_use_two_factor_cannot_be_signed_in_by_a_session_without_it(app, client):
    """A teacher signed in by password alone is then made an officer: their session must end."""
    user = create_user("teacher@example.org", roles=["teacher"])
    sign_in(client, "teacher@example.org", PASSWORD)
    assert get(client, "/staff").status == 200
    from epanel.accounts.models import Role, RoleGrant

    user.role_grants.append(RoleGrant(role=Role.OFFICER))
    db.session.commit()

    assert path_of(get(client, "/staff").location).startswith("/sign-in")


# --- recovery codes, turning off, resets --------------------------------------------------


def test_new_recovery_codes_need_password_and_code_and_replace_the_old_ones(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    old = two_factor.regenerate_recovery_codes(user)
    sign_in(client, "officer@example.org", PASSWORD)

    asked = get(client, "/account/two-factor/recovery-codes")
    assert path_of(asked.location).startswith("/account/confirm-it-is-you")
    no_code = submit(client, asked.location, {"password": PASSWORD, "code": ""}, form_page=asked.location)
    assert no_code.status == 200 and no_code.title.startswith("Error:")
    forget_used_codes(user.email)
    submit(client, asked.location, {"password": PASSWORD, "code": current_totp_code()}, form_page=asked.location)
    page = submit(client, "/account/two-factor/recovery-codes", {})

    new = _recovery_codes_on(page)
    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.check_second_factor(user, old[0])
    assert two_factor.check_second_factor(user, new[0])


def test_officers_cannot_turn_two_factor_off(client):
    user = create_user("officer@example.org", roles=["officer"])
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.turn_off(user)
    sign_in(client, "officer@example.org", PASSWORD)
    assert path_of(get(client, "/account/two-factor/turn-off").location) == "/account/two-factor"


def test_an_administrator_resets_a_colleagues_two_factor_and_it_is_audited(app, client):
    create_user("admin@example.org", roles=["admin"])
    officer = create_user("officer@example.org", roles=["officer"])
    officer_client = app.test_client()
    sign_in(officer_client, "officer@example.org", PASSWORD)
    sign_in(client, "admin@example.org", PASSWORD)
    users = get(client, "/admin/users")
    reset_link = users.soup.find("a", href=f"/admin/users/{officer.id}/reset-two-factor")
    assert reset_link is not None

    asked = get(client, reset_link["href"])
    assert path_of(asked.location).startswith("/account/confirm-it-is-you")
    forget_used_codes("admin@example.org")
    confirmed = submit(client, asked.location, {"password": PASSWORD, "code": current_totp_code()}, form_page=asked.location)
    assert path_of(confirmed.location) == reset_link["href"]
    done = submit(client, reset_link["href"], {})

    assert path_of(done.location) == "/admin/users"
    db.session.expire_all()
    assert not officer.has_two_factor
    assert db.session.scalar(db.select(db.func.count(RecoveryCode.id)).where(RecoveryCode.user_id == officer.id)) == 0
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "two_factor.reset")).one()
    assert (event.actor_label, event.object_id) == ("admin@example.org", str(officer.id))
    assert path_of(get(officer_client, "/staff").location).startswith("/sign-in"), "their sessions ended"
    again = _password_step(app.test_client(), "officer@example.org")
    assert path_of(again.location) == "/sign-in/set-up-two-factor", "they enrol again"


def test_only_administrators_can_reset_two_factor(client):
    create_user("officer@example.org", roles=["officer"])
    other = create_user("other@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)

    assert get(client, f"/admin/users/{other.id}/reset-two-factor").status == 403


# --- the demo ----------------------------------------------------------------------------


def test_demo_staff_sign_in_with_the_published_secret_and_see_the_code_in_development(app, client):
    from epanel.demo import DEMO_PASSWORD, load_demo

    app.config["DEMO_TOOLS"] = True
    load_demo(member_count=5)

    _password_step(client, "officer@avonmere.example", DEMO_PASSWORD)
    page = get(client, "/sign-in/code")
    hint = re.search(r"code is (\d{6})", page.text).group(1)
    assert hint == pyotp.TOTP(two_factor.DEMO_TOTP_SECRET).now()
    assert path_of(submit(client, "/sign-in/code", {"code": hint}).location) == "/staff"
    teacher = app.test_client()
    assert path_of(_password_step(teacher, "teacher@avonmere.example", DEMO_PASSWORD).location) == "/staff"


def test_the_code_page_gives_no_hint_outside_development(client):
    user = create_user("officer@example.org", roles=["officer"], totp=False)
    two_factor.enrol_with_known_secret(user)  # even with the demo secret
    _password_step(client, "officer@example.org")

    assert "Development only" not in get(client, "/sign-in/code").text


def test_the_429_page_says_how_long_to_wait(app, client):
    app.config["RATELIMIT_SIGN_IN"] = "1 per hour"
    submit(client, "/sign-in", {"email": "nobody@example.org", "password": "wrong password here"})

    page = submit(client, "/sign-in", {"email": "nobody@example.org", "password": "wrong password here"})

    assert page.status == 429
    assert page.title.startswith("Too many attempts")
    assert "Wait 1 hour, then try again" in page.text
