"""Reads for schools and class sessions: the board's one aggregate query, class exports, results by school."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from epanel.accounts.models import User
from epanel.classroom.models import (
    ClassSession,
    LessonPlan,
    School,
    Teacher,
    TeacherRequest,
    TeacherRequestStatus,
)
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus

# Tables shown outside the officer's console leave out groups smaller than this.
SMALLEST_GROUP = 10


# --- schools and teachers -------------------------------------------------------------------


def list_schools() -> list[School]:
    return list(db.session.scalars(select(School).order_by(School.name)))


def get_school(school_id: int) -> School | None:
    return db.session.get(School, school_id)


def school_of(user: User) -> School | None:
    """The school a teacher account belongs to."""
    return db.session.scalar(select(School).join(Teacher, Teacher.school_id == School.id)
                             .where(Teacher.user_id == user.id))


def teachers_at(school: School) -> list[Teacher]:
    return list(db.session.scalars(select(Teacher).where(Teacher.school_id == school.id)
                                   .options(joinedload(Teacher.user))))


def pending_teacher_requests() -> list[TeacherRequest]:
    return list(db.session.scalars(select(TeacherRequest).where(TeacherRequest.status == TeacherRequestStatus.PENDING)
                                   .order_by(TeacherRequest.created_at)))


def get_teacher_request(request_id: int) -> TeacherRequest | None:
    return db.session.get(TeacherRequest, request_id)


# --- consultations and lesson plans ---------------------------------------------------------


def consultations_for_schools(*, open_only: bool = True) -> list[Consultation]:
    query = select(Consultation).where(Consultation.for_schools.is_(True))
    if open_only:
        query = query.where(Consultation.status == ConsultationStatus.OPEN)
    return list(db.session.scalars(query.order_by(Consultation.title)))


def get_lesson_plan(consultation) -> LessonPlan | None:
    return db.session.get(LessonPlan, consultation.id)


# --- class sessions -------------------------------------------------------------------------


def find_session_by_code(code: str) -> ClassSession | None:
    if not code:
        return None
    return db.session.scalar(select(ClassSession).where(ClassSession.join_code == code)
                             .options(joinedload(ClassSession.school)))


def get_session(session_id: int) -> ClassSession | None:
    return db.session.scalar(select(ClassSession).where(ClassSession.id == session_id)
                             .options(joinedload(ClassSession.school)))


def get_teachers_session(session_id: int, teacher: User) -> ClassSession | None:
    """The session, only if this teacher runs it: teachers never see other teachers' sessions."""
    return db.session.scalar(select(ClassSession).where(ClassSession.id == session_id,
                                                        ClassSession.teacher_id == teacher.id)
                             .options(joinedload(ClassSession.school), joinedload(ClassSession.consultation)))


def sessions_of(teacher: User) -> list[ClassSession]:
    return list(db.session.scalars(select(ClassSession).where(ClassSession.teacher_id == teacher.id)
                                   .options(joinedload(ClassSession.consultation))
                                   .order_by(ClassSession.created_at.desc())))


def sessions_on(consultation) -> list[ClassSession]:
    return list(db.session.scalars(select(ClassSession).where(ClassSession.consultation_id == consultation.id)
                                   .options(joinedload(ClassSession.school), joinedload(ClassSession.teacher))
                                   .order_by(ClassSession.created_at.desc())))


# --- the board ------------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int


@dataclass
class QuestionResult:
    """One question on the board: bars for closed questions, or how many typed an answer."""

    question_id: int
    number: int
    text: str
    shown: bool  # False while the teacher keeps it hidden
    bars: list[Bar] = field(default_factory=list)
    rows: list[tuple[str, list[Bar]]] = field(default_factory=list)  # grids: a set of bars per row
    answered: int = 0
    written: int = 0  # typed answers, never shown on the board
    mean: float | None = None


