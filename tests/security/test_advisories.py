"""The historic advisory cases from the trust issue, tried through the pages as an attacker would.

Cases already held by a test elsewhere are not repeated here (case → existing test):

| case | existing test |
| --- | --- |
| stored XSS in officer- or resident-written text | autoescaping, nh3 Markdown; CSP in
  `tests/security/test_headers_review.py` |
| a member reading another member's response or profile (404) |
  `tests/security/test_access_by_role.py::test_a_member_sees_only_their_own_profile`,
  `tests/respond/test_answering_costs.py::test_a_session_cannot_use_another_consultations_invitation` |
| a teacher reading another school's class session (404 on every page, export and QR code) |
  `tests/classroom/test_teacher_board.py::test_teachers_cannot_see_other_teachers_sessions` |
| an officer without permission exporting (403) |
  `tests/security/test_access_by_role.py::test_people_without_the_officer_role_cannot_read_members_or_export_them` |
| a forged or unsigned Twilio webhook (403, no change) |
  `tests/messaging/test_inbound.py::test_a_forged_or_unsigned_text_is_refused_and_nothing_is_recorded`,
  `tests/security/test_csrf.py::test_the_twilio_webhooks_refuse_unsigned_posts_instead` |
| a replayed Twilio webhook (acted on once, the same reply) |
  `tests/messaging/test_inbound.py::test_a_twilio_retry_of_the_same_message_acts_once_and_gets_the_same_reply` |
| STOP, then later texts |
  `tests/messaging/test_inbound.py::test_stop_reply_opts_member_out_of_every_later_sms`,
  `tests/messaging/test_campaigns.py::test_an_opted_out_member_is_never_texted_even_when_they_stop_after_the_text_was_queued`,
  results notices in `tests/planning/test_outcomes.py` |
| two concurrent submits (one response) |
  `tests/respond/test_answering.py::test_two_concurrent_sends_of_the_same_submission_make_one_response` |
| brute force of class codes |
  `tests/classroom/test_class_sessions.py::test_wrong_codes_are_rate_limited_per_address_but_a_class_joins_freely` |
| brute force of SMS sign-up codes (locked after five wrong tries) |
  `tests/panels/test_sign_up.py::test_sms_codes_expire_and_stop_after_five_wrong_tries` |
| SMS sign-up texts (pumping) | `tests/panels/test_sign_up_texts.py` (caps per number, address and day; spend ceiling) |
| STOP, then a resend from the outbox |
  `tests/messaging/test_outbox_views.py::test_resending_to_a_number_that_opted_out_is_refused` |
| brute force of staff codes; TOTP replay | `tests/accounts/test_two_factor.py::test_code_attempts_are_rate_limited`,
  `::test_a_code_cannot_be_replayed_within_its_window` |
| open redirects | `tests/security/test_redirects.py` |

Here: reflected XSS through every query parameter of the list, search and filter pages; XSS through an
imported CSV shown in the import report; SQL injection and wildcards through search and sort parameters;
a Twilio signature made for another address; STOP (through the signed webhook) followed by a reminder and a
new campaign; a member's data download and "my say" page holding nothing of another member's.
"""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import sms
from epanel.extensions import db
from epanel.messaging import campaigns, outbox
from epanel.messaging.models import (
    CampaignChannel,
    CampaignKind,
    InboundMessage,
    Message,
    MessageState,
)
from epanel.messaging.outbox import is_opted_out
from epanel.panels.queries import find_member_by_email
from tests.conftest import _empty_all_tables
from tests.factories import PASSWORD, create_consultation, create_invitation, create_member, create_panel, create_user
from tests.pages import Page, get, path_of, sign_in, submit

MARKER = "xss_marker_4711"
PAYLOAD = f"\"'><script>{MARKER}()</script><img src=x onerror={MARKER}()><svg onload={MARKER}()>"

# Every name a list, search or filter page reads from its query string, across the console.
QUERY_NAMES = [
    "search", "q", "panel", "status", "age_band", "gender", "ward", "parish", "school", "source", "channel", "via",
    "groups", "date_from", "date_to", "kind", "show", "purpose", "state", "theme", "by", "after", "page", "sort",
    "order", "weight", "dimension", "trim", "consultation", "count",
]

