"""Reads for analysis: per-question results and crosstabs, each from a few aggregate queries.

Results never load responses one by one: the answers are counted by the database (GROUP BY
question, option, row and value, and by weighting cell when weighting is on), and each question's
kind turns its counts into a summary. So the page costs the same few queries at 100 or 100,000
responses."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, or_, select

from epanel.analysis import charts
from epanel.analysis.filters import ResponseFilter
from epanel.analysis.stats import ChiSquare, NumberSummary, chi_square, summarise_numbers, wilson_interval
from epanel.analysis.weighting import Weighting
from epanel.consultations.kinds import OTHER, AnswerGroup, Summary, kind_of
from epanel.consultations.models import Consultation, Question
from epanel.extensions import db
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus

SMALL_CELL = 5  # crosstab cells with fewer respondents than this are flagged
MAX_NUMBER_BARS = 12  # numbers with more distinct values are shown in bands


def get_consultation(slug: str) -> Consultation | None:
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))


@dataclass
class Line:
    """One row of a results table: an answer, its count and share with 95% interval, weighted beside."""

    code: str
    label: str
    count: float
    percent: float | None
    low: float | None
    high: float | None
    weighted_count: float | None = None
    weighted_percent: float | None = None
    weighted_low: float | None = None
    weighted_high: float | None = None


@dataclass
class QuestionResult:
    question: Question
    number: int
    summary: Summary
    weighted_summary: Summary | None
    shown: float
    answered: float
    weighted_answered: float | None = None
    effective_answered: float | None = None
    lines: list[Line] = field(default_factory=list)
    grid: list[tuple[str, str, float, list[Line]]] = field(default_factory=list)  # row code, label, base, lines
    numbers: NumberSummary | None = None
    weighted_numbers: NumberSummary | None = None
    chart: str = ""

    @property
    def skipped(self) -> float:
        return max(self.shown - self.answered, 0)

    @property
    def kind(self):
        return kind_of(self.question)


@dataclass
class Results:
    consultation: Consultation
    filters: ResponseFilter
    responses: int
    weighting: Weighting | None
    questions: list[QuestionResult]

    def find(self, question_id: int) -> QuestionResult | None:
        return next((result for result in self.questions if result.question.id == question_id), None)


def _option_maps(consultation: Consultation):
    codes, rows = {}, {}
    for question in consultation.questions:
        for option in question.options:
            (rows if option.role.value == "row" else codes)[option.id] = option.code
    return codes, rows


def get_results(consultation: Consultation, filters: ResponseFilter, weighting: Weighting | None = None,
                question_ids: set[int] | None = None) -> Results:
    """Every question's results (or only those in `question_ids`) for the filtered responses, weighted too
    when `weighting` is given."""
    where = filters.conditions(consultation.id)
    cells = weighting.columns if weighting else []
    weight_of = weighting.weight_for if weighting else (lambda cell: 1.0)
    numbers = _question_numbers(consultation.questions)
    questions = [question for question in consultation.questions if question_ids is None or question.id in question_ids]
    page_of = {section.id: number for number, section in enumerate(consultation.sections, start=1)}

    # How far responses got, by cell: a question on page k was reached by complete responses and
    # by partial ones that saved page k.
    reach = db.session.execute(
        select(Response.status, Response.pages_done, *cells, func.count()).where(*where)
        .group_by(Response.status, Response.pages_done, *cells)
    ).all()
    responses = sum(row[-1] for row in reach)

    def reached(page: int) -> dict[tuple, float]:
        counts: dict[tuple, float] = defaultdict(float)
        for row in reach:
            if row[0] == ResponseStatus.COMPLETE or row[1] >= page:
                counts[tuple(row[2:-1])] += row[-1]
        return counts

    if weighting is None and filters.is_whole():
        # No filter but complete-or-not: count every answer to these questions straight from the answers
        # table's indexes, without joining responses, and take away partial responses' answers when only
        # complete ones are wanted (there are few of those).
        grouped, answered = _count_answers(questions, None, [])
        if filters.status == "complete":
            partial = ResponseFilter(status="partial").conditions(consultation.id)
            less, less_answered = _count_answers(questions, partial, [], sign=-1)
            grouped += less
            for question_id, counts in less_answered.items():
                for cell, count in counts.items():
                    answered[question_id][cell] += count
    else:
        grouped, answered = _count_answers(questions, where, cells)
    by_question: dict[int, list] = defaultdict(list)
    for row in grouped:
        by_question[row[0]].append(row)

    shown = _shown(consultation, questions, where, cells, page_of, reached)
    option_codes, row_codes = _option_maps(consultation)
    results = []
    for question in questions:
        kind = kind_of(question)
        rows = by_question.get(question.id, [])
        answered_cells = answered.get(question.id, {})
        plain = [AnswerGroup(_code(kind, option_codes, row[1]), row_codes.get(row[2]), row[3], row[5]) for row in rows]
        count = sum(answered_cells.values())
        result = QuestionResult(question, numbers[question.id], kind.summarise(question, _merge(plain), count), None,
                                shown=sum(shown[question.id].values()), answered=count)
        if weighting:
            heavy = [AnswerGroup(group.option_code, group.row_code, group.number, group.count * weight_of(row[4]))
                     for group, row in zip(plain, rows)]
            total = sum(n * weight_of(cell) for cell, n in answered_cells.items())
            squares = sum(n * weight_of(cell) ** 2 for cell, n in answered_cells.items())
            result.weighted_answered = total
            result.effective_answered = total * total / squares if squares else 0.0
            result.weighted_summary = kind.summarise(question, _merge(heavy), total)
        _present(result)
        results.append(result)
    return Results(consultation, filters, responses, weighting, results)


ANSWER_COLUMNS = {"option": Answer.option_id, "row": Answer.row_id, "number": Answer.number}


def _count_answers(questions, where, cells, sign=1):
    """Answers counted by question and by the columns each kind needs (and by weighting cell): rows of
    (question id, option id, row id, number, cell, count), and respondents who answered, by question and cell.

    One query per shape of count (options, numbers, ranks, grid cells, typed), so each groups only what
    it needs. With `where`, only answers of responses meeting it (joined); without, every answer."""
    shapes: dict[tuple, list[int]] = defaultdict(list)
    for question in questions:
        shapes[kind_of(question).answer_columns].append(question.id)
    grouped = []
    answered: dict[int, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))
    several = {question.id for question in questions if not kind_of(question).single_row}

    def restricted(query, ids):
        if where is None:
            return query.where(Answer.question_id.in_(ids))
        # With responses to filter, read them first and their answers by response id: "+ 0" keeps
        # SQLite (which keeps no statistics) from starting at every answer to the questions instead.
        return (query.join(Response, Response.id == Answer.response_id)
                .where(*where, (Answer.question_id + 0).in_(ids)))

    for shape, ids in shapes.items():
        columns = [ANSWER_COLUMNS[name] for name in shape]
        query = restricted(select(Answer.question_id, *columns, *cells, func.count()).select_from(Answer), ids
                           ).group_by(Answer.question_id, *columns, *cells)
        for row in db.session.execute(query):
            values = dict(zip(shape, row[1:1 + len(shape)]))
            cell = tuple(row[1 + len(shape):-1])
            count = sign * row[-1]
            grouped.append((row[0], values.get("option"), values.get("row"), values.get("number"), cell, count))
            if row[0] not in several:
                answered[row[0]][cell] += count
    if several:
        query = restricted(select(Answer.question_id, *cells, func.count(distinct(Answer.response_id))).select_from(Answer),
                           several).group_by(Answer.question_id, *cells)
        for row in db.session.execute(query):
            answered[row[0]][tuple(row[1:-1])] += sign * row[-1]
    return grouped, answered


def _code(kind, option_codes, option_id):
    """The option code of an Answer row; a choice question's row with no option is its "Other" answer."""
    if option_id is not None:
        return option_codes.get(option_id)
    return OTHER if kind.has_choices and not kind.has_rows else None


