"""Officers managing panels and members; every view and export of personal data is audited."""

import csv
import io
from datetime import date

import pytest

from epanel.extensions import db
from epanel.panels.models import Member, MemberSource, MemberStatus, PostcodeArea
from epanel.privacy.models import AuditEvent, Consent, ConsentKind
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


@pytest.fixture
def citizens(app):
    return create_panel("citizens", "Citizens' Panel", min_age=18)


def audit_actions() -> list[str]:
    return [event.action for event in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_an_officer_creates_and_edits_a_panel(client, officer):
    created = submit(client, "/officer/panels/new", {
        "name": "Older People's Forum", "slug": "older-people", "description": "For residents over 60",
        "min_age": "60", "max_age": "", "area": "", "signup_open": "y",
    })
    assert path_of(created.location) == "/officer/panels"
    assert "Older People's Forum" in get(client, "/officer/panels").text

    edited = submit(client, "/officer/panels/older-people/edit", {
        "name": "Older People's Forum", "slug": "something-else", "description": "", "min_age": "65", "max_age": "",
        "area": "Avonmere", "signup_open": "",
    })

    assert path_of(edited.location) == "/officer/panels"
    assert "Ages 65 and over" in get(client, "/officer/panels").text
    assert "/officer/panels/older-people/edit" in get(client, "/officer/panels").html, "short name unchanged"


def test_a_panel_with_impossible_ages_is_refused_and_kept_as_typed(client, officer):
    page = submit(client, "/officer/panels/new", {"name": "Odd", "slug": "Bad Slug!", "min_age": "30", "max_age": "20"})

    assert page.title.startswith("Error:")
    assert "Use lower-case letters, numbers and hyphens only" in page.error_summary
    assert page.soup.find("input", attrs={"name": "min_age"})["value"] == "30"


def test_members_are_filtered_and_paged_by_id(app, client, officer, citizens):
    youth = create_panel("youth", "Youth Panel", min_age=11, max_age=25)
    for number in range(60):
        create_member([citizens], first_name="Citizen", last_name=f"{number:03d}", ward="Abbey")
    thirteen = date.today().replace(year=date.today().year - 13, day=1)
    create_member([youth], first_name="Young", last_name="Person", ward="Harbour", date_of_birth=thirteen)

    first = get(client, "/officer/members?panel=citizens")
    names = [a.get_text() for a in first.soup.select("tbody a.govuk-link")]
    assert "60 members match the filters" in first.text
    assert len(names) == 50 and names[0] == "Citizen 059"
    second = get(client, first.soup.select_one("a[rel=next]")["href"])
    assert [a.get_text() for a in second.soup.select("tbody a.govuk-link")][-1] == "Citizen 000"
    assert second.soup.select_one("a[rel=next]") is None

    young = get(client, "/officer/members?age_band=11-15")
    assert [a.get_text() for a in young.soup.select("tbody a.govuk-link")] == ["Young Person"]
    assert "1 members match" in get(client, "/officer/members?ward=Harbour").text
    assert "Young Person" in get(client, "/officer/members?search=young").text
    assert "members.listed" in audit_actions()


def test_viewing_a_member_shows_consent_history_and_is_audited(client, officer, citizens):
    member = create_member([citizens], email="m@example.org")

    page = get(client, f"/officer/members/{member.id}")

    assert page.heading == member.full_name
    assert "m@example.org" in page.text
    assert "member.viewed" in audit_actions()


def test_an_officer_keys_in_a_paper_form(client, officer, citizens):
    page = submit(client, "/officer/members/new", {
        "panels": ["citizens"], "first_name": "Edna", "last_name": "Moss", "email": "", "mobile": "07700 900555",
        "address": "1 High Street", "postcode": "av1 2bx", "ward": "", "date_of_birth": ["2", "3", "1941"],
        "gender": "Woman", "channels": ["post"],
    })

    member = db.session.scalar(db.select(Member).where(Member.last_name == "Moss"))
    assert path_of(page.location) == f"/officer/members/{member.id}"
    assert (member.source, member.status, member.mobile, member.postcode) == (
        MemberSource.PAPER, MemberStatus.ACTIVE, "+447700900555", "AV1 2BX")
    consents = db.session.scalars(db.select(Consent).where(Consent.member_id == member.id)).all()
    assert {c.kind for c in consents} == {ConsentKind.PANEL_MEMBERSHIP, ConsentKind.POST}
    assert all(c.channel.value == "paper" and "officer@example.org" in c.given_by for c in consents)


def test_a_paper_member_with_a_taken_email_is_refused_without_losing_the_form(client, officer, citizens):
    create_member([citizens], email="taken@example.org")

    page = submit(client, "/officer/members/new", {
        "panels": ["citizens"], "first_name": "Dup", "last_name": "Licate", "email": "TAKEN@example.org",
        "date_of_birth": ["", "", ""],
    })

    assert page.error_summary == ["Another member already has this email address"]
    assert page.soup.find("input", attrs={"name": "last_name"})["value"] == "Licate"


def test_editing_contact_preferences_records_consent_given_and_withdrawn(client, officer, citizens):
    member = create_member([citizens], email="m@example.org", contact_by_email=True)

    page = submit(client, f"/officer/members/{member.id}/edit", {
        "first_name": member.first_name, "last_name": member.last_name, "email": "m@example.org",
        "mobile": "07700900777", "date_of_birth": ["1", "1", "1980"], "channels": ["sms"],
    })

    assert page.status == 302, page.error_summary
    db.session.expire_all()
    assert (member.contact_by_email, member.contact_by_sms) == (False, True)
    kinds = {(c.kind, c.withdrawn_at is None) for c in db.session.scalars(db.select(Consent))}
    assert (ConsentKind.SMS, True) in kinds


def test_bulk_pause_and_move(client, officer, citizens):
    youth = create_panel("youth", "Youth Panel")
    members = [create_member([citizens]) for _ in range(3)]
    list_page = get(client, "/officer/members")

    paused = client.post("/officer/members/bulk", data={
        "csrf_token": list_page.csrf_token(), "action": "pause", "member_ids": [m.id for m in members[:2]],
    })
    moved = client.post("/officer/members/bulk", data={
        "csrf_token": list_page.csrf_token(), "action": "move", "panel": "youth", "member_ids": [members[2].id],
    })

    assert paused.status_code == moved.status_code == 302
    db.session.expire_all()
    assert [m.status for m in members] == [MemberStatus.PAUSED, MemberStatus.PAUSED, MemberStatus.ACTIVE]
    assert members[2].panels == [youth]
    assert {"members.bulk_pause", "members.bulk_move"} <= set(audit_actions())


def test_member_export_is_audited_and_safe_to_open_in_a_spreadsheet(client, officer, citizens):
    create_member([citizens], first_name="=HYPERLINK(\"http://evil\")", last_name="Smith", ward="Abbey")
    create_member([citizens], first_name="Other", last_name="Ward", ward="Harbour")

    response = client.get("/officer/members/export.csv?ward=Abbey")

    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert response.mimetype == "text/csv"
    assert rows[0][:3] == ["id", "first_name", "last_name"]
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"
    assert "members.exported" in audit_actions()


def test_the_ward_lookup_upload_replaces_the_lookup_and_lists_bad_rows(client, officer):
    from io import BytesIO

    content = b"Postcode,Ward,Parish\nav1 2bx,Riverside,St Mary\nnonsense,Abbey,\nAV2 3CD,,\nAV1 2BX,Abbey,\n"
    page_token = get(client, "/officer/wards").csrf_token()
    response = client.post("/officer/wards", data={"csrf_token": page_token, "lookup": (BytesIO(content), "wards.csv")},
                           content_type="multipart/form-data")

    text = response.get_data(as_text=True)
    assert "Lookup replaced: 1 postcodes, 3 rows skipped" in text
    assert "Row 3: &#39;nonsense&#39; is not a postcode" in text
    assert db.session.get(PostcodeArea, "AV1 2BX").ward == "Riverside"


def test_a_file_that_is_not_a_lookup_gets_one_clear_error(client, officer):
    from io import BytesIO

    token = get(client, "/officer/wards").csrf_token()
    response = client.post("/officer/wards", data={"csrf_token": token, "lookup": (BytesIO(b"name,age\nx,1\n"), "x.csv")},
                           content_type="multipart/form-data")

    assert "The file must be a CSV with columns named postcode and ward" in response.get_data(as_text=True)
