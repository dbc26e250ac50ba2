"""What keeps the answering pages fast stays correct: the cached survey structure, the page saved
together with the response it starts, answers read once, and a query budget per page."""

import threading

import pytest
import sqlalchemy as sa

from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from epanel.consultations.structure import get_structure
from epanel.extensions import db
from epanel.respond.models import Answer, Response
from epanel.respond.writing import one_writer
from tests.factories import create_consultation, create_invitation, create_member, create_panel
from tests.pages import Page, get, path_of, submit


@pytest.fixture
def member(app):
    return create_member([create_panel("citizens", "Citizens' Panel")], email="m@example.org", ward="Abbey")


@pytest.fixture
def survey(app):
    """Two pages with no show-only-if conditions: a choice and a scale, then a long text."""
    consultation = create_consultation(kinds=(), open_now=False, sections=1)
    first = consultation.sections[0]
    authoring.add_question(first, "single", "How often do you visit a park?", required=True,
                           choices=["Every day", "Every week", "Less often"])
    authoring.add_question(first, "multiple", "What do you go for?", choices=["Walking", "Sport", "Play"])
    second = authoring.add_section(consultation, "Your ideas")
    authoring.add_question(second, "long_text", "What one change would help most?")
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def field(consultation, code):
    return "q" + str(next(q.id for q in consultation.questions if q.code == code))


def start(client, survey, member):
    _, token = create_invitation(survey, member)
    assert path_of(get(client, f"/respond/i/{token}").location) == f"/respond/{survey.slug}/page/1"


class Statements:
    """Counts SQL statements and commits on the app's engine inside a `with` block."""

    def __init__(self):
        self.statements, self.commits = 0, 0

    def _statement(self, *args):
        self.statements += 1

    def _commit(self, *args):
        self.commits += 1

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._statement)
        sa.event.listen(db.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._statement)
        sa.event.remove(db.engine, "commit", self._commit)


def counted_post(client, url, data) -> tuple[Page, Statements]:
    """Post a form as `submit` does, counting only the post's statements."""
    token = get(client, url).csrf_token()
    with Statements() as counted:
        response = client.post(url, data={"csrf_token": token, **data})
    return Page(response.status_code, response.get_data(as_text=True), response.headers.get("Location")), counted


def test_the_first_saved_page_starts_the_response_in_the_same_commit(client, survey, member):
    start(client, survey, member)

    page, counted = counted_post(client, f"/respond/{survey.slug}/page/1",
                                 {field(survey, "Q1"): "2", field(survey, "Q2"): ["1", "3"]})

    assert path_of(page.location) == f"/respond/{survey.slug}/page/2"
    assert counted.commits == 1
    response = db.session.scalar(db.select(Response))
    assert response.pages_done == 1 and response.invitation.started_at is not None
    assert db.session.scalar(db.select(sa.func.count(Answer.id)).where(Answer.response_id == response.id)) == 3
    db.session.refresh(survey)
    assert survey.structure_locked_at is not None, "the first response still locks the structure"


def test_going_back_replaces_only_that_pages_answers(client, survey, member):
    start(client, survey, member)
    submit(client, f"/respond/{survey.slug}/page/1", {field(survey, "Q1"): "1"})
    submit(client, f"/respond/{survey.slug}/page/2", {field(survey, "Q3"): "More benches by the river."})

    again = submit(client, f"/respond/{survey.slug}/page/1?change=1", {field(survey, "Q1"): "3", field(survey, "Q2"): "2"})

    assert path_of(again.location) == f"/respond/{survey.slug}/check"
    check = get(client, f"/respond/{survey.slug}/check")
    assert "Less often" in check.text and "Sport" in check.text and "More benches by the river." in check.text
    assert "Every day" not in check.text
    assert db.session.scalar(db.select(Response.pages_done)) == 2


