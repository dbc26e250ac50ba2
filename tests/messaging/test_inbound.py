"""Incoming texts through the real, signed webhook: keywords, opt-out that holds, odd bodies, retries."""

import pytest
from sqlalchemy import func, select

import sms
from epanel.extensions import db
from epanel.messaging.models import InboundKind, InboundMessage, Message, MessageState
from epanel.messaging.outbox import apply_status_report, is_opted_out, queue_sms
from epanel.panels.models import Member
from epanel.privacy.models import AuditEvent, Consent, ConsentChannel, ConsentKind
from tests.factories import create_member, create_panel
from tests.messaging.conftest import OUR_NUMBER, post_inbound, text_in

NUMBER = "+447700900123"


@pytest.fixture
def app(texting_app):
    return texting_app


@pytest.fixture
def member(app):
    member = create_member([create_panel("citizens", "Citizens' Panel")], first_name="Sam", last_name="Okafor",
                           mobile=NUMBER, contact_by_sms=True)
    db.session.add(Consent(member=member, kind=ConsentKind.SMS, notice_version="2026-11", channel=ConsentChannel.WEB))
    db.session.commit()
    return member


def gateway(app):
    return app.extensions["epanel_sms_gateway"]


def inbound_rows():
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def send_to(number, body="Have your say on parks"):
    message = queue_sms(number, body, purpose="alert")
    db.session.commit()
    return db.session.get(Message, message.id)


# --- the webhook's door ----------------------------------------------------------------------


def test_a_forged_or_unsigned_text_is_refused_and_nothing_is_recorded(app, client, member):
    form = {"MessageSid": "SM1", "From": NUMBER, "To": OUR_NUMBER, "Body": "STOP"}

    assert post_inbound(client, form, token=None).status_code == 403
    assert post_inbound(client, form, token="not-our-token").status_code == 403
    tampered = dict(form)
    signature = sms.sign("test-auth-token", "http://localhost/sms/inbound", form)
    tampered["Body"] = "START"
    assert client.post("/sms/inbound", data=tampered, headers={"X-Twilio-Signature": signature}).status_code == 403

    assert inbound_rows() == []
    assert not is_opted_out(NUMBER)


# --- STOP and friends --------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "STOPALL", "Unsubscribe", "cancel", "END", "quit",
                                  "REVOKE", "OptOut", "stop!"])
def test_every_stop_word_opts_the_number_out_at_once(app, client, member, body):
    reply = text_in(client, body)

    assert "no more texts" in reply and "START" in reply
    assert len(reply) <= 160
    assert is_opted_out(NUMBER)
    member = db.session.get(Member, member.id)
    assert member.contact_by_sms is False
    consent = db.session.scalar(select(Consent).where(Consent.member_id == member.id, Consent.kind == ConsentKind.SMS))
    assert consent.withdrawn_at is not None and "by text" in consent.withdrawn_how
    (row,) = inbound_rows()
    assert (row.kind, row.needs_officer, row.member_id) == (InboundKind.STOP, False, member.id)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms.opted_out")).object_id == str(member.id)


def test_stop_reply_opts_member_out_of_every_later_sms(app, client, member):
    waiting = queue_sms(NUMBER, "Reminder", purpose="reminder", not_before=None)
    waiting.next_attempt_at = waiting.queued_at.replace(year=waiting.queued_at.year + 1)  # not yet due
    db.session.commit()

    text_in(client, "STOP")

    assert db.session.get(Message, waiting.id).state is MessageState.CANCELLED
    later = send_to(NUMBER)
    assert later.state is MessageState.CANCELLED
    assert [m.body for m in gateway(app).sent if m.to == NUMBER] == []
    # Nothing but the STOP confirmation goes back, whatever the number texts next.
    assert text_in(client, "HELP") is None
    assert text_in(client, "What is this about?") is None
    assert text_in(client, "JOIN") is None
    assert text_in(client, "STOP") is not None


def test_start_yes_and_unstop_opt_back_in_and_texts_flow_again(app, client, member):
    for word in ("START", "yes", "Unstop"):
        text_in(client, "STOP")
        reply = text_in(client, word)

        assert "again" in reply
        assert not is_opted_out(NUMBER)
    assert db.session.get(Member, member.id).contact_by_sms is True
    assert send_to(NUMBER).state is MessageState.SENT
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "sms.opted_in")) == 3


