"""The API token pages in a real browser: no serious axe-core findings, nothing wider than 320 px, and a
token made and revoked with the keyboard alone."""

import pytest

from tests.api.helpers import make_token
from tests.browser.helpers import (
    blocking_accessibility_problems,
    horizontal_overflow,
    press_button,
    sign_in_through_the_form,
    type_into,
)
from tests.browser.settings import DESKTOP, PHONE_320
from tests.factories import create_user

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": DESKTOP, "320px": PHONE_320}


def _check(page, what):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{what}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{what} scrolls sideways"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_token_pages_are_accessible_and_work_by_keyboard(app, live_server, new_page, viewport):
    officer = create_user("officer@example.org", roles=["officer"])
    make_token(user=officer, name="Library kiosk with a rather long name for a narrow screen")
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "officer@example.org")

    page.goto(live_server + "/officer/api-tokens")
    _check(page, "token list")
    page.goto(live_server + "/officer/api-tokens/new")
    _check(page, "new token form")

    type_into(page, "#name", "Parish council website")
    page.get_by_label("Read only: consultations, questions and results").check()
    press_button(page, "Create token")
    assert page.locator("h1").inner_text() == "API token created"
    assert page.get_by_test_id("api-token").input_value().startswith("epanel_")
    _check(page, "token created")

    page.goto(live_server + "/officer/api-tokens")
    press_button(page, "Revoke Parish council website")
    assert "Calls using it are now refused" in page.content()
    _check(page, "token list after revoking")