OFFICER_PAGES = [
    "/officer/members",
    "/officer/outbox",
    "/officer/texts",
    "/officer/consultations",
    "/officer/consultations/{slug}/results",
    "/officer/consultations/{slug}/crosstab",
    "/officer/consultations/{slug}/representativeness",
    "/officer/consultations/{slug}/report",
    "/officer/consultations/{slug}/exports",
    "/officer/consultations/{slug}/invitations",
    "/officer/consultations/{slug}/audience",
    "/officer/consultations/{slug}/campaigns",
    "/officer/councillor-comments",
    "/officer/panels/{panel}/who-is-missing",
    "/officer/recruitment",
]


def injected_markup(page: Page) -> list[str]:
    """Elements or attributes the payload managed to create, rather than appearing as text."""
    found = []
    for element in page.soup.find_all(True):
        if element.name == "script" and MARKER in element.get_text():
            found.append(f"<script> {element.get_text()[:60]}")
        if element.name in ("img", "svg") and any(MARKER in str(value) for value in element.attrs.values()):
            found.append(f"<{element.name}> {element.attrs}")
        for name, value in element.attrs.items():
            if name.startswith("on") and MARKER in str(value):
                found.append(f"{element.name} {name}={value}")
    if re.search(rf"<script>{MARKER}", page.html):
        found.append("raw <script> in the HTML")
    return found


@pytest.fixture
def officer(client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)


@pytest.fixture
def consultation():
    return create_consultation("Parks and open spaces", kinds=("single", "short_text"))


@pytest.mark.parametrize("url", OFFICER_PAGES)
def test_a_script_in_any_query_parameter_of_an_officer_list_or_filter_page_comes_back_as_text(
        client, officer, consultation, url):
    panel = create_panel("citizens", "Citizens' Panel")
    create_member([panel], first_name="Ann", email="ann@example.org")
    query = {name: PAYLOAD for name in QUERY_NAMES}

    page = get(client, url.format(slug=consultation.slug, panel=panel.slug), query_string=query)

    assert page.status < 500, page.status  # an unknown filter value may be a 404, never a server error
    assert injected_markup(page) == []


def test_a_script_in_the_public_hub_search_comes_back_as_text(client, consultation):
    page = get(client, "/consultations", query_string={"search": PAYLOAD, "theme": PAYLOAD, "status": PAYLOAD})

    assert page.status == 200
    assert injected_markup(page) == []


def test_a_script_in_the_referral_tag_of_a_public_consultation_page_comes_back_as_text(client, consultation):
    page = get(client, f"/consultations/{consultation.slug}", query_string={"via": PAYLOAD})

    assert page.status == 200
    assert injected_markup(page) == []


def test_a_script_in_an_imported_csv_is_shown_as_text_in_the_import_report(client, officer):
    create_panel("citizens", "Citizens' Panel")
    rows = [
        "first_name,last_name,email,mobile,postcode",
        f"\"<img src=x onerror={MARKER}()>\",Smith,ann@example.org,,",
        f"Bob,\"<script>{MARKER}()</script>\",bob@example.org,,",
        f"Cara,Jones,\"<svg onload={MARKER}()>@example.org\",,",
        f"Dev,Patel,dev@example.org,\"<script>{MARKER}()</script>\",",
    ]
    upload = submit(client, "/officer/members/import",
                    {"file": (io.BytesIO("\n".join(rows).encode()), "members.csv"), "panel": "citizens",
                     "mode": "check"})
    assert upload.status == 302

    report = get(client, path_of(upload.location))

    assert report.status == 200
    assert injected_markup(report) == []
    assert f"<script>{MARKER}()</script>" in report.text  # the rejected mobile is shown, as the text it was
    assert find_member_by_email("ann@example.org") is None  # a dry run saves nothing


# --- SQL injection and wildcards through search and sort ----------------------------------------

QUOTES = ["'", "\"", "' OR '1'='1", "\" OR 1=1 --", "'; DROP TABLE members; --", "\\", "ann%' --", "*"]
HOSTILE_SEARCHES = QUOTES + ["%", "_", "%%"]
def wildcards_listing_everyone(where: str) -> list:
    """Hostile searches for the search at `where`; % and _ must be matched literally, not as wildcards."""
    return HOSTILE_SEARCHES


