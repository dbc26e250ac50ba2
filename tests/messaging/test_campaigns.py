"""Campaigns: preview, sending by text and e-mail, quiet hours, schedules, reminders, and nobody sent twice."""

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from epanel.consultations import audience
from epanel.consultations.audience import AudienceRules
from epanel.consultations.invitations import hash_invitation_token
from epanel.consultations.models import ConsultationStatus, Invitation, InvitationChannel
from epanel.consultations.operations import add_question, create_consultation, move_to
from epanel.extensions import db
from epanel.messaging import campaigns, outbox
from epanel.messaging.campaigns import CampaignError
from epanel.messaging.models import (
    Campaign,
    CampaignChannel,
    CampaignKind,
    CampaignState,
    Message,
    MessageChannel,
    MessageState,
)
from tests.factories import create_member, create_panel

# Noon in summer (BST) and half past ten at night: outside and inside quiet hours.
DAY = datetime(2030, 6, 12, 11, 0, tzinfo=UTC)
NIGHT = datetime(2030, 6, 12, 21, 30, tzinfo=UTC)
CLOSES = datetime(2030, 12, 13, 17, tzinfo=UTC)
SHORT_LINK = re.compile(r"http://localhost/i/([A-Za-z0-9_-]+)")
LONG_LINK = re.compile(r"http://localhost/respond/i/([A-Za-z0-9_-]+)")
# "http://localhost/i/" and a 12-character token.
LINK_LENGTH = len("http://localhost/i/") + 12


@pytest.fixture
def panel(app):
    return create_panel("citizens", "Citizens' Panel")


@pytest.fixture
def gateway(app):
    return app.extensions["epanel_sms_gateway"]


def make_consultation(title="Library opening hours", status=ConsultationStatus.OPEN):
    consultation = create_consultation(title, None, closes_at=CLOSES)
    add_question(consultation.sections[0], "yes_no", "Should libraries open on Sundays?")
    move_to(consultation, status)
    audience.save_audience(consultation, AudienceRules(), None)
    return consultation


_mobiles = iter(range(100, 999))


def texter(panel, name, **fields):
    fields.setdefault("mobile", f"+447700900{next(_mobiles)}")
    fields.setdefault("contact_by_sms", True)
    return create_member([panel], first_name=name, **fields)


def emailer(panel, name, **fields):
    return create_member([panel], first_name=name, email=f"{name.lower()}@example.org", contact_by_email=True,
                         **fields)


def campaign_for(consultation, kind=CampaignKind.INVITATION, channel=CampaignChannel.SMS, **texts):
    defaults = campaigns.default_texts(consultation, kind)
    return campaigns.create_campaign(consultation, kind, channel, None, **{**defaults, **texts})


def messages(campaign=None) -> list[Message]:
    db.session.expire_all()
    query = select(Message).order_by(Message.id)
    if campaign is not None:
        query = query.where(Message.campaign_id == campaign.id)
    return list(db.session.scalars(query))


def reload(campaign) -> Campaign:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


# --- the preview ------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "segments"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_a_gsm7_text_takes_one_part_up_to_160_characters_then_parts_of_153(app, panel, length, segments):
    texter(panel, "Ann")
    consultation = make_consultation()
    body = "((link)) " + "a" * (length - LINK_LENGTH - 1)
    campaign = campaign_for(consultation, sms_body=body)

    preview = campaigns.preview_campaign(campaign, now=DAY)

    assert (preview.sms_count.encoding, preview.sms_count.characters) == ("GSM-7", length)
    assert preview.sms_count.segments == segments
    assert preview.forcing_ucs2 == []


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_a_curly_quote_turns_the_text_into_ucs2_with_70_characters_then_parts_of_67(app, panel, length, segments):
    texter(panel, "Ann")
    consultation = make_consultation()
    body = "((link)) ’" + "a" * (length - LINK_LENGTH - 2)
    campaign = campaign_for(consultation, sms_body=body)

    preview = campaigns.preview_campaign(campaign, now=DAY)

    assert (preview.sms_count.encoding, preview.sms_count.segments) == ("UCS-2", segments)
    [forced] = preview.forcing_ucs2
    assert (forced.character, forced.suggestion) == ("’", "'")
    assert "right single quotation mark" in forced.described


