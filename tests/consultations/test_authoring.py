"""Officers build consultations: details, access, pages, every question kind, conditions, order, copies,
trackers, the lifecycle, locking and the phone preview, all through the pages they use."""

from datetime import UTC, datetime

import pytest

from epanel.consultations import operations
from epanel.consultations.forms import (
    KIND_HINTS,
    KIND_SETTINGS,
    PUBLIC_LINK_OPTIONS,
    WAYS_TO_TAKE_PART,
    parse_clock_time,
)
from epanel.consultations.kinds import KINDS
from epanel.consultations.models import Consultation, ConsultationStatus, Question, Tracker
from epanel.extensions import db
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit

BASE = "/officer/consultations"


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


def draft(title="Parks survey", **details):
    """A draft consultation made through the operation, with its first page."""
    return operations.create_consultation(title, None, **details)


def add(consultation, kind="yes_no", text="Do you visit a park?", *, section=None, **details):
    return operations.add_question(section or consultation.sections[-1], kind, text, **details)


def landing(page) -> str:
    """Where a redirect lands, with the part after # that scrolls to a question or page."""
    return path_of(page.location) + ("#" + page.location.split("#", 1)[1] if "#" in page.location else "")


def fresh(model, id_):
    """The row as the database has it now, not as this test's session remembers it."""
    db.session.expire_all()
    return db.session.get(model, id_)


def question_form(client, consultation, kind, data, section=None):
    section = section or consultation.sections[-1]
    return submit(client, f"{BASE}/{consultation.slug}/questions/new?section={section.id}&kind={kind}", data)


def wording(question, *labels) -> dict:
    """Form data for the answer-wording boxes of a question, in order."""
    return {f"label_{option.id}": label for option, label in zip(question.choices + question.rows, labels)}


def only(items):
    assert len(items) == 1, items
    return items[0]


def details(**changes):
    data = {
        "title": "Parks survey", "summary": "Tell us about parks", "body": "", "theme": "Parks",
        "opens_on": ["", "", ""], "opens_time": "", "closes_on": ["", "", ""], "closes_time": "",
        "ways": ["for_invited_members"], "public_options": [],
    }
    data.update(changes)
    return data


# --- details, times and access ------------------------------------------------------


def test_an_officer_creates_a_consultation_with_uk_times_and_access_modes(client, officer):
    page = submit(client, f"{BASE}/new", details(
        title="Summer play schemes", body="## Why\nWe want *your* views.",
        opens_on=["1", "7", "2026"], opens_time="9:30am", closes_on=["5", "1", "2027"], closes_time="",
        ways=["for_invited_members", "for_public", "for_sms_poll"], public_options=["public_needs_email"],
    ))

    consultation = db.session.scalar(db.select(Consultation))
    assert path_of(page.location) == f"{BASE}/{consultation.slug}"
    # 9:30am in July is British Summer Time (UTC+1); a January day ends at 23:59 GMT.
    assert consultation.opens_at == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert consultation.closes_at == datetime(2027, 1, 5, 23, 59, tzinfo=UTC)
    assert consultation.status == ConsultationStatus.DRAFT
    assert (consultation.for_invited_members, consultation.for_public, consultation.for_sms_poll,
            consultation.for_paper, consultation.public_needs_email, consultation.ask_public_postcode) == (
        True, True, True, False, True, False)
    overview = get(client, page.location)
    assert overview.heading == "Summer play schemes"
    assert "1 July 2026 at 9:30am" in overview.text
    assert "5 January 2027 at 11:59pm" in overview.text
    assert overview.soup.select_one(".epanel-prose h2").get_text() == "Why"
    assert overview.soup.select_one("main .govuk-tag").get_text(strip=True) == "Draft"


def test_the_edit_form_shows_times_back_in_uk_time_and_saves_changes(client, officer):
    consultation = draft(opens_at=datetime(2026, 7, 1, 8, 30, tzinfo=UTC), for_paper=False)

    form = get(client, f"{BASE}/{consultation.slug}/edit")
    assert form.soup.find("input", attrs={"name": "opens_time"})["value"] == "09:30"
    assert [box["value"] for box in form.soup.find_all("input", attrs={"name": "opens_on"})] == ["01", "07", "2026"]
    assert form.soup.find("input", attrs={"value": "for_paper"}).get("checked") is None

    saved = submit(client, f"{BASE}/{consultation.slug}/edit", details(
        title="Parks survey 2026", opens_on=["1", "7", "2026"], opens_time="17.15", ways=["for_paper"]))

    assert path_of(saved.location) == f"{BASE}/{consultation.slug}"
    consultation = fresh(Consultation, consultation.id)
    assert consultation.title == "Parks survey 2026"
    assert consultation.opens_at == datetime(2026, 7, 1, 16, 15, tzinfo=UTC)
    assert (consultation.for_paper, consultation.for_invited_members) == (True, False)


def test_bad_details_are_refused_with_messages_and_kept_as_typed(client, officer):
    page = submit(client, f"{BASE}/new", details(
        title="", opens_on=["31", "2", "2026"], opens_time="25:00", closes_on=["", "", ""], closes_time="5pm",
        ways=[], summary="Kept summary",
    ))

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Enter a title",
        "Opening date must be a real date, like 27 3 " + str(datetime.now().year + 1),
        "Enter the opening time as hours and minutes on the 24-hour clock, like 09:00 or 17:30",
        "Enter the closing date, or clear the closing time",
        "Select at least one way for people to take part",
    ]
    assert page.soup.find("input", attrs={"name": "opens_time"})["value"] == "25:00"
    assert page.soup.find("input", attrs={"name": "opens_on"})["value"] == "31"
    assert page.soup.find("textarea", attrs={"name": "summary"}).get_text() == "Kept summary"
    assert db.session.scalar(db.select(Consultation)) is None


