"""Importing the existing panel from a council's CSV file: the report, the rules, the page and the command."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from epanel.extensions import db
from epanel.panels import importing
from epanel.panels.importing import ImportFileError, Outcome, import_members
from epanel.panels.models import Member, MemberSource, MemberStatus
from epanel.panels.operations import replace_ward_lookup
from epanel.panels.queries import find_member_by_email, find_member_by_mobile, get_panel_by_slug
from epanel.privacy.models import AuditEvent, Consent, ConsentChannel, ConsentKind
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import Page, get, path_of, sign_in, submit

TEEN_BIRTHDAY = f"01/01/{date.today().year - 15}"

# A council spreadsheet with every mess we have met, numbered as Excel numbers its rows.
MESSY_ROWS = [
    (1, " Surname ,FIRST NAME,E-mail,Mobile Number,post code,Date of Birth,Gender,Ward,Panel,Membership No"),
    (2, "Smith,Ann,ANN@Example.org,07700 900001,av12bx,01/02/1980,F,,,CP001"),
    (3, ""),
    (4, '"Jones, Jr",Bob,bob@example.org,+44 7700 900002,AV1 2BX,1975-03-04,Male,Abbey,citizens,CP002'),
    (5, '"O\'Neil","Cara\n""CJ"" Marie",cara@example.org,0044 7700 900003,,4/5/1990,woman,,CITIZENS\' PANEL,"CP003, renewed"'),
    (6, "Patel,Dev,dev@example.org,01179 496123,,,,,,CP006"),
    (7, "Khan,Imran,not-an-email,,,,,,,CP007"),
    (8, "Nowak,Tomasz,tomasz@example.org,,ZZ1 1ZZZ,,,,,"),
    (9, "Chen,Mei,mei@example.org,,,31/02/1980,,,,"),
    (10, "Mensah,Kwame,kwame@example.org,,,01/01/2090,,,,"),
    (11, "Hughes,Janet,janet@example.org,,,,,,atlantis,"),
    (12, ",Nobody,nobody@example.org,,,,,,,"),
    (13, "Smith,Ann,ann@example.org,,,,,,,"),
    (14, "Begum,Roksana,b@example.org,07700 900222,,,,,,"),
    (15, "Member,Existing,existing@example.org,,AV2 3DE,,,,,"),
    (16, "Person,Left,left@example.org,,,,,,,"),
    (17, f"Young,Teen,teen@example.org,,,{TEEN_BIRTHDAY},,,citizens,"),
    (18, "Roberts,Sam,sam@example.org,,,25/12/70,,,,"),
    (19, "Davies,Rhys,rhys@example.org,,,,Martian,,,"),
    (20, "MacLeod,Morag,morag@example.org,,,,,riverside,,"),
    (21, "Paper,Only,,,,,,,,CP021"),
    (22, "paper,ONLY,,,,,,,,CP022"),
    (23, "Wong,Li,li@example.org,,,,,,,CP023,surplus"),
    (24, "Evans,Gwen,GWEN@EXAMPLE.ORG,07700900004, av1 2bx ,1960-07-08 00:00:00,,,,"),
    (25, "Singh,Harjit,harjit@example.org,7700 900005,,,,,,"),
    (26, ",,, ,,,,,,"),
    (27, "Ahmed,Aisha,aisha@example.org,07700 900001,,,,,,"),
    (28, "Lewis,Carys,carys@example.org,,,,,Narnia,,"),
    (29, "Ellis,Jo,jo@example.org,,,15/06/2005,nb,,youth; citizens,"),
    (30, "Dunn,Pat,pat@example.org,,,1950-13-01,,,,"),
]
assert [number for number, _ in MESSY_ROWS] == list(range(1, len(MESSY_ROWS) + 1))
# As Excel's "CSV UTF-8" writes it: a byte-order mark and CRLF line ends (LF inside quoted cells).
MESSY_FILE = ("\ufeff" + "\r\n".join(text for _, text in MESSY_ROWS) + "\r\n").encode("utf-8")

WHAT_THE_REPORT_SAYS = [
    pytest.param(1, "Membership No", Outcome.WARNING, "kept as extra information ('membership_no')",
                 id="extra column kept as a custom attribute"),
    pytest.param(2, "gender", Outcome.CHANGED, "Stored as 'Woman'", id="gender F means Woman"),
    pytest.param(2, "ward", Outcome.CHANGED, "Filled in from the postcode lookup: Riverside (parish Little Avon)",
                 id="empty ward filled from the postcode lookup"),
    pytest.param(4, "gender", Outcome.CHANGED, "Stored as 'Man'", id="gender Male means Man"),
    pytest.param(6, "mobile", Outcome.REJECTED, "This is a landline", id="landline in the mobile column"),
    pytest.param(7, "email", Outcome.REJECTED, "Not a valid email address", id="bad email"),
    pytest.param(8, "postcode", Outcome.REJECTED, "Enter a real postcode", id="bad postcode"),
    pytest.param(9, "date_of_birth", Outcome.REJECTED, "Not a real date", id="31 February"),
    pytest.param(10, "date_of_birth", Outcome.REJECTED, "in the future", id="future date of birth"),
    pytest.param(11, "panel", Outcome.REJECTED, "no panel with this name", id="unknown panel"),
    pytest.param(12, "last_name", Outcome.REJECTED, "Every member needs a last name", id="missing name"),
    pytest.param(13, "email", Outcome.REJECTED, "Row 2 has the same email address", id="duplicate in the file"),
    pytest.param(14, "mobile", Outcome.REJECTED, "belongs to one member and this mobile number to another",
                 id="email matches one member and mobile another"),
    pytest.param(15, "ward", Outcome.CHANGED, "Filled in from the postcode lookup: Abbey",
                 id="existing member's new postcode brings its ward"),
    pytest.param(16, "", Outcome.REJECTED, "has left the panels", id="member who left is not added back"),
    pytest.param(17, "date_of_birth", Outcome.REJECTED, "cannot join Citizens' Panel (ages 18 and over)",
                 id="too young for the panel"),
    pytest.param(18, "date_of_birth", Outcome.REJECTED, "Write the year in full", id="two-digit year"),
    pytest.param(19, "gender", Outcome.CHANGED, "stored as 'I describe myself another way'",
                 id="unrecognised gender kept as written"),
    pytest.param(22, "", Outcome.REJECTED, "Same name, postcode and date of birth as row 21",
                 id="paper member without contact details twice"),
    pytest.param(23, "", Outcome.REJECTED, "more cells than the file has headings", id="unquoted comma"),
    pytest.param(24, "ward", Outcome.CHANGED, "Riverside", id="postcode with spaces still finds its ward"),
    pytest.param(27, "mobile", Outcome.REJECTED, "Row 2 has the same mobile number", id="mobile used twice"),
    pytest.param(28, "ward", Outcome.WARNING, "Not a ward in the postcode lookup", id="unknown ward"),
    pytest.param(29, "gender", Outcome.CHANGED, "Stored as 'Non-binary'", id="gender nb means Non-binary"),
    pytest.param(30, "date_of_birth", Outcome.REJECTED, "Not a real date", id="month 13 in an ISO date"),
]


@pytest.fixture
def council(app, tmp_path):
    """Three panels, a ward lookup and the members already in ePanel that the messy file runs into."""
    app.instance_path = str(tmp_path)  # kept uploads go here, not into the real instance folder
    panels = {
        "citizens": create_panel("citizens", "Citizens' Panel", min_age=18),
        "youth": create_panel("youth", "Youth Panel", min_age=11, max_age=25, is_youth_panel=True),
        "groups": create_panel("community-groups", "Community Groups"),
    }
    replace_ward_lookup([("AV1 2BX", "Riverside", "Little Avon"), ("AV2 3DE", "Abbey", None)], None)
    create_member([panels["citizens"]], email="existing@example.org", postcode="AV9 9ZZ")
    create_member([panels["citizens"]], email="b@example.org")
    create_member([panels["citizens"]], mobile="+447700900222")
    create_member([], email="left@example.org", status=MemberStatus.LEFT)
    return panels


def run_import(council, data=MESSY_FILE, *, dry_run=False, panel="citizens", filename="members.csv"):
    return import_members(data, filename, default_panel=council[panel] if panel else None, dry_run=dry_run,
                          actor="test")


def lines_at(report, row_number):
    return {(line.field, line.outcome) for line in report.lines if line.row_number == row_number}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def member_snapshot() -> list[tuple]:
    rows = db.session.execute(select(Member.id, Member.email, Member.postcode, Member.updated_at).order_by(Member.id))
    return [tuple(row) for row in rows]


# --- the messy file ----------------------------------------------------------------


@pytest.mark.parametrize("row_number, field, outcome, reason", WHAT_THE_REPORT_SAYS)
def test_the_report_names_each_messy_row_by_row_and_column(council, row_number, field, outcome, reason):
    report = run_import(council)

    matching = [line for line in report.lines
                if (line.row_number, line.field, line.outcome) == (row_number, field, outcome)]
    assert matching, f"no {outcome} line for row {row_number} {field!r}: {lines_at(report, row_number)}"
    assert reason in matching[0].reason


def test_the_messy_file_imports_every_good_row_and_counts_every_outcome(council):
    report = run_import(council)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (10, 1, 0, 16)
    rejected_rows = sorted({line.row_number for line in report.lines_with(Outcome.REJECTED)})
    (mobile_used_twice,) = [line for line in report.lines if line.row_number == 27]
    assert mobile_used_twice.value == "07700 900001"  # as the file wrote it, not as ePanel stores it
    assert rejected_rows == [6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 22, 23, 27, 30]
    for quiet_row in (3, 5, 20, 21, 25, 26):
        assert lines_at(report, quiet_row) == set(), quiet_row
    assert find_member_by_email("dev@example.org") is None
    assert find_member_by_email("li@example.org") is None


def test_values_written_the_ways_excel_writes_them_are_stored_cleanly(council):
    run_import(council)

    ann = find_member_by_email("ann@example.org")
    assert (ann.first_name, ann.last_name, ann.mobile, ann.postcode) == ("Ann", "Smith", "+447700900001", "AV1 2BX")
    assert (ann.date_of_birth, ann.gender, ann.ward, ann.parish) == (date(1980, 2, 1), "Woman", "Riverside",
                                                                     "Little Avon")
    assert ann.custom_attributes == {"membership_no": "CP001"}
    bob = find_member_by_email("bob@example.org")
    assert (bob.last_name, bob.mobile, bob.date_of_birth, bob.ward) == ("Jones, Jr", "+447700900002",
                                                                        date(1975, 3, 4), "Abbey")
    cara = find_member_by_email("cara@example.org")
    assert (cara.first_name, cara.last_name, cara.mobile) == ('Cara "CJ" Marie', "O'Neil", "+447700900003")
    assert (cara.date_of_birth, cara.gender) == (date(1990, 5, 4), "Woman")
    assert cara.custom_attributes == {"membership_no": "CP003, renewed"}
    assert [panel.slug for panel in cara.panels] == ["citizens"]
    gwen = find_member_by_email("gwen@example.org")
    assert (gwen.mobile, gwen.postcode, gwen.date_of_birth) == ("+447700900004", "AV1 2BX", date(1960, 7, 8))
    assert find_member_by_mobile("+447700900005").first_name == "Harjit"  # Excel dropped the leading 0
    assert find_member_by_email("morag@example.org").ward == "Riverside"
    assert find_member_by_email("carys@example.org").ward == "Narnia"
    assert find_member_by_email("rhys@example.org").custom_attributes == {"gender_as_written": "Martian"}
    assert sorted(panel.slug for panel in find_member_by_email("jo@example.org").panels) == ["citizens", "youth"]
    paper = db.session.scalars(select(Member).where(Member.last_name == "Paper")).one()
    assert (paper.first_name, paper.email, paper.mobile) == ("Only", None, None)


def test_new_members_are_active_imported_members_with_their_consent_recorded(council):
    run_import(council)

    ann = find_member_by_email("ann@example.org")
    assert (ann.status, ann.source) == (MemberStatus.ACTIVE, MemberSource.IMPORT)
    assert ann.confirmed_at is not None
    assert (ann.contact_by_email, ann.contact_by_sms, ann.contact_by_post) == (True, True, False)
    consents = db.session.scalars(select(Consent).where(Consent.member_id == ann.id)).all()
    assert {consent.kind for consent in consents} == {ConsentKind.PANEL_MEMBERSHIP, ConsentKind.EMAIL,
                                                       ConsentKind.SMS}
    assert {(consent.channel, consent.given_by, consent.notice_version) for consent in consents} == {
        (ConsentChannel.IMPORT, "imported from members.csv", "2026-11")
    }


def test_an_existing_member_found_by_email_is_updated_not_duplicated(council):
    report = run_import(council)

    existing = find_member_by_email("existing@example.org")
    assert report.updated == 1
    assert (existing.first_name, existing.last_name) == ("Existing", "Member")
    assert (existing.postcode, existing.ward) == ("AV2 3DE", "Abbey")
    assert existing.source == MemberSource.SIGN_UP
    assert db.session.scalar(select(func.count()).where(Member.email == "existing@example.org")) == 1


def test_importing_adds_an_existing_member_to_a_new_panel_with_consent_for_it(council):
    member = create_member([council["youth"]], email="kim@example.org", date_of_birth=date(2000, 1, 1))
    data = b"first_name,last_name,email\nKim,Lee,KIM@example.org\n"

    report = run_import(council, data)

    db.session.refresh(member)
    assert report.updated == 1
    assert sorted(panel.slug for panel in member.panels) == ["citizens", "youth"]
    panel_consents = db.session.scalars(select(Consent).where(
        Consent.member_id == member.id, Consent.channel == ConsentChannel.IMPORT)).all()
    assert [(consent.kind, consent.panel_id) for consent in panel_consents] == [
        (ConsentKind.PANEL_MEMBERSHIP, council["citizens"].id)
    ]


def test_an_empty_cell_never_clears_what_epanel_holds(council):
    create_member([council["citizens"]], email="kim@example.org", mobile="+447700900333", postcode="AV1 2BX")
    data = b"first_name,last_name,email,mobile,postcode\nKim,Lee,kim@example.org,,\n"

    run_import(council, data)

    kim = find_member_by_email("kim@example.org")
    assert (kim.mobile, kim.postcode) == ("+447700900333", "AV1 2BX")


def test_a_member_found_by_mobile_gets_the_email_address_from_the_file(council):
    data = b"first_name,last_name,email,mobile\nRoksana,Begum,roksana@example.org,07700 900222\n"

    report = run_import(council, data)

    assert (report.created, report.updated) == (0, 1)
    assert find_member_by_mobile("+447700900222").email == "roksana@example.org"


def test_one_import_records_one_audit_event_with_the_counts(council):
    officer = create_user("officer@example.org", roles=["officer"])

    import_members(MESSY_FILE, "members.csv", default_panel=council["citizens"], dry_run=False, actor=officer)

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "members.imported")).all()
    assert (event.actor_id, event.actor_label, event.object_type) == (officer.id, "officer@example.org", "member")
    assert event.details == {"file": "members.csv", "created": 10, "updated": 1, "unchanged": 0, "rejected": 16}


# --- dry run and re-import ------------------------------------------------------------


def test_a_dry_run_gives_the_same_report_as_the_real_import(council):
    checked = run_import(council, dry_run=True)
    imported = run_import(council)

    assert checked == imported


def test_a_dry_run_writes_nothing(council):
    before = (member_snapshot(), count(Consent), count(AuditEvent))

    report = run_import(council, dry_run=True)

    assert report.created == 10
    assert (member_snapshot(), count(Consent), count(AuditEvent)) == before


def test_importing_the_same_file_again_changes_nothing(council):
    first = run_import(council)
    after_first = (member_snapshot(), count(Consent))

    again = run_import(council)

    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 11, 16)
    assert again.lines == first.lines
    assert (member_snapshot(), count(Consent)) == after_first


def test_a_corrected_row_is_imported_next_time_without_touching_the_others(council):
    run_import(council)
    snapshot = member_snapshot()
    corrected = MESSY_FILE.replace(b"Khan,Imran,not-an-email", b"Khan,Imran,imran@example.org")

    report = run_import(council, corrected)

    assert (report.created, report.updated, report.rejected) == (1, 0, 15)
    assert member_snapshot()[:len(snapshot)] == snapshot


# --- files as a whole ---------------------------------------------------------------------


def test_a_windows_1252_file_is_read_with_one_warning(council):
    data = "first_name,last_name,email,Fee paid\nRenée,Dupré,renee@example.org,£5\n".encode("cp1252")

    report = run_import(council, data)

    warning, extra_column = report.lines
    assert (warning.row_number, warning.outcome) == (None, Outcome.WARNING)
    assert "Windows-1252" in warning.reason
    assert (extra_column.row_number, extra_column.field) == (1, "Fee paid")
    renee = find_member_by_email("renee@example.org")
    assert (renee.first_name, renee.last_name, renee.custom_attributes) == ("Renée", "Dupré", {"fee_paid": "£5"})


@pytest.mark.parametrize("data", [
    pytest.param("first_name;last_name;email\r\nAnn;Smith;ann@example.org\r\n".encode("utf-8-sig"), id="semicolons"),
    pytest.param("first_name\tlast_name\temail\r\nAnn\tSmith\tann@example.org\r\n".encode("utf-16"),
                 id="Excel Unicode Text"),
])
def test_other_ways_excel_saves_a_spreadsheet_are_read_too(council, data):
    report = run_import(council, data)

    assert (report.created, report.lines) == (1, [])
    assert find_member_by_email("ann@example.org").last_name == "Smith"


def test_a_column_with_values_but_no_heading_is_reported_and_left_out(council):
    data = b"first_name,last_name,,\nAnn,Smith,secret,\n"

    report = run_import(council, data)

    assert [(line.row_number, line.field, line.outcome) for line in report.lines] == [(1, "column C", "warning")]
    assert report.created == 1


@pytest.mark.parametrize("data, message", [
    pytest.param(b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "This is an Excel workbook", id="xlsx"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "This is not a CSV file", id="png"),
    pytest.param(b"Dear colleague,\nhere are the members\n", "must hold the column headings", id="a letter"),
    pytest.param(b"", "The file is empty", id="empty"),
    pytest.param(b'first_name,last_name\n"Ann,Smith\nBob,Jones\n', "quotation mark", id="unclosed quote"),
    pytest.param(b"first_name,last_name,Email,e-mail\n", "appears twice", id="two email columns"),
])
def test_a_file_that_cannot_be_read_gets_one_clear_error_and_nothing_is_saved(council, data, message):
    before = (member_snapshot(), count(AuditEvent))

    with pytest.raises(ImportFileError, match=message):
        run_import(council, data)

    assert (member_snapshot(), count(AuditEvent)) == before


def test_a_file_without_a_panel_column_needs_a_panel_chosen(council):
    with pytest.raises(ImportFileError, match="choose the panel"):
        run_import(council, b"first_name,last_name\nAnn,Smith\n", panel=None)


def test_rows_name_their_own_panel_when_no_panel_is_chosen(council):
    data = b"first_name,last_name,panel\nAnn,Smith,Community groups\nBob,Jones,\n"

    report = run_import(council, data, panel=None)

    assert report.created == 1
    assert [(line.row_number, line.field, line.outcome) for line in report.lines] == [(3, "panel", "rejected")]


# --- the officer's pages -------------------------------------------------------------------


def sign_in_as(client, role):
    create_user(f"{role}@example.org", roles=[role])
    sign_in(client, f"{role}@example.org", PASSWORD)


def upload(client, data, *, mode="check", panel="citizens", filename="members.csv"):
    return submit(client, "/officer/members/import",
                  {"file": (io.BytesIO(data), filename), "panel": panel, "mode": mode})


def test_an_officer_checks_the_file_then_imports_it_without_uploading_it_again(council, client):
    sign_in_as(client, "officer")

    checked = upload(client, MESSY_FILE)

    assert checked.status == 302
    report_path = path_of(checked.location)
    report_page = get(client, report_path)
    assert report_page.heading == "File checked: nothing saved yet"
    assert "New members to add 10" in report_page.text
    assert "Rows not imported 16" in report_page.text
    first_rejection = report_page.soup.select("table")[0].select("tbody tr")[0]
    assert [cell.get_text(strip=True) for cell in first_rejection.select("td")][:3] == ["6", "mobile", "01179 496123"]
    assert find_member_by_email("ann@example.org") is None

    imported = submit(client, report_path, {})

    assert path_of(imported.location) == report_path
    done = get(client, report_path)
    assert done.heading == "Members imported"
    assert "New members 10" in done.text
    assert "Import these members" not in done.text
    assert find_member_by_email("ann@example.org").source == MemberSource.IMPORT
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "members.imported")).one()
    assert event.actor_label == "officer@example.org"


def test_pressing_import_twice_imports_once(council, client):
    sign_in_as(client, "officer")
    report_path = path_of(upload(client, MESSY_FILE).location)
    token = get(client, report_path).csrf_token()

    client.post(report_path, data={"csrf_token": token})
    second = client.post(report_path, data={"csrf_token": token}, follow_redirects=True)

    assert "already been imported" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "members.imported")) == 1


def test_an_officer_can_import_straight_away(council, client):
    sign_in_as(client, "officer")

    page = upload(client, b"first_name,last_name,email\nAnn,Smith,ann@example.org\n", mode="import")

    assert get(client, path_of(page.location)).heading == "Members imported"
    assert find_member_by_email("ann@example.org") is not None


def test_uploading_a_workbook_shows_the_error_on_the_form(council, client):
    sign_in_as(client, "officer")

    page = upload(client, b"PK\x03\x04" + bytes(100), filename="members.xlsx")

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "This is an Excel workbook, not a CSV file. In Excel, choose File, Save As, and "
        "'CSV UTF-8 (Comma delimited) (*.csv)', then import that file."
    ]


def test_a_file_over_10_mb_is_refused(council, client):
    sign_in_as(client, "officer")
    token = get(client, "/officer/members/import").csrf_token()
    big_file = b"first_name,last_name\n" + b"Ann,Smith\n" * 1_100_000
    # Encoded in memory: the test client's own encoder leaves a temporary file open for big bodies.
    body, _, boundary = stream_encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(big_file), "members.csv"), "panel": "citizens",
         "mode": "check"},
        use_tempfile=False,
    )

    response = client.post("/officer/members/import", data=body.getvalue(),
                           content_type=f"multipart/form-data; boundary={boundary}")

    page = Page(response.status_code, response.get_data(as_text=True))
    assert page.error_summary == ["The file must be smaller than 10 MB: split it into smaller files"]


def test_the_form_asks_for_a_file(council, client):
    sign_in_as(client, "officer")

    page = submit(client, "/officer/members/import", {"panel": "citizens", "mode": "check"})

    assert page.error_summary == ["Select a CSV file"]


def test_a_report_is_only_for_the_officer_who_uploaded_the_file(council, client):
    sign_in_as(client, "officer")
    report_path = path_of(upload(client, MESSY_FILE).location)
    client.post("/sign-out", data={"csrf_token": get(client, report_path).csrf_token()})

    sign_in_as(client, "admin")

    assert get(client, report_path).status == 404
    assert get(client, "/officer/members/import/not-a-token").status == 404


def test_a_panel_member_cannot_import(council, client):
    sign_in_as(client, "member")

    assert get(client, "/officer/members/import").status == 403


# --- the command line -------------------------------------------------------------------------


def test_the_command_checks_a_file_and_prints_the_report(council, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(MESSY_FILE)

    result = runner.invoke(args=["epanel", "import-members", str(path), "--panel", "citizens", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "row 6     rejected mobile '01179 496123': This is a landline" in result.output
    assert "10 members would be created, 1 updated, 0 unchanged; 16 rows would be rejected." in result.output
    assert "Dry run: nothing was saved." in result.output
    assert find_member_by_email("ann@example.org") is None


def test_the_command_imports_a_file_and_audits_it_as_the_command_line(council, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(MESSY_FILE)

    result = runner.invoke(args=["epanel", "import-members", str(path), "--panel", "Citizens' Panel"])

    assert result.exit_code == 0, result.output
    assert "10 members were created, 1 updated, 0 unchanged; 16 rows were rejected." in result.output
    assert find_member_by_email("ann@example.org") is not None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "members.imported")).one()
    assert event.actor_label == "command line"


def test_the_command_fails_with_the_reason_when_the_file_is_unreadable(council, runner, tmp_path):
    path = tmp_path / "members.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(100))

    result = runner.invoke(args=["epanel", "import-members", str(path), "--panel", "citizens"])

    assert result.exit_code == 1
    assert "This is an Excel workbook" in result.output


def test_the_command_refuses_an_unknown_panel(council, runner, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(b"first_name,last_name\nAnn,Smith\n")

    result = runner.invoke(args=["epanel", "import-members", str(path), "--panel", "nowhere"])

    assert result.exit_code == 2
    assert "there is no panel called nowhere" in result.output


def someone_signs_up_while_rows_are_matched(monkeypatch, email):
    """Add a member with this email just after the import has read the existing members."""
    load_member_index = importing.load_member_index

    def match_members_then_someone_signs_up():
        index = load_member_index()
        create_member([get_panel_by_slug("citizens")], email=email)
        monkeypatch.setattr(importing, "load_member_index", load_member_index)
        return index

    monkeypatch.setattr(importing, "load_member_index", match_members_then_someone_signs_up)


def test_an_import_that_collides_with_a_change_made_meanwhile_saves_nothing(council, monkeypatch):
    someone_signs_up_while_rows_are_matched(monkeypatch, "bob@example.org")
    audit_events = count(AuditEvent)
    data = b"first_name,last_name,email\nAnn,Smith,ann@example.org\nBob,Jones,bob@example.org\n"

    with pytest.raises(ImportFileError, match="Members changed while the file was being imported"):
        run_import(council, data)

    assert find_member_by_email("ann@example.org") is None
    assert count(AuditEvent) == audit_events



def test_a_checked_file_whose_import_collides_can_be_imported_again(council, client, monkeypatch):
    sign_in_as(client, "officer")
    report_path = path_of(upload(client, MESSY_FILE).location)
    someone_signs_up_while_rows_are_matched(monkeypatch, "bob@example.org")

    failed = submit(client, report_path, {}, follow_redirects=True)

    assert "Members changed while the file was being imported" in " ".join(failed.banners)
    assert find_member_by_email("ann@example.org") is None
    assert "Import these members" in failed.text
    submit(client, report_path, {})
    assert find_member_by_email("ann@example.org") is not None
