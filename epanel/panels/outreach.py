"""Groups and their contact points, population targets, "who is missing", and tracked recruitment links.

Writes (with their rules and the commit) and the reads behind the outreach pages. Every
count is an aggregate query over the panel's members, never a loop over them, so the
pages stay fast with 100,000 members.
"""

import csv
import io
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import segno
from flask import current_app
from sqlalchemy import and_, delete, func, select

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.panels.models import (
    Group,
    GroupContact,
    GroupKind,
    Member,
    MemberSource,
    MemberStatus,
    Panel,
    PanelMembership,
    PopulationTarget,
    RecruitmentKind,
    RecruitmentLink,
    TargetDimension,
)
from epanel.panels.operations import PanelError
from epanel.panels.profile import GENDERS, AgeBand
from epanel.panels.queries import age_bands, distinct_values, find_member_by_email, list_wards
from epanel.privacy.audit import record_audit_event

log = logging.getLogger(__name__)

# The public sign-up reads this session key to record where a new member came from.
RECRUITMENT_SESSION_KEY = "recruitment_link_id"

# Under-represented: the panel's share is below 80% of the target share and at least
# 2 percentage points short. The second test stops tiny categories being flagged for
# one missing member; the first stops large categories being flagged for a small gap.
UNDER_REPRESENTED_RATIO = 0.8
UNDER_REPRESENTED_MIN_POINTS = 2.0
PREFER_NOT_TO_SAY = "Prefer not to say"
TARGET_GENDERS = [gender for gender in GENDERS if gender != PREFER_NOT_TO_SAY]
# Census 2021 tables report sex; read them as the panel's gender answers, as the member import does.
CENSUS_SEX_NAMES = {"female": "Woman", "male": "Man"}
# Shares in a dimension should add up to 100%; Census tables round, so allow a point either way.
TOTAL_TOLERANCE_POINTS = 1.0
MAX_TARGET_ROWS = 2000
MAX_TARGETS_FILE_BYTES = 1_000_000  # a council's wards, bands and genders fit in a few kilobytes
_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What a CSV may call each dimension, after lower-casing and turning "_" and "-" into spaces.
_DIMENSION_NAMES = {
    **{dimension.label.lower(): dimension for dimension in TargetDimension},
    "age": TargetDimension.AGE_BAND,
}


# --- groups ----------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSummary:
    group: Group
    contacts: int


def list_groups() -> list[GroupSummary]:
    """Every group with how many contact points it has, in one query."""
    query = (
        select(Group, func.count(GroupContact.member_id))
        .outerjoin(GroupContact, GroupContact.group_id == Group.id)
        .group_by(Group.id)
        .order_by(Group.name)
    )
    return [GroupSummary(group, contacts) for group, contacts in db.session.execute(query)]


def list_public_groups() -> list[Group]:
    """Groups that agreed to be listed in the public directory, by name."""
    return list(db.session.scalars(select(Group).where(Group.listed_publicly.is_(True)).order_by(Group.name)))


def get_group(group_id: int) -> Group | None:
    return db.session.get(Group, group_id)


def _check_group_name_free(name: str, ignore_id: int | None = None) -> None:
    other = db.session.scalar(select(Group).where(func.lower(Group.name) == name.lower()))
    if other is not None and other.id != ignore_id:
        raise PanelError(f"A group called {other.name} already exists")


def _check_website(website: str | None) -> None:
    # The public directory links to it: only web addresses, never javascript: and the like.
    if website and not re.match(r"^https?://[^\s]+$", website):
        raise PanelError("Enter a website address in the correct format, like https://www.example.org")


def create_group(name: str, kind: GroupKind, *, area: str = "", description: str = "", size: int | None = None,
                 website: str | None = None, listed_publicly: bool = False) -> Group:
    """Create a group; its name must not match another group's in any case."""
    _check_group_name_free(name)
    _check_website(website)
    group = Group(name=name, kind=kind, area=area, description=description, size=size,
                  website=website or None, listed_publicly=listed_publicly)
    db.session.add(group)
    db.session.commit()
    log.info("group %s created", group.id)
    return group


def update_group(group: Group, *, name: str, kind: GroupKind, area: str, description: str, size: int | None,
                 website: str | None, listed_publicly: bool) -> Group:
    """Change a group's details and whether it appears in the public directory."""
    _check_group_name_free(name, ignore_id=group.id)
    _check_website(website)
    group.name, group.kind, group.area, group.description = name, kind, area, description
    group.size, group.website, group.listed_publicly = size, website or None, listed_publicly
    db.session.commit()
    log.info("group %s updated", group.id)
    return group


