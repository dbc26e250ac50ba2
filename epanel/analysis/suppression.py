"""The one rule for results shown outside the officers' console (public pages, the API, embeds,
councillors' and groups' views): a group of fewer than MIN_PUBLIC_BASE respondents is not shown,
so nobody can be picked out of a small ward, school or age band. Officers' own analysis pages
show everything; they flag small cells instead."""

from dataclasses import dataclass

MIN_PUBLIC_BASE = 10


def publishable(base: float, minimum: int = MIN_PUBLIC_BASE) -> bool:
    """Whether figures resting on `base` respondents may be shown in public."""
    return base >= minimum


@dataclass(frozen=True)
class PublicShare:
    """One answer's share for a public page: the figures, or why there are none."""

    label: str
    count: int | None
    percent: float | None
    suppressed: bool


def public_shares(lines, base: float, minimum: int = MIN_PUBLIC_BASE) -> list[PublicShare]:
    """Results lines (anything with .label, .count, .percent) as public shares; every figure is
    withheld when the base is under the minimum, because shares of a tiny group identify people
    just as counts do."""
    if not publishable(base, minimum):
        return [PublicShare(line.label, None, None, True) for line in lines]
    return [PublicShare(line.label, int(round(line.count)), line.percent, False) for line in lines]


def withheld_groups(bases: dict[str, float], unknown: float = 0, minimum: int = MIN_PUBLIC_BASE) -> set[str]:
    """Which breakdown groups to withhold when a total ("Everyone") is shown beside them: every group
    under the minimum and, when any group with people in it is withheld, the next-smallest shown
    groups too (complementary suppression), until the withheld groups plus the `unknown` respondents
    (in the total but in no group) add up to at least the minimum. Otherwise a small group's
    figures are the total minus the shown groups. `bases` maps each group's label to its people."""
    withheld = {label for label, base in bases.items() if not publishable(base, minimum)}
    if not any(bases[label] > 0 for label in withheld):
        return withheld  # nothing to protect: empty groups reveal nobody
    hidden = sum(bases[label] for label in withheld) + max(unknown, 0)
    shown = sorted((base, label) for label, base in bases.items() if label not in withheld)
    while hidden < minimum and shown:
        base, label = shown.pop(0)
        withheld.add(label)
        hidden += base
    return withheld
