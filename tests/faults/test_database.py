"""Database faults: PostgreSQL stopped mid-answer and restarted; a read-only SQLite database.

The member sees a styled 503 "try again" page with Retry-After, nothing they saved before is
lost, the request that failed wrote nothing, and once the database is back they carry on.
PostgreSQL is "stopped" by closing a proxy of our own (tests/faults/proxy.py), never the real
server, which other test runs share.
"""

import pytest
import sqlalchemy as sa

from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import Answer
from tests.conftest import _empty_all_tables
from tests.factories import PASSWORD, create_consultation, create_invitation, create_member, create_panel, create_user
from tests.pages import Page, get, path_of, sign_in, submit

UNAVAILABLE = "Sorry, the service is unavailable"


def two_page_survey():
    consultation = create_consultation(kinds=(), open_now=False, sections=1)
    authoring.add_question(consultation.sections[0], "yes_no", "Are you happy with the parks?", required=True)
    authoring.add_question(authoring.add_section(consultation, "Safety"), "rating",
                           "How safe do you feel in the park?", required=True)
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def question_id(consultation, code: str) -> int:
    return next(question.id for question in consultation.questions if question.code == code)


def start_answering(client, survey) -> dict[str, str]:
    """Follow a member's private link and answer page 1 ("Yes"); the form fields page 2 will need."""
    member = create_member([create_panel()], email="m@example.org")
    _, token = create_invitation(survey, member)
    assert path_of(get(client, f"/respond/i/{token}").location) == f"/respond/{survey.slug}/page/1"
    saved = submit(client, f"/respond/{survey.slug}/page/1", {f"q{question_id(survey, 'Q1')}": "1"})
    assert path_of(saved.location) == f"/respond/{survey.slug}/page/2"
    # The member now has page 2 open in the browser, with its form and CSRF token.
    token = get(client, f"/respond/{survey.slug}/page/2").csrf_token()
    return {"csrf_token": token, f"q{question_id(survey, 'Q2')}": "8"}


def post(client, url, form) -> Page:
    response = client.post(url, data=form)
    return Page(response.status_code, response.get_data(as_text=True), response.headers.get("Location"))


def saved_answers() -> int:
    db.session.rollback()  # see the latest commits, not this session's snapshot
    return db.session.scalar(sa.select(sa.func.count(Answer.id)))


def assert_try_again(page: Page) -> None:
    assert page.status == 503
    assert page.heading == UNAVAILABLE
    assert page.soup.select_one(".govuk-header"), "the styled page, with the site's header, not a bare error"
    assert "Try again in a few minutes" in page.text
    assert "Anything you saved before this page appeared has been kept" in page.text


# --- PostgreSQL stopped mid-answer ---------------------------------------------------------------


@pytest.fixture
def postgres_proxy(database_backend, make_proxy):
    if database_backend != "postgres":
        pytest.skip("PostgreSQL faults run in the --database=postgres pass")
    return make_proxy(5432)


@pytest.fixture
def proxied_app(make_app, database_url, postgres_proxy):
    """An app whose PostgreSQL connections go through the proxy, to the session's test database."""
    url = sa.make_url(database_url).set(host="127.0.0.1", port=postgres_proxy.port)
    app = make_app(SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False))
    with app.app_context():
        yield app
        postgres_proxy.start()  # a failed test may leave it stopped: the tables must still be emptied
        db.session.remove()
        _empty_all_tables()