def add_group_contact(group: Group, email: str, *, role_title: str, can_respond: bool, actor) -> GroupContact:
    """Make the member with this email a contact point for the group."""
    member = find_member_by_email(email)
    if member is None:
        raise PanelError(f"No member has the email address {email.strip().lower()}. "
                         "Check the address, or add the person to a panel first")
    if member.status == MemberStatus.LEFT:
        raise PanelError(f"{member.full_name} has left the panels, so cannot act for a group")
    if any(contact.member_id == member.id for contact in group.contacts):
        raise PanelError(f"{member.full_name} is already a contact point for {group.name}")
    contact = GroupContact(group=group, member=member, role_title=role_title, can_respond=can_respond)
    db.session.add(contact)
    record_audit_event(actor, "group.contact_added", "group", group.id, member_id=member.id,
                       role_title=role_title, can_respond=can_respond)
    db.session.commit()
    log.info("member %s is now a contact point for group %s", member.id, group.id)
    return contact


def remove_group_contact(group: Group, member_id: int, actor) -> bool:
    """Stop a member acting for the group; returns False if they were not a contact point."""
    contact = db.session.get(GroupContact, (group.id, member_id))
    if contact is None:
        return False
    db.session.delete(contact)
    record_audit_event(actor, "group.contact_removed", "group", group.id, member_id=member_id)
    db.session.commit()
    log.info("member %s is no longer a contact point for group %s", member_id, group.id)
    return True


def list_groups_member_can_respond_for(member: Member) -> list[Group]:
    """Groups on whose behalf this member may answer a consultation."""
    return list(db.session.scalars(
        select(Group).join(GroupContact)
        .where(GroupContact.member_id == member.id, GroupContact.can_respond.is_(True))
        .order_by(Group.name)
    ))


# --- population targets ----------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    dimension: TargetDimension
    category: str
    share: float  # 0 to 1
    source: str


class TargetsFileError(ValueError):
    """A population targets file that cannot be used; `problems` says what to fix, row by row."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_share(text: str) -> float:
    """'12.5' or '12.5%' -> 0.125; raises ValueError unless it is a percentage from 0 to 100."""
    cleaned = (text or "").strip().removesuffix("%").strip()
    try:
        percent = float(cleaned)
    except ValueError:
        raise ValueError("must be a percentage from 0 to 100, like 12.5") from None
    if not math.isfinite(percent) or not 0 <= percent <= 100:
        raise ValueError("must be a percentage from 0 to 100, like 12.5")
    return percent / 100


def format_percent(share: float | None) -> str:
    """0.125 -> '12.5'; as an officer would type it, without trailing zeros."""
    if share is None:
        return ""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".")


def target_categories(dimension: TargetDimension) -> list[str]:
    """The categories an officer can set a target for, in the order pages show them."""
    if dimension == TargetDimension.AGE_BAND:
        return [band.label for band in age_bands()]
    if dimension == TargetDimension.GENDER:
        return list(TARGET_GENDERS)
    return sorted(set(list_wards()) | set(distinct_values(Member.ward)))


def _ordered(dimension: TargetDimension, categories) -> list[str]:
    known = target_categories(dimension) if dimension != TargetDimension.WARD else []
    position = {category: index for index, category in enumerate(known)}
    return sorted(set(categories), key=lambda category: (position.get(category, len(position)), category))


def list_population_targets() -> dict[TargetDimension, list[PopulationTarget]]:
    """Every target, by dimension, each dimension in the order its pages show it."""
    by_dimension = {dimension: [] for dimension in TargetDimension}
    for target in db.session.scalars(select(PopulationTarget)):
        by_dimension[target.dimension].append(target)
    for dimension, targets in by_dimension.items():
        order = {category: index for index, category in enumerate(_ordered(dimension, [t.category for t in targets]))}
        targets.sort(key=lambda target: order[target.category])
    return by_dimension


@dataclass(frozen=True)
class TargetsDraft:
    categories: list[str]
    shares: dict[str, float]
    source: str


def get_targets_draft(dimension: TargetDimension) -> TargetsDraft:
    """What the edit page starts from: the categories, their current shares and the most used source."""
    current = list_population_targets()[dimension]
    sources = Counter(target.source for target in current)
    return TargetsDraft(
        target_categories(dimension),
        {target.category: target.share for target in current},
        sources.most_common(1)[0][0] if sources else "",
    )


def total_is_off(targets: list[PopulationTarget]) -> bool:
    """True when a dimension's shares do not add up to about 100%."""
    total = sum(target.share for target in targets) * 100
    return bool(targets) and abs(total - 100) > TOTAL_TOLERANCE_POINTS


