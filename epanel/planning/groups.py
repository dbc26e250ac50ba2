"""Community groups passing consultations on: each group's tracking tag and tracked links.

A tag reads "<group name as a slug>-<group id>", e.g. "oakfield-parish-council-12". The public
consultation page (epanel/respond/views.py) records the group from the id at its end, so a link
keeps counting for the group if the group is renamed; a tag naming no group is ignored.
"""

import re
from urllib.parse import urlencode

from flask import current_app

from epanel.consultations.models import Consultation
from epanel.panels.models import Group


def referral_tag(group: Group) -> str:
    """The group's tag for `?via=`: readable, and stable through a rename because of the id."""
    slug = re.sub(r"[^a-z0-9]+", "-", group.name.lower()).strip("-")[:60].strip("-")
    return f"{slug}-{group.id}" if slug else f"group-{group.id}"


def tracked_link(consultation: Consultation, group: Group) -> str:
    """The consultation's public address carrying the group's tag, to pass on by e-mail or newsletter."""
    # Built by hand, like messaging's links: digests are made by the tick, outside any request.
    return (current_app.config["PUBLIC_URL"].rstrip("/") + f"/consultations/{consultation.slug}?"
            + urlencode({"via": referral_tag(group)}))
