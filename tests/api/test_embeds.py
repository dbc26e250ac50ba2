"""Embeds for partner sites: who may frame them, the officer's snippet page, answering inside a
third-party iframe without cookies, and the suppressed public results card."""

import pytest

from epanel.api import embeds
from epanel.api.models import EmbedOrigin
from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.privacy.models import AuditEvent
from epanel.respond.models import Response, ResponseStatus
from tests.analysis.data import respond
from tests.factories import PASSWORD, create_consultation, create_user
from tests.pages import Page, get, path_of, sign_in, submit

PARISH = "https://www.example-parish.org.uk"
SCHOOL = "https://school.example.org:8443"


def frame_ancestors(response) -> str:
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return policy["frame-ancestors"]


def allow(consultation, origin):
    return embeds.add_embed_origin(consultation, origin, None)


@pytest.fixture
def survey(app):
    """Open to the public, two pages: a single choice, then a rating."""
    consultation = create_consultation(kinds=("single", "rating"), sections=2, for_public=True,
                                       ask_public_postcode=False)
    allow(consultation, PARISH)
    return consultation


@pytest.fixture
def officer_client(app, client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return client


def qid(consultation, code):
    return next(q.id for q in consultation.questions if q.code == code)


# --- who may frame what ------------------------------------------------------------------


def test_the_embed_page_may_be_framed_by_exactly_the_allowed_origins(app, client, survey):
    other = create_consultation("Libraries", for_public=True)
    allow(other, "https://elsewhere.example.org")
    embeds.add_embed_origin(None, SCHOOL, None)

    response = client.get(f"/embed/consultations/{survey.slug}")

    assert response.status_code == 200
    assert frame_ancestors(response) == f"{SCHOOL} {PARISH}"
    assert "X-Frame-Options" not in response.headers
    assert frame_ancestors(client.get(f"/embed/consultations/{survey.slug}/results")) == f"{SCHOOL} {PARISH}"


def test_a_consultation_no_website_may_show_has_no_embed_and_stays_unframeable(app, client):
    consultation = create_consultation(for_public=True)

    response = client.get(f"/embed/consultations/{consultation.slug}")

    assert response.status_code == 404
    assert frame_ancestors(response) == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_ordinary_public_page_of_an_embeddable_consultation_is_still_never_framed(app, client, survey):
    response = client.get(f"/consultations/{survey.slug}")

    assert frame_ancestors(response) == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_draft_consultation_is_not_embedded_even_when_a_website_is_allowed(app, client):
    draft = create_consultation(open_now=False, for_public=True)
    allow(draft, PARISH)

    assert client.get(f"/embed/consultations/{draft.slug}").status_code == 404


# --- the officer's page ------------------------------------------------------------------


def test_an_officer_allows_a_website_and_copies_the_snippet(app, officer_client):
    consultation = create_consultation(for_public=True)
    overview = get(officer_client, f"/officer/consultations/{consultation.slug}")
    assert overview.soup.find("a", string="Embed on another website")["href"] == \
        f"/officer/consultations/{consultation.slug}/embed"

    page = submit(officer_client, f"/officer/consultations/{consultation.slug}/embed",
                  {"origin": " HTTPS://WWW.Example-Parish.org.uk/ "}, follow_redirects=True)

    assert page.status == 200
    assert page.heading == "Embed on another website"
    assert f"{PARISH} can now show this consultation" in page.banners
    assert PARISH in page.soup.select_one(".govuk-summary-list__key").get_text()
    snippet = page.soup.find("textarea", id="snippet-consultation").get_text()
    assert snippet.startswith(f'<iframe src="http://localhost/embed/consultations/{consultation.slug}"')
    assert 'title="Parks and open spaces: have your say"' in snippet
    assert f"/embed/consultations/{consultation.slug}/results" in page.soup.find("textarea", id="snippet-results").get_text()
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "embed_origin.added"))
    assert event.actor_label == "officer@example.org" and event.details == {"origin": PARISH}


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the website's address, like https://www.example-parish.org.uk"),
    ("http://www.example-parish.org.uk", "The website's address must start with https://"),
    ("www.example-parish.org.uk", "The website's address must start with https://"),
    ("https://www.example-parish.org.uk/news", "Enter only the website's address, without a page"),
    ("https://www.example-parish.org.uk/?x=1", "Enter only the website's address, without a page"),
    ("https://*.example-parish.org.uk", "wildcards like * are not allowed"),
    ("https://user:secret@example-parish.org.uk", "without a user name or password"),
    ("https://exa mple.org", "Enter the website's address in the correct format"),
    ("https://example.org:99999", "Enter the website's address in the correct format"),
    ("https://example.org; script-src *", "wildcards like * are not allowed"),
    ("https://example.org;script-src", "Enter the website's address in the correct format"),
    ("'self'", "The website's address must start with https://"),
])
def test_an_address_that_is_not_an_https_origin_is_refused_with_a_clear_message(app, officer_client, typed, message):
    consultation = create_consultation(for_public=True)

    page = submit(officer_client, f"/officer/consultations/{consultation.slug}/embed", {"origin": typed})

    assert page.status == 400
    assert page.title.startswith("Error:")
    assert any(message in item for item in page.error_summary), page.error_summary
    assert page.soup.find("input", attrs={"name": "origin"})["value" if typed.strip() else "name"]
    assert db.session.scalar(db.select(db.func.count()).select_from(EmbedOrigin)) == 0


