"""Open redirects: a next= parameter only ever leads back into this site, through every sign-in route."""

from urllib.parse import urlencode

import pytest

from epanel.common.redirects import safe_next_path
from tests.factories import PASSWORD, create_user
from tests.pages import path_of, sign_in

OFF_SITE = [
    "//evil.example",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\tevil",
    " //evil.example",
    "///evil.example",
    "https:/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_path_refuses_anything_off_site(target):
    assert safe_next_path(target, "/home") == "/home"


def test_an_encoded_line_break_stays_a_path_on_this_site():
    target = "/%0d%0aLocation:%20https://evil.example"

    assert safe_next_path(target, "/home") == target  # still percent-encoded: no header can be split


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example"])
def test_staff_two_step_sign_in_does_not_follow_an_off_site_next(client, target):
    create_user("officer@example.org", roles=["officer"])

    page = sign_in(client, "officer@example.org", PASSWORD, next_path=target)

    assert page.status == 302
    assert page.location == "/staff"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/"])
def test_an_already_signed_in_person_is_not_sent_off_site(client, target):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    response = client.get("/sign-in?" + urlencode({"next": target}))

    assert path_of(response.headers["Location"]) == "/account"


def test_reauthentication_does_not_follow_an_off_site_next(client):
    from tests.pages import submit

    create_user("teacher@example.org", roles=["teacher"])
    sign_in(client, "teacher@example.org", PASSWORD)
    url = "/account/confirm-it-is-you?" + urlencode({"next": "//evil.example"})

    page = submit(client, url, {"password": PASSWORD})

    assert path_of(page.location) == "/account/two-factor"