def _session_answer_counts(session_id: int) -> list:
    """The board's one aggregate query: answer rows of the session's complete responses, counted by
    question, option, grid row and value."""
    return db.session.execute(
        select(Answer.question_id, Answer.option_id, Answer.row_id, Answer.number,
               func.count(Answer.text), func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(Response.class_session_id == session_id, Response.status == ResponseStatus.COMPLETE)
        .group_by(Answer.question_id, Answer.option_id, Answer.row_id, Answer.number)
    ).all()


def board_results(session: ClassSession, consultation, *, show_all: bool = False) -> list[QuestionResult]:
    """Each question's results in this session (all of them with `show_all`, else as the teacher revealed them).
    Answers are never read one by one and no typed text is read."""
    counts: dict[int, list] = {}
    for row in _session_answer_counts(session.id):
        counts.setdefault(row.question_id, []).append(row)
    results = []
    for number, question in enumerate(sorted(consultation.questions, key=lambda q: q.position), start=1):
        rows = counts.get(question.id, [])
        result = QuestionResult(question.id, number, question.text, show_all or session.shows_results_of(question.id))
        result.written = sum(row[4] for row in rows)
        if question.rows:
            for grid_row in question.rows:
                tallies = {r.option_id: r[5] for r in rows if r.row_id == grid_row.id}
                result.rows.append((grid_row.label, [Bar(c.label, tallies.get(c.id, 0)) for c in question.choices]))
            result.answered = max((sum(b.count for b in bars) for _, bars in result.rows), default=0)
        elif question.choices:
            # A ranking stores each option with its rank: the board counts first places.
            tallies: dict[int | None, int] = {}
            for r in rows:
                if r.number is None or r.number == 1:
                    tallies[r.option_id] = tallies.get(r.option_id, 0) + r[5]
            result.bars = [Bar(choice.label, tallies.get(choice.id, 0)) for choice in question.choices]
            if question.allow_other:
                result.bars.append(Bar("Other", tallies.get(None, 0)))
            result.answered = sum(bar.count for bar in result.bars)
        else:
            numbers = [(r.number, r[5]) for r in rows if r.number is not None]
            total = sum(count for _, count in numbers)
            if numbers:
                result.mean = sum(value * count for value, count in numbers) / total
                if len(numbers) <= 11:
                    result.bars = [Bar(f"{value:g}", count) for value, count in sorted(numbers)]
            result.answered = total or result.written
        results.append(result)
    return results


def board_state(session: ClassSession, consultation, now) -> dict:
    """What the board shows, as JSON for the page's script."""
    return {
        "state": session.state(now),
        "joined": session.joined_count,
        "submitted": session.submitted_count,
        "expected": session.expected_pupils,
        "questions": [
            {"id": r.question_id, "number": r.number, "shown": r.shown, "answered": r.answered if r.shown else None,
             "bars": [{"label": b.label, "count": b.count} for b in r.bars] if r.shown else [],
             "rows": [{"label": label, "bars": [{"label": b.label, "count": b.count} for b in bars]}
                      for label, bars in r.rows] if r.shown else [],
             "mean": round(r.mean, 1) if r.shown and r.mean is not None else None,
             "written": r.written}
            for r in board_results(session, consultation)
        ],
    }


def written_answers(session: ClassSession) -> list[tuple[int, str]]:
    """Typed answers in this session, by question id, for the teacher to read before choosing to share any."""
    return [(row.question_id, row.text) for row in db.session.execute(
        select(Answer.question_id, Answer.text).join(Response, Response.id == Answer.response_id)
        .where(Response.class_session_id == session.id, Response.status == ResponseStatus.COMPLETE,
               Answer.text.is_not(None), Answer.text != "")
        .order_by(Answer.question_id, Answer.id)
    )]


def session_answer_rows(session: ClassSession) -> list:
    """Every answer row of the session's complete responses, as `read_answers` gives them, with the response id."""
    return db.session.execute(
        select(Answer.response_id, Answer.id, Answer.question_id, Answer.option_id, Answer.row_id, Answer.number,
               Answer.text)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.class_session_id == session.id, Response.status == ResponseStatus.COMPLETE)
        .order_by(Answer.id)
    ).all()