def test_a_website_already_listed_is_not_added_twice(app, officer_client):
    consultation = create_consultation(for_public=True)
    allow(consultation, PARISH)

    page = submit(officer_client, f"/officer/consultations/{consultation.slug}/embed", {"origin": PARISH + "/"})

    assert page.status == 400
    assert page.error_summary == [f"{PARISH} is already on the list"]


def test_removing_a_website_stops_it_framing_the_consultation(app, officer_client, survey):
    row = embeds.list_embed_origins(survey)[0]

    page = submit(officer_client, f"/officer/consultations/{survey.slug}/embed/origins/{row.id}/remove", {},
                  form_page=f"/officer/consultations/{survey.slug}/embed")

    assert path_of(page.location) == f"/officer/consultations/{survey.slug}/embed"
    assert embeds.list_embed_origins(survey) == []
    assert officer_client.get(f"/embed/consultations/{survey.slug}").status_code == 404
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "embed_origin.removed")) is not None


def test_only_administrators_keep_the_site_wide_list(app, client, officer_client):
    assert officer_client.get("/admin/embed-websites").status_code == 403

    admin = app.test_client()
    create_user("admin@example.org", roles=["admin"])
    sign_in(admin, "admin@example.org", PASSWORD)
    page = submit(admin, "/admin/embed-websites", {"origin": SCHOOL}, follow_redirects=True)

    assert f"{SCHOOL} can now show every consultation" in page.banners
    consultation = create_consultation(for_public=True)
    assert frame_ancestors(client.get(f"/embed/consultations/{consultation.slug}")) == SCHOOL
    refused = submit(admin, "/admin/embed-websites", {"origin": "http://school.example.org"})
    assert refused.status == 400 and refused.title.startswith("Error:")


def test_origins_are_written_as_browsers_write_them():
    assert embeds.normalise_origin("https://Example.ORG:443/") == "https://example.org"
    assert embeds.normalise_origin("https://example.org:8443") == "https://example.org:8443"
    assert embeds.normalise_origin("https://bücher.example") == "https://xn--bcher-kva.example"


# --- answering inside a third-party iframe ---------------------------------------------------


def start(client, consultation) -> str:
    """Open the embed as a partner site's iframe does and follow its Start link; the page-1 path."""
    page = get(client, f"/embed/consultations/{consultation.slug}")
    assert page.status == 200, page.text
    button = page.soup.select_one("a.govuk-button--start")
    assert "Start now" in button.get_text()
    return button["href"]


