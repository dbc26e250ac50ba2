"""Benchmark: importing 10,000 members from a realistic council spreadsheet, on SQLite.

Run with `make bench`. Prints seconds and rows per second for a check (dry run), the
import and a re-import of the same file, beside two references measured in the same
run: Python's csv module merely parsing the file, and a plain sqlite3 executemany of
the same rows into a bare copy of the members table. The acceptance bar is 10 s.
"""

import csv
import io
import random
import sqlite3
import time
from datetime import date, timedelta

from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from epanel.panels.importing import import_members
from epanel.panels.models import Member
from epanel.panels.operations import replace_ward_lookup
from epanel.panels.queries import count_members
from tests.factories import create_panel

ROWS = 10_000
BUDGET_SECONDS = 10.0
FIRST_NAMES = ["Amelia", "Oliver", "Isla", "George", "Fatima", "Mohammed", "Zoë", "Siobhan", "Tomasz", "Mei",
               "Margaret", "Derek", "Aisha", "Connor", "Niamh", "Harjit", "Precious", "Rhys"]
LAST_NAMES = ["Smith", "Jones", "O'Brien", "Khan", "Patel", "Nowak", "Chen", "Mensah", "MacLeod", "Hughes",
              "Singh", "Davies", "Begum", "Wong", "Roberts"]
WARDS = ["Abbey", "Brookside", "Castle Hill", "Dunmore", "Eastgate", "Fernlea", "Greenbank", "Harbour"]
GENDERS = ["F", "M", "Woman", "Man", "female", "male", "Prefer not to say", ""]


def council_spreadsheet(rows: int, seed: int = 2026) -> tuple[bytes, list[str]]:
    """A CSV as Excel writes it (BOM, CRLF, DD/MM/YYYY dates, spaced mobiles), and its postcodes."""
    rng = random.Random(seed)
    postcodes = [f"AV{district} {sector}{unit}" for district in range(1, 10) for sector in range(1, 10)
                 for unit in ("AB", "BD", "DE", "EF", "GH", "JL", "NP", "QR", "ST", "UW")]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["First name", "Last name", "Email", "Mobile", "Postcode", "Date of birth", "Gender",
                     "Ward", "Membership number", "Joined"])
    for number in range(rows):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = date(1935, 1, 1) + timedelta(days=rng.randint(0, 365 * 70))
        writer.writerow([
            first,
            last,
            f"{first}.{last}.{number}@example.org".replace("'", "") if rng.random() < 0.85 else "",
            f"07911 {100000 + number:06d}" if rng.random() < 0.6 else "",
            rng.choice(postcodes),
            born.strftime("%d/%m/%Y") if rng.random() < 0.8 else born.isoformat(),
            rng.choice(GENDERS),
            rng.choice(WARDS) if rng.random() < 0.3 else "",
            f"CP{number:05d}",
            f"{rng.randint(2005, 2024)}",
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8"), postcodes


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def csv_parse_seconds(data: bytes) -> float:
    _, seconds = timed(lambda: list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))))
    return seconds


def plain_insert_seconds(data: bytes, tmp_path) -> float:
    """sqlite3 executemany of the same rows, as stored, into a bare members table: the floor for writing them."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]
    connection = sqlite3.connect(tmp_path / "reference.sqlite")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(str(CreateTable(Member.__table__).compile(dialect=sqlite.dialect())))
    statement = (
        "INSERT INTO members (first_name, last_name, email, mobile, postcode, date_of_birth, gender, ward,"
        " custom_attributes, contact_by_email, contact_by_sms, contact_by_post, status, source, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 'active', 'import', datetime(), datetime())"
    )
    values = [(r[0], r[1], r[2].lower() or None, r[3] or None, r[4], r[5], r[6], r[7] or None, "{}") for r in rows]
    _, seconds = timed(lambda: (connection.executemany(statement, values), connection.commit()))
    connection.close()
    return seconds


def report_figure(label: str, seconds: float, reference: float, reference_label: str) -> None:
    print(f"  {label:<34} {seconds:6.2f} s  {ROWS / seconds:9,.0f} rows/s   "
          f"{seconds / reference:7.1f} x {reference_label} ({reference * 1000:.0f} ms)")


def test_importing_10000_members_from_a_council_spreadsheet_stays_within_budget(app, tmp_path, record_figure):
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    data, postcodes = council_spreadsheet(ROWS)
    replace_ward_lookup([(postcode, WARDS[i % len(WARDS)], None) for i, postcode in enumerate(postcodes)],
                        "benchmark")

    parse = csv_parse_seconds(data)
    insert = plain_insert_seconds(data, tmp_path)
    check, check_seconds = timed(lambda: import_members(data, "panel.csv", default_panel=citizens, dry_run=True,
                                                        actor="benchmark"))
    first, import_seconds = timed(lambda: import_members(data, "panel.csv", default_panel=citizens, dry_run=False,
                                                         actor="benchmark"))
    again, reimport_seconds = timed(lambda: import_members(data, "panel.csv", default_panel=citizens,
                                                           dry_run=False, actor="benchmark"))

    print(f"\nMember import, {ROWS:,} rows, {len(data) / 1e6:.1f} MB, SQLite {sqlite3.sqlite_version}")
    report_figure("check (dry run)", check_seconds, parse, "csv parse")
    report_figure("import into an empty panel", import_seconds, insert, "plain executemany")
    report_figure("re-import, nothing changes", reimport_seconds, parse, "csv parse")
    record_figure(f"import {ROWS:,} members", "sqlite", import_seconds, "s", reference=insert,
                  reference_unit="s (plain executemany)", goal=f"< {BUDGET_SECONDS:.0f} s",
                  met=import_seconds < BUDGET_SECONDS)
    assert check == first
    assert first.created == count_members() == ROWS - first.rejected
    assert again.created == again.updated == 0 and again.unchanged == first.created
    assert import_seconds < BUDGET_SECONDS