def test_an_emoji_is_flagged_and_counts_as_two_ucs2_characters(app, panel):
    texter(panel, "Ann")
    consultation = make_consultation()
    campaign = campaign_for(consultation, sms_body="Tell us! 🎉 ((link))")

    preview = campaigns.preview_campaign(campaign, now=DAY)

    assert preview.sms_count.encoding == "UCS-2"
    assert preview.sms_count.characters == len("Tell us!  ") + 2 + LINK_LENGTH
    assert [forced.character for forced in preview.forcing_ucs2] == ["🎉"]


def test_the_estimated_cost_is_parts_times_members_times_the_price(app, panel):
    for name in ("Ann", "Bob", "Cat"):
        texter(panel, name)
    emailer(panel, "Dan")
    consultation = make_consultation()
    campaign = campaign_for(consultation, channel=CampaignChannel.PREFERRED,
                            sms_body="((link)) " + "a" * (200 - LINK_LENGTH - 1))

    preview = campaigns.preview_campaign(campaign, now=DAY)

    assert (len(preview.plan.by_sms), len(preview.plan.by_email)) == (3, 1)
    assert preview.sms_segments_total == 6
    assert preview.estimated_cost == pytest.approx(6 * 0.04)
    assert preview.example_name == "Ann"
    assert preview.sms_text.startswith("http://localhost/i/")


def test_the_preview_counts_who_is_left_out_and_why(app, panel):
    ann = texter(panel, "Ann")
    opted_out = texter(panel, "Bob")
    failed = texter(panel, "Cat")
    emailer(panel, "Dan")  # no mobile
    texter(panel, "Eve", contact_by_sms=False)  # a mobile, but no consent to texts
    busy = texter(panel, "Fay")
    outbox.record_opt_out(opted_out.mobile, "replied STOP")
    db.session.add(Message(channel=MessageChannel.SMS, purpose="alert", to_address=failed.mobile, body="x",
                           state=MessageState.FAILED, error_code=21614))
    for number in range(3):  # the frequency rule: three invitations lately to other consultations
        other = create_consultation(f"Earlier survey {number}", None)
        db.session.add(Invitation(consultation_id=other.id, member_id=busy.id, channel=InvitationChannel.EMAIL,
                                  token_hash=f"{number:064d}", sent_at=datetime.now(UTC)))
    db.session.commit()
    consultation = make_consultation()
    campaign = campaign_for(consultation)

    preview = campaigns.preview_campaign(campaign, now=DAY)

    assert [r.first_name for r in preview.plan.by_sms] == ["Ann"]
    assert preview.plan.left_out == {"opted_out": 1, "number_failed": 1, "no_contact": 1, "no_consent": 1,
                                     "invited_too_often": 1}
    assert preview.plan.audience == 6

    campaigns.send_campaign(campaign, None, now=DAY)

    assert reload(campaign).left_out == {"opted_out": 1, "number_failed": 1, "no_contact": 1, "no_consent": 1,
                                         "invited_too_often": 1}
    assert [m.to_address for m in messages(campaign)] == [ann.mobile]


def test_a_text_needs_the_link_and_known_placeholders(app, panel):
    consultation = make_consultation()

    with pytest.raises(CampaignError, match=r"must include \(\(link\)\)"):
        campaign_for(consultation, sms_body="Have your say")
    with pytest.raises(CampaignError, match=r"Unknown placeholder \(\(surname\)\)"):
        campaign_for(consultation, sms_body="Hi ((surname)) ((link))")
    results = campaign_for(make_consultation("Bins", ConsultationStatus.OPEN), CampaignKind.RESULTS,
                           sms_body="Thanks ((first_name)), results are out")
    assert results.sms_body == "Thanks ((first_name)), results are out"


# --- sending ------------------------------------------------------------------------------------


