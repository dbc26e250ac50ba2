"""Schools, teachers, class sessions and pupils' answers: every write, its rules and its commit.

Pupils have no accounts. A pupil's answers are stored in one go when they press "Send",
through the answering engine's `record_complete_response`, with the class session, the
school and the year group, and nothing about the pupil or their device: the device is
known only by a random token in its session cookie, which goes into the response's
submission id so that the database allows one response per device per session.
"""

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from epanel.accounts.models import Role, RoleGrant, User
from epanel.accounts.operations import invite_user
from epanel.accounts.queries import find_user_by_email
from epanel.classroom.models import (
    SESSION_TRANSITIONS,
    ClassSession,
    ClassSessionStatus,
    LessonPlan,
    School,
    SchoolPhase,
    Teacher,
    TeacherRequest,
    TeacherRequestStatus,
)
from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.respond.models import Response, ResponseChannel
from epanel.respond.operations import record_complete_response
from epanel.respond.writing import one_writer

log = logging.getLogger(__name__)

# Six characters with no look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V): 24 ** 6 = 191 million codes.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUWXY34679"
CODE_LENGTH = 6
DEFAULT_LENGTH = timedelta(hours=1)
LONGEST_SESSION = timedelta(hours=8)


class ClassroomError(ValueError):
    """Something about schools or class sessions that cannot go ahead; the message is for the person."""


# --- schools and teachers -------------------------------------------------------------------


def create_school(name: str, *, area: str = "", phase: SchoolPhase = SchoolPhase.SECONDARY) -> School:
    """Register a school."""
    name = " ".join(name.split())
    if db.session.scalar(db.select(School.id).where(db.func.lower(School.name) == name.lower())):
        raise ClassroomError(f"{name} is already registered")
    school = School(name=name, area=area.strip(), phase=SchoolPhase(phase))
    db.session.add(school)
    db.session.commit()
    log.info("school %s registered", school.id)
    return school


def add_teacher(school: School, user: User) -> Teacher:
    """Make an account a teacher at this school (moving them if they were at another)."""
    if Role.TEACHER not in user.roles:
        user.role_grants.append(RoleGrant(role=Role.TEACHER))
    teacher = db.session.get(Teacher, user.id)
    if teacher is None:
        teacher = Teacher(user_id=user.id, school_id=school.id)
        db.session.add(teacher)
    else:
        teacher.school_id = school.id
    db.session.commit()
    log.info("user %s is a teacher at school %s", user.id, school.id)
    return teacher


def invite_teacher(school: School, email: str, name: str) -> User:
    """Invite a teacher by e-mail (a link to choose a password), or add an existing account to the school."""
    user = find_user_by_email(email)
    if user is None:
        user = invite_user(email, name, [Role.TEACHER])
    add_teacher(school, user)
    return user


def request_teacher_account(*, name: str, email: str, school: School | None, school_name: str = "",
                            message: str = "") -> TeacherRequest:
    """A teacher asks for an account; officers see the request and approve or decline it."""
    request = TeacherRequest(name=name.strip(), email=email.strip().lower(), school_id=school.id if school else None,
                             school_name="" if school else school_name.strip(), message=message.strip())
    db.session.add(request)
    db.session.commit()
    log.info("teacher account request %s received", request.id)
    return request


def approve_teacher_request(request: TeacherRequest, school: School, actor: User) -> User:
    """Invite the teacher who asked, at this school."""
    if request.status != TeacherRequestStatus.PENDING:
        raise ClassroomError("This request has already been dealt with")
    user = invite_teacher(school, request.email, request.name)
    request.status, request.decided_at, request.decided_by_id = TeacherRequestStatus.APPROVED, utcnow(), actor.id
    request.school_id = school.id
    db.session.commit()
    log.info("teacher account request %s approved by %s", request.id, actor.id)
    return user


def decline_teacher_request(request: TeacherRequest, actor: User) -> None:
    """Turn a request down (nothing is sent)."""
    if request.status != TeacherRequestStatus.PENDING:
        raise ClassroomError("This request has already been dealt with")
    request.status, request.decided_at, request.decided_by_id = TeacherRequestStatus.DECLINED, utcnow(), actor.id
    db.session.commit()
    log.info("teacher account request %s declined by %s", request.id, actor.id)


# --- class sessions -------------------------------------------------------------------------


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a pupil typed, as a code: spaces and dashes dropped, capitals."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:20]


