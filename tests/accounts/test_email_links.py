import re
from datetime import timedelta

from epanel.accounts.models import EmailToken
from epanel.common.time import utcnow
from epanel.extensions import db
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit

NEW_PASSWORD = "a much better password 2026"


def link_in(message) -> str:
    """The path of the one link in an e-mail that reached the SMTP server."""
    match = re.search(r"https?://[^/\s]+(/\S+)", message.get_content())
    assert match, "no link in the e-mail"
    return match.group(1)


def test_reset_for_an_unknown_address_says_what_it_says_for_a_known_one(client, mailbox):
    create_user("known@example.org")

    known = submit(client, "/reset-password", {"email": "known@example.org"})
    assert len(mailbox) == 1
    unknown = submit(client, "/reset-password", {"email": "unknown@example.org"})

    assert len(mailbox) == 1, "nothing is sent to an address without an account"
    assert known.status == unknown.status == 200
    assert known.heading == unknown.heading == "Check your email"
    assert known.text.replace("known@example.org", "X") == unknown.text.replace("unknown@example.org", "X")


def test_reset_email_reaches_the_person_with_a_link(client, mailbox):
    create_user("known@example.org", name="Jo Bloggs")

    submit(client, "/reset-password", {"email": "known@example.org"})

    (message,) = mailbox
    assert message["To"] == "known@example.org"
    assert "Reset your" in message["Subject"]
    assert "Hello Jo Bloggs" in message.get_content()
    assert link_in(message).startswith("/reset-password/")


def test_reset_link_works_once(client, mailbox):
    create_user("known@example.org")
    submit(client, "/reset-password", {"email": "known@example.org"})
    link = link_in(mailbox[0])

    done = submit(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = get(client, link)

    assert path_of(done.location) == "/sign-in"
    assert again.status == 400
    assert again.heading == "This link has expired or has already been used"
    assert path_of(sign_in(client, "known@example.org", NEW_PASSWORD).location) == "/account"


def test_reset_link_expires(client, mailbox):
    create_user("known@example.org")
    submit(client, "/reset-password", {"email": "known@example.org"})
    link = link_in(mailbox[0])
    token = db.session.scalar(db.select(EmailToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    page = get(client, link)

    assert page.status == 400
    assert page.heading == "This link has expired or has already been used"
    assert sign_in(client, "known@example.org", PASSWORD).status == 302, "old password still works"


def test_a_newer_reset_link_replaces_the_older_one(client, mailbox):
    create_user("known@example.org")
    submit(client, "/reset-password", {"email": "known@example.org"})
    submit(client, "/reset-password", {"email": "known@example.org"})
    older, newer = link_in(mailbox[0]), link_in(mailbox[1])

    assert get(client, older).status == 400
    assert get(client, newer).status == 200


def test_a_too_short_password_is_refused_and_the_link_still_works(client, mailbox):
    create_user("known@example.org")
    submit(client, "/reset-password", {"email": "known@example.org"})
    link = link_in(mailbox[0])

    page = submit(client, link, {"password": "short", "confirm": "short"})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["Password must be 12 characters or more"]
    assert get(client, link).status == 200


def test_mismatched_passwords_are_refused(client, mailbox):
    create_user("known@example.org")
    submit(client, "/reset-password", {"email": "known@example.org"})

    page = submit(client, link_in(mailbox[0]), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})

    assert page.error_summary == ["The passwords do not match"]


def test_member_signs_in_with_an_emailed_link_once(client, mailbox):
    create_user("member@example.org", roles=["member"])

    page = submit(client, "/sign-in-link", {"email": "member@example.org"})
    assert page.heading == "Check your email"
    link = link_in(mailbox[0])

    opened = get(client, link)
    assert opened.status == 200, "opening the link does not use it up (e-mail scanners open links)"
    used = submit(client, link, {})
    assert path_of(used.location) == "/account"
    assert get(client, "/account").status == 200

    client._cookies.clear()
    assert get(client, link).status == 400


def test_staff_get_no_sign_in_link_but_the_same_answer(client, mailbox):
    create_user("officer@example.org", roles=["officer"])

    page = submit(client, "/sign-in-link", {"email": "officer@example.org"})

    assert page.heading == "Check your email"
    assert mailbox == []


def test_a_link_with_a_made_up_token_is_refused(client):
    assert get(client, "/reset-password/made-up-token").status == 400
    assert get(client, "/sign-in-link/made-up-token").status == 400
