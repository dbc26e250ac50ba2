"""Reads for panels and members."""

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from epanel.common.search import LIKE_ESCAPE, contains_pattern
from epanel.extensions import db
from epanel.panels.models import (
    Member,
    MemberSource,
    MemberStatus,
    Panel,
    PanelMembership,
    PostcodeArea,
)
from epanel.panels.profile import AgeBand, age_on, band_for, parse_age_bands
from epanel.privacy.models import Consent


@dataclass(frozen=True)
class PanelSummary:
    panel: Panel
    active_members: int
    all_members: int


def list_panels_with_counts(signup_open_only: bool = False) -> list[PanelSummary]:
    """Every panel with its member counts, in one query."""
    active = func.count(Member.id).filter(Member.status == MemberStatus.ACTIVE)
    query = (
        select(Panel, active, func.count(Member.id))
        .outerjoin(PanelMembership, PanelMembership.panel_id == Panel.id)
        .outerjoin(Member, Member.id == PanelMembership.member_id)
        .group_by(Panel.id)
        .order_by(Panel.name)
    )
    if signup_open_only:
        query = query.where(Panel.signup_open.is_(True))
    return [PanelSummary(panel, active_count, all_count) for panel, active_count, all_count in db.session.execute(query)]


def list_panels() -> list[Panel]:
    return list(db.session.scalars(select(Panel).order_by(Panel.name)))


def get_panel_by_slug(slug: str) -> Panel | None:
    return db.session.scalar(select(Panel).where(Panel.slug == slug))


def find_panel(slug_or_name: str) -> Panel | None:
    """A panel by its short name or its full name, in any case."""
    text = (slug_or_name or "").strip().lower()
    return db.session.scalar(
        select(Panel).where(or_(func.lower(Panel.slug) == text, func.lower(Panel.name) == text))
    )


def count_members() -> int:
    return db.session.scalar(select(func.count(Member.id)))


def find_member_by_email(email: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.email == email.strip().lower()))


def find_member_by_mobile(mobile_e164: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.mobile == mobile_e164))


def find_member_for_user(user) -> Member | None:
    return db.session.scalar(select(Member).where(Member.user_id == user.id))


def age_bands() -> list[AgeBand]:
    return parse_age_bands(current_app.config["AGE_BANDS"])


def ward_for_postcode(postcode: str) -> PostcodeArea | None:
    return db.session.get(PostcodeArea, postcode)


def list_wards() -> list[str]:
    """Wards known from the postcode lookup and the population targets, in order."""
    from epanel.panels.models import PopulationTarget, TargetDimension

    lookup = select(PostcodeArea.ward).distinct()
    targets = select(PopulationTarget.category).where(PopulationTarget.dimension == TargetDimension.WARD)
    names = set(db.session.scalars(lookup)) | set(db.session.scalars(targets))
    return sorted(names)


@dataclass
class MemberFilters:
    """What an officer narrowed the member list to. Empty values mean 'any'."""

    search: str = ""
    panel: str = ""
    status: str = ""
    age_band: str = ""
    gender: str = ""
    ward: str = ""
    source: str = ""
    channel: str = ""  # email, sms or post

    def as_query_args(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if value}


def _filtered(query, filters: MemberFilters, today: date):
    if filters.search:
        term = contains_pattern(filters.search)
        query = query.where(or_(
            func.lower(Member.first_name + " " + Member.last_name).like(term, escape=LIKE_ESCAPE),
            Member.email.like(term, escape=LIKE_ESCAPE),
            Member.mobile.like(term.replace(" ", ""), escape=LIKE_ESCAPE),
            func.lower(Member.postcode).like(term, escape=LIKE_ESCAPE),
        ))
    if filters.panel:
        query = query.where(Member.memberships.any(PanelMembership.panel.has(Panel.slug == filters.panel)))
    if filters.status in MemberStatus.__members__.values():
        query = query.where(Member.status == MemberStatus(filters.status))
    if filters.source in MemberSource.__members__.values():
        query = query.where(Member.source == MemberSource(filters.source))
    if filters.gender:
        query = query.where(Member.gender == filters.gender)
    if filters.ward:
        query = query.where(Member.ward == filters.ward)
    if filters.channel in {"email", "sms", "post"}:
        query = query.where(getattr(Member, f"contact_by_{filters.channel}").is_(True))
    band = next((b for b in age_bands() if b.label == filters.age_band), None)
    if band is not None:
        earliest, latest = band.birth_dates(today)
        query = query.where(Member.date_of_birth <= latest)
        if earliest is not None:
            query = query.where(Member.date_of_birth >= earliest)
    return query


@dataclass
class MemberPage:
    members: list[Member]
    total: int
    next_after: int | None = None
    filters: MemberFilters = field(default_factory=MemberFilters)


def find_members(filters: MemberFilters, *, after_id: int | None = None, page_size: int = 50,
                 today: date | None = None) -> MemberPage:
    """One page of members, newest first, paged by id so deep pages stay as fast as the first."""
    today = today or date.today()
    query = (
        _filtered(select(Member), filters, today)
        .options(selectinload(Member.memberships).selectinload(PanelMembership.panel))
        .order_by(Member.id.desc())
    )
    if after_id is not None:
        query = query.where(Member.id < after_id)
    rows = list(db.session.scalars(query.limit(page_size + 1)))
    total = db.session.scalar(_filtered(select(func.count(Member.id)), filters, today))
    next_after = rows[page_size - 1].id if len(rows) > page_size else None
    return MemberPage(rows[:page_size], total, next_after, filters)


def iter_members(filters: MemberFilters, *, today: date | None = None, batch: int = 1000):
    """Every matching member, read in batches by id so a large export holds little in memory."""
    today = today or date.today()
    after = None
    while True:
        query = _filtered(select(Member), filters, today).order_by(Member.id.desc()).limit(batch)
        if after is not None:
            query = query.where(Member.id < after)
        rows = list(db.session.scalars(query))
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        db.session.expunge_all()


def consent_history(member: Member) -> list[Consent]:
    return list(db.session.scalars(
        select(Consent).where(Consent.member_id == member.id).order_by(Consent.given_at.desc(), Consent.id.desc())
    ))


def distinct_values(column) -> list[str]:
    return sorted(v for v in db.session.scalars(select(column).distinct()) if v)


def get_member(member_id: int) -> Member | None:
    return db.session.get(Member, member_id)


def get_members(member_ids: list[int]) -> list[Member]:
    return list(db.session.scalars(
        select(Member).where(Member.id.in_(member_ids))
        .options(selectinload(Member.memberships).selectinload(PanelMembership.panel))
    ))


def age_band_of(member: Member, today: date | None = None) -> str | None:
    return band_for(age_on(member.date_of_birth, today or date.today()), age_bands())


def count_postcode_areas() -> int:
    return db.session.scalar(select(func.count()).select_from(PostcodeArea))