def start_session(teacher: User, consultation, *, class_name: str, year_group: str, expected_pupils: int | None = None,
                  starts_at: datetime | None = None, ends_at: datetime | None = None,
                  shared_devices: bool = False, results_hidden: bool = False) -> ClassSession:
    """Start a class session on a consultation open to schools; it gets a fresh join code."""
    school_id = db.session.scalar(db.select(Teacher.school_id).where(Teacher.user_id == teacher.id))
    if school_id is None:
        raise ClassroomError("Your account is not linked to a school yet. Ask the council to add you to your school.")
    if not (consultation.for_schools and consultation.is_open):
        raise ClassroomError("This consultation is not open to schools at the moment")
    starts_at = starts_at or utcnow()
    ends_at = ends_at or starts_at + DEFAULT_LENGTH
    if ends_at <= starts_at:
        raise ClassroomError("The end time must be after the start time")
    if ends_at - starts_at > LONGEST_SESSION:
        raise ClassroomError("A session can last up to 8 hours")
    if ends_at <= utcnow():
        raise ClassroomError("The end time must be in the future")
    for _ in range(10):
        session = ClassSession(
            consultation_id=consultation.id, school_id=school_id, teacher_id=teacher.id,
            class_name=class_name.strip(), year_group=year_group.strip(), expected_pupils=expected_pupils,
            join_code=new_join_code(), starts_at=starts_at, ends_at=ends_at, shared_devices=shared_devices,
            results_hidden=results_hidden, revealed_question_ids=[],
        )
        db.session.add(session)
        try:
            db.session.commit()
        except IntegrityError:  # the code is taken (one in millions): draw another
            db.session.rollback()
            continue
        log.info("class session %s started on %s by %s", session.id, consultation.slug, teacher.id)
        return session
    raise ClassroomError("Could not make a join code. Try again.")


def end_session(session: ClassSession) -> None:
    """End the session now: its code stops working and it accepts no more answers."""
    if ClassSessionStatus.CLOSED not in SESSION_TRANSITIONS[session.status]:
        return
    session.status = ClassSessionStatus.CLOSED
    session.closed_at = utcnow()
    session.board_version += 1
    db.session.commit()
    log.info("class session %s ended", session.id)


def set_board(session: ClassSession, *, hidden: bool | None = None, reveal_question_id: int | None = None,
              reveal_all: bool = False) -> None:
    """Hide the results until the teacher reveals them, reveal one question, or show everything."""
    if hidden is not None:
        session.results_hidden = hidden
        session.revealed_question_ids = []
    if reveal_question_id is not None:
        session.revealed_question_ids = sorted({*(session.revealed_question_ids or []), reveal_question_id})
    if reveal_all:
        session.results_hidden = False
        session.revealed_question_ids = []
    session.board_version += 1
    db.session.commit()


def _bump(session_id: int, now: datetime, **increments) -> bool:
    """Add to the session's counters while it accepts answers; False when it does not."""
    values = {name: getattr(ClassSession, name) + amount for name, amount in increments.items()}
    return bool(db.session.execute(
        db.update(ClassSession)
        .where(ClassSession.id == session_id, ClassSession.status == ClassSessionStatus.OPEN,
               ClassSession.starts_at <= now, ClassSession.ends_at > now)
        .values(board_version=ClassSession.board_version + 1, **values)
    ).rowcount)


def record_join(session: ClassSession) -> None:
    """Count a device that joined (the board shows how many have)."""
    with one_writer():
        if not _bump(session.id, utcnow(), joined_count=1):
            db.session.rollback()
            raise ClassroomError("This code has expired. Ask your teacher for the new one.")
        db.session.commit()


def device_submission_id(session: ClassSession, device: str) -> str:
    return f"class-{session.id}-{device}"


def submit_class_answers(session: ClassSession, consultation, values: dict, device: str) -> Response | None:
    """Store a pupil's answers as one complete, anonymous response; None when this device has already answered.

    One response per device per session is the database's rule (the submission id is unique per consultation),
    so a double click or a retry cannot count twice."""
    if not consultation.is_open:
        raise ClassroomError("This consultation has closed, so answers can no longer be sent")
    now = utcnow()
    with one_writer():
        try:
            response = record_complete_response(
                consultation, values, channel=ResponseChannel.CLASS, submitted_at=now,
                snapshot={"class_session_id": session.id, "school": session.school.name,
                          "year_group": session.year_group},
            )
            response.submission_id = device_submission_id(session, device)
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return None
        # Last, so the session's row is locked only for the moment before the commit.
        if not _bump(session.id, now, submitted_count=1):
            db.session.rollback()
            raise ClassroomError("This session has ended, so answers can no longer be sent")
        db.session.commit()
    log.info("class response %s sent in session %s", response.id, session.id)
    return response


# --- lesson material ------------------------------------------------------------------------


def save_lesson_plan(consultation, actor: User | None, *, objectives: str, running_order: str, prompts: str,
                     what_happens: str) -> LessonPlan:
    """Write the lesson page for a schools consultation."""
    plan = db.session.get(LessonPlan, consultation.id)
    if plan is None:
        plan = LessonPlan(consultation_id=consultation.id)
        db.session.add(plan)
    plan.objectives, plan.running_order, plan.prompts, plan.what_happens = (
        objectives, running_order, prompts, what_happens)
    plan.updated_by_id = actor.id if actor else None
    db.session.commit()
    log.info("lesson plan for %s saved by %s", consultation.slug, getattr(actor, "id", None))
    return plan
