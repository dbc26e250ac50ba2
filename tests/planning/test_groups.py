"""Community groups: a digest of open consultations to pass on, tracked links whose reach shows in
analysis, and the outcomes of consultations their group answered."""

import re

from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.planning.digests import queue_due_digests, set_digest_frequency
from epanel.planning.groups import referral_tag
from epanel.planning.models import DigestFrequency
from epanel.respond.models import Response, ResponseStatus
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit
from tests.planning.community_helpers import (
    MONDAY,
    NEXT_MONDAY,
    answer,
    make_consultation,
    make_group_contact,
    officer_user,
)


def answer_publicly(client, consultation, landing: str) -> None:
    """Open `landing` (the consultation's public page, perhaps with ?via=), start, answer and send."""
    start = get(client, landing).csrf_token()
    client.post(f"/consultations/{consultation.slug}/start", data={"csrf_token": start})
    by_code = {question.code: question for question in consultation.questions}
    submit(client, f"/respond/{consultation.slug}/page/1", {f"q{by_code['Q1'].id}": "1", f"q{by_code['Q2'].id}": "1"})
    check = get(client, f"/respond/{consultation.slug}/check")
    submit(client, f"/respond/{consultation.slug}/check", {
        "submission_id": check.soup.find("input", attrs={"name": "submission_id"})["value"],
        "fingerprint": check.soup.find("input", attrs={"name": "fingerprint"})["value"],
    })


def public_consultation(title="Library opening hours", **access):
    return make_consultation(title, for_public=True, ask_public_postcode=False, ask_public_age_band=False, **access)


# --- the digest --------------------------------------------------------------------------------


def test_group_digest_lists_open_public_consultations_with_the_groups_tracked_links(app, mailbox):
    group, member, _ = make_group_contact("Oakfield Residents' Association")
    libraries = public_consultation("Library opening hours")
    make_consultation("Invited members only")
    recycling = make_consultation("Recycling collections", status=ConsultationStatus.PUBLISHED)
    answer(recycling, group_id=group.id)
    make_consultation("Parks we did not answer", status=ConsultationStatus.PUBLISHED)

    assert queue_due_digests() == 1

    assert len(mailbox) == 1 and mailbox[0]["To"] == "clerk@example.org"
    text = mailbox[0].get_content().replace("\r\n", "\n")
    tag = f"oakfield-residents-association-{group.id}"
    assert referral_tag(group) == tag
    assert f"Library opening hours (new)\n  http://localhost/consultations/{libraries.slug}?via={tag}" in text
    assert "Invited members only" not in text
    assert "Recycling collections" in text.split("Results published")[1]
    assert "Parks we did not answer" not in text


def test_group_contacts_get_a_monthly_digest_unless_they_choose_otherwise(app, mailbox):
    _, chris, _ = make_group_contact("Oakfield Residents' Association", email="chris@example.org")
    _, alex, _ = make_group_contact("Riverside Youth Club", email="alex@example.org", first_name="Alex")
    set_digest_frequency(DigestFrequency.OFF, member=alex)
    public_consultation()

    assert [queue_due_digests(when) for when in (MONDAY, NEXT_MONDAY)] == [1, 0]
    assert [message["To"] for message in mailbox] == ["chris@example.org"]


def test_no_group_digest_when_nothing_is_open_to_pass_on(app, mailbox):
    make_group_contact()
    make_consultation("Invited members only")

    assert queue_due_digests(MONDAY) == 0
    assert mailbox == []


def test_group_contact_changes_their_digest_schedule(app, client):
    _, member, user = make_group_contact()
    sign_in(client, user.email, PASSWORD)

    refused = submit(client, "/groups/contact/digest", {}, form_page="/groups/contact")
    saved = submit(client, "/groups/contact/digest", {"frequency": "off"}, form_page="/groups/contact")

    assert refused.status == 400 and refused.error_summary == ["Select how often you want the digest"]
    assert path_of(saved.location) == "/groups/contact"
    public_consultation()
    assert queue_due_digests(MONDAY) == 0


