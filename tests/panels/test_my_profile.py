"""Members looking after their own membership and data."""

import json

import pytest

from epanel.accounts.queries import find_user_by_email
from epanel.extensions import db
from epanel.panels.models import Member, MemberStatus
from epanel.privacy.models import AuditEvent, Consent, ConsentKind
from epanel.privacy.operations import erase_member
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit


@pytest.fixture
def member(app, client):
    citizens = create_panel("citizens", "Citizens' Panel")
    youth = create_panel("youth", "Youth Panel")
    user = create_user("sam@example.org", roles=["member"])
    person = create_member([citizens, youth], email="sam@example.org", first_name="Sam", user_id=user.id,
                           contact_by_email=True)
    db.session.add(Consent(member=person, kind=ConsentKind.EMAIL, notice_version="2026-11", channel="web"))
    db.session.commit()
    sign_in(client, "sam@example.org", PASSWORD)
    return person


def test_a_member_sees_their_profile(client, member):
    page = get(client, "/my/profile")

    assert page.heading == "Your profile"
    assert "sam@example.org" in page.text
    assert "Citizens' Panel, Youth Panel" in page.text


def test_unticking_every_channel_stops_contact_and_withdraws_consent(client, member):
    page = submit(client, "/my/preferences", {})

    assert path_of(page.location) == "/my/profile"
    db.session.expire_all()
    assert not (member.contact_by_email or member.contact_by_sms or member.contact_by_post)
    email_consent = db.session.scalar(db.select(Consent).where(Consent.kind == ConsentKind.EMAIL))
    assert email_consent.withdrawn_at is not None
    assert email_consent.withdrawn_how == "changed by the member"


def test_choosing_text_messages_without_a_mobile_is_refused(client, member):
    page = submit(client, "/my/preferences", {"channels": ["sms"]})

    assert page.error_summary == ["You did not give a mobile number: untick text message, or go back and add one"]


def test_pausing_and_resuming(client, member):
    submit(client, "/my/pause", {}, form_page="/my/profile")
    db.session.expire_all()
    assert member.status == MemberStatus.PAUSED
    assert "Resume my membership" in get(client, "/my/profile").text

    submit(client, "/my/pause", {}, form_page="/my/profile")
    db.session.expire_all()
    assert member.status == MemberStatus.ACTIVE


def test_leaving_one_panel_then_all(client, member):
    submit(client, "/my/leave", {"panel": "youth"})
    db.session.expire_all()
    assert [panel.slug for panel in member.panels] == ["citizens"]
    assert member.status == MemberStatus.ACTIVE

    submit(client, "/my/leave", {"panel": "all"})
    db.session.expire_all()
    assert member.status == MemberStatus.LEFT
    assert member.panels == []
    assert db.session.scalar(db.select(db.func.count(Consent.id)).where(Consent.withdrawn_at.is_(None))) == 0


def test_download_my_data_holds_the_profile_and_consents(client, member):
    response = client.post("/my/data.json", data={"csrf_token": get(client, "/my/data").csrf_token()})

    data = json.loads(response.get_data(as_text=True))
    assert "attachment" in response.headers["Content-Disposition"]
    assert data["profile"]["email"] == "sam@example.org"
    assert {p["panel"] for p in data["panels"]} == {"Citizens' Panel", "Youth Panel"}
    assert data["consents"][0]["what"] == "Contact by email"
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "member.data_exported"))


def test_deleting_my_account_removes_the_person_and_signs_out(client, member):
    member_id = member.id

    page = submit(client, "/my/delete", {})

    assert path_of(page.location) == "/my/deleted"
    db.session.expire_all()
    assert db.session.get(Member, member_id) is None
    assert find_user_by_email("sam@example.org") is None
    assert db.session.scalar(db.select(db.func.count(Consent.id))) == 0
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "member.erased"))
    assert event.object_id == str(member_id)
    assert "sam" not in json.dumps(event.details).lower()
    assert path_of(get(client, "/my/profile").location).startswith("/sign-in")


