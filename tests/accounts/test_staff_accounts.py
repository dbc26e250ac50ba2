from tests.accounts.test_email_links import link_in
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit


def sign_in_as_admin(client):
    create_user("admin@example.org", roles=["admin"])
    sign_in(client, "admin@example.org", PASSWORD)


def test_admin_creates_an_account_and_the_person_sets_their_password(client, mailbox):
    sign_in_as_admin(client)

    page = submit(
        client,
        "/admin/users/new",
        {"display_name": "Rita Teacher", "email": "rita@school.example", "roles": ["teacher"]},
    )

    assert path_of(page.location) == "/admin/users"
    listing = get(client, "/admin/users")
    assert "Account created for Rita Teacher" in " ".join(listing.banners)
    assert "rita@school.example" in listing.text
    (invitation,) = mailbox
    assert invitation["To"] == "rita@school.example"

    client._cookies.clear()
    chosen = "rita's own long password"
    submit(client, link_in(invitation), {"password": chosen, "confirm": chosen})
    assert path_of(sign_in(client, "rita@school.example", chosen).location) == "/staff"


def test_a_duplicate_address_is_refused_and_what_was_typed_is_kept(client, mailbox):
    sign_in_as_admin(client)

    page = submit(
        client,
        "/admin/users/new",
        {"display_name": "Second Admin", "email": "ADMIN@example.org", "roles": ["admin", "officer"]},
    )

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["An account with the e-mail address admin@example.org already exists"]
    assert page.soup.find("input", attrs={"name": "display_name"})["value"] == "Second Admin"
    checked = {box["value"] for box in page.soup.select("input[name=roles][checked]")}
    assert checked == {"admin", "officer"}
    assert mailbox == []


def test_an_account_needs_a_role(client):
    sign_in_as_admin(client)

    page = submit(client, "/admin/users/new", {"display_name": "No Role", "email": "norole@example.org"})

    assert page.error_summary == ["Select at least one role"]
