"""Importing a council's existing panel from a CSV file: reading it, checking each row, the report, the import.

The contract is in DESIGN.md §4 ("Member import") and the officer's guide in
docs/officer-guide-import.md. A check (dry run) and a real import build the same
report from the same plan; only the real import writes it, in one transaction.
"""

import contextlib
import csv
import enum
import io
import json
import logging
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.panels.models import (
    Member,
    MemberSource,
    MemberStatus,
    Panel,
    PanelMembership,
    PostcodeArea,
)
from epanel.panels.operations import CONTACT_CONSENTS
from epanel.panels.profile import GENDERS, ProfileValueError, age_on, normalise_mobile, normalise_postcode
from epanel.panels.queries import find_panel, list_wards
from epanel.privacy.audit import record_audit_event
from epanel.privacy.models import Consent, ConsentChannel, ConsentKind

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
KEEP_UPLOADS_FOR = timedelta(hours=24)
NOT_CSV = (
    "This is not a CSV file. In Excel, choose File, Save As, and 'CSV UTF-8 (Comma delimited) (*.csv)', "
    "then import that file."
)
EXCEL_WORKBOOK = (
    "This is an Excel workbook, not a CSV file. In Excel, choose File, Save As, and "
    "'CSV UTF-8 (Comma delimited) (*.csv)', then import that file."
)

# Columns that fill the member's own fields; any other heading becomes a custom attribute.
KNOWN_COLUMNS = (
    "first_name", "last_name", "email", "mobile", "postcode", "date_of_birth",
    "gender", "ward", "parish", "address", "panel",
)
# Headings people write for the known columns, after lower-casing and turning spaces into underscores.
COLUMN_ALIASES = {
    "firstname": "first_name", "forename": "first_name", "given_name": "first_name",
    "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
    "e_mail": "email", "email_address": "email", "e_mail_address": "email",
    "mobile_number": "mobile", "mobile_phone": "mobile", "mobile_phone_number": "mobile",
    "post_code": "postcode", "dob": "date_of_birth", "birth_date": "date_of_birth",
    "date_of_birth_dd_mm_yyyy": "date_of_birth", "sex": "gender", "panel_name": "panel",
}
NAME_LENGTH = 80  # members.first_name, last_name, ward and parish are VARCHAR(80)

ANOTHER_WAY = "I describe myself another way"
# Other ways files write the standard gender answers; the standard answers themselves match in any case.
GENDER_SYNONYMS = {
    "f": "Woman", "female": "Woman", "w": "Woman", "girl": "Woman",
    "m": "Man", "male": "Man", "boy": "Man",
    "nonbinary": "Non-binary", "non binary": "Non-binary", "nb": "Non-binary", "enby": "Non-binary",
    "other": ANOTHER_WAY, "another way": ANOTHER_WAY, "self-describe": ANOTHER_WAY,
    "prefer not to answer": "Prefer not to say", "rather not say": "Prefer not to say",
    "not stated": "Prefer not to say", "pnts": "Prefer not to say",
}
# Where an unrecognised gender answer is kept, word for word, so nothing the person wrote is lost.
GENDER_AS_WRITTEN = "gender_as_written"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{24}$")
_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
_DAY_FIRST_DATE = re.compile(rf"^(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d+){_TIME_SUFFIX}$")
_ISO_DATE = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME_SUFFIX}$")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says what to do. Nothing was saved."""


class RejectedValue(ValueError):
    """One cell that stops its row being imported; the message is the reason in the report."""


class Outcome(enum.StrEnum):
    REJECTED = "rejected"  # the row was not imported
    CHANGED = "changed"  # stored differently from how the file wrote it
    WARNING = "warning"  # imported as written, but worth a look


@dataclass(frozen=True)
class ReportLine:
    row_number: int | None  # the spreadsheet's row (headings are row 1); None for the file as a whole
    field: str
    value: str
    outcome: Outcome
    reason: str


