"""The results report for a committee paper: how the consultation was run, who responded, and every question."""

import pytest

from epanel.extensions import db
from epanel.panels.models import PopulationTarget, TargetDimension
from epanel.respond.models import ResponseChannel
from tests.analysis.data import build_consultation, respond
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in


@pytest.fixture
def officer(app, client):
    user = create_user(roles=["officer"])
    sign_in(client, user.email, PASSWORD)
    return user


def survey():
    consultation = build_consultation("Parks survey")
    respond(consultation, {"Q1": "1", "Q10": "1"}, gender="Woman")
    respond(consultation, {"Q1": "2", "Q10": "2"}, gender="Man", channel=ResponseChannel.PAPER)
    respond(consultation, {"Q1": "2", "Q10": "1"}, gender="Woman")
    for category in ("Woman", "Man"):
        db.session.add(PopulationTarget(dimension=TargetDimension.GENDER, category=category, share=0.5, source="Census"))
    db.session.commit()
    return consultation


def test_the_report_has_the_method_who_responded_and_every_question(client, officer):
    consultation = survey()

    page = get(client, f"/officer/consultations/{consultation.slug}/report")

    method = page.soup.select_one("#method").get_text(" ", strip=True)
    assert page.heading == "Parks survey"
    assert page.soup.select_one("#report-responses").get_text(strip=True).startswith("3 (")
    assert "Web 2; Paper 1" in method
    assert "Not weighted" in method
    assert [row.th.get_text(strip=True) for row in page.soup.select("#report-gender tbody tr")] == ["Woman", "Man"]
    headings = [h.get_text(" ", strip=True) for h in page.soup.select("section h2")]
    assert len(headings) == len(consultation.questions)
    assert headings[0] == "1. How often do you visit a park?"


def test_a_weighted_report_says_how_it_was_weighted(client, officer):
    consultation = survey()

    page = get(client, f"/officer/consultations/{consultation.slug}/report?weight=on")

    method = page.soup.select_one("#method").get_text(" ", strip=True)
    assert "Weighted to the population by gender (raking); design effect" in method


def test_the_results_page_links_to_the_report_keeping_its_filters(client, officer):
    consultation = survey()

    links = [a["href"] for a in get(client, f"/officer/consultations/{consultation.slug}/results?gender=Woman").soup.select("nav a")]

    assert f"/officer/consultations/{consultation.slug}/report?gender=Woman" in links


def test_only_officers_see_the_report(app, client):
    consultation = survey()
    member = create_user(roles=["member"])
    sign_in(client, member.email, PASSWORD)

    assert get(client, f"/officer/consultations/{consultation.slug}/report").status == 403