def set_population_targets(dimension: TargetDimension, shares: dict[str, float], source: str, actor) -> int:
    """Replace one dimension's targets with these category shares (0 to 1); returns how many."""
    rows = [TargetRow(dimension, category, share, source) for category, share in shares.items()]
    return _replace_targets({dimension}, rows, actor)


def _replace_targets(dimensions: set[TargetDimension], rows: list[TargetRow], actor) -> int:
    for dimension in dimensions:
        if any(not 0 <= row.share <= 1 for row in rows if row.dimension == dimension):
            raise PanelError(f"{dimension.label} shares must be from 0 to 100%")
    # Delete first, as its own statement: the new rows reuse the unique (dimension, category) pairs.
    db.session.execute(delete(PopulationTarget).where(PopulationTarget.dimension.in_(dimensions)))
    db.session.add_all(
        PopulationTarget(dimension=row.dimension, category=row.category, share=row.share, source=row.source)
        for row in rows
    )
    record_audit_event(actor, "population_targets.replaced", "population_targets", None,
                       dimensions=sorted(d.value for d in dimensions), rows=len(rows))
    db.session.commit()
    log.info("population targets replaced for %s: %d rows", ", ".join(sorted(dimensions)), len(rows))
    return len(rows)


def upload_population_targets(data: bytes, actor) -> list[TargetRow]:
    """Replace the targets of every dimension in the CSV file; nothing changes if any row is wrong."""
    rows = read_population_targets_csv(data)
    _replace_targets({row.dimension for row in rows}, rows, actor)
    return rows


