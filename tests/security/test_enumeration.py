"""Account enumeration: sign-in, reset and sign-in links say the same whether or not an account exists."""

from tests.factories import PASSWORD, create_user
from tests.pages import submit


def _comparable(page) -> tuple:
    return page.status, page.title, page.heading, page.error_summary


def test_sign_in_answers_the_same_for_unknown_address_wrong_password_and_disabled_account(app):
    create_user("officer@example.org", roles=["officer"])
    disabled = create_user("gone@example.org", roles=["officer"])
    disabled.is_disabled = True
    from epanel.extensions import db

    db.session.commit()

    answers = [
        _comparable(submit(app.test_client(), "/sign-in", {"email": email, "password": password}))
        for email, password in [("officer@example.org", "not the password at all"),
                                ("nobody@example.org", "not the password at all"),
                                ("gone@example.org", PASSWORD)]
    ]

    assert answers[0] == answers[1] == answers[2]


def test_a_right_password_alone_never_says_whether_two_factor_is_set_up_for_a_stranger(app):
    """Only the account holder (right password) reaches the code step; strangers all see the same."""
    create_user("officer@example.org", roles=["officer"])
    create_user("member@example.org", roles=["member"])

    officer = submit(app.test_client(), "/sign-in", {"email": "officer@example.org", "password": "wrong password here"})
    member = submit(app.test_client(), "/sign-in", {"email": "member@example.org", "password": "wrong password here"})

    assert _comparable(officer) == _comparable(member)


def test_password_reset_says_the_same_for_known_unknown_and_staff_addresses(app, mailbox):
    create_user("member@example.org", roles=["member"])
    create_user("officer@example.org", roles=["officer"])

    pages = [submit(app.test_client(), "/reset-password", {"email": email})
             for email in ("member@example.org", "nobody@example.org", "officer@example.org")]

    texts = [page.text.replace(email, "ADDRESS") for page, email in
             zip(pages, ("member@example.org", "nobody@example.org", "officer@example.org"), strict=True)]
    assert len(set(texts)) == 1
    assert {page.status for page in pages} == {200}
    assert sorted(message["To"] for message in mailbox) == ["member@example.org", "officer@example.org"]


def test_sign_in_link_requests_say_the_same_for_members_strangers_and_staff(app, mailbox):
    create_user("member@example.org", roles=["member"])
    create_user("officer@example.org", roles=["officer"])

    emails = ("member@example.org", "nobody@example.org", "officer@example.org")
    pages = [submit(app.test_client(), "/sign-in-link", {"email": email}) for email in emails]

    assert len({page.text.replace(email, "ADDRESS") for page, email in zip(pages, emails, strict=True)}) == 1
    assert [message["To"] for message in mailbox] == ["member@example.org"], "staff never get a sign-in link"