@dataclass
class ImportReport:
    lines: list[ReportLine] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def lines_with(self, *outcomes: Outcome) -> list[ReportLine]:
        return [line for line in self.lines if line.outcome in outcomes]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ImportReport":
        lines = [ReportLine(**{**line, "outcome": Outcome(line["outcome"])}) for line in data["lines"]]
        return cls(lines, data["created"], data["updated"], data["unchanged"], data["rejected"])


# --- reading the file ----------------------------------------------------------


@dataclass
class Table:
    headings: list[str]  # as written
    header_row: int
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells); blank rows left out
    notes: list[ReportLine]


def decode_text(data: bytes) -> tuple[str, list[ReportLine]]:
    """The file's text: UTF-8 (with or without a BOM), UTF-16 with a BOM, or else Windows-1252, with a warning."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(EXCEL_WORKBOOK)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []  # Excel's "Unicode Text"
        except UnicodeDecodeError:
            raise ImportFileError(NOT_CSV) from None
    if b"\x00" in data:
        raise ImportFileError(NOT_CSV)
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(NOT_CSV) from None
    warning = ReportLine(
        None, "", "", Outcome.WARNING,
        "The file was not saved as UTF-8, so it was read as Windows-1252, which Excel uses in the UK. "
        "Check that names with accents and signs such as £ came through; next time save as 'CSV UTF-8'.",
    )
    return text, [warning]


def read_table(data: bytes) -> Table:
    """Split the file into headings and rows, numbered as a spreadsheet numbers them."""
    if not data.strip():
        raise ImportFileError("The file is empty.")
    text, notes = decode_text(data)
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text[:4096]):
        raise ImportFileError(NOT_CSV)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([",", ";", "\t"], key=first_line.count)  # ";" from Excel in some locales
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headings, header_row, rows = None, 0, []
    try:
        for row_number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if headings is None:
                headings, header_row = cells, row_number
            else:
                rows.append((row_number, cells))
    except csv.Error as error:
        raise ImportFileError(
            f"Line {reader.line_num} of the file could not be read ({error}): a quotation mark is probably not "
            "closed. Open the file in Excel and save it again as 'CSV UTF-8'."
        ) from None
    return Table(headings or [], header_row, rows, notes)


def column_key(heading: str) -> str:
    """'First Name ', 'first-name', 'FIRST_NAME' -> 'first_name'; aliases such as 'Surname' -> 'last_name'."""
    key = re.sub(r"[^0-9a-z]+", "_", heading.strip().lower()).strip("_")
    return COLUMN_ALIASES.get(key, key)


def spreadsheet_column(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA', as Excel labels columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def map_columns(table: Table) -> tuple[dict[str, int], list[ReportLine]]:
    """Which cell holds which column; extra columns keep their own key. Refuses unusable headings."""
    columns, notes, shown = {}, [], ", ".join(heading.strip() for heading in table.headings)[:200]
    for index, heading in enumerate(table.headings):
        key = column_key(heading)
        if not key:
            continue
        if key in columns:
            raise ImportFileError(f"The column '{heading.strip()}' appears twice in the headings. Keep one of them.")
        columns[key] = index
        if key not in KNOWN_COLUMNS:
            notes.append(ReportLine(
                table.header_row, heading.strip(), "", Outcome.WARNING,
                f"Not one of the standard columns: its values are kept as extra information ('{key}') on each member.",
            ))
    missing = [name for name in ("first_name", "last_name") if name not in columns]
    if missing:
        raise ImportFileError(
            "The first row must hold the column headings, including first_name and last_name "
            f"(missing: {', '.join(missing)}). The first row of this file reads: {shown or '(nothing)'}"
        )
    return columns, notes


def unnamed_column_notes(table: Table) -> list[ReportLine]:
    """A warning for each column that has values but no heading: those values are not imported."""
    unnamed = [index for index, heading in enumerate(table.headings) if not column_key(heading)]
    return [
        ReportLine(
            table.header_row, f"column {spreadsheet_column(index)}", "", Outcome.WARNING,
            "This column has values but no heading, so they were not imported. Give it a heading to keep them.",
        )
        for index in unnamed
        if any(index < len(cells) and cells[index].strip() for _, cells in table.rows)
    ]


# --- checking one value ----------------------------------------------------------


def clean_name(text: str) -> tuple[str, str | None]:
    name = " ".join(text.split())
    if len(name) > NAME_LENGTH:
        raise RejectedValue(f"Must be {NAME_LENGTH} characters or fewer")
    return name, None


def clean_email(text: str) -> tuple[str, str | None]:
    try:
        address = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise RejectedValue(f"Not a valid email address: {error}") from None
    return address.lower(), None


def clean_mobile(text: str) -> tuple[str, str | None]:
    try:
        return normalise_mobile(text), None
    except ProfileValueError as error:
        if _is_uk_landline(text):
            raise RejectedValue(
                "This is a landline, which cannot get text messages. Leave the mobile cell empty, or move the "
                "number to a column headed landline, which is kept as extra information."
            ) from None
        raise RejectedValue(str(error)) from None


def _is_uk_landline(text: str) -> bool:
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def clean_postcode(text: str) -> tuple[str, str | None]:
    try:
        return normalise_postcode(text), None
    except ProfileValueError as error:
        raise RejectedValue(str(error)) from None


def clean_date_of_birth(text: str) -> tuple[date, str | None]:
    """DD/MM/YYYY (also with - or .) or YYYY-MM-DD, optionally with Excel's '00:00' after it."""
    iso, day_first = _ISO_DATE.match(text), _DAY_FIRST_DATE.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif day_first:
        day, month, year = (int(part) for part in day_first.groups())
        if len(day_first.group(3)) != 4:
            raise RejectedValue("Write the year in full, like 25/12/1970")
    else:
        raise RejectedValue("Not a date: write it as day/month/year, like 25/12/1970")
    try:
        born = date(year, month, day)
    except ValueError:
        raise RejectedValue("Not a real date: write it as day/month/year, like 25/12/1970") from None
    if born > date.today():
        raise RejectedValue("Date of birth is in the future")
    if born.year < 1900:
        raise RejectedValue("Date of birth is before 1900")
    return born, None


