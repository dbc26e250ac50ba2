"""The question kinds. Each kind knows how to read its answer from a form, check it, store it
as long-form Answer rows, read it back, and which template asks it. Analysis and exports use
these methods and never branch on a kind's name."""

import math
import re
from dataclasses import dataclass, field

AGREEMENT_SCALE = [
    ("5", "Strongly agree"),
    ("4", "Agree"),
    ("3", "Neither agree nor disagree"),
    ("2", "Disagree"),
    ("1", "Strongly disagree"),
]
YES_NO = [("1", "Yes"), ("2", "No")]
OTHER = "other"  # the code of the "Other (please say)" choice


@dataclass
class Parsed:
    """An answer read from a form: a plain value (None when not answered) and any error."""

    value: object = None
    error: str | None = None
    other_text: str = ""


@dataclass(slots=True)
class AnswerRow:
    """What one Answer row will hold; kinds work with these so they need no database."""

    option_code: str | None = None
    row_code: str | None = None
    number: float | None = None
    text: str | None = None


# --- analysis and exports: the shapes kinds summarise into --------------------------------------


@dataclass
class AnswerGroup:
    """One group of an aggregate over Answer rows (GROUP BY option, row, number): its count or weighted count."""

    option_code: str | None
    row_code: str | None
    number: float | None
    count: float


@dataclass
class Tally:
    """One bar of a chart: an answer, how many chose it, out of how many."""

    code: str
    label: str
    count: float
    base: float


@dataclass
class RankScore:
    """How an option fared in a ranking: how often ranked, its mean rank, how often first, its points."""

    code: str
    label: str
    ranked: float
    mean_rank: float | None
    first: float
    points: float  # Borda: an option ranked r of n scores n - r + 1


@dataclass
class Summary:
    """A question's results. `shape` says how they are shown: shares, numbers, ranks, grid or text."""

    shape: str
    tallies: list[Tally] = field(default_factory=list)
    values: list[tuple[float, float]] = field(default_factory=list)  # (value, count) for numbers
    ranks: list[RankScore] = field(default_factory=list)
    rows: list[tuple[str, str, list[Tally]]] = field(default_factory=list)  # grid: (row code, row label, tallies)
    multiple: bool = False  # shares may add up to more than 100%


@dataclass
class ExportColumn:
    """One column of the wide exports, with its SPSS-style metadata."""

    name: str
    label: str
    numeric: bool = False
    value_labels: dict | None = None  # value -> label


def export_code(question, code: str | None):
    """The value an option code takes in exports: a number when the codes are whole numbers, so SPSS can label it.

    "Other (please say)" gets 96, the survey convention, or the next free number."""
    if code is None:
        return None
    codes = [option.code for option in question.choices]
    numeric = all(c.lstrip("-").isdigit() for c in codes)
    if code == OTHER:
        if not numeric:
            return OTHER
        used = {int(c) for c in codes}
        return 96 if 96 not in used else max(used) + 1
    return int(code) if numeric and code.lstrip("-").isdigit() else code


def _value_labels(question, options) -> dict:
    labels = {export_code(question, option.code): option.label for option in options}
    if question.allow_other:
        labels[export_code(question, OTHER)] = "Other"
    return labels


def _numeric_codes(question) -> bool:
    return all(option.code.lstrip("-").isdigit() for option in question.choices)


