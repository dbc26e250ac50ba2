"""The outbox against a local Twilio-compatible server, through the real twilio library."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

import sms
from epanel.extensions import db
from epanel.messaging import outbox
from epanel.messaging.models import Message, MessageState, SmsOptOut
from epanel.messaging.ratecap import LocalCap, RedisCap
from tests.conftest import redis_url_for_tests
from tests.messaging.conftest import AUTH_TOKEN

NUMBER = "+447700900123"


def queue(body="Your panel has a new survey", to=NUMBER, **fields) -> int:
    message = outbox.queue_sms(to, body, purpose="alert", **fields)
    db.session.commit()
    return message.id


def reload(message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_a_queued_text_goes_once_with_its_reference_on_the_status_callback(twilio_app, twilio_server):
    message_id = queue()

    first = outbox.deliver([message_id])
    second = outbox.deliver([message_id])
    message = reload(message_id)

    [request] = twilio_server.created()
    assert (request.form["To"], request.form["Body"]) == (NUMBER, "Your panel has a new survey")
    assert request.form["StatusCallback"] == f"http://localhost/sms/status?reference={message.reference}"
    assert (first.sent, second.total) == (1, 0)
    assert message.state == MessageState.SENT
    assert message.provider_id in twilio_server.messages
    assert (message.attempts, message.segments) == (1, 1)


def test_an_invalid_number_is_refused_before_anything_is_queued(twilio_app, twilio_server):
    with pytest.raises(outbox.UnsendableNumber):
        outbox.queue_sms("12345", "Hello", purpose="alert")

    assert db.session.scalar(select(db.func.count()).select_from(Message)) == 0


def test_a_number_twilio_calls_invalid_fails_at_once_and_is_never_retried(twilio_app, twilio_server):
    message_id = queue()
    twilio_server.fail_next(400, 21211, "Invalid 'To' Phone Number")

    report = outbox.deliver([message_id])
    outbox.deliver_due()
    message = reload(message_id)

    assert report.failed == 1
    assert (message.state, message.error_code, message.attempts) == (MessageState.FAILED, 21211, 1)
    assert message.finished_at is not None
    assert len(twilio_server.created()) == 1


def test_21610_from_twilio_opts_the_number_out_so_nothing_is_sent_to_it_again(twilio_app, twilio_server):
    message_id = queue()
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    outbox.deliver([message_id])
    later = queue("Another survey")
    outbox.deliver_due()

    assert db.session.scalar(select(SmsOptOut.how).where(SmsOptOut.number == NUMBER)).startswith("carrier error 21610")
    assert reload(later).state == MessageState.CANCELLED
    assert len(twilio_server.created()) == 1


def test_an_outage_retries_with_back_off_then_ends_in_a_visible_failed_state(twilio_app, twilio_server):
    twilio_app.config.update(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_RETRY_SECONDS=0.01)
    message_id = queue()
    for _ in range(3):
        twilio_server.fail_next(500, 20500, "Internal Server Error")

    outbox.deliver([message_id])
    after_first = reload(message_id)
    state_after_first, retry_at, tried_at = after_first.state, after_first.next_attempt_at, after_first.sending_since
    time.sleep(0.05)
    outbox.deliver_due()
    time.sleep(0.05)
    outbox.deliver_due()
    message = reload(message_id)

    assert state_after_first == MessageState.QUEUED
    assert retry_at > tried_at
    assert (message.state, message.attempts, message.error_code) == (MessageState.FAILED, 3, 20500)
    assert len(twilio_server.created()) == 3


def test_a_temporary_failure_is_sent_on_a_later_sweep(twilio_app, twilio_server):
    twilio_app.config["OUTBOX_RETRY_SECONDS"] = 0.01
    message_id = queue()
    twilio_server.fail_next(429, 20429, "Too Many Requests")

    outbox.deliver([message_id])
    time.sleep(2.1)  # throttling waits two seconds before the next try
    outbox.deliver_due()

    assert reload(message_id).state == MessageState.SENT
    assert len(twilio_server.created()) == 2


def test_retries_stop_once_the_give_up_time_has_passed(twilio_app, twilio_server):
    twilio_app.config["OUTBOX_GIVE_UP_AFTER"] = timedelta(seconds=10)
    message_id = queue()
    twilio_server.fail_next(500, 20500)

    outbox.deliver([message_id])

    assert reload(message_id).state == MessageState.FAILED  # the next try (30 s away) would be too late


def test_no_answer_leaves_the_text_uncertain_until_a_lookup_shows_twilio_never_had_it(twilio_app, twilio_server):
    twilio_app.config["OUTBOX_RETRY_SECONDS"] = 0.01
    message_id = queue()
    twilio_server.drop_next()

    report = outbox.deliver([message_id])
    uncertain = reload(message_id).state
    time.sleep(0.05)
    reconciled = outbox.reconcile_stale()
    outbox.deliver_due()

    assert report.uncertain == 1 and uncertain == MessageState.SENDING
    assert reconciled.retrying == 1
    assert reload(message_id).state == MessageState.SENT
    assert [request.form["To"] for request in twilio_server.created()] == [NUMBER, NUMBER]
    assert len(twilio_server.messages) == 1  # the dropped request never became a message


def test_a_text_a_dead_worker_sent_is_found_at_twilio_and_never_sent_again(twilio_app, twilio_server):
    twilio_app.config.update(OUTBOX_STALE_AFTER=timedelta(seconds=0), SMS_SEND_TIMEOUT=0)
    message_id = queue()
    # A worker claims the row, hands the text to Twilio, and dies before writing down the outcome.
    claimed = outbox._claim([message_id])
    gateway = twilio_app.extensions["epanel_sms_gateway"]
    result = gateway.send(claimed[0].to_address, claimed[0].body, reference=claimed[0].reference)

    report = outbox.reconcile_stale()
    outbox.deliver_due()
    message = reload(message_id)

    assert report.sent == 1
    assert (message.state, message.provider_id) == (MessageState.SENT, result.provider_id)
    assert len(twilio_server.created()) == 1


def test_a_text_still_on_its_way_is_not_taken_for_abandoned_however_short_the_setting(twilio_app, twilio_server):
    twilio_app.config["OUTBOX_STALE_AFTER"] = timedelta(seconds=0)  # below what a live worker's batch can take
    message_id = queue()
    outbox._claim([message_id])  # a live worker has it in hand

    report = outbox.reconcile_stale()

    assert report.total == 0
    assert reload(message_id).state == MessageState.SENDING
    assert outbox.stale_after(twilio_app.config) == timedelta(seconds=13 * 10 * 3)  # 50 texts, 4 at a time, 10 s


def test_when_twilio_cannot_be_asked_the_text_waits_instead_of_going_again(twilio_app, twilio_server):
    twilio_app.config.update(OUTBOX_STALE_AFTER=timedelta(seconds=0), SMS_SEND_TIMEOUT=0)
    message_id = queue()
    outbox._claim([message_id])
    twilio_server.fail_next_list(500)

    report = outbox.reconcile_stale()
    outbox.deliver_due()

    assert report.uncertain == 1
    assert reload(message_id).state == MessageState.SENDING
    assert twilio_server.created() == []


def test_an_email_a_dead_worker_left_is_flagged_for_an_officer_not_sent_twice(twilio_app, mailbox):
    twilio_app.config.update(OUTBOX_STALE_AFTER=timedelta(seconds=0), SMS_SEND_TIMEOUT=0)
    message = outbox.queue_email("ann@example.org", "Hello", "Body", purpose="alert")
    db.session.commit()
    outbox._claim([message.id])

    outbox.reconcile_stale()
    outbox.deliver_due()
    flagged = reload(message.id)

    assert flagged.state == MessageState.SENDING
    assert "may or may not have gone" in flagged.needs_attention
    assert mailbox == []


def test_an_opted_out_number_is_cancelled_even_if_it_opted_out_after_queueing(twilio_app, twilio_server):
    message_id = queue()
    db.session.execute(update(Message).where(Message.id == message_id).values(state=MessageState.QUEUED))
    db.session.add(SmsOptOut(number=NUMBER, how="replied STOP"))
    db.session.commit()

    report = outbox.deliver([message_id])

    assert report.cancelled == 1
    assert reload(message_id).error_message == outbox.OPTED_OUT
    assert twilio_server.created() == []


# --- delivery reports ----------------------------------------------------------------------------


def post_status(client, message: Message, status: str, *, error_code=None, signature=None):
    url = f"http://localhost/sms/status?reference={message.reference}"
    form = {"MessageSid": message.provider_id, "MessageStatus": status, "SmsStatus": status, "To": NUMBER,
            "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01"}
    if error_code:
        form["ErrorCode"] = str(error_code)
    headers = {"X-Twilio-Signature": signature if signature is not None else sms.sign(AUTH_TOKEN, url, form)}
    return client.post(url.removeprefix("http://localhost"), data=form, headers=headers)


@pytest.fixture
def sent_message(twilio_app):
    message_id = queue()
    outbox.deliver([message_id])
    return reload(message_id)


def test_delivery_reports_move_a_text_forward_and_never_back(twilio_app, sent_message):
    client = twilio_app.test_client()

    answers = [post_status(client, sent_message, status).status_code for status in ("delivered", "sent", "delivered")]
    message = reload(sent_message.id)

    assert answers == [204, 204, 204]
    assert message.state == MessageState.DELIVERED
    assert message.finished_at is not None


def test_an_undelivered_report_keeps_its_error_code(twilio_app, sent_message):
    post_status(twilio_app.test_client(), sent_message, "undelivered", error_code=30003)

    message = reload(sent_message.id)
    assert (message.state, message.error_code) == (MessageState.UNDELIVERED, 30003)


def test_a_forged_or_unsigned_report_is_refused_and_changes_nothing(twilio_app, sent_message):
    client = twilio_app.test_client()

    forged = post_status(client, sent_message, "failed", signature="not-a-signature")
    unsigned = client.post(f"/sms/status?reference={sent_message.reference}",
                           data={"MessageSid": sent_message.provider_id, "MessageStatus": "failed"})

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert reload(sent_message.id).state == MessageState.SENT


def test_a_report_before_the_worker_wrote_its_outcome_is_not_overwritten(twilio_app, twilio_server):
    message_id = queue()
    claimed = outbox._claim([message_id])
    result = twilio_app.extensions["epanel_sms_gateway"].send(claimed[0].to_address, claimed[0].body,
                                                               reference=claimed[0].reference)
    message = reload(message_id)
    message.provider_id = result.provider_id
    post_status(twilio_app.test_client(), message, "delivered")
    db.session.rollback()

    outbox._record_outcomes([outbox._sms_outcome(claimed[0], result)])

    message = reload(message_id)
    assert (message.state, message.provider_id) == (MessageState.DELIVERED, result.provider_id)


# --- the rate cap --------------------------------------------------------------------------------


def test_the_local_cap_spaces_sends_exactly():
    cap = LocalCap(50)
    started = time.monotonic()
    for _ in range(26):
        cap.wait_for_slot()
    elapsed = time.monotonic() - started

    assert 0.49 <= elapsed < 0.7  # 25 gaps of 20 ms


def test_the_redis_cap_holds_across_senders_sharing_it():
    import redis

    client = redis.Redis.from_url(redis_url_for_tests())
    client.delete(RedisCap.KEY)
    caps = [RedisCap(100, client), RedisCap(100, client)]
    stamps: list[float] = []
    early = []

    def send(cap):
        for _ in range(25):
            slot = cap.wait_for_slot()
            if time.time() < slot:
                early.append(slot)
            stamps.append(slot)  # when the cap let it go: a thread the OS pauses afterwards is not the cap's doing

    threads = [threading.Thread(target=send, args=(cap,)) for cap in caps]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 50 sends at 100 a second between two senders, less the 20 ms a late sender may catch up on
    assert time.time() - started >= 0.47
    assert not early, "a sender went before its slot"
    stamps.sort()
    busiest_tenth = max(sum(1 for later in stamps if stamp <= later < stamp + 0.1) for stamp in stamps)
    assert busiest_tenth <= 10 + 2 + 1  # a tenth of a second's slots, the catch-up allowance, and the edge


def test_a_capped_outbox_sends_no_faster_than_its_cap(twilio_app, twilio_server):
    twilio_app.config["SMS_RATE_PER_SECOND"] = 40
    messages = [outbox.queue_sms(f"+4477009{number:05d}", "Hi", purpose="alert") for number in range(21)]
    db.session.commit()
    ids = [message.id for message in messages]

    started = time.monotonic()
    report = outbox.deliver(ids)
    elapsed = time.monotonic() - started

    assert report.sent == 21, report
    assert len(twilio_server.created()) == 21
    assert elapsed >= 0.49  # 20 gaps of 25 ms