@pytest.mark.parametrize("search", wildcards_listing_everyone("epanel/panels/queries.py _filtered"))
def test_quotes_and_wildcards_in_the_member_search_find_nobody_and_break_nothing(client, officer, search):
    panel = create_panel("citizens", "Citizens' Panel")
    names = ("Zebedee", "Quixote", "Marchbanks")
    for last_name in names:
        create_member([panel], first_name="Ann", last_name=last_name, email=f"{last_name.lower()}@example.org")

    page = get(client, "/officer/members", query_string={"search": search, "sort": search, "order": search})

    assert page.status == 200
    assert [name for name in names if name in page.text] == []
    everyone = get(client, "/officer/members").text
    assert [name for name in names if name in everyone] == list(names)  # they are there to be found


@pytest.mark.parametrize("search", wildcards_listing_everyone(
    "epanel/consultations/invitations.py list_invitations"))
def test_quotes_and_wildcards_in_the_invitation_search_find_nobody_and_break_nothing(
        client, officer, consultation, search):
    names = ("Zebedee", "Quixote", "Marchbanks")
    for last_name in names:
        create_invitation(consultation, create_member(first_name="Ann", last_name=last_name,
                                                      email=f"{last_name.lower()}@example.org"))
    url = f"/officer/consultations/{consultation.slug}/invitations"

    page = get(client, url, query_string={"search": search, "sort": search, "order": search})

    assert page.status == 200
    assert [name for name in names if name in page.text] == []
    everyone = get(client, url).text
    assert [name for name in names if name in everyone] == list(names)  # they are there to be found


@pytest.mark.parametrize("search", wildcards_listing_everyone(
    "epanel/consultations/queries.py list_public_consultations"))
def test_quotes_and_wildcards_in_the_public_hub_search_find_no_consultation(client, search):
    create_consultation("Parks and open spaces")
    create_consultation("Bus lanes on the high street")

    page = get(client, "/consultations", query_string={"search": search, "sort": search, "order": search})

    assert page.status == 200
    assert "Parks and open spaces" not in page.text
    assert "Bus lanes on the high street" not in page.text
    everything = get(client, "/consultations").text
    assert "Parks and open spaces" in everything and "Bus lanes on the high street" in everything


@pytest.mark.parametrize("search", QUOTES + ["%", "_"])
def test_quotes_and_wildcards_in_the_hub_theme_filter_find_no_consultation(client, search):
    create_consultation("Parks and open spaces")

    page = get(client, "/consultations", query_string={"theme": search, "status": search})

    assert page.status == 200
    assert "Parks and open spaces" not in page.text  # no consultation has that theme


@pytest.mark.parametrize("search", HOSTILE_SEARCHES)
def test_hostile_filters_on_the_results_page_show_the_results_page_not_an_error(client, officer, consultation, search):
    query = {name: search for name in ("panel", "ward", "parish", "school", "age_band", "gender", "via", "by",
                                         "sort", "order", "date_from", "date_to")}

    page = get(client, f"/officer/consultations/{consultation.slug}/results", query_string=query)

    assert page.status == 200
    assert "Parks and open spaces" in page.text


# --- Twilio: a signature made for another address -----------------------------------------------

INBOUND_URL = "http://localhost/sms/inbound"


@pytest.fixture
def texting_app(make_app):
    """An app whose Twilio webhooks check signatures (the default test app has no auth token)."""
    app = make_app(TWILIO_AUTH_TOKEN="test-auth-token")
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()