def recognised_gender(text: str) -> str | None:
    """The standard answer this text means ('female', 'F' -> 'Woman'), or None."""
    words = " ".join(text.split()).lower()
    standard = next((answer for answer in GENDERS if answer.lower() == words), None)
    return standard or GENDER_SYNONYMS.get(words)


def clean_gender(text: str) -> tuple[str, str | None]:
    answer = recognised_gender(text)
    if answer is None:
        return ANOTHER_WAY, (
            f"Not one of the standard answers, so stored as '{ANOTHER_WAY}'; "
            f"the words as written are kept as extra information ('{GENDER_AS_WRITTEN}')"
        )
    if answer.lower() == " ".join(text.split()).lower():
        return answer, None
    return answer, f"Stored as '{answer}'"


def clean_text(text: str) -> tuple[str, str | None]:
    return text.strip(), None


VALUE_CLEANERS = {
    "first_name": clean_name,
    "last_name": clean_name,
    "email": clean_email,
    "mobile": clean_mobile,
    "postcode": clean_postcode,
    "date_of_birth": clean_date_of_birth,
    "gender": clean_gender,
    "ward": clean_name,
    "parish": clean_name,
    "address": clean_text,
}
MEMBER_FIELDS = tuple(VALUE_CLEANERS)


# --- checking a row ------------------------------------------------------------


@dataclass
class CheckedRow:
    row_number: int
    values: dict  # member fields the row gives; empty cells are left out, so they never clear anything
    custom: dict  # extra columns
    panels: list[Panel]
    written: dict[str, str]  # each cell as the file wrote it, for the report

    @property
    def name_key(self) -> tuple | None:
        """How a member with neither email nor mobile is recognised: names, postcode and date of birth."""
        if self.values.get("email") or self.values.get("mobile"):
            return None
        return name_key(self.values["first_name"], self.values["last_name"],
                        self.values.get("postcode"), self.values.get("date_of_birth"))


