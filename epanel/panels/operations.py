"""Writes for panels, members, ward lookups, groups, population targets and recruitment links."""

import csv
import io
import logging
from datetime import date

from flask import current_app

from epanel.common.spreadsheets import csv_lines
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
from epanel.panels.profile import ProfileValueError, age_on, band_for, normalise_postcode
from epanel.panels.queries import (
    age_bands,
    find_member_by_email,
    find_member_by_mobile,
    get_panel_by_slug,
    iter_members,
)
from epanel.privacy.audit import record_audit_event
from epanel.privacy.models import Consent, ConsentChannel, ConsentKind

log = logging.getLogger(__name__)

CONTACT_CONSENTS = {
    "contact_by_email": ConsentKind.EMAIL,
    "contact_by_sms": ConsentKind.SMS,
    "contact_by_post": ConsentKind.POST,
}


class PanelError(ValueError):
    """A change that breaks a rule; the message is for the person who asked for it."""


# --- panels ------------------------------------------------------------------


def _check_age_range(min_age, max_age) -> None:
    if min_age is not None and max_age is not None and min_age > max_age:
        raise PanelError("The minimum age must not be more than the maximum age")


def create_panel(slug, name, *, description="", min_age=None, max_age=None, area="",
                 is_youth_panel=False, signup_open=True) -> Panel:
    """Create a panel with its eligibility rules."""
    if get_panel_by_slug(slug) is not None:
        raise PanelError(f"A panel with the short name {slug} already exists")
    _check_age_range(min_age, max_age)
    panel = Panel(
        slug=slug,
        name=name,
        description=description,
        min_age=min_age,
        max_age=max_age,
        area=area,
        is_youth_panel=is_youth_panel,
        signup_open=signup_open,
    )
    db.session.add(panel)
    db.session.commit()
    log.info("panel %s created", slug)
    return panel


def update_panel(panel: Panel, *, name, description, min_age, max_age, area, is_youth_panel, signup_open) -> Panel:
    """Change a panel's name, description and eligibility; its short name stays."""
    _check_age_range(min_age, max_age)
    panel.name = name
    panel.description = description
    panel.min_age = min_age
    panel.max_age = max_age
    panel.area = area
    panel.is_youth_panel = is_youth_panel
    panel.signup_open = signup_open
    db.session.commit()
    log.info("panel %s updated", panel.slug)
    return panel


# --- members -------------------------------------------------------------------


def add_members(members_with_panels) -> int:
    """Store many (Member, [Panel]) pairs in one transaction; returns how many were added."""
    count = 0
    for member, panels in members_with_panels:
        member.memberships = [PanelMembership(panel=panel) for panel in panels]
        db.session.add(member)
        count += 1
    db.session.commit()
    log.info("%d members added", count)
    return count


def record_consents(member: Member, *, channel: ConsentChannel, notice_version: str,
                    given_by: str | None = None) -> None:
    """Record membership of each panel and each contact channel the member agreed to."""
    for membership in member.memberships:
        db.session.add(Consent(
            member=member, kind=ConsentKind.PANEL_MEMBERSHIP, panel=membership.panel,
            notice_version=notice_version, channel=channel, given_by=given_by,
        ))
    for flag, kind in CONTACT_CONSENTS.items():
        if getattr(member, flag):
            db.session.add(Consent(
                member=member, kind=kind, notice_version=notice_version, channel=channel, given_by=given_by,
            ))


def _withdraw(member: Member, kind: ConsentKind, how: str, panel: Panel | None = None) -> None:
    now = utcnow()
    for consent in db.session.scalars(
        db.select(Consent).where(
            Consent.member_id == member.id, Consent.kind == kind, Consent.withdrawn_at.is_(None),
            *([Consent.panel_id == panel.id] if panel is not None else []),
        )
    ):
        consent.withdrawn_at = now
        consent.withdrawn_how = how


def add_paper_member(member: Member, panels: list[Panel], actor) -> Member:
    """Key in a member from a paper form (assisted digital): active at once, consent given on paper."""
    if not panels:
        raise PanelError("Choose at least one panel")
    _check_unique_contacts(member)
    member.source = MemberSource.PAPER
    member.status = MemberStatus.ACTIVE
    member.confirmed_at = utcnow()
    member.memberships = [PanelMembership(panel=panel) for panel in panels]
    db.session.add(member)
    record_consents(
        member,
        channel=ConsentChannel.PAPER,
        notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        given_by=f"paper form keyed by {actor.email}",
    )
    db.session.flush()
    record_audit_event(actor, "member.created_from_paper", "member", member.id)
    db.session.commit()
    log.info("paper member %s added by user %s", member.id, actor.id)
    return member


