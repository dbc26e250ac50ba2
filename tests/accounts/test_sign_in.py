import re
from urllib.parse import urlencode

import pytest

from epanel.accounts import operations
from epanel.extensions import db
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit


def test_officer_signs_in_and_lands_on_staff_home(client):
    create_user("officer@example.org", roles=["officer"])

    page = sign_in(client, "Officer@Example.org ", PASSWORD)

    assert page.status == 302
    assert path_of(page.location) == "/staff"
    assert get(client, "/staff").heading == "Staff home"


def test_member_signs_in_and_lands_on_their_account(client):
    create_user("member@example.org", roles=["member"])

    page = sign_in(client, "member@example.org", PASSWORD)

    assert path_of(page.location) == "/account"
    assert "member@example.org" in get(client, "/account").text


def test_wrong_password_is_refused_and_the_email_is_kept(client):
    create_user("officer@example.org", roles=["officer"])

    page = sign_in(client, "officer@example.org", "not the password at all")

    assert page.status == 200
    assert page.title.startswith("Error: Sign in")
    assert page.error_summary == ["Enter the email address and password for your account"]
    assert page.soup.find("input", attrs={"name": "email"})["value"] == "officer@example.org"


def test_unknown_address_gets_the_same_answer_as_a_wrong_password(client):
    create_user("officer@example.org", roles=["officer"])

    known = sign_in(client, "officer@example.org", "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")

    assert known.error_summary == unknown.error_summary


def test_missing_fields_are_named_in_the_error_summary(client):
    page = submit(client, "/sign-in", {"email": "not-an-address", "password": ""})

    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Enter an email address in the correct format, like name@example.com",
        "Enter your password",
    ]


def test_disabled_account_cannot_sign_in(client):
    user = create_user("officer@example.org", roles=["officer"])
    user.is_disabled = True
    db.session.commit()

    page = sign_in(client, "officer@example.org", PASSWORD)

    assert page.status == 200
    assert page.error_summary


def test_sign_out_ends_the_session(client):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    account_page = get(client, "/account")

    response = client.post("/sign-out", data={"csrf_token": account_page.csrf_token()})

    assert path_of(response.headers["Location"]) == "/sign-in"
    assert get(client, "/account").status == 302


def test_sign_in_starts_a_fresh_session(client):
    create_user("member@example.org", roles=["member"])
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "yes"

    sign_in(client, "member@example.org", PASSWORD)

    with client.session_transaction() as current:
        assert "planted_by_attacker" not in current


def test_changing_the_password_ends_other_sessions(app, client):
    user = create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    assert get(client, "/account").status == 200

    operations.change_password(user, "a brand new long password")

    assert path_of(get(client, "/account").location).startswith("/sign-in")


def test_post_without_csrf_token_is_refused(client):
    create_user("member@example.org", roles=["member"])

    response = client.post("/sign-in", data={"email": "member@example.org", "password": PASSWORD})

    assert response.status_code == 400
    assert "did not save anything" in response.get_data(as_text=True)
    with client.session_transaction() as current:
        assert "_user_id" not in current


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "\\\\evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "/\r\nLocation: https://evil.example",
        "///evil.example",
    ],
)
def test_next_parameter_cannot_send_people_off_site(client, target):
    create_user("member@example.org", roles=["member"])
    url = "/sign-in?" + urlencode({"next": target})

    token = get(client, url).csrf_token()
    response = client.post(url, data={"csrf_token": token, "email": "member@example.org", "password": PASSWORD})

    location = response.headers["Location"]
    assert response.status_code == 302
    assert location == "/account"


def test_next_parameter_returns_people_to_the_page_they_asked_for(client):
    create_user("officer@example.org", roles=["officer"])
    first = get(client, "/officer/panels")
    assert path_of(first.location) == "/sign-in?next=/officer/panels"

    page = sign_in(client, "officer@example.org", PASSWORD, next_path="/officer/panels")

    assert page.location == "/officer/panels"  # through the code step, the next= is kept


def test_too_many_sign_in_attempts_get_the_429_page(app, client):
    app.config["RATELIMIT_SIGN_IN"] = "3 per minute"
    for _ in range(3):
        assert sign_in(client, "nobody@example.org", "wrong password here").status == 200

    page = sign_in(client, "nobody@example.org", "wrong password here")

    assert page.status == 429
    assert page.heading == "Too many attempts"


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/sign-in")

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie



@pytest.mark.parametrize("password", ["qazwsxedcrfv", "1q2w3e4r5t6y", "Leavemealone", "  123456789qwe "])
def test_a_common_password_is_refused_with_a_clear_message(password):
    from epanel.accounts.passwords import password_problem

    assert password_problem(password).startswith("This password is on a list of passwords that are often used")


def test_no_composition_rules_apply_to_an_uncommon_password():
    from epanel.accounts.passwords import password_problem

    assert password_problem("lowercase words only here") is None


def test_choosing_a_common_password_shows_the_error_on_the_form(client, mailbox):
    create_user("member@example.org", roles=["member"])
    submit(client, "/reset-password", {"email": "member@example.org"})
    link = re.search(r"https?://[^/\s]+(/\S+)", mailbox[-1].get_content()).group(1)

    page = submit(client, link, {"password": "qazwsxedcrfv", "confirm": "qazwsxedcrfv"})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert any("often used and easy to guess" in error for error in page.error_summary)
    with pytest.raises(operations.AccountError):
        operations.create_user("new@example.org", "New", ["officer"], password="1qaz2wsx3edc")
