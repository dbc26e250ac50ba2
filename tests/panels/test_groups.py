"""Groups, their contact points and the public directory of groups."""

import pytest
from sqlalchemy import select

from epanel.extensions import db
from epanel.panels import outreach
from epanel.panels.models import GroupKind, MemberStatus
from epanel.panels.operations import PanelError
from epanel.privacy.models import AuditEvent
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit


def sign_in_as_officer(client):
    officer = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return officer


def create_group(name="Castle Hill Parish Council", kind=GroupKind.PARISH_COUNCIL, **details):
    return outreach.create_group(name, kind, **details)


def audit_actions():
    return [(event.action, event.details) for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def value_of(page, name):
    return page.soup.find(attrs={"name": name}).get("value", "")


GOOD_GROUP = {
    "name": "Harbour Residents' Association",
    "kind": "community_group",
    "area": "Harbour",
    "description": "Residents of the Harbour estate.",
    "size": "1,200",
    "website": "www.harbour.example",
    "listed_publicly": "y",
}


def test_officer_adds_a_group_and_sees_its_details(client):
    sign_in_as_officer(client)

    page = submit(client, "/officer/groups/new", GOOD_GROUP)

    (group,) = [summary.group for summary in outreach.list_groups()]
    assert path_of(page.location) == f"/officer/groups/{group.id}"
    shown = get(client, f"/officer/groups/{group.id}")
    assert shown.banners == ["Harbour Residents' Association added"]
    assert shown.heading == "Harbour Residents' Association"
    assert shown.soup.select_one(".govuk-caption-l").get_text(strip=True) == "Community group"
    assert "1,200 people" in shown.text
    assert "https://www.harbour.example" in shown.text
    assert "Listed" in shown.text
    listing = get(client, "/officer/groups")
    assert "Harbour Residents' Association" in listing.text
    assert "1 group" in listing.text


def test_a_group_with_bad_values_is_refused_and_what_was_typed_is_kept(client):
    sign_in_as_officer(client)

    page = submit(client, "/officer/groups/new", {
        "name": "", "area": "Harbour", "size": "lots", "website": "not a website", "description": "Kept",
    })

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Enter the name of the group",
        "Select the kind of group",
        "How many people it speaks for must be a whole number, like 250",
        "Enter a website address in the correct format, like https://www.example.org",
    ]
    assert value_of(page, "area") == "Harbour"
    assert value_of(page, "size") == "lots"
    assert page.soup.find("textarea", attrs={"name": "description"}).get_text() == "Kept"
    assert outreach.list_groups() == []


def test_a_group_size_must_be_at_least_one(client):
    sign_in_as_officer(client)

    page = submit(client, "/officer/groups/new", {**GOOD_GROUP, "size": "0"})

    assert page.error_summary == ["How many people it speaks for must be between 1 and 10,000,000"]
    assert value_of(page, "size") == "0"


def test_a_second_group_with_the_same_name_in_any_case_is_refused(client):
    create_group("Harbour Residents' Association", GroupKind.COMMUNITY_GROUP)
    sign_in_as_officer(client)

    page = submit(client, "/officer/groups/new", {**GOOD_GROUP, "name": "HARBOUR residents' association"})

    assert page.error_summary == ["A group called Harbour Residents' Association already exists"]
    assert value_of(page, "name") == "HARBOUR residents' association"
    assert page.soup.find("input", attrs={"name": "kind", "value": "community_group"}).has_attr("checked")


def test_officer_changes_a_group_and_lists_it_publicly(client):
    group = create_group(area="Castle Hill")
    sign_in_as_officer(client)
    form = get(client, f"/officer/groups/{group.id}/edit")
    assert value_of(form, "name") == "Castle Hill Parish Council"

    page = submit(client, f"/officer/groups/{group.id}/edit", {
        "name": "Castle Hill Town Council", "kind": "parish_council", "area": "Castle Hill",
        "size": "4200", "listed_publicly": "y",
    })

    assert path_of(page.location) == f"/officer/groups/{group.id}"
    assert "Castle Hill Town Council" in get(client, "/groups").text


def test_the_operation_refuses_a_website_that_is_not_a_web_address(app):
    with pytest.raises(PanelError, match="Enter a website address"):
        create_group(website="javascript:alert(1)")


def test_officer_adds_a_contact_point_by_email_and_it_is_audited(client):
    group = create_group()
    clerk = create_member([create_panel()], first_name="Jean", last_name="Clerk", email="clerk@parish.example")
    sign_in_as_officer(client)

    page = submit(client, f"/officer/groups/{group.id}/contacts", {
        "email": " Clerk@Parish.example ", "role_title": "Parish Clerk", "can_respond": "y",
    })

    assert path_of(page.location) == f"/officer/groups/{group.id}"
    shown = get(client, f"/officer/groups/{group.id}")
    assert shown.banners == ["Jean Clerk is now a contact point for Castle Hill Parish Council"]
    row = shown.soup.find("th", string="Jean Clerk").parent
    cells = [cell.get_text(strip=True) for cell in row.select("td")]
    assert cells[:3] == ["clerk@parish.example", "Parish Clerk", "Yes"]
    assert audit_actions() == [("group.contact_added", {"member_id": clerk.id, "role_title": "Parish Clerk",
                                                         "can_respond": True})]
    assert outreach.list_groups_member_can_respond_for(clerk) == [group]


