"""Teachers: starting a session, the board and its live results, hiding and revealing, exports, and privacy
between teachers."""

import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from epanel.classroom import operations, queries
from epanel.classroom.models import ClassSession
from epanel.common.time import utcnow
from epanel.consultations.forms import LONDON
from epanel.extensions import db
from tests.classroom.helpers import (
    create_class_consultation,
    create_school,
    create_teacher,
    join_and_answer,
    sign_in_teacher,
    start_class_session,
    stored,
)
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit


def todays_times() -> dict:
    """A start a minute ago and an end an hour on (or just before midnight), as a teacher types them."""
    now = utcnow().astimezone(LONDON)
    end = min(now + timedelta(hours=1), now.replace(hour=23, minute=59))
    return {"starts_at": (now - timedelta(minutes=1)).strftime("%H:%M"), "ends_at": end.strftime("%H:%M")}


@pytest.fixture
def teacher(app, client):
    user = create_teacher()
    sign_in_teacher(client, user)
    return user


def test_a_teacher_starts_a_session_and_sees_the_code_the_link_and_the_qr_code(app, client, teacher):
    consultation = create_class_consultation()

    started = submit(client, "/teacher/sessions/new", {
        "consultation": consultation.slug, "class_name": "9R", "year_group": "Year 9", "expected_pupils": "28",
        **todays_times()})

    assert started.status == 302, started.error_summary
    class_session = db.session.scalar(db.select(ClassSession))
    assert path_of(started.location) == f"/teacher/sessions/{class_session.id}"
    board = get(client, started.location)
    assert board.heading == consultation.title
    assert board.soup.select_one("#join-code").get_text(strip=True) == class_session.join_code
    assert "/class" in board.text
    assert "0 joined, 0 sent (of 28 expected)" in board.text
    qr = client.get(f"/teacher/sessions/{class_session.id}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data


def test_the_start_form_explains_its_mistakes(app, client, teacher):
    create_class_consultation()

    page = submit(client, "/teacher/sessions/new", {"class_name": "", "starts_at": "10:00", "ends_at": "nine"})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert "Enter the class name" in page.error_summary
    assert any("24-hour clock" in error for error in page.error_summary)


def test_teachers_cannot_see_other_teachers_sessions(app, client, teacher):
    other_teacher = create_teacher(school=create_school("Kingsmead High"))
    theirs = start_class_session(other_teacher)

    for path in ("", "/live", "/results", "/written-answers", "/export.csv", "/export.xlsx", "/qr.svg"):
        assert client.get(f"/teacher/sessions/{theirs.id}{path}").status_code == 404, path
    assert client.post(f"/teacher/sessions/{theirs.id}/end").status_code in (400, 404)
    assert theirs.join_code not in get(client, "/teacher").text
    assert stored(theirs).status.value == "open"


def test_only_teachers_reach_the_teacher_pages(app, client):
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    assert get(client, "/teacher").status == 403
    assert path_of(get(app.test_client(), "/teacher/sessions/new").location).startswith("/sign-in")


def test_live_results_are_right_while_answers_arrive_and_cheap_while_nothing_changes(app, client, teacher):
    consultation = create_class_consultation(kinds=("yes_no",))
    class_session = start_class_session(teacher, consultation)
    question = consultation.questions[0]
    yes, no = (choice.code for choice in question.choices)
    url = f"/teacher/sessions/{class_session.id}/live"

    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    for number, answer in enumerate([yes, yes, no], start=1):
        join_and_answer(app.test_client(), class_session, {question.id: answer})
        live = client.get(url, headers={"If-None-Match": etag})
        assert live.status_code == 200, "a new answer changes the board"
        etag = live.headers["ETag"]
        text = BeautifulSoup(live.get_data(as_text=True), "html.parser").get_text(" ", strip=True)
        assert f"{number} joined, {number} sent" in text
    results = queries.board_results(stored(class_session), consultation)
    assert [(bar.label, bar.count) for bar in results[0].bars] == [("Yes", 2), ("No", 1)]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_the_board_counts_one_aggregate_query(app, client, teacher):
    consultation = create_class_consultation(kinds=("yes_no", "multiple", "rating", "grid", "ranking"))
    class_session = start_class_session(teacher, consultation)
    statements = []
    from sqlalchemy import event

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(f"/teacher/sessions/{class_session.id}/live")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "FROM answers" in s]) == 1