def _merge(groups: list[AnswerGroup]) -> list[AnswerGroup]:
    """Add up groups that differ only by weighting cell."""
    merged: dict[tuple, float] = defaultdict(float)
    for group in groups:
        merged[(group.option_code, group.row_code, group.number)] += group.count
    return [AnswerGroup(*key, count) for key, count in merged.items()]


def _question_numbers(questions) -> dict[int, int]:
    return {question.id: number for number, question in enumerate(questions, start=1)}


def _shown(consultation, questions, where, cells, page_of, reached) -> dict[int, dict[tuple, float]]:
    """For each question, by cell, the responses it was shown to: those that reached its page and,
    for a show-only-if question, gave one of the answers that show it."""
    shown = {}
    by_id = {question.id: question for question in consultation.questions}
    for question in questions:
        page = page_of.get(question.section_id, 1)
        condition = question.condition or {}
        earlier = by_id.get(condition.get("question_id"))
        if not earlier:
            shown[question.id] = reached(page)
            continue
        codes = set(condition.get("option_codes") or [])
        option_ids = [option.id for option in earlier.choices if option.code in codes]
        picked = Answer.option_id.in_(option_ids)
        if OTHER in codes:
            picked = or_(picked, Answer.option_id.is_(None))
        rows = db.session.execute(
            select(*cells, func.count(distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id)
            .where(*where, Answer.question_id == earlier.id, picked,
                   or_(Response.status == ResponseStatus.COMPLETE, Response.pages_done >= page))
            .group_by(*cells)
        ).all()
        shown[question.id] = {tuple(row[:-1]): row[-1] for row in rows}
    return shown


def _lines(tallies, weighted_tallies, effective_base) -> list[Line]:
    lines = []
    for index, tally in enumerate(tallies):
        interval = wilson_interval(tally.count, tally.base)
        line = Line(tally.code, tally.label, tally.count, _percent(tally.count, tally.base),
                    *(tuple(100 * end for end in interval) if interval else (None, None)))
        if weighted_tallies is not None:
            heavy = weighted_tallies[index]
            share = heavy.count / heavy.base if heavy.base else None
            line.weighted_count = heavy.count
            line.weighted_percent = None if share is None else 100 * share
            if share is not None and effective_base:
                # The interval for a weighted share uses the effective sample size (n / design effect).
                low, high = wilson_interval(share * effective_base, effective_base)
                line.weighted_low, line.weighted_high = 100 * low, 100 * high
        lines.append(line)
    return lines


def _percent(count, base) -> float | None:
    return 100 * count / base if base else None


def _present(result: QuestionResult) -> None:
    """Tables, statistics and the chart for one question, by the shape its kind summarised into."""
    summary, heavy = result.summary, result.weighted_summary
    title = f"{result.number}. {result.question.text}"
    chart_id = f"chart-{result.question.id}"
    if summary.shape == "shares":
        effective = result.effective_answered if heavy else None
        result.lines = _lines(summary.tallies, heavy.tallies if heavy else None, effective)
        bars = [charts.Bar(line.label, line.percent or 0, line.low, line.high, line.weighted_percent if heavy else None)
                for line in result.lines]
        result.chart = charts.bar_chart(title, bars, maximum=100, chart_id=chart_id)
    elif summary.shape == "numbers":
        result.numbers = summarise_numbers(summary.values)
        if heavy:
            result.weighted_numbers = summarise_numbers(heavy.values, effective_n=result.effective_answered)
        result.lines = _number_lines(summary.values, result.answered, result.question)
        bars = [charts.Bar(line.label, line.percent or 0, line.low, line.high) for line in result.lines]
        result.chart = charts.bar_chart(title, bars, maximum=100, chart_id=chart_id)
    elif summary.shape == "ranks":
        answered = result.answered
        result.lines = [Line(score.code, score.label, score.first, _percent(score.first, answered),
                             *_interval(score.first, answered)) for score in summary.ranks]
        bars = [charts.Bar(line.label, line.percent or 0, line.low, line.high) for line in result.lines]
        result.chart = charts.bar_chart(f"{title} (ranked first)", bars, maximum=100, chart_id=chart_id)
    elif summary.shape == "grid":
        heavy_rows = {code: tallies for code, _label, tallies in heavy.rows} if heavy else {}
        for code, label, tallies in summary.rows:
            base = tallies[0].base if tallies else 0
            effective = None
            if heavy:
                effective = result.effective_answered * (heavy_rows[code][0].base / result.weighted_answered) \
                    if heavy_rows.get(code) and result.weighted_answered else None
            result.grid.append((code, label, base, _lines(tallies, heavy_rows.get(code), effective)))
        result.chart = charts.stacked_chart(title, [(label, [(line.label, line.percent or 0) for line in lines])
                                                    for _code, label, _base, lines in result.grid], chart_id=chart_id)


def _interval(count, base):
    interval = wilson_interval(count, base)
    return (100 * interval[0], 100 * interval[1]) if interval else (None, None)


def _number_lines(values, answered, question) -> list[Line]:
    """A number question's distribution: each value when there are few, otherwise equal-width bands."""
    if not values:
        return []
    if len(values) <= MAX_NUMBER_BARS or kind_of(question).categories(question):
        return [Line(_plain(value), _plain(value), count, _percent(count, answered), *_interval(count, answered))
                for value, count in values]
    low, high = values[0][0], values[-1][0]
    width = _nice_width((high - low) / 10)
    start = math.floor(low / width) * width
    bands: dict[float, float] = defaultdict(float)
    for value, count in values:
        bands[start + math.floor((value - start) / width) * width] += count
    return [Line(f"{_plain(edge)} to under {_plain(edge + width)}", f"{_plain(edge)} to under {_plain(edge + width)}",
                 count, _percent(count, answered), *_interval(count, answered)) for edge, count in sorted(bands.items())]


def _nice_width(raw: float) -> float:
    if raw <= 0:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw)


