"""Review fixes for public headline results: a group under 10 cannot be worked out by subtracting the
shown groups from "Everyone", and the public page's queries do not grow with the number of wards."""

from contextlib import contextmanager

from sqlalchemy import event

from epanel.analysis.suppression import withheld_groups
from epanel.consultations import operations as authoring
from epanel.consultations.kinds import Parsed
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.planning import outcomes
from epanel.respond.models import ResponseChannel
from epanel.respond.operations import record_complete_response
from tests.pages import get
from tests.planning.outcome_helpers import DAY, answer, close, make_consultation, write_outcome


def published(consultation, *, headlines=("Q1",), by="ward"):
    close(consultation)
    write_outcome(consultation, headlines=headlines, by=by)
    outcomes.publish_outcome(consultation, None, now=DAY)
    return consultation


def test_a_small_ward_cannot_be_worked_out_from_everyone_minus_the_shown_wards(app, client):
    consultation = make_consultation()
    for ward, count in (("North", 30), ("South", 12), ("East", 4)):
        for number in range(count):
            answer(consultation, sunday="1" if number % 2 else "2", ward=ward)
    published(consultation)

    page = get(client, f"/you-said-we-did/{consultation.slug}")

    [headline] = page.soup.select("[data-testid=headline]")
    captions = [table.caption.get_text(strip=True) for table in headline.select("table")]
    # Everyone (46) and North (30) are shown; South (12) is withheld with East (4), so 46 - 30 = 16
    # is all anyone can work out, and not East's 4.
    assert captions == ["Everyone who answered (46 answered)", "Ward: North (30 answered)"]
    notes = [item.get_text(" ", strip=True) for item in headline.select("[data-testid=suppressed]")]
    assert notes == [
        "Fewer than 10 people answered in this group, so no figures are shown.",
        "No figures are shown for this group, so that the figures of a group of fewer than 10 people cannot "
        "be worked out from the others.",
    ]
    assert "(12 answered)" not in page.text and "(4 answered)" not in page.text


def test_respondents_with_no_ward_can_be_enough_to_protect_a_small_ward(app, client):
    consultation = make_consultation()
    for ward, count in (("North", 30), ("South", 12), ("East", 4), (None, 6)):
        for _ in range(count):
            answer(consultation, **({"ward": ward} if ward else {}))
    published(consultation)

    page = get(client, f"/you-said-we-did/{consultation.slug}")

    captions = [table.caption.get_text(strip=True) for table in page.soup.select("[data-testid=headline] table")]
    assert captions == ["Everyone who answered (52 answered)", "Ward: North (30 answered)",
                        "Ward: South (12 answered)"]


def test_withheld_groups_adds_the_next_smallest_until_the_withheld_total_reaches_ten(app):
    assert withheld_groups({"North": 30, "South": 12, "East": 4}) == {"South", "East"}
    assert withheld_groups({"North": 30, "South": 12, "East": 4}, unknown=6) == {"East"}
    assert withheld_groups({"North": 30, "South": 12, "West": 11, "East": 4}) == {"West", "East"}
    assert withheld_groups({"North": 30, "South": 12}) == set()
    assert withheld_groups({"North": 30, "East": 0}) == {"East"}  # nobody there: nothing to protect
    assert withheld_groups({"North": 5, "East": 4}) == {"North", "East"}


# --- how many queries ------------------------------------------------------------------------------


@contextmanager
def counting_statements():
    counted = []

    def count(*_args):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def three_question_consultation(title):
    consultation = authoring.create_consultation(title, None, summary="When should libraries open?")
    section = consultation.sections[0]
    authoring.add_question(section, "yes_no", "Should libraries open on Sundays?")
    authoring.add_question(section, "single", "How often do you visit?", choices=["Weekly", "Monthly", "Rarely"])
    authoring.add_question(section, "agreement", "Libraries matter to my area.")
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def answer_three(consultation, ward):
    questions = sorted(consultation.questions, key=lambda question: question.code)
    values = {questions[0].id: Parsed(value="1"), questions[1].id: Parsed(value="2"),
              questions[2].id: Parsed(value="4")}
    record_complete_response(consultation, values, channel=ResponseChannel.WEB, snapshot={"ward": ward})
    db.session.commit()


def statements_for_outcome_page(client, wards: int) -> int:
    consultation = three_question_consultation(f"Libraries across {wards} wards")
    for number in range(wards):
        for _ in range(10):
            answer_three(consultation, f"Ward {number:02d}")
    published(consultation, headlines=("Q1", "Q2", "Q3"))
    db.session.expire_all()
    with counting_statements() as counted:
        page = get(client, f"/you-said-we-did/{consultation.slug}")
    assert len(page.soup.select("[data-testid=headline] table")) == 3 * (1 + wards)
    return len(counted)


def test_the_public_outcome_page_runs_as_many_queries_for_ten_wards_as_for_two(app, client):
    two = statements_for_outcome_page(client, 2)
    ten = statements_for_outcome_page(client, 10)

    assert ten == two
    assert ten <= 40, ten
