"""People signing in and out in a real browser."""

import pytest

from tests.browser.helpers import sign_in_through_the_form
from tests.browser.settings import PHONE_320
from tests.factories import PASSWORD, create_user

ROLE_HOMES = {
    "admin": "Staff home",
    "officer": "Staff home",
    "teacher": "Staff home",
    "councillor": "Staff home",
    "member": "Your account",
}


@pytest.mark.parametrize("role", sorted(ROLE_HOMES))
def test_each_role_signs_in_and_out(live_server, page, role):
    create_user(f"{role}@example.org", roles=[role], name=f"Test {role}")

    sign_in_through_the_form(page, live_server, f"{role}@example.org")
    assert page.locator("h1").inner_text() == ROLE_HOMES[role]

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Sign in"
    assert "You have signed out" in page.locator(".govuk-notification-banner").inner_text()
    page.goto(f"{live_server}/account")
    assert page.locator("h1").inner_text() == "Sign in"


def test_signing_in_with_the_keyboard_alone(live_server, new_page):
    create_user("member@example.org", roles=["member"])
    page = new_page(PHONE_320)
    page.goto(f"{live_server}/sign-in")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    for _ in range(10):  # tab forward until the e-mail box has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    page.keyboard.type("member@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator("h1").inner_text() == "Your account"


def test_signing_in_works_without_javascript(live_server, new_page):
    create_user("officer@example.org", roles=["officer"])
    page = new_page(java_script_enabled=False)

    sign_in_through_the_form(page, live_server, "officer@example.org")

    assert page.locator("h1").inner_text() == "Staff home"


def test_a_wrong_password_shows_the_error_summary_with_focus(live_server, page):
    create_user("member@example.org", roles=["member"])

    sign_in_through_the_form(page, live_server, "member@example.org", "wrong password entirely")

    assert page.title().startswith("Error: Sign in")
    summary = page.locator(".govuk-error-summary")
    assert "Enter the email address and password for your account" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