def test_a_closing_time_before_the_opening_time_is_refused_on_the_closing_date(client, officer):
    page = submit(client, f"{BASE}/new", details(
        opens_on=["2", "3", "2026"], closes_on=["1", "3", "2026"]))

    assert page.error_summary == ["The closing time must be after the opening time"]
    assert page.soup.select_one(".govuk-error-summary a")["href"] == "#closes_on"


def test_every_question_kind_has_a_hint_and_its_settings_on_the_form():
    assert set(KIND_HINTS) == set(KINDS) == set(KIND_SETTINGS)


def test_every_access_mode_has_a_checkbox():
    assert {choice.value for choice in WAYS_TO_TAKE_PART + PUBLIC_LINK_OPTIONS} == set(operations.ACCESS_FIELDS)


@pytest.mark.parametrize("typed, expected", [
    ("09:00", (9, 0)), ("9:00", (9, 0)), ("17.30", (17, 30)), ("9am", (9, 0)), ("5:30 pm", (17, 30)),
    ("12am", (0, 0)), ("12pm", (12, 0)), ("noon", (12, 0)), ("midnight", (0, 0)), ("7", (7, 0)),
])
def test_times_are_read_the_way_people_type_them(typed, expected):
    parsed = parse_clock_time(typed)
    assert (parsed.hour, parsed.minute) == expected


@pytest.mark.parametrize("typed", ["24:00", "9:60", "13pm", "0am", "half nine", "9:5"])
def test_impossible_times_are_refused(typed):
    with pytest.raises(ValueError):
        parse_clock_time(typed)


def test_the_list_shows_each_consultation_with_its_status(client, officer):
    draft("Library hours")
    opened = draft("Bus routes")
    add(opened)
    operations.move_to(opened, ConsultationStatus.OPEN)

    page = get(client, BASE)

    rows = [[cell.get_text(" ", strip=True) for cell in row.select("th, td")]
            for row in page.soup.select("tbody tr")]
    assert [row[:2] for row in rows] == [["Bus routes", "Open"], ["Library hours", "Draft"]]


# --- pages --------------------------------------------------------------------------


def test_a_page_is_added_and_edited_and_its_markdown_is_sanitised(client, officer):
    consultation = draft()

    added = submit(client, f"{BASE}/{consultation.slug}/sections/new", {
        "title": "Getting there", "intro": "**Please** read <script>alert(1)</script> [this](javascript:alert(1))"})
    section = fresh(Consultation, consultation.id).sections[-1]
    edited = submit(client, f"{BASE}/{consultation.slug}/sections/{section.id}/edit", {
        "title": "Travel", "intro": section.intro})

    assert path_of(added.location) == f"{BASE}/{consultation.slug}"
    assert landing(edited) == f"{BASE}/{consultation.slug}#section-{section.id}"
    overview = get(client, f"{BASE}/{consultation.slug}")
    headings = [h.get_text(" ", strip=True) for h in overview.soup.select("h3.govuk-heading-m")]
    assert headings == ["Page 1: Your views", "Page 2: Travel"]
    prose = overview.soup.select(".epanel-prose")[-1]
    assert prose.strong.get_text() == "Please"
    assert prose.find("script") is None and not prose.select("a[href^=javascript]")
    assert "<script>alert(1)</script>" in prose.get_text()


def test_a_page_without_a_heading_is_refused(client, officer):
    consultation = draft()

    page = submit(client, f"{BASE}/{consultation.slug}/sections/new", {"title": " ", "intro": "Kept"})

    assert page.error_summary == ["Enter a heading for the page"]
    assert page.soup.find("textarea", attrs={"name": "intro"}).get_text() == "Kept"


# --- questions of every kind ----------------------------------------------------------


def test_adding_a_question_starts_by_choosing_its_kind(client, officer):
    consultation = draft()
    section = consultation.sections[0]

    chooser = get(client, f"{BASE}/{consultation.slug}/questions/new?section={section.id}")
    unchosen = get(client, f"{BASE}/{consultation.slug}/questions/new?section={section.id}&chosen=yes")
    chosen = get(client, f"{BASE}/{consultation.slug}/questions/new?section={section.id}&chosen=yes&kind=ranking")

    labels = [label.get_text(strip=True) for label in chooser.soup.select(".govuk-radios__label")]
    assert len(labels) == 10 and labels[0] == "Single choice" and "Grid (rows on one scale)" in labels
    assert unchosen.title.startswith("Error:")
    assert unchosen.error_summary == ["Select the kind of question to add"]
    assert chosen.heading == "Add a question: ranking"
    assert chosen.soup.find("textarea", attrs={"name": "choices"}) is not None


