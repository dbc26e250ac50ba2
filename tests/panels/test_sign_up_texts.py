"""SMS pumping defences: sign-up codes only to UK mobiles, capped per number, per address and per day."""

from datetime import date

import pytest

from epanel.extensions import db
from epanel.messaging.models import Message, MessageChannel
from epanel.messaging.spend import ALERT_PURPOSE
from epanel.panels import signup
from epanel.panels.signup import SignUpAnswers
from epanel.privacy.models import AuditEvent
from tests.factories import create_panel, create_user


@pytest.fixture
def citizens(app):
    return create_panel("citizens", "Citizens' Panel", min_age=18)


def answers(mobile: str, name: str = "Sam") -> SignUpAnswers:
    return SignUpAnswers(date_of_birth=date(1980, 5, 1).isoformat(), panel_slugs=["citizens"], first_name=name,
                         last_name="Okafor", mobile=mobile, postcode="AV1 2BX", channels=["sms"], agreed_notice="2026-11")


def sign_up_by_text(app, mobile: str, address: str = "198.51.100.7", name: str = "Sam"):
    with app.test_request_context("/join/check", method="POST", environ_base={"REMOTE_ADDR": address}):
        return signup.submit_sign_up(answers(mobile, name))


def texts_sent(app) -> list:
    return list(app.extensions["epanel_sms_gateway"].sent)


def test_codes_go_only_to_uk_mobile_numbers(app, citizens):
    for number in ("+33 6 12 34 56 78", "+1 202 555 0143", "020 7946 0018", "0909 879 0000"):
        with pytest.raises(signup.SignUpError, match="UK mobile"):
            sign_up_by_text(app, number)

    assert texts_sent(app) == []
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_one_number_gets_at_most_three_sign_up_texts_an_hour(app, citizens):
    for name in ("Sam", "Ali", "Jo"):
        sign_up_by_text(app, "07700 900301", name=name)

    with pytest.raises(signup.SignUpError, match="too many codes to this number"):
        sign_up_by_text(app, "07700 900301", name="Max")

    assert len(texts_sent(app)) == 3
    sign_up_by_text(app, "07700 900302")  # another number is not affected
    assert len(texts_sent(app)) == 4


def test_resending_a_code_meets_the_same_caps(app, citizens):
    app.config["SIGN_UP_CODES_PER_NUMBER_DAY"] = 2
    sent = sign_up_by_text(app, "07700 900303")
    signup.resend_code(sent.member_id)

    with pytest.raises(signup.SignUpError, match="too many codes"):
        signup.resend_code(sent.member_id)
    assert len(texts_sent(app)) == 2


def test_one_client_address_can_ask_for_only_a_few_texts_a_day(app, citizens):
    app.config["SIGN_UP_CODES_PER_ADDRESS"] = 2
    sign_up_by_text(app, "07700 900311", address="203.0.113.9")
    sign_up_by_text(app, "07700 900312", address="203.0.113.9")

    with pytest.raises(signup.SignUpError, match="from this device"):
        sign_up_by_text(app, "07700 900313", address="203.0.113.9")

    sign_up_by_text(app, "07700 900313", address="203.0.113.10")
    assert [text.to for text in texts_sent(app)] == ["+447700900311", "+447700900312", "+447700900313"]


def test_the_daily_ceiling_stops_sign_up_texts_and_tells_the_administrators_once(app, citizens, mailbox):
    create_user("admin@example.org", roles=["admin"])
    create_user("second.admin@example.org", roles=["admin", "officer"])
    create_user("officer@example.org", roles=["officer"])
    app.config["SMS_DAILY_LIMIT"] = 2
    sign_up_by_text(app, "07700 900321", address="203.0.113.21")
    sign_up_by_text(app, "07700 900322", address="203.0.113.22")

    for number in ("07700 900323", "07700 900324"):
        with pytest.raises(signup.SignUpError, match="cannot send codes by text message just now"):
            sign_up_by_text(app, number, address="203.0.113.23")

    assert len(texts_sent(app)) == 2
    assert sorted(message["To"] for message in mailbox) == ["admin@example.org", "second.admin@example.org"]
    assert "daily ceiling reached" in mailbox[0]["Subject"]
    assert "EPANEL_SMS_DAILY_LIMIT" in mailbox[0].get_content()
    alerts = db.session.scalar(db.select(db.func.count(Message.id)).where(Message.purpose == ALERT_PURPOSE))
    assert alerts == 2, "one e-mail per administrator, once that day"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "sms.daily_ceiling_reached")) is not None


def test_the_spend_ceiling_counts_segments_at_the_configured_price(app, citizens, mailbox):
    create_user("admin@example.org", roles=["admin"])
    app.config.update(SMS_DAILY_LIMIT=0, SMS_DAILY_SPEND=0.08, SMS_PRICE_PER_SEGMENT=0.04)
    sign_up_by_text(app, "07700 900331", address="203.0.113.31")
    sign_up_by_text(app, "07700 900332", address="203.0.113.32")

    with pytest.raises(signup.SignUpError, match="just now"):
        sign_up_by_text(app, "07700 900333", address="203.0.113.33")
    assert "£0.08" in mailbox[0].get_content()


def test_officers_campaign_texts_do_not_count_toward_the_sign_up_ceiling(app, citizens):
    from epanel.messaging.outbox import queue_sms

    app.config["SMS_DAILY_LIMIT"] = 2
    for number in ("07700 900341", "07700 900342", "07700 900343"):
        queue_sms(number, "Have your say on parks", purpose="invitation")
    db.session.commit()

    sign_up_by_text(app, "07700 900344")
    assert db.session.scalar(db.select(db.func.count(Message.id)).where(Message.channel == MessageChannel.SMS)) == 4


def test_an_existing_members_number_meets_the_same_caps_so_nothing_is_revealed(app, citizens):
    first = sign_up_by_text(app, "07700 900351")
    assert first.member_id is not None
    again = [sign_up_by_text(app, "07700 900351", name=name) for name in ("Ali", "Jo")]
    assert [sent.member_id for sent in again] == [None, None], "the number already has a (pending) member"

    with pytest.raises(signup.SignUpError, match="too many codes to this number"):
        sign_up_by_text(app, "07700 900351", name="Max")
