"""Closing the loop in a real browser: a member sees what came of a consultation they answered on
"my say", anyone can read the community plan and the outcome, and every page is axe-clean at
desktop width and at 320 px."""

from datetime import date

import pytest

from epanel.planning import outcomes, plan
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, sign_in_through_the_form
from tests.browser.settings import DESKTOP, PHONE_320
from tests.factories import create_user
from tests.planning.outcome_helpers import DAY, answer, citizens, close, emailer, make_consultation, write_outcome

VIEWPORTS = {"desktop": DESKTOP, "320px": PHONE_320}


def _check(page, what):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{what}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{what} scrolls sideways"


@pytest.fixture
def published(app):
    """Library opening hours, answered by Sam and 11 others, with its outcome published and in the plan."""
    panel = citizens()
    user = create_user("sam@example.org", roles=["member"])
    sam = emailer(panel, "Sam", user_id=user.id)
    consultation = make_consultation("Library opening hours")
    answer(consultation, sam, ward="Abbey")
    for number in range(11):
        answer(consultation, sunday="1" if number % 3 else "2", ward="Abbey" if number < 9 else "Castle")
    close(consultation)
    write_outcome(consultation, headlines=("Q1", "Q2"), by="ward")
    outcomes.publish_outcome(consultation, None, now=DAY)
    theme = plan.create_theme("Libraries and learning", None, description="Places to read and learn.")
    action = plan.add_action(theme, None, title="Open three libraries on Sundays", status="in_progress",
                             owner="Libraries team", target_date=date(2027, 4, 1), area="Abbey")
    plan.link_consultation(action, consultation, None)
    plan.add_action(theme, None, title="Longer weekday hours", status="planned")
    return consultation


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_member_sees_what_came_of_their_say_and_the_community_plan(published, live_server, new_page, viewport):
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "sam@example.org")

    page.goto(live_server + "/my/say")
    assert page.get_by_role("heading", level=1).inner_text() == "My say"
    item = page.locator("[data-testid=my-say-item]")
    assert item.count() == 1
    assert "Library opening hours" in item.inner_text()
    assert "We will open three libraries on Sundays." in item.inner_text()
    assert "Open three libraries on Sundays: In progress" in item.inner_text()
    _check(page, "/my/say")

    item.get_by_role("link", name="Read what people said and what we did").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/you-said-we-did/{published.slug}")
    assert page.get_by_role("heading", level=1).inner_text() == "Library opening hours"
    assert page.locator("[data-testid=suppressed]").count() >= 1  # Castle: 3 people
    _check(page, "the outcome page")

    page.goto(live_server + "/community-plan")
    assert page.get_by_role("heading", level=1).inner_text() == "Community plan"
    actions = page.locator("[data-testid=action]")
    assert actions.count() == 2
    assert "In progress" in actions.first.inner_text()
    actions.first.get_by_role("link", name="Library opening hours").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/you-said-we-did/{published.slug}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_public_community_plan_and_outcome_pages_are_accessible_without_signing_in(published, live_server,
                                                                                    new_page, viewport):
    page = new_page(VIEWPORTS[viewport])
    for url in ("/community-plan", "/you-said-we-did", f"/you-said-we-did/{published.slug}"):
        page.goto(live_server + url)
        assert page.get_by_role("heading", level=1).count() == 1
        _check(page, url)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_officer_outcome_and_plan_pages_are_accessible(published, live_server, new_page, viewport):
    create_user("officer@example.org", roles=["officer"])
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "officer@example.org")
    action = plan.add_action(plan.create_theme("Safer streets", None), None, title="More lighting")
    for url in (f"/officer/consultations/{published.slug}/outcome", "/officer/community-plan",
                f"/officer/community-plan/themes/{action.theme_id}", f"/officer/community-plan/actions/{action.id}"):
        page.goto(live_server + url)
        _check(page, url)