KIND_CASES = [
    ("single", {"choices": "Every day\nEvery week\nLess often", "allow_other": "y"},
     {"choices": [("1", "Every day"), ("2", "Every week"), ("3", "Less often")], "allow_other": True,
      "settings": {}}),
    ("multiple", {"choices": "W|Walking\nS|Sport\nP|Play", "max_choices": "2", "allow_other": "y"},
     {"choices": [("W", "Walking"), ("S", "Sport"), ("P", "Play")], "allow_other": True,
      "settings": {"max_choices": 2}}),
    ("agreement", {"choices": "5|Strongly support\n4|Support\n3|Neutral\n2|Oppose\n1|Strongly oppose"},
     {"choices": [("5", "Strongly support"), ("4", "Support"), ("3", "Neutral"), ("2", "Oppose"),
                  ("1", "Strongly oppose")], "settings": {}}),
    ("rating", {}, {"choices": [], "settings": {}}),
    ("number", {"minimum": "0", "maximum": "12.5", "whole_numbers": "y"},
     {"choices": [], "settings": {"min": 0, "max": 12.5, "whole_numbers": True}}),
    ("short_text", {"max_length": "80"}, {"choices": [], "settings": {"max_length": 80}}),
    ("long_text", {"max_length": "2,000"}, {"choices": [], "settings": {"max_length": 2000}}),
    ("ranking", {"choices": "Toilets\nLighting\nBenches"},
     {"choices": [("1", "Toilets"), ("2", "Lighting"), ("3", "Benches")], "settings": {}}),
    ("grid", {"choices": "1|Good\n2|Poor", "rows": "Cleanliness\nSafety"},
     {"choices": [("1", "Good"), ("2", "Poor")], "rows": [("1", "Cleanliness"), ("2", "Safety")], "settings": {}}),
    ("yes_no", {}, {"choices": [("1", "Yes"), ("2", "No")], "settings": {}}),
]


@pytest.mark.parametrize("kind, fields, expected", KIND_CASES, ids=[case[0] for case in KIND_CASES])
def test_each_kind_of_question_is_added_with_its_settings(client, officer, kind, fields, expected):
    consultation = draft()

    page = question_form(client, consultation, kind, {
        "text": f"A {kind} question", "help_text": "Some help", "required": "y", **fields})

    question = only(db.session.scalars(db.select(Question)).all())
    assert landing(page) == f"{BASE}/{consultation.slug}#question-{question.id}", page.error_summary
    assert (question.kind, question.text, question.help_text, question.required, question.code) == (
        kind, f"A {kind} question", "Some help", True, "Q1")
    assert [(o.code, o.label) for o in question.choices] == expected["choices"]
    assert [(o.code, o.label) for o in question.rows] == expected.get("rows", [])
    assert question.allow_other == expected.get("allow_other", False)
    assert question.settings == expected["settings"]
    card = get(client, f"{BASE}/{consultation.slug}").soup.select_one(f"#question-{question.id}")
    assert card.h4.get_text(strip=True) == f"1. A {kind} question"


def test_fixed_answers_are_shown_on_the_form_for_yes_or_no(client, officer):
    consultation = draft()

    form = get(client, f"{BASE}/{consultation.slug}/questions/new?section={consultation.sections[0].id}&kind=yes_no")

    assert form.soup.find("textarea", attrs={"name": "choices"}) is None
    assert "Yes (1)" in form.text and "No (2)" in form.text


def test_an_agreement_scale_starts_with_the_standard_five_points(client, officer):
    consultation = draft()

    form = get(client, f"{BASE}/{consultation.slug}/questions/new?section={consultation.sections[0].id}"
                       "&kind=agreement")

    assert form.soup.find("textarea", attrs={"name": "choices"}).get_text().splitlines() == [
        "5|Strongly agree", "4|Agree", "3|Neither agree nor disagree", "2|Disagree", "1|Strongly disagree"]


@pytest.mark.parametrize("kind, fields, message", [
    ("single", {"choices": "Only one"}, "Enter at least 2 answers, one on each line"),
    ("single", {"choices": "1|Yes\nNo"}, "Give every answer a code, like 1|Yes, or give none"),
    ("single", {"choices": "1|Yes\n1|No"}, "Each answer needs a different code: ‘1’ is used more than once"),
    ("single", {"choices": "Yes\nyes"}, "Each answer must be different: ‘Yes’ is listed more than once"),
    ("single", {"choices": "other|Something\n2|No"},
     "The code ‘other’ is kept for the ‘Other (please say)’ box: use another code"),
    ("single", {"choices": "a b|Yes\n2|No"},
     "Codes use letters, numbers, - and _ only, up to 20 characters: change the code ‘a b’"),
    ("multiple", {"choices": "A\nB\nC", "max_choices": "4"},
     "Enter a limit from 1 to 3, or leave it blank for no limit"),
    ("agreement", {"choices": "Agree\nDisagree"}, "An agreement scale has 5 points: enter 5, one on each line"),
    ("number", {"minimum": "ten"}, "Smallest number must be a number, like 0 or 100"),
    ("number", {"minimum": "10", "maximum": "5"}, "Largest number must be more than the smallest number"),
    ("short_text", {"max_length": "600"}, "Enter a number of characters from 1 to 500, or leave it blank"),
    ("grid", {"choices": "Good\nPoor", "rows": ""}, "Enter at least one row, one on each line"),
])
def test_bad_question_settings_are_refused_with_a_message_and_kept(client, officer, kind, fields, message):
    consultation = draft()

    page = question_form(client, consultation, kind, {"text": "Kept question", **fields})

    assert page.title.startswith("Error:")
    assert page.error_summary == [message]
    assert page.soup.find("textarea", attrs={"name": "text"}).get_text() == "Kept question"
    for name, typed in fields.items():
        box = page.soup.find(attrs={"name": name})
        assert (box.get_text() if box.name == "textarea" else box["value"]) == typed
    assert db.session.scalar(db.select(Question)) is None


def test_a_question_needs_its_text(client, officer):
    consultation = draft()

    page = question_form(client, consultation, "short_text", {"text": "", "help_text": "Kept help"})

    assert page.error_summary == ["Enter the question"]
    assert page.soup.find("textarea", attrs={"name": "help_text"}).get_text() == "Kept help"