def post_form(client, url, data) -> Page:
    """Post the form on `url` with the hidden fields the page gave (the embed's own token among them)."""
    form = get(client, url).soup.find("form", method="post")
    hidden = {field["name"]: field["value"] for field in form.find_all("input", type="hidden")}
    response = client.post(url, data={**hidden, **data})
    assert "Set-Cookie" not in response.headers
    return Page(response.status_code, response.get_data(as_text=True), response.headers.get("Location"))


def test_a_person_answers_inside_the_embed_without_any_cookie(app, survey, mailbox):
    browser = app.test_client(use_cookies=False)  # as a third-party iframe: our cookies never come back
    first = start(browser, survey)
    assert first.startswith(f"/embed/consultations/{survey.slug}/answer/") and first.endswith("/page/1")

    second = post_form(browser, first, {f"q{qid(survey, 'Q1')}": "2"})
    assert path_of(second.location) == first.replace("/page/1", "/page/2")
    check = post_form(browser, path_of(second.location), {f"q{qid(survey, 'Q2')}": "7"})
    check_page = get(browser, path_of(check.location))
    assert check_page.heading == "Check your answers"
    assert "Every week" in check_page.text
    done = post_form(browser, path_of(check.location), {"age_band": "25-34", "email": "resident@example.org"})
    assert path_of(done.location).endswith("/done")

    thanks = get(browser, path_of(done.location))
    assert "Answers sent" in thanks.text
    response = db.session.scalar(db.select(Response))
    assert response.status == ResponseStatus.COMPLETE
    assert response.age_band == "25-34" and response.member_id is None
    assert response.reference in thanks.text
    assert [message["To"] for message in mailbox] == ["resident@example.org"]  # the copy they asked for


def test_every_embed_page_answers_without_setting_a_cookie(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)
    for url in (f"/embed/consultations/{survey.slug}", first, f"/embed/consultations/{survey.slug}/results"):
        response = browser.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, url


def test_the_embed_keeps_the_site_frame_but_nothing_that_leads_away_from_the_partner_page(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)

    for url in (f"/embed/consultations/{survey.slug}", first):
        page = get(browser, url)
        assert page.soup.select_one(".epanel-header__council").get_text(strip=True) == "Avonmere District Council"
        assert page.soup.select(".govuk-service-navigation, .govuk-phase-banner, .govuk-notification-banner") == []
        links = page.soup.select("header a, footer a")
        assert [link.get_text(" ", strip=True) for link in page.soup.select("footer a")] == [
            "Privacy notice (opens in a new tab)", "Accessibility statement (opens in a new tab)"]
        assert {(link["target"], link["rel"][0]) for link in links} == {("_blank", "noopener")}, url
    # The site's own pages keep their navigation and footer as before.
    site = get(browser, f"/consultations/{survey.slug}")
    assert site.soup.select_one(".govuk-service-navigation") is not None
    assert "Contact us" in [link.get_text(strip=True) for link in site.soup.select("footer a")]


def test_a_wrong_answer_shows_the_error_inside_the_embed_and_saves_nothing(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)

    page = post_form(browser, first, {f"q{qid(survey, 'Q1')}": "not-a-choice"})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0


def test_a_post_without_the_embed_token_is_refused_and_saves_nothing(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)

    response = browser.post(first, data={f"q{qid(survey, 'Q1')}": "1"})

    assert response.status_code == 400
    assert "did not save anything" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0


def test_a_token_from_another_respondents_form_is_refused(app, survey):
    browser = app.test_client(use_cookies=False)
    mine, theirs = start(browser, survey), start(browser, survey)
    their_token = get(browser, theirs).csrf_token()

    response = browser.post(mine, data={"csrf_token": their_token, f"q{qid(survey, 'Q1')}": "1"})

    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0


def test_a_made_up_or_altered_answering_link_is_not_found(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)
    token = first.split("/answer/")[1].split("/")[0]

    assert browser.get(first.replace(token, token[:-2] + "xx")).status_code == 404
    other = create_consultation("Libraries", for_public=True)
    allow(other, PARISH)
    assert browser.get(first.replace(survey.slug, other.slug)).status_code == 404