def name_key(first_name, last_name, postcode, date_of_birth) -> tuple:
    return (first_name.casefold(), last_name.casefold(), postcode or "", date_of_birth)


@dataclass
class ImportContext:
    """What every row is checked against, loaded once for the whole file."""

    columns: dict[str, int]
    heading_count: int
    default_panel: Panel | None
    wards_by_postcode: dict[str, tuple[str, str | None]]
    known_wards: dict[str, str]  # lower case -> as the council spells it
    today: date
    panels_by_text: dict[str, Panel | None] = field(default_factory=dict)

    def panel_named(self, text: str) -> Panel | None:
        key = text.strip().lower()
        if key not in self.panels_by_text:
            self.panels_by_text[key] = find_panel(key)
        return self.panels_by_text[key]


def load_context(table: Table, columns: dict[str, int], default_panel: Panel | None) -> ImportContext:
    """The ward lookup and the known wards, in a few queries."""
    areas = db.session.execute(select(PostcodeArea.postcode, PostcodeArea.ward, PostcodeArea.parish))
    lookup = {postcode: (ward, parish) for postcode, ward, parish in areas}
    known_wards = {ward.lower(): ward for ward in list_wards()}
    return ImportContext(columns, len(table.headings), default_panel, lookup, known_wards, date.today())


def check_row(row_number: int, cells: list[str], context: ImportContext) -> tuple[CheckedRow | None, list[ReportLine]]:
    """Clean every cell of one row; the row comes back only if nothing in it was rejected."""
    lines = []

    def note(field_name, value, outcome, reason):
        lines.append(ReportLine(row_number, field_name, value[:200], outcome, reason))

    if any(cell.strip() for cell in cells[context.heading_count:]):
        note("", "", Outcome.REJECTED, "This row has more cells than the file has headings: a value with a comma "
             "in it probably needs quotation marks. Open the file in Excel and save it again as 'CSV UTF-8'.")
    cell = {key: (cells[index].strip() if index < len(cells) else "") for key, index in context.columns.items()}
    values, custom = _clean_cells(cell, note)
    _fill_ward(values, context, note)
    panels = _panels_for(cell.get("panel", ""), context, note)
    rejections = [line for line in lines if line.outcome == Outcome.REJECTED]
    if rejections:
        return None, rejections
    return CheckedRow(row_number, values, custom, panels, cell), lines


def _clean_cells(cell: dict[str, str], note) -> tuple[dict, dict]:
    """(member field values, extra columns) from one row's non-empty cells."""
    values, custom = {}, {}
    for key, text in cell.items():
        if not text or key == "panel":
            continue
        if key not in VALUE_CLEANERS:
            custom[key] = text
            continue
        try:
            values[key], change = VALUE_CLEANERS[key](text)
        except RejectedValue as problem:
            note(key, text, Outcome.REJECTED, str(problem))
            continue
        if change:
            note(key, text, Outcome.CHANGED, change)
    for key in ("first_name", "last_name"):
        if not cell[key]:
            note(key, "", Outcome.REJECTED, f"Every member needs a {key.replace('_', ' ')}")
    if "gender" in values and recognised_gender(cell["gender"]) is None:
        custom.setdefault(GENDER_AS_WRITTEN, cell["gender"])
    return values, custom


def _fill_ward(values: dict, context: ImportContext, note) -> None:
    """A ward the file leaves empty comes from the postcode lookup; one it gives is spelt as the council does."""
    if "ward" in values:
        known = context.known_wards.get(values["ward"].lower())
        if known:
            values["ward"] = known
        elif context.known_wards:
            note("ward", values["ward"], Outcome.WARNING,
                 "Not a ward in the postcode lookup or the population targets; kept as written")
        return
    area = context.wards_by_postcode.get(values.get("postcode"))
    if area is None:
        return
    values["ward"] = area[0]
    if area[1] and "parish" not in values:
        values["parish"] = area[1]
    parish = f" (parish {area[1]})" if area[1] else ""
    note("ward", "", Outcome.CHANGED, f"Filled in from the postcode lookup: {area[0]}{parish}")