def test_send_now_by_text_gives_each_member_a_short_private_link(app, panel, gateway):
    ann, bob = texter(panel, "Ann"), texter(panel, "Bob")
    consultation = make_consultation()
    campaign = campaign_for(consultation, sms_body="Hi ((first_name)), ((consultation)) by ((closes)): ((link))")

    report = campaigns.send_campaign(campaign, None, now=DAY)

    assert report.queued == 2
    sent = {message.to: message.body for message in gateway.sent}
    assert set(sent) == {ann.mobile, bob.mobile}
    assert sent[ann.mobile].startswith("Hi Ann, Library opening hours by 5pm on Friday 13 December 2030: ")
    token = SHORT_LINK.search(sent[ann.mobile]).group(1)
    assert len(token) == 12
    invitation = db.session.scalar(select(Invitation).where(Invitation.member_id == ann.id))
    assert invitation.token_hash == hash_invitation_token(token)
    assert invitation.channel == InvitationChannel.SMS
    assert reload(campaign).state == CampaignState.SENT
    assert {m.state for m in messages(campaign)} == {MessageState.SENT}


def test_send_now_by_email_goes_to_the_mailbox_with_the_full_link(app, panel, mailbox):
    emailer(panel, "Ann")
    texter(panel, "Bob")  # no e-mail address
    consultation = make_consultation()
    campaign = campaign_for(consultation, channel=CampaignChannel.EMAIL)

    campaigns.send_campaign(campaign, None, now=DAY)

    [mail] = mailbox
    assert mail["To"] == "ann@example.org"
    assert mail["Subject"] == "Have your say: Library opening hours"
    assert LONG_LINK.search(mail.get_content())
    assert reload(campaign).left_out == {"no_contact": 1}


def test_preferred_channel_texts_those_who_chose_texts_and_emails_the_rest(app, panel, gateway, mailbox):
    ann = texter(panel, "Ann", email="ann@example.org", contact_by_email=True)
    emailer(panel, "Bob")
    emailer(panel, "Cat", mobile="+447700900555", contact_by_sms=False)
    stopped = texter(panel, "Dan", email="dan@example.org", contact_by_email=True)
    texter(panel, "Eve")
    outbox.record_opt_out(stopped.mobile, "replied STOP")
    db.session.commit()
    consultation = make_consultation()
    campaign = campaign_for(consultation, channel=CampaignChannel.PREFERRED)

    campaigns.send_campaign(campaign, None, now=DAY)

    assert sorted(message.to for message in gateway.sent) == sorted([ann.mobile, _mobile_of("Eve")])
    assert sorted(mail["To"] for mail in mailbox) == ["bob@example.org", "cat@example.org", "dan@example.org"]


def _mobile_of(first_name):
    from epanel.panels.models import Member

    return db.session.scalar(select(Member.mobile).where(Member.first_name == first_name))


def test_an_opted_out_member_is_never_texted_even_when_they_stop_after_the_text_was_queued(app, panel, gateway):
    ann, bob = texter(panel, "Ann"), texter(panel, "Bob")
    outbox.record_opt_out(ann.mobile, "replied STOP")
    db.session.commit()
    consultation = make_consultation()
    campaign = campaign_for(consultation)

    campaigns.send_campaign(campaign, None, now=NIGHT)  # held for quiet hours
    outbox.record_opt_out(bob.mobile, "replied STOP")
    db.session.commit()
    outbox.deliver([m.id for m in messages(campaign)])

    assert list(gateway.sent) == []
    assert [m.state for m in messages(campaign)] == [MessageState.CANCELLED]
    counts = campaigns.campaign_counts(campaign)
    assert (counts.opted_out, reload(campaign).left_out) == (1, {"opted_out": 1})


# --- quiet hours ------------------------------------------------------------------------------


