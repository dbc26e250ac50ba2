"""Officers register schools and invite teachers; teachers ask for accounts; lesson pages; results by school."""

import pytest

from epanel.accounts.models import Role
from epanel.accounts.queries import find_user_by_email
from epanel.classroom import queries
from epanel.classroom.models import School, TeacherRequest, TeacherRequestStatus
from epanel.extensions import db
from tests.classroom.helpers import (
    create_class_consultation,
    create_school,
    join_and_answer,
    start_class_session,
)
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


def test_an_officer_registers_a_school_and_invites_a_teacher_by_email(app, client, officer, mailbox):
    added = submit(client, "/officer/schools", {"name": "Kingsmead High", "area": "Kingsmead", "phase": "secondary"})
    school = db.session.scalar(db.select(School))
    assert path_of(added.location) == f"/officer/schools/{school.id}"

    invited = submit(client, f"/officer/schools/{school.id}", {"name": "Ms Ada Jones", "email": "ada@kingsmead.example"})

    assert path_of(invited.location) == f"/officer/schools/{school.id}"
    teacher = find_user_by_email("ada@kingsmead.example")
    assert Role.TEACHER in teacher.roles
    assert queries.school_of(teacher).id == school.id
    assert mailbox[-1]["To"] == "ada@kingsmead.example"
    assert "Ms Ada Jones" in get(client, f"/officer/schools/{school.id}").text


def test_a_school_form_with_mistakes_says_what_to_fix(app, client, officer):
    page = submit(client, "/officer/schools", {"name": "", "phase": "secondary"})

    assert page.title.startswith("Error:")
    assert page.error_summary == ["Enter the school's name"]


def test_a_teacher_asks_for_an_account_and_an_officer_approves_it(app, client, mailbox):
    school = create_school("Riverside School")
    public = app.test_client()
    sent = submit(public, "/teachers/request-account", {"name": "Mr Ben Ali", "email": "ben@riverside.example",
                                                        "school": str(school.id), "message": "Year 9 citizenship"})
    assert sent.heading == "Request sent"
    request = db.session.scalar(db.select(TeacherRequest))
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    assert "Mr Ben Ali" in get(client, "/officer/schools").text

    approved = submit(client, f"/officer/teacher-requests/{request.id}", {"school": str(school.id), "submit": "y"})

    assert path_of(approved.location) == "/officer/schools"
    db.session.expire_all()
    assert db.session.get(TeacherRequest, request.id).status == TeacherRequestStatus.APPROVED
    assert queries.school_of(find_user_by_email("ben@riverside.example")).id == school.id
    assert mailbox[-1]["To"] == "ben@riverside.example"


def test_a_request_needs_a_school(app, client):
    page = submit(client, "/teachers/request-account", {"name": "Mr Ben Ali", "email": "ben@riverside.example"})

    assert page.title.startswith("Error:")
    assert page.error_summary == ["Choose your school, or enter its name if it is not listed"]


def test_an_officer_can_decline_a_request(app, client, officer):
    request = TeacherRequest(name="Someone", email="someone@example.org", school_name="Unknown School")
    db.session.add(request)
    db.session.commit()

    submit(client, f"/officer/teacher-requests/{request.id}", {"decline-submit": "Confirm"})

    db.session.expire_all()
    assert db.session.get(TeacherRequest, request.id).status == TeacherRequestStatus.DECLINED
    assert find_user_by_email("someone@example.org") is None


def test_the_lesson_page_has_citizenship_objectives_and_officers_can_edit_it(app, client, officer):
    consultation = create_class_consultation()
    teacher_client = app.test_client()
    teacher = create_user(roles=["teacher"])
    sign_in(teacher_client, teacher.email, PASSWORD)

    default = get(teacher_client, f"/teacher/lessons/{consultation.slug}")
    assert default.status == 200
    assert "KS3" in default.text and "What happens to your class's views" in default.text

    submit(client, f"/officer/consultations/{consultation.slug}/lesson", {
        "objectives": "- Know who **your councillors** are", "running_order": "1. Vote", "prompts": "- Why?",
        "what_happens": "We read every answer."})

    page = get(teacher_client, f"/teacher/lessons/{consultation.slug}")
    assert "Know who your councillors are" in page.text
    assert page.soup.select_one(".epanel-prose strong").get_text() == "your councillors"
    assert get(teacher_client, f"/officer/consultations/{consultation.slug}/lesson").status == 403


def test_officers_see_class_results_by_school_and_year_group(app, client, officer):
    consultation = create_class_consultation(kinds=("yes_no",))
    class_session = start_class_session(consultation=consultation)
    for _ in range(2):
        join_and_answer(app.test_client(), class_session)

    page = get(client, f"/officer/consultations/{consultation.slug}/class-results")

    rows = [row.get_text(" ", strip=True) for row in page.soup.select("#by-school tbody tr")]
    assert rows == [f"{class_session.school.name} Year 9 2"], "officers see small groups"
    by_answer = [row.get_text(" ", strip=True) for row in page.soup.select("table[data-question] tbody tr")]
    assert by_answer == [f"{class_session.school.name}, Year 9 2 0"]


def test_staff_home_links_teachers_and_officers_to_class_sessions(app, client, officer):
    assert "Schools and class sessions" in get(client, "/staff").text
    teacher_client = app.test_client()
    teacher = create_user(roles=["teacher"])
    sign_in(teacher_client, teacher.email, PASSWORD)
    assert "Class sessions" in get(teacher_client, "/staff").text
