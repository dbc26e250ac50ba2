"""A tracker question compared across the consultations (waves) that asked it."""

import pytest

from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from tests.analysis.data import build_consultation, respond
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in

YES_NO = [("yes_no", "Do you feel safe in the town centre after dark?", {})]


@pytest.fixture
def officer(app, client):
    user = create_user(roles=["officer"])
    sign_in(client, user.email, PASSWORD)
    return user


def two_waves():
    first = build_consultation("Community safety 2025", kinds=YES_NO)
    tracker = authoring.make_tracker(first.questions[0], "SAFE_DARK")
    second = authoring.create_consultation("Community safety 2026", None)
    authoring.add_tracker_question(second.sections[0], tracker)
    authoring.move_to(second, ConsultationStatus.OPEN)
    draft = authoring.create_consultation("Community safety 2027 (draft)", None)
    authoring.add_tracker_question(draft.sections[0], tracker)
    for answer in ("1", "1", "1", "2"):
        respond(first, {"Q1": answer})
    for answer in ("1", "2", "2", "2"):
        respond(second, {"Q1": answer})
    return first, second


def cells(page) -> list[list[str]]:
    return [[cell.get_text(" ", strip=True) for cell in row.select("th, td")] for row in page.soup.select("#waves tr")]


def test_each_wave_shows_each_answers_share_with_its_interval_oldest_first(client, officer):
    two_waves()

    rows = cells(get(client, "/officer/trackers/safe_dark"))

    assert rows[0][1].startswith("Community safety 2025") and rows[0][2].startswith("Community safety 2026")
    assert len(rows[0]) == 3, "the draft that has not run is not a wave"
    yes, no, answered = rows[1], rows[2], rows[3]
    assert yes[0] == "Yes" and yes[1].startswith("75% (") and yes[2].startswith("25% (")
    assert no[0] == "No" and no[1].startswith("25% (") and no[2].startswith("75% (")
    assert answered == ["People who answered", "4", "4"]


def test_the_list_shows_each_tracker_and_how_often_it_was_asked(client, officer):
    two_waves()

    page = get(client, "/officer/trackers")

    assert "SAFE_DARK: Do you feel safe in the town centre after dark? (asked in 3 consultations)" in page.text
    assert get(client, "/officer/trackers/NOPE").status == 404


def test_a_tracker_question_links_to_its_waves_from_the_consultation_page(client, officer):
    first, _ = two_waves()

    links = [a["href"] for a in get(client, f"/officer/consultations/{first.slug}").soup.select("a")]

    assert "/officer/trackers/SAFE_DARK" in links


def test_an_unknown_tracker_is_not_found_and_members_cannot_see_trackers(app, client):
    member = create_user(roles=["member"])
    sign_in(client, member.email, PASSWORD)

    assert get(client, "/officer/trackers").status == 403
    assert get(client, "/officer/trackers/NOPE").status == 403
