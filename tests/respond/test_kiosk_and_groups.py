"""Shared devices at community access points, and contact points answering for their groups."""

from epanel.extensions import db
from epanel.panels.models import Group, GroupContact, GroupKind
from epanel.respond.models import Response, ResponseChannel
from tests.factories import PASSWORD, create_consultation, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit


def start_kiosk(client, place="Avonmere Library"):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    started = submit(client, "/kiosk/start", {"place": place})
    assert path_of(started.location) == "/kiosk"


def answer_yes_and_send(client, survey, *, assisted=False):
    start_token = get(client, f"/consultations/{survey.slug}").csrf_token()
    client.post(f"/consultations/{survey.slug}/start", data={"csrf_token": start_token, **({"assisted": "y"} if assisted else {})})
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{survey.questions[0].id}": "1"})
    check = get(client, f"/respond/{survey.slug}/check")
    done = submit(client, f"/respond/{survey.slug}/check", {
        "submission_id": check.soup.find("input", attrs={"name": "submission_id"})["value"],
        "fingerprint": check.soup.find("input", attrs={"name": "fingerprint"})["value"]})
    return done


def test_kiosk_mode_signs_the_officer_out_and_lists_public_consultations(app, client):
    survey = create_consultation("Library opening hours", kinds=("yes_no",), for_public=True,
                                 ask_public_postcode=False, ask_public_age_band=False)
    start_kiosk(client)

    page = get(client, "/kiosk")

    assert "Avonmere Library" in page.text
    assert survey.title in page.text
    assert get(client, "/staff").status == 302, "the officer is signed out"


def test_each_person_at_a_kiosk_gets_a_fresh_start_and_an_assisted_answer_is_marked(app, client):
    survey = create_consultation(kinds=("yes_no",), for_public=True, ask_public_postcode=False,
                                 ask_public_age_band=False)
    start_kiosk(client)

    done = answer_yes_and_send(client, survey, assisted=True)
    assert path_of(done.location) == f"/respond/{survey.slug}/done"
    assert "clear itself" in get(client, done.location).text
    assert path_of(get(client, "/kiosk/next-person").location) == "/kiosk"
    answer_yes_and_send(client, survey)

    responses = db.session.scalars(db.select(Response).order_by(Response.id)).all()
    assert len(responses) == 2, "the next person's answers are a new response"
    assert [r.assisted for r in responses] == [True, False]
    with client.session_transaction() as session:
        assert set(session) <= {"kiosk", "csrf_token", "respond", "_fresh"}


def test_an_idle_kiosk_visit_is_wiped(app, client):
    survey = create_consultation(kinds=("yes_no",), for_public=True)
    start_kiosk(client)
    start_token = get(client, f"/consultations/{survey.slug}").csrf_token()
    client.post(f"/consultations/{survey.slug}/start", data={"csrf_token": start_token})
    with client.session_transaction() as session:
        session["kiosk"] = {**session["kiosk"], "seen": session["kiosk"]["seen"] - 3600}

    page = get(client, f"/respond/{survey.slug}/page/1")

    assert path_of(page.location) == f"/consultations/{survey.slug}", "the earlier visit is gone"


def test_a_contact_point_answers_once_for_their_group(app, client):
    survey = create_consultation(kinds=("yes_no",))
    user = create_user("clerk@example.org", roles=["member"])
    clerk = create_member([create_panel()], email="clerk@example.org", user_id=user.id)
    parish = Group(name="Kilby Parish Council", kind=GroupKind.PARISH_COUNCIL, size=640)
    parish.contacts = [GroupContact(member=clerk, role_title="Clerk", can_respond=True)]
    db.session.add(parish)
    db.session.commit()
    sign_in(client, "clerk@example.org", PASSWORD)

    page = get(client, f"/consultations/{survey.slug}")
    assert "Answer for Kilby Parish Council" in page.text
    for _ in range(2):
        client.post(f"/consultations/{survey.slug}/for-group/{parish.id}", data={"csrf_token": page.csrf_token()})
        submit(client, f"/respond/{survey.slug}/page/1", {f"q{survey.questions[0].id}": "2"})

    response = db.session.scalar(db.select(Response))
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 1
    assert (response.channel, response.group_id, response.group_size) == (ResponseChannel.GROUP, parish.id, 640)


def test_someone_who_is_not_a_contact_cannot_answer_for_a_group(app, client):
    survey = create_consultation(kinds=("yes_no",))
    parish = Group(name="Kilby Parish Council", kind=GroupKind.PARISH_COUNCIL, size=640)
    db.session.add(parish)
    db.session.commit()
    create_user("someone@example.org", roles=["member"])
    sign_in(client, "someone@example.org", PASSWORD)
    token = get(client, f"/consultations/{survey.slug}").csrf_token()

    response = client.post(f"/consultations/{survey.slug}/for-group/{parish.id}", data={"csrf_token": token})

    assert response.status_code == 404
