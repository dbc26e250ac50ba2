"""Councillors: ward digests on their schedule, public comments on a ward's result, topic suggestions,
and seeing only their own wards' figures."""

import threading

from flask import render_template

from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.messaging.models import Message
from epanel.planning import digests
from epanel.planning.community_queries import comments_for
from epanel.planning.digests import queue_due_digests, set_digest_frequency
from epanel.planning.models import Digest, DigestFrequency, SuggestionStatus, TopicSuggestion
from tests.factories import PASSWORD, create_invitation, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit
from tests.planning.community_helpers import (
    MONDAY,
    NEXT_MONDAY,
    THURSDAY,
    answer,
    known_wards,
    make_consultation,
    make_councillor,
    officer_user,
)


def digests_sent(purpose="councillor_digest") -> int:
    return db.session.scalar(db.select(db.func.count(Message.id)).where(Message.purpose == purpose))


def mail_text(message) -> str:
    return message.get_content().replace("\r\n", "\n")


# --- the digest --------------------------------------------------------------------------------


def test_ward_digest_gives_new_consultations_ward_response_rates_and_published_outcomes(app, mailbox):
    councillor = make_councillor("Jo Bloggs", wards=("Oakfield",))
    known_wards("Riverside")
    set_digest_frequency(DigestFrequency.WEEKLY, user=councillor)
    panel = create_panel()
    libraries = make_consultation("Library opening hours")
    for number in range(15):  # 15 invited in Oakfield, 12 of them answered: 80%
        member = create_member([panel], ward="Oakfield")
        invitation, _ = create_invitation(libraries, member)
        if number < 12:
            answer(libraries, ward="Oakfield", invitation_id=invitation.id)
    answer(libraries, 30, ward="Riverside")
    buses = make_consultation("Bus routes")
    answer(buses, 4, ward="Oakfield")  # too few to show
    make_consultation("Recycling collections", status=ConsultationStatus.PUBLISHED)

    assert queue_due_digests() == 1

    assert len(mailbox) == 1
    text = mail_text(mailbox[0])
    assert mailbox[0]["To"] == councillor.email
    assert "ward digest: Oakfield" in mailbox[0]["Subject"]
    new_part = text.split("New consultations")[1].split("Responses in your ward")[0]
    assert "Library opening hours" in new_part and "Bus routes" in new_part
    assert "Library opening hours, Oakfield: 12 responses (80% of the 15 panel members invited)" in text
    assert "Bus routes, Oakfield: fewer than 10 responses so far, so no figures are shown" in text
    assert "4 responses" not in text
    assert "Riverside" not in text and "30 responses" not in text  # only their own ward's figures
    assert "Recycling collections" in text.split("Results published")[1]


def test_a_weekly_digest_goes_once_a_week_however_often_tick_runs(app, mailbox):
    weekly = make_councillor("Jo Bloggs", wards=("Oakfield",))
    make_councillor("Sam Off", wards=("Riverside",))  # never chose: off
    set_digest_frequency(DigestFrequency.WEEKLY, user=weekly)
    make_consultation()

    assert queue_due_digests(MONDAY) == 1
    assert queue_due_digests(MONDAY) == 0
    assert queue_due_digests(THURSDAY) == 0
    assert queue_due_digests(NEXT_MONDAY) == 1

    assert digests_sent() == 2
    assert {row.period for row in db.session.scalars(db.select(Digest))} == {"2030-W02", "2030-W03"}
    assert {message["To"] for message in mailbox} == {weekly.email}


def test_a_monthly_digest_goes_once_a_month(app, mailbox):
    councillor = make_councillor(wards=("Oakfield",))
    set_digest_frequency(DigestFrequency.MONTHLY, user=councillor)
    make_consultation()

    assert [queue_due_digests(when) for when in (MONDAY, THURSDAY, NEXT_MONDAY)] == [1, 0, 0]


