"""Staff set up two-factor sign-in and sign in with it, in a real browser; axe-core checks each page."""

import pyotp
import pytest

from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow
from tests.browser.settings import PHONE_320
from tests.factories import PASSWORD, create_user, forget_used_codes


def _check(page, what):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{what}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{what} scrolls sideways"


def _password(page, base_url, email):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", [None, PHONE_320], ids=["desktop", "320px"])
def test_an_officer_enrols_in_two_factor_then_signs_in_with_a_code(live_server, new_page, viewport):
    create_user("officer@example.org", roles=["officer"], totp=False)
    page = new_page(viewport) if viewport else new_page()

    _password(page, live_server, "officer@example.org")
    assert page.locator("h1").inner_text() == "Set up two-factor sign-in"
    assert page.locator("svg.epanel-qr-code").is_visible()
    _check(page, "set-up page")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error:")
    _check(page, "set-up page with an error")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_load_state()

    assert page.locator(".govuk-panel__title").inner_text() == "Two-factor sign-in is on"
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    _check(page, "recovery codes page")
    page.get_by_role("link", name="I have saved my codes, continue").click()
    assert page.locator("h1").inner_text() == "Staff home"

    page = new_page(viewport) if viewport else new_page()  # another browser, signing in afresh
    _password(page, live_server, "officer@example.org")
    assert page.locator("h1").inner_text() == "Enter the code from your authenticator app"
    _check(page, "code page")
    forget_used_codes("officer@example.org")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Staff home"
    page.goto(f"{live_server}/account/two-factor")
    assert page.locator("h1").inner_text() == "Two-factor sign-in"
    _check(page, "two-factor settings page")
    page.goto(f"{live_server}/account/confirm-it-is-you")
    _check(page, "confirm it is you page")
