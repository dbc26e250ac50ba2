"""Choosing who a consultation invites: filters, counts, a reproducible random sample and the frequency rule."""

from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from epanel.common.time import utcnow
from epanel.consultations import audience
from epanel.consultations.audience import AudienceRules
from epanel.consultations.invitations import hash_invitation_token, new_invitation_token
from epanel.consultations.models import Invitation, InvitationChannel
from epanel.consultations.operations import add_question, create_consultation
from epanel.extensions import db
from epanel.panels.models import MemberStatus
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


def make_consultation(actor=None, title="Library opening hours"):
    consultation = create_consultation(title, actor, closes_at=datetime(2030, 12, 13, 17, tzinfo=UTC))
    add_question(consultation.sections[0], "yes_no", "Should libraries open on Sundays?")
    return consultation


def born(age: int) -> date:
    """A date of birth that makes someone `age` today, half a year past their birthday."""
    return date.today() - timedelta(days=round((age + 0.5) * 365.25))


def invite(member, consultation, *, days_ago: float):
    """An invitation already sent to this member some days ago."""
    db.session.add(Invitation(consultation_id=consultation.id, member_id=member.id, channel=InvitationChannel.EMAIL,
                              token_hash=hash_invitation_token(new_invitation_token()),
                              sent_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


@pytest.fixture
def people(app):
    """A small council: who each is, so every count below can be checked by hand."""
    citizens = create_panel("citizens", "Citizens' Panel")
    youth = create_panel("youth", "Youth Panel")
    return {
        "ann": create_member([citizens], first_name="Ann", date_of_birth=born(30), gender="Woman", ward="Abbey",
                             parish="Ashby", email="ann@example.org", contact_by_email=True,
                             custom_attributes={"tenure": "Council"}),
        "bob": create_member([citizens], first_name="Bob", date_of_birth=born(70), gender="Man", ward="Harbour",
                             email="bob@example.org", contact_by_email=False),
        "cat": create_member([youth], first_name="Cat", date_of_birth=born(16), gender="Woman", ward="Abbey",
                             parish="Ashby", contact_by_sms=True, mobile="+447700900001"),
        "dev": create_member([citizens, youth], first_name="Dev", date_of_birth=born(20), gender="Non-binary",
                             ward="Harbour", parish="Brook", status=MemberStatus.PENDING, email="dev@example.org",
                             contact_by_email=True, custom_attributes={"tenure": "owner"}),
        "eve": create_member([citizens], first_name="Eve", date_of_birth=born(40), gender="Woman", ward="Abbey",
                             status=MemberStatus.PAUSED, email="eve@example.org", contact_by_email=True),
        "fay": create_member([citizens], first_name="Fay", date_of_birth=born(40), gender="Woman", ward="Abbey",
                             status=MemberStatus.LEFT),
        "gus": create_member([citizens], first_name="Gus", date_of_birth=born(40), gender="Woman", ward="Abbey",
                             email="gus@example.org", contact_by_email=True,
                             custom_attributes={"tenure": " council ", "school_year": "10"}),
    }


def matching(consultation, **rules) -> int:
    return audience.count_audience(consultation, AudienceRules(**rules)).matching


@pytest.mark.parametrize(("rules", "expected"), [
    ({}, 4),  # active members on any panel: Ann, Bob, Cat, Gus
    ({"panels": ("citizens",)}, 3),
    ({"panels": ("youth",)}, 1),
    ({"panels": ("youth",), "statuses": ("active", "pending")}, 2),
    ({"statuses": ("active", "pending")}, 5),
    ({"age_bands": ("25-34",)}, 1),
    ({"age_bands": ("25-34", "65-74")}, 2),
    ({"age_bands": ("16-17",)}, 1),
    ({"genders": ("Woman",)}, 3),
    ({"genders": ("Man", "Non-binary")}, 1),
    ({"wards": ("Abbey",)}, 3),
    ({"parishes": ("Ashby",)}, 2),
    ({"parishes": ("Brook",), "statuses": ("pending",)}, 1),
    ({"attributes": (("tenure", "council"),)}, 2),
    ({"attributes": (("tenure", "council"), ("school_year", "10"))}, 1),
    ({"panels": ("citizens",), "genders": ("Woman",), "wards": ("Abbey",), "age_bands": ("25-34", "35-44")}, 2),
])
def test_members_are_counted_by_panel_age_band_gender_ward_parish_status_and_profile_attributes(
        people, rules, expected):
    consultation = make_consultation()

    assert matching(consultation, **rules) == expected


def test_paused_members_and_members_who_left_are_never_in_an_audience(people):
    consultation = make_consultation()
    consultation.audience = {"statuses": ["active", "pending", "paused", "left"]}

    counts = audience.count_audience(consultation)

    assert counts.matching == 5  # Eve (paused) and Fay (left) are not counted, whatever the rules say


def test_members_without_an_email_address_or_consent_are_counted_as_not_reachable_by_email(people):
    consultation = make_consultation()

    counts = audience.count_audience(consultation, AudienceRules())

    assert (counts.audience, counts.reachable_by_email, counts.not_reachable_by_email) == (4, 2, 2)
    assert counts.to_email == 2  # Ann and Gus; Bob said no to email and Cat has no address


def test_the_same_seed_picks_the_same_sample_and_a_new_seed_a_different_one(app):
    panel = create_panel()
    for number in range(40):
        create_member([panel], first_name=f"Member{number}", email=f"m{number}@example.org", contact_by_email=True)
    consultation = make_consultation()
    rules = AudienceRules(sample_size=10, seed=482913)

    first = audience.sample_member_ids(consultation, rules)
    again = audience.sample_member_ids(consultation, rules)
    other = audience.sample_member_ids(consultation, AudienceRules(sample_size=10, seed=482914))

    assert len(first) == 10 and first == again
    assert other != first
    counts = audience.count_audience(consultation, rules)
    assert (counts.eligible, counts.audience, counts.seed) == (40, 10, 482913)


def test_saving_a_sample_without_a_seed_records_one_and_a_new_sample_draws_another(officer, client, app):
    panel = create_panel()
    for number in range(30):
        create_member([panel], first_name=f"Member{number}", email=f"m{number}@example.org", contact_by_email=True)
    consultation = make_consultation(officer)
    audience.save_audience(consultation, AudienceRules(sample_size=5), officer)
    seed = consultation.audience["seed"]
    sample = audience.sample_member_ids(consultation)

    page = get(client, f"/officer/consultations/{consultation.slug}/audience")
    assert f"5 of 30 (seed {seed})" in page.text
    token = page.csrf_token()
    drawn = client.post(f"/officer/consultations/{consultation.slug}/audience/sample", data={"csrf_token": token})

    db.session.refresh(consultation)
    new_seed = consultation.audience["seed"]
    assert path_of(drawn.headers["Location"]) == f"/officer/consultations/{consultation.slug}/audience"
    assert new_seed != seed
    assert audience.sample_member_ids(consultation) != sample
    assert f"New sample drawn with seed {new_seed}" in get(client, path_of(drawn.headers["Location"])).text


def test_members_invited_too_often_lately_to_other_consultations_are_left_out(app):
    panel = create_panel()
    often = create_member([panel], first_name="Often", email="often@example.org", contact_by_email=True)
    long_ago = create_member([panel], first_name="Longago", email="longago@example.org", contact_by_email=True)
    once = create_member([panel], first_name="Once", email="once@example.org", contact_by_email=True)
    earlier = [make_consultation(title=f"Earlier survey {number}") for number in range(3)]
    consultation = make_consultation()
    for survey in earlier:
        invite(often, survey, days_ago=10)
        invite(long_ago, survey, days_ago=100)
    invite(once, earlier[0], days_ago=1)
    rules = AudienceRules(max_invitations=3, within_days=90)

    counts = audience.count_audience(consultation, rules)

    assert (counts.matching, counts.invited_too_often, counts.audience) == (3, 1, 2)
    assert audience.count_audience(consultation, AudienceRules(max_invitations=3, within_days=120)).audience == 1
    assert audience.count_audience(consultation, AudienceRules(max_invitations=4, within_days=90)).audience == 3


def test_the_frequency_rule_defaults_come_from_configuration(app):
    consultation = make_consultation()
    assert (audience.audience_rules(consultation).max_invitations,
            audience.audience_rules(consultation).within_days) == (3, 90)

    app.config.update(INVITATION_LIMIT=5, INVITATION_WINDOW_DAYS=30)

    assert (audience.audience_rules(consultation).max_invitations,
            audience.audience_rules(consultation).within_days) == (5, 30)


def test_an_officer_counts_members_without_javascript_and_saves_the_rules(officer, client, people):
    consultation = make_consultation(officer)
    url = f"/officer/consultations/{consultation.slug}/audience"

    counted = get(client, url, query_string=MultiDict([
        ("panels", "citizens"), ("genders", "Woman"), ("genders", "Man"), ("statuses", "active"),
        ("attributes", "Tenure = council\r\n\r\nschool_year=10"), ("sample_size", ""), ("seed", ""),
        ("max_invitations", "3"), ("within_days", "90"), ("count", "Count members"),
    ]))

    assert counted.status == 200
    assert counted.title.startswith("Audience for Library opening hours")
    assert "1 member in the audience" in counted.text  # Gus: Ann has no school year, Bob no tenure
    assert "Can be emailed now 1" in counted.text
    assert "These rules are not saved yet" in counted.text
    save = counted.soup.find("form", attrs={"method": "post", "action": url})
    fields = MultiDict([(field["name"], field["value"]) for field in save.find_all("input")])
    saved = client.post(url, data=fields)

    assert path_of(saved.headers["Location"]) == url
    db.session.refresh(consultation)
    assert consultation.audience["panels"] == ["citizens"]
    assert consultation.audience["genders"] == ["Woman", "Man"]
    assert consultation.audience["attributes"] == {"school_year": "10", "tenure": "council"}
    page = get(client, url)
    assert "Audience saved" in page.banners
    assert "These are the saved rules" in page.text
    assert page.soup.find("input", attrs={"name": "genders", "value": "Man"}).has_attr("checked")


def test_bad_audience_input_is_explained_and_nothing_is_counted(officer, client, people):
    consultation = make_consultation(officer)

    page = get(client, f"/officer/consultations/{consultation.slug}/audience", query_string={
        "attributes": "tenure", "sample_size": "lots", "seed": "", "max_invitations": "0", "within_days": "",
        "count": "Count members",
    })

    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Select at least one member status",
        "Write each profile attribute as name = value, like school_year = 10 (line 1 is “tenure”)",
        "Random sample size must be a whole number, like 500",
        "Most invitations per member must be between 1 and 100",
        "Enter the period in days",
    ]
    assert "members in the audience" not in page.text
    assert page.soup.find("input", attrs={"name": "sample_size"})["value"] == "lots"


def test_the_audience_page_names_the_profile_attributes_members_have(officer, client, people):
    consultation = make_consultation(officer)

    page = get(client, f"/officer/consultations/{consultation.slug}/audience")

    assert "Names in use: school_year, tenure." in page.text


@pytest.mark.parametrize(("method", "path"), [
    ("get", "audience"), ("post", "audience"), ("post", "audience/sample"),
])
def test_a_panel_member_cannot_reach_audience_pages(client, app, method, path):
    consultation = make_consultation()
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    token = get(client, "/").csrf_token()  # the sign-out button's, so CSRF is not what refuses the member

    response = getattr(client, method)(f"/officer/consultations/{consultation.slug}/{path}", data={"csrf_token": token})

    assert response.status_code == 403