def _plain(number) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


# --- crosstabs -----------------------------------------------------------------------------------

ATTRIBUTES = {
    "age_band": "Age band", "gender": "Gender", "ward": "Ward", "parish": "Parish", "school": "School",
    "year_group": "Year group", "channel": "Channel",
}


@dataclass
class Crosstab:
    """Answers (rows) by a profile attribute or another question's answers (columns)."""

    question: Question
    by_label: str
    rows: list[tuple[str, str]]  # (code, label)
    columns: list[tuple[str, str]]
    counts: dict[tuple[str, str], float]
    column_totals: dict[str, float]
    test: ChiSquare | None
    exclusive: bool
    weighted: bool = False

    def count(self, row: str, column: str) -> float:
        return self.counts.get((row, column), 0)

    def percent(self, row: str, column: str) -> float | None:
        return _percent(self.count(row, column), self.column_totals.get(column, 0))

    def is_small(self, row: str, column: str) -> bool:
        return 0 < self.count(row, column) < SMALL_CELL

    @property
    def total(self) -> float:
        return sum(self.column_totals.values())


def crosstab_questions(consultation: Consultation) -> list[Question]:
    """Questions whose answers fall into categories, so they can be crosstabbed."""
    return [question for question in consultation.questions if kind_of(question).categories(question)]


