"""Weighting responses to the population: raking (iterative proportional fitting) to the officer's targets.

Weights depend only on a respondent's categories in the weighting dimensions (age band, gender, ward),
so the raking runs on the cells of those categories, not on every response: a few hundred cells for
100,000 responses. Results and exports then look a response's weight up by its cell.
"""

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.stats import design_effect
from epanel.extensions import db
from epanel.panels.models import PopulationTarget, TargetDimension
from epanel.respond.models import Response

UNKNOWN = None  # a respondent with no value, or one the targets do not list, in a dimension
DEFAULT_TRIM = (0.2, 5.0)  # weights kept between a fifth and five times the average when trimming


@dataclass
class RakeResult:
    weights: np.ndarray  # one per cell, averaging 1 over respondents
    iterations: int
    converged: bool


def rake(cells: list[tuple], counts, targets: list[dict], *, trim: tuple[float, float] | None = None,
         tolerance: float = 1e-10, max_iterations: int = 2000) -> RakeResult:
    """Weights per cell so that each dimension's weighted shares meet its targets.

    `cells` are tuples with one category per dimension; `counts` how many respondents are in each;
    `targets` one {category: share} per dimension, where shares of the listed categories add up to 1
    among respondents whose category is listed. Respondents whose category is not listed (or None)
    keep their own share of the sample in that dimension and are not adjusted by it.
    With `trim` (lowest, highest), weights are clipped to those multiples of the average after each
    round, so the margins then meet their targets only as closely as the limits allow."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    weights = np.ones(len(cells))
    members = []  # per dimension: (index array of cells, desired weighted total) for each category
    for position, shares in enumerate(targets):
        values = [cell[position] for cell in cells]
        unlisted = np.array([value not in shares for value in values])
        unlisted_total = counts[unlisted].sum()
        groups = [(np.flatnonzero(unlisted), unlisted_total)] if unlisted_total else []
        listed_total = total - unlisted_total
        for category, share in shares.items():
            index = np.array([i for i, value in enumerate(values) if value == category], dtype=int)
            if len(index) and counts[index].sum() > 0:
                groups.append((index, share * listed_total))
        members.append(groups)
    converged = False
    iterations = 0
    for round_number in range(1, max_iterations + 1):
        iterations = round_number
        for groups in members:
            for index, desired in groups:
                current = (counts[index] * weights[index]).sum()
                if current > 0:
                    weights[index] *= desired / current
        if trim:
            mean = (counts * weights).sum() / total
            weights = np.clip(weights, trim[0] * mean, trim[1] * mean)
        gap = max((abs((counts[index] * weights[index]).sum() - desired) / total
                   for groups in members for index, desired in groups), default=0.0)
        if gap < tolerance:
            converged = True
            break
    weights *= total / (counts * weights).sum()
    if trim:
        # Rescaling to an average of 1 can push a clipped weight back over its limit: settle both.
        for _ in range(100):
            if weights.min() >= trim[0] - 1e-12 and weights.max() <= trim[1] + 1e-12:
                break
            weights = np.clip(weights, trim[0], trim[1])
            weights *= total / (counts * weights).sum()
    return RakeResult(weights, iterations, converged)


@dataclass
class Margin:
    dimension: TargetDimension
    category: str
    target: float  # share, among respondents whose category is listed
    sample: float  # unweighted share
    weighted: float
    respondents: int


@dataclass
class Weighting:
    """Weights for one consultation's filtered responses, and how well they fit the targets."""

    dimensions: list[TargetDimension]
    weights: dict[tuple, float]  # cell -> weight
    counts: dict[tuple, int]
    iterations: int
    converged: bool
    trim: tuple[float, float] | None
    margins: list[Margin] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list:
        return [getattr(Response, dimension.value) for dimension in self.dimensions]

    @property
    def respondents(self) -> int:
        return sum(self.counts.values())

    @property
    def design_effect(self) -> float:
        return design_effect([(self.weights[cell], count) for cell, count in self.counts.items()])

    @property
    def effective_n(self) -> float:
        return self.respondents / self.design_effect if self.respondents else 0.0

    @property
    def lowest(self) -> float:
        return min(self.weights.values(), default=1.0)

    @property
    def highest(self) -> float:
        return max(self.weights.values(), default=1.0)

    def weight_for(self, cell: tuple) -> float:
        return self.weights.get(tuple(cell), 1.0)


