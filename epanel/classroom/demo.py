"""The demo's schools: two schools, the demo teacher, a schools consultation with its lesson page,
two finished class sessions with answers, and an open session that a phone can join."""

import random
from datetime import timedelta

from epanel.accounts.models import User
from epanel.classroom import operations
from epanel.classroom.models import ClassSession, ClassSessionStatus, SchoolPhase, Teacher
from epanel.classroom.queries import DEFAULT_LESSON
from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.kinds import Parsed
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import ResponseChannel
from epanel.respond.operations import record_complete_response

DEMO_TEACHER = "teacher@avonmere.example"
YOUTH_SPACE_SLUG = "a-youth-space-in-the-town-centre"


def build_youth_space_consultation(actor) -> Consultation:
    consultation = authoring.create_consultation(
        "A youth space in the town centre", actor, theme="Young people", for_schools=True,
        summary="The council could turn the old library on Market Street into a space for young people. "
                "What should it be like?",
        closes_at=utcnow() + timedelta(days=30),
    )
    section = consultation.sections[0]
    authoring.add_question(section, "yes_no", "Should the old library become a youth space?", required=True)
    authoring.add_question(section, "single", "What should it mostly be for?",
                           choices=["Somewhere to hang out", "Music and art", "Sport and games",
                                    "Homework and quiet study", "Advice and support"])
    authoring.add_question(section, "agreement", "The council listens to young people.")
    authoring.add_question(section, "short_text", "What one thing would make you use it?",
                           settings={"max_length": 200})
    authoring.move_to(consultation, ConsultationStatus.OPEN, actor)
    return consultation


def _class_answers(rng: random.Random, consultation) -> dict:
    yes_no, purpose, agreement, idea = consultation.questions
    return {
        yes_no.id: Parsed(value=rng.choices(["1", "2"], weights=[4, 1])[0]),
        purpose.id: Parsed(value=rng.choice([c.code for c in purpose.choices])),
        agreement.id: Parsed(value=rng.choices([c.code for c in agreement.choices], weights=[1, 2, 3, 3, 2])[0]),
        idea.id: Parsed(value=rng.choice(["Free wifi", "Open late on Fridays", "Table tennis", "A music studio"]))
        if rng.random() < 0.4 else Parsed(),
    }


def _finished_session(rng, teacher: User, consultation, *, school, class_name, year_group, pupils, days_ago):
    starts = utcnow().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    session = ClassSession(
        consultation_id=consultation.id, school_id=school.id, teacher_id=teacher.id, class_name=class_name,
        year_group=year_group, expected_pupils=pupils + 2, join_code=operations.new_join_code(), starts_at=starts,
        ends_at=starts + timedelta(hours=1), status=ClassSessionStatus.CLOSED, closed_at=starts + timedelta(minutes=40),
        revealed_question_ids=[], joined_count=pupils + 1, submitted_count=pupils, board_version=pupils,
    )
    db.session.add(session)
    db.session.flush()
    for number in range(pupils):
        record_complete_response(consultation, _class_answers(rng, consultation), channel=ResponseChannel.CLASS,
                                 submitted_at=starts + timedelta(minutes=12, seconds=20 * number),
                                 snapshot={"class_session_id": session.id, "school": school.name,
                                           "year_group": year_group})
    db.session.commit()
    return session


def load_demo_classroom(rng: random.Random, officer: User) -> None:
    """Schools, the demo teacher's classes and their answers."""
    teacher = db.session.scalar(db.select(User).where(User.email == DEMO_TEACHER))
    academy = operations.create_school("Avonmere Academy", area="Abbey", phase=SchoolPhase.SECONDARY)
    operations.create_school("Kingsmead High School", area="Kingsmead", phase=SchoolPhase.SECONDARY)
    operations.create_school("Brookside Primary School", area="Brookside", phase=SchoolPhase.PRIMARY)
    operations.add_teacher(academy, teacher)
    consultation = build_youth_space_consultation(officer)
    operations.save_lesson_plan(consultation, officer, **DEFAULT_LESSON)
    _finished_session(rng, teacher, consultation, school=academy, class_name="9R", year_group="Year 9", pupils=27,
                      days_ago=2)
    _finished_session(rng, teacher, consultation, school=academy, class_name="10 Citizenship", year_group="Year 10",
                      pupils=8, days_ago=1)
    demo_open_session()


def demo_open_session() -> ClassSession | None:
    """The demo teacher's open session, started afresh (for the next 8 hours) when the last one has ended."""
    teacher = db.session.scalar(db.select(User).join(Teacher, Teacher.user_id == User.id)
                                .where(User.email == DEMO_TEACHER))
    consultation = db.session.scalar(db.select(Consultation).where(Consultation.slug == YOUTH_SPACE_SLUG))
    if teacher is None or consultation is None or not consultation.is_open:
        return None
    now = utcnow()
    for session in db.session.scalars(db.select(ClassSession).where(ClassSession.teacher_id == teacher.id)
                                      .order_by(ClassSession.created_at.desc())):
        if session.is_accepting(now):
            return session
    return operations.start_session(teacher, consultation, class_name="8B", year_group="Year 8",
                                    expected_pupils=30, starts_at=now - timedelta(minutes=5),
                                    ends_at=now + operations.LONGEST_SESSION - timedelta(minutes=5))