@dataclass
class Kind:
    key: str
    label: str
    template: str
    has_choices: bool = False
    has_rows: bool = False
    preset_choices: list[tuple[str, str]] = field(default_factory=list)

    def field_name(self, question) -> str:
        return f"q{question.id}"

    def parse(self, question, form) -> Parsed:
        raise NotImplementedError

    def to_rows(self, question, parsed: Parsed) -> list[AnswerRow]:
        raise NotImplementedError

    def from_rows(self, question, rows: list[AnswerRow]) -> Parsed:
        raise NotImplementedError

    def chosen_codes(self, parsed: Parsed) -> set[str]:
        """Option codes this answer picks, for show-only-if conditions on later questions."""
        return set()

    def missing_message(self, number: int) -> str:
        return f"Answer question {number}"

    def describe(self, question, parsed: Parsed) -> list[str]:
        """The answer as lines a person can read back, e.g. on the check-your-answers page."""
        return [] if parsed.value is None else [str(parsed.value)]

    # --- analysis and exports ---------------------------------------------------------------
    def summarise(self, question, groups: list[AnswerGroup], answered: float) -> Summary:
        """This question's results from its aggregated answers; `answered` is the (weighted) count of responses."""
        return Summary("text")

    def categories(self, question) -> list[tuple[str, str]] | None:
        """The answers a crosstab can split by, as (code, label); None when this kind cannot be crosstabbed."""
        return None

    # Which Answer column a crosstab category lives in: "option" (its code) or "number".
    category_column = "option"
    exclusive = True  # each respondent gives at most one category, so a chi-square test applies
    single_row = True  # an answer is always one Answer row, so counting rows counts respondents
    # The Answer columns ("option", "row", "number") results are counted by; none for typed answers.
    answer_columns = ()

    def export_columns(self, question) -> list[ExportColumn]:
        """The wide exports' columns for this question (one unless the kind needs several)."""
        return [ExportColumn(question.code, question.text)]

    def export_values(self, question, rows: list[AnswerRow]) -> list:
        """One response's answer as values for export_columns (None where not answered)."""
        return self.exporter(question)(rows)

    def exporter(self, question):
        """A function from one response's answer rows to export values, with the question's codes worked
        out once: exports call it for every response, so it reads no database objects per row."""
        def values(rows):
            parsed = self.from_rows(question, rows)
            return [parsed.value]
        return values

    # --- answering by text message ---------------------------------------------------------
    # Kinds that need several separate answers (ranking, grid) cannot be asked in one text.
    by_sms = False

    def sms_prompt(self, question) -> str:
        """How to answer this question in a text message, e.g. "Reply with a number: 1 Yes / 2 No"."""
        raise NotImplementedError(f"{self.label} questions cannot be asked by text message")

    def parse_sms_reply(self, question, text: str) -> Parsed:
        """Read a text-message reply as this question's answer; Parsed.error says what was wrong."""
        return Parsed(error=f"{self.label} questions cannot be answered by text message")


def _choice_codes(question) -> set[str]:
    codes = {option.code for option in question.choices}
    if question.allow_other:
        codes.add(OTHER)
    return codes


def _label(options, code, other_text="") -> str:
    if code == OTHER:
        return f"Other: {other_text}"
    return next((option.label for option in options if option.code == code), code)


def _other_text(question, form) -> str:
    return (form.get(f"q{question.id}-other") or "").strip()[:500]


# Words people text for yes and no, read as the choice labelled Yes or No.
_SMS_SYNONYMS = {"y": "yes", "yeah": "yes", "yep": "yes", "yes please": "yes", "n": "no", "nope": "no",
                 "no thanks": "no", "no thank you": "no"}
_SMS_NOISE = re.compile(r"^(?:(?:option|answer|number|no\.|choice)\s+)|[^\w\s'&+-]+", re.IGNORECASE)


def _sms_words(text: str) -> str:
    """'  Option 2. ' -> '2'; '(b)' -> 'b'; 'Every week!' -> 'every week'."""
    cleaned = _SMS_NOISE.sub(" ", (text or "").lower())
    return " ".join(cleaned.split())


def _sms_choice(choices, word: str) -> str | None:
    """The code of the choice a reply names: by its number in the list, its letter, or its label."""
    if word.isdigit():
        number = int(word)
        return choices[number - 1].code if 1 <= number <= len(choices) else None
    if len(word) == 1 and "a" <= word <= "z" and word not in ("y", "n"):
        index = ord(word) - ord("a")
        return choices[index].code if index < len(choices) else None
    word = _SMS_SYNONYMS.get(word, word)
    return next((option.code for option in choices if _sms_words(option.label) == word), None)


def _sms_list(choices) -> str:
    return "\n".join(f"{number} {option.label}" for number, option in enumerate(choices, start=1))