def test_texts_decided_in_quiet_hours_wait_until_eight_and_emails_go_at_once(app, panel, gateway, mailbox):
    texter(panel, "Ann", email="ann@example.org", contact_by_email=True)
    emailer(panel, "Bob")
    consultation = make_consultation()
    campaign = campaign_for(consultation, channel=CampaignChannel.PREFERRED)

    report = campaigns.send_campaign(campaign, None, now=NIGHT)

    [text, email] = sorted(messages(campaign), key=lambda m: m.channel != MessageChannel.SMS)
    assert text.state == MessageState.QUEUED
    assert text.next_attempt_at == datetime(2030, 6, 13, 7, 0, tzinfo=UTC)  # 08:00 BST
    assert list(gateway.sent) == []
    assert email.state == MessageState.SENT and len(mailbox) == 1
    assert report.held_for_quiet_hours == 1
    assert campaigns.campaign_counts(campaign, now=NIGHT).held == 1


def test_youth_panel_members_have_the_stricter_quiet_hours(app, panel, gateway):
    youth = create_panel("youth", "Youth Panel")
    texter(panel, "Ann")
    young = create_member([youth], first_name="Kai", mobile="+447700900777", contact_by_sms=True)
    consultation = make_consultation()
    campaign = campaign_for(consultation)
    half_past_eight = datetime(2030, 6, 12, 19, 30, tzinfo=UTC)

    campaigns.send_campaign(campaign, None, now=half_past_eight)

    assert [message.to for message in gateway.sent] == [_mobile_of("Ann")]
    held = db.session.scalar(select(Message).where(Message.member_id == young.id))
    assert held.next_attempt_at == datetime(2030, 6, 13, 8, 0, tzinfo=UTC)  # 09:00 BST


@pytest.mark.parametrize(("local", "window", "ends"), [
    ("2030-01-15 21:00", "21:00-08:00", "2030-01-16 08:00"),
    ("2030-01-15 20:59", "21:00-08:00", None),
    ("2030-01-15 03:00", "21:00-08:00", "2030-01-15 08:00"),
    ("2030-01-15 08:00", "21:00-08:00", None),
    ("2030-03-30 23:00", "21:00-08:00", "2030-03-31 08:00"),  # the clocks go forward overnight
    ("2030-01-15 13:30", "13:00-14:00", "2030-01-15 14:00"),
    ("2030-01-15 13:30", "00:00-00:00", None),
])
def test_quiet_hours_end_in_local_time(app, local, window, ends):
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    now = datetime.fromisoformat(local).replace(tzinfo=london)
    expected = None if ends is None else datetime.fromisoformat(ends).replace(tzinfo=london)

    assert campaigns.quiet_hours_end(now, window) == expected


# --- scheduling and cancelling -------------------------------------------------------------------


def test_a_scheduled_campaign_starts_when_due_and_only_once(app, panel, gateway):
    texter(panel, "Ann")
    consultation = make_consultation()
    campaign = campaign_for(consultation)
    campaigns.schedule_campaign(campaign, DAY, None, now=DAY - timedelta(days=1))

    early = campaigns.run_due_campaigns(now=DAY - timedelta(minutes=1))
    due = campaigns.run_due_campaigns(now=DAY)
    again = campaigns.run_due_campaigns(now=DAY + timedelta(minutes=1))

    assert (early["campaigns started"], due["campaigns started"], again["campaigns started"]) == (0, 1, 0)
    assert len(gateway.sent) == 1
    assert reload(campaign).state == CampaignState.SENT


def test_a_schedule_must_be_in_the_future_and_before_the_consultation_closes(app, panel):
    consultation = make_consultation()
    campaign = campaign_for(consultation)

    with pytest.raises(CampaignError, match="future"):
        campaigns.schedule_campaign(campaign, DAY - timedelta(hours=1), None, now=DAY)
    with pytest.raises(CampaignError, match="before the consultation closes"):
        campaigns.schedule_campaign(campaign, CLOSES + timedelta(hours=1), None, now=DAY)


def test_cancelling_a_scheduled_campaign_means_it_never_goes(app, panel, gateway):
    texter(panel, "Ann")
    consultation = make_consultation()
    campaign = campaign_for(consultation)
    campaigns.schedule_campaign(campaign, DAY, None, now=DAY - timedelta(days=1))

    campaigns.cancel_campaign(campaign, None)
    report = campaigns.run_due_campaigns(now=DAY)

    assert report["campaigns started"] == 0
    assert reload(campaign).state == CampaignState.CANCELLED
    assert list(gateway.sent) == [] and messages(campaign) == []


