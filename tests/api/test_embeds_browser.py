"""Embeds in real Chromium: a partner site on another origin frames the consultation, a person answers
inside the iframe (no cookie of ours is ever sent there), and a site not on the list is refused."""

import pytest

from epanel.api import embeds
from epanel.extensions import db
from epanel.respond.models import Response, ResponseStatus
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow
from tests.factories import create_consultation

pytestmark = pytest.mark.browser

PARTNER = "https://www.example-parish.org.uk"
STRANGER = "https://stranger.example.com"


@pytest.fixture
def survey(app):
    consultation = create_consultation("Play areas", kinds=("single",), for_public=True, ask_public_postcode=False)
    embeds.add_embed_origin(consultation, PARTNER, None)
    return consultation


def partner_page(new_page, origin, embed_url, viewport=None):
    """A tab showing `origin`'s page (served by the test, as that website would) with the iframe snippet."""
    page = new_page(viewport)
    snippet = f'<iframe src="{embed_url}" title="Have your say" width="100%" height="900"></iframe>'
    page.route(f"{origin}/**", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body=f"<!DOCTYPE html><html lang='en'><head><title>Parish news</title></head><body>{snippet}</body></html>"))
    page.goto(f"{origin}/news")
    return page


def test_a_person_answers_inside_a_partner_sites_iframe(live_server, new_page, survey):
    page = partner_page(new_page, PARTNER, f"{live_server}/embed/consultations/{survey.slug}", {"width": 320, "height": 640})
    frame = page.frame_locator("iframe")

    frame.get_by_role("heading", level=1).filter(has_text="Play areas").wait_for()
    frame.get_by_role("button", name="Start now").click()
    frame.get_by_label("Every week").check()
    frame.get_by_role("button", name="Continue").click()
    frame.get_by_role("heading", name="Check your answers").wait_for()
    assert horizontal_overflow(page) <= 0  # at 320 px, inside the partner's page
    frame.get_by_role("button", name="Send my answers").click()
    frame.get_by_text("Answers sent").wait_for()

    assert page.context.cookies(live_server) == []  # answered without any cookie of ours
    response = db.session.scalar(db.select(Response))
    assert response.status == ResponseStatus.COMPLETE


def test_a_website_not_on_the_list_cannot_show_the_consultation(live_server, new_page, survey):
    page = partner_page(new_page, STRANGER, f"{live_server}/embed/consultations/{survey.slug}")
    page.wait_for_timeout(500)

    embedded = [frame for frame in page.frames if frame != page.main_frame]
    assert len(embedded) == 1, "the iframe exists"
    assert embedded[0].locator("h1", has_text="Play areas").count() == 0  # Chromium refused to show it


def test_embed_pages_and_the_officers_page_are_accessible_at_320_px(app, live_server, new_page, survey):
    from epanel.consultations import operations as authoring
    from epanel.consultations.models import ConsultationStatus
    from tests.analysis.data import respond
    from tests.browser.helpers import sign_in_through_the_form
    from tests.factories import create_user

    page = new_page({"width": 320, "height": 640})
    problems = {}

    def check():
        found = blocking_accessibility_problems(page)
        if found:
            problems[page.url] = found
        if horizontal_overflow(page) > 0:
            problems[page.url + " scrolls sideways"] = [horizontal_overflow(page)]

    page.goto(f"{live_server}/embed/consultations/{survey.slug}")
    check()
    page.get_by_role("button", name="Start now").click()
    check()
    page.get_by_role("button", name="Continue").click()  # nothing chosen: the question is optional
    page.get_by_role("heading", name="Check your answers").wait_for()
    check()
    for _ in range(10):
        respond(survey, {"Q1": "1"})
    authoring.move_to(survey, ConsultationStatus.CLOSED)
    authoring.move_to(survey, ConsultationStatus.PUBLISHED)
    page.goto(f"{live_server}/embed/consultations/{survey.slug}/results")
    page.get_by_role("table").first.wait_for()
    check()
    create_user("officer@example.org", roles=["officer"])
    sign_in_through_the_form(page, live_server, "officer@example.org")
    page.goto(f"{live_server}/officer/consultations/{survey.slug}/embed")
    page.get_by_role("heading", name="Embed on another website").wait_for()
    check()

    assert problems == {}