def test_turning_the_digest_off_stops_it(app, mailbox):
    councillor = make_councillor(wards=("Oakfield",))
    set_digest_frequency(DigestFrequency.WEEKLY, user=councillor)
    make_consultation()
    set_digest_frequency(DigestFrequency.OFF, user=councillor)

    assert queue_due_digests(MONDAY) == 0
    assert mailbox == []


def test_tick_from_the_command_line_queues_one_digest_even_when_run_twice(app, runner, mailbox):
    councillor = make_councillor(wards=("Oakfield",))
    set_digest_frequency(DigestFrequency.WEEKLY, user=councillor)
    make_consultation()

    first = runner.invoke(args=["epanel", "tick"])
    second = runner.invoke(args=["epanel", "tick"])

    assert first.exit_code == 0 and "1 digests queued" in first.output
    assert "0 digests queued" in second.output
    assert digests_sent() == 1 and len(mailbox) == 1


def test_two_ticks_racing_past_the_check_still_queue_one_digest(app, mailbox, monkeypatch):
    """Two ticks at once can both find no digest yet; the unique row per person and period lets one win."""
    councillor = make_councillor(wards=("Oakfield",))
    set_digest_frequency(DigestFrequency.WEEKLY, user=councillor)
    make_consultation()
    monkeypatch.setattr(digests, "_already_sent", lambda *args: False)

    assert queue_due_digests(MONDAY) == 1
    assert queue_due_digests(THURSDAY) == 0

    assert digests_sent() == 1


def test_two_ticks_at_the_same_moment_queue_one_digest(app, mailbox):
    councillor = make_councillor(wards=("Oakfield",))
    set_digest_frequency(DigestFrequency.WEEKLY, user=councillor)
    make_consultation()
    both_ready = threading.Barrier(2)
    queued = []

    def tick():
        with app.app_context():
            both_ready.wait()
            queued.append(queue_due_digests(MONDAY))
            db.session.remove()

    ticks = [threading.Thread(target=tick) for _ in range(2)]
    for thread in ticks:
        thread.start()
    for thread in ticks:
        thread.join()

    assert sorted(queued) == [0, 1]
    assert digests_sent() == 1 and len(mailbox) == 1


