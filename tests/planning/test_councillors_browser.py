"""Councillors', officers' and group contacts' new pages in Chromium: axe-core finds no serious or
critical problems, at desktop width and at 320 px, with and without form errors."""

import pytest

from epanel.consultations.models import ConsultationStatus
from epanel.planning.councillors import add_comment, suggest_topic
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, sign_in_through_the_form
from tests.browser.settings import DESKTOP, PHONE_320
from tests.factories import create_user
from tests.planning.community_helpers import answer, make_consultation, make_councillor, make_group_contact

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": PHONE_320}


def _check(page, url):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{url}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{url} scrolls sideways"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_councillor_officer_and_group_pages_have_no_serious_accessibility_problems(app, live_server, new_page,
                                                                                   viewport):
    councillor = make_councillor("Jo Bloggs", wards=("Oakfield",), email="cllr@example.org")
    closed = make_consultation("Library opening hours", status=ConsultationStatus.CLOSED, for_public=True)
    answer(closed, 12, ward="Oakfield")
    comment = add_comment(councillor, closed, "Oakfield", "Thank you to everyone who took part")
    suggestion = suggest_topic(councillor, "Parking near Oakfield School", "Verges", "Oakfield")
    create_user("boss@example.org", roles=["officer"])
    group, _, _ = make_group_contact(email="clerk@example.org")
    make_consultation("Bus routes", for_public=True)

    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "cllr@example.org")
    ward_result = f"/councillor/wards/Oakfield/consultations/{closed.slug}"
    for url in ("/councillor", "/councillor/wards/Oakfield", ward_result, "/councillor/suggestions",
                "/councillor/suggestions/new"):
        page.goto(live_server + url)
        _check(page, url)
    page.goto(live_server + "/councillor/suggestions/new")
    page.get_by_role("button", name="Send suggestion").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    _check(page, "suggestion form with errors")

    officer = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(officer, live_server, "boss@example.org")
    for url in ("/officer/councillors", f"/officer/councillors/{councillor.id}/wards", "/officer/councillor-comments",
                f"/officer/councillor-comments/{comment.id}/remove", "/officer/topic-suggestions",
                f"/officer/topic-suggestions/{suggestion.id}"):
        officer.goto(live_server + url)
        _check(officer, url)

    contact = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(contact, live_server, "clerk@example.org")
    for url in ("/groups/contact", f"/groups/contact/{group.id}"):
        contact.goto(live_server + url)
        _check(contact, url)
