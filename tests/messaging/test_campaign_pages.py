"""Campaign pages: officers write, preview, send, schedule and cancel; short links from texts open the survey."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from epanel.consultations import audience
from epanel.consultations.audience import AudienceRules
from epanel.consultations.models import ConsultationStatus
from epanel.consultations.operations import add_question, create_consultation, move_to
from epanel.extensions import db
from epanel.messaging.models import Campaign, CampaignState, Message, MessageState
from tests.conftest import _empty_all_tables
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit

CLOSES = datetime(2030, 12, 13, 17, tzinfo=UTC)


@pytest.fixture
def app(make_app):
    # No quiet hours, so what a page sends goes whatever time the tests run.
    app = make_app(QUIET_HOURS="00:00-00:00", YOUTH_QUIET_HOURS="00:00-00:00")
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


@pytest.fixture
def consultation(app):
    panel = create_panel("citizens", "Citizens' Panel")
    create_member([panel], first_name="Ann", mobile="+447700900101", contact_by_sms=True)
    create_member([panel], first_name="Bob", email="bob@example.org", contact_by_email=True)
    consultation = create_consultation("Library opening hours", None, closes_at=CLOSES)
    add_question(consultation.sections[0], "yes_no", "Should libraries open on Sundays?")
    move_to(consultation, ConsultationStatus.OPEN)
    audience.save_audience(consultation, AudienceRules(), None)
    return consultation


def base(consultation):
    return f"/officer/consultations/{consultation.slug}/campaigns"


def create(client, consultation, kind="invitation", **fields):
    url = f"{base(consultation)}/new/{kind}"
    form = get(client, url).soup
    data = {"channel": "sms", "sms_body": form.find("textarea", attrs={"name": "sms_body"}).get_text(),
            "email_subject": form.find("input", attrs={"name": "email_subject"})["value"],
            "email_body": form.find("textarea", attrs={"name": "email_body"}).get_text(), **fields}
    return submit(client, url, data)


def test_an_officer_writes_previews_and_sends_a_text_invitation(officer, client, consultation, app):
    created = create(client, consultation, sms_body="Hi ((first_name)), have your say: ((link)) Reply STOP to stop")
    campaign = db.session.scalar(select(Campaign))
    assert path_of(created.location) == f"{base(consultation)}/{campaign.id}"

    page = get(client, path_of(created.location))
    assert page.status == 200
    assert page.heading == f"Invitation {campaign.id}"
    reach = page.soup.select_one("[data-testid=reach]").get_text(" ", strip=True)
    assert "By text message 1" in reach and "By email 0" in reach
    assert "No mobile number or email address for this channel: 1" in reach
    assert page.soup.select_one("[data-testid=sms-preview]").get_text().startswith("Hi Ann, have your say: http")
    assert "1 part" in page.soup.select_one("[data-testid=segments]").get_text()
    assert "£0.04" in page.soup.select_one("[data-testid=cost]").get_text()

    sent = submit(client, f"{base(consultation)}/{campaign.id}/send", {}, form_page=path_of(created.location))
    after = get(client, path_of(sent.location))

    assert "1 message queued, 1 member left out." in after.banners
    [text] = app.extensions["epanel_sms_gateway"].sent
    assert text.to == "+447700900101"
    counts = after.soup.select_one("[data-testid=counts]").get_text(" ", strip=True)
    assert "Sent 1 0 1" in counts
    assert "£0.04" in after.soup.select_one("[data-testid=cost-so-far]").get_text()


def test_curly_quotes_are_flagged_with_what_to_type_instead(officer, client, consultation):
    created = create(client, consultation, sms_body="We’d like your views: ((link))")

    page = get(client, path_of(created.location))

    warning = page.soup.select_one("[data-testid=ucs2-warning]").get_text(" ", strip=True)
    assert "UCS-2" in warning and "’ (right single quotation mark) – use ' instead" in warning


def test_a_text_without_the_link_is_refused_with_an_error_summary(officer, client, consultation):
    page = create(client, consultation, sms_body="Have your say")

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["The message must include ((link)), so each member gets their private link"]


def test_scheduling_and_cancelling_from_the_page(officer, client, consultation):
    created = create(client, consultation)
    campaign_url = path_of(created.location)
    campaign = db.session.scalar(select(Campaign))

    scheduled = submit(client, f"{campaign_url}/schedule",
                       {"send_on": ["1", "12", "2030"], "send_time": "18:30"},
                       form_page=campaign_url)
    assert path_of(scheduled.location) == campaign_url
    db.session.expire_all()
    assert campaign.state == CampaignState.SCHEDULED
    assert campaign.scheduled_for == datetime(2030, 12, 1, 18, 30, tzinfo=UTC)  # GMT in December
    assert "Scheduled for 1 December 2030, 6:30pm" in get(client, campaign_url).text

    submit(client, f"{campaign_url}/cancel", {}, form_page=campaign_url)
    db.session.expire_all()
    assert campaign.state == CampaignState.CANCELLED


def test_a_schedule_in_the_past_is_an_error_on_the_page(officer, client, consultation):
    created = create(client, consultation)
    campaign_url = path_of(created.location)

    page = submit(client, f"{campaign_url}/schedule",
                  {"send_on": ["1", "1", "2020"], "send_time": "9am"},
                  form_page=campaign_url)

    assert page.status == 200
    assert page.error_summary == ["The time to send must be in the future"]


def test_the_list_shows_each_campaign_and_links_to_new_ones(officer, client, consultation):
    create(client, consultation)

    page = get(client, base(consultation))

    assert page.heading == "Texts and emails"
    assert "Invitation" in page.soup.select_one("table").get_text()
    links = [a["href"] for a in page.soup.select("a")]
    assert f"{base(consultation)}/new/reminder" in links
    consultation_page = get(client, f"/officer/consultations/{consultation.slug}")
    assert base(consultation) in [a["href"] for a in consultation_page.soup.select("a")]


def test_a_reminder_form_offers_automatic_reminders(officer, client, consultation):
    created = create(client, consultation, "reminder", remind_after_days="3", reminder_limit="2")

    campaign = db.session.scalar(select(Campaign))
    assert (campaign.remind_after_days, campaign.reminder_limit) == (3, 2)
    assert "Automatic reminders" in get(client, path_of(created.location)).text


def test_members_and_visitors_cannot_use_campaign_pages(app, client, consultation):
    assert path_of(get(client, base(consultation)).location).startswith("/sign-in")
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    assert get(client, base(consultation)).status == 403
    assert get(client, f"{base(consultation)}/new/invitation").status == 403


def test_a_short_link_redirects_to_the_private_answering_link(app, client):
    page = get(client, "/i/AbCdEfGhIjKl")

    assert page.status == 302
    assert path_of(page.location) == "/respond/i/AbCdEfGhIjKl"


def test_a_short_link_from_a_text_opens_the_consultation(officer, client, consultation, app):
    created = create(client, consultation)
    campaign_url = path_of(created.location)
    submit(client, f"{campaign_url}/send", {}, form_page=campaign_url)
    [text] = app.extensions["epanel_sms_gateway"].sent
    short = text.body.split("http://localhost")[1].split()[0]
    client.post("/sign-out", data={"csrf_token": get(client, "/staff").csrf_token()})

    first = get(client, short)
    answering = get(client, path_of(first.location))

    assert answering.status in (200, 302)
    message = db.session.scalar(select(Message))
    assert message.state == MessageState.SENT