def _check_unique_contacts(member: Member, *, ignore_id: int | None = None) -> None:
    for value, finder, label in (
        (member.email, find_member_by_email, "email address"),
        (member.mobile, find_member_by_mobile, "mobile number"),
    ):
        if value:
            other = finder(value)
            if other is not None and other.id != ignore_id:
                raise PanelError(f"Another member already has this {label}")


def update_member_profile(member: Member, changes: dict, actor, *, channel: ConsentChannel) -> Member:
    """Change profile fields; contact preferences changed here are recorded as consent given or withdrawn."""
    before = {flag: bool(getattr(member, flag)) for flag in CONTACT_CONSENTS}
    for field, value in changes.items():
        setattr(member, field, value)
    _check_unique_contacts(member, ignore_id=member.id)
    by_member = actor is None or getattr(actor, "id", None) == member.user_id
    who = "the member" if by_member else actor.email
    for flag, kind in CONTACT_CONSENTS.items():
        now_on = bool(getattr(member, flag))
        if now_on and not before[flag]:
            db.session.add(Consent(member=member, kind=kind, channel=channel, given_by=None if by_member else who,
                                   notice_version=current_app.config["PRIVACY_NOTICE_VERSION"]))
        elif before[flag] and not now_on:
            _withdraw(member, kind, f"changed by {who}")
    record_audit_event(actor, "member.updated", "member", member.id, fields=sorted(changes))
    db.session.commit()
    log.info("member %s updated", member.id)
    return member


def stay_on_the_panel(member: Member, actor) -> None:
    """A member told they would be removed for inactivity chooses to stay: the notice is withdrawn, and the
    change itself counts as activity (updated_at moves), so the clock starts again."""
    member.inactivity_warned_at = None
    record_audit_event(actor, "member.stayed", "member", member.id)
    db.session.commit()
    log.info("member %s chose to stay on the panel", member.id)


def set_member_status(member: Member, status: MemberStatus, actor) -> None:
    """Pause, resume or mark as left; leaving withdraws every consent."""
    member.status = status
    if status == MemberStatus.LEFT:
        for kind in ConsentKind:
            _withdraw(member, kind, "left the panels")
        member.memberships = []
        member.contact_by_email = member.contact_by_sms = member.contact_by_post = False
    record_audit_event(actor, f"member.{status.value}", "member", member.id)
    db.session.commit()
    log.info("member %s is now %s", member.id, status.value)


def leave_panel(member: Member, panel: Panel, actor) -> None:
    """Leave one panel; leaving the last one means leaving altogether."""
    member.memberships = [m for m in member.memberships if m.panel_id != panel.id]
    _withdraw(member, ConsentKind.PANEL_MEMBERSHIP, "left this panel", panel=panel)
    if not member.memberships:
        set_member_status(member, MemberStatus.LEFT, actor)
        return
    record_audit_event(actor, "member.left_panel", "member", member.id, panel=panel.slug)
    db.session.commit()
    log.info("member %s left panel %s", member.id, panel.slug)


def bulk_change_members(members: list[Member], action: str, actor, *, panel: Panel | None = None) -> int:
    """Pause, resume or move many members at once; returns how many changed."""
    if action == "move" and panel is None:
        raise PanelError("Choose the panel to move the members to")
    changed = 0
    for member in members:
        if action == "pause" and member.status == MemberStatus.ACTIVE:
            member.status = MemberStatus.PAUSED
        elif action == "resume" and member.status == MemberStatus.PAUSED:
            member.status = MemberStatus.ACTIVE
        elif action == "move" and [m.panel_id for m in member.memberships] != [panel.id]:
            for old in member.memberships:
                _withdraw(member, ConsentKind.PANEL_MEMBERSHIP, f"moved by {actor.email}", panel=old.panel)
            member.memberships = [PanelMembership(panel=panel)]
            db.session.add(Consent(member=member, kind=ConsentKind.PANEL_MEMBERSHIP, panel=panel,
                                   notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                                   channel=ConsentChannel.OFFICER, given_by=f"moved by {actor.email}"))
        else:
            continue
        changed += 1
    record_audit_event(actor, f"members.bulk_{action}", "member", None, count=changed,
                       member_ids=[member.id for member in members][:1000])
    db.session.commit()
    log.info("bulk %s changed %d members", action, changed)
    return changed


