"""The outbox and the phone simulator in a real browser: axe-core, 320 px wide, and a text sent from the phone."""

from datetime import timedelta

import pytest
from flask import current_app

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging import outbox
from epanel.messaging.models import MessageState
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, sign_in_through_the_form
from tests.browser.settings import DESKTOP, PHONE_320
from tests.factories import create_member, create_panel, create_user

VIEWPORTS = {"desktop": DESKTOP, "320px": PHONE_320}
NUMBER = "+447700900321"


def _check(page, what):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{what}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{what} scrolls sideways"


def _outbox_with_something_in_every_section():
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    create_member([citizens], first_name="Sam", last_name="Okafor", mobile=NUMBER)
    outbox.queue_sms(NUMBER, "Have your say on parks: https://example.org/r/abc123", purpose="invitation")
    current_app.extensions["epanel_sms_gateway"].fail_next(30005)
    outbox.queue_sms("+447700900322", "Reminder: have your say", purpose="reminder")
    stuck = outbox.queue_email("pat.longname.with.many.parts@example.org", "Reminder", "Please answer",
                               purpose="reminder", not_before=utcnow() + timedelta(days=1))
    db.session.commit()
    stuck.state, stuck.attempts, stuck.sending_since, stuck.next_attempt_at = (
        MessageState.SENDING, 1, utcnow() - timedelta(hours=1), None)
    db.session.commit()
    outbox.reconcile_stale()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_outbox_and_phone_simulator_have_no_serious_accessibility_problems(
        app, make_app, serve, new_page, viewport, tmp_path):
    _outbox_with_something_in_every_section()
    create_user("officer@example.org", roles=["officer", "admin"])
    base_url = serve(make_app(DEMO_TOOLS=True))
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, base_url, "officer@example.org")

    page.goto(base_url + "/officer/outbox")
    assert page.locator(".govuk-summary-card").count() == 2  # the failed text and the flagged e-mail
    _check(page, "/officer/outbox")
    page.screenshot(path=tmp_path / f"outbox-{viewport}.png", full_page=True)

    page.goto(base_url + "/dev/phone")
    _check(page, "/dev/phone")

    page.get_by_label("Act as a member's phone").select_option(NUMBER)
    page.get_by_role("button", name="Show the messages").click()
    page.wait_for_load_state()
    page.get_by_label("Text message from this phone").fill("HELP")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_load_state()

    items = page.locator("ol[aria-label='Messages, oldest first'] > li")
    assert "Have your say on parks" in items.first.inner_text()
    assert "HELP" in items.nth(items.count() - 2).inner_text()
    assert items.last.inner_text().startswith("The council")
    _check(page, "/dev/phone with a thread")
    page.screenshot(path=tmp_path / f"phone-{viewport}.png", full_page=True)

    page.get_by_role("button", name="Send", exact=True).click()  # nothing typed
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    _check(page, "/dev/phone with an error")
