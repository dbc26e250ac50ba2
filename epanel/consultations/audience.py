"""Audiences: which panel members a consultation invites, as SQL over the member table.

The rules live in Consultation.audience (JSON). Counts are aggregate queries; only a random
sample loads member ids, so it can be drawn reproducibly from its recorded seed.
"""

import logging
import random
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, exists, false, func, not_, or_, select, text

from epanel.common.time import utcnow
from epanel.consultations.models import Consultation, Invitation
from epanel.extensions import db
from epanel.panels.models import Member, MemberStatus, Panel, PanelMembership
from epanel.panels.queries import age_bands, distinct_values, list_wards

log = logging.getLogger(__name__)

# Paused members and those who have left are never invited, whatever the rules say.
INVITABLE_STATUSES = (MemberStatus.ACTIVE, MemberStatus.PENDING)
SEEDS = 1_000_000  # six digits at most: short enough to read out or note down


class AudienceError(ValueError):
    """Audience rules that cannot be used; the message is for the officer."""


@dataclass(frozen=True)
class AudienceRules:
    """Who matches: empty lists mean 'any'. Members must match every non-empty rule."""

    panels: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    wards: tuple[str, ...] = ()
    parishes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = (MemberStatus.ACTIVE.value,)
    attributes: tuple[tuple[str, str], ...] = ()  # (name, value) pairs, every one required
    sample_size: int | None = None
    seed: int | None = None
    max_invitations: int = 3  # from_audience fills in the configured defaults instead
    within_days: int = 90

    @classmethod
    def from_audience(cls, audience: dict | None) -> "AudienceRules":
        """Rules stored in Consultation.audience, with the configured frequency rule where none is saved."""
        audience = audience or {}
        statuses = [s for s in audience.get("statuses", [MemberStatus.ACTIVE.value])
                    if s in {status.value for status in INVITABLE_STATUSES}]
        return cls(
            panels=tuple(audience.get("panels") or ()),
            age_bands=tuple(audience.get("age_bands") or ()),
            genders=tuple(audience.get("genders") or ()),
            wards=tuple(audience.get("wards") or ()),
            parishes=tuple(audience.get("parishes") or ()),
            statuses=tuple(statuses),
            attributes=tuple(sorted((audience.get("attributes") or {}).items())),
            sample_size=audience.get("sample_size"),
            seed=audience.get("seed"),
            max_invitations=audience.get("max_invitations") or default_invitation_limit(),
            within_days=audience.get("within_days") or default_invitation_window_days(),
        )

    def to_audience(self) -> dict:
        return {
            "panels": list(self.panels), "age_bands": list(self.age_bands), "genders": list(self.genders),
            "wards": list(self.wards), "parishes": list(self.parishes), "statuses": list(self.statuses),
            "attributes": dict(self.attributes), "sample_size": self.sample_size, "seed": self.seed,
            "max_invitations": self.max_invitations, "within_days": self.within_days,
        }

    def with_seed(self) -> "AudienceRules":
        """These rules, with a fresh seed drawn if a sample is asked for without one."""
        if self.sample_size and self.seed is None:
            return replace(self, seed=new_seed())
        return self


def default_invitation_limit() -> int:
    return current_app.config.get("INVITATION_LIMIT", 3)


def default_invitation_window_days() -> int:
    return current_app.config.get("INVITATION_WINDOW_DAYS", 90)


def new_seed(different_from: int | None = None) -> int:
    seed = secrets.randbelow(SEEDS)
    while seed == different_from:
        seed = secrets.randbelow(SEEDS)
    return seed


def normalise_attribute_name(name: str) -> str:
    """'School year ' -> 'school_year', as the member import names extra columns."""
    return re.sub(r"\s+", "_", name.strip().lower())


def audience_rules(consultation: Consultation) -> AudienceRules:
    return AudienceRules.from_audience(consultation.audience)


def has_saved_audience(consultation: Consultation) -> bool:
    return bool(consultation.audience)


# --- rules as SQL ------------------------------------------------------------------------


def _matching(rules: AudienceRules, today: date) -> list:
    """WHERE conditions on Member for the filters (not the frequency rule)."""
    statuses = [MemberStatus(s) for s in rules.statuses if s in {status.value for status in INVITABLE_STATUSES}]
    conditions = [Member.status.in_(statuses) if statuses else false()]
    if rules.panels:
        chosen = select(Panel.id).where(Panel.slug.in_(rules.panels))
        conditions.append(Member.memberships.any(PanelMembership.panel_id.in_(chosen)))
    if rules.age_bands:
        chosen_bands = [band for band in age_bands() if band.label in rules.age_bands]
        conditions.append(or_(false(), *(_born_in(band, today) for band in chosen_bands)))
    if rules.genders:
        conditions.append(Member.gender.in_(rules.genders))
    if rules.wards:
        conditions.append(Member.ward.in_(rules.wards))
    if rules.parishes:
        conditions.append(Member.parish.in_(rules.parishes))
    for name, value in rules.attributes:
        # Profile attributes come from spreadsheets: match the value whatever its case or spacing.
        stored = func.lower(func.trim(Member.custom_attributes[name].as_string()))
        conditions.append(stored == value.strip().lower())
    return conditions