def _panels_for(text: str, context: ImportContext, note) -> list[Panel]:
    """The panels a row names (several separated by ';'), or the default panel when it names none."""
    names = [name.strip() for name in text.split(";") if name.strip()]
    if not names:
        if context.default_panel is None:
            note("panel", "", Outcome.REJECTED, "No panel: fill in the panel column or choose a panel for the file")
            return []
        return [context.default_panel]
    panels = []
    for name in names:
        panel = context.panel_named(name)
        if panel is None:
            note("panel", name, Outcome.REJECTED, "There is no panel with this name or short name")
        elif panel not in panels:
            panels.append(panel)
    return panels


# --- matching rows to members --------------------------------------------------


@dataclass
class MemberIndex:
    """Existing members by email, by mobile and (for those with neither) by name key: one query."""

    by_email: dict[str, int]
    by_mobile: dict[str, int]
    by_name_key: dict[tuple, int]
    dates_of_birth: dict[int, date | None]
    panel_ids: dict[int, set[int]]
    left: set[int]


def load_member_index() -> MemberIndex:
    index = MemberIndex({}, {}, {}, {}, {}, set())
    query = select(Member.id, Member.email, Member.mobile, Member.first_name, Member.last_name,
                   Member.postcode, Member.date_of_birth, Member.status)
    for member_id, email, mobile, first, last, postcode, born, status in db.session.execute(query):
        if email:
            index.by_email[email] = member_id
        if mobile:
            index.by_mobile[mobile] = member_id
        if not email and not mobile:
            index.by_name_key.setdefault(name_key(first, last, postcode, born), member_id)
        index.dates_of_birth[member_id] = born
        if status == MemberStatus.LEFT:
            index.left.add(member_id)
    for member_id, panel_id in db.session.execute(select(PanelMembership.member_id, PanelMembership.panel_id)):
        index.panel_ids.setdefault(member_id, set()).add(panel_id)
    return index


@dataclass
class ImportPlan:
    new_rows: list[CheckedRow] = field(default_factory=list)
    matched_rows: list[tuple[int, CheckedRow]] = field(default_factory=list)  # (member id, row)


class RowMatcher:
    """Finds the member each row is for (email, then mobile) and refuses a second row for the same person."""

    def __init__(self, index: MemberIndex, context: ImportContext):
        self.index = index
        self.context = context
        self.claimed: dict[tuple, int] = {}  # ("email", value), ("mobile", …), ("member", id), ("name", key) -> row

    def match(self, row: CheckedRow) -> tuple[int | None, list[ReportLine]]:
        """(member id or None for a new member, rejection lines); claims the row's identity if accepted."""
        email, mobile = row.values.get("email"), row.values.get("mobile")
        by_email = self.index.by_email.get(email) if email else None
        by_mobile = self.index.by_mobile.get(mobile) if mobile else None
        member_id = by_email or by_mobile
        if member_id is None and row.name_key is not None:
            member_id = self.index.by_name_key.get(row.name_key)
        identities = [("email", email), ("mobile", mobile), ("name", row.name_key), ("member", member_id)]
        identities = [(kind, value) for kind, value in identities if value is not None]
        problem = self._problem(row, identities, by_email, by_mobile, member_id)
        if problem:
            return None, [ReportLine(row.row_number, *problem)]
        for identity in identities:
            self.claimed[identity] = row.row_number
        return member_id, []

    def _problem(self, row, identities, by_email, by_mobile, member_id) -> tuple | None:
        for kind, value in identities:
            if (kind, value) in self.claimed:
                return _duplicate_problem(kind, row.written.get(kind, ""), self.claimed[(kind, value)])
        if by_email and by_mobile and by_email != by_mobile:
            return ("mobile", row.written["mobile"], Outcome.REJECTED,
                    "The email address belongs to one member and this mobile number to another. Correct the row, "
                    "or correct the two members' details first.")
        if member_id in self.index.left:
            return ("", "", Outcome.REJECTED,
                    "This person has left the panels, so the import does not add them back. Remove the row, "
                    "or ask them to join again.")
        return self._eligibility_problem(row, member_id)

    def _eligibility_problem(self, row, member_id) -> tuple | None:
        """Joining a panel needs the right age, when the age is known; panels already held stay."""
        born = row.values.get("date_of_birth") or self.index.dates_of_birth.get(member_id)
        age = age_on(born, self.context.today)
        held = self.index.panel_ids.get(member_id, set())
        for panel in row.panels:
            if age is not None and panel.id not in held and not panel.admits_age(age):
                return ("date_of_birth", row.written.get("date_of_birth") or born.strftime("%d/%m/%Y"),
                        Outcome.REJECTED,
                        f"Aged {age}, so cannot join {panel.name} ({panel.age_range_text.lower()})")
        return None