def test_postgres_stopped_mid_answer_shows_try_again_and_keeps_earlier_answers(proxied_app, postgres_proxy):
    client = proxied_app.test_client()
    survey = two_page_survey()
    page_two = start_answering(client, survey)
    slug, happy, safety = survey.slug, question_id(survey, "Q1"), question_id(survey, "Q2")
    assert saved_answers() == 1

    db.session.remove()  # the test's own transaction ends; its pooled connection is cut below like the app's
    postgres_proxy.stop()  # the database goes down while the member is on page 2
    sent = client.post(f"/respond/{slug}/page/2", data=page_two)
    looked = get(client, f"/respond/{slug}/page/1")
    api = client.get("/api/v1/consultations", headers={"Authorization": "Bearer epanel_not-checked-while-the-database-is-down"})

    assert postgres_proxy.connections_cut >= 1, "the app had open connections, and they were cut"
    assert sent.status_code == 503
    assert sent.headers["Retry-After"] == "30"
    assert_try_again(Page(sent.status_code, sent.get_data(as_text=True)))
    assert_try_again(looked)
    assert (api.status_code, api.mimetype) == (503, "application/problem+json")
    assert api.headers["Retry-After"], "the rate limiter's headers may set the figure, but there is one"
    assert "Try again in a few minutes" in api.get_json()["detail"], "API callers get problem details, not HTML"

    postgres_proxy.start()  # the database is back

    assert saved_answers() == 1, "page 1's answer survived; page 2's failed post wrote nothing"
    page_one = get(client, f"/respond/{slug}/page/1")
    assert page_one.status == 200
    assert page_one.soup.find("input", attrs={"name": f"q{happy}", "value": "1"}).has_attr("checked")
    again = submit(client, f"/respond/{slug}/page/2", {f"q{safety}": "8"})
    assert path_of(again.location) == f"/respond/{slug}/check", "the member carries on where they were"
    assert saved_answers() == 2, "each answer saved exactly once"


def test_a_signed_in_officer_gets_the_try_again_page_drawn_as_signed_out_and_stays_signed_in(
        proxied_app, postgres_proxy):
    client = proxied_app.test_client()
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    assert get(client, "/officer/outbox").status == 200

    db.session.remove()
    postgres_proxy.stop()
    page = get(client, "/officer/outbox")

    # The layout shows who is signed in, which needs the database: the page is drawn as for a visitor.
    assert_try_again(page)
    assert "Sign out" not in page.text

    postgres_proxy.start()
    assert get(client, "/officer/outbox").status == 200, "still signed in once the database is back"


# --- a read-only SQLite database ---------------------------------------------------------------------


@pytest.fixture
def sqlite_file(app, database_backend, database_url):
    if database_backend != "sqlite":
        pytest.skip("the read-only SQLite file is the SQLite pass's case; PostgreSQL is stopped instead")
    return sa.make_url(database_url).database


def refuse_writes(connection, record) -> None:
    """Open the database read-only: SQLite answers every write "attempt to write a readonly database",
    as it does for a file it cannot write. (A `file:...?mode=ro` URI would do the same, but the
    answering lock in epanel/respond/writing.py takes the URL's database for a file path.)"""
    connection.execute("PRAGMA query_only = ON")


def test_a_read_only_database_shows_a_clear_error_and_writes_nothing(app, client, make_app, sqlite_file):
    survey = two_page_survey()
    page_two = start_answering(client, survey)
    read_only = make_app()
    with read_only.app_context():
        sa.event.listen(db.engine, "connect", refuse_writes)
    reader = read_only.test_client()
    cookie = read_only.config["SESSION_COOKIE_NAME"]
    reader.set_cookie(cookie, client.get_cookie(cookie).value)  # the same member, in the same browser

    shown = get(reader, f"/respond/{survey.slug}/page/2")
    sent = reader.post(f"/respond/{survey.slug}/page/2", data=page_two)

    assert shown.status == 200, "reading still works"
    assert sent.status_code == 503
    assert sent.headers["Retry-After"] == "30"
    assert_try_again(Page(sent.status_code, sent.get_data(as_text=True)))
    assert saved_answers() == 1, "nothing from the failed post was written"

    again = submit(client, f"/respond/{survey.slug}/page/2", {f"q{question_id(survey, 'Q2')}": "8"})
    assert path_of(again.location) == f"/respond/{survey.slug}/check", "writable again, the member carries on"
    assert saved_answers() == 2
