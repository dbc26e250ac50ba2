"""Reads for panels."""

from dataclasses import dataclass

from sqlalchemy import func, select

from epanel.extensions import db
from epanel.panels.models import MemberStatus, Member, Panel, PanelMembership


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


def get_panel_by_slug(slug: str) -> Panel | None:
    return db.session.scalar(select(Panel).where(Panel.slug == slug))


def count_members() -> int:
    return db.session.scalar(select(func.count(Member.id)))