def _duplicate_problem(kind: str, written: str, first_row: int) -> tuple:
    if kind == "name":
        return ("", "", Outcome.REJECTED,
                f"Same name, postcode and date of birth as row {first_row}, and neither has an email address or "
                "mobile, so ePanel cannot tell them apart. Only the first is imported.")
    if kind == "member":
        return ("", "", Outcome.REJECTED, f"Row {first_row} is for the same member. Only the first is imported.")
    label = {"email": "email address", "mobile": "mobile number"}[kind]
    return (kind, written, Outcome.REJECTED, f"Row {first_row} has the same {label}. Only the first is imported.")


# --- the plan and the import ----------------------------------------------------


def plan_import(table: Table, context: ImportContext, report: ImportReport) -> ImportPlan:
    """Check and match every row, adding what it found to the report; writes nothing."""
    matcher = RowMatcher(load_member_index(), context)
    plan = ImportPlan()
    for row_number, cells in table.rows:
        row, lines = check_row(row_number, cells, context)
        report.lines += lines
        if row is None:
            report.rejected += 1
            continue
        member_id, problems = matcher.match(row)
        report.lines += problems
        if problems:
            report.rejected += 1
        elif member_id is None:
            plan.new_rows.append(row)
        else:
            plan.matched_rows.append((member_id, row))
    return plan


def load_members(member_ids: list[int]) -> dict[int, Member]:
    """Members by id with their memberships, in chunks small enough for any database's parameter limit."""
    members = {}
    for start in range(0, len(member_ids), 900):
        chunk = member_ids[start:start + 900]
        query = select(Member).where(Member.id.in_(chunk)).options(selectinload(Member.memberships))
        members.update((member.id, member) for member in db.session.scalars(query))
    return members


def changes_for(member: Member, row: CheckedRow) -> tuple[dict, list[Panel]]:
    """The field values that differ from what ePanel holds, and the panels the member is not yet on."""
    changes = {name: value for name, value in row.values.items() if getattr(member, name) != value}
    custom = {**(member.custom_attributes or {}), **row.custom}
    if custom != (member.custom_attributes or {}):
        changes["custom_attributes"] = custom
    held = {membership.panel_id for membership in member.memberships}
    return changes, [panel for panel in row.panels if panel.id not in held]


