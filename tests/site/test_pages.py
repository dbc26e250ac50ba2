import re

import pytest
from flask import abort

from epanel import create_app
from epanel.accounts.access import public
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, sign_in, submit


def test_home_page_shows_the_council_and_its_open_panels(app, client):
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    create_panel("closed", "Closed Panel", signup_open=False)
    create_member([citizens])

    page = get(client, "/")

    assert page.status == 200
    assert page.title == "Have your say – Avonmere District Council"
    assert page.soup.select_one(".govuk-header").get_text(strip=True) == "Avonmere District Council"
    assert "Citizens' Panel" in page.text
    assert "Ages 18 and over · 1 members" in page.text
    assert "Closed Panel" not in page.text


def test_council_name_comes_from_configuration(make_app):
    app = make_app(COUNCIL_NAME="Borsetshire County Council")

    page = get(app.test_client(), "/")

    assert "Borsetshire County Council" in page.title


def test_pages_carry_no_gov_uk_branding(client):
    html = get(client, "/").html

    assert "GOV.UK" not in html
    assert "govuk-logo" not in html
    assert "govuk-crest" not in html
    assert "Crown copyright" not in html


@pytest.mark.parametrize(
    "url, heading",
    [
        ("/privacy", "Privacy notice"),
        ("/accessibility", "Accessibility statement"),
        ("/cookies", "Cookies"),
        ("/contact", "Contact us"),
    ],
)
def test_footer_pages_are_linked_from_every_page_and_open(client, url, heading):
    home = get(client, "/")
    assert home.soup.select_one(f"footer a[href='{url}']") is not None

    assert get(client, url).heading == heading


def test_every_page_has_a_skip_link_and_a_phase_banner(client):
    page = get(client, "/sign-in")

    assert page.soup.select_one("a.govuk-skip-link")["href"] == "#main-content"
    assert page.soup.select_one("main#main-content") is not None
    assert page.soup.select_one(".govuk-phase-banner").get_text(" ", strip=True).startswith("beta")


def test_security_headers_allow_no_inline_script_but_the_nonced_one(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]

    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = get(client, "/").soup.find_all("script", src=False)
    assert scripts and all(script.get("nonce") for script in scripts)
    assert nonce not in get(client, "/").html, "a fresh nonce on every response"


def test_hsts_and_secure_cookies_outside_development(make_app):
    app = make_app(SEND_HSTS=True, SESSION_COOKIE_SECURE=True)

    response = app.test_client().get("/sign-in", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    from epanel.config import ProductionConfig

    monkeypatch.setenv("EPANEL_ENV", "production")
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)

    with pytest.raises(RuntimeError, match="EPANEL_SECRET_KEY must be set"):
        create_app()


def test_production_config_has_secure_cookies_and_hsts():
    from epanel.config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SEND_HSTS is True
    assert ProductionConfig.DEMO_TOOLS is False


def test_unknown_page_gets_the_styled_404(client):
    page = get(client, "/no-such-page")

    assert page.status == 404
    assert page.heading == "Page not found"
    assert page.title.startswith("Page not found – Have your say")


def test_wrong_method_gets_the_styled_405(client):
    page = get(client, "/sign-out")

    assert page.status == 405
    assert page.heading == "Sorry, that did not work"


def test_a_crash_gets_the_styled_500_without_details(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert "secret internal detail" not in response.get_data(as_text=True)


def test_a_bad_request_gets_the_styled_400(make_app):
    app = make_app()

    @app.route("/bad")
    @public
    def bad():
        abort(400)

    response = app.test_client().get("/bad")

    assert response.status_code == 400
    assert "Sorry, there is a problem with that request" in response.get_data(as_text=True)


def test_development_mail_page_is_hidden_outside_development(client):
    create_user("admin@example.org", roles=["admin"])
    sign_in(client, "admin@example.org", PASSWORD)

    assert get(client, "/dev/mail").status == 404


def test_development_mail_page_shows_console_mail_to_admins(app, make_app):
    dev_app = make_app(DEMO_TOOLS=True, MAIL_BACKEND="console")
    client = dev_app.test_client()
    create_user("admin@example.org", roles=["admin"])
    submit(client, "/reset-password", {"email": "admin@example.org"})
    sign_in(client, "admin@example.org", PASSWORD)

    page = get(client, "/dev/mail")

    assert page.status == 200
    assert "Reset your Have your say password" in page.text
    assert "/reset-password/" in page.text
