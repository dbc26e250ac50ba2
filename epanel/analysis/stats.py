"""The statistics behind results: confidence intervals, summaries of numbers, chi-square, design effect.

Plain functions of plain numbers, so tests can check them against hand-worked figures."""

import math
from dataclasses import dataclass

from scipy import stats as scipy_stats

Z95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval


def wilson_interval(count: float, base: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score 95% interval for a share count/base, as fractions; None when the base is 0.

    Unlike the textbook "p ± 1.96·√(p(1-p)/n)" it stays inside 0–100% and behaves for small
    samples and shares near 0 or 100%. `base` may be an effective sample size (weighted results)."""
    if base <= 0:
        return None
    p = min(max(count / base, 0.0), 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * base)) / (1 + z2 / base)
    half = z * math.sqrt(p * (1 - p) / base + z2 / (4 * base * base)) / (1 + z2 / base)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class NumberSummary:
    count: float
    mean: float | None
    sd: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    ci: tuple[float, float] | None  # 95% interval for the mean


def summarise_numbers(values: list[tuple[float, float]], effective_n: float | None = None) -> NumberSummary:
    """Mean, standard deviation, median, range and a t-based 95% interval for the mean, from (value, count)
    pairs (counts may be weights); `effective_n` replaces the count in the interval for weighted data."""
    values = sorted((value, count) for value, count in values if count > 0)
    total = sum(count for _, count in values)
    if total <= 0:
        return NumberSummary(0, None, None, None, None, None, None)
    mean = sum(value * count for value, count in values) / total
    sd = None
    ci = None
    n = effective_n if effective_n is not None else total
    if total > 1 and n > 1:
        # Frequency-weighted sample variance: divisor (n - 1), scaled to the weight total.
        variance = sum(count * (value - mean) ** 2 for value, count in values) / total * n / (n - 1)
        sd = math.sqrt(variance)
        half = scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        ci = (mean - half, mean + half)
    median = _weighted_median(values, total)
    return NumberSummary(total, mean, sd, median, values[0][0], values[-1][0], ci)


def _weighted_median(values, total) -> float:
    running = 0.0
    for index, (value, count) in enumerate(values):
        running += count
        if running > total / 2:
            return value
        if math.isclose(running, total / 2):  # exactly half: the middle of this and the next value
            return (value + values[index + 1][0]) / 2 if index + 1 < len(values) else value
    return values[-1][0]


@dataclass
class ChiSquare:
    statistic: float
    dof: int
    p_value: float
    small_expected: int  # cells whose expected count is under 5
    cells: int

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05

    @property
    def reliable(self) -> bool:
        """The usual rule of thumb: no more than a fifth of cells expected under 5."""
        return self.small_expected <= 0.2 * self.cells


def chi_square(table: list[list[float]]) -> ChiSquare | None:
    """Pearson's chi-square test of independence on a table of counts (rows x columns).

    Empty rows and columns are dropped first; None when fewer than two rows or columns remain."""
    rows = [row for row in table if sum(row) > 0]
    if not rows:
        return None
    keep = [j for j in range(len(rows[0])) if sum(row[j] for row in rows) > 0]
    rows = [[row[j] for j in keep] for row in rows]
    if len(rows) < 2 or len(keep) < 2:
        return None
    result = scipy_stats.chi2_contingency(rows, correction=False)
    small = int((result.expected_freq < 5).sum())
    return ChiSquare(float(result.statistic), int(result.dof), float(result.pvalue), small, result.expected_freq.size)


def design_effect(weights_and_counts: list[tuple[float, float]]) -> float:
    """Kish's design effect from weighting, n·Σw² / (Σw)², from (weight, how many people have it) pairs."""
    n = sum(count for _, count in weights_and_counts)
    total = sum(weight * count for weight, count in weights_and_counts)
    squares = sum(weight * weight * count for weight, count in weights_and_counts)
    return n * squares / (total * total) if total else 1.0