# --- conditions -----------------------------------------------------------------------


def test_a_condition_offers_only_earlier_questions_that_pick_answers(client, officer):
    consultation = draft()
    drives = add(consultation, "yes_no", "Do you drive?")
    add(consultation, "short_text", "Which street?")
    mode = add(consultation, "single", "How do you travel?", choices=["Bus", "Bike"], allow_other=True)

    form = get(client, f"{BASE}/{consultation.slug}/questions/new?section={consultation.sections[0].id}&kind=single")

    offered = [box["value"] for box in form.soup.find_all("input", attrs={"name": "show_if"})]
    assert offered == [f"{drives.id}:1", f"{drives.id}:2", f"{mode.id}:1", f"{mode.id}:2", f"{mode.id}:other"]
    legends = [legend.get_text(" ", strip=True) for legend in form.soup.select("legend")]
    assert "Show it if the answer to question 1 (Do you drive?) is" in legends


def test_a_question_shown_only_after_certain_answers(client, officer):
    consultation = draft()
    drives = add(consultation, "yes_no", "Do you drive?")

    page = question_form(client, consultation, "long_text", {"text": "Where do you park?",
                                                              "show_if": [f"{drives.id}:1"]})

    parking = db.session.scalar(db.select(Question).where(Question.text == "Where do you park?"))
    assert page.status == 302, page.error_summary
    assert parking.condition == {"question_id": drives.id, "option_codes": ["1"]}
    card = get(client, f"{BASE}/{consultation.slug}").soup.select_one(f"#question-{parking.id}")
    assert "Shown only if question 1 (Q1) is ‘Yes’" in card.get_text(" ", strip=True)


def test_a_condition_on_two_questions_at_once_is_refused(client, officer):
    consultation = draft()
    first = add(consultation, "yes_no", "Do you drive?")
    second = add(consultation, "yes_no", "Do you cycle?")

    page = question_form(client, consultation, "short_text", {
        "text": "Why?", "show_if": [f"{first.id}:1", f"{second.id}:1"]})

    assert page.error_summary == ["Tick answers to one earlier question only"]
    assert {box["value"] for box in page.soup.select("input[name=show_if][checked]")} == {
        f"{first.id}:1", f"{second.id}:1"}


def test_a_question_cannot_depend_on_a_later_one(client, officer):
    consultation = draft()
    first = add(consultation, "yes_no", "Do you drive?")
    later = add(consultation, "yes_no", "Do you cycle?")

    page = submit(client, f"{BASE}/{consultation.slug}/questions/{first.id}/edit", {
        "text": first.text, **wording(first, "Yes", "No"), "show_if": [f"{later.id}:1"]})

    assert page.error_summary == ["Choose from the options listed"]
    assert fresh(Question, first.id).condition is None


# --- editing, order, copies and deletion ------------------------------------------------


def test_editing_a_question_changes_its_wording_rules_and_answer_labels(client, officer):
    consultation = draft()
    drives = add(consultation, "yes_no", "Do you drive?")
    how = add(consultation, "multiple", "How do you get about?", choices=["Bus", "Bike", "Car"])

    form = get(client, f"{BASE}/{consultation.slug}/questions/{how.id}/edit")
    assert [box["value"] for box in form.soup.select("input[name^=label_]")] == ["Bus", "Bike", "Car"]

    page = submit(client, f"{BASE}/{consultation.slug}/questions/{how.id}/edit", {
        "text": "How do you usually get about?", "help_text": "Think of last week", "required": "y",
        **wording(how, "Bus or tram", "Bike", "Car"), "max_choices": "2",
        "show_if": [f"{drives.id}:2"],
    })

    assert landing(page) == f"{BASE}/{consultation.slug}#question-{how.id}", page.error_summary
    how = fresh(Question, how.id)
    assert (how.text, how.help_text, how.required, how.settings) == (
        "How do you usually get about?", "Think of last week", True, {"max_choices": 2})
    assert [o.label for o in how.choices] == ["Bus or tram", "Bike", "Car"]
    assert how.condition == {"question_id": drives.id, "option_codes": ["2"]}


def test_an_answer_label_cannot_be_emptied(client, officer):
    consultation = draft()
    question = add(consultation, "yes_no")

    page = submit(client, f"{BASE}/{consultation.slug}/questions/{question.id}/edit", {
        "text": question.text, **wording(question, "", "No")})

    assert page.error_summary == ["Enter the wording of the answer with code 1"]


def test_questions_move_up_and_down(client, officer):
    consultation = draft()
    first, second, third = (add(consultation, "yes_no", text) for text in ("First?", "Second?", "Third?"))
    overview = f"{BASE}/{consultation.slug}"

    moved = submit(client, f"{overview}/questions/{third.id}/move-up", {}, form_page=overview)
    submit(client, f"{overview}/questions/{first.id}/move-down", {}, form_page=overview)

    assert landing(moved) == f"{overview}#question-{third.id}"
    page = get(client, overview)
    assert [card.h4.get_text(strip=True) for card in page.soup.select(".govuk-summary-card")] == [
        "1. Third?", "2. First?", "3. Second?"]
    assert "Question Q1 moved down" in page.banners
    first_card, last_card = page.soup.select(".govuk-summary-card")[0], page.soup.select(".govuk-summary-card")[-1]
    assert "Move up" not in first_card.get_text() and "Move down" not in last_card.get_text()


