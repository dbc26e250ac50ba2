"""A member answers the demo survey (every question kind) on a 360 px phone with the keyboard alone,
closes the tab half way, comes back through the link, and sends; every page checked by axe-core."""

import pytest

from epanel.consultations.invitations import hash_invitation_token
from epanel.consultations.models import Invitation, InvitationChannel
from epanel.demo_consultations import build_parks_survey
from epanel.extensions import db
from epanel.respond.models import Response, ResponseStatus
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, press_button, tab_to, type_into
from tests.factories import create_member, create_panel

PHONE_360 = {"width": 360, "height": 740}
TOKEN = "browser-test-private-link-token"


@pytest.fixture
def invited(app):
    survey = build_parks_survey(None)
    member = create_member([create_panel()], email="sam@example.org", first_name="Sam")
    db.session.add(Invitation(consultation_id=survey.id, member_id=member.id, channel=InvitationChannel.EMAIL,
                              token_hash=hash_invitation_token(TOKEN)))
    db.session.commit()
    return survey


def qid(survey, code):
    return next(q.id for q in survey.questions if q.code == code)


class KeyboardOnly:
    """Answers with the keyboard alone: Tab to a control, Space or arrows to choose, type, Enter."""

    def __init__(self, page):
        self.page = page

    def choose_radio(self, name: str, position: int) -> None:
        tab_to(self.page, f"input[type=radio][name='{name}']")
        self.page.keyboard.press("Space")
        for _ in range(position - 1):
            self.page.keyboard.press("ArrowDown")

    def tick(self, name: str, value: str) -> None:
        tab_to(self.page, f"input[type=checkbox][name='{name}'][value='{value}']")
        self.page.keyboard.press("Space")

    def type_into(self, css: str, text: str) -> None:
        type_into(self.page, css, text)

    def press(self, name: str) -> None:
        press_button(self.page, name)

    def check(self, problems: dict) -> None:
        found = blocking_accessibility_problems(self.page)
        if found:
            problems[self.page.url] = found
        if horizontal_overflow(self.page) > 0:
            problems[self.page.url + " scrolls sideways"] = [horizontal_overflow(self.page)]


class WithoutJavaScript:
    """The same journey in a browser with JavaScript off. Playwright drives the controls itself,
    since it cannot run scripts in such a page (axe-core included: the pages were checked above)."""

    def __init__(self, page):
        self.page = page

    def choose_radio(self, name: str, position: int) -> None:
        self.page.locator(f"input[type=radio][name='{name}']").nth(position - 1).check()

    def tick(self, name: str, value: str) -> None:
        self.page.locator(f"input[type=checkbox][name='{name}'][value='{value}']").check()

    def type_into(self, css: str, text: str) -> None:
        self.page.locator(css).fill(text)

    def press(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def check(self, problems: dict) -> None:
        pass


@pytest.mark.parametrize("driver_class", [KeyboardOnly, WithoutJavaScript], ids=["keyboard-only", "without-javascript"])
def test_a_member_answers_every_kind_resumes_and_sends(invited, live_server, new_page, driver_class):
    survey = invited
    problems = {}
    page = new_page(PHONE_360, java_script_enabled=driver_class is KeyboardOnly)
    driver = driver_class(page)
    check, choose_radio, tick, press_button = driver.check, driver.choose_radio, driver.tick, driver.press
    type_into = driver.type_into
    page.goto(f"{live_server}/respond/i/{TOKEN}")

    assert page.locator("h1").inner_text() == "Your visits"
    check(problems)
    choose_radio(f"q{qid(survey, 'Q1')}", 4)  # "Less often" reveals the follow-up question
    press_button("Continue")
    assert "We have added a question based on your answer" in page.locator("main").inner_text()
    type_into(f"#q{qid(survey, 'Q2')}", "The park is too far away")
    tick(f"q{qid(survey, 'Q3')}", "1")
    tick(f"q{qid(survey, 'Q3')}", "other")
    type_into(f"#q{qid(survey, 'Q3')}-other", "Birdwatching")
    type_into(f"#q{qid(survey, 'Q4')}", "15")
    check(problems)
    press_button("Continue")

    assert page.locator("h1").inner_text() == "Your views"
    press_button("Continue")  # a required question left out: the error summary says so
    assert page.title().startswith("Error:")
    check(problems)
    choose_radio(f"q{qid(survey, 'Q5')}", 2)
    choose_radio(f"q{qid(survey, 'Q6')}", 9)
    grid = qid(survey, "Q7")
    for row in ("1", "2", "3", "4"):
        choose_radio(f"q{grid}-{row}", 2)
    ranking = qid(survey, "Q8")
    type_into(f"input[name='q{ranking}-2']", "1")
    type_into(f"input[name='q{ranking}-4']", "2")
    press_button("Continue")
    assert page.locator("h1").inner_text() == "The future"

    page.context.clear_cookies()  # the tab was closed; the member comes back through the link
    page.goto(f"{live_server}/respond/i/{TOKEN}")
    assert page.locator("h1").inner_text() == "The future", "resumed where they stopped"
    check(problems)
    choose_radio(f"q{qid(survey, 'Q9')}", 1)
    type_into(f"#q{qid(survey, 'Q10')}", "Thank you for asking.")
    press_button("Continue")

    assert page.locator("h1").inner_text() == "Check your answers"
    check(problems)
    summary = page.locator("main").inner_text()
    for expected in ("Less often", "The park is too far away", "Other: Birdwatching", "15", "Agree", "8",
                     "Cleanliness: Good", "1. Better lighting", "2. More trees", "Thank you for asking."):
        assert expected in summary, expected
    press_button("Send my answers")

    assert page.locator(".govuk-panel__title").inner_text() == "Answers sent"
    check(problems)
    response = db.session.scalar(db.select(Response))
    assert response.status == ResponseStatus.COMPLETE
    assert response.reference in page.locator(".govuk-panel__body").inner_text()
    assert problems == {}


def test_the_consultation_hub_and_public_pages_have_no_serious_accessibility_problems(invited, live_server, new_page):
    page = new_page(PHONE_360)
    for url in ("/consultations", f"/consultations/{invited.slug}"):
        page.goto(live_server + url)
        assert blocking_accessibility_problems(page) == [], url
        assert horizontal_overflow(page) <= 0, url