def find_targets(dimensions=None) -> dict[TargetDimension, dict[str, float]]:
    """The population targets by dimension (only those asked for), shares rescaled to add up to 1."""
    targets: dict[TargetDimension, dict[str, float]] = {}
    for target in db.session.scalars(select(PopulationTarget).order_by(PopulationTarget.id)):
        if dimensions is None or target.dimension in dimensions:
            targets.setdefault(target.dimension, {})[target.category] = target.share
    return {dimension: _normalised(shares) for dimension, shares in targets.items() if sum(shares.values()) > 0}


def _normalised(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    return {category: share / total for category, share in shares.items()}


def compute_weighting(consultation, filters: ResponseFilter, dimensions=None,
                      trim: tuple[float, float] | None = None) -> Weighting | None:
    """Rake the filtered responses to the population targets; None when there are no targets to use."""
    targets = find_targets(dimensions)
    if not targets:
        return None
    order = [dimension for dimension in TargetDimension if dimension in targets]
    columns = [getattr(Response, dimension.value) for dimension in order]
    rows = db.session.execute(
        select(*columns, func.count()).where(*filters.conditions(consultation.id)).group_by(*columns)
    ).all()
    counts = {tuple(row[:-1]): row[-1] for row in rows}
    warnings = []
    usable = []
    for position, dimension in enumerate(order):
        present = {cell[position] for cell, count in counts.items() if count}
        missing = [category for category in targets[dimension] if category not in present]
        for category in missing:
            warnings.append(f"No respondents in the {dimension.label.lower()} category ‘{category}’ "
                            f"(target {targets[dimension][category]:.1%}): the other categories share its weight")
        kept = {category: share for category, share in targets[dimension].items() if category in present}
        usable.append(_normalised(kept) if kept else {})
        unlisted = sum(count for cell, count in counts.items() if cell[position] not in targets[dimension])
        if unlisted:
            warnings.append(f"{unlisted:,} respondents have no {dimension.label.lower()} the targets list; "
                            f"they keep their own share for {dimension.label.lower()}")
    cells = list(counts)
    if not cells:
        return Weighting(order, {}, {}, 0, True, trim, warnings=["There are no responses to weight"])
    result = rake(cells, [counts[cell] for cell in cells], usable, trim=trim)
    weights = {cell: float(weight) for cell, weight in zip(cells, result.weights)}
    if not result.converged:
        warnings.append("The weights did not meet every target exactly"
                        + (" within the trimming limits" if trim else "; check the targets add up"))
    weighting = Weighting(order, weights, counts, result.iterations, result.converged, trim, warnings=warnings)
    weighting.margins = _margins(weighting, usable)
    return weighting


def _margins(weighting: Weighting, targets: list[dict]) -> list[Margin]:
    margins = []
    for position, dimension in enumerate(weighting.dimensions):
        shares = targets[position]
        listed = [cell for cell in weighting.counts if cell[position] in shares]
        people = sum(weighting.counts[cell] for cell in listed)
        weighted = sum(weighting.counts[cell] * weighting.weights[cell] for cell in listed)
        for category, share in shares.items():
            mine = [cell for cell in listed if cell[position] == category]
            count = sum(weighting.counts[cell] for cell in mine)
            weight = sum(weighting.counts[cell] * weighting.weights[cell] for cell in mine)
            margins.append(Margin(dimension, category, share, count / people if people else 0,
                                  weight / weighted if weighted else 0, count))
    return margins
