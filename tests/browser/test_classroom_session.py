"""A teacher starts a class session; three pupils join with the code on phones and answer; the board
shows the three answers live, without a reload. Teacher and pupil pages are checked by axe-core."""

from datetime import timedelta

from playwright.sync_api import expect

from epanel.common.time import utcnow
from epanel.consultations.forms import LONDON
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, sign_in_through_the_form
from tests.browser.settings import DESKTOP
from tests.classroom.helpers import create_class_consultation, create_teacher

PHONE = {"width": 360, "height": 740}


def check(page, problems: dict) -> None:
    found = blocking_accessibility_problems(page)
    if found:
        problems[page.url] = found
    if horizontal_overflow(page) > 0:
        problems[page.url + " scrolls sideways"] = [horizontal_overflow(page)]


def test_three_pupils_answer_on_phones_and_the_board_shows_them_live(app, live_server, new_page):
    consultation = create_class_consultation("Our town centre", kinds=("yes_no",))
    consultation.questions[0].text = "Should the town centre have a youth space?"
    from epanel.extensions import db

    db.session.commit()
    teacher = create_teacher()
    problems: dict = {}

    board = new_page(DESKTOP)
    sign_in_through_the_form(board, live_server, teacher.email)
    board.goto(f"{live_server}/teacher")
    check(board, problems)
    board.get_by_role("button", name="Start a class session").click()
    check(board, problems)
    board.get_by_label("Our town centre").check()
    board.get_by_label("Class name").fill("9R")
    board.get_by_label("Year group").select_option("Year 9")
    now = utcnow().astimezone(LONDON)
    board.get_by_label("Start time").fill((now - timedelta(minutes=1)).strftime("%H:%M"))
    board.get_by_label("End time").fill(min(now + timedelta(hours=1), now.replace(hour=23, minute=59)).strftime("%H:%M"))
    board.get_by_role("button", name="Start session").click()
    board.wait_for_load_state()
    code = board.locator("#join-code").inner_text().strip()
    assert len(code) == 6
    check(board, problems)

    for number, answer in enumerate(["Yes", "Yes", "No"], start=1):
        pupil = new_page(PHONE)
        pupil.goto(f"{live_server}/class")
        check(pupil, problems)
        pupil.get_by_label("Class code").fill(code.lower())
        pupil.get_by_role("button", name="Join").click()
        pupil.wait_for_load_state()
        check(pupil, problems)
        pupil.get_by_label(answer, exact=True).check()
        pupil.get_by_role("button", name="Send my answers").click()
        pupil.wait_for_load_state()
        assert "Your answers have been sent" in pupil.content()
        check(pupil, problems)
        # The board updates itself within a few seconds.
        expect(board.locator("#submitted-count")).to_have_text(str(number), timeout=10_000)

    rows = board.locator("#board-results table tbody tr")
    assert [rows.nth(i).inner_text().split() for i in range(2)] == [["Yes", "2"], ["No", "1"]]
    check(board, problems)
    assert problems == {}
