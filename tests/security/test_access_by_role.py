"""IDOR and privilege: people reach only the records and exports their roles allow."""

import pytest

from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, sign_in

OFFICER_ONLY = [
    "/officer/members",
    "/officer/members/export.csv",
    "/officer/members/{member_id}",
    "/officer/members/{member_id}/edit",
    "/admin/users",
]


@pytest.mark.parametrize("role", ["member", "teacher", "councillor"])
@pytest.mark.parametrize("url", OFFICER_ONLY)
def test_people_without_the_officer_role_cannot_read_members_or_export_them(client, role, url):
    panel = create_panel()
    member = create_member([panel], email="someone@example.org")
    create_user(f"{role}@example.org", roles=[role])
    sign_in(client, f"{role}@example.org", PASSWORD)

    response = client.get(url.format(member_id=member.id))

    assert response.status_code == 403
    assert "someone@example.org" not in response.get_data(as_text=True)


def test_a_member_sees_only_their_own_profile(client):
    panel = create_panel()
    create_member([panel], first_name="Other", email="other@example.org")
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    page = get(client, "/my/profile")

    assert "other@example.org" not in page.html


def test_an_officer_cannot_use_admin_pages(client):
    create_user("officer@example.org", roles=["officer"])
    target = create_user("someone@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)

    assert get(client, "/admin/users").status == 403
    assert get(client, "/admin/users/new").status == 403
    assert get(client, f"/admin/users/{target.id}/reset-two-factor").status == 403
