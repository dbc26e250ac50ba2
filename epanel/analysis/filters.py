"""Which responses a result, crosstab or export covers: the officer's filters, read from the query string."""

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from epanel.extensions import db
from epanel.panels.models import Group
from epanel.respond.models import Response, ResponseChannel, ResponseStatus

LONDON = ZoneInfo("Europe/London")

STATUSES = {"complete": "Complete responses", "partial": "Partial responses only", "all": "Complete and partial"}
GROUPS = {"include": "Include group responses", "exclude": "Leave out group responses", "only": "Only group responses"}


@dataclass(frozen=True)
class ResponseFilter:
    """The officer's filters; empty strings mean "any". Dates are days in UK time, both ends included."""

    panel: str = ""
    channel: str = ""
    age_band: str = ""
    gender: str = ""
    ward: str = ""
    parish: str = ""
    school: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: str = "complete"
    groups: str = "include"
    via: str = ""  # a community group's name: responses reached through its tracked link

    @classmethod
    def from_args(cls, args) -> "ResponseFilter":
        """Read filters from request arguments, ignoring what does not parse rather than failing."""
        values = {}
        for name in ("panel", "channel", "age_band", "gender", "ward", "parish", "school", "via"):
            values[name] = (args.get(name) or "").strip()[:160]
        if values["channel"] not in {channel.value for channel in ResponseChannel}:
            values["channel"] = ""
        values["status"] = args.get("status") if args.get("status") in STATUSES else "complete"
        values["groups"] = args.get("groups") if args.get("groups") in GROUPS else "include"
        values["date_from"] = _day(args.get("date_from"))
        values["date_to"] = _day(args.get("date_to"))
        return cls(**values)

    def as_args(self) -> dict:
        """The filters as query-string arguments (only those set), for links that keep them."""
        args = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value and value != item.default:
                args[item.name] = value.isoformat() if isinstance(value, date) else value
        return args

    def without(self, name: str) -> "ResponseFilter":
        return replace(self, **{name: next(item.default for item in fields(self) if item.name == name)})

    def describe(self) -> list[str]:
        """The filters in words, for page headings and export metadata."""
        words = [STATUSES[self.status]]
        for name, label in (("panel", "Panel"), ("channel", "Channel"), ("age_band", "Age band"), ("gender", "Gender"),
                            ("ward", "Ward"), ("parish", "Parish"), ("school", "School"),
                            ("via", "Reached through group")):
            if getattr(self, name):
                value = getattr(self, name)
                words.append(f"{label}: {ResponseChannel(value).label if name == 'channel' else value}")
        if self.date_from:
            words.append(f"From {self.date_from:%-d %B %Y}")
        if self.date_to:
            words.append(f"To {self.date_to:%-d %B %Y}")
        if self.groups != "include":
            words.append(GROUPS[self.groups])
        return words

    def is_whole(self) -> bool:
        """True when nothing narrows the responses but whether they are complete."""
        return self == ResponseFilter(status=self.status) and self.status in ("complete", "all")

    def conditions(self, consultation_id: int) -> list:
        """SQL conditions on Response for these filters."""
        where = [Response.consultation_id == consultation_id]
        if self.status == "complete":
            where.append(Response.status == ResponseStatus.COMPLETE)
        elif self.status == "partial":
            where.append(Response.status == ResponseStatus.IN_PROGRESS)
        for name in ("age_band", "gender", "ward", "parish", "school"):
            if getattr(self, name):
                where.append(getattr(Response, name) == getattr(self, name))
        if self.channel:
            where.append(Response.channel == ResponseChannel(self.channel))
        if self.panel:
            # panels holds slugs separated by ";": match a whole slug, not part of one.
            where.append((";" + func.coalesce(Response.panels, "") + ";").contains(f";{self.panel};", autoescape=True))
        if self.via:
            where.append(Response.referral_group_id.in_(select(Group.id).where(Group.name == self.via)))
        is_group = or_(Response.group_id.is_not(None), Response.channel == ResponseChannel.GROUP)
        if self.groups == "exclude":
            where.append(~is_group)
        elif self.groups == "only":
            where.append(is_group)
        when = func.coalesce(Response.submitted_at, Response.started_at)
        if self.date_from:
            where.append(when >= _uk_midnight(self.date_from))
        if self.date_to:
            where.append(when < _uk_midnight(self.date_to + timedelta(days=1)))
        return where


def _day(text) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def find_filter_values(consultation_id: int) -> dict[str, list[str]]:
    """The values each filter can take among this consultation's responses, in one grouped query."""
    columns = (Response.age_band, Response.gender, Response.ward, Response.parish, Response.school, Response.channel,
               Response.panels)
    query = select(*columns).where(Response.consultation_id == consultation_id).group_by(*columns)
    found: dict[str, set] = {name: set() for name in ("age_band", "gender", "ward", "parish", "school", "channel", "panel")}
    for age_band, gender, ward, parish, school, channel, panels in db.session.execute(query):
        for name, value in (("age_band", age_band), ("gender", gender), ("ward", ward), ("parish", parish),
                            ("school", school), ("channel", channel.value if channel else None)):
            if value:
                found[name].add(value)
        found["panel"].update(slug for slug in (panels or "").split(";") if slug)
    found["via"] = set(db.session.scalars(
        select(Group.name).join(Response, Response.referral_group_id == Group.id)
        .where(Response.consultation_id == consultation_id).distinct()))
    return {name: sorted(values) for name, values in found.items()}
