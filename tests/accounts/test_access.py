"""Every endpoint declares who may use it, and the declarations hold."""

import pytest
from flask import Blueprint

from epanel.accounts.access import rule_for_endpoint
from epanel.api.views import API_TOKEN
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in


def test_every_endpoint_declares_an_access_rule(app):
    undeclared = sorted(
        rule.endpoint for rule in app.url_map.iter_rules() if rule_for_endpoint(app, rule.endpoint) is None
    )
    assert undeclared == []


def test_an_endpoint_without_a_rule_is_closed(make_app):
    app = make_app()
    forgotten = Blueprint("forgotten", __name__)

    @forgotten.route("/forgotten")
    def forgotten_page():
        return "should never be shown"

    app.register_blueprint(forgotten)

    response = app.test_client().get("/forgotten")

    assert response.status_code == 403
    assert "should never be shown" not in response.get_data(as_text=True)


def _simple_get_urls(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            yield rule.rule, rule_for_endpoint(app, rule.endpoint)


def test_anonymous_visitors_see_public_pages_and_are_sent_to_sign_in_for_the_rest(app, client):
    for url, rule in _simple_get_urls(app):
        response = client.get(url)
        if rule.development_only:
            assert response.status_code == 404, url
        elif rule is API_TOKEN:
            # The JSON API answers a missing token with a 401 problem, never a sign-in page.
            assert response.status_code == 401, url
        elif rule.allows_anonymous():
            # Public pages show, or (sign-up steps out of order) send people to another public page;
            # the second sign-in steps send anyone who has not given a password back to the first.
            assert response.status_code in (200, 302), url
            if response.status_code == 302 and not url.startswith("/sign-in/"):
                assert not path_of(response.headers["Location"]).startswith("/sign-in"), url
        else:
            assert response.status_code == 302, url
            assert path_of(response.headers["Location"]).startswith("/sign-in?next="), url


@pytest.mark.parametrize("url", ["/officer/panels", "/admin/users", "/admin/users/new", "/staff"])
def test_a_member_cannot_reach_staff_pages(client, url):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    page = get(client, url)

    assert page.status == 403
    assert page.heading == "You do not have permission to see this page"


def test_an_officer_cannot_reach_admin_pages(client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)

    assert get(client, "/officer/panels").status == 200
    assert get(client, "/admin/users").status == 403


def test_a_person_with_several_roles_gets_each_roles_pages(client):
    create_user("both@example.org", roles=["teacher", "officer"])
    sign_in(client, "both@example.org", PASSWORD)

    assert get(client, "/officer/panels").status == 200
    assert get(client, "/staff").status == 200