def test_erasing_a_member_keeps_a_staff_account(app):
    panel = create_panel()
    user = create_user("staff@example.org", roles=["officer", "member"])
    person = create_member([panel], email="staff@example.org", user_id=user.id)

    erase_member(person, "test")

    assert find_user_by_email("staff@example.org") is not None


def test_an_account_without_a_membership_is_told_so(client, app):
    create_user("nomember@example.org", roles=["member"])
    client._cookies.clear()
    sign_in(client, "nomember@example.org", PASSWORD)

    assert "not linked to a panel membership" in get(client, "/my/profile").text
    assert get(client, "/my/data").status == 404


def test_a_member_changes_their_details_and_the_ward_follows_the_postcode(client, member):
    from epanel.panels.operations import replace_ward_lookup

    replace_ward_lookup([("AV3 1AB", "Castle Hill", None)], "test")

    page = submit(client, "/my/details", {"first_name": "Samuel", "last_name": member.last_name,
                                          "mobile": "07700 900456", "postcode": "av31ab", "gender": "Man",
                                          "password": PASSWORD})

    assert path_of(page.location) == "/my/profile"
    db.session.expire_all()
    assert (member.first_name, member.mobile, member.postcode, member.ward, member.gender) == (
        "Samuel", "+447700900456", "AV3 1AB", "Castle Hill", "Man")


@pytest.mark.parametrize("password", ["", "not the password"])
def test_a_new_mobile_number_needs_the_password_and_nothing_is_saved_without_it(client, member, password):
    member.mobile = "+447700900111"
    db.session.commit()

    page = submit(client, "/my/details", {"first_name": "Samuel", "last_name": member.last_name,
                                          "mobile": "07700 900999", "postcode": "AV1 2BX", "password": password})

    assert page.error_summary == ["Enter your password to change your mobile number"]
    assert page.soup.find("input", attrs={"name": "mobile"})["value"] == "+447700900999"  # kept as typed, tidied
    db.session.expire_all()
    assert (member.first_name, member.mobile) == ("Sam", "+447700900111")


def test_other_details_change_without_the_password(client, member):
    member.mobile = "+447700900111"
    db.session.commit()

    page = submit(client, "/my/details", {"first_name": "Samuel", "last_name": member.last_name,
                                          "mobile": "07700 900111", "postcode": "AV1 2BX"})

    assert path_of(page.location) == "/my/profile"
    db.session.expire_all()
    assert (member.first_name, member.mobile) == ("Samuel", "+447700900111")


def test_a_member_without_a_password_changes_their_mobile_only_soon_after_signing_in_by_link(app, client):
    user = create_user("linkonly@example.org", roles=["member"], password=None)
    person = create_member([create_panel()], email="linkonly@example.org", first_name="Jo", user_id=user.id)
    with client.session_transaction() as session:  # as an e-mailed sign-in link leaves it, 20 minutes ago
        session["_user_id"] = f"{user.id}:{user.session_version}"
        session["_fresh"] = True
        session["signed_in_at"] = session["last_seen_at"] = int(__import__("time").time()) - 1200
    details = {"first_name": "Jo", "last_name": person.last_name, "mobile": "07700 900222", "postcode": "AV1 2BX"}

    refused = submit(client, "/my/details", details)
    with client.session_transaction() as session:
        session["signed_in_at"] = int(__import__("time").time()) - 60
    accepted = submit(client, "/my/details", details)

    assert refused.error_summary == ["To change your mobile number, sign out, sign in again with a new link from your "
                                     "e-mail, and change it within 10 minutes"]
    assert refused.soup.find("input", attrs={"name": "password"}) is None
    assert path_of(accepted.location) == "/my/profile"
    db.session.expire_all()
    assert person.mobile == "+447700900222"


def test_bad_details_are_refused_and_kept_as_typed(client, member):
    page = submit(client, "/my/details", {"first_name": " ", "last_name": "X", "mobile": "12345", "postcode": "AV1 2BX"})

    assert page.error_summary == ["Enter your first name", "Enter a UK mobile number, like 07700 900123"]
    assert page.soup.find("input", attrs={"name": "mobile"})["value"] == "12345"
