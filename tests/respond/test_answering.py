"""Answering through the web pages: private links, resuming, checking, submitting once."""

import threading
from datetime import timedelta

import pytest

from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.panels.models import MemberStatus
from epanel.privacy.models import AuditEvent
from epanel.respond.models import Answer, Response, ResponseChannel, ResponseStatus
from tests.factories import PASSWORD, create_consultation, create_invitation, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit


@pytest.fixture
def member(app):
    return create_member([create_panel("citizens", "Citizens' Panel")], email="m@example.org", ward="Abbey",
                         gender="Woman")


@pytest.fixture
def survey(app):
    """Two pages: a yes/no with a follow-up shown only after 'No', then a rating."""
    consultation = create_consultation(kinds=(), open_now=False, sections=1)
    first = consultation.sections[0]
    happy = authoring.add_question(first, "yes_no", "Are you happy with the parks?", required=True)
    authoring.add_question(first, "short_text", "What would make them better?", condition={
        "question_id": happy.id, "option_codes": ["2"]})
    second = authoring.add_section(consultation, "Safety")
    authoring.add_question(second, "rating", "How safe do you feel in the park?", required=True)
    authoring.move_to(consultation, ConsultationStatus.OPEN)
    return consultation


def open_link(client, token):
    """Follow a private link to the page where the member should carry on."""
    page = get(client, f"/respond/i/{token}")
    assert page.status == 302, page.heading
    return path_of(page.location)


def qid(consultation, code):
    return next(q.id for q in consultation.questions if q.code == code)


def answer_all(client, survey, *, happy="1", better=None, safety="8"):
    assert path_of(submit(client, f"/respond/{survey.slug}/page/1",
                          {f"q{qid(survey, 'Q1')}": happy, **({f"q{qid(survey, 'Q2')}": better} if better else {})}
                          ).location) == f"/respond/{survey.slug}/page/2"
    assert path_of(submit(client, f"/respond/{survey.slug}/page/2", {f"q{qid(survey, 'Q3')}": safety}
                          ).location) == f"/respond/{survey.slug}/check"


def send(client, survey):
    return submit(client, f"/respond/{survey.slug}/check", {
        "submission_id": get(client, f"/respond/{survey.slug}/check").soup.find("input", attrs={"name": "submission_id"})["value"],
        "fingerprint": get(client, f"/respond/{survey.slug}/check").soup.find("input", attrs={"name": "fingerprint"})["value"],
    })


def test_an_invited_member_answers_checks_and_sends(client, survey, member):
    _, token = create_invitation(survey, member)

    assert open_link(client, token) == f"/respond/{survey.slug}/page/1"
    answer_all(client, survey)
    check = get(client, f"/respond/{survey.slug}/check")
    assert check.heading == "Check your answers"
    assert "Yes" in check.text and "8" in check.text
    done = send(client, survey)

    assert path_of(done.location) == f"/respond/{survey.slug}/done"
    reference = get(client, done.location).soup.select_one(".govuk-panel__body strong").get_text()
    response = db.session.scalar(db.select(Response))
    assert response.reference == reference
    assert (response.status, response.channel, response.member_id) == (ResponseStatus.COMPLETE, ResponseChannel.WEB, member.id)
    assert (response.ward, response.gender) == ("Abbey", "Woman"), "analysis attributes kept with the response"
    assert response.invitation.completed_at is not None


def test_a_member_who_leaves_half_way_resumes_from_the_link(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "2", f"q{qid(survey, 'Q2')}": "More bins"})

    client._cookies.clear()  # the browser was closed
    resumed = open_link(client, token)

    assert resumed == f"/respond/{survey.slug}/page/2"
    page_one = get(client, f"/respond/{survey.slug}/page/1")
    assert page_one.soup.find("input", attrs={"name": f"q{qid(survey, 'Q2')}"})["value"] == "More bins"


