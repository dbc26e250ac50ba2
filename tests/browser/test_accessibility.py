"""axe-core on every page a person can reach so far, at desktop width and at 320 px."""

import pytest
from flask import abort

from epanel.accounts.access import public
from tests.browser.helpers import blocking_accessibility_problems, horizontal_overflow, sign_in_through_the_form
from tests.browser.settings import DESKTOP, PHONE_320
from tests.factories import create_member, create_panel, create_user

VIEWPORTS = {"desktop": DESKTOP, "320px": PHONE_320}

PUBLIC_PAGES = [
    "/",
    "/join",
    "/join/date-of-birth",
    "/join/too-young",
    "/join/no-panels",
    "/groups",
    "/consultations",
    "/sign-in",
    "/reset-password",
    "/sign-in-link",
    "/privacy",
    "/accessibility",
    "/cookies",
    "/contact",
]

STAFF_PAGES = [
    "/staff", "/officer/panels", "/officer/panels/new", "/officer/panels/citizens/edit", "/officer/members",
    "/officer/members/new", "/officer/members/import", "/officer/wards", "/officer/groups", "/officer/groups/new",
    "/officer/population-targets", "/officer/population-targets/upload", "/officer/panels/citizens/who-is-missing",
    "/officer/recruitment", "/officer/recruitment/new", "/admin/users", "/admin/users/new", "/account",
    "/officer/data-protection", "/admin/audit", "/officer/trackers",
]
MEMBER_PAGES = ["/my/profile", "/my/details", "/my/preferences", "/my/leave", "/my/data", "/my/delete"]


def _check(page, url):
    problems = blocking_accessibility_problems(page)
    assert problems == [], f"{url}: {problems}"
    assert horizontal_overflow(page) <= 0, f"{url} scrolls sideways"


@pytest.fixture
def app_with_error_routes(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, RATELIMIT_SIGN_IN="1 per minute")

    @app.route("/test-bad-request")
    @public
    def bad_request():
        abort(400)

    @app.route("/test-crash")
    @public
    def crash():
        raise RuntimeError("crash for the 500 page")

    return app


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_public_pages_have_no_serious_accessibility_problems(app, live_server, new_page, viewport):
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    create_member([citizens])
    page = new_page(VIEWPORTS[viewport])
    for url in PUBLIC_PAGES:
        page.goto(live_server + url)
        _check(page, url)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_pages_have_no_serious_accessibility_problems(app, live_server, new_page, viewport):
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    member = create_member([citizens], email="resident@example.org", mobile="+447700900321", ward="Abbey")
    create_user("admin@example.org", roles=["admin", "officer"])
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "admin@example.org")
    for url in STAFF_PAGES + [f"/officer/members/{member.id}", f"/officer/members/{member.id}/edit"]:
        page.goto(live_server + url)
        _check(page, url)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_member_pages_have_no_serious_accessibility_problems(app, live_server, new_page, viewport):
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    user = create_user("sam@example.org", roles=["member"])
    create_member([citizens], email="sam@example.org", user_id=user.id, contact_by_email=True)
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "sam@example.org")
    for url in MEMBER_PAGES:
        page.goto(live_server + url)
        _check(page, url)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_forms_with_errors_have_no_serious_accessibility_problems(live_server, new_page, viewport):
    page = new_page(VIEWPORTS[viewport])
    page.goto(live_server + "/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    assert page.locator(".govuk-error-summary").is_visible()
    _check(page, "/sign-in with errors")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_error_pages_have_no_serious_accessibility_problems(app, app_with_error_routes, serve, new_page, viewport):
    base_url = serve(app_with_error_routes)
    create_user("member@example.org", roles=["member"])
    page = new_page(VIEWPORTS[viewport])
    expected = {
        "/test-bad-request": (400, "Sorry, there is a problem with that request"),
        "/no-such-page": (404, "Page not found"),
        "/sign-out": (405, "Sorry, that did not work"),
        "/test-crash": (500, "Sorry, there is a problem with the service"),
    }
    for url, (status, heading) in expected.items():
        response = page.goto(base_url + url)
        assert response.status == status, url
        assert page.locator("h1").inner_text() == heading
        _check(page, url)

    sign_in_through_the_form(page, base_url, "member@example.org", "wrong password one")
    sign_in_through_the_form(page, base_url, "member@example.org", "wrong password two")
    assert page.locator("h1").inner_text() == "Too many attempts"
    _check(page, "429 page")

    page.context.clear_cookies()
    sign_in_page = page.goto(base_url + "/officer/panels")
    assert sign_in_page.status == 200 and page.locator("h1").inner_text() == "Sign in"


def test_the_accessibility_check_catches_a_real_problem(page):
    page.set_content('<html lang="en"><head><title>Broken</title></head><body><main><img src="x.png"></main></body></html>')

    problems = blocking_accessibility_problems(page)

    assert any(problem.startswith("image-alt (critical)") for problem in problems)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_analysis_pages_have_no_serious_accessibility_problems(app, live_server, new_page, viewport):
    from epanel.common.time import utcnow
    from epanel.extensions import db
    from epanel.panels.models import PopulationTarget, TargetDimension
    from tests.analysis.data import build_consultation, respond
    from tests.factories import create_invitation

    consultation = build_consultation()
    for gender, ward in [("Woman", "Abbey"), ("Man", "Abbey"), ("Woman", "Castle")]:
        respond(consultation, {"Q1": "1", "Q2": ["1", "2"], "Q4": 7, "Q10": "1"}, gender=gender, ward=ward)
    for category, share in (("Woman", 0.51), ("Man", 0.49)):
        db.session.add(PopulationTarget(dimension=TargetDimension.GENDER, category=category, share=share, source="Census"))
    invitation, _ = create_invitation(consultation, create_member([create_panel()], ward="Abbey"))
    invitation.sent_at = utcnow()
    db.session.commit()
    create_user("officer@example.org", roles=["officer"])
    page = new_page(VIEWPORTS[viewport])
    sign_in_through_the_form(page, live_server, "officer@example.org")
    base = f"/officer/consultations/{consultation.slug}"
    for url in (f"{base}/results", f"{base}/results?weight=on", f"{base}/crosstab", f"{base}/representativeness",
                f"{base}/exports", f"{base}/report"):
        page.goto(live_server + url)
        assert page.locator("h1").inner_text() in ("Results", "Crosstabs", "Who responded", "Exports",
                                                   consultation.title), url
        _check(page, url)
    # Printed, the report is the content alone: no site header, navigation or download links.
    page.emulate_media(media="print")
    assert not page.locator(".govuk-header").is_visible()
    assert not page.locator(".govuk-footer").is_visible()
    assert not page.get_by_text("Download the chart (SVG)").first.is_visible()
    assert page.locator("h1").is_visible()
