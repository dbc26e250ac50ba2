"""CSRF: every form that changes something refuses a post without this site's token."""

import pytest

from tests.factories import PASSWORD, create_user
from tests.pages import sign_in

# Twilio's webhooks cannot carry our token; they check Twilio's signature instead (403 unsigned).
SIGNED_BY_TWILIO = {"/sms/inbound", "/sms/status"}


def _post_urls(app):
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule in SIGNED_BY_TWILIO:
            continue
        values = {name: 1 if isinstance(rule._converters[name], _int_converter()) else "x"
                  for name in rule.arguments}
        yield rule.rule, rule.endpoint, values


def _int_converter():
    from werkzeug.routing import IntegerConverter

    return IntegerConverter


def test_every_post_endpoint_refuses_a_post_without_a_csrf_token(app, client):
    create_user("admin@example.org", roles=["admin", "officer", "teacher", "councillor", "member"])
    sign_in(client, "admin@example.org", PASSWORD)
    checked = []
    with app.test_request_context():
        from flask import url_for

        urls = [(rule, url_for(endpoint, **values)) for rule, endpoint, values in _post_urls(app)]
    for rule, url in urls:
        response = client.post(url, data={"anything": "at all"})
        if rule.startswith("/api/v1/"):
            # The JSON API takes no cookies at all: a signed-in browser without an API token is refused
            # (or told the address does not exist, for the catch-all that answers unknown API paths).
            expected = 404 if "<path:" in rule else 401
            assert response.status_code == expected, f"{rule} answered {response.status_code} without an API token"
            assert response.mimetype == "application/problem+json", rule
            continue
        assert response.status_code == 400, f"{rule} answered {response.status_code} without a CSRF token"
        assert "did not save anything" in response.get_data(as_text=True), rule
        checked.append(rule)
    assert len(checked) > 40, "the URL map was walked"
    assert "/sign-in" in checked and "/sign-out" in checked and "/sign-in/code" in checked


@pytest.mark.parametrize("url", sorted(SIGNED_BY_TWILIO))
def test_the_twilio_webhooks_refuse_unsigned_posts_instead(client, url):
    response = client.post(url, data={"From": "+447700900123", "Body": "STOP"})

    assert response.status_code == 403


def test_a_token_from_another_session_is_refused(app, client):
    from tests.pages import get

    create_user("member@example.org", roles=["member"])
    other = app.test_client()
    token_from_elsewhere = get(other, "/sign-in").csrf_token()
    get(client, "/sign-in")

    response = client.post("/sign-in", data={"csrf_token": token_from_elsewhere, "email": "member@example.org",
                                             "password": PASSWORD})

    assert response.status_code == 400