def test_a_question_hidden_by_its_condition_is_not_asked_and_its_answer_is_dropped(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    better = qid(survey, "Q2")
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "2", f"q{better}": "More bins"})

    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "1", f"q{better}": "sneaked in"})

    assert db.session.scalar(db.select(db.func.count(Answer.id)).where(Answer.question_id == better)) == 0


def test_the_follow_up_appears_only_after_no(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    better = qid(survey, "Q2")
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "1"})
    assert f'name="q{better}"' not in get(client, f"/respond/{survey.slug}/page/1").html

    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "2"})
    assert f'name="q{better}"' in get(client, f"/respond/{survey.slug}/page/1").html


def test_missing_required_answer_is_named_and_nothing_saved_is_lost(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "1"})

    page = submit(client, f"/respond/{survey.slug}/page/2", {})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["Choose a number from 0 to 10 for question 2"], "the hidden question takes no number"
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 1


def test_a_tampered_answer_gets_a_clear_message(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)

    page = submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "999"})

    assert page.error_summary == ["Choose one of the answers listed"]


def test_answers_can_be_changed_after_sending_until_the_close(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    answer_all(client, survey, safety="3")
    send(client, survey)

    submit(client, f"/respond/{survey.slug}/page/2?change=1", {f"q{qid(survey, 'Q3')}": "9"})
    send(client, survey)

    assert db.session.scalar(db.select(db.func.count(Response.id))) == 1
    rating = db.session.scalar(db.select(Answer.number).where(Answer.question_id == qid(survey, "Q3")))
    assert rating == 9
    authoring.move_to(survey, ConsultationStatus.CLOSED)
    closed = get(client, f"/respond/{survey.slug}/page/2")
    assert path_of(closed.location) == f"/consultations/{survey.slug}"


def test_sending_twice_makes_one_response(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    answer_all(client, survey)
    check = get(client, f"/respond/{survey.slug}/check")
    form = {"csrf_token": check.csrf_token(),
            "submission_id": check.soup.find("input", attrs={"name": "submission_id"})["value"],
            "fingerprint": check.soup.find("input", attrs={"name": "fingerprint"})["value"]}

    first = client.post(f"/respond/{survey.slug}/check", data=form)
    second = client.post(f"/respond/{survey.slug}/check", data=form)

    assert first.status_code == second.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 1


def test_two_concurrent_sends_of_the_same_submission_make_one_response(app, survey, member):
    _, token = create_invitation(survey, member)
    client = app.test_client()
    open_link(client, token)
    answer_all(client, survey)
    check = get(client, f"/respond/{survey.slug}/check")
    form = {"csrf_token": check.csrf_token(),
            "submission_id": check.soup.find("input", attrs={"name": "submission_id"})["value"],
            "fingerprint": check.soup.find("input", attrs={"name": "fingerprint"})["value"]}
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    statuses = []

    def post():
        other = app.test_client()
        other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        statuses.append(other.post(f"/respond/{survey.slug}/check", data=form).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * 4
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 1
    assert db.session.scalar(db.select(Response.status)) == ResponseStatus.COMPLETE


def test_a_stale_check_page_is_a_conflict_not_a_silent_overwrite(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    answer_all(client, survey, safety="3")
    stale = get(client, f"/respond/{survey.slug}/check")
    submit(client, f"/respond/{survey.slug}/page/2?change=1", {f"q{qid(survey, 'Q3')}": "9"})  # another tab

    page = submit(client, f"/respond/{survey.slug}/check", {
        "submission_id": stale.soup.find("input", attrs={"name": "submission_id"})["value"],
        "fingerprint": stale.soup.find("input", attrs={"name": "fingerprint"})["value"]})

    assert page.status == 200
    assert "Your answers were changed in another window" in page.text
    assert db.session.scalar(db.select(Response.status)) == ResponseStatus.IN_PROGRESS


@pytest.mark.parametrize("problem, status, heading", [
    ("guessed", 404, "This link does not work"),
    ("revoked", 404, "This link no longer works"),
    ("left", 404, "This link no longer works"),
    ("closed", 410, "This consultation has closed"),
])
def test_links_that_no_longer_work_say_why(client, survey, member, problem, status, heading):
    invitation, token = create_invitation(survey, member)
    if problem == "guessed":
        token = "not-a-real-token-" + token[:10]
    elif problem == "revoked":
        invitation.revoked_at = utcnow()
    elif problem == "left":
        member.status = MemberStatus.LEFT
    else:
        authoring.move_to(survey, ConsultationStatus.CLOSED)
    db.session.commit()

    page = get(client, f"/respond/i/{token}")

    assert page.status == status
    assert page.heading == heading


def test_a_scheduled_consultation_opens_and_closes_on_time(app):
    consultation = create_consultation(open_now=False)
    authoring.update_consultation(consultation, opens_at=utcnow() + timedelta(hours=1),
                                  closes_at=utcnow() + timedelta(days=7))
    authoring.move_to(consultation, ConsultationStatus.SCHEDULED)

    assert authoring.open_and_close_due(utcnow()) == (0, 0)
    assert authoring.open_and_close_due(utcnow() + timedelta(hours=2)) == (1, 0)
    assert consultation.status == ConsultationStatus.OPEN
    assert authoring.open_and_close_due(utcnow() + timedelta(days=8)) == (0, 1)
    assert consultation.status == ConsultationStatus.CLOSED


def test_the_first_response_locks_the_structure(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "1"})

    db.session.refresh(survey)
    assert survey.structure_locked_at is not None
    with pytest.raises(authoring.ConsultationError, match="can no longer be added"):
        authoring.add_question(survey.sections[0], "short_text", "Too late")


def test_the_public_answer_once_per_browser_and_give_optional_details(app, client):
    from epanel.panels.operations import replace_ward_lookup

    replace_ward_lookup([("AV1 2BX", "Riverside", None)], "test")
    survey = create_consultation(kinds=("yes_no",), for_public=True)
    start_token = get(client, f"/consultations/{survey.slug}").csrf_token()
    started = client.post(f"/consultations/{survey.slug}/start", data={"csrf_token": start_token})
    assert path_of(started.headers["Location"]) == f"/respond/{survey.slug}/"

    page = submit(client, f"/respond/{survey.slug}/page/1", {f"q{survey.questions[0].id}": "1"})
    assert path_of(page.location) == f"/respond/{survey.slug}/about-you"
    submit(client, f"/respond/{survey.slug}/about-you", {"postcode": "av12bx", "age_band": "35-44"})
    send(client, survey)

    response = db.session.scalar(db.select(Response))
    assert (response.status, response.ward, response.age_band, response.member_id) == (
        ResponseStatus.COMPLETE, "Riverside", "35-44", None)
    again = client.post(f"/consultations/{survey.slug}/start", data={"csrf_token": start_token})
    assert path_of(again.headers["Location"]) == f"/respond/{survey.slug}/"
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 1


def test_a_consultation_only_for_invited_members_has_no_public_start(client, survey):
    page = get(client, f"/consultations/{survey.slug}")

    assert "use the link in your invitation" in page.text
    assert get(client, f"/respond/{survey.slug}/page/1").status == 302


def test_drafts_are_not_public(client, app):
    draft = create_consultation(open_now=False, for_public=True)

    assert get(client, f"/consultations/{draft.slug}").status == 404
    assert draft.title not in get(client, "/consultations").text


def test_officer_written_text_is_shown_as_text(client, app):
    survey = create_consultation("<script>alert(1)</script>", for_public=True)

    html = get(client, f"/consultations/{survey.slug}").html

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_officer_keys_in_a_paper_return_which_is_audited(client, survey, member):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)

    started = submit(client, f"/officer/consultations/{survey.slug}/paper", {"member_email": "m@example.org"})
    assert path_of(started.location) == f"/respond/{survey.slug}/page/1"
    assert "keying in a paper return for" in get(client, started.location).text
    answer_all(client, survey)
    send(client, survey)

    response = db.session.scalar(db.select(Response))
    assert (response.channel, response.member_id, response.status) == (ResponseChannel.PAPER, member.id, ResponseStatus.COMPLETE)
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.action == "response.keyed"))


