"""Joining a panel on a 360 px phone with the keyboard alone, every page checked by axe-core."""

import re
from datetime import date

from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, press_button, tab_to, type_into
from tests.factories import create_panel

PHONE_360 = {"width": 360, "height": 740}


def check_page(page, problems: dict) -> None:
    found = blocking_accessibility_problems(page)
    if found:
        problems[page.url] = found
    if horizontal_overflow(page) > 0:
        problems[page.url + " (scrolls sideways)"] = [horizontal_overflow(page)]


def test_joining_on_a_phone_with_the_keyboard_alone(app, live_server, new_page, mailbox):
    create_panel("citizens", "Citizens' Panel", min_age=18, description="Residents aged 18 and over.")
    page = new_page(PHONE_360)
    problems = {}
    today = date.today()

    page.goto(f"{live_server}/join")
    check_page(page, problems)
    press_button(page, "Start now")

    assert page.locator("h1").inner_text() == "What is your date of birth?"
    check_page(page, problems)
    type_into(page, "#date_of_birth-day", "14")
    type_into(page, "#date_of_birth-month", "5")
    type_into(page, "#date_of_birth-year", str(today.year - 40))
    press_button(page, "Continue")

    assert "Which panels" in page.locator("h1").inner_text()
    check_page(page, problems)
    tab_to(page, "input[name=panels]")
    page.keyboard.press("Space")
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "What is your name?"
    type_into(page, "#first_name", "Sam")
    type_into(page, "#last_name", "Okafor")
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "How can we contact you?"
    press_button(page, "Continue")  # nothing entered: the error summary takes focus
    assert page.title().startswith("Error:")
    check_page(page, problems)
    type_into(page, "#email", "sam@example.org")
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "What is your postcode?"
    check_page(page, problems)
    type_into(page, "#postcode", "AV1 2BX")
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "About you (optional)"
    check_page(page, problems)
    press_button(page, "Continue")

    assert "How can we contact you" in page.locator("h1").inner_text()
    check_page(page, problems)
    tab_to(page, "input[name=channels][value=email]")
    page.keyboard.press("Space")
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "How we use your information"
    check_page(page, problems)
    tab_to(page, "input[name=agree]")
    page.keyboard.press("Space")
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "Check your answers"
    check_page(page, problems)
    press_button(page, "Continue")

    assert page.locator("h1").inner_text() == "Check your email"
    check_page(page, problems)
    link = re.search(r"https?://\S+", mailbox[0].get_content()).group(0)
    page.goto(link)
    check_page(page, problems)
    press_button(page, "Continue")

    assert page.locator(".govuk-panel__title").inner_text() == "You have joined"
    check_page(page, problems)
    page.goto(f"{live_server}/my/profile")
    assert page.locator("h1").inner_text() == "Your profile"
    check_page(page, problems)
    assert problems == {}


def test_an_under_13_gets_the_school_page_without_accessibility_problems(app, live_server, new_page):
    create_panel("youth", "Youth Panel", min_age=11, max_age=25)
    page = new_page(PHONE_360)
    page.goto(f"{live_server}/join/date-of-birth")
    page.fill("#date_of_birth-day", "1")
    page.fill("#date_of_birth-month", "1")
    page.fill("#date_of_birth-year", str(date.today().year - 12))
    page.get_by_role("button", name="Continue").click()

    assert page.locator("h1").inner_text() == "You can take part through your school"
    assert blocking_accessibility_problems(page) == []