def test_cancelling_a_sent_campaign_cancels_the_texts_still_held_for_quiet_hours(app, panel, gateway):
    texter(panel, "Ann")
    texter(panel, "Bob")
    consultation = make_consultation()
    campaign = campaign_for(consultation)
    campaigns.send_campaign(campaign, None, now=NIGHT)

    stopped = campaigns.cancel_campaign(campaign, None)

    assert stopped == 2
    assert {m.state for m in messages(campaign)} == {MessageState.CANCELLED}
    assert outbox.deliver_due().total == 0


def test_a_scheduled_send_that_can_no_longer_go_is_cancelled_saying_why(app, panel, gateway):
    texter(panel, "Ann")
    consultation = make_consultation()
    campaign = campaign_for(consultation)
    campaigns.schedule_campaign(campaign, DAY, None, now=DAY - timedelta(days=1))
    move_to(consultation, ConsultationStatus.CLOSED)

    campaigns.run_due_campaigns(now=DAY)

    campaign = reload(campaign)
    assert campaign.state == CampaignState.CANCELLED
    assert "closed" in campaign.left_out["not_sent"]
    assert list(gateway.sent) == []


# --- nobody twice ------------------------------------------------------------------------------


def test_a_send_carried_on_after_a_crash_texts_nobody_twice(app, panel, gateway):
    for name in ("Ann", "Bob", "Cat"):
        texter(panel, name)
    consultation = make_consultation()
    campaign = campaign_for(consultation, CampaignKind.ALERT)
    campaigns.send_campaign(campaign, None, now=DAY)
    late = texter(panel, "Dan")  # joined after the first run
    # As if the worker died before marking the campaign sent.
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                       .values(state=CampaignState.SENDING, started_at=DAY - timedelta(hours=1)))
    db.session.commit()

    campaigns.run_due_campaigns(now=DAY)

    assert sorted(Counter(m.to for m in gateway.sent).values()) == [1, 1, 1, 1]
    assert late.mobile in {m.to for m in gateway.sent}
    assert reload(campaign).state == CampaignState.SENT


def test_sending_a_campaign_twice_is_refused(app, panel, gateway):
    texter(panel, "Ann")
    consultation = make_consultation()
    campaign = campaign_for(consultation)
    campaigns.send_campaign(campaign, None, now=DAY)

    with pytest.raises(CampaignError, match="already been sent"):
        campaigns.send_campaign(reload(campaign), None, now=DAY)
    assert len(gateway.sent) == 1


def test_an_invitation_campaign_skips_members_already_invited_by_email(app, panel, gateway, mailbox):
    from epanel.consultations.invitations import send_invitations

    emailer(panel, "Ann", mobile="+447700900321", contact_by_sms=True)
    texter(panel, "Bob")
    consultation = make_consultation()
    send_invitations(consultation, None)
    campaign = campaign_for(consultation)

    preview = campaigns.preview_campaign(campaign, now=DAY)
    campaigns.send_campaign(campaign, None, now=DAY)

    assert preview.plan.already_invited == 1
    assert [m.to for m in gateway.sent] == [_mobile_of("Bob")]
    assert db.session.scalar(select(func.count(Invitation.id))) == 2


