"""axe-core and 320 px on the officers' consultation authoring pages, including forms showing errors."""

import pytest

from epanel.consultations import operations
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, sign_in_through_the_form
from tests.browser.settings import DESKTOP, PHONE_320
from tests.factories import create_user

VIEWPORTS = {"desktop": DESKTOP, "320px": PHONE_320}
BASE = "/officer/consultations"


def _check(page, url):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{url}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{url} scrolls sideways"


def a_consultation_with_every_kind(other_box=False):
    consultation = operations.create_consultation(
        "Parks and open spaces: what would make them better for everyone who lives nearby", None,
        summary="About our parks.", body="## Why we ask\nWe are *planning* the next five years.",
    )
    page_one = consultation.sections[0]
    drives = operations.add_question(page_one, "yes_no", "Do you drive to the park?", help_text="Any car or van")
    operations.add_question(page_one, "single", "How often?", choices=["Daily", "Weekly"], allow_other=other_box)
    operations.add_question(page_one, "multiple", "What for?", choices=["Walking", "Sport", "Play"],
                            settings={"max_choices": 2})
    operations.add_question(page_one, "agreement", "The park feels safe")
    page_two = operations.add_section(consultation, "More about you", intro="Optional questions.")
    operations.add_question(page_two, "rating", "How likely are you to recommend it?")
    operations.add_question(page_two, "number", "How many cars?", settings={"min": 0, "max": 5},
                            condition={"question_id": drives.id, "option_codes": ["1"]})
    operations.add_question(page_two, "short_text", "Which park?")
    operations.add_question(page_two, "long_text", "Anything else?")
    operations.add_question(page_two, "ranking", "Put these in order", choices=["Toilets", "Lighting", "Benches"])
    operations.add_question(page_two, "grid", "How good are these?", rows=["Paths", "Bins"])
    operations.make_tracker(drives, "DRIVES_TO_PARK")
    return consultation, drives


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_authoring_pages_have_no_serious_accessibility_problems(app, live_server, new_page, viewport):
    consultation, drives = a_consultation_with_every_kind()
    other = operations.create_consultation("Next wave", None)
    create_user("officer@example.org", roles=["officer"])
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "officer@example.org")
    slug = consultation.slug
    urls = [
        BASE, f"{BASE}/new", f"{BASE}/{slug}", f"{BASE}/{slug}/edit", f"{BASE}/{slug}/sections/new",
        f"{BASE}/{slug}/sections/{consultation.sections[0].id}/edit", f"{BASE}/{slug}/questions/new",
        f"{BASE}/{slug}/questions/{drives.id}/edit", f"{BASE}/{slug}/questions/{drives.id}/delete",
        f"{BASE}/{slug}/questions/{drives.id}/tracker", f"{BASE}/{other.slug}/questions/from-tracker",
        f"{BASE}/{slug}/duplicate", f"{BASE}/{slug}/preview", f"{BASE}/{slug}/preview?page=2",
    ] + [f"{BASE}/{slug}/questions/new?section={consultation.sections[1].id}&kind={kind}"
         for kind in ("single", "multiple", "agreement", "number", "long_text", "grid", "yes_no")]
    for url in urls:
        page.goto(live_server + url)
        _check(page, url)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_authoring_forms_showing_errors_have_no_serious_accessibility_problems(app, live_server, new_page,
                                                                                viewport):
    consultation, _ = a_consultation_with_every_kind()
    empty = operations.create_consultation("Nothing yet", None)
    create_user("officer@example.org", roles=["officer"])
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "officer@example.org")

    page.goto(f"{live_server}{BASE}/new")
    page.get_by_label("Opening time").fill("25:00")
    page.get_by_role("button", name="Save consultation").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    _check(page, "new consultation with errors")

    page.goto(f"{live_server}{BASE}/{consultation.slug}/questions/new?section={consultation.sections[1].id}"
              "&kind=multiple")
    page.get_by_label("Most answers a person can choose (optional)").fill("9")
    page.locator("input[name=show_if]").first.check()
    page.get_by_role("button", name="Add question").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    _check(page, "new question with errors")

    page.goto(f"{live_server}{BASE}/{empty.slug}")
    page.get_by_role("button", name="Open now").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    _check(page, "refused status change")


def test_the_preview_of_an_other_please_say_answer_has_no_serious_accessibility_problems(app, live_server,
                                                                                          new_page):
    consultation, _ = a_consultation_with_every_kind(other_box=True)
    create_user("officer@example.org", roles=["officer"])
    page = new_page(DESKTOP)
    sign_in_through_the_form(page, live_server, "officer@example.org")

    page.goto(f"{live_server}{BASE}/{consultation.slug}/preview")

    _check(page, "preview with an Other box")