# --- tracked links -------------------------------------------------------------------------------


def test_a_response_from_a_tracked_link_records_the_group_and_shows_in_analysis(app, make_app):
    group, _, _ = make_group_contact("Oakfield Residents' Association")
    libraries = public_consultation()
    tracked, untracked = app.test_client(), app.test_client()

    answer_publicly(tracked, libraries, f"/consultations/{libraries.slug}?via={referral_tag(group)}")
    answer_publicly(untracked, libraries, f"/consultations/{libraries.slug}")

    responses = list(db.session.scalars(db.select(Response).order_by(Response.id)))
    assert [(r.status, r.referral_group_id) for r in responses] == [
        (ResponseStatus.COMPLETE, group.id), (ResponseStatus.COMPLETE, None)]

    officer = officer_user()
    officers = app.test_client()
    sign_in(officers, officer.email, PASSWORD)
    everyone = get(officers, f"/officer/consultations/{libraries.slug}/results")
    reached = get(officers, f"/officer/consultations/{libraries.slug}/results?via={group.name}")
    assert everyone.soup.find("option", attrs={"value": group.name}) is not None
    assert "Reached through group: Oakfield Residents' Association" in reached.text
    assert re.search(r"\b2 responses?\b", everyone.text) and re.search(r"\b1 response\b", reached.text)


def test_a_tag_for_an_unknown_group_is_ignored(app, client):
    libraries = public_consultation()

    for tag in ("nobody-99999", "not-a-tag", "", "-", "12345678901234567890"):
        assert get(client, f"/consultations/{libraries.slug}?via={tag}").status == 200
    answer_publicly(client, libraries, f"/consultations/{libraries.slug}?via=nobody-99999")

    response = db.session.scalar(db.select(Response))
    assert response.status == ResponseStatus.COMPLETE and response.referral_group_id is None


# --- the contact's pages -------------------------------------------------------------------------


def test_contact_sees_links_to_pass_on_reach_and_outcomes_of_what_their_group_answered(app, client):
    group, _, user = make_group_contact("Oakfield Residents' Association")
    libraries = public_consultation()
    answer(libraries, 10, referral_group_id=group.id)
    recycling = make_consultation("Recycling collections", status=ConsultationStatus.PUBLISHED)
    answer(recycling, group_id=group.id)
    sign_in(client, user.email, PASSWORD)

    home = get(client, "/groups/contact")
    page = get(client, f"/groups/contact/{group.id}")

    assert home.status == 200 and "Oakfield Residents' Association" in home.text
    link = page.soup.find("input", attrs={"id": f"link-{libraries.id}"})["value"]
    assert link.endswith(f"/consultations/{libraries.slug}?via={referral_tag(group)}")
    assert "10 people have answered through your group's links" in page.text
    assert "Recycling collections" in page.text


def test_reach_under_ten_is_not_shown(app, client):
    group, _, user = make_group_contact()
    answer(public_consultation(), 3, referral_group_id=group.id)
    sign_in(client, user.email, PASSWORD)

    assert "Fewer than 10 people have answered" in get(client, f"/groups/contact/{group.id}").text


def test_only_a_groups_contact_points_see_its_page(app, client):
    group, _, _ = make_group_contact("Oakfield Residents' Association")
    other, _, other_user = make_group_contact("Riverside Youth Club", email="alex@example.org")
    stranger = create_user(email="pat@example.org", roles=("member",))
    create_member([create_panel()], email="pat@example.org", user_id=stranger.id)
    sign_in(client, other_user.email, PASSWORD)

    assert get(client, f"/groups/contact/{group.id}").status == 404
    assert get(client, f"/groups/contact/{other.id}").status == 200
    client.post("/sign-out", data={"csrf_token": get(client, "/groups/contact").csrf_token()})
    sign_in(client, "pat@example.org", PASSWORD)
    assert get(client, "/groups/contact").status == 404
    assert get(client, "/groups/contact").status == 404