def test_a_consultation_that_needs_sign_in_is_answered_on_the_council_site_instead(app, client):
    consultation = create_consultation(for_public=True, public_needs_sign_in=True)
    allow(consultation, PARISH)

    page = get(client, f"/embed/consultations/{consultation.slug}")

    assert page.status == 200
    assert "Start now" not in page.text
    link = page.soup.find("a", string=lambda text: text and "answer on the" in text)
    assert link["href"] == f"http://localhost/consultations/{consultation.slug}" and link["target"] == "_blank"


def test_answering_stops_when_the_consultation_closes(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)
    authoring.move_to(survey, ConsultationStatus.CLOSED)

    page = get(browser, first)

    assert path_of(page.location) == f"/embed/consultations/{survey.slug}"
    assert "has closed" in get(browser, f"/embed/consultations/{survey.slug}").text


# --- the results card ------------------------------------------------------------------------


def published(consultation, responses: int):
    for number in range(responses):
        respond(consultation, {"Q1": "1" if number % 4 else "2", "Q2": "long_text answer"})
    authoring.move_to(consultation, ConsultationStatus.CLOSED)
    authoring.move_to(consultation, ConsultationStatus.PUBLISHED)
    return consultation


@pytest.fixture
def poll(app):
    from tests.analysis.data import build_consultation

    consultation = build_consultation("Play areas", kinds=[
        ("single", "Which play area do you use?", {"choices": ["Abbey Park", "River Walk"]}),
        ("long_text", "Tell us about it", {}),
    ])
    allow(consultation, PARISH)
    return consultation


def test_the_results_card_waits_until_results_are_published(app, client, poll):
    respond(poll, {"Q1": "1"})

    page = get(client, f"/embed/consultations/{poll.slug}/results")

    assert page.status == 200
    assert "The results will appear here when" in page.text
    assert "Abbey Park" not in page.text


def test_the_results_card_shows_shares_of_published_results_but_never_written_answers(app, client, poll):
    published(poll, 12)

    page = get(client, f"/embed/consultations/{poll.slug}/results")

    table = page.soup.find("table")
    assert table.caption.get_text(strip=True) == "1. Which play area do you use?"
    rows = [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])] for row in table.tbody.find_all("tr")]
    assert rows == [["Abbey Park", "75%"], ["River Walk", "25%"]]
    assert "12 people answered." in page.text
    assert "long_text answer" not in page.text and "Tell us about it" not in page.text


def test_the_results_card_withholds_figures_resting_on_fewer_than_ten_people(app, client, poll):
    published(poll, 9)

    page = get(client, f"/embed/consultations/{poll.slug}/results")

    rows = [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
            for row in page.soup.find("table").tbody.find_all("tr")]
    assert rows == [["Abbey Park", "Not shown"], ["River Walk", "Not shown"]]
    assert "Fewer than 10 people answered this question" in page.text
    assert "9 people" not in page.text


def test_a_wrong_email_on_the_check_page_is_explained_and_the_answers_are_kept(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)
    second = path_of(post_form(browser, first, {f"q{qid(survey, 'Q1')}": "1"}).location)
    check = path_of(post_form(browser, second, {f"q{qid(survey, 'Q2')}": "5"}).location)

    page = post_form(browser, check, {"email": "not-an-email"})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["Enter an email address in the correct format, like name@example.com"]
    response = db.session.scalar(db.select(Response))
    assert response.status == ResponseStatus.IN_PROGRESS
    assert "Every day" in page.text  # the answers so far are still there to send


def test_going_back_to_the_start_carries_on_the_same_response(app, survey):
    browser = app.test_client(use_cookies=False)
    first = start(browser, survey)
    post_form(browser, first, {f"q{qid(survey, 'Q1')}": "3"})

    back = get(browser, first).soup.select_one("a.govuk-back-link")["href"]
    again = get(browser, back).soup.select_one("a.govuk-button--start")["href"]

    assert again == first
    assert get(browser, again).soup.find("input", attrs={"value": "3", "checked": True}) is not None