@pytest.mark.parametrize("how", ["scheduled", "stuck"])
def test_two_ticks_at_once_send_each_member_one_message(make_app, how):
    app = make_app(SMS_RATE_PER_SECOND=0)
    gateway = app.extensions["epanel_sms_gateway"]
    with app.app_context():
        panel = create_panel("citizens", "Citizens' Panel")
        for number in range(30):
            texter(panel, f"Member{number}")
        consultation = make_consultation()
        campaign = campaign_for(consultation, CampaignKind.ALERT)
        if how == "scheduled":
            campaigns.schedule_campaign(campaign, DAY, None, now=DAY - timedelta(days=1))
        else:
            db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                               .values(state=CampaignState.SENDING, started_at=DAY - timedelta(hours=1)))
            db.session.commit()
        campaign_id = campaign.id
    barrier = threading.Barrier(2)
    errors = []

    def tick():
        try:
            with app.app_context():
                barrier.wait()
                campaigns.run_due_campaigns(now=DAY)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    try:
        assert errors == []
        assert len(gateway.sent) == 30
        assert set(Counter(m.to for m in gateway.sent).values()) == {1}
        with app.app_context():
            assert db.session.scalar(select(func.count(Message.id)).where(Message.campaign_id == campaign_id)) == 30
    finally:
        with app.app_context():
            from tests.conftest import _empty_all_tables

            _empty_all_tables()


# --- reminders ---------------------------------------------------------------------------------


def test_automatic_reminders_go_to_non_completers_every_n_days_at_most_m_times(app, panel, gateway):
    ann, bob, cat = texter(panel, "Ann"), texter(panel, "Bob"), texter(panel, "Cat")
    consultation = make_consultation()
    campaigns.send_campaign(campaign_for(consultation), None, now=DAY)
    first_texts = {m.to: m.body for m in gateway.sent}
    db.session.execute(update(Invitation).where(Invitation.member_id == cat.id).values(completed_at=DAY))
    db.session.commit()
    reminder = campaign_for(consultation, CampaignKind.REMINDER, remind_after_days=3, reminder_limit=2)

    started = campaigns.send_campaign(reminder, None, now=DAY + timedelta(days=1))
    too_soon = campaigns.run_due_campaigns(now=DAY + timedelta(days=2))
    first = campaigns.run_due_campaigns(now=DAY + timedelta(days=3, minutes=1))
    repeat = campaigns.run_due_campaigns(now=DAY + timedelta(days=3, minutes=2))
    second = campaigns.run_due_campaigns(now=DAY + timedelta(days=6, minutes=2))
    over_limit = campaigns.run_due_campaigns(now=DAY + timedelta(days=30))

    assert started.queued == 0 and reload(reminder).state == CampaignState.SENDING
    assert [too_soon["reminders queued"], first["reminders queued"], repeat["reminders queued"],
            second["reminders queued"], over_limit["reminders queued"]] == [0, 2, 0, 2, 0]
    reminded = Counter(m.member_id for m in messages(reminder))
    assert reminded == {ann.id: 2, bob.id: 2}
    # The reminder carries the same private link as the invitation.
    [ann_reminder, *_] = [m for m in messages(reminder) if m.member_id == ann.id]
    assert SHORT_LINK.search(ann_reminder.body).group(1) == SHORT_LINK.search(first_texts[ann.mobile]).group(1)
    assert db.session.scalar(select(Invitation.reminded_at).where(Invitation.member_id == bob.id)) == \
        DAY + timedelta(days=6, minutes=2)


def test_automatic_reminders_stop_when_the_consultation_closes(app, panel, gateway):
    texter(panel, "Ann")
    consultation = make_consultation()
    campaigns.send_campaign(campaign_for(consultation), None, now=DAY)
    reminder = campaign_for(consultation, CampaignKind.REMINDER, remind_after_days=2, reminder_limit=3)
    campaigns.send_campaign(reminder, None, now=DAY)
    move_to(consultation, ConsultationStatus.CLOSED)

    report = campaigns.run_due_campaigns(now=DAY + timedelta(days=5))

    assert report["reminders queued"] == 0
    assert reload(reminder).state == CampaignState.SENT


def test_a_one_off_reminder_by_email_reuses_the_link_from_the_email_invitation(app, panel, mailbox):
    from epanel.consultations.invitations import send_invitations

    emailer(panel, "Ann")
    emailer(panel, "Bob")
    consultation = make_consultation()
    send_invitations(consultation, None)
    tokens = {mail["To"]: LONG_LINK.search(mail.get_content()).group(1) for mail in mailbox}
    db.session.execute(update(Invitation).where(Invitation.member_id == _member_id("Bob"))
                       .values(completed_at=DAY))
    db.session.commit()
    mailbox.clear()
    reminder = campaign_for(consultation, CampaignKind.REMINDER, channel=CampaignChannel.EMAIL)

    campaigns.send_campaign(reminder, None, now=DAY)

    [mail] = mailbox
    assert mail["To"] == "ann@example.org"
    assert LONG_LINK.search(mail.get_content()).group(1) == tokens["ann@example.org"]