def get_crosstab(consultation: Consultation, question: Question, by: str, filters: ResponseFilter,
                 weighting: Weighting | None = None) -> Crosstab:
    """Counts of `question`'s answers by a profile attribute (`by` in ATTRIBUTES) or by another
    closed question (`by` = "q<id>"), with column percentages and a chi-square test."""
    where = filters.conditions(consultation.id)
    kind = kind_of(question)
    option_codes, _rows = _option_maps(consultation)
    cells = weighting.columns if weighting else []
    weight_of = weighting.weight_for if weighting else (lambda cell: 1.0)
    answer_key = Answer.option_id if kind.category_column == "option" else Answer.number
    other_question = None
    if by in ATTRIBUTES:
        column = getattr(Response, by)
        query = (select(answer_key, column, *cells, func.count()).join(Response, Response.id == Answer.response_id)
                 .where(*where, Answer.question_id == question.id).group_by(answer_key, column, *cells))
        by_label = ATTRIBUTES[by]
    else:
        other_question = next((q for q in consultation.questions if f"q{q.id}" == by), None)
        if other_question is None or not kind_of(other_question).categories(other_question):
            raise ValueError("Choose a question with answers to choose from")
        other = db.aliased(Answer)
        other_kind = kind_of(other_question)
        other_key = other.option_id if other_kind.category_column == "option" else other.number
        query = (select(answer_key, other_key, *cells, func.count())
                 .join(Response, Response.id == Answer.response_id)
                 .join(other, (other.response_id == Answer.response_id) & (other.question_id == other_question.id))
                 .where(*where, Answer.question_id == question.id).group_by(answer_key, other_key, *cells))
        by_label = f"{other_question.code}: {other_question.text}"
    counts: dict[tuple[str, str], float] = defaultdict(float)
    people: dict[tuple[str, str], float] = defaultdict(float)  # unweighted, for the chi-square test
    seen_columns: set[str] = set()
    for row in db.session.execute(query):
        row_code = _category(kind, option_codes, row[0])
        if other_question is not None:
            column_code = _category(kind_of(other_question), option_codes, row[1])
        else:
            column_code = row[1].value if isinstance(row[1], ResponseChannel) else (row[1] or "Not known")
        counts[(row_code, column_code)] += row[-1] * weight_of(tuple(row[2:-1]))
        people[(row_code, column_code)] += row[-1]
        seen_columns.add(column_code)
    rows = kind.categories(question)
    if other_question is not None:
        columns = kind_of(other_question).categories(other_question)
    elif by == "channel":
        columns = [(channel.value, channel.label) for channel in ResponseChannel if channel.value in seen_columns]
    else:
        columns = [(value, value) for value in sorted(seen_columns)]
    column_totals = {code: sum(counts.get((row, code), 0) for row, _ in rows) for code, _ in columns}
    exclusive = kind.exclusive and (other_question is None or kind_of(other_question).exclusive)
    # The test needs counts of people, so it runs on unweighted counts even when weighting is on.
    table = [[people.get((row, column), 0) for column, _ in columns] for row, _ in rows]
    test = chi_square(table) if exclusive else None
    return Crosstab(question, by_label, rows, columns, dict(counts), column_totals, test, exclusive, bool(weighting))


def _category(kind, option_codes, key) -> str:
    if kind.category_column == "number":
        return "" if key is None else _plain(key)
    return option_codes.get(key, OTHER) if key is not None else OTHER
