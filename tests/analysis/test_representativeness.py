"""Who responded: respondents beside the population targets, response rates, and reminders to exactly
the invited members of one group who have not responded."""

from datetime import date

import pytest

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging import campaigns
from epanel.messaging.models import Campaign, CampaignChannel, CampaignKind
from epanel.panels.models import PopulationTarget, TargetDimension
from tests.analysis.data import build_consultation, respond
from tests.factories import PASSWORD, create_invitation, create_member, create_panel, create_user
from tests.pages import get, sign_in, submit


@pytest.fixture
def officer(app, client):
    user = create_user(roles=["officer"])
    sign_in(client, user.email, PASSWORD)
    return user


def targets(dimension, **shares):
    for category, share in shares.items():
        db.session.add(PopulationTarget(dimension=dimension, category=category, share=share, source="Census 2021"))
    db.session.commit()


def cells(page, table_id) -> list[list[str]]:
    return [[cell.get_text(" ", strip=True) for cell in row.select("th, td")]
            for row in page.soup.select(f"#{table_id} tbody tr")]


def url(consultation, page="representativeness"):
    return f"/officer/consultations/{consultation.slug}/{page}"


def test_respondents_are_compared_with_the_population_with_a_score(client, officer):
    consultation = build_consultation()
    targets(TargetDimension.GENDER, Woman=0.5, Man=0.5)
    targets(TargetDimension.WARD, North=0.6, South=0.4)
    for gender, ward in [("Woman", "North"), ("Woman", "South"), ("Woman", "South"), ("Man", "South"),
                         ("Prefer not to say", "South")]:
        respond(consultation, {"Q1": "1"}, gender=gender, ward=ward)

    page = get(client, url(consultation))

    # 3 women and 1 man among the 4 who gave a listed gender: 75% and 25% against 50% each.
    assert cells(page, "compare-gender") == [["Woman", "3", "75.0%", "50.0%", "+25.0 points"],
                                             ["Man", "1", "25.0%", "50.0%", "-25.0 points"]]
    assert page.soup.select_one("#compare-gender-score").get_text(strip=True) == "75"
    assert "1 more respondent gave no gender the targets list" in page.text
    # Wards: 1 of 5 in North (20% against 60%), 4 in South (80% against 40%): score 100 × (1 − 0.8 / 2) = 60.
    assert cells(page, "compare-ward") == [["North", "1", "20.0%", "60.0%", "-40.0 points"],
                                           ["South", "4", "80.0%", "40.0%", "+40.0 points"]]
    assert page.soup.select_one("#compare-ward-score").get_text(strip=True) == "60"


def test_filters_narrow_the_comparison(client, officer):
    consultation = build_consultation()
    targets(TargetDimension.GENDER, Woman=0.5, Man=0.5)
    respond(consultation, {"Q1": "1"}, gender="Woman", ward="North")
    respond(consultation, {"Q1": "1"}, gender="Man", ward="South")

    page = get(client, url(consultation) + "?ward=North")

    assert cells(page, "compare-gender")[0][:3] == ["Woman", "1", "100.0%"]
    assert page.soup.select_one("#compare-gender-score").get_text(strip=True) == "50"


def test_without_targets_the_page_says_so(client, officer):
    consultation = build_consultation()

    page = get(client, url(consultation))

    assert "There are no population targets yet" in page.text
    assert "Nobody has been invited yet." in page.text


def invited(consultation, member, *, completed=False):
    invitation, _ = create_invitation(consultation, member)
    invitation.sent_at = utcnow()
    if completed:
        invitation.started_at = invitation.completed_at = utcnow()
    db.session.commit()
    return invitation


def test_response_rates_by_panel_and_invitation_channel(client, officer):
    consultation = build_consultation()
    youth, adults = create_panel(name="Youth panel"), create_panel(name="Citizens panel")
    invited(consultation, create_member([youth]), completed=True)
    invited(consultation, create_member([youth]))
    invited(consultation, create_member([adults]))
    create_invitation(consultation, create_member([adults]))  # made but never sent: not counted

    page = get(client, url(consultation))

    assert cells(page, "rates-panel") == [["Citizens panel", "1", "0", "0", "0.0%"],
                                          ["Youth panel", "2", "1", "1", "50.0%"]]
    assert cells(page, "rates-channel") == [["E-mail", "3", "1", "1", "33.3%"]]


def test_a_reminder_goes_only_to_the_chosen_group_of_members_who_have_not_responded(client, officer):
    consultation = build_consultation()
    panel = create_panel()
    north_waiting = create_member([panel], ward="North", email="north1@example.org", contact_by_email=True)
    north_done = create_member([panel], ward="North", email="north2@example.org", contact_by_email=True)
    south_waiting = create_member([panel], ward="South", email="south@example.org", contact_by_email=True)
    invited(consultation, north_waiting)
    invited(consultation, north_done, completed=True)
    invited(consultation, south_waiting)

    page = get(client, url(consultation))
    assert cells(page, "waiting-ward")[0][:4] == ["North", "2", "1", "50.0%"]
    link = next(a["href"] for a in page.soup.select("#waiting-ward a") if "ward=North" in a["href"])

    form = get(client, link)
    assert "only in this group: Ward: North" in form.text
    saved = submit(client, link, {"channel": "email", "email_subject": "A reminder about ((consultation))",
                                  "email_body": "Hi ((first_name)), there is still time: ((link))"})

    campaign = db.session.scalar(db.select(Campaign))
    assert (campaign.kind, campaign.segment) == (CampaignKind.REMINDER, {"ward": "North"})
    assert "only in this group: Ward: North" in get(client, saved.location).text
    plan = campaigns.plan_campaign(campaign)
    assert [recipient.member_id for recipient in plan.by_email] == [north_waiting.id]


def test_only_a_reminder_can_be_narrowed_to_a_group(app):
    consultation = build_consultation()

    with pytest.raises(campaigns.CampaignError, match="Only a reminder can go to one group of members"):
        campaigns.create_campaign(consultation, CampaignKind.INVITATION, CampaignChannel.EMAIL, None,
                                  email_subject="Have your say", email_body="((link))", segment={"ward": "North"})
    assert db.session.scalar(db.select(Campaign)) is None


def test_age_band_segments_follow_the_configured_bands(client, officer):
    consultation = build_consultation()
    today = date.today()
    teenager = create_member(date_of_birth=date(today.year - 15, 1, 1))
    adult = create_member(date_of_birth=date(today.year - 40, 1, 1))
    invited(consultation, teenager)
    invited(consultation, adult, completed=True)

    rows = cells(get(client, url(consultation)), "waiting-age_band")

    assert [row[1:3] for row in rows] == [["1", "1"], ["1", "0"]]
    assert "Remind them" in rows[0][-1] and rows[1][-1] == ""