def test_a_question_is_duplicated_with_its_answers(client, officer):
    consultation = draft()
    original = add(consultation, "single", "Which park?", choices=[("N", "North"), ("S", "South")], required=True)
    overview = f"{BASE}/{consultation.slug}"

    page = submit(client, f"{overview}/questions/{original.id}/duplicate", {}, form_page=overview)

    copy = db.session.scalar(db.select(Question).where(Question.id != original.id))
    assert landing(page) == f"{overview}#question-{copy.id}"
    assert (copy.text, copy.code, copy.required) == ("Which park?", "Q2", True)
    assert [(o.code, o.label) for o in copy.choices] == [("N", "North"), ("S", "South")]
    assert "Question Q1 copied as Q2" in get(client, overview).banners


def test_a_question_added_to_an_earlier_page_is_numbered_before_later_pages(client, officer):
    consultation = draft()
    operations.add_section(consultation, "Second page")
    add(consultation, "yes_no", "On page two?", section=consultation.sections[1])

    question_form(client, consultation, "yes_no", {"text": "On page one?"}, section=consultation.sections[0])

    titles = [card.h4.get_text(strip=True) for card in get(client, f"{BASE}/{consultation.slug}").soup.select(
        ".govuk-summary-card")]
    assert titles == ["1. On page one?", "2. On page two?"]


def test_a_duplicated_question_comes_just_after_the_original(client, officer):
    consultation = draft()
    first = add(consultation, "yes_no", "First?")
    add(consultation, "yes_no", "Second?")
    overview = f"{BASE}/{consultation.slug}"

    submit(client, f"{overview}/questions/{first.id}/duplicate", {}, form_page=overview)

    titles = [card.h4.get_text(strip=True) for card in get(client, overview).soup.select(".govuk-summary-card")]
    assert titles == ["1. First?", "2. First?", "3. Second?"]


def test_deleting_a_question_asks_first(client, officer):
    consultation = draft()
    question = add(consultation, "yes_no", "Delete me?")
    url = f"{BASE}/{consultation.slug}/questions/{question.id}/delete"

    confirm = get(client, url)
    deleted = submit(client, url, {})

    assert confirm.heading == "Are you sure you want to delete question 1?"
    assert path_of(deleted.location) == f"{BASE}/{consultation.slug}"
    assert db.session.scalar(db.select(Question)) is None


def test_a_question_another_depends_on_cannot_be_deleted(client, officer):
    consultation = draft()
    drives = add(consultation, "yes_no", "Do you drive?")
    add(consultation, "short_text", "Where do you park?",
        condition={"question_id": drives.id, "option_codes": ["1"]})
    url = f"{BASE}/{consultation.slug}/questions/{drives.id}/delete"

    submit(client, url, {})

    assert fresh(Question, drives.id) is not None
    assert "Another question depends on this one. Change that question first." in get(
        client, f"{BASE}/{consultation.slug}").banners


def two_pages(consultation):
    """Page one (from draft) holding "First?", and page two holding "Second?" and "Third?"."""
    operations.add_section(consultation, "Second page")
    add(consultation, "yes_no", "First?", section=consultation.sections[0])
    add(consultation, "yes_no", "Second?", section=consultation.sections[1])
    add(consultation, "yes_no", "Third?", section=consultation.sections[1])
    return consultation.sections[0], consultation.sections[1]


def overview_pages(page) -> list[tuple[str, list[str]]]:
    """Each page heading on the officer's overview with the numbered questions under it."""
    found = []
    for heading in page.soup.select("h3[id^=section-]"):
        cards = []
        for sibling in heading.find_next_siblings():
            if sibling.name == "h3":
                break
            cards += [card.h4.get_text(strip=True) for card in ([sibling] if "govuk-summary-card" in (
                sibling.get("class") or []) else sibling.select(".govuk-summary-card"))]
        found.append((heading.get_text(strip=True), cards))
    return found


def test_pages_move_up_and_down_with_their_questions(client, officer):
    consultation = draft()
    first_page, second_page = two_pages(consultation)
    overview = f"{BASE}/{consultation.slug}"

    moved = submit(client, f"{overview}/sections/{second_page.id}/move-up", {}, form_page=overview)

    assert landing(moved) == f"{overview}#section-{second_page.id}"
    page = get(client, overview)
    assert overview_pages(page) == [
        ("Page 1: Second page", ["1. Second?", "2. Third?"]),
        ("Page 2: Your views", ["3. First?"]),
    ]
    assert "Page Second page moved up" in page.banners
    submit(client, f"{overview}/sections/{second_page.id}/move-down", {}, form_page=overview)
    assert [title for title, _ in overview_pages(get(client, overview))] == ["Page 1: Your views",
                                                                            "Page 2: Second page"]


def test_a_page_cannot_move_above_the_question_it_depends_on(client, officer):
    consultation = draft()
    first_page, second_page = two_pages(consultation)
    first = first_page.questions[0]
    add(consultation, "short_text", "Why?", section=second_page,
        condition={"question_id": first.id, "option_codes": ["1"]})
    overview = f"{BASE}/{consultation.slug}"

    submit(client, f"{overview}/sections/{second_page.id}/move-up", {}, form_page=overview)

    page = get(client, overview)
    assert [title for title, _ in overview_pages(page)][0] == "Page 1: Your views"
    assert ("A question on one of these pages depends on a question on the other, so the pages cannot swap. "
            "Change that question's condition first.") in page.banners


