"""Sessions: a fresh one at sign-in, idle and absolute timeouts, and ending them on the server."""

import pytest

from epanel.accounts import operations
from epanel.common.time import utcnow
from epanel.extensions import db
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit


def _shift_session(client, **seconds_back):
    """Move the session's clocks into the past, as if that much time had gone by."""
    with client.session_transaction() as current:
        for key, seconds in seconds_back.items():
            current[key] = current[key] - seconds


def _signed_in(client, url="/account") -> bool:
    return get(client, url).status == 200


def test_signing_in_clears_whatever_the_session_held_before(client):
    create_user("officer@example.org", roles=["officer"])
    with client.session_transaction() as current:
        current["planted"] = "by someone else"
        current["_fresh"] = True

    sign_in(client, "officer@example.org", PASSWORD)

    with client.session_transaction() as current:
        assert "planted" not in current
        assert isinstance(current["signed_in_at"], int) and isinstance(current["last_seen_at"], int)


def test_staff_are_signed_out_after_30_minutes_idle(client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    _shift_session(client, last_seen_at=29 * 60)
    assert _signed_in(client, "/staff"), "29 minutes is still fine"

    _shift_session(client, last_seen_at=31 * 60)
    page = get(client, "/staff")

    assert path_of(page.location).startswith("/sign-in?next=")
    shown = get(client, page.location)
    assert shown.banners == ["You have been signed out because you had not used the service for 30 minutes. "
                             "Sign in again to carry on."]
    with client.session_transaction() as current:
        assert "_user_id" not in current


def test_using_the_service_keeps_a_staff_session_alive(client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    for _ in range(3):
        _shift_session(client, last_seen_at=20 * 60, signed_in_at=20 * 60)
        assert _signed_in(client, "/staff")
    with client.session_transaction() as current:
        assert int(utcnow().timestamp()) - current["last_seen_at"] < 5


def test_members_have_a_longer_idle_timeout(client):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    _shift_session(client, last_seen_at=90 * 60)
    assert _signed_in(client)

    _shift_session(client, last_seen_at=121 * 60)

    assert not _signed_in(client)


@pytest.mark.parametrize("roles", [["officer"], ["member"]])
def test_every_session_ends_12_hours_after_sign_in_however_busy(client, roles):
    create_user("person@example.org", roles=roles)
    sign_in(client, "person@example.org", PASSWORD)
    _shift_session(client, signed_in_at=12 * 3600 - 60)
    assert _signed_in(client)

    _shift_session(client, signed_in_at=2 * 60)

    assert not _signed_in(client)


def test_a_session_without_its_clocks_is_not_trusted(client):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    with client.session_transaction() as current:
        del current["signed_in_at"]

    assert not _signed_in(client)


def test_signing_out_makes_a_copied_session_cookie_useless(app, client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    cookie = client.get_cookie("epanel_session").value
    thief = app.test_client()
    thief.set_cookie("epanel_session", cookie)
    assert _signed_in(thief, "/staff"), "the copy works while the session lasts"

    submit(client, "/sign-out", {}, form_page="/account")

    assert path_of(get(thief, "/staff").location).startswith("/sign-in")


def test_disabling_an_account_ends_its_sessions(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    assert _signed_in(client, "/staff")

    user.is_disabled = True
    db.session.commit()

    assert path_of(get(client, "/staff").location).startswith("/sign-in")


def test_a_password_change_ends_every_session_of_that_person(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    other_device = app.test_client()
    sign_in(client, "officer@example.org", PASSWORD)
    sign_in(other_device, "officer@example.org", PASSWORD)

    operations.change_password(user, "a brand new long password")

    assert not _signed_in(client, "/staff")
    assert not _signed_in(other_device, "/staff")