def read_population_targets_csv(data: bytes) -> list[TargetRow]:
    """Rows of a dimension,category,share,source CSV; raises TargetsFileError listing every problem.

    Shares are percentages (12.5 or 12.5%). A file whose shares are all proportions adding
    up to 1 in each dimension, as some ONS downloads give them, is read as proportions.
    """
    if len(data) > MAX_TARGETS_FILE_BYTES:
        raise TargetsFileError(["The file must be smaller than 1 MB: a file of targets has one short row per category"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TargetsFileError(["The file must be a CSV file saved as UTF-8"]) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    missing = [name for name in ("dimension", "category", "share", "source") if name not in headers]
    if missing:
        raise TargetsFileError([f"The file needs the columns dimension, category, share and source; "
                                f"it has no {' or '.join(missing)} column"])
    raw_rows = []
    for row in reader:
        values = {key: (row.get(original) or "").strip() for key, original in headers.items()}
        if any(values.values()):
            raw_rows.append((reader.line_num, values))  # the line a spreadsheet shows, blank lines included
    if not raw_rows:
        raise TargetsFileError(["The file has no rows of targets"])
    if len(raw_rows) > MAX_TARGET_ROWS:
        raise TargetsFileError([f"The file has {len(raw_rows):,} rows; it can have at most {MAX_TARGET_ROWS:,}"])
    as_proportions = _written_as_proportions([row for _, row in raw_rows])
    problems, rows, seen = [], [], set()
    wards = {ward.lower(): ward for ward in target_categories(TargetDimension.WARD)}
    for number, raw in raw_rows:
        try:
            row = _target_row(raw, as_proportions, wards)
        except ValueError as error:
            problems.append(f"Row {number}: {error}")
            continue
        if (row.dimension, row.category.lower()) in seen:
            problems.append(f"Row {number}: {row.dimension.label.lower()} {row.category} appears more than once")
            continue
        seen.add((row.dimension, row.category.lower()))
        rows.append(row)
    if problems:
        raise TargetsFileError(problems)
    return rows


def _written_as_proportions(raw_rows: list[dict]) -> bool:
    totals = Counter()
    for raw in raw_rows:
        share = raw["share"]
        try:
            value = float(share)
        except ValueError:
            return False
        if share.endswith("%") or not 0 <= value <= 1:
            return False
        totals[raw["dimension"].lower()] += value
    return all(abs(total - 1) <= TOTAL_TOLERANCE_POINTS / 100 for total in totals.values())


def _target_row(raw: dict, as_proportions: bool, wards: dict[str, str]) -> TargetRow:
    dimension = _DIMENSION_NAMES.get(re.sub(r"[\s_-]+", " ", raw["dimension"].lower()).strip())
    if dimension is None:
        raise ValueError(f"dimension must be age_band, gender or ward, not {raw['dimension'] or 'blank'}")
    category = " ".join(raw["category"].split())
    if not category:
        raise ValueError("enter a category, like 18-24, Woman or a ward's name")
    category = _canonical_category(dimension, category, wards)
    try:
        share = float(raw["share"]) if as_proportions else parse_share(raw["share"])
    except ValueError as error:
        raise ValueError(f"the share for {category} {error}") from None
    source = " ".join(raw["source"].split())
    if not source:
        raise ValueError(f"enter the source of the share for {category}, like Census 2021")
    if len(source) > 200:
        raise ValueError("the source must be 200 characters or fewer")
    return TargetRow(dimension, category, share, source)


def _canonical_category(dimension: TargetDimension, category: str, wards: dict[str, str]) -> str:
    if dimension == TargetDimension.WARD:
        if len(category) > 80:
            raise ValueError("a ward's name must be 80 characters or fewer")
        return wards.get(category.lower(), category)
    allowed = target_categories(dimension)
    match = next((known for known in allowed if known.lower() == category.lower()), None)
    if dimension == TargetDimension.GENDER:
        match = match or CENSUS_SEX_NAMES.get(category.lower())
    if match is None:
        what = "age bands" if dimension == TargetDimension.AGE_BAND else "gender answers members give"
        raise ValueError(f"{category} is not one of the {what}: {', '.join(allowed)}")
    return match


# --- who is missing --------------------------------------------------------------


@dataclass(frozen=True)
class CategoryShare:
    """One category of one dimension on one panel: who is there against who should be."""

    category: str
    count: int
    share: float | None  # of the members with a known value; None when not compared
    target: float | None  # 0 to 1

    @property
    def compared(self) -> bool:
        return self.share is not None and self.target is not None

    @property
    def difference_points(self) -> float | None:
        """The panel's share minus the target share, in percentage points."""
        return round((self.share - self.target) * 100, 6) if self.compared else None

    @property
    def under_represented(self) -> bool:
        if not self.compared:
            return False
        share_points, target_points = round(self.share * 100, 6), round(self.target * 100, 6)
        return (share_points < round(target_points * UNDER_REPRESENTED_RATIO, 6)
                and target_points - share_points >= UNDER_REPRESENTED_MIN_POINTS)


@dataclass(frozen=True)
class DimensionReport:
    dimension: TargetDimension
    rows: list[CategoryShare]
    known: int  # members in a compared category: the shares are of these
    not_known: int  # no answer, "Prefer not to say", or no date of birth
    sources: list[str]

    def members_needed(self, row: CategoryShare) -> int | None:
        """How many more members of this category would bring its share up to the target."""
        if not row.compared or self.known == 0 or row.share >= row.target or row.target >= 1:
            return None
        return math.ceil(round((row.target * self.known - row.count) / (1 - row.target), 6))

    @property
    def has_targets(self) -> bool:
        return any(row.target is not None for row in self.rows)


@dataclass(frozen=True)
class PanelRepresentation:
    panel: Panel
    active_members: int
    dimensions: list[DimensionReport]

    @property
    def under_represented(self) -> list[tuple[TargetDimension, CategoryShare]]:
        return [(report.dimension, row) for report in self.dimensions for row in report.rows if row.under_represented]


def _active_members_of(panel: Panel):
    return (
        select(func.count(Member.id))
        .join(PanelMembership, PanelMembership.member_id == Member.id)
        .where(PanelMembership.panel_id == panel.id, Member.status == MemberStatus.ACTIVE)
    )


def _age_limits(panel: Panel) -> tuple[float, float]:
    return panel.min_age or 0, math.inf if panel.max_age is None else panel.max_age


def _band_limits(band: AgeBand) -> tuple[float, float]:
    return band.lowest, math.inf if band.highest is None else band.highest


def _shown_age_bands(panel: Panel) -> list[AgeBand]:
    """Bands that share at least one age with the panel."""
    youngest, oldest = _age_limits(panel)
    return [band for band in age_bands() if _band_limits(band)[0] <= oldest and _band_limits(band)[1] >= youngest]


def _compared_age_bands(panel: Panel) -> list[AgeBand]:
    """Bands wholly within the panel's ages: only they can be compared with the population."""
    youngest, oldest = _age_limits(panel)
    return [band for band in age_bands() if _band_limits(band)[0] >= youngest and _band_limits(band)[1] <= oldest]


def _band_condition(band: AgeBand, today: date):
    earliest, latest = band.birth_dates(today)
    condition = Member.date_of_birth <= latest
    return condition if earliest is None else and_(condition, Member.date_of_birth >= earliest)


def get_panel_representation(panel: Panel, today: date | None = None) -> PanelRepresentation:
    """The panel's active members by age band, gender and ward against the population targets."""
    today = today or date.today()
    targets = list_population_targets()
    active, age = _age_report(panel, targets[TargetDimension.AGE_BAND], today)
    return PanelRepresentation(panel, active, [
        age,
        _value_report(panel, TargetDimension.GENDER, Member.gender, targets[TargetDimension.GENDER]),
        _value_report(panel, TargetDimension.WARD, Member.ward, targets[TargetDimension.WARD]),
    ])


def _age_report(panel: Panel, targets: list[PopulationTarget], today: date) -> tuple[int, DimensionReport]:
    """(active members, their age report), from one query."""
    bands = _shown_age_bands(panel)
    compared = {band.label for band in _compared_age_bands(panel)}
    counts = db.session.execute(_active_members_of(panel).with_only_columns(
        func.count(Member.id), *[func.count(Member.id).filter(_band_condition(band, today)) for band in bands]
    )).one()
    total, by_band = counts[0], dict(zip((band.label for band in bands), counts[1:]))
    known = sum(count for label, count in by_band.items() if label in compared)
    # Targets cover the whole population; a panel for over-18s is compared with the adults in it.
    target_of = {t.category: t.share for t in targets if t.category in compared}
    scale = sum(target_of.values())
    rows = [
        CategoryShare(
            band.label, by_band[band.label],
            by_band[band.label] / known if known and band.label in compared else None,
            target_of[band.label] / scale if band.label in target_of and scale else None,
        )
        for band in bands
    ]
    not_known = total - sum(by_band.values())  # no date of birth, or an age in none of the bands
    return total, DimensionReport(TargetDimension.AGE_BAND, rows, known, not_known, _sources(targets))


def _value_report(panel: Panel, dimension: TargetDimension, column, targets: list[PopulationTarget]) -> DimensionReport:
    query = _active_members_of(panel).with_only_columns(column, func.count(Member.id)).group_by(column)
    counts = {value: count for value, count in db.session.execute(query)}
    not_known = sum(count for value, count in counts.items() if not value or value == PREFER_NOT_TO_SAY)
    counts = {value: count for value, count in counts.items() if value and value != PREFER_NOT_TO_SAY}
    known = sum(counts.values())
    target_of = {target.category: target.share for target in targets}
    rows = [
        CategoryShare(category, counts.get(category, 0), counts.get(category, 0) / known if known else None,
                      target_of.get(category))
        for category in _ordered(dimension, set(counts) | set(target_of))
    ]
    return DimensionReport(dimension, rows, known, not_known, _sources(targets))


def _sources(targets: list[PopulationTarget]) -> list[str]:
    return sorted({target.source for target in targets})


# --- recruitment links -----------------------------------------------------------


def list_recruitment_links() -> list[RecruitmentLink]:
    return list(db.session.scalars(select(RecruitmentLink).order_by(RecruitmentLink.name)))


def get_recruitment_link(code: str) -> RecruitmentLink | None:
    return db.session.scalar(select(RecruitmentLink).where(RecruitmentLink.code == code.strip().lower()))


def check_link_code(code: str) -> str:
    """A link code as it will be stored; raises PanelError if it cannot go in a web address."""
    code = code.strip().lower()
    if not 3 <= len(code) <= 40 or not _CODE.match(code):
        raise PanelError("The short code must be 3 to 40 letters, numbers and hyphens, like central-library")
    return code


def _code_from_name(name: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32].strip("-") or "link"
    stem = stem if len(stem) >= 3 else f"{stem}-link"
    code, number = stem, 1
    while get_recruitment_link(code) is not None:
        number += 1
        code = f"{stem}-{number}"
    return code


def create_recruitment_link(name: str, kind: RecruitmentKind, *, panel: Panel | None = None,
                            code: str | None = None, actor=None) -> RecruitmentLink:
    """Create a tracked sign-up link; without a code, one is made from the name."""
    if code:
        code = check_link_code(code)
        if get_recruitment_link(code) is not None:
            raise PanelError(f"The short code {code} is already used by another link")
    link = RecruitmentLink(code=code or _code_from_name(name), name=name, kind=kind, panel=panel)
    db.session.add(link)
    db.session.flush()
    record_audit_event(actor, "recruitment_link.created", "recruitment_link", link.id, code=link.code)
    db.session.commit()
    log.info("recruitment link %s created", link.code)
    return link


def tracked_url(link: RecruitmentLink) -> str:
    """The full address printed on posters and encoded in the QR code."""
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/join/from/{link.code}"


def short_url(link: RecruitmentLink) -> str:
    """The tracked address as people type it, without https://."""
    return re.sub(r"^https?://", "", tracked_url(link))


def _qr_code(link: RecruitmentLink):
    # Level M survives a scuffed or folded poster better than the default L.
    return segno.make(tracked_url(link), error="m", boost_error=False)


def qr_code_svg(link: RecruitmentLink) -> str:
    """The QR code as SVG without a size or style attribute, so it fills its column and passes the CSP."""
    out = io.BytesIO()
    _qr_code(link).save(out, kind="svg", xmldecl=False, svgclass="epanel-qr", lineclass=None,
                        omitsize=True, dark="#0b0c0c", light="#ffffff", border=4)
    return out.getvalue().decode("utf-8")


def qr_code_png(link: RecruitmentLink) -> bytes:
    """The QR code as a PNG large enough to print on an A4 poster."""
    out = io.BytesIO()
    _qr_code(link).save(out, kind="png", scale=20, dark="#0b0c0c", light="#ffffff", border=4)
    return out.getvalue()


# --- recruitment results ---------------------------------------------------------


@dataclass(frozen=True)
class SourceResult:
    link: RecruitmentLink
    sign_ups: int
    activated: int


@dataclass(frozen=True)
class MonthResult:
    month: date  # the first day
    tracked_sign_ups: int
    activated: int
    other_sign_ups: int


@dataclass(frozen=True)
class GroupRecruitment:
    """Sign-ups in the last 12 months from one under-represented category of one panel."""

    panel: Panel
    dimension: TargetDimension
    category: str
    sign_ups: int
    activated: int
    top_sources: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class RecruitmentReport:
    sources: list[SourceResult]
    months: list[MonthResult]
    representations: list[PanelRepresentation]
    groups: list[GroupRecruitment]


def _month_bounds(today: date, count: int = 12) -> list[tuple[datetime, datetime]]:
    """(start, end) of this month and the months before it, oldest first, in UTC."""
    this_month = today.year * 12 + today.month - 1
    firsts = [datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
              for index in range(this_month - count + 1, this_month + 2)]
    return list(zip(firsts, firsts[1:]))


def get_recruitment_report(today: date | None = None) -> RecruitmentReport:
    """Sign-ups and activations by source, by month and by under-represented category."""
    today = today or date.today()
    panels = list(db.session.scalars(select(Panel).order_by(Panel.name)))
    representations = [get_panel_representation(panel, today) for panel in panels]
    since = datetime.combine(today - timedelta(days=365), datetime.min.time(), tzinfo=UTC)
    links = {link.id: link for link in list_recruitment_links()}
    groups = [group for representation in representations
              for group in _recruitment_of_missing(representation, since, today, links)]
    return RecruitmentReport(_by_source(), _by_month(today), representations, groups)


def _by_source() -> list[SourceResult]:
    activated = func.count(Member.id).filter(Member.confirmed_at.is_not(None))
    query = (
        select(RecruitmentLink, func.count(Member.id), activated)
        .outerjoin(Member, Member.recruitment_link_id == RecruitmentLink.id)
        .group_by(RecruitmentLink.id)
        .order_by(func.count(Member.id).desc(), RecruitmentLink.name)
    )
    return [SourceResult(link, sign_ups, activated) for link, sign_ups, activated in db.session.execute(query)]


def _by_month(today: date) -> list[MonthResult]:
    months = _month_bounds(today)
    tracked = Member.recruitment_link_id.is_not(None)
    other = and_(Member.recruitment_link_id.is_(None), Member.source == MemberSource.SIGN_UP)
    columns = []
    for start, end in months:
        columns += [
            func.count(Member.id).filter(tracked, Member.created_at >= start, Member.created_at < end),
            func.count(Member.id).filter(tracked, Member.confirmed_at >= start, Member.confirmed_at < end),
            func.count(Member.id).filter(other, Member.created_at >= start, Member.created_at < end),
        ]
    counts = db.session.execute(select(*columns)).one()
    return [MonthResult(start.date(), *counts[index * 3:index * 3 + 3]) for index, (start, _) in enumerate(months)]


def _category_condition(dimension: TargetDimension, category: str, today: date):
    if dimension == TargetDimension.AGE_BAND:
        band = next(band for band in age_bands() if band.label == category)
        return _band_condition(band, today)
    column = Member.gender if dimension == TargetDimension.GENDER else Member.ward
    return column == category


def _recruitment_of_missing(representation: PanelRepresentation, since: datetime, today: date,
                            links: dict[int, RecruitmentLink]) -> list[GroupRecruitment]:
    missing = representation.under_represented
    if not missing:
        return []
    columns = []
    for dimension, row in missing:
        condition = _category_condition(dimension, row.category, today)
        columns += [func.count(Member.id).filter(condition),
                    func.count(Member.id).filter(condition, Member.confirmed_at.is_not(None))]
    query = (
        select(Member.recruitment_link_id, *columns)
        .join(PanelMembership, PanelMembership.member_id == Member.id)
        .where(PanelMembership.panel_id == representation.panel.id,
               Member.recruitment_link_id.is_not(None), Member.created_at >= since)
        .group_by(Member.recruitment_link_id)
    )
    per_link = [(links[row[0]].name, row[1:]) for row in db.session.execute(query)]
    results = []
    for index, (dimension, row) in enumerate(missing):
        by_source = sorted(((name, counts[index * 2]) for name, counts in per_link if counts[index * 2]),
                           key=lambda pair: (-pair[1], pair[0]))
        results.append(GroupRecruitment(
            representation.panel, dimension, row.category,
            sum(counts[index * 2] for _, counts in per_link),
            sum(counts[index * 2 + 1] for _, counts in per_link),
            by_source[:3],
        ))
    return results


# --- demo --------------------------------------------------------------------------

DEMO_AGE_SHARES = {  # Census 2021 style, usual residents aged 11 and over, in %
    "11-15": 6.9, "16-17": 2.6, "18-24": 9.3, "25-34": 15.4, "35-44": 14.7,
    "45-54": 15.5, "55-64": 14.3, "65-74": 11.2, "75+": 10.1,
}
DEMO_GENDER_SHARES = {"Woman": 51.0, "Man": 48.8, "Non-binary": 0.1, "I describe myself another way": 0.1}
DEMO_WARD_SHARES = {
    "Abbey": 8.4, "Brookside": 11.9, "Castle Hill": 7.6, "Dunmore": 9.8, "Eastgate": 12.7,
    "Fernlea": 6.2, "Greenbank": 9.1, "Harbour": 14.9, "Kingsmead": 5.8, "Riverside": 13.6,
}
DEMO_SOURCE = "Census 2021, Office for National Statistics"
DEMO_GROUPS = [  # name, kind, area, size, listed publicly, contact's role, description
    ("Castle Hill Parish Council", GroupKind.PARISH_COUNCIL, "Castle Hill", 4200, True, "Parish Clerk",
     "The parish council for Castle Hill village and its farms."),
    ("Fernlea Parish Council", GroupKind.PARISH_COUNCIL, "Fernlea", 2900, True, "Parish Clerk",
     "The parish council for Fernlea, Upper Fernlea and Mill End."),
    ("Harbour Residents' Association", GroupKind.COMMUNITY_GROUP, "Harbour", 310, True, "Secretary",
     "Residents of the Harbour estate working together on housing, parking and play areas."),
    ("Avonmere Older People's Forum", GroupKind.COMMUNITY_GROUP, "District-wide", 650, True, "Chair",
     "A voice for people over 60 on health, transport and services."),
    ("Eastgate Youth Club", GroupKind.YOUTH_CLUB, "Eastgate", 85, True, "Youth worker",
     "Open three evenings a week for young people aged 11 to 19."),
    ("Avonmere Academy", GroupKind.SCHOOL, "Brookside", 1150, False, "Citizenship lead",
     "Secondary school and sixth form; its school council responds to consultations."),
    ("Riverside Allotment Society", GroupKind.COMMUNITY_GROUP, "Riverside", 120, False, "Secretary",
     "Plot holders at the Riverside and Weir Lane allotments."),
    ("Kingsmead Carers' Network", GroupKind.OTHER, "Kingsmead", 95, False, "Coordinator",
     "Unpaid carers supporting each other and speaking up about respite care."),
]
DEMO_LINKS = [  # name, kind, code, panel slug, who it tends to reach (lowest, highest age)
    ("Central Library", RecruitmentKind.LIBRARY, "central-library", "citizens", (45, 90)),
    ("Harbour Community Centre", RecruitmentKind.COMMUNITY_CENTRE, "harbour-centre", "citizens", (25, 90)),
    ("Avonmere Academy", RecruitmentKind.SCHOOL, "avonmere-academy", "youth", (11, 18)),
    ("Youth service outreach", RecruitmentKind.YOUTH_SERVICE, "youth-service", "youth", (11, 25)),
    ("Castle Hill parish newsletter", RecruitmentKind.NEWSLETTER, "castle-hill-news", "citizens", (35, 90)),
    ("Council social media", RecruitmentKind.SOCIAL_MEDIA, "social", None, (16, 60)),
]


def load_demo_groups_targets_and_recruitment(rng, panels) -> None:
    """Add the demo council's groups, Census-style targets and tracked links to existing demo members."""
    by_slug = {panel.slug: panel for panel in panels}
    adults = list(db.session.scalars(
        select(Member).where(Member.status == MemberStatus.ACTIVE, Member.email.is_not(None),
                             Member.date_of_birth <= date.today() - timedelta(days=366 * 25))
        .order_by(Member.id)
    ))
    people = iter(rng.sample(adults, min(len(adults), 2 * len(DEMO_GROUPS))))
    for index, (name, kind, area, size, listed, role, description) in enumerate(DEMO_GROUPS):
        group = Group(name=name, kind=kind, area=area, size=size, listed_publicly=listed, description=description,
                      website=f"https://{re.sub(r'[^a-z]+', '', name.lower())}.example" if listed else None)
        # Every other group also has a treasurer, who is a contact point but does not answer for it.
        titles = [role] if index % 2 else [role, "Treasurer"]
        group.contacts = [GroupContact(member=member, role_title=title, can_respond=title == role)
                          for title, member in zip(titles, people)]
        db.session.add(group)
    for dimension, shares in ((TargetDimension.AGE_BAND, DEMO_AGE_SHARES),
                              (TargetDimension.GENDER, DEMO_GENDER_SHARES),
                              (TargetDimension.WARD, DEMO_WARD_SHARES)):
        db.session.add_all(PopulationTarget(dimension=dimension, category=category, share=share / 100,
                                            source=DEMO_SOURCE) for category, share in shares.items())
    links = [(RecruitmentLink(name=name, kind=kind, code=code, panel=by_slug.get(slug)), ages)
             for name, kind, code, slug, ages in DEMO_LINKS]
    db.session.add_all(link for link, _ in links)
    _attribute_demo_sign_ups(rng, links)
    db.session.commit()
    log.info("demo groups, population targets and recruitment links loaded")


def _attribute_demo_sign_ups(rng, links) -> None:
    now, today = utcnow(), date.today()
    sign_ups = db.session.scalars(select(Member).where(Member.source == MemberSource.SIGN_UP, Member.user_id.is_(None)))
    for member in sign_ups:
        age = (today - member.date_of_birth).days // 365 if member.date_of_birth else 40
        fitting = [link for link, (lowest, highest) in links if lowest <= age <= highest]
        if not fitting or rng.random() > 0.55:
            continue
        member.recruitment_link = rng.choice(fitting)
        # Spread the sign-ups over the past year, with more lately as the campaign grew.
        member.created_at = now - timedelta(days=int(365 * rng.random() ** 1.5), hours=rng.randint(0, 23))
        if member.status != MemberStatus.PENDING:
            member.confirmed_at = min(now, member.created_at + timedelta(hours=rng.randint(1, 96)))