def test_deleting_a_page_asks_first_and_takes_its_questions(client, officer):
    consultation = draft()
    first_page, second_page = two_pages(consultation)
    url = f"{BASE}/{consultation.slug}/sections/{second_page.id}/delete"

    confirm = get(client, url)
    deleted = submit(client, url, {})

    assert confirm.heading == "Are you sure you want to delete page 2?"
    assert "2. Second?" in confirm.text and "3. Third?" in confirm.text
    assert path_of(deleted.location) == f"{BASE}/{consultation.slug}"
    page = get(client, f"{BASE}/{consultation.slug}")
    assert overview_pages(page) == [("Page 1: Your views", ["1. First?"])]
    assert "Page Second page deleted, with 2 questions" in page.banners


def test_the_only_page_and_a_page_others_depend_on_are_not_deleted(client, officer):
    consultation = draft()
    overview = f"{BASE}/{consultation.slug}"
    submit(client, f"{overview}/sections/{consultation.sections[0].id}/delete", {})
    assert "A consultation needs at least one page. Add another page before deleting this one." in get(
        client, overview).banners

    first_page, second_page = two_pages(consultation)
    first = first_page.questions[0]
    add(consultation, "short_text", "Why?", section=second_page,
        condition={"question_id": first.id, "option_codes": ["1"]})
    submit(client, f"{overview}/sections/{first_page.id}/delete", {})

    page = get(client, overview)
    assert len(overview_pages(page)) == 2
    assert any(banner.startswith("Question Q4 on another page depends on a question on this page")
               for banner in page.banners)


def test_pages_cannot_be_moved_or_deleted_once_responses_arrive(client, officer):
    consultation = draft()
    first_page, second_page = two_pages(consultation)
    operations.lock_structure(consultation)
    db.session.commit()
    overview = f"{BASE}/{consultation.slug}"

    assert "Move page up" not in get(client, overview).text
    submit(client, f"{overview}/sections/{second_page.id}/move-up", {}, form_page=overview)
    assert any(banner.startswith("Responses have arrived") for banner in get(client, overview).banners)
    submit(client, f"{overview}/sections/{second_page.id}/delete", {})

    page = get(client, overview)
    assert [title for title, _ in overview_pages(page)] == ["Page 1: Your views", "Page 2: Second page"]
    assert any(banner.startswith("Responses have arrived") for banner in page.banners)


def test_a_copy_for_the_next_wave_keeps_conditions_pointing_at_its_own_questions(client, officer):
    consultation = draft("Residents survey 2026")
    drives = add(consultation, "yes_no", "Do you drive?")
    add(consultation, "short_text", "Where do you park?",
        condition={"question_id": drives.id, "option_codes": ["1"]})

    form = get(client, f"{BASE}/{consultation.slug}/duplicate")
    page = submit(client, f"{BASE}/{consultation.slug}/duplicate", {"title": "Residents survey 2027"})

    assert form.soup.find("input", attrs={"name": "title"})["value"] == "Residents survey 2026 (copy)"
    copy = db.session.scalar(db.select(Consultation).where(Consultation.title == "Residents survey 2027"))
    assert path_of(page.location) == f"{BASE}/{copy.slug}"
    copied_drives, copied_parking = sorted(copy.questions, key=lambda q: q.position)
    assert copied_drives.id != drives.id
    assert copied_parking.condition == {"question_id": copied_drives.id, "option_codes": ["1"]}
    assert (copy.status, copy.opens_at, copy.copied_from_id) == (ConsultationStatus.DRAFT, None, consultation.id)


def test_a_copy_needs_a_title(client, officer):
    consultation = draft()

    page = submit(client, f"{BASE}/{consultation.slug}/duplicate", {"title": ""})

    assert page.error_summary == ["Enter a title for the new consultation"]


# --- trackers ---------------------------------------------------------------------------


def test_a_tracker_is_made_and_asked_again_in_a_later_wave(client, officer):
    first_wave = draft("Wave 1")
    question = add(first_wave, "agreement", "My area is a good place to live", help_text="Think of the last year")
    second_wave = draft("Wave 2")
    add(second_wave, "yes_no", "Have you moved recently?")

    made = submit(client, f"{BASE}/{first_wave.slug}/questions/{question.id}/tracker", {"code": "good_place"})
    url = f"{BASE}/{second_wave.slug}/questions/from-tracker?section={second_wave.sections[0].id}"
    chooser = get(client, url)
    tracker = db.session.scalar(db.select(Tracker))
    reused = submit(client, url, {"tracker": str(tracker.id), "section": str(second_wave.sections[0].id)})

    assert landing(made) == f"{BASE}/{first_wave.slug}#question-{question.id}"
    assert tracker.code == "GOOD_PLACE"
    assert "GOOD_PLACE: My area is a good place to live" in chooser.text
    asked_again = db.session.scalar(db.select(Question).where(Question.consultation_id == second_wave.id,
                                                              Question.tracker_id == tracker.id))
    assert landing(reused) == f"{BASE}/{second_wave.slug}#question-{asked_again.id}"
    assert (asked_again.kind, asked_again.text, asked_again.help_text, asked_again.code) == (
        "agreement", "My area is a good place to live", "Think of the last year", "Q2")
    assert [o.code for o in asked_again.choices] == ["5", "4", "3", "2", "1"]
    card = get(client, f"{BASE}/{second_wave.slug}").soup.select_one(f"#question-{asked_again.id}")
    assert "Tracker GOOD_PLACE" in card.get_text(" ", strip=True)