SEGMENT_RULES = {"age_band": "age_bands", "gender": "genders", "ward": "wards"}
SEGMENT_LABELS = {"age_band": "Age band", "gender": "Gender", "ward": "Ward"}


def clean_segment(values) -> dict[str, str]:
    """A segment, such as {"ward": "North"}, from request arguments: only age band, gender and ward."""
    return {name: values.get(name).strip()[:80] for name in SEGMENT_RULES if (values.get(name) or "").strip()}


def segment_clauses(segment: dict | None, today: date) -> list:
    """WHERE conditions on Member for a segment: a reminder to one under-represented group uses them."""
    if not segment:
        return []
    rules = AudienceRules(statuses=tuple(status.value for status in INVITABLE_STATUSES),
                          **{SEGMENT_RULES[name]: (value,) for name, value in segment.items() if name in SEGMENT_RULES})
    return _matching(rules, today)


def describe_segment(segment: dict | None) -> str:
    return "; ".join(f"{SEGMENT_LABELS[name]}: {value}" for name, value in (segment or {}).items()
                     if name in SEGMENT_LABELS)


def _born_in(band, today: date):
    earliest, latest = band.birth_dates(today)
    if earliest is None:
        return Member.date_of_birth <= latest
    return and_(Member.date_of_birth >= earliest, Member.date_of_birth <= latest)


def _invited_too_often(rules: AudienceRules, consultation: Consultation):
    """Members already sent max_invitations or more to other consultations within the window,
    so one more would take them past the limit."""
    since = utcnow() - timedelta(days=rules.within_days)
    recent = (
        select(Invitation.member_id)
        .where(Invitation.sent_at >= since, Invitation.consultation_id != consultation.id,
               Invitation.member_id.is_not(None))
        .group_by(Invitation.member_id)
        .having(func.count() >= rules.max_invitations)
    )
    return Member.id.in_(recent)


def reachable_by_email_clause():
    """Members who gave an e-mail address and agreed to be contacted by e-mail."""
    return and_(Member.email.is_not(None), Member.email != "", Member.contact_by_email.is_(True))


def _invited_here(consultation: Consultation):
    return exists().where(Invitation.consultation_id == consultation.id, Invitation.member_id == Member.id)


# --- counting and sampling -----------------------------------------------------------------


@dataclass(frozen=True)
class AudienceCount:
    """What an officer sees before sending: who matches, who is left out and who can be e-mailed."""

    matching: int  # match the filters
    invited_too_often: int  # of those, left out by the contact-frequency rule
    eligible: int  # matching minus those left out: the pool a sample is drawn from
    audience: int  # the sample, or everyone eligible
    reachable_by_email: int  # of the audience
    already_invited: int  # of the audience, invited to this consultation before
    to_email: int  # of the audience: reachable by e-mail and not yet invited
    sample_size: int | None = None
    seed: int | None = None

    @property
    def not_reachable_by_email(self) -> int:
        return self.audience - self.reachable_by_email


def audience_clauses(consultation: Consultation, rules: AudienceRules, today: date) -> list:
    """WHERE conditions on Member for this audience without a sample: its filters and the frequency rule."""
    return [*_matching(rules, today), not_(_invited_too_often(rules, consultation))]


def count_audience(consultation: Consultation, rules: AudienceRules | None = None, *,
                   today: date | None = None) -> AudienceCount:
    """Counts for these rules (the saved ones by default), in one aggregate query, or from ids for a sample."""
    rules = rules or audience_rules(consultation)
    today = today or date.today()
    too_often = _invited_too_often(rules, consultation)
    reachable, invited = reachable_by_email_clause(), _invited_here(consultation)
    kept = not_(too_often)
    matching, left_out, eligible, can_email, invited_before, to_email = db.session.execute(
        select(
            func.count(Member.id),
            func.count(Member.id).filter(too_often),
            func.count(Member.id).filter(kept),
            func.count(Member.id).filter(kept, reachable),
            func.count(Member.id).filter(kept, invited),
            func.count(Member.id).filter(kept, reachable, not_(invited)),
        ).where(*_matching(rules, today))
    ).one()
    if not rules.sample_size:
        return AudienceCount(matching, left_out, eligible, eligible, can_email, invited_before, to_email)
    sample = _sample_rows(consultation, rules, today)
    cap = _sample_places_left(consultation, rules)
    return AudienceCount(
        matching, left_out, eligible, audience=len(sample),
        reachable_by_email=sum(1 for _, can, _ in sample if can),
        already_invited=sum(1 for _, _, done in sample if done),
        to_email=min(cap, sum(1 for _, can, done in sample if can and not done)),
        sample_size=rules.sample_size, seed=rules.seed,
    )


