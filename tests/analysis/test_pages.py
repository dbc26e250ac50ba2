"""The officer's results, crosstab and export pages: who may see them, what they show, the audit trail."""

import pytest

from epanel.extensions import db
from epanel.panels.models import PopulationTarget, TargetDimension
from epanel.privacy.models import AuditEvent
from tests.analysis.data import build_consultation, question, respond
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in


def survey_with_answers():
    consultation = build_consultation()
    respond(consultation, {"Q1": "1", "Q2": ["1"], "Q4": 8, "Q6": "=cmd()", "Q10": "1"}, gender="Woman", age_band="18-34")
    respond(consultation, {"Q1": "2", "Q2": ["2", "3"], "Q4": 3, "Q10": "2"}, gender="Man", age_band="35+")
    return consultation


def sign_in_as(client, *roles):
    user = create_user(roles=roles)
    sign_in(client, user.email, PASSWORD)
    return user


ANALYSIS_PAGES = ["results", "representativeness", "results/charts/{question}.svg", "crosstab", "exports", "exports/csv", "exports/sav"]


@pytest.mark.parametrize("role", ["member", "teacher", "councillor"])
def test_only_officers_and_admins_can_see_analysis(app, client, role):
    consultation = survey_with_answers()
    sign_in_as(client, role)
    for page in ANALYSIS_PAGES:
        url = f"/officer/consultations/{consultation.slug}/" + page.format(question=consultation.questions[0].id)
        assert get(client, url).status == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    consultation = survey_with_answers()
    page = get(client, f"/officer/consultations/{consultation.slug}/results")
    assert page.status == 302 and "/sign-in" in page.location


def test_officer_sees_each_question_with_chart_and_table(app, client):
    consultation = survey_with_answers()
    sign_in_as(client, "officer")

    page = get(client, f"/officer/consultations/{consultation.slug}/results")

    assert page.status == 200
    assert page.title.startswith("Results: Parks survey")
    assert page.heading.endswith("Results")
    assert page.soup.select_one("#response-count").get_text(strip=True) == "2 responses"
    first = page.soup.select_one(f"#question-{question(consultation, 'Q1').id}")
    assert first.select_one("svg[role=img] title").get_text() == "1. How often do you visit a park?"
    table = first.select_one("table")
    assert [th.get_text(strip=True) for th in table.select("tbody th")] == ["Every day", "Every week", "Less often", "Other"]
    assert "50.0%" in table.get_text()


def test_filters_and_weighting_change_the_page(app, client):
    consultation = survey_with_answers()
    for category, share in (("Woman", 0.6), ("Man", 0.4)):
        db.session.add(PopulationTarget(dimension=TargetDimension.GENDER, category=category, share=share, source="test"))
    db.session.commit()
    sign_in_as(client, "admin")

    filtered = get(client, f"/officer/consultations/{consultation.slug}/results?gender=Man")
    assert filtered.soup.select_one("#response-count").get_text(strip=True) == "1 response"
    weighted = get(client, f"/officer/consultations/{consultation.slug}/results?weight=on")
    assert weighted.soup.select_one("#design-effect").get_text(strip=True) == "1.04"
    assert "Weighted share" in weighted.text


def test_chart_downloads_as_svg(app, client):
    consultation = survey_with_answers()
    sign_in_as(client, "officer")
    response = client.get(f"/officer/consultations/{consultation.slug}/results/charts/{consultation.questions[0].id}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<?xml") and "attachment" in response.headers["Content-Disposition"]


def test_crosstab_page_shows_counts_and_the_test(app, client):
    consultation = survey_with_answers()
    sign_in_as(client, "officer")
    q1 = question(consultation, "Q1")
    page = get(client, f"/officer/consultations/{consultation.slug}/crosstab?question={q1.id}&by=gender")
    assert page.status == 200
    assert "Q1: How often do you visit a park? by Gender" in page.text
    assert page.soup.select_one("#crosstab") is not None
    assert get(client, f"/officer/consultations/{consultation.slug}/crosstab?question={q1.id}&by=q999").status == 200


def test_each_export_downloads_and_is_audited_as_a_personal_data_export(app, client):
    consultation = survey_with_answers()
    officer = sign_in_as(client, "officer")

    for key in ("csv", "csv-long", "xlsx", "sav", "json"):
        response = client.get(f"/officer/consultations/{consultation.slug}/exports/{key}?gender=Woman")
        assert response.status_code == 200, key
        assert "attachment" in response.headers["Content-Disposition"]
        assert len(response.get_data()) > 100

    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "responses.exported")).all()
    assert [event.details["format"] for event in events] == ["csv", "csv-long", "xlsx", "sav", "json"]
    assert {event.actor_id for event in events} == {officer.id}
    assert events[0].object_id == str(consultation.id) and "Gender: Woman" in events[0].details["filters"]
    assert get(client, f"/officer/consultations/{consultation.slug}/exports/pdf").status == 404


def test_consultation_page_links_to_results_and_exports(app, client):
    consultation = survey_with_answers()
    sign_in_as(client, "officer")
    page = get(client, f"/officer/consultations/{consultation.slug}")
    hrefs = {a["href"] for a in page.soup.select("a")}
    assert f"/officer/consultations/{consultation.slug}/results" in hrefs
    assert f"/officer/consultations/{consultation.slug}/exports" in hrefs


def test_a_consultation_with_no_responses_and_no_targets_still_shows_its_pages(app, client):
    consultation = build_consultation()
    sign_in_as(client, "officer")
    for page in ("results?weight=on", "crosstab", "exports"):
        assert get(client, f"/officer/consultations/{consultation.slug}/{page}").status == 200, page
    page = get(client, f"/officer/consultations/{consultation.slug}/results")
    assert page.soup.select_one("#response-count").get_text(strip=True) == "0 responses"
    assert "There are no population targets yet" in page.text
    assert page.soup.select_one("svg desc").get_text() == "Every day: 0%; Every week: 0%; Less often: 0%; Other: 0%"
