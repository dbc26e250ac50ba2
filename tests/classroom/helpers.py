"""Plain functions that make schools, teachers and class sessions for the classroom tests."""

import itertools

from epanel.classroom import operations
from epanel.classroom.models import ClassSession
from epanel.extensions import db
from tests.factories import PASSWORD, create_consultation, create_user
from tests.pages import Page, get, path_of, sign_in, submit

_numbers = itertools.count(1)


def create_school(name=None):
    return operations.create_school(name or f"Avonmere Academy {next(_numbers)}", area="Abbey")


def create_teacher(school=None, email=None):
    teacher = create_user(email, roles=["teacher"])
    operations.add_teacher(school or create_school(), teacher)
    return teacher


def create_class_consultation(title="Our town centre", kinds=("yes_no", "single"), **access):
    return create_consultation(title, kinds=kinds, for_schools=True, **access)


def start_class_session(teacher=None, consultation=None, **settings):
    teacher = teacher or create_teacher()
    consultation = consultation or create_class_consultation()
    settings.setdefault("class_name", "9R")
    settings.setdefault("year_group", "Year 9")
    return operations.start_session(teacher, consultation, **settings)


def sign_in_teacher(client, teacher):
    return sign_in(client, teacher.email, PASSWORD)


def join(client, code):
    return submit(client, "/class", {"code": code})


def answer_all(client, consultation, answers=None):
    """Join-then-answer: post the answers page (first choice of every question unless `answers` says otherwise)."""
    answers = answers or {}
    page = get(client, "/class/answer")
    shown = page.soup.find("input", attrs={"name": "shown"})
    data = {"shown": shown["value"] if shown else ""}
    for question in consultation.questions:
        data[f"q{question.id}"] = answers[question.id] if question.id in answers else question.choices[0].code
    token = page.csrf_token() if page.status == 200 else get(client, "/class").csrf_token()
    response = client.post("/class/answer", data={"csrf_token": token, **data})
    return Page(response.status_code, response.get_data(as_text=True), response.headers.get("Location"))


def stored(class_session):
    """The session as the database has it now (the test's own session may hold an older copy)."""
    db.session.expire_all()
    return db.session.get(ClassSession, class_session.id)


def join_and_answer(client, class_session, answers=None):
    joined = join(client, class_session.join_code)
    assert path_of(joined.location) == "/class/answer", joined.text
    return answer_all(client, class_session.consultation, answers)