def test_tracker_codes_are_checked(client, officer):
    consultation = draft()
    first, second = add(consultation, text="First?"), add(consultation, text="Second?")
    operations.make_tracker(first, "VISITS")

    bad = submit(client, f"{BASE}/{consultation.slug}/questions/{second.id}/tracker", {"code": "9 lives"})
    taken = submit(client, f"{BASE}/{consultation.slug}/questions/{second.id}/tracker", {"code": "visits"})

    assert bad.error_summary == ["A tracker code starts with a letter and uses letters, digits and _ only"]
    assert bad.soup.find("input", attrs={"name": "code"})["value"] == "9 lives"
    assert taken.error_summary == ["There is already a tracker called VISITS"]


def test_a_tracker_already_asked_in_a_consultation_is_not_offered_again(client, officer):
    consultation = draft()
    operations.make_tracker(add(consultation, text="Asked here?"), "ASKED_HERE")
    elsewhere = draft("Elsewhere")
    operations.make_tracker(add(elsewhere, text="Asked elsewhere?"), "ELSEWHERE")

    page = get(client, f"{BASE}/{consultation.slug}/questions/from-tracker")

    offered = [label.get_text(strip=True) for label in page.soup.select(".govuk-radios__label")]
    assert offered == ["ELSEWHERE: Asked elsewhere?"]


# --- lifecycle ----------------------------------------------------------------------------


def status_buttons(page) -> list[str]:
    return [button.get_text(strip=True) for button in page.soup.select("button[name=status]")]


def change_status(client, consultation, status):
    overview = f"{BASE}/{consultation.slug}"
    return submit(client, f"{overview}/status", {"status": status}, form_page=overview)


def test_the_lifecycle_buttons_offer_only_the_allowed_next_steps(client, officer):
    consultation = draft(closes_at=datetime(2030, 1, 1, tzinfo=UTC))
    add(consultation)
    overview = f"{BASE}/{consultation.slug}"

    assert status_buttons(get(client, overview)) == ["Schedule it to open on time", "Open now"]
    change_status(client, consultation, "open")
    opened = get(client, overview)
    assert status_buttons(opened) == ["Close now"]
    assert "Parks survey is now open" in opened.banners
    change_status(client, consultation, "closed")
    assert status_buttons(get(client, overview)) == ["Open again now", "Publish results"]
    change_status(client, consultation, "published")
    assert status_buttons(get(client, overview)) == []
    assert fresh(Consultation, consultation.id).status == ConsultationStatus.PUBLISHED


def test_a_consultation_without_questions_cannot_open(client, officer):
    consultation = draft()

    page = change_status(client, consultation, "open")

    assert page.title.startswith("Error:")
    assert page.error_summary == ["Add at least one question first"]
    assert page.soup.select_one(".govuk-error-summary a")["href"] == "#status"
    assert fresh(Consultation, consultation.id).status == ConsultationStatus.DRAFT


def test_scheduling_needs_an_opening_time(client, officer):
    consultation = draft()
    add(consultation)

    page = change_status(client, consultation, "scheduled")

    assert page.error_summary == ["Set an opening time to schedule it"]


def test_a_move_the_lifecycle_does_not_allow_is_explained(client, officer):
    consultation = draft()
    add(consultation)
    operations.move_to(consultation, ConsultationStatus.OPEN)

    page = change_status(client, consultation, "draft")

    assert page.error_summary == ["A consultation that is open cannot become draft"]


def test_an_unknown_status_is_refused(client, officer):
    consultation = draft()

    page = change_status(client, consultation, "deleted")

    assert page.error_summary == ["Choose what to do next"]


# --- locking --------------------------------------------------------------------------------


def lock(consultation):
    operations.lock_structure(consultation)
    db.session.commit()


def test_a_locked_consultation_shows_why_and_hides_structural_controls(client, officer):
    consultation = draft()
    add(consultation)
    lock(consultation)

    page = get(client, f"{BASE}/{consultation.slug}")

    assert "Responses have arrived" in page.text
    for control in ("Move up", "Move down", "Duplicate", "Delete", "Add a question", "Add a page"):
        assert control not in page.text
    assert "Edit" in page.soup.select_one(".govuk-summary-card__actions").get_text()


def test_a_locked_consultation_refuses_structure_changes(client, officer):
    consultation = draft()
    question = add(consultation, "single", "Which park?", choices=["North", "South"])
    lock(consultation)
    overview = f"{BASE}/{consultation.slug}"

    copied = submit(client, f"{overview}/questions/{question.id}/duplicate", {}, form_page=overview)
    after_copying = get(client, overview)
    added = question_form(client, consultation, "yes_no", {"text": "New?"})
    paged = submit(client, f"{overview}/sections/new", {"title": "More"})

    assert landing(copied) == f"{overview}#question-{question.id}"
    assert after_copying.banners[0].startswith("Responses have arrived")
    assert added.error_summary[0].startswith("Responses have arrived")
    assert paged.error_summary[0].startswith("Responses have arrived")
    assert len(fresh(Consultation, consultation.id).questions) == 1
    assert len(fresh(Consultation, consultation.id).sections) == 1


def test_a_locked_question_still_takes_wording_fixes(client, officer):
    consultation = draft()
    question = add(consultation, "single", "Which prak?", choices=["Nroth", "South"], required=True)
    lock(consultation)
    url = f"{BASE}/{consultation.slug}/questions/{question.id}/edit"

    form = get(client, url)
    page = submit(client, url, {"text": "Which park?", "help_text": "", **wording(question, "North", "South"),
                                "required": ""})

    assert form.soup.find(attrs={"name": "required"}) is None
    assert form.soup.find(attrs={"name": "show_if"}) is None
    assert page.status == 302, page.error_summary
    question = fresh(Question, question.id)
    assert (question.text, [o.label for o in question.choices], question.required) == (
        "Which park?", ["North", "South"], True)