# --- ward lookup --------------------------------------------------------------


def replace_ward_lookup(rows: list[tuple[str, str, str | None]], actor) -> int:
    """Replace the postcode to ward lookup with these (postcode, ward, parish) rows."""
    db.session.execute(db.delete(PostcodeArea))
    db.session.add_all(PostcodeArea(postcode=p, ward=w, parish=pa) for p, w, pa in rows)
    record_audit_event(actor, "ward_lookup.replaced", "postcode_areas", None, rows=len(rows))
    db.session.commit()
    log.info("ward lookup replaced with %d postcodes", len(rows))
    return len(rows)


# --- audited reads of personal data ----------------------------------------------------


def record_member_view(member: Member, actor) -> None:
    """Note that an officer opened a member's record."""
    record_audit_event(actor, "member.viewed", "member", member.id)
    db.session.commit()


def record_member_list_view(actor, filters, shown: int) -> None:
    """Note that an officer listed members, with the filters used."""
    record_audit_event(actor, "members.listed", "member", None, filters=filters.as_query_args(), shown=shown)
    # The page goes on to show the members it has loaded: keep them through this commit rather
    # than reload each one (and its panels) as the template reads it.
    db.session().expire_on_commit = False
    db.session.commit()


EXPORT_COLUMNS = [
    "id", "first_name", "last_name", "email", "mobile", "postcode", "ward", "parish", "date_of_birth",
    "age_band", "gender", "ethnic_group", "disability", "caring", "contact_by_email", "contact_by_sms",
    "contact_by_post", "status", "source", "panels", "joined",
]


def export_members(filters, actor):
    """Audit the export, then yield the matching members as CSV lines."""
    record_audit_event(actor, "members.exported", "member", None, filters=filters.as_query_args())
    db.session.commit()
    log.info("member export by user %s", actor.id)
    today, bands = date.today(), age_bands()

    def rows():
        for m in iter_members(filters, today=today):
            yield [
                m.id, m.first_name, m.last_name, m.email, m.mobile, m.postcode, m.ward, m.parish,
                m.date_of_birth, band_for(age_on(m.date_of_birth, today), bands), m.gender, m.ethnic_group,
                m.disability, m.caring, int(m.contact_by_email), int(m.contact_by_sms), int(m.contact_by_post),
                m.status.value, m.source.value, ";".join(p.slug for p in m.panels), m.created_at.date(),
            ]

    return csv_lines(EXPORT_COLUMNS, rows())


MAX_LOOKUP_BYTES = 20 * 1024 * 1024


def read_ward_lookup(content: bytes) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """Parse a postcode,ward[,parish] CSV; returns the good rows and a message for each bad one."""
    if len(content) > MAX_LOOKUP_BYTES:
        raise PanelError("The file is larger than 20 MB. Split it, or remove columns other than postcode, ward and parish")
    if b"\x00" in content[:4096]:
        raise PanelError("The file is not a CSV file. In Excel, use Save as, then CSV UTF-8")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    headers = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "postcode" not in headers or "ward" not in headers:
        raise PanelError("The file must be a CSV with columns named postcode and ward (and optionally parish)")
    rows, problems, seen = [], [], set()
    for line, record in enumerate(reader, start=2):
        raw_postcode = (record.get(headers["postcode"]) or "").strip()
        ward = (record.get(headers["ward"]) or "").strip()
        parish = (record.get(headers["parish"]) or "").strip() if "parish" in headers else ""
        if not raw_postcode and not ward:
            continue
        try:
            postcode = normalise_postcode(raw_postcode)
        except ProfileValueError:
            problems.append(f"Row {line}: '{raw_postcode}' is not a postcode")
            continue
        if not ward:
            problems.append(f"Row {line}: {postcode} has no ward")
        elif postcode in seen:
            problems.append(f"Row {line}: {postcode} appears more than once; the first row is used")
        else:
            seen.add(postcode)
            rows.append((postcode, ward[:80], parish[:80] or None))
    return rows, problems