def test_councillor_chooses_the_schedule_on_their_page(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    sign_in(client, councillor.email, PASSWORD)

    refused = submit(client, "/councillor/digest", {"frequency": "daily"}, form_page="/councillor")
    saved = submit(client, "/councillor/digest", {"frequency": "monthly"}, form_page="/councillor")

    assert refused.status == 400 and refused.error_summary == ["Select how often you want the digest"]
    assert path_of(saved.location) == "/councillor"
    page = get(client, "/councillor")
    assert page.soup.find("input", attrs={"name": "frequency", "value": "monthly"}).has_attr("checked")


# --- ward pages and access ---------------------------------------------------------------------


def test_councillor_sees_their_wards_figures_only_when_ten_or_more_answered(app, client):
    councillor = make_councillor("Jo Bloggs", wards=("Oakfield", "Hillside"))
    libraries = make_consultation("Library opening hours")
    answer(libraries, 7, ward="Oakfield", sunday="1")
    answer(libraries, 3, ward="Oakfield", sunday="2")
    answer(libraries, 4, ward="Hillside")
    sign_in(client, councillor.email, PASSWORD)

    ward = get(client, "/councillor/wards/Oakfield")
    oakfield = get(client, f"/councillor/wards/Oakfield/consultations/{libraries.slug}")
    hillside = get(client, f"/councillor/wards/Hillside/consultations/{libraries.slug}")

    assert ward.status == 200 and "Library opening hours" in ward.text
    assert "10 people in Oakfield have responded" in oakfield.text
    assert "70%" in oakfield.text and "30%" in oakfield.text
    assert "Fewer than 10 people in Hillside have responded" in hillside.text
    assert "%" not in hillside.soup.select_one("main").get_text()


def test_a_councillor_cannot_see_another_wards_figures_or_officers_pages(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    known_wards("Riverside")
    libraries = make_consultation()
    answer(libraries, 20, ward="Riverside")
    draft = make_consultation("Not yet open", status=ConsultationStatus.DRAFT)
    sign_in(client, councillor.email, PASSWORD)

    assert get(client, "/councillor/wards/Riverside").status == 403
    assert get(client, f"/councillor/wards/Riverside/consultations/{libraries.slug}").status == 403
    assert get(client, f"/councillor/wards/Oakfield/consultations/{draft.slug}").status == 404
    for officers_page in ("/officer/councillors", "/officer/topic-suggestions", "/officer/councillor-comments",
                          f"/officer/consultations/{libraries.slug}/results", "/officer/panels"):
        assert get(client, officers_page).status == 403, officers_page


def test_members_cannot_open_councillors_pages(app, client):
    create_user(email="pat@example.org", roles=("member",))
    sign_in(client, "pat@example.org", PASSWORD)

    assert get(client, "/councillor").status == 403
    assert get(client, "/councillor/suggestions/new").status == 403


def test_officer_gives_a_councillor_their_wards(app, client):
    known_wards("Oakfield", "Riverside")
    councillor = create_user(roles=("councillor",), name="Jo Bloggs")
    officer = officer_user()
    sign_in(client, officer.email, PASSWORD)
    url = f"/officer/councillors/{councillor.id}/wards"

    refused = submit(client, url, {"wards": ["Nowhere"]})
    saved = submit(client, url, {"wards": ["Riverside"]})

    assert refused.status == 400 and refused.error_summary == ["Choose from the options listed"]
    assert path_of(saved.location) == "/officer/councillors"
    assert "Jo Bloggs Riverside" in get(client, "/officer/councillors").text
    assert get(client, f"/officer/councillors/{officer.id}/wards").status == 404  # not a councillor


# --- comments ----------------------------------------------------------------------------------


def test_councillor_comment_is_shown_as_text_with_their_name_and_ward(app, client):
    councillor = make_councillor("Jo Bloggs", wards=("Oakfield",))
    closed = make_consultation(status=ConsultationStatus.CLOSED)
    sign_in(client, councillor.email, PASSWORD)
    url = f"/councillor/wards/Oakfield/consultations/{closed.slug}"

    empty = submit(client, url, {"body": "   "})
    posted = submit(client, url, {"body": "Thank you <script>alert('x')</script> Oakfield!"})

    assert empty.status == 400 and empty.error_summary == ["Enter your comment"]
    assert path_of(posted.location) == url
    shown = render_template("planning/councillor_comments.html", councillor_comments=comments_for(closed))
    assert "Cllr Jo Bloggs, Oakfield" in shown
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in shown and "<script>" not in shown


def test_the_public_outcome_page_shows_councillors_comments(app, client):
    from epanel.planning import outcomes

    councillor = make_councillor("Jo Bloggs", wards=("Oakfield",))
    closed = make_consultation(status=ConsultationStatus.CLOSED)
    sign_in(client, councillor.email, PASSWORD)
    submit(client, f"/councillor/wards/Oakfield/consultations/{closed.slug}", {"body": "Oakfield asked for this <b>first</b>."})
    outcomes.save_outcome(closed, None, what_we_asked="When should libraries open?", what_you_said="Sundays.",
                          what_we_did="Three libraries open on Sundays.", headlines=[])
    outcomes.publish_outcome(closed, None)

    page = get(client, f"/you-said-we-did/{closed.slug}")

    assert "What local councillors say" in page.text
    assert "Oakfield asked for this <b>first</b>." in page.text and "Cllr Jo Bloggs, Oakfield" in page.text


def test_a_councillor_cannot_comment_before_the_consultation_closes(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    still_open = make_consultation()
    sign_in(client, councillor.email, PASSWORD)
    url = f"/councillor/wards/Oakfield/consultations/{still_open.slug}"

    page = get(client, url)
    refused = client.post(url, data={"csrf_token": page.csrf_token(), "body": "Too soon"})

    assert "once the consultation has closed" in page.text
    assert refused.status_code == 400 and comments_for(still_open) == []


def test_officer_removes_a_comment_with_a_reason_and_it_leaves_the_public_page(app, client):
    councillor = make_councillor("Jo Bloggs", wards=("Oakfield",))
    published = make_consultation(status=ConsultationStatus.PUBLISHED)
    from epanel.planning.councillors import add_comment

    comment = add_comment(councillor, published, "Oakfield", "Vote for me")
    officer = officer_user()
    sign_in(client, officer.email, PASSWORD)
    url = f"/officer/councillor-comments/{comment.id}/remove"

    assert "Vote for me" in get(client, "/officer/councillor-comments").text
    refused = submit(client, url, {"reason": ""})
    removed = submit(client, url, {"reason": "Electioneering"})

    assert refused.status == 400 and refused.error_summary == ["Enter why you are removing the comment"]
    assert path_of(removed.location) == "/officer/councillor-comments"
    assert comments_for(published) == []
    assert "Removed: Electioneering" in get(client, "/officer/councillor-comments").text


def test_councillor_withdraws_their_own_comment(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    closed = make_consultation(status=ConsultationStatus.CLOSED)
    sign_in(client, councillor.email, PASSWORD)
    url = f"/councillor/wards/Oakfield/consultations/{closed.slug}"
    submit(client, url, {"body": "First thoughts"})
    comment = comments_for(closed)[0]

    submit(client, f"/councillor/comments/{comment.id}/withdraw", {}, form_page=url)

    assert comments_for(closed) == []


# --- topic suggestions ---------------------------------------------------------------------------


def test_suggestion_goes_to_officers_and_the_councillor_sees_the_decision(app, make_app):
    councillor = make_councillor("Jo Bloggs", wards=("Oakfield",))
    officer = officer_user()
    councillor_client, officer_client = app.test_client(), app.test_client()
    sign_in(councillor_client, councillor.email, PASSWORD)

    missing = submit(councillor_client, "/councillor/suggestions/new", {"title": "", "details": "Because"})
    sent = submit(councillor_client, "/councillor/suggestions/new",
                  {"title": "Parking near Oakfield School", "details": "Parents park on the verges", "ward": "Oakfield"})
    assert missing.status == 400 and missing.error_summary == ["Enter the topic"]
    assert path_of(sent.location) == "/councillor/suggestions"
    assert "Waiting for a decision" in get(councillor_client, "/councillor/suggestions").text

    sign_in(officer_client, officer.email, PASSWORD)
    listed = get(officer_client, "/officer/topic-suggestions")
    assert "Parking near Oakfield School" in listed.text and "Cllr Jo Bloggs, Oakfield" in listed.text
    suggestion = db.session.scalar(db.select(TopicSuggestion))
    url = f"/officer/topic-suggestions/{suggestion.id}"
    no_reason = submit(officer_client, url, {"decision": "declined", "reason": ""})
    decided = submit(officer_client, url, {"decision": "declined", "reason": "Highways are consulting already"})

    assert no_reason.status == 400 and no_reason.error_summary == ["Enter a reason the councillor will see"]
    assert path_of(decided.location) == "/officer/topic-suggestions"
    db.session.refresh(suggestion)
    assert suggestion.status == SuggestionStatus.DECLINED
    mine = get(councillor_client, "/councillor/suggestions")
    assert "Declined" in mine.text and "Highways are consulting already" in mine.text


def test_a_councillor_cannot_suggest_for_a_ward_they_do_not_represent(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    known_wards("Riverside")
    sign_in(client, councillor.email, PASSWORD)

    refused = submit(client, "/councillor/suggestions/new", {"title": "Bins", "ward": "Riverside"})

    assert refused.status == 400 and refused.error_summary == ["Choose one of your wards"]
    assert db.session.scalar(db.select(db.func.count(TopicSuggestion.id))) == 0