def test_answering_pages_stay_within_their_query_budget(client, survey, member):
    start(client, survey, member)
    budgets = []
    for method, path, form in [
        ("GET", "/page/1", None),
        ("POST", "/page/1", {field(survey, "Q1"): "1"}),
        ("GET", "/page/2", None),
        ("POST", "/page/2", {field(survey, "Q3"): "More benches."}),
        ("GET", "/check", None),
    ]:
        if method == "GET":
            with Statements() as counted:
                page = get(client, f"/respond/{survey.slug}{path}")
        else:
            page, counted = counted_post(client, f"/respond/{survey.slug}{path}", form)
        assert page.status in (200, 302)
        budgets.append((method, path, counted.statements, counted.commits))

    # One query gives the consultation, the invitation, its member and its response; one more reads the
    # saved answers. Saving a page updates the response, deletes the page's old answers and inserts the new
    # ones in one statement; the first save starts the response, locks the structure and marks the
    # invitation started in the same commit. A survey without conditions needs no saved answers to save a page.
    assert budgets == [
        ("GET", "/page/1", 1, 0),
        ("POST", "/page/1", 5, 1),
        ("GET", "/page/2", 2, 0),
        ("POST", "/page/2", 4, 1),
        ("GET", "/check", 2, 0),
    ]


def test_a_wording_correction_reaches_the_next_page_shown(client, survey, member):
    start(client, survey, member)
    submit(client, f"/respond/{survey.slug}/page/1", {field(survey, "Q1"): "1"})  # locks the structure
    assert "What one change would help most?" in get(client, f"/respond/{survey.slug}/page/2").text
    question = next(q for q in survey.questions if q.code == "Q3")

    authoring.update_question_wording(question, text="What single change would help most?", help_text="",
                                      labels={})

    assert "What single change would help most?" in get(client, f"/respond/{survey.slug}/page/2").text


def test_the_structure_is_built_once_per_version(app, survey):
    first = get_structure(survey)
    assert get_structure(survey) is first
    assert [len(section.questions) for section in first.sections] == [2, 1]
    assert [option.label for option in first.questions[0].choices] == ["Every day", "Every week", "Less often"]

    authoring.add_section(survey, "One more page")

    assert get_structure(survey) is not first
    assert len(get_structure(survey).sections) == 3


def test_the_cached_structure_cannot_be_changed_by_a_request(app, survey):
    question = get_structure(survey).questions[1]
    with pytest.raises(TypeError):
        question.settings["max_choices"] = 1
    with pytest.raises(AttributeError):
        question.text = "Changed"


def test_a_session_cannot_use_another_consultations_invitation(app, client, survey, member):
    other = create_consultation("Libraries")
    invitation, _ = create_invitation(other, member)
    with client.session_transaction() as session:
        session["respond"] = {survey.slug: {"invitation_id": invitation.id}}

    page = get(client, f"/respond/{survey.slug}/page/1")

    assert page.status == 302 and path_of(page.location) == f"/consultations/{survey.slug}"


def test_racing_first_saves_of_one_respondent_make_one_response_with_the_answers(app, survey, member):
    client = app.test_client()
    start(client, survey, member)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    url, name, statuses = f"/respond/{survey.slug}/page/1", field(survey, "Q1"), []

    def save(code):
        other = app.test_client()
        other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        statuses.append(submit(other, url, {name: code}).status)

    threads = [threading.Thread(target=save, args=(code,)) for code in "123"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * 3
    assert db.session.scalar(db.select(sa.func.count(Response.id))) == 1
    assert db.session.scalar(db.select(sa.func.count(Answer.id))) == 1, "each save replaced the page's answer"


def test_answering_writes_take_turns(app):
    inside, overlapped = [], []

    def write():
        with app.app_context(), one_writer():
            overlapped.append(bool(inside))
            inside.append(1)
            threading.Event().wait(0.01)
            inside.pop()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(overlapped) == 4
    if db.engine.dialect.name == "sqlite":
        assert not any(overlapped)
