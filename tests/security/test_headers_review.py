"""Security headers and cookies, reviewed end to end on a sample of every kind of page: public,
member, staff, JSON, errors and embeds; and the session cookie in production and development."""

import re
from http.cookies import SimpleCookie

import pytest
from bs4 import BeautifulSoup

from epanel.accounts.access import public
from epanel.api import embeds
from epanel.config import DevelopmentConfig, ProductionConfig, TestConfig
from tests.factories import PASSWORD, create_consultation, create_user
from tests.pages import sign_in

PARTNER = "https://www.example-parish.org.uk"
COOKIE_SETTINGS = ("SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
                   "SESSION_COOKIE_PATH", "SESSION_COOKIE_DOMAIN", "SEND_HSTS")


def policy_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";"))


def assert_strict_headers(response, url, *, framed_by="'none'"):
    policy = policy_of(response)
    assert policy["default-src"] == "'self'", url
    script = policy["script-src"].split()
    assert script[0] == "'self'" and len(script) == 2 and re.fullmatch(r"'nonce-[A-Za-z0-9_-]{16,}'", script[1]), url
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], url
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], url
    assert policy["style-src"] == "'self'", url
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'", url
    assert policy["form-action"] == "'self'", url
    assert policy["frame-ancestors"] == framed_by, url
    if framed_by == "'none'":
        assert response.headers["X-Frame-Options"] == "DENY", url
    else:
        assert "X-Frame-Options" not in response.headers, url
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
    assert "camera=()" in response.headers["Permissions-Policy"], url
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", url
    if response.mimetype == "text/html":
        assert response.headers["Cache-Control"] == "no-store", url
        assert_no_inline_code(response, script[1][len("'nonce-"):-1], url)


def assert_no_inline_code(response, nonce, url):
    """The page runs no script the policy would have to allow by `unsafe-inline`: each inline script
    carries this response's nonce, and no element has an event-handler or style attribute."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    for script in soup.find_all("script"):
        if not script.get("src"):
            assert script.get("nonce") == nonce, f"{url}: inline script without this response's nonce"
    for element in soup.find_all(True):
        handlers = [name for name in element.attrs if name.lower().startswith("on")]
        assert not handlers, f"{url}: <{element.name}> has inline handlers {handlers}"
        assert "style" not in element.attrs, f"{url}: <{element.name}> has a style attribute the policy blocks"
        assert not str(element.get("href", "")).lower().startswith("javascript:"), url


@pytest.fixture
def consultation(app):
    consultation = create_consultation(for_public=True)
    embeds.add_embed_origin(consultation, PARTNER, None)
    return consultation


def test_public_pages_send_the_strict_headers(app, client, consultation):
    for url in ("/", "/consultations", f"/consultations/{consultation.slug}", "/sign-in", "/privacy", "/cookies",
                "/you-said-we-did", "/join"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_headers(response, url)


def test_member_pages_send_the_strict_headers(app, client):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    for url in ("/account", "/consultations"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_headers(response, url)


def test_staff_pages_send_the_strict_headers(app, client, consultation):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    for url in ("/staff", "/officer/consultations", f"/officer/consultations/{consultation.slug}",
                f"/officer/consultations/{consultation.slug}/embed",
                "/officer/outbox", "/officer/panels"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_headers(response, url)


def test_json_answers_send_the_strict_headers(app, client):
    urls = ["/healthz"] + [rule.rule for rule in app.url_map.iter_rules() if rule.rule == "/api/v1/openapi.json"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/json", url
        assert_strict_headers(response, url)


def test_error_pages_send_the_strict_headers(app, client, consultation):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    for url, method, status in (("/no-such-page", "get", 404), ("/officer/consultations", "get", 403),
                                ("/sign-out", "get", 405),
                                ("/embed/consultations/no-such-consultation", "get", 404)):
        response = getattr(client, method)(url)
        assert response.status_code == status, url
        assert_strict_headers(response, url)


def test_the_refused_form_page_sends_the_strict_headers(app, client):
    response = client.post("/sign-out")

    assert response.status_code == 400
    assert_strict_headers(response, "/sign-out")


def test_the_server_error_page_sends_the_strict_headers(make_app):
    app = make_app(TESTING=False)

    @app.route("/test-only-broken")
    @public
    def broken():
        raise RuntimeError("broken on purpose")

    response = app.test_client().get("/test-only-broken")

    assert response.status_code == 500
    assert_strict_headers(response, "/test-only-broken")


def test_embed_pages_may_be_framed_only_by_their_allowed_origins(app, client, consultation):
    for url in (f"/embed/consultations/{consultation.slug}", f"/embed/consultations/{consultation.slug}/results"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_headers(response, url, framed_by=PARTNER)
    start = BeautifulSoup(client.get(f"/embed/consultations/{consultation.slug}").get_data(as_text=True),
                          "html.parser").select_one("a.govuk-button--start")["href"]
    assert_strict_headers(client.get(start), start, framed_by=PARTNER)


def test_hsts_is_sent_in_production_and_not_over_plain_http_in_development(make_app):
    production = make_app(**{name: getattr(ProductionConfig, name) for name in COOKIE_SETTINGS})
    response = production.test_client().get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"

    development = make_app(**{name: getattr(DevelopmentConfig, name) for name in COOKIE_SETTINGS})
    assert "Strict-Transport-Security" not in development.test_client().get("/").headers


def session_cookie(app) -> tuple[str, dict, str]:
    """The session cookie set by the sign-in page (which stores its CSRF token in the session)."""
    response = app.test_client().get("/sign-in", base_url="https://localhost")
    headers = [value for value in response.headers.getlist("Set-Cookie") if "session" in value.split("=")[0]]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    cookie = SimpleCookie()
    cookie.load(headers[0])
    (name, morsel), = cookie.items()
    return name, morsel, headers[0]


def test_the_production_session_cookie_is_a_host_only_secure_cookie(make_app):
    app = make_app(**{name: getattr(ProductionConfig, name) for name in COOKIE_SETTINGS})

    name, morsel, raw = session_cookie(app)

    assert name == "__Host-epanel_session"
    assert morsel["secure"] and morsel["httponly"]
    assert morsel["path"] == "/"
    assert morsel["samesite"] == "Lax"
    assert "domain" not in raw.lower()
    assert ProductionConfig.REMEMBER_COOKIE_NAME.startswith("__Host-") and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_the_development_session_cookie_works_over_plain_http(make_app):
    app = make_app(**{name: getattr(DevelopmentConfig, name) for name in COOKIE_SETTINGS})

    name, morsel, raw = session_cookie(app)

    assert name == "epanel_session"  # "__Host-" would need Secure, which plain http://127.0.0.1 cannot keep
    assert not morsel["secure"] and morsel["httponly"]
    assert morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert "domain" not in raw.lower()
    assert TestConfig.SESSION_COOKIE_NAME == "epanel_session"