def _single_number(text: str) -> str | None:
    """The one number in a reply like "about 7" or "£1,200"; None when there is none or several."""
    found = re.findall(r"-?\d+(?:\.\d+)?", (text or "").replace(",", ""))
    return found[0] if len(found) == 1 else None


def _choice_tallies(question, groups, base) -> list[Tally]:
    counts: dict[str, float] = {}
    for group in groups:
        counts[group.option_code] = counts.get(group.option_code, 0) + group.count
    tallies = [Tally(option.code, option.label, counts.get(option.code, 0), base) for option in question.choices]
    if question.allow_other:
        tallies.append(Tally(OTHER, "Other", counts.get(OTHER, 0), base))
    return tallies


def _choice_categories(question) -> list[tuple[str, str]]:
    return [(option.code, option.label) for option in question.choices] + ([(OTHER, "Other")] if question.allow_other else [])


class SingleChoice(Kind):
    answer_columns = ("option",)
    def parse(self, question, form):
        code = (form.get(self.field_name(question)) or "").strip()
        if not code:
            return Parsed()
        if code not in _choice_codes(question):
            return Parsed(error="Choose one of the answers listed")
        other = _other_text(question, form) if code == OTHER else ""
        if code == OTHER and not other:
            return Parsed(value=code, error="Tell us your other answer")
        return Parsed(value=code, other_text=other)

    def to_rows(self, question, parsed):
        return [AnswerRow(option_code=parsed.value, text=parsed.other_text or None)]

    def from_rows(self, question, rows):
        return Parsed(value=rows[0].option_code, other_text=rows[0].text or "") if rows else Parsed()

    def chosen_codes(self, parsed):
        return {parsed.value} if parsed.value else set()

    def missing_message(self, number):
        return f"Select an answer to question {number}"

    def describe(self, question, parsed):
        return [] if parsed.value is None else [_label(question.choices, parsed.value, parsed.other_text)]


    def summarise(self, question, groups, answered):
        return Summary("shares", _choice_tallies(question, groups, answered))

    def categories(self, question):
        return _choice_categories(question)

    def export_columns(self, question):
        columns = [ExportColumn(question.code, question.text, numeric=_numeric_codes(question),
                                value_labels=_value_labels(question, question.choices))]
        if question.allow_other:
            columns.append(ExportColumn(f"{question.code}_other", f"{question.text} (other answer)"))
        return columns

    def exporter(self, question):
        codes = {option.code: export_code(question, option.code) for option in question.choices}
        codes[OTHER] = export_code(question, OTHER)
        with_other = question.allow_other

        def values(rows):
            first = rows[0] if rows else None
            code = codes.get(first.option_code, first.option_code) if first else None
            if with_other:
                return [code, (first.text or None) if first and first.option_code == OTHER else None]
            return [code]
        return values

    by_sms = True

    def sms_prompt(self, question):
        labels = [_sms_words(option.label) for option in question.choices]
        if labels == ["yes", "no"]:
            return "Reply YES or NO"
        return f"Reply with a number:\n{_sms_list(question.choices)}"

    def parse_sms_reply(self, question, text):
        words = _sms_words(text)
        if not words:
            return Parsed()
        code = _sms_choice(question.choices, words)
        if code is None:
            return Parsed(error=f"Reply with a number from 1 to {len(question.choices)}")
        return Parsed(value=code)