def session_responses(session: ClassSession) -> list[Response]:
    return list(db.session.scalars(
        select(Response).where(Response.class_session_id == session.id, Response.status == ResponseStatus.COMPLETE)
        .order_by(Response.submitted_at, Response.id)))


# --- results across schools -----------------------------------------------------------------


@dataclass
class GroupCount:
    school: str
    year_group: str
    responses: int | None  # None: fewer than SMALLEST_GROUP, left out


def responses_by_school_and_year(consultation, *, suppress: bool) -> list[GroupCount]:
    """How many class responses came from each school and year group; with `suppress`, groups under 10 hidden."""
    rows = db.session.execute(
        select(Response.school, Response.year_group, func.count())
        .where(Response.consultation_id == consultation.id, Response.channel == ResponseChannel.CLASS,
               Response.status == ResponseStatus.COMPLETE)
        .group_by(Response.school, Response.year_group).order_by(Response.school, Response.year_group)
    ).all()
    return [GroupCount(school or "Unknown school", year or "Unknown year", suppressed(count) if suppress else count)
            for school, year, count in rows]


def choices_by_school_and_year(consultation) -> dict[int, dict[tuple[str, str], dict[int, int]]]:
    """Officers' console: for each question with choices, how often each was chosen, by school and year group
    (one aggregate query; ranking options count when ranked first)."""
    rows = db.session.execute(
        select(Answer.question_id, Response.school, Response.year_group, Answer.option_id, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Response.channel == ResponseChannel.CLASS,
               Response.status == ResponseStatus.COMPLETE, Answer.option_id.is_not(None), Answer.row_id.is_(None),
               (Answer.number.is_(None)) | (Answer.number == 1))
        .group_by(Answer.question_id, Response.school, Response.year_group, Answer.option_id)
    ).all()
    table: dict[int, dict[tuple[str, str], dict[int, int]]] = {}
    for question_id, school, year, option_id, count in rows:
        group = table.setdefault(question_id, {}).setdefault((school or "Unknown school", year or "Unknown year"), {})
        group[option_id] = count
    return table


def responses_by_year_group(consultation) -> list[GroupCount]:
    """Class responses across all schools by year group, for teachers: groups under 10 are left out."""
    rows = db.session.execute(
        select(Response.year_group, func.count())
        .where(Response.consultation_id == consultation.id, Response.channel == ResponseChannel.CLASS,
               Response.status == ResponseStatus.COMPLETE)
        .group_by(Response.year_group).order_by(Response.year_group)
    ).all()
    return [GroupCount("All schools", year or "Unknown year", suppressed(count)) for year, count in rows]


def suppressed(count: int) -> int | None:
    """A count as it may be shown outside the officer's console: None when the group is too small."""
    return count if count >= SMALLEST_GROUP else None


DEFAULT_LESSON = {
    "objectives": """Pupils will:

- know how the council makes decisions, and who the elected councillors are
  (KS3 citizenship: the roles played by public institutions; KS4: local government and how it is held to account)
- explain how residents, including young people, can influence decisions
  (KS3 and KS4: ways in which citizens work together to improve their communities)
- give and justify their own view on a real local decision""",
    "running_order": """1. **3 minutes** - What does the council decide? Show the consultation's summary.
2. **5 minutes** - Talk in pairs: what matters to you about this?
3. **7 minutes** - Pupils join with the code and answer on their own.
4. **5 minutes** - Look at the class's results together on the board and discuss.""",
    "prompts": """- Who is affected by this decision? Who might disagree with you, and why?
- Were you surprised by the class's results?
- What else should the council know before it decides?""",
    "what_happens": """Your class's answers are anonymous: nobody gave their name. They are added to everyone else's
answers to the consultation. When it closes, council officers analyse the results and report them to
councillors, and the council publishes what people said and what it will do.""",
}


def default_lesson_plan(consultation) -> LessonPlan:
    """The lesson page before officers write their own: objectives linked to the citizenship programmes of study."""
    return LessonPlan(consultation_id=consultation.id, **DEFAULT_LESSON)