def signed_post(client, url, form, *, signed_for=None):
    signature = sms.sign("test-auth-token", signed_for or f"http://localhost{url}", form)
    return client.post(url, data=form, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("signed_for", [
    "https://attacker.example/sms/inbound",
    "http://localhost/sms/status",
    "http://localhost/sms/inbound?x=1",
])
def test_a_stop_signed_for_another_address_is_refused_and_nothing_is_stored(texting_app, signed_for):
    number = "+447700900123"
    form = {"MessageSid": "SM" + "1" * 32, "From": number, "To": "+447700900999", "Body": "STOP"}
    assert sms.sign("test-auth-token", signed_for, form) != sms.sign("test-auth-token", INBOUND_URL, form)

    response = signed_post(texting_app.test_client(), "/sms/inbound", form, signed_for=signed_for)

    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    assert not is_opted_out(number)


# --- STOP, then every kind of campaign text -------------------------------------------------------

DAY = datetime(2030, 6, 12, 11, 0, tzinfo=UTC)


def test_after_stop_no_reminder_or_new_campaign_text_reaches_the_member_but_others_still_get_theirs(texting_app):
    from epanel.consultations import audience
    from epanel.consultations.audience import AudienceRules
    from epanel.consultations.models import ConsultationStatus
    from epanel.consultations.operations import add_question, move_to
    from epanel.consultations.operations import create_consultation as new_consultation

    gateway = texting_app.extensions["epanel_sms_gateway"]
    panel = create_panel("citizens", "Citizens' Panel")
    ann = create_member([panel], first_name="Ann", mobile="+447700900123", contact_by_sms=True)
    bob = create_member([panel], first_name="Bob", mobile="+447700900124", contact_by_sms=True)
    consultation = new_consultation("Library opening hours", None, closes_at=DAY + timedelta(days=180))
    add_question(consultation.sections[0], "yes_no", "Should libraries open on Sundays?")
    move_to(consultation, ConsultationStatus.OPEN)
    audience.save_audience(consultation, AudienceRules(), None)

    def campaign(kind, **texts):
        defaults = campaigns.default_texts(consultation, kind)
        return campaigns.create_campaign(consultation, kind, CampaignChannel.SMS, None, **{**defaults, **texts})

    campaigns.send_campaign(campaign(CampaignKind.INVITATION), None, now=DAY)
    assert sorted(m.to for m in gateway.sent) == [ann.mobile, bob.mobile]
    gateway.sent.clear()

    form = {"MessageSid": "SM" + "2" * 32, "From": ann.mobile, "To": "+447700900999", "Body": "STOP"}
    assert signed_post(texting_app.test_client(), "/sms/inbound", form).status_code == 200

    reminder = campaign(CampaignKind.REMINDER, remind_after_days=1, reminder_limit=2)
    campaigns.send_campaign(reminder, None, now=DAY + timedelta(hours=1))
    campaigns.run_due_campaigns(now=DAY + timedelta(days=1, minutes=1))
    campaigns.send_campaign(campaign(CampaignKind.ALERT), None, now=DAY + timedelta(days=1, minutes=2))
    outbox.deliver(list(db.session.scalars(select(Message.id).where(Message.state == MessageState.QUEUED))))

    sent_to = [m.to for m in gateway.sent]
    assert ann.mobile not in sent_to
    assert sent_to.count(bob.mobile) == 2  # the reminder and the alert
    db.session.expire_all()
    still_going = db.session.scalars(select(Message).where(
        Message.to_address == ann.mobile, Message.state.in_([MessageState.QUEUED, MessageState.SENDING]))).all()
    assert still_going == []


# --- a member's own data and nobody else's --------------------------------------------------------


def two_members_who_answered():
    """Ann and Bob, each with an account, each having written an answer; returns the answers by e-mail."""
    from epanel.consultations.kinds import Parsed
    from epanel.respond.models import ResponseChannel
    from epanel.respond.operations import record_complete_response

    panel = create_panel("citizens", "Citizens' Panel")
    consultation = create_consultation("Parks and open spaces", kinds=("short_text",))
    question = consultation.questions[0]
    answers = {"ann@example.org": "More benches by the pond", "bob@example.org": "Floodlights on the five-a-side pitch"}
    for email, answer in answers.items():
        account = create_user(email, roles=["member"])
        member = create_member([panel], first_name=email[:3].title(), email=email, user_id=account.id)
        record_complete_response(consultation, {question.id: Parsed(value=answer)}, channel=ResponseChannel.WEB,
                                 member=member, snapshot={})
        db.session.commit()
    return answers


def download_my_data(client) -> str:
    response = client.post("/my/data.json", data={"csrf_token": get(client, "/my/data").csrf_token()})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_members_data_download_and_my_say_never_show_another_members_answers_or_details(client):
    answers = two_members_who_answered()
    sign_in(client, "ann@example.org", PASSWORD)

    data = download_my_data(client)
    my_say = get(client, "/my/say")

    assert "ann@example.org" in data
    assert answers["bob@example.org"] not in data and "bob@example.org" not in data
    assert my_say.status == 200
    assert answers["bob@example.org"] not in my_say.text and "bob@example.org" not in my_say.text


def test_a_members_data_download_holds_their_own_answers(client):
    answers = two_members_who_answered()
    sign_in(client, "ann@example.org", PASSWORD)

    assert answers["ann@example.org"] in download_my_data(client)
