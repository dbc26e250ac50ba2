"""Server-drawn SVG bar charts. Each carries its own text alternative; pages show the table beside it.

Drawn as plain SVG text (no plotting library): bars are few, and the same markup is shown inline and
downloaded for reports, so what an officer sees is exactly what goes into a committee paper."""

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_COLOUR = "#1d70b8"
WEIGHTED_COLOUR = "#912b88"
WHISKER_COLOUR = "#0b0c0c"
TEXT_COLOUR = "#0b0c0c"
# Stacked segments (grids): light to dark so neighbouring segments differ in lightness, not only hue.
STACK_COLOURS = ["#003078", "#1d70b8", "#5694ca", "#b1b4b6", "#f47738", "#d4351c", "#505a5f", "#00703c", "#912b88",
                 "#85994b", "#6f72af"]
WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 70
BAR_HEIGHT = 22
GAP = 10
# Presentation attributes, not style="": the Content Security Policy allows no inline styles.
FONT = 'font-family="Arial, Helvetica, sans-serif" font-size="14"'


@dataclass
class Bar:
    label: str
    value: float  # percent (0-100) or a number on the chart's scale
    low: float | None = None  # 95% interval, same scale
    high: float | None = None
    weighted: float | None = None  # the weighted value, drawn as a second bar when given


def _truncate(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float, unit: str) -> str:
    return f"{value:.0f}{unit}" if unit == "%" else f"{value:.1f}"


def bar_chart(title: str, bars: list[Bar], *, unit: str = "%", maximum: float | None = None, chart_id: str = "chart") -> Markup:
    """A horizontal bar chart with 95% interval whiskers; `unit` "%" for shares, "" for other scales."""
    weighted = any(bar.weighted is not None for bar in bars)
    row_height = BAR_HEIGHT * (2 if weighted else 1) + GAP
    top = 10 + (22 if weighted else 0)
    height = top + row_height * max(len(bars), 1) + 10
    scale_max = maximum or max([bar.high or bar.value for bar in bars] + [bar.weighted or 0 for bar in bars] + [1])
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x(value):
        return LABEL_WIDTH + plot * max(0.0, min(value, scale_max)) / scale_max

    described = "; ".join(
        f"{bar.label}: {_number(bar.value, unit)}"
        + (f" (95% interval {_number(bar.low, unit)} to {_number(bar.high, unit)})" if bar.low is not None else "")
        + (f", weighted {_number(bar.weighted, unit)}" if bar.weighted is not None else "")
        for bar in bars
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'width="100%" viewBox="0 0 {WIDTH} {height}" class="epanel-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(described or "No answers")}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    if weighted:
        parts.append(f'<rect x="{LABEL_WIDTH}" y="6" width="12" height="12" fill="{BAR_COLOUR}"/>'
                     f'<text x="{LABEL_WIDTH + 18}" y="16" {FONT} fill="{TEXT_COLOUR}">Unweighted</text>'
                     f'<rect x="{LABEL_WIDTH + 120}" y="6" width="12" height="12" fill="{WEIGHTED_COLOUR}"/>'
                     f'<text x="{LABEL_WIDTH + 138}" y="16" {FONT} fill="{TEXT_COLOUR}">Weighted</text>')
    for index, bar in enumerate(bars):
        y = top + index * row_height
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" {FONT} '
                     f'fill="{TEXT_COLOUR}">{escape(_truncate(bar.label))}</text>')
        series = [(bar.value, BAR_COLOUR, bar.low, bar.high)]
        if weighted:
            series.append((bar.weighted or 0, WEIGHTED_COLOUR, None, None))
        for offset, (value, colour, low, high) in enumerate(series):
            top_y = y + offset * BAR_HEIGHT
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{top_y + 2}" width="{x(value) - LABEL_WIDTH:.1f}" '
                         f'height="{BAR_HEIGHT - 4}" fill="{colour}"/>')
            if low is not None and high is not None:
                middle = top_y + BAR_HEIGHT / 2
                parts.append(f'<path d="M{x(low):.1f} {middle:.1f}H{x(high):.1f}M{x(low):.1f} {middle - 5:.1f}V{middle + 5:.1f}'
                             f'M{x(high):.1f} {middle - 5:.1f}V{middle + 5:.1f}" stroke="{WHISKER_COLOUR}" '
                             f'stroke-width="1.5" fill="none"/>')
            parts.append(f'<text x="{WIDTH - VALUE_WIDTH + 6}" y="{top_y + BAR_HEIGHT * 0.7:.1f}" {FONT} '
                         f'fill="{TEXT_COLOUR}">{_number(value, unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_chart(title: str, rows: list[tuple[str, list[tuple[str, float]]]], *, chart_id: str = "chart") -> Markup:
    """One 100% bar per row (a grid's rows), split into its answers' shares, with a key."""
    labels = [label for label, _ in rows[0][1]] if rows else []
    key_rows = (len(labels) + 2) // 3
    top = 10 + key_rows * 20
    row_height = BAR_HEIGHT + GAP
    height = top + row_height * max(len(rows), 1) + 10
    plot = WIDTH - LABEL_WIDTH - 20
    described = "; ".join(f"{row}: " + ", ".join(f"{label} {share:.0f}%" for label, share in segments)
                          for row, segments in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'width="100%" viewBox="0 0 {WIDTH} {height}" class="epanel-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(described or "No answers")}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for index, label in enumerate(labels):
        kx = 10 + (index % 3) * 210
        ky = 6 + (index // 3) * 20
        parts.append(f'<rect x="{kx}" y="{ky}" width="12" height="12" fill="{STACK_COLOURS[index % len(STACK_COLOURS)]}"/>'
                     f'<text x="{kx + 18}" y="{ky + 11}" {FONT} fill="{TEXT_COLOUR}">{escape(_truncate(label, 26))}</text>')
    for row_index, (row_label, segments) in enumerate(rows):
        y = top + row_index * row_height
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" {FONT} '
                     f'fill="{TEXT_COLOUR}">{escape(_truncate(row_label))}</text>')
        start = LABEL_WIDTH
        for index, (_label, share) in enumerate(segments):
            width = plot * share / 100
            parts.append(f'<rect x="{start:.1f}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 4}" '
                         f'fill="{STACK_COLOURS[index % len(STACK_COLOURS)]}" stroke="#ffffff" stroke-width="1"/>')
            start += width
    parts.append("</svg>")
    return Markup("".join(parts))


def as_download(svg: Markup) -> str:
    """A chart as a standalone .svg file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg).replace('width="100%" ', f'width="{WIDTH}" ', 1)
