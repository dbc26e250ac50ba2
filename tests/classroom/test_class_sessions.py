"""Class sessions: join codes and their expiry, pupils answering anonymously once per device, and safeguards."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from epanel.classroom import operations
from epanel.classroom.models import ClassSession
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus
from tests.classroom.helpers import (
    answer_all,
    create_class_consultation,
    create_school,
    create_teacher,
    join,
    join_and_answer,
    start_class_session,
    stored,
)
from tests.factories import create_consultation
from tests.pages import get, path_of, submit

LOOK_ALIKES = set("0O1IL2Z5S8BV")  # of each look-alike pair, at most one is used


def test_join_codes_are_six_characters_without_look_alikes(app):
    codes = {operations.new_join_code() for _ in range(2000)}

    assert all(len(code) == 6 for code in codes)
    assert not set("".join(codes)) & LOOK_ALIKES
    assert set("".join(codes)) == set(operations.CODE_ALPHABET)
    assert len(codes) > 1990, "codes are random"


def test_a_new_session_gets_a_unique_code_and_lasts_the_next_hour_by_default(app):
    first = start_class_session()
    second = start_class_session(consultation=first.consultation)

    assert first.join_code != second.join_code
    assert timedelta(minutes=59) < first.ends_at - first.starts_at <= timedelta(hours=1)


def test_pupils_type_codes_in_any_case_with_spaces(app, client):
    class_session = start_class_session()

    joined = join(client, " " + class_session.join_code[:3].lower() + " " + class_session.join_code[3:] + " ")

    assert path_of(joined.location) == "/class/answer"


def test_a_code_stops_working_when_the_session_ends(app, client):
    class_session = start_class_session()
    class_session.ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    page = join(client, class_session.join_code)

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert "This code has expired" in page.error_summary[0]


def test_a_session_the_teacher_ended_accepts_no_more_answers(app, client):
    class_session = start_class_session()
    assert path_of(join(client, class_session.join_code).location) == "/class/answer"
    operations.end_session(class_session)

    page = answer_all(client, class_session.consultation)

    assert page.status == 410
    assert page.heading == "This session has ended"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_a_session_cannot_start_on_a_consultation_not_open_to_schools(app):
    teacher = create_teacher()
    not_for_schools = create_consultation(kinds=("yes_no",))

    with pytest.raises(operations.ClassroomError, match="not open to schools"):
        operations.start_session(teacher, not_for_schools, class_name="9R", year_group="Year 9")


def test_wrong_codes_are_rate_limited_per_address_but_a_class_joins_freely(make_app):
    app = make_app(RATELIMIT_CLASS_JOIN="3 per minute")
    with app.app_context():
        class_session = start_class_session()
        code = class_session.join_code
        pupils = [app.test_client() for _ in range(6)]
        # Six pupils behind the school's one address all get in: only wrong codes count.
        for pupil in pupils:
            assert path_of(join(pupil, code).location) == "/class/answer"
        guesser = app.test_client()
        statuses = [join(guesser, "AAAAAA").status for _ in range(4)]
        late_pupil = app.test_client()
        blocked = join(late_pupil, code)
        try:
            assert statuses == [200, 200, 200, 429]
            assert blocked.status == 429, "the limit is per address"
            assert blocked.heading == "Too many attempts"
        finally:
            db.session.remove()
            from tests.conftest import _empty_all_tables

            _empty_all_tables()


def test_a_pupil_answers_once_and_the_response_is_a_class_response(app, client):
    class_session = start_class_session()

    sent = join_and_answer(client, class_session)

    assert path_of(sent.location) == "/class/done"
    assert get(client, "/class/done").heading == "Thank you"
    response = db.session.scalar(sa.select(Response))
    assert response.channel == ResponseChannel.CLASS
    assert response.status == ResponseStatus.COMPLETE
    assert (response.class_session_id, response.school, response.year_group) == (
        class_session.id, class_session.school.name, "Year 9")
    assert stored(class_session).submitted_count == 1


def test_one_response_per_device_unless_the_session_shares_devices(app, client):
    class_session = start_class_session()
    join_and_answer(client, class_session)

    again = join(client, class_session.join_code)
    assert path_of(get(client, path_of(again.location)).location) == "/class/done"
    answer_all(client, class_session.consultation)  # posting the form again changes nothing

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert "next person" not in get(client, "/class/done").text


def test_a_repeated_send_from_one_device_counts_once(app, client):
    class_session = start_class_session()
    assert path_of(join(client, class_session.join_code).location) == "/class/answer"
    device = {}
    with client.session_transaction() as session:
        device = dict(session["class"])
    answer_all(client, class_session.consultation)
    with client.session_transaction() as session:
        session["class"] = device  # as if the first send's reply never arrived

    answer_all(client, class_session.consultation)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert stored(class_session).submitted_count == 1


def test_on_shared_devices_each_finished_response_returns_to_the_start(app, client):
    class_session = start_class_session(shared_devices=True)
    join_and_answer(client, class_session)
    done = get(client, "/class/done")
    assert "next person" in done.text

    next_pupil = submit(client, "/class/next-pupil", {}, form_page="/class/done")
    assert path_of(next_pupil.location) == "/class/answer"
    answer_all(client, class_session.consultation)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 2
    assert stored(class_session).joined_count == 2


def test_nothing_identifying_is_stored_for_pupils(app, client):
    consultation = create_class_consultation(kinds=("yes_no", "short_text"))
    class_session = start_class_session(consultation=consultation)
    text_question = consultation.questions[1]
    join(client, class_session.join_code)
    client.environ_base.update({"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "PupilPhone/1.0"})
    answer_all(client, consultation, {text_question.id: "More benches"})

    with db.engine.connect() as connection:
        stored = [row._mapping for row in connection.execute(sa.select(Response.__table__))]
        answers = [row._mapping for row in connection.execute(sa.select(Answer.__table__))]
        sessions = [row._mapping for row in connection.execute(sa.select(ClassSession.__table__))]
    assert len(stored) == 1
    response = stored[0]
    for column in ("member_id", "invitation_id", "group_id", "keyed_by_id", "contact_email", "postcode_district",
                   "ward", "parish", "gender", "confirmation_hash", "email_confirmed_at"):
        assert response[column] is None, column
    everything = " ".join(str(value) for row in stored + answers + sessions for value in row.values())
    assert "203.0.113" not in everything and "127.0.0.1" not in everything
    assert "PupilPhone" not in everything
    assert "More benches" in everything, "the answer itself is kept"
    with client.session_transaction() as session:
        assert set(session["class"]) == {"id", "device", "done"}, "the cookie holds a random token, nothing else"


def test_a_required_question_left_unanswered_is_an_error_and_nothing_is_stored(app, client):
    consultation = create_class_consultation(kinds=("yes_no",))
    from epanel.consultations import operations as authoring

    authoring.update_question(consultation.questions[0], required=True, allow_other=False, settings={},
                              condition=None)
    class_session = start_class_session(consultation=consultation)
    join(client, class_session.join_code)
    page = get(client, "/class/answer")

    sent = submit(client, "/class/answer", {"shown": page.soup.find("input", attrs={"name": "shown"})["value"]})

    assert sent.status == 200
    assert sent.title.startswith("Error:")
    assert sent.error_summary == ["Answer question 1"] or sent.error_summary
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_without_joining_a_pupil_is_sent_to_the_join_page(app, client):
    assert path_of(get(client, "/class/answer").location) == "/class"
    assert path_of(get(client, "/class/done").location) == "/class"


def test_the_qr_code_link_fills_in_the_code(app, client):
    class_session = start_class_session()

    page = get(client, path_of(get(client, f"/class/join/{class_session.join_code}").location))

    assert page.soup.find("input", attrs={"name": "code"})["value"] == class_session.join_code


def test_a_teacher_without_a_school_cannot_start_a_session(app):
    from tests.factories import create_user

    teacher = create_user(roles=["teacher"])

    with pytest.raises(operations.ClassroomError, match="not linked to a school"):
        operations.start_session(teacher, create_class_consultation(), class_name="9R", year_group="Year 9")


def test_schools_are_registered_once(app):
    create_school("Kingsmead High")

    with pytest.raises(operations.ClassroomError):
        create_school("kingsmead high")
