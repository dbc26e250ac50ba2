"""Forms for officers building consultations: details and access, pages, questions, trackers and copies."""

import math
import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, Field, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from epanel.common.fields import strip_whitespace
from epanel.consultations.kinds import KINDS, OTHER, MultipleChoice, SingleChoice
from epanel.consultations.models import Consultation, ConsultationStatus, OptionRole
from epanel.panels.forms import OfferedChoicesField

# Officers and respondents think in UK time; the database keeps UTC.
LONDON = ZoneInfo("Europe/London")


# --- dates and times ---------------------------------------------------------------


class CalendarDateField(Field):
    """Day, month and year boxes for any date, past or future; all three left blank means no date."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, *, noun, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    def process_formdata(self, valuelist):
        # The widget always shows three boxes, so keep exactly three whatever arrived.
        self.raw_data = [str(part).strip() for part in (list(valuelist) + ["", "", ""])[:3]]
        self.data = None
        if not any(self.raw_data):
            return
        missing = [name for name, part in zip(("day", "month", "year"), self.raw_data) if not part]
        if missing:
            raise ValueError(f"{self.noun.capitalize()} must include a {' and a '.join(missing)}")
        example = f"like 27 3 {date.today().year + 1}"
        if not all(part.isdigit() for part in self.raw_data) or len(self.raw_data[2]) != 4:
            raise ValueError(f"{self.noun.capitalize()} must be a real date, {example}")
        day, month, year = (int(part) for part in self.raw_data)
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.noun.capitalize()} must be a real date, {example}") from None
        if year < 2000:
            raise ValueError(f"{self.noun.capitalize()} must be in 2000 or later")


_CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(am|pm)?")


def parse_clock_time(text: str) -> time:
    """A time of day from what people type: 09:00, 9:00, 17.30, 9am, 5:30pm, noon or midnight."""
    typed = text.strip().lower().replace(" ", "")
    named = {"noon": time(12), "midday": time(12), "midnight": time(0)}
    if typed in named:
        return named[typed]
    match = _CLOCK.fullmatch(typed)
    if match is None:
        raise ValueError(typed)
    hours, minutes, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hours <= 12:
            raise ValueError(typed)
        hours = hours % 12 + (12 if half == "pm" else 0)
    if hours > 23 or minutes > 59:
        raise ValueError(typed)
    return time(hours, minutes)


class ClockTimeField(Field):
    """A time of day typed as text, shown back exactly as typed when it is wrong."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, noun, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        typed = (valuelist[0] if valuelist else "").strip()
        if not typed:
            return
        try:
            self.data = parse_clock_time(typed)
        except ValueError:
            raise ValueError(f"Enter the {self.noun} as hours and minutes on the 24-hour clock, "
                             f"like 09:00 or 17:30") from None


def london_to_utc(day: date | None, clock: time | None, default: time) -> datetime | None:
    """The UTC moment of a UK date and time; a missing time means `default`."""
    if day is None:
        return None
    return datetime.combine(day, clock or default, tzinfo=LONDON).astimezone(UTC)


def utc_to_london(moment: datetime | None) -> tuple[date | None, time | None]:
    """A stored UTC moment as the UK date and time officers typed."""
    if moment is None:
        return None, None
    local = moment.astimezone(LONDON)
    return local.date(), local.time().replace(second=0, microsecond=0)


START_OF_DAY = time(0, 0)
END_OF_DAY = time(23, 59)


# --- consultation details ----------------------------------------------------------

WAYS_TO_TAKE_PART = [
    SelectChoice("for_invited_members", "Invited panel members, each with a private link"),
    SelectChoice("for_public", "Anyone with the public link"),
    SelectChoice("for_schools", "Class sessions run by teachers"),
    SelectChoice("for_sms_poll", "SMS poll: people answer by text message"),
    SelectChoice("for_paper", "Paper forms, keyed in by officers"),
]
PUBLIC_LINK_OPTIONS = [
    SelectChoice("public_needs_sign_in", "People must sign in before answering"),
    SelectChoice("public_needs_email", "People must give an email address"),
    SelectChoice("ask_public_postcode", "Ask for their postcode"),
    SelectChoice("ask_public_age_band", "Ask for their age band"),
]


class ConsultationForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(message="Enter a title"),
                    Length(max=200, message="Title must be 200 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    summary = TextAreaField(
        "Summary",
        description="One or two sentences, shown in lists of consultations and in invitations.",
        validators=[Length(max=500, message="Summary must be 500 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    body = TextAreaField(
        "Introduction",
        description="What the consultation is about and how the answers will be used. You can use Markdown: "
                    "## before a heading, * before each item of a list, [words](https://example.org) for a link.",
        validators=[Length(max=20000, message="Introduction must be 20,000 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    theme = StringField(
        "Community plan theme",
        description="For example, Transport or Parks and open spaces.",
        validators=[Length(max=80, message="Theme must be 80 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    opens_on = CalendarDateField("Opening date", description="For example, 27 3 2026. Leave blank to open it "
                                 "by hand.", noun="opening date")
    opens_time = ClockTimeField("Opening time", description="UK time, like 09:00. Leave blank to open at the "
                                "start of the day.", noun="opening time")
    closes_on = CalendarDateField("Closing date", description="Leave blank to close it by hand.",
                                  noun="closing date")
    closes_time = ClockTimeField("Closing time", description="UK time, like 17:00. Leave blank to close at the "
                                 "end of the day (23:59).", noun="closing time")
    ways = OfferedChoicesField(
        "How can people take part?", description="Select all that apply.", choices=WAYS_TO_TAKE_PART,
        validators=[InputRequired(message="Select at least one way for people to take part")],
        widget=GovCheckboxesInput(),
    )
    public_options = OfferedChoicesField(
        "For the public link", description="Only used when anyone with the public link can take part.",
        choices=PUBLIC_LINK_OPTIONS, validators=[Optional()], widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Save consultation", widget=GovSubmitInput())

    @staticmethod
    def data_for(consultation) -> dict:
        """Form data showing a consultation's current details, in UK time."""
        opens_on, opens_time = utc_to_london(consultation.opens_at)
        closes_on, closes_time = utc_to_london(consultation.closes_at)
        return {
            "title": consultation.title, "summary": consultation.summary, "body": consultation.body,
            "theme": consultation.theme, "opens_on": opens_on, "opens_time": opens_time,
            "closes_on": closes_on, "closes_time": closes_time,
            "ways": [c.value for c in WAYS_TO_TAKE_PART if getattr(consultation, c.value)],
            "public_options": [c.value for c in PUBLIC_LINK_OPTIONS if getattr(consultation, c.value)],
        }

    @staticmethod
    def data_for_new() -> dict:
        """Form data for a new consultation: the access modes the model turns on unless told otherwise."""
        columns = Consultation.__table__.columns
        return {
            "ways": [c.value for c in WAYS_TO_TAKE_PART if columns[c.value].default.arg],
            "public_options": [c.value for c in PUBLIC_LINK_OPTIONS if columns[c.value].default.arg],
        }

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for day, clock in ((self.opens_on, self.opens_time), (self.closes_on, self.closes_time)):
            if clock.data and day.data is None and not day.errors:
                day.errors.append(f"Enter the {day.noun}, or clear the {clock.noun}")
                valid = False
        return valid

    def details(self) -> dict:
        """Everything the officer set, as create_consultation and update_consultation take it."""
        chosen = set(self.ways.data or []) | set(self.public_options.data or [])
        return {
            "title": self.title.data, "summary": self.summary.data or "", "body": self.body.data or "",
            "theme": self.theme.data or "",
            "opens_at": london_to_utc(self.opens_on.data, self.opens_time.data, START_OF_DAY),
            "closes_at": london_to_utc(self.closes_on.data, self.closes_time.data, END_OF_DAY),
            **{choice.value: choice.value in chosen for choice in WAYS_TO_TAKE_PART + PUBLIC_LINK_OPTIONS},
        }


class SectionForm(FlaskForm):
    title = StringField(
        "Page heading",
        validators=[DataRequired(message="Enter a heading for the page"),
                    Length(max=200, message="Page heading must be 200 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    intro = TextAreaField(
        "Introduction (optional)",
        description="Shown above the page's questions. You can use Markdown.",
        validators=[Length(max=5000, message="Introduction must be 5,000 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    submit = SubmitField("Save page", widget=GovSubmitInput())


# --- questions ---------------------------------------------------------------------

# When each kind is the right one, shown on the kind chooser.
KIND_HINTS = {
    "single": "People pick one answer from a list.",
    "multiple": "People tick every answer that applies, optionally up to a limit.",
    "agreement": "How far people agree with a statement, on a 5-point scale.",
    "rating": "A score from 0 to 10, like how likely they are to recommend something.",
    "number": "A number, like how many people live in the household, within a range you set.",
    "short_text": "A few words, like a street name.",
    "long_text": "Comments and explanations in people's own words.",
    "ranking": "People put options in order of preference.",
    "grid": "Several statements or services, each answered on the same scale.",
    "yes_no": "A plain yes or no.",
}

# The settings each kind lets officers choose, beyond the question, help text and whether it must be answered.
KIND_SETTINGS = {
    "single": ("choices", "allow_other"),
    "multiple": ("choices", "allow_other", "max_choices"),
    "agreement": ("choices",),
    "rating": (),
    "number": ("minimum", "maximum", "whole_numbers"),
    "short_text": ("max_length",),
    "long_text": ("max_length",),
    "ranking": ("choices",),
    "grid": ("choices", "rows"),
    "yes_no": (),
}
OPTIONAL_FIELDS = {"choices", "rows", "allow_other", "max_choices", "minimum", "maximum", "whole_numbers", "max_length"}

CHOICES_LABELS = {
    "agreement": "Scale points, from most to least agreement",
    "ranking": "Options to put in order",
    "grid": "Scale: the answers offered for every row",
}
# An agreement scale always has five points, so results compare across consultations.
EXACT_CHOICES = {"agreement": 5}
MAX_LENGTH_CEILING = {"short_text": 500, "long_text": 20000}
LINES_HINT = ("One on each line. To choose the codes used in exports, put the code and a | before each one, "
              "like 1|Yes. Otherwise they are numbered 1, 2, 3.")

_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")


def parse_answer_lines(text: str, noun: str) -> list[tuple[str, str]]:
    """(code, label) pairs from one answer a line, each line either `code|label` or a plain label."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    split = [line.partition("|") for line in lines]
    coded = sum(1 for _, bar, _ in split if bar)
    if coded and coded != len(lines):
        raise ValidationError(f"Give every {noun} a code, like 1|Yes, or give none")
    if coded:
        pairs = [(code.strip(), label.strip()) for code, _, label in split]
    else:
        pairs = [(str(number), line) for number, line in enumerate(lines, start=1)]
    for code, label in pairs:
        if not label:
            raise ValidationError(f"Write the {noun} after the | on each line")
        if not _CODE.fullmatch(code):
            raise ValidationError(f"Codes use letters, numbers, - and _ only, up to 20 characters: "
                                  f"change the code ‘{code[:30]}’")
        if code.lower() == OTHER:
            raise ValidationError("The code ‘other’ is kept for the ‘Other (please say)’ box: use another code")
        if len(label) > 300:
            raise ValidationError(f"Each {noun} must be 300 characters or fewer")
    codes = [code for code, _ in pairs]
    repeated_code = next((code for code in codes if codes.count(code) > 1), None)
    if repeated_code:
        raise ValidationError(f"Each {noun} needs a different code: ‘{repeated_code}’ is used more than once")
    labels = [label.casefold() for _, label in pairs]
    repeated_label = next((label for _, label in pairs if labels.count(label.casefold()) > 1), None)
    if repeated_label:
        raise ValidationError(f"Each {noun} must be different: ‘{repeated_label}’ is listed more than once")
    return pairs


def answer_lines(pairs) -> str:
    """The textarea text for (code, label) pairs."""
    return "\n".join(f"{code}|{label}" for code, label in pairs)


def _whole_number(typed: str, low: int, high: int, message: str) -> int | None:
    raw = (typed or "").strip().replace(",", "")
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(message)
    return int(raw)


def _number(typed: str, name: str) -> int | float | None:
    raw = (typed or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a number, like 0 or 100") from None
    if not math.isfinite(value):
        raise ValidationError(f"{name} must be a number, like 0 or 100")
    return int(value) if value.is_integer() else value


def _read(field, reader):
    """Run a reader over a field, recording its complaint on the field (and giving None)."""
    try:
        return reader()
    except ValidationError as error:
        field.errors.append(str(error))
        return None


def one_of_the_choices(message: str):
    """A validator refusing values that were not offered, in plain words."""

    def check(form, field):
        if field.data not in {choice.value for choice in field.iter_choices()}:
            raise ValidationError(message)

    return check


def can_be_a_condition(question) -> bool:
    """Only answers that pick options (single, multiple, agreement, yes/no) can show or hide later questions."""
    return isinstance(KINDS[question.kind], (SingleChoice, MultipleChoice))


def condition_choices(question) -> list[tuple[str, str]]:
    """(code, label) pairs a condition on this question can pick, including 'Other' where offered."""
    pairs = [(option.code, option.label) for option in question.choices]
    return pairs + ([(OTHER, "Other (please say)")] if question.allow_other else [])


class QuestionRulesForm(FlaskForm):
    """What new and edited questions share: wording, rules, settings and the show-only-if condition."""

    text = TextAreaField(
        "Question",
        validators=[DataRequired(message="Enter the question"),
                    Length(max=1000, message="Question must be 1,000 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    help_text = TextAreaField(
        "Help text (optional)",
        description="Shown under the question, for example to explain a term or say where to find a number.",
        validators=[Length(max=1000, message="Help text must be 1,000 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextArea(),
    )
    required = BooleanField("People must answer this question", widget=GovCheckboxInput())
    sms_code = StringField(
        "Code for asking by text message (optional)",
        description="When the consultation runs as an SMS poll, only questions with a code are asked by text, in "
                    "order; if no question has one, all are. Letters and numbers, up to 10, for example PARKS.",
        validators=[Optional(), Regexp(r"^[A-Za-z0-9]{1,10}$", message="The text message code must be up to 10 "
                                                                        "letters and numbers, with no spaces")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    allow_other = BooleanField("Add an ‘Other (please say)’ answer with a box to type in", widget=GovCheckboxInput())
    choices = TextAreaField("Answers to choose from", description=LINES_HINT, filters=[strip_whitespace],
                            widget=GovTextArea())
    rows = TextAreaField("Rows", description="The statements or services people answer on the scale. " + LINES_HINT,
                         filters=[strip_whitespace], widget=GovTextArea())
    max_choices = StringField("Most answers a person can choose (optional)",
                              description="Leave blank for no limit.", filters=[strip_whitespace],
                              widget=GovTextInput())
    minimum = StringField("Smallest number allowed (optional)", filters=[strip_whitespace], widget=GovTextInput())
    maximum = StringField("Largest number allowed (optional)", filters=[strip_whitespace], widget=GovTextInput())
    whole_numbers = BooleanField("Only whole numbers", widget=GovCheckboxInput())
    max_length = StringField("Longest answer allowed, in characters (optional)", filters=[strip_whitespace],
                             widget=GovTextInput())
    show_if = OfferedChoicesField(
        "Show this question only if… (optional)",
        description="Leave every box empty to show the question to everyone. Otherwise tick the answers to one "
                    "earlier question that show it: it appears when any of them is chosen.",
        validators=[Optional()], widget=GovCheckboxesInput(),
    )

    def __init__(self, *args, kind: str, earlier_questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in OPTIONAL_FIELDS - set(KIND_SETTINGS[kind]):
            delattr(self, name)
        self.condition_questions = [q for q in earlier_questions if can_be_a_condition(q)]
        self.show_if.choices = [
            SelectChoice(f"{question.id}:{code}", label)
            for question in self.condition_questions for code, label in condition_choices(question)
        ]
        if self.max_length is not None:
            self.max_length.description = (f"Leave blank for {KINDS[kind].default_limit:,}. "
                                           f"At most {MAX_LENGTH_CEILING[kind]:,}.")
        self.new_settings: dict = {}

    def choice_count(self) -> int:
        """How many answers a person could tick, for checking a multiple-choice limit."""
        raise NotImplementedError

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        self.new_settings = self._read_settings()
        if self.show_if is not None and len({value.partition(":")[0] for value in self.show_if.data or []}) > 1:
            self.show_if.errors.append("Tick answers to one earlier question only")
        return not self.errors

    def _read_settings(self) -> dict:
        read = {}
        count = self.choice_count() if self.max_choices is not None else 0
        if count >= 2:  # with fewer, the answers themselves are wrong and say so
            read["max_choices"] = _read(self.max_choices, lambda: _whole_number(
                self.max_choices.data, 1, count, f"Enter a limit from 1 to {count}, or leave it blank for no limit"))
        if self.minimum is not None:
            read["min"] = _read(self.minimum, lambda: _number(self.minimum.data, "Smallest number"))
            read["max"] = _read(self.maximum, lambda: _number(self.maximum.data, "Largest number"))
            if read["min"] is not None and read["max"] is not None and read["max"] <= read["min"]:
                self.maximum.errors.append("Largest number must be more than the smallest number")
            read["whole_numbers"] = self.whole_numbers.data or None
        if self.max_length is not None:
            ceiling = MAX_LENGTH_CEILING[self.kind]
            read["max_length"] = _read(self.max_length, lambda: _whole_number(
                self.max_length.data, 1, ceiling,
                f"Enter a number of characters from 1 to {ceiling:,}, or leave it blank"))
        return read

    def settings(self, current: dict | None = None) -> dict:
        """The kind's settings as typed, keeping any other settings already stored."""
        settings = dict(current or {})
        for key, value in self.new_settings.items():
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        return settings

    def condition(self) -> dict | None:
        """The show-only-if rule as Question.condition stores it, or None."""
        values = self.show_if.data or []
        if not values:
            return None
        return {"question_id": int(values[0].partition(":")[0]),
                "option_codes": [value.partition(":")[2] for value in values]}

    @staticmethod
    def condition_data(condition: dict | None) -> list[str]:
        """The ticked boxes for a stored condition."""
        if not condition:
            return []
        return [f"{condition['question_id']}:{code}" for code in condition.get("option_codes", [])]

    @staticmethod
    def settings_data(settings: dict) -> dict:
        """Form data showing stored settings."""
        return {
            "max_choices": str(settings.get("max_choices", "")), "minimum": _plain(settings.get("min")),
            "maximum": _plain(settings.get("max")), "whole_numbers": bool(settings.get("whole_numbers")),
            "max_length": str(settings.get("max_length", "")),
        }


def _plain(number) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)


class NewQuestionForm(QuestionRulesForm):
    submit = SubmitField("Add question", widget=GovSubmitInput())

    def __init__(self, *args, kind: str, **kwargs):
        preset = KINDS[kind].preset_choices
        if preset and "choices" in KIND_SETTINGS[kind]:
            kwargs["data"] = {"choices": answer_lines(preset), **kwargs.get("data", {})}
        super().__init__(*args, kind=kind, **kwargs)
        if self.choices is not None:
            self.choices.label.text = CHOICES_LABELS.get(kind, self.choices.label.text)
        self.parsed_choices: list[tuple[str, str]] = []
        self.parsed_rows: list[tuple[str, str]] = []

    def choice_count(self) -> int:
        return len(self.parsed_choices) + (1 if self.allow_other is not None and self.allow_other.data else 0)

    def validate(self, extra_validators=None):
        # Read the answers first (the limit check counts them), and record complaints after field
        # validation, which starts each field's errors afresh.
        complaints = {}
        if self.choices is not None:
            complaints[self.choices] = self._read_choices()
        if self.rows is not None:
            complaints[self.rows] = self._read_rows()
        super().validate(extra_validators)
        for field, complaint in complaints.items():
            if complaint:
                field.errors.append(complaint)
        return not self.errors

    def _read_choices(self) -> str | None:
        noun = "scale point" if self.kind in ("agreement", "grid") else "answer"
        try:
            self.parsed_choices = parse_answer_lines(self.choices.data, noun)
        except ValidationError as error:
            return str(error)
        exact = EXACT_CHOICES.get(self.kind)
        if exact and len(self.parsed_choices) != exact:
            return f"An agreement scale has {exact} points: enter {exact}, one on each line"
        if len(self.parsed_choices) < 2:
            return f"Enter at least 2 {noun}s, one on each line"
        if len(self.parsed_choices) > 50:
            return f"Enter no more than 50 {noun}s"
        return None

    def _read_rows(self) -> str | None:
        try:
            self.parsed_rows = parse_answer_lines(self.rows.data, "row")
        except ValidationError as error:
            return str(error)
        if not self.parsed_rows:
            return "Enter at least one row, one on each line"
        if len(self.parsed_rows) > 50:
            return "Enter no more than 50 rows"
        return None

    def answer_items(self) -> list[tuple[str, str]]:
        """The (code, label) pairs to offer: what was typed, or the kind's fixed answers."""
        return self.parsed_choices if self.choices is not None else list(KINDS[self.kind].preset_choices)


class EditQuestionForm(QuestionRulesForm):
    """Wording, answer labels and (until responses arrive) rules; which answers are offered stays as it is."""

    submit = SubmitField("Save question", widget=GovSubmitInput())

    @classmethod
    def for_question(cls, question, *, locked: bool, earlier_questions=(), data=None):
        """The form for this question, with a wording box for each of its answers and rows."""
        boxes = {}
        for option in question.choices + question.rows:
            noun = "row" if option.role == OptionRole.ROW else "answer"
            boxes[f"label_{option.id}"] = StringField(
                f"{noun.capitalize()} with code {option.code}",
                validators=[DataRequired(message=f"Enter the wording of the {noun} with code {option.code}"),
                            Length(max=300, message=f"The {noun} with code {option.code} must be 300 characters "
                                                    f"or fewer")],
                filters=[strip_whitespace], widget=GovTextInput(),
            )
        form_class = type("EditQuestionWithAnswersForm", (cls,), boxes)
        return form_class(data=data, question=question, locked=locked, earlier_questions=earlier_questions)

    def __init__(self, *args, question, locked: bool, **kwargs):
        super().__init__(*args, kind=question.kind, **kwargs)
        self.options = question.choices + question.rows
        self.locked = locked
        self._choice_count = len(question.choices) + (1 if question.allow_other else 0)
        # Answers can be reworded; adding, removing or recoding them would change what earlier answers meant.
        removed = ["choices", "rows"] + (["required", "show_if", *OPTIONAL_FIELDS] if locked else [])
        for name in removed:
            if getattr(self, name, None) is not None:
                delattr(self, name)

    @staticmethod
    def data_for(question) -> dict:
        """Form data showing a question as it is now."""
        return {
            "text": question.text, "help_text": question.help_text, "required": question.required,
            "sms_code": question.sms_code or "",
            "allow_other": question.allow_other,
            "show_if": QuestionRulesForm.condition_data(question.condition),
            **{f"label_{option.id}": option.label for option in question.options},
            **QuestionRulesForm.settings_data(question.settings or {}),
        }

    def choice_count(self) -> int:
        return self._choice_count

    def label_fields(self) -> list:
        """The wording boxes, answers first and then rows."""
        return [self[f"label_{option.id}"] for option in self.options]

    def new_labels(self) -> dict[int, str]:
        """Option id -> the wording typed for it."""
        return {option.id: self[f"label_{option.id}"].data for option in self.options}


class KindForm(FlaskForm):
    """The kind chooser travels in the address (GET), so the question form's address says what it builds."""

    class Meta:
        csrf = False

    kind = RadioField(
        "What kind of question is it?",
        choices=[SelectChoice(key, kind.label) for key, kind in KINDS.items()], validate_choice=False,
        validators=[InputRequired(message="Select the kind of question to add"),
                    one_of_the_choices("Select the kind of question to add")],
        widget=GovRadioInput(),
    )


# --- trackers, copies and the lifecycle --------------------------------------------


class TrackerForm(FlaskForm):
    code = StringField(
        "Tracker code",
        description="A short name that stays the same in every wave, like SATISFIED_AREA. Letters, numbers and _ "
                    "only, starting with a letter.",
        validators=[DataRequired(message="Enter a tracker code"),
                    Length(max=40, message="Tracker code must be 40 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    submit = SubmitField("Make it a tracker", widget=GovSubmitInput())


class FromTrackerForm(FlaskForm):
    tracker = RadioField(
        "Which tracker question do you want to ask again?", validate_choice=False,
        validators=[InputRequired(message="Select a tracker question"),
                    one_of_the_choices("Select one of the tracker questions listed")],
        widget=GovRadioInput(),
    )
    section = SelectField(
        "Which page should it go on?", validate_choice=False,
        validators=[InputRequired(message="Select a page"), one_of_the_choices("Select one of the pages listed")],
        widget=GovSelect(),
    )
    submit = SubmitField("Add question", widget=GovSubmitInput())


class DuplicateForm(FlaskForm):
    title = StringField(
        "Title of the new consultation",
        description="The copy starts as a draft with the same pages and questions (trackers kept), "
                    "without opening or closing times.",
        validators=[DataRequired(message="Enter a title for the new consultation"),
                    Length(max=200, message="Title must be 200 characters or fewer")],
        filters=[strip_whitespace], widget=GovTextInput(),
    )
    submit = SubmitField("Copy consultation", widget=GovSubmitInput())


class StatusForm(FlaskForm):
    """The lifecycle buttons: each submits the status it moves to."""

    status = SelectField(
        "Status", choices=[SelectChoice(status.value, status.label) for status in ConsultationStatus],
        validate_choice=False,
        validators=[InputRequired(message="Choose what to do next"), one_of_the_choices("Choose what to do next")],
    )