def import_members(data: bytes, filename: str, *, default_panel: Panel | None, dry_run: bool, actor) -> ImportReport:
    """Check a CSV file of members and, unless dry_run, import it; both give the same report.

    New members are added as active, imported members of their panels; a member found by
    email, then mobile, is updated with the file's non-empty values. Raises ImportFileError,
    having saved nothing, when the file as a whole cannot be read.
    """
    started = time.perf_counter()
    table = read_table(data)
    columns, heading_notes = map_columns(table)
    if "panel" not in columns and default_panel is None:
        raise ImportFileError("The file has no panel column, so choose the panel to add these members to.")
    report = ImportReport(lines=table.notes + heading_notes + unnamed_column_notes(table))
    plan = plan_import(table, load_context(table, columns, default_panel), report)
    members = load_members([member_id for member_id, _ in plan.matched_rows])
    updates = []
    for member_id, row in plan.matched_rows:
        changes, new_panels = changes_for(members[member_id], row)
        if changes or new_panels:
            updates.append((members[member_id], changes, new_panels))
    report.created = len(plan.new_rows)
    report.updated = len(updates)
    report.unchanged = len(plan.matched_rows) - len(updates)
    if dry_run:
        db.session.rollback()
    else:
        try:
            _write(plan.new_rows, updates, filename, actor, report)
        except IntegrityError:
            # Someone added or changed an email address or mobile number after the rows were matched.
            db.session.rollback()
            raise ImportFileError("Members changed while the file was being imported, so nothing was saved. "
                                  "Import the file again.") from None
    log.info("member import of %s (%s) in %.1fs: %d created, %d updated, %d unchanged, %d rejected",
             filename, "dry run" if dry_run else "saved", time.perf_counter() - started,
             report.created, report.updated, report.unchanged, report.rejected)
    return report


def _write(new_rows: list[CheckedRow], updates: list, filename: str, actor, report: ImportReport) -> None:
    consent = {"notice_version": current_app.config["PRIVACY_NOTICE_VERSION"], "channel": ConsentChannel.IMPORT,
               "given_by": f"imported from {filename}"[:200]}
    _insert_new_members(new_rows, consent)
    for member, changes, new_panels in updates:
        for name, value in changes.items():
            setattr(member, name, value)
        for panel in new_panels:
            member.memberships.append(PanelMembership(panel=panel))
            db.session.add(Consent(member=member, kind=ConsentKind.PANEL_MEMBERSHIP, panel=panel, **consent))
    record_audit_event(actor, "members.imported", "member", None, file=filename, created=report.created,
                       updated=report.updated, unchanged=report.unchanged, rejected=report.rejected)
    db.session.commit()


def _insert_new_members(rows: list[CheckedRow], consent: dict) -> None:
    """Bulk-insert members, their memberships and their consents: ORM objects one by one take seconds."""
    if not rows:
        return
    now = utcnow()
    # render_nulls: the ORM otherwise leaves out None values, splitting the rows into many small batches.
    member_ids = db.session.scalars(
        insert(Member).returning(Member.id, sort_by_parameter_order=True),
        [_new_member_values(row, now) for row in rows],
        execution_options={"render_nulls": True},
    ).all()
    memberships, consents = [], []
    for member_id, row in zip(member_ids, rows):
        for panel in row.panels:
            memberships.append({"member_id": member_id, "panel_id": panel.id, "joined_at": now})
            consents.append({"member_id": member_id, "kind": ConsentKind.PANEL_MEMBERSHIP, "panel_id": panel.id,
                             "given_at": now, **consent})
        # The same rules as operations.record_consents: one consent per contact channel agreed to.
        consents += [
            {"member_id": member_id, "kind": kind, "panel_id": None, "given_at": now, **consent}
            for flag, kind in CONTACT_CONSENTS.items() if _new_member_contact_flags(row)[flag]
        ]
    db.session.execute(insert(PanelMembership), memberships)
    db.session.execute(insert(Consent), consents, execution_options={"render_nulls": True})


def _new_member_contact_flags(row: CheckedRow) -> dict[str, bool]:
    # They gave these details to the panel so that it could consult them through them.
    return {
        "contact_by_email": "email" in row.values,
        "contact_by_sms": "mobile" in row.values,
        "contact_by_post": "address" in row.values,
    }


