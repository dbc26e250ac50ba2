"""Review fixes for publishing outcomes: nobody hears the results twice, unconfirmed public addresses
hear nothing, and a refused publish keeps the officer's saved words on the page."""

from sqlalchemy import select, update

from epanel.extensions import db
from epanel.messaging import campaigns
from epanel.messaging.models import CampaignChannel, CampaignKind, Message, MessageState
from epanel.planning import outcomes
from epanel.respond.operations import confirm_response_email
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in
from tests.planning.outcome_helpers import DAY, answer, citizens, close, emailer, make_consultation, write_outcome


def results_recipients() -> list[str]:
    db.session.expire_all()
    return sorted(message.to_address for message in db.session.scalars(
        select(Message).where(Message.purpose == "results")))


def send_results_campaign(consultation):
    texts = campaigns.default_texts(consultation, CampaignKind.RESULTS)
    campaign = campaigns.create_campaign(consultation, CampaignKind.RESULTS, CampaignChannel.PREFERRED, None, **texts)
    return campaigns.send_campaign(campaign, None, now=DAY)


def test_members_sent_the_results_by_an_earlier_campaign_are_not_sent_them_again_on_publishing(app, mailbox):
    panel = citizens()
    consultation = make_consultation()
    ann, bob = emailer(panel, "Ann"), emailer(panel, "Bob")
    answer(consultation, ann)
    answer(consultation, bob)
    close(consultation)
    send_results_campaign(consultation)
    assert results_recipients() == ["ann@example.org", "bob@example.org"]
    cat = emailer(panel, "Cat")  # a paper return keyed in after the campaign went
    answer(consultation, cat)
    write_outcome(consultation)

    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert (report.by_email, report.already_sent) == (1, 2)
    assert "2 already sent the results by an earlier campaign" in report.summary
    assert results_recipients() == ["ann@example.org", "bob@example.org", "cat@example.org"]


def test_the_officer_sees_who_already_has_the_results_before_publishing(app, client):
    panel = citizens()
    consultation = make_consultation()
    answer(consultation, emailer(panel, "Ann"))
    close(consultation)
    send_results_campaign(consultation)
    answer(consultation, emailer(panel, "Bob"))
    write_outcome(consultation)

    reach = outcomes.preview_reach(consultation, now=DAY)
    officer = create_user(roles=["officer"])
    sign_in(client, officer.email, PASSWORD)
    page = get(client, f"/officer/consultations/{consultation.slug}/outcome")

    assert (reach.by_email, reach.already_sent) == (1, 1)
    row = page.soup.find("dt", string=lambda text: text and "already sent the results" in text)
    assert row is not None and row.find_next("dd").get_text(strip=True) == "1"


def test_results_go_only_to_confirmed_public_addresses_where_confirmation_is_required(app, mailbox):
    consultation = make_consultation(public_needs_email=True)
    confirmed = answer(consultation, contact_email="kim@example.org")
    confirm_response_email(confirmed)
    answer(consultation, contact_email="someone-elses@example.org")  # never confirmed
    close(consultation)
    write_outcome(consultation)

    assert outcomes.preview_reach(consultation, now=DAY).public_emails == 1
    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert report.by_email == 1
    assert results_recipients() == ["kim@example.org"]


def test_public_addresses_need_no_confirmation_where_the_consultation_asks_for_none(app, mailbox):
    consultation = make_consultation()
    answer(consultation, contact_email="kim@example.org")
    close(consultation)
    write_outcome(consultation)

    outcomes.publish_outcome(consultation, None, now=DAY)

    assert results_recipients() == ["kim@example.org"]


def test_a_refused_publish_keeps_the_saved_outcome_on_the_form_and_saving_it_loses_nothing(app, client):
    officer = create_user(roles=["officer"])
    consultation = close(make_consultation())
    write_outcome(consultation, what_we_did="")
    sign_in(client, officer.email, PASSWORD)
    url = f"/officer/consultations/{consultation.slug}/outcome"
    token = get(client, url).csrf_token()

    response = client.post(f"{url}/publish", data={"csrf_token": token})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter what the council did or will do" in page
    assert "When libraries should open." in page
    assert "Most of you want Sunday opening." in page


def test_a_results_message_that_was_cancelled_does_not_count_as_sent(app, mailbox):
    panel = citizens()
    consultation = make_consultation()
    answer(consultation, emailer(panel, "Ann"))
    close(consultation)
    send_results_campaign(consultation)
    # An officer stopped the campaign's message before it went.
    db.session.execute(update(Message).where(Message.purpose == "results")
                       .values(state=MessageState.CANCELLED))
    db.session.commit()
    write_outcome(consultation)

    report = outcomes.publish_outcome(consultation, None, now=DAY)

    assert (report.by_email, report.already_sent) == (1, 0)