def test_hidden_results_stay_hidden_until_revealed_question_by_question(app, client, teacher):
    consultation = create_class_consultation(kinds=("yes_no", "yes_no"))
    class_session = start_class_session(teacher, consultation, results_hidden=True)
    join_and_answer(app.test_client(), class_session)
    first, second = consultation.questions

    board = get(client, f"/teacher/sessions/{class_session.id}")
    assert board.text.count("Results hidden") == 2
    submit(client, f"/teacher/sessions/{class_session.id}/board", {"action": "reveal", "question_id": first.id},
           form_page=f"/teacher/sessions/{class_session.id}")

    results = queries.board_results(stored(class_session), consultation)
    assert [r.shown for r in results] == [True, False]
    assert get(client, f"/teacher/sessions/{class_session.id}").text.count("Results hidden") == 1


def test_written_answers_never_reach_the_board_but_the_teacher_can_read_them(app, client, teacher):
    consultation = create_class_consultation(kinds=("yes_no", "short_text"))
    class_session = start_class_session(teacher, consultation)
    text_question = consultation.questions[1]
    join_and_answer(app.test_client(), class_session, {text_question.id: "Skate park please"})

    board = get(client, f"/teacher/sessions/{class_session.id}")
    live = client.get(f"/teacher/sessions/{class_session.id}/live").get_data(as_text=True)
    written = get(client, f"/teacher/sessions/{class_session.id}/written-answers")

    assert "Skate park" not in board.text and "Skate park" not in live
    assert "1 written answer" in board.text
    assert "Skate park please" in written.text


def test_the_teacher_exports_the_class_answers_as_csv_and_xlsx(app, client, teacher):
    consultation = create_class_consultation(kinds=("yes_no", "short_text"))
    class_session = start_class_session(teacher, consultation)
    join_and_answer(app.test_client(), class_session, {consultation.questions[1].id: "=HYPERLINK(\"x\")"})

    csv = client.get(f"/teacher/sessions/{class_session.id}/export.csv").get_data(as_text=True)
    xlsx = client.get(f"/teacher/sessions/{class_session.id}/export.xlsx")

    lines = csv.lstrip("\ufeff").splitlines()
    assert len(lines) == 2
    assert "Yes" in lines[1] and class_session.school.name in lines[1]
    assert "'=HYPERLINK" in lines[1], "formula injection is neutralised"
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert len(rows) == 2 and rows[1][5] == "Yes"


def test_ending_a_session_stops_its_code_and_shows_the_results(app, client, teacher):
    class_session = start_class_session(teacher)

    ended = submit(client, f"/teacher/sessions/{class_session.id}/end", {},
                   form_page=f"/teacher/sessions/{class_session.id}")

    assert path_of(ended.location) == f"/teacher/sessions/{class_session.id}/results"
    assert stored(class_session).state(class_session.starts_at) == "closed"
    assert "Download the class's answers" in get(client, ended.location).text


def test_tables_outside_the_officers_console_leave_out_groups_under_ten(app, client, teacher):
    consultation = create_class_consultation(kinds=("yes_no",))
    big = start_class_session(teacher, consultation, year_group="Year 9")
    small = start_class_session(teacher, consultation, year_group="Year 10")
    for _ in range(10):
        join_and_answer(app.test_client(), big)
    for _ in range(3):
        join_and_answer(app.test_client(), small)

    by_year = {group.year_group: group.responses for group in queries.responses_by_year_group(consultation)}
    page = get(client, f"/teacher/sessions/{small.id}/results")

    assert by_year == {"Year 9": 10, "Year 10": None}
    rows = [row.get_text(" ", strip=True) for row in page.soup.select("#by-year-group tbody tr")]
    assert rows == ["Year 10 Fewer than 10", "Year 9 10"]
    officer_view = queries.responses_by_school_and_year(consultation, suppress=False)
    assert sorted(group.responses for group in officer_view) == [3, 10], "officers see every group"


def test_the_teacher_home_lists_only_their_sessions(app, client, teacher):
    mine = start_class_session(teacher, class_name="9R")
    start_class_session(create_teacher(), class_name="11X")

    page = get(client, "/teacher")

    assert "9R" in page.text and "11X" not in page.text
    assert mine.join_code in page.text


def test_closed_session_board_and_set_board_operation(app):
    class_session = start_class_session()
    operations.set_board(class_session, hidden=True)
    assert not class_session.shows_results_of(1)
    operations.set_board(class_session, reveal_all=True)
    assert class_session.shows_results_of(1)