def _new_member_values(row: CheckedRow, now) -> dict:
    """One members row: every key present, so the rows insert as one batch in order."""
    return {
        **{name: row.values.get(name) for name in MEMBER_FIELDS},
        **_new_member_contact_flags(row),
        "custom_attributes": row.custom,
        "status": MemberStatus.ACTIVE,
        "source": MemberSource.IMPORT,
        "created_at": now,
        "updated_at": now,
        "confirmed_at": now,
    }


# --- uploads kept between the check and the import --------------------------------
# The officer checks a file first, then imports the same file without uploading it again:
# its bytes wait in the instance folder under a random name, for its uploader only, for a day.


@dataclass
class StoredImport:
    token: str
    owner_id: int
    filename: str
    default_panel_id: int | None
    dry_run: bool
    report: ImportReport
    file_kept: bool  # a checked file waiting to be imported


def _uploads_folder() -> Path:
    folder = Path(current_app.instance_path) / "member-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _remove_expired_uploads(folder: Path) -> None:
    oldest = time.time() - KEEP_UPLOADS_FOR.total_seconds()
    for path in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):  # another upload's sweep got there first
            if path.stat().st_mtime < oldest:
                path.unlink()


def _save_report(token: str, *, owner_id: int, filename: str, default_panel: Panel | None, dry_run: bool,
                 report: ImportReport) -> None:
    record = {"owner_id": owner_id, "filename": filename, "dry_run": dry_run,
              "default_panel_id": default_panel.id if default_panel else None, "report": report.as_dict()}
    (_uploads_folder() / f"{token}.json").write_text(json.dumps(record))


def import_upload(data: bytes, filename: str, *, default_panel: Panel | None, dry_run: bool, actor) -> str:
    """Check (dry run) or import an uploaded file; returns the token under which its report is kept."""
    filename = Path(filename or "upload.csv").name
    report = import_members(data, filename, default_panel=default_panel, dry_run=dry_run, actor=actor)
    folder = _uploads_folder()
    _remove_expired_uploads(folder)
    token = secrets.token_urlsafe(18)
    if dry_run:
        (folder / f"{token}.csv").write_bytes(data)
    _save_report(token, owner_id=actor.id, filename=filename, default_panel=default_panel, dry_run=dry_run,
                 report=report)
    return token


def get_stored_import(token: str, actor) -> StoredImport | None:
    """The kept report for this token, if the actor uploaded it and it has not expired."""
    if not _TOKEN.match(token):
        return None
    path = _uploads_folder() / f"{token}.json"
    if not path.exists() or path.stat().st_mtime < time.time() - KEEP_UPLOADS_FOR.total_seconds():
        return None
    record = json.loads(path.read_text())
    if record["owner_id"] != actor.id:
        return None
    return StoredImport(token, record["owner_id"], record["filename"], record["default_panel_id"],
                        record["dry_run"], ImportReport.from_dict(record["report"]),
                        (path.parent / f"{token}.csv").exists())


def import_checked_upload(stored: StoredImport, actor) -> None:
    """Import, for real, a file that was checked earlier; it can be imported only once."""
    waiting = _uploads_folder() / f"{stored.token}.csv"
    claimed = waiting.with_suffix(".importing")
    try:
        waiting.rename(claimed)  # atomic: of two clicks on the button, only one imports
    except FileNotFoundError:
        raise ImportFileError("This file has already been imported, or was checked too long ago. "
                              "Upload it again.") from None
    try:
        default_panel = db.session.get(Panel, stored.default_panel_id) if stored.default_panel_id else None
        report = import_members(claimed.read_bytes(), stored.filename, default_panel=default_panel,
                                dry_run=False, actor=actor)
        _save_report(stored.token, owner_id=stored.owner_id, filename=stored.filename, default_panel=default_panel,
                     dry_run=False, report=report)
    except ImportFileError:
        claimed.rename(waiting)  # nothing was saved, so the officer can press the button again
        raise
    finally:
        claimed.unlink(missing_ok=True)