class MultipleChoice(Kind):
    answer_columns = ("option",)
    def parse(self, question, form):
        codes = [code.strip() for code in form.getlist(self.field_name(question)) if code.strip()]
        if not codes:
            return Parsed()
        if any(code not in _choice_codes(question) for code in codes):
            return Parsed(error="Choose from the answers listed")
        codes = sorted(set(codes), key=codes.index)
        limit = question.settings.get("max_choices")
        if limit and len(codes) > limit:
            return Parsed(value=codes, error=f"Select no more than {limit} answers")
        other = _other_text(question, form) if OTHER in codes else ""
        if OTHER in codes and not other:
            return Parsed(value=codes, error="Tell us your other answer")
        return Parsed(value=codes, other_text=other)

    def to_rows(self, question, parsed):
        return [AnswerRow(option_code=code, text=parsed.other_text if code == OTHER else None) for code in parsed.value]

    def from_rows(self, question, rows):
        if not rows:
            return Parsed()
        other = next((row.text for row in rows if row.option_code == OTHER), "") or ""
        return Parsed(value=[row.option_code for row in rows], other_text=other)

    def chosen_codes(self, parsed):
        return set(parsed.value or [])

    def missing_message(self, number):
        return f"Select at least one answer to question {number}"

    def describe(self, question, parsed):
        return [_label(question.choices, code, parsed.other_text) for code in parsed.value or []]


    exclusive = False  # one person may pick several: counts are mentions, not people
    single_row = False

    def summarise(self, question, groups, answered):
        return Summary("shares", _choice_tallies(question, groups, answered), multiple=True)

    def categories(self, question):
        return _choice_categories(question)

    def export_columns(self, question):
        chosen = {0: "Not chosen", 1: "Chosen"}
        columns = [ExportColumn(f"{question.code}_{option.code}", f"{question.text}: {option.label}", numeric=True,
                                value_labels=chosen) for option in question.choices]
        if question.allow_other:
            columns.append(ExportColumn(f"{question.code}_other", f"{question.text}: Other", numeric=True,
                                        value_labels=chosen))
            columns.append(ExportColumn(f"{question.code}_other_text", f"{question.text} (other answer)"))
        return columns

    def exporter(self, question):
        order = [option.code for option in question.choices]
        with_other = question.allow_other
        empty = [None] * (len(order) + (2 if with_other else 0))

        def values(rows):
            if not rows:
                return list(empty)
            codes = {row.option_code for row in rows}
            found = [int(code in codes) for code in order]
            if with_other:
                other = next((row.text for row in rows if row.option_code == OTHER), None)
                found += [int(OTHER in codes), other or None]
            return found
        return values

    by_sms = True

    def sms_prompt(self, question):
        limit = question.settings.get("max_choices")
        most = f" (up to {limit})" if limit else ""
        return f"Reply with the numbers of all that apply{most}, like 1 3:\n{_sms_list(question.choices)}"

    def parse_sms_reply(self, question, text):
        pieces = re.split(r"[\s,;/&+.]+|\band\b", (text or "").lower())
        words = [word for word in (_sms_words(piece) for piece in pieces) if word]
        if not words:
            return Parsed()
        codes = [_sms_choice(question.choices, word) for word in words]
        if None in codes:
            return Parsed(error=f"Reply with numbers from 1 to {len(question.choices)}")
        codes = sorted(set(codes), key=codes.index)
        limit = question.settings.get("max_choices")
        if limit and len(codes) > limit:
            return Parsed(error=f"Choose no more than {limit}")
        return Parsed(value=codes)


class NumberKind(Kind):
    """A number in a range; the 0-10 rating is a number kind with a fixed range."""

    whole = False
    answer_columns = ("number",)

    def bounds(self, question) -> tuple[float | None, float | None]:
        return question.settings.get("min"), question.settings.get("max")

    def parse(self, question, form):
        raw = (form.get(self.field_name(question)) or "").strip().replace(",", "")
        if not raw:
            return Parsed()
        try:
            number = float(raw)
        except ValueError:
            return Parsed(value=raw, error="Enter a number, like 12")
        if not math.isfinite(number):
            return Parsed(value=raw, error="Enter a number, like 12")
        whole = self.whole or question.settings.get("whole_numbers", False)
        if whole and number != int(number):
            return Parsed(value=raw, error="Enter a whole number")
        low, high = self.bounds(question)
        if (low is not None and number < low) or (high is not None and number > high):
            return Parsed(value=raw, error=f"Enter a number between {_plain(low)} and {_plain(high)}"
                          if low is not None and high is not None else
                          f"Enter a number of {_plain(low)} or more" if low is not None else
                          f"Enter a number of {_plain(high)} or less")
        return Parsed(value=number)

    def to_rows(self, question, parsed):
        return [AnswerRow(number=parsed.value)]

    def from_rows(self, question, rows):
        return Parsed(value=rows[0].number) if rows else Parsed()

    def missing_message(self, number):
        return f"Enter an answer to question {number}"

    def describe(self, question, parsed):
        return [] if parsed.value is None else [_plain(parsed.value)]


    def summarise(self, question, groups, answered):
        counts: dict[float, float] = {}
        for group in groups:
            if group.number is not None:
                counts[group.number] = counts.get(group.number, 0) + group.count
        return Summary("numbers", values=sorted(counts.items()))

    def export_columns(self, question):
        return [ExportColumn(question.code, question.text, numeric=True)]

    def exporter(self, question):
        def values(rows):
            value = rows[0].number if rows else None
            return [None if value is None else int(value) if float(value).is_integer() else value]
        return values

    by_sms = True

    def sms_prompt(self, question):
        low, high = self.bounds(question)
        if low is not None and high is not None:
            return f"Reply with a number from {_plain(low)} to {_plain(high)}"
        return "Reply with a number"

    def parse_sms_reply(self, question, text):
        if not (text or "").strip():
            return Parsed()
        number = _single_number(text)
        if number is None:
            return Parsed(error=self.sms_prompt(question))
        return self.parse(question, {self.field_name(question): number})


