"""Administrators search and download the audit log; nobody can change it from the application."""

import csv
import io
from datetime import timedelta

import pytest

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.privacy.audit import record_audit_event
from epanel.privacy.models import AuditEvent
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in


@pytest.fixture
def admin(app, client):
    user = create_user("admin@example.org", roles=["admin"])
    sign_in(client, "admin@example.org", PASSWORD)
    return user


def event(action, actor="officer@example.org", object_type="member", object_id=1, days_ago=0, **details):
    record = record_audit_event(actor, action, object_type, object_id, **details)
    record.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return record


def shown(page) -> list[list[str]]:
    return [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in page.soup.select("#events tbody tr")]


def test_an_administrator_searches_by_action_person_record_and_day(client, admin):
    event("members.listed", shown=20)
    event("member.viewed", object_id=7)
    event("member.viewed", actor="other@example.org", object_id=8, days_ago=10)
    event("consultation.published", object_type="consultation", object_id=3)

    by_action = shown(get(client, "/admin/audit?action=member."))
    by_person = shown(get(client, "/admin/audit?who=OTHER@"))
    by_record = shown(get(client, "/admin/audit?object_type=member&object_id=7"))
    recent = shown(get(client, f"/admin/audit?action=member.viewed&date_from={(utcnow() - timedelta(days=2)).date()}"))

    assert [row[2] for row in by_action] == ["member.viewed", "member.viewed"]
    assert [row[1] for row in by_person] == ["other@example.org"]
    assert [row[3] for row in by_record] == ["member 7"]
    assert [row[3] for row in recent] == ["member 7"]


def test_the_log_pages_newest_first(client, admin):
    for number in range(55):
        event("member.viewed", object_id=number)

    first = get(client, "/admin/audit?action=member.viewed")
    older_link = first.soup.find("a", string="Older events")["href"]
    second = get(client, older_link)

    assert first.soup.select_one("#event-count").get_text(strip=True) == "55 events"
    assert shown(first)[0][3] == "member 54" and len(shown(first)) == 50
    assert [row[3] for row in shown(second)] == [f"member {number}" for number in range(4, -1, -1)]


def test_the_download_is_the_search_as_csv_safe_for_excel_and_is_itself_logged(client, admin):
    event("member.viewed", object_id=7, note="=HYPERLINK(\"http://evil\")")
    event("consultation.published", object_type="consultation", object_id=3)

    response = client.get("/admin/audit.csv?action=member.")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert rows[0] == ["id", "when (UTC)", "who", "action", "record type", "record id", "details"]
    assert [(row[3], row[5]) for row in rows[1:]] == [("member.viewed", "7")]
    assert rows[1][6] == "note==HYPERLINK(\"http://evil\")"  # not at the start of the cell, so not a formula
    exported = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "audit.exported"))
    assert exported.actor_label == "admin@example.org" and exported.details == {"search": {"action": "member."}}


def test_a_formula_at_the_start_of_a_cell_is_neutralised(client, admin):
    event("member.viewed", actor="=cmd|' /C calc'!A0", object_id=1)

    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").get_data(as_text=True).lstrip("\ufeff"))))

    [viewed] = [row for row in rows[1:] if row[3] == "member.viewed"]  # the export's own event comes first
    assert viewed[2] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize("role", ["officer", "member", "teacher", "councillor"])
def test_only_administrators_see_or_download_the_log(app, client, role):
    user = create_user(roles=[role])
    sign_in(client, user.email, PASSWORD)

    assert get(client, "/admin/audit").status == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_no_address_can_change_or_delete_an_event(app):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]

    assert {rule.rule for rule in audit_rules} == {"/admin/audit", "/admin/audit.csv"}
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in audit_rules)