def test_a_contact_point_who_cannot_respond_is_not_offered_the_group(app):
    group = create_group()
    treasurer = create_member(email="treasurer@parish.example")
    officer = create_user(roles=["officer"])

    outreach.add_group_contact(group, "treasurer@parish.example", role_title="Treasurer", can_respond=False,
                               actor=officer)

    assert [contact.role_title for contact in group.contacts] == ["Treasurer"]
    assert outreach.list_groups_member_can_respond_for(treasurer) == []


def test_adding_a_contact_with_an_unknown_email_says_so_and_keeps_what_was_typed(client):
    group = create_group()
    sign_in_as_officer(client)

    page = submit(client, f"/officer/groups/{group.id}/contacts", {
        "email": "nobody@example.org", "role_title": "Chair",
    })

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "No member has the email address nobody@example.org. Check the address, or add the person to a panel first"
    ]
    assert value_of(page, "email") == "nobody@example.org"
    assert value_of(page, "role_title") == "Chair"
    assert not page.soup.find("input", attrs={"name": "can_respond"}).has_attr("checked")


def test_a_contact_needs_an_email_address_and_a_role(client):
    group = create_group()
    sign_in_as_officer(client)

    page = submit(client, f"/officer/groups/{group.id}/contacts", {"email": "not-an-address", "role_title": ""})

    assert page.error_summary == [
        "Enter an email address in the correct format, like name@example.com",
        "Enter their role in the group, like Parish Clerk",
    ]
    assert value_of(page, "email") == "not-an-address"


def test_a_member_who_has_left_or_is_already_a_contact_cannot_be_added(app):
    group = create_group()
    officer = create_user(roles=["officer"])
    create_member(first_name="Gone", last_name="Away", email="gone@example.org", status=MemberStatus.LEFT)
    create_member(first_name="Jean", last_name="Clerk", email="clerk@example.org")
    outreach.add_group_contact(group, "clerk@example.org", role_title="Clerk", can_respond=True, actor=officer)

    with pytest.raises(PanelError, match="Gone Away has left the panels"):
        outreach.add_group_contact(group, "gone@example.org", role_title="Chair", can_respond=True, actor=officer)
    with pytest.raises(PanelError, match="Jean Clerk is already a contact point for Castle Hill Parish Council"):
        outreach.add_group_contact(group, "clerk@example.org", role_title="Chair", can_respond=True, actor=officer)


def test_officer_removes_a_contact_point_and_it_is_audited(client):
    group = create_group()
    clerk = create_member(first_name="Jean", last_name="Clerk", email="clerk@example.org")
    officer = sign_in_as_officer(client)
    outreach.add_group_contact(group, "clerk@example.org", role_title="Clerk", can_respond=True, actor=officer)
    page = get(client, f"/officer/groups/{group.id}")

    response = client.post(f"/officer/groups/{group.id}/contacts/{clerk.id}/remove",
                           data={"csrf_token": page.csrf_token()})

    assert path_of(response.headers["Location"]) == f"/officer/groups/{group.id}"
    shown = get(client, f"/officer/groups/{group.id}")
    assert shown.banners == ["Contact point removed"]
    assert "This group has no contact points yet." in shown.text
    assert audit_actions()[-1] == ("group.contact_removed", {"member_id": clerk.id})


def test_removing_without_the_form_token_changes_nothing(client):
    group = create_group()
    clerk = create_member(email="clerk@example.org")
    officer = sign_in_as_officer(client)
    outreach.add_group_contact(group, "clerk@example.org", role_title="Clerk", can_respond=True, actor=officer)

    response = client.post(f"/officer/groups/{group.id}/contacts/{clerk.id}/remove")

    assert response.status_code == 400
    assert len(get(client, f"/officer/groups/{group.id}").soup.select("tbody tr")) == 1


def test_the_public_directory_shows_only_listed_groups_and_no_personal_data(client):
    listed = create_group("Fernlea Parish Council", area="Fernlea", size=2900, description="Our parish.",
                          website="https://fernlea.example", listed_publicly=True)
    create_group("Secret Society", GroupKind.OTHER)
    create_member(first_name="Jean", last_name="Clerk", email="clerk@example.org", mobile="+447700900123")
    outreach.add_group_contact(listed, "clerk@example.org", role_title="Parish Clerk", can_respond=True,
                               actor=create_user(roles=["officer"]))

    page = get(client, "/groups")

    assert page.status == 200
    assert page.heading == "Community groups"
    titles = [h2.get_text(strip=True) for h2 in page.soup.select(".govuk-summary-card__title")]
    assert titles == ["Fernlea Parish Council"]
    assert "About 2,900 people" in page.text
    assert page.soup.find("a", string="https://fernlea.example")["href"] == "https://fernlea.example"
    assert "Secret Society" not in page.text
    for personal in ("Jean", "Clerk", "clerk@example.org", "07700", "Parish Clerk"):
        assert personal not in page.text


@pytest.mark.parametrize("url", ["/officer/groups", "/officer/groups/new", "/officer/groups/{id}",
                                 "/officer/groups/{id}/edit"])
def test_group_pages_are_for_officers_only(client, url):
    url = url.format(id=create_group().id)
    assert path_of(get(client, url).location).startswith("/sign-in?next=")

    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    assert get(client, url).status == 403


def test_a_member_cannot_add_a_contact_point(client):
    group = create_group()
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    token = get(client, "/account").csrf_token()

    response = client.post(f"/officer/groups/{group.id}/contacts",
                           data={"csrf_token": token, "email": "member@example.org", "role_title": "Chair"})

    assert response.status_code == 403
    assert group.contacts == []


def test_a_group_that_does_not_exist_is_not_found(client):
    sign_in_as_officer(client)

    assert get(client, "/officer/groups/999").status == 404