def test_a_question_gets_a_text_message_code_even_after_it_is_locked(client, officer):
    consultation = draft()
    question = add(consultation, "yes_no", "Should the park open later?")
    add(consultation, "yes_no", "Do you visit the park?", sms_code="VISIT")
    lock(consultation)
    url = f"{BASE}/{consultation.slug}/questions/{question.id}/edit"
    labels = wording(question, "Yes", "No")

    clash = submit(client, url, {"text": question.text, "help_text": "", "sms_code": "visit", **labels})
    bad = submit(client, url, {"text": question.text, "help_text": "", "sms_code": "LATE OPENING", **labels})
    saved = submit(client, url, {"text": question.text, "help_text": "", "sms_code": "late", **labels})

    assert clash.error_summary == ["Another question already has the text message code VISIT"]
    assert bad.error_summary == ["The text message code must be up to 10 letters and numbers, with no spaces"]
    assert saved.status == 302
    assert fresh(Question, question.id).sms_code == "LATE"


def test_only_kinds_that_can_be_answered_by_text_offer_a_code(client, officer):
    consultation = draft()
    ranking = add(consultation, "ranking", "Rank these", choices=["Parks", "Roads"])

    yes_no_form = get(client, f"{BASE}/{consultation.slug}/questions/new?section={consultation.sections[0].id}"
                              f"&kind=yes_no")
    ranking_form = get(client, f"{BASE}/{consultation.slug}/questions/{ranking.id}/edit")

    assert yes_no_form.soup.find(attrs={"name": "sms_code"}) is not None
    assert ranking_form.soup.find(attrs={"name": "sms_code"}) is None


# --- escaping, access and preview -------------------------------------------------------------


XSS = "<script>alert(1)</script>"


def test_officer_text_is_shown_as_text_everywhere(client, officer):
    consultation = draft(XSS, summary=XSS, theme=XSS)
    operations.update_section(consultation.sections[0], title=XSS, intro=XSS)
    question = add(consultation, "single", XSS, help_text=XSS, choices=[XSS, "Fine"])
    later = add(consultation, "short_text", "Later", condition={"question_id": question.id, "option_codes": ["1"]})
    operations.make_tracker(question, "XSS")
    slug = consultation.slug
    shown_as_text = [BASE, f"{BASE}/{slug}", f"{BASE}/{slug}/preview", f"{BASE}/{slug}/questions/{question.id}/delete",
                     f"{BASE}/{slug}/questions/{later.id}/edit", f"{BASE}/{draft('Other').slug}/questions/from-tracker"]
    in_form_boxes = [f"{BASE}/{slug}/edit", f"{BASE}/{slug}/questions/{question.id}/edit", f"{BASE}/{slug}/duplicate",
                     f"{BASE}/{slug}/sections/{consultation.sections[0].id}/edit"]

    for url in shown_as_text + in_form_boxes:
        page = get(client, url)
        assert page.status == 200, url
        assert "<script>" not in page.html, url
        boxes = [box.get("value") or box.get_text() for box in page.soup.select("input, textarea")]
        assert XSS in page.text if url in shown_as_text else any(XSS in box for box in boxes), url
    assert XSS in get(client, f"{BASE}/{slug}").soup.title.get_text()


@pytest.mark.parametrize("path", [
    "", "/new", "/{slug}", "/{slug}/edit", "/{slug}/preview", "/{slug}/duplicate", "/{slug}/sections/new",
    "/{slug}/questions/new", "/{slug}/questions/{question}/edit", "/{slug}/questions/{question}/tracker",
    "/{slug}/questions/from-tracker", "/{slug}/questions/{question}/delete",
])
def test_a_panel_member_cannot_use_the_authoring_pages(app, client, path):
    consultation = draft()
    question = add(consultation)
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    page = get(client, BASE + path.format(slug=consultation.slug, question=question.id))

    assert page.status == 403


def test_a_question_is_found_only_inside_its_own_consultation(client, officer):
    mine, other = draft("Mine"), draft("Other")
    theirs = add(other)

    assert get(client, f"{BASE}/{mine.slug}/questions/{theirs.id}/edit").status == 404
    assert get(client, f"{BASE}/{mine.slug}/sections/{other.sections[0].id}/edit").status == 404
    assert get(client, f"{BASE}/no-such-consultation").status == 404


def test_the_preview_shows_one_page_at_a_time_as_members_see_it(client, officer):
    consultation = draft()
    drives = add(consultation, "yes_no", "Do you drive?")
    operations.add_section(consultation, "Parking", intro="Only *drivers* see this page's question")
    add(consultation, "number", "How many cars?", settings={"min": 0, "max": 5},
        condition={"question_id": drives.id, "option_codes": ["1"]})
    url = f"{BASE}/{consultation.slug}/preview"

    first, second = get(client, url), get(client, f"{url}?page=2")

    frame = first.soup.select_one(".epanel-phone-preview")
    assert frame.h3.get_text() == "Your views"
    assert [radio["value"] for radio in frame.select(f"input[name=q{drives.id}]")] == ["1", "2"]
    assert frame.select_one("a.govuk-button")["href"].endswith("/preview?page=2")
    second_frame = second.soup.select_one(".epanel-phone-preview")
    assert second_frame.em.get_text() == "drivers"
    assert "Shown if question 1 (Q1) is ‘Yes’" in second_frame.get_text(" ", strip=True)
    assert second_frame.find("input", attrs={"name": f"q{drives.id + 1}"}) is not None
    assert get(client, f"{url}?page=3").status == 404