def test_a_follow_up_on_the_same_page_is_asked_before_moving_on(client, survey, member):
    _, token = create_invitation(survey, member)
    open_link(client, token)

    page = submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "2"})

    assert path_of(page.location).startswith(f"/respond/{survey.slug}/page/1")
    shown = get(client, page.location)
    assert "We have added a question based on your answer" in shown.text
    assert shown.soup.find("input", attrs={"name": f"q{qid(survey, 'Q2')}"}) is not None


def test_a_member_can_have_a_copy_of_their_answers_emailed(client, survey, member, mailbox):
    _, token = create_invitation(survey, member)
    open_link(client, token)
    answer_all(client, survey, safety="7")
    check = get(client, f"/respond/{survey.slug}/check")
    assert "Email a copy of my answers to m@example.org" in check.text

    submit(client, f"/respond/{survey.slug}/check", {
        "submission_id": check.soup.find("input", attrs={"name": "submission_id"})["value"],
        "fingerprint": check.soup.find("input", attrs={"name": "fingerprint"})["value"], "email_copy": "y"})

    (copy,) = mailbox
    assert copy["To"] == "m@example.org"
    assert "How safe do you feel in the park?\n   7" in copy.get_content().replace("\r\n", "\n")


def test_a_public_response_counts_once_its_email_is_confirmed(app, client, mailbox):
    import re

    survey = create_consultation(kinds=("yes_no",), for_public=True, public_needs_email=True,
                                 ask_public_postcode=False, ask_public_age_band=False)
    start = get(client, f"/consultations/{survey.slug}").csrf_token()
    client.post(f"/consultations/{survey.slug}/start", data={"csrf_token": start})
    submit(client, f"/respond/{survey.slug}/page/1", {f"q{survey.questions[0].id}": "1"})
    refused = submit(client, f"/respond/{survey.slug}/about-you", {"email": ""})
    assert refused.error_summary == ["Enter your email address"]
    submit(client, f"/respond/{survey.slug}/about-you", {"email": "Pat@Example.org"})
    done = send(client, survey)

    assert "your answers count once you confirm them" in get(client, done.location).text
    response = db.session.scalar(db.select(Response))
    assert response.email_confirmed_at is None
    link = re.search(r"https?://[^/\s]+(/respond/confirm/\S+)", mailbox[0].get_content()).group(1)
    assert mailbox[0]["To"] == "pat@example.org"
    submit(client, link, {})
    db.session.refresh(response)
    assert response.email_confirmed_at is not None
    assert get(client, "/respond/confirm/made-up").status == 404


def test_answers_to_another_consultations_questions_are_ignored(client, survey, member):
    other = create_consultation("Another survey", kinds=("short_text",))
    foreign = other.questions[0].id
    _, token = create_invitation(survey, member)
    open_link(client, token)

    page = submit(client, f"/respond/{survey.slug}/page/1", {f"q{qid(survey, 'Q1')}": "1", f"q{foreign}": "smuggled"})

    assert page.status == 302
    assert db.session.scalar(db.select(db.func.count(Answer.id)).where(Answer.question_id == foreign)) == 0


def test_a_consultation_not_yet_open_says_so(client, member):
    draft = create_consultation(open_now=False)
    authoring.update_consultation(draft, opens_at=utcnow() + timedelta(days=2))
    authoring.move_to(draft, ConsultationStatus.SCHEDULED)
    _, token = create_invitation(draft, member)

    page = get(client, f"/respond/i/{token}")

    assert page.status == 404
    assert page.heading == "This consultation has not opened yet"
