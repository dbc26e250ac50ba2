"""Writes for panels and members."""

import logging

from epanel.extensions import db
from epanel.panels.models import Panel, PanelMembership
from epanel.panels.queries import get_panel_by_slug

log = logging.getLogger(__name__)


class PanelError(ValueError):
    """A panel change that breaks a rule; the message is for the officer."""


def create_panel(slug, name, *, description="", min_age=None, max_age=None,
                 is_youth_panel=False, signup_open=True) -> Panel:
    """Create a panel with its eligibility rules."""
    if get_panel_by_slug(slug) is not None:
        raise PanelError(f"A panel with the short name {slug} already exists")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise PanelError("The minimum age must not be more than the maximum age")
    panel = Panel(
        slug=slug,
        name=name,
        description=description,
        min_age=min_age,
        max_age=max_age,
        is_youth_panel=is_youth_panel,
        signup_open=signup_open,
    )
    db.session.add(panel)
    db.session.commit()
    log.info("panel %s created", slug)
    return panel


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