class Rating(NumberKind):
    whole = True

    def bounds(self, question):
        return 0, 10

    def parse(self, question, form):
        parsed = super().parse(question, form)
        if parsed.error:
            parsed.error = "Choose a number from 0 to 10"
        return parsed


    category_column = "number"

    def categories(self, question):
        return [(str(value), str(value)) for value in range(11)]

    def missing_message(self, number):
        return f"Choose a number from 0 to 10 for question {number}"


def _plain(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


class TextKind(Kind):
    default_limit = 200

    def parse(self, question, form):
        text = (form.get(self.field_name(question)) or "").replace("\r\n", "\n").strip()
        if not text:
            return Parsed()
        limit = question.settings.get("max_length") or self.default_limit
        if len(text) > limit:
            return Parsed(value=text, error=f"Your answer must be {limit:,} characters or fewer (it has {len(text):,})")
        return Parsed(value=text)

    def to_rows(self, question, parsed):
        return [AnswerRow(text=parsed.value)]

    def from_rows(self, question, rows):
        return Parsed(value=rows[0].text) if rows else Parsed()

    def missing_message(self, number):
        return f"Enter an answer to question {number}"


    def summarise(self, question, groups, answered):
        return Summary("text")

    by_sms = True

    def sms_prompt(self, question):
        return "Reply with your answer in a few words"

    def parse_sms_reply(self, question, text):
        return self.parse(question, {self.field_name(question): text})


class LongText(TextKind):
    default_limit = 5000

    def sms_prompt(self, question):
        return "Reply with your answer"


class Ranking(Kind):
    """Put the options in order: each gets a different rank from 1 up; ranking only some is allowed."""

    single_row = False
    answer_columns = ("option", "number")

    def parse(self, question, form):
        ranks, options = {}, question.choices
        for option in options:
            raw = (form.get(f"q{question.id}-{option.code}") or "").strip()
            if raw:
                if not raw.isdigit() or not 1 <= int(raw) <= len(options):
                    return Parsed(value=self._raw(question, form), error=f"Use numbers from 1 to {len(options)}")
                ranks[option.code] = int(raw)
        if not ranks:
            return Parsed()
        if len(set(ranks.values())) != len(ranks):
            return Parsed(value=ranks, error="Give each option a different number")
        return Parsed(value=ranks)

    def _raw(self, question, form):
        return {o.code: form.get(f"q{question.id}-{o.code}") for o in question.choices}

    def to_rows(self, question, parsed):
        return [AnswerRow(option_code=code, number=rank) for code, rank in sorted(parsed.value.items(), key=lambda i: i[1])]

    def from_rows(self, question, rows):
        return Parsed(value={row.option_code: int(row.number) for row in rows}) if rows else Parsed()

    def missing_message(self, number):
        return f"Put the options in order for question {number}"


    def summarise(self, question, groups, answered):
        size = len(question.choices)
        scores = []
        for option in question.choices:
            mine = [group for group in groups if group.option_code == option.code and group.number is not None]
            ranked = sum(group.count for group in mine)
            total = sum(group.number * group.count for group in mine)
            scores.append(RankScore(
                option.code, option.label, ranked, total / ranked if ranked else None,
                sum(group.count for group in mine if group.number == 1),
                sum((size - group.number + 1) * group.count for group in mine),
            ))
        return Summary("ranks", ranks=scores)

    def export_columns(self, question):
        return [ExportColumn(f"{question.code}_{option.code}", f"{question.text}: {option.label} (rank)", numeric=True)
                for option in question.choices]

    def exporter(self, question):
        order = [option.code for option in question.choices]

        def values(rows):
            ranks = {row.option_code: int(row.number) for row in rows if row.number is not None}
            return [ranks.get(code) for code in order]
        return values

    def describe(self, question, parsed):
        ranked = sorted((parsed.value or {}).items(), key=lambda item: item[1])
        return [f"{rank}. {_label(question.choices, code)}" for code, rank in ranked]


class Grid(Kind):
    """Several rows, each answered on one scale (the question's choices)."""

    single_row = False
    answer_columns = ("option", "row")

    def parse(self, question, form):
        scale = {option.code for option in question.choices}
        cells = {}
        for row in question.rows:
            code = (form.get(f"q{question.id}-{row.code}") or "").strip()
            if code:
                if code not in scale:
                    return Parsed(error="Choose one of the answers listed")
                cells[row.code] = code
        if not cells:
            return Parsed()
        if question.required and len(cells) < len(question.rows):
            return Parsed(value=cells, error="Select an answer for each row")
        return Parsed(value=cells)

    def to_rows(self, question, parsed):
        return [AnswerRow(option_code=code, row_code=row) for row, code in parsed.value.items()]

    def from_rows(self, question, rows):
        return Parsed(value={row.row_code: row.option_code for row in rows}) if rows else Parsed()

    def missing_message(self, number):
        return f"Select an answer for each row of question {number}"


    def summarise(self, question, groups, answered):
        rows = []
        for row in question.rows:
            counts: dict[str, float] = {}
            for group in groups:
                if group.row_code == row.code:
                    counts[group.option_code] = counts.get(group.option_code, 0) + group.count
            base = sum(counts.values())
            rows.append((row.code, row.label, [Tally(o.code, o.label, counts.get(o.code, 0), base) for o in question.choices]))
        return Summary("grid", rows=rows)

    def export_columns(self, question):
        return [ExportColumn(f"{question.code}_{row.code}", f"{question.text}: {row.label}", numeric=_numeric_codes(question),
                             value_labels=_value_labels(question, question.choices)) for row in question.rows]

    def exporter(self, question):
        order = [row.code for row in question.rows]
        codes = {option.code: export_code(question, option.code) for option in question.choices}

        def values(rows):
            cells = {row.row_code: row.option_code for row in rows}
            return [codes.get(cells.get(code)) for code in order]
        return values

    def describe(self, question, parsed):
        cells = parsed.value or {}
        return [f"{row.label}: {_label(question.choices, cells[row.code])}" for row in question.rows if row.code in cells]


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in [
        SingleChoice("single", "Single choice", "single", has_choices=True),
        MultipleChoice("multiple", "Multiple choice", "multiple", has_choices=True),
        SingleChoice("agreement", "Agreement scale", "single", has_choices=True, preset_choices=AGREEMENT_SCALE),
        Rating("rating", "Rating from 0 to 10", "rating"),
        NumberKind("number", "Number", "number"),
        TextKind("short_text", "Short text", "short_text"),
        LongText("long_text", "Long text", "long_text"),
        Ranking("ranking", "Ranking", "ranking", has_choices=True),
        Grid("grid", "Grid (rows on one scale)", "grid", has_choices=True, has_rows=True,
             preset_choices=AGREEMENT_SCALE),
        SingleChoice("yes_no", "Yes or no", "single", has_choices=True, preset_choices=YES_NO),
    ]
}


def kind_of(question) -> Kind:
    return KINDS[question.kind]