def _sample_rows(consultation: Consultation, rules: AudienceRules, today: date) -> list[tuple[int, bool, bool]]:
    """(member id, reachable by e-mail, already invited) for the random sample, drawn from the
    eligible ids in id order so the same seed always picks the same members."""
    rows = db.session.execute(
        select(Member.id, reachable_by_email_clause(), _invited_here(consultation))
        .where(*_matching(rules, today), not_(_invited_too_often(rules, consultation)))
        .order_by(Member.id)
    ).all()
    chosen = random.Random(rules.seed).sample(rows, min(rules.sample_size, len(rows)))
    return sorted((member_id, bool(can_email), bool(invited)) for member_id, can_email, invited in chosen)


def _sample_places_left(consultation: Consultation, rules: AudienceRules) -> int:
    """A sample of N never grows past N invitations, even if members leave and the draw shifts."""
    invited = db.session.scalar(select(func.count(Invitation.id)).where(Invitation.consultation_id == consultation.id))
    return max(0, rules.sample_size - invited)


def sample_member_ids(consultation: Consultation, rules: AudienceRules | None = None, *,
                      today: date | None = None) -> list[int]:
    """The ids of the members the saved (or given) sample picks, in id order."""
    rules = rules or audience_rules(consultation)
    if not rules.sample_size:
        raise AudienceError("This audience has no sample size")
    return [member_id for member_id, _, _ in _sample_rows(consultation, rules, today or date.today())]


def member_ids_to_email(consultation: Consultation, *, today: date | None = None) -> list[int]:
    """Members of the saved audience who can be e-mailed and have no invitation yet, in id order."""
    rules = audience_rules(consultation)
    today = today or date.today()
    if rules.sample_size:
        waiting = [member_id for member_id, can, done in _sample_rows(consultation, rules, today) if can and not done]
        return waiting[:_sample_places_left(consultation, rules)]
    return list(db.session.scalars(
        select(Member.id)
        .where(*_matching(rules, today), not_(_invited_too_often(rules, consultation)),
               reachable_by_email_clause(), not_(_invited_here(consultation)))
        .order_by(Member.id)
    ))


def first_member_to_email(consultation: Consultation) -> Member | None:
    """A member of the saved audience who can be e-mailed, for previews."""
    rules = audience_rules(consultation)
    return db.session.scalar(
        select(Member).where(*_matching(rules, date.today()), reachable_by_email_clause()).order_by(Member.id).limit(1)
    )


# --- what the filters offer --------------------------------------------------------------


@dataclass(frozen=True)
class AudienceChoices:
    """What the audience form offers: panels (slug, name), age bands, wards, parishes, attribute names."""

    panels: list[tuple[str, str]]
    age_bands: list[str]
    wards: list[str]
    parishes: list[str]
    attribute_names: list[str] = field(default_factory=list)


def audience_choices() -> AudienceChoices:
    panels = db.session.execute(select(Panel.slug, Panel.name).order_by(Panel.name)).all()
    return AudienceChoices(
        panels=[(slug, name) for slug, name in panels],
        age_bands=[band.label for band in age_bands()],
        wards=sorted(set(list_wards()) | set(distinct_values(Member.ward))),
        parishes=distinct_values(Member.parish),
        attribute_names=list_attribute_names(),
    )


_ATTRIBUTE_NAMES_SQL = {
    "sqlite": "SELECT DISTINCT attribute.key FROM members, json_each(members.custom_attributes) AS attribute "
              "WHERE json_type(members.custom_attributes) = 'object' ORDER BY 1 LIMIT :limit",
    "postgresql": "SELECT DISTINCT json_object_keys(custom_attributes) FROM members "
                  "WHERE json_typeof(custom_attributes) = 'object' ORDER BY 1 LIMIT :limit",
}


def list_attribute_names(limit: int = 50) -> list[str]:
    """Names of the custom profile attributes members have (from imports), to hint at what to filter on."""
    return list(db.session.scalars(text(_ATTRIBUTE_NAMES_SQL[db.engine.dialect.name]), {"limit": limit}))


# --- writes --------------------------------------------------------------------------------


def save_audience(consultation: Consultation, rules: AudienceRules, actor) -> AudienceRules:
    """Store the audience rules, drawing a seed if a sample is asked for without one."""
    if not rules.statuses:
        raise AudienceError("Select at least one member status")
    rules = rules.with_seed()
    consultation.audience = rules.to_audience()
    db.session.commit()
    log.info("audience of %s saved by %s", consultation.slug, getattr(actor, "id", actor))
    return rules


def draw_new_sample(consultation: Consultation, actor) -> int:
    """Record a new random seed, so the sample is drawn afresh; returns the seed."""
    rules = audience_rules(consultation)
    if not rules.sample_size:
        raise AudienceError("Save a sample size first")
    seed = new_seed(different_from=rules.seed)
    consultation.audience = replace(rules, seed=seed).to_audience()
    db.session.commit()
    log.info("new sample (seed %s) for %s drawn by %s", seed, consultation.slug, getattr(actor, "id", actor))
    return seed