def test_help_names_the_council_and_says_how_to_stop(app, client, member):
    reply = text_in(client, "help")

    assert app.config["COUNCIL_NAME"] in reply
    assert app.config["COUNCIL_CONTACT_EMAIL"] in reply
    assert "STOP" in reply
    assert text_in(client, "INFO") == reply
    assert {row.kind for row in inbound_rows()} == {InboundKind.HELP}


@pytest.mark.parametrize("body", ["Please stop texting me", "don't text me", "remove me", "unsubscribe me please",
                                  "Stop please", "Take me off your list", "wrong number"])
def test_asking_not_to_be_texted_in_words_opts_out_and_reaches_an_officer(app, client, member, body):
    reply = text_in(client, body)

    assert "no more texts" in reply
    assert is_opted_out(NUMBER)
    assert db.session.get(Member, member.id).contact_by_sms is False
    (row,) = inbound_rows()
    assert (row.kind, row.needs_officer) == (InboundKind.COMPLAINT, True)


def test_a_carrier_21610_opts_the_number_out_like_stop(app, client, member):
    sent = send_to(NUMBER)

    apply_status_report(sent.reference, sms.StatusReport(
        provider_id=sent.provider_id or "SMx", state=sms.DeliveryState.FAILED, raw_status="failed",
        error_code=21610, error_class=sms.classify_error(21610), recipient=NUMBER))

    assert is_opted_out(NUMBER)
    assert send_to(NUMBER).state is MessageState.CANCELLED
    assert text_in(client, "hello?") is None  # opted out: no reply but the STOP one


def test_a_stop_from_an_unknown_number_still_holds(app, client):
    stranger = "+447700900777"

    assert "no more texts" in text_in(client, "STOP", sender=stranger)
    assert send_to(stranger).state is MessageState.CANCELLED
    (row,) = inbound_rows()
    assert row.member_id is None


# --- anything else, and bodies of every shape ------------------------------------------------


def test_anything_else_goes_to_the_officer_inbox_without_a_reply(app, client, member):
    assert text_in(client, "What time is the meeting about the bus station on Tuesday?") is None

    (row,) = inbound_rows()
    assert (row.kind, row.needs_officer, row.member_id) == (InboundKind.OTHER, True, member.id)


@pytest.mark.parametrize("body, media", [
    ("", 0), ("", 2), ("x" * 1600, 0), ("🙂👍🏽 thanks!! 🎉", 0), ("Ünïcödé ✓ ñ 中文", 0), ("   \n\t ", 0),
])
def test_odd_bodies_from_unknown_numbers_are_kept_and_nothing_crashes(app, client, body, media):
    assert text_in(client, body, sender="+447700900555", media=media) is None

    (row,) = inbound_rows()
    assert row.body == body.strip()
    assert row.media_count == media
    assert (row.kind, row.needs_officer) == (InboundKind.OTHER, True)


def test_a_sender_that_is_not_a_phone_number_is_recorded_as_given(app, client):
    assert text_in(client, "Hello", sender="ACME") is None
    assert inbound_rows()[0].from_number == "ACME"


def test_a_twilio_retry_of_the_same_message_acts_once_and_gets_the_same_reply(app, client, member):
    first = text_in(client, "STOP", sid="SMretry")
    text_in(client, "START", sid="SMother")
    again = text_in(client, "STOP", sid="SMretry")

    assert again == first
    assert [row.provider_id for row in inbound_rows()] == ["SMretry", "SMother"]
    assert not is_opted_out(NUMBER)  # the retry did not opt the number out a second time


def test_replies_are_kept_as_sent_messages_and_never_dispatched(app, client, member):
    reply = text_in(client, "HELP")

    (row,) = inbound_rows()
    kept = row.reply
    assert (kept.purpose, kept.state, kept.body, kept.to_address) == ("sms_reply", MessageState.SENT, reply, NUMBER)
    assert list(gateway(app).sent) == []  # Twilio sends TwiML replies itself