def _member_id(first_name):
    from epanel.panels.models import Member

    return db.session.scalar(select(Member.id).where(Member.first_name == first_name))


def test_a_results_notice_goes_to_respondents_with_the_public_page(app, panel, gateway):
    from epanel.respond.models import Response, ResponseChannel, ResponseStatus

    ann, bob = texter(panel, "Ann"), texter(panel, "Bob")
    consultation = make_consultation()
    db.session.add(Response(consultation_id=consultation.id, submission_id="s1", reference="R1", member_id=ann.id,
                            channel=ResponseChannel.WEB, status=ResponseStatus.COMPLETE))
    db.session.add(Response(consultation_id=consultation.id, submission_id="s2", reference="R2", member_id=bob.id,
                            channel=ResponseChannel.WEB, status=ResponseStatus.IN_PROGRESS))
    db.session.commit()
    move_to(consultation, ConsultationStatus.CLOSED)
    campaign = campaign_for(consultation, CampaignKind.RESULTS)

    campaigns.send_campaign(campaign, None, now=DAY)

    [text] = gateway.sent
    assert text.to == ann.mobile
    assert f"http://localhost/consultations/{consultation.slug}" in text.body


def test_a_second_results_campaign_skips_those_who_already_had_the_results(app, panel, gateway):
    from epanel.respond.models import Response, ResponseChannel, ResponseStatus

    ann, bob = texter(panel, "Ann"), texter(panel, "Bob")
    consultation = make_consultation()
    for number, member in enumerate((ann, bob)):
        db.session.add(Response(consultation_id=consultation.id, submission_id=f"s{number}", reference=f"R{number}",
                                member_id=member.id, channel=ResponseChannel.WEB, status=ResponseStatus.COMPLETE))
    db.session.commit()
    move_to(consultation, ConsultationStatus.CLOSED)
    first = campaign_for(consultation, CampaignKind.RESULTS)
    campaigns.send_campaign(first, None, now=DAY)
    failed = next(message for message in messages(first) if message.member_id == bob.id)
    failed.state = MessageState.FAILED  # never reached Bob: he may be sent the results again
    db.session.commit()

    report = campaigns.send_campaign(campaign_for(consultation, CampaignKind.RESULTS), None, now=DAY)

    assert [text.to for text in gateway.sent].count(ann.mobile) == 1
    assert [text.to for text in gateway.sent].count(bob.mobile) == 2
    assert report.already_had_results == 1 and "1 member already had the results" in report.summary


# --- counts ------------------------------------------------------------------------------------


def test_campaign_counts_by_state_and_cost_so_far(app, panel, gateway):
    for name in ("Ann", "Bob", "Cat", "Dan"):
        texter(panel, name)
    consultation = make_consultation()
    campaign = campaign_for(consultation, sms_body="((link)) " + "a" * 200)  # two parts each
    campaigns.send_campaign(campaign, None, now=DAY)
    sent = messages(campaign)
    db.session.execute(update(Message).where(Message.id == sent[0].id).values(state=MessageState.DELIVERED))
    db.session.execute(update(Message).where(Message.id == sent[1].id)
                       .values(state=MessageState.FAILED, error_code=21614))
    db.session.execute(update(Message).where(Message.id == sent[2].id).values(state=MessageState.UNDELIVERED))
    db.session.commit()

    counts = campaigns.campaign_counts(campaign)

    assert [counts.count(state) for state in campaigns.COUNTED_STATES] == [0, 0, 1, 1, 1, 1, 0]
    assert counts.segments_charged == 6  # sent, delivered and undelivered: two parts each
    assert counts.cost_so_far == pytest.approx(0.24)
