"""Query discipline: no list or results page runs more SQL as its lists grow.

Each page is fetched with a fixture of rows, then again after as many rows again of every kind
are added; an N+1 (one query per row shown) shows as a count that grows with the rows. Counts are
the SQL statements the page runs, read from the engine, so a cache or a lazy load anywhere on the
page counts too."""

import itertools

import pytest
from sqlalchemy import event

from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus, Invitation, InvitationChannel
from epanel.extensions import db
from epanel.messaging import outbox
from epanel.messaging.models import InboundKind, InboundMessage
from epanel.panels.models import Group, GroupKind, PopulationTarget, TargetDimension
from epanel.planning import outcomes, plan
from tests.analysis.data import build_consultation, respond
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, sign_in

ROWS = 30  # of each kind per batch: enough that one query per row could not hide
_numbers = itertools.count(1)

OFFICER_PAGES = [
    "/staff", "/officer/members", "/officer/panels", "/officer/consultations", "/officer/outbox", "/officer/texts",
    "/officer/groups", "/officer/population-targets", "/officer/recruitment", "/officer/community-plan",
    "/officer/councillors", "/officer/topic-suggestions", "/officer/councillor-comments", "/officer/api-tokens",
    "/admin/users", "/admin/audit", "/officer/data-protection",
]
CONSULTATION_PAGES = ["", "/results", "/crosstab", "/representativeness", "/exports", "/campaigns", "/audience"]
PUBLIC_PAGES = ["/", "/consultations", "/groups", "/community-plan", "/you-said-we-did"]


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)
        self.engine = engine

    def _count(self, *args):
        self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._count)


def statements(client, counter, url) -> int:
    counter.count = 0
    page = get(client, url)
    assert page.status == 200, f"{url} answered {page.status}"
    return counter.count


def add_rows(panel, survey, theme, officer):
    """ROWS more of everything the lists show: members with invitations and responses, staff, groups,
    consultations, texts in and out, plan actions citing a published consultation."""
    now = utcnow()
    for _ in range(ROWS):
        number = next(_numbers)
        member = create_member([panel], email=f"member{number}@example.org", mobile=f"+447700{number:06d}",
                               ward=f"Ward {number % 12}", gender="Woman" if number % 2 else "Man",
                               contact_by_email=True)
        db.session.add(Invitation(consultation_id=survey.id, member_id=member.id, channel=InvitationChannel.EMAIL,
                                  token_hash=f"{number:064d}", sent_at=now))
        respond(survey, {"Q1": "1" if number % 3 else "2", "Q2": ["1", "3"], "Q4": number % 11, "Q10": "1"},
                gender=member.gender, ward=member.ward, age_band="25-34")
        db.session.add(Group(name=f"Group {number}", kind=GroupKind.COMMUNITY_GROUP, listed_publicly=True))
        db.session.add(InboundMessage(provider_id=f"SM{number:032d}", from_number=member.mobile,
                                      body=f"Question {number}", member_id=member.id, kind=InboundKind.OTHER,
                                      needs_officer=True, received_at=now))
        outbox.queue_email(member.email, "Have your say", "Hello", purpose="alert", member_id=member.id)
        create_user(f"staff{number}@example.org", roles=["officer"] if number % 2 else ["councillor"], totp=False)
        consultation = authoring.create_consultation(f"Consultation {number}", None, summary="About it.",
                                                     for_public=True)
        authoring.add_question(consultation.sections[0], "yes_no", "Yes or no?")
        authoring.move_to(consultation, ConsultationStatus.OPEN)
        plan.add_action(theme, officer, title=f"Action {number}")
    db.session.commit()


@pytest.fixture
def fixture(app, client):
    officer = create_user("officer@example.org", roles=["officer", "admin"])
    panel = create_panel("citizens", "Citizens' Panel")
    survey = build_consultation("Residents survey")
    for category, share in (("Woman", 0.5), ("Man", 0.5)):
        db.session.add(PopulationTarget(dimension=TargetDimension.GENDER, category=category, share=share, source="Census"))
    db.session.commit()
    theme = plan.create_theme("Our places", officer)
    sign_in(client, "officer@example.org", PASSWORD)
    return panel, survey, theme, officer


def test_no_page_runs_more_queries_as_its_lists_grow(app, client, fixture):
    panel, survey, theme, officer = fixture
    urls = OFFICER_PAGES + [f"/officer/consultations/{survey.slug}{page}" for page in CONSULTATION_PAGES] + PUBLIC_PAGES
    counter = StatementCounter(db.engine)
    try:
        add_rows(panel, survey, theme, officer)
        before = {url: statements(client, counter, url) for url in urls}
        add_rows(panel, survey, theme, officer)
        after = {url: statements(client, counter, url) for url in urls}
    finally:
        counter.close()

    grew = {url: (before[url], after[url]) for url in urls if after[url] > before[url]}
    assert not grew, f"pages whose SQL grows with their rows (statements with {ROWS} rows, with {2 * ROWS}): {grew}"
    assert max(after.values()) <= 40, f"a page runs too many statements: {max(after.items(), key=lambda kv: kv[1])}"


def test_the_public_outcome_page_does_not_grow_with_its_breakdown(app, client, fixture):
    panel, survey, theme, officer = fixture
    add_rows(panel, survey, theme, officer)
    authoring.move_to(survey, ConsultationStatus.CLOSED)
    headline = next(q for q in survey.questions if q.code == "Q1")
    outcomes.save_outcome(survey, officer, what_we_asked="Asked", what_you_said="Said", what_we_did="Did",
                          headlines=[{"question_id": headline.id, "by": "ward"}])
    outcomes.publish_outcome(survey, officer)
    counter = StatementCounter(db.engine)
    try:
        first = statements(client, counter, f"/you-said-we-did/{survey.slug}")
        add_rows(panel, survey, theme, officer)  # more respondents in the same 12 wards
        second = statements(client, counter, f"/you-said-we-did/{survey.slug}")
    finally:
        counter.close()

    assert second <= first
