"""Officers' API token pages: create a token (shown once), see it listed, revoke it."""

from epanel.api.models import ApiToken, TokenScope
from epanel.extensions import db
from tests.api.helpers import bearer
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in, submit


def signed_in_officer(client):
    officer = create_user(roles=("officer",))
    sign_in(client, officer.email, PASSWORD)
    return officer


def test_an_officer_creates_a_token_sees_it_once_and_it_works(client):
    signed_in_officer(client)
    page = submit(client, "/officer/api-tokens/new", {"name": "Parish website", "scope": "read_write"})
    assert page.status == 200 and page.heading == "API token created"
    secret = page.soup.find("input", attrs={"data-testid": "api-token"})["value"]
    assert secret.startswith("epanel_")
    token = db.session.scalar(db.select(ApiToken))
    assert (token.name, token.scope, token.can_read_responses) == ("Parish website", TokenScope.READ_WRITE, False)
    listing = get(client, "/officer/api-tokens")
    assert "Parish website" in listing.text and secret not in listing.text and token.hint in listing.text
    assert client.get("/api/v1/token", headers=bearer(secret)).get_json()["scope"] == "read_write"


def test_a_token_without_a_name_or_scope_is_not_made(client):
    signed_in_officer(client)
    page = submit(client, "/officer/api-tokens/new", {"name": "  "})
    assert page.status == 200 and page.title.startswith("Error:")
    assert page.error_summary == ["Enter a name for the token", "Select what the token may do"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def test_revoking_a_token_in_the_console_stops_it_at_once(client):
    signed_in_officer(client)
    created = submit(client, "/officer/api-tokens/new", {"name": "Kiosk", "scope": "read"})
    secret = created.soup.find("input", attrs={"data-testid": "api-token"})["value"]
    token = db.session.scalar(db.select(ApiToken))
    page = submit(client, f"/officer/api-tokens/{token.id}/revoke", {}, form_page="/officer/api-tokens")
    assert page.status == 302
    listing = get(client, "/officer/api-tokens")
    assert "Revoked" in listing.text and "Calls using it are now refused" in listing.text
    assert client.get("/api/v1/token", headers=bearer(secret)).status_code == 401


def test_an_officer_cannot_revoke_another_officers_token(client):
    from tests.api.helpers import make_token

    _, secret = make_token()
    token = db.session.scalar(db.select(ApiToken))
    signed_in_officer(client)
    csrf_token = get(client, "/officer/api-tokens").csrf_token()
    response = client.post(f"/officer/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token})
    assert response.status_code == 404
    assert client.get("/api/v1/token", headers=bearer(secret)).status_code == 200


def test_members_and_teachers_cannot_reach_the_token_pages(client):
    teacher = create_user(roles=("teacher",), totp=False)
    sign_in(client, teacher.email, PASSWORD)
    assert client.get("/officer/api-tokens").status_code == 403
