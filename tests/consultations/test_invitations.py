"""Inviting members: the officer's message, private links by e-mail, nobody e-mailed twice, revoking and stats."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from epanel.common.time import utcnow
from epanel.consultations import audience, invitations
from epanel.consultations.audience import AudienceRules
from epanel.consultations.invitations import find_usable_invitation, format_closes, hash_invitation_token
from epanel.consultations.models import ConsultationStatus, Invitation, InvitationChannel
from epanel.consultations.operations import add_question, create_consultation, move_to
from epanel.extensions import db
from epanel.mail import SmtpMailer
from epanel.messaging.models import Message, MessageState
from epanel.messaging.outbox import deliver_due
from epanel.panels.models import MemberStatus
from epanel.panels.operations import set_member_status
from epanel.privacy.models import AuditEvent
from tests.conftest import free_port
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit

CLOSES = datetime(2030, 12, 13, 17, tzinfo=UTC)  # 5pm on a Friday, London time in winter
LINK = re.compile(r"http://localhost/respond/i/([A-Za-z0-9_-]+)")


@pytest.fixture
def officer(app, client):
    user = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return user


@pytest.fixture
def panel(app):
    return create_panel("citizens", "Citizens' Panel")


def make_consultation(status=ConsultationStatus.OPEN, title="Library opening hours"):
    """A consultation with one question, in the given status, whose audience (everyone active) is saved."""
    consultation = create_consultation(title, None, closes_at=CLOSES, opens_at=utcnow() + timedelta(days=1))
    add_question(consultation.sections[0], "yes_no", "Should libraries open on Sundays?")
    if status != ConsultationStatus.DRAFT:
        move_to(consultation, status)
    audience.save_audience(consultation, AudienceRules(), None)
    return consultation


def emailable(panel, first_name, **fields):
    return create_member([panel], first_name=first_name, email=f"{first_name.lower()}@example.org",
                         contact_by_email=True, **fields)


def send(client, consultation):
    """Press 'Send invitations' on the invitations page and read the page it returns to."""
    url = f"/officer/consultations/{consultation.slug}/invitations"
    sent = submit(client, url, {})
    assert path_of(sent.location) == url
    return get(client, url)


def token_in(message) -> str:
    return LINK.search(message.get_content()).group(1)


def recipients(mailbox) -> list[str]:
    return sorted(message["To"] for message in mailbox)


def test_each_member_who_can_be_emailed_gets_their_own_link_with_the_placeholders_filled(
        officer, client, panel, mailbox):
    for name in ("Ann", "Bob", "Cat"):
        emailable(panel, name)
    create_member([panel], first_name="Dan", email="dan@example.org", contact_by_email=False)
    create_member([panel], first_name="Eve", mobile="+447700900001", contact_by_sms=True)
    consultation = make_consultation()
    invitations.save_invitation_message(
        consultation, "((consultation)): tell us by ((closes))",
        "Dear ((first_name)),\n\nOpen ((link)) to answer. It closes at ((closes)).", officer)

    page = send(client, consultation)

    assert "3 invitations queued to send by email." in page.banners
    assert recipients(mailbox) == ["ann@example.org", "bob@example.org", "cat@example.org"]
    ann = next(message for message in mailbox if message["To"] == "ann@example.org")
    assert ann["Subject"] == "Library opening hours: tell us by 5pm on Friday 13 December 2030"
    assert ann.get_content_type() == "text/plain"
    body = ann.get_content().replace("\r\n", "\n")
    assert body.startswith("Dear Ann,\n\nOpen http://localhost/respond/i/")
    assert "It closes at 5pm on Friday 13 December 2030." in body
    assert "update your contact preferences: http://localhost/my/preferences" in body
    assert len({token_in(message) for message in mailbox}) == 3
    assert "3 members of the audience" not in page.text
    assert "Everyone in the audience who can be emailed has been invited" in page.text


def test_only_a_hash_of_the_token_is_kept_and_the_link_finds_the_members_invitation(officer, client, panel, mailbox):
    ann = emailable(panel, "Ann")
    consultation = make_consultation()

    send(client, consultation)

    token = token_in(mailbox[0])
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.token_hash == hash_invitation_token(token) != token
    assert token not in repr([getattr(invitation, column.key) for column in Invitation.__table__.columns])
    assert (invitation.member_id, invitation.channel) == (ann.id, InvitationChannel.EMAIL)
    assert find_usable_invitation(token) == invitation


def test_a_revoked_link_stops_working(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    consultation = make_consultation()
    page = send(client, consultation)
    token = token_in(mailbox[0])

    revoke = page.soup.find("form", attrs={"action": re.compile(r"/revoke$")})
    client.post(revoke["action"], data={"csrf_token": page.csrf_token()})
    after = get(client, f"/officer/consultations/{consultation.slug}/invitations")

    assert "Invitation to Ann" in after.banners[0] and "their link no longer works" in after.banners[0]
    assert "Revoked" in after.soup.select_one("[aria-label=Invitations] tbody").text
    assert find_usable_invitation(token) is None
    assert "invitation.revoked" in {event.action for event in db.session.scalars(db.select(AuditEvent))}


def test_the_link_stops_working_when_the_member_leaves(officer, client, panel, mailbox):
    ann = emailable(panel, "Ann")
    consultation = make_consultation()
    send(client, consultation)
    token = token_in(mailbox[0])
    assert find_usable_invitation(token) is not None

    set_member_status(ann, MemberStatus.LEFT, officer)

    assert find_usable_invitation(token) is None


def test_the_link_stops_working_when_the_consultation_closes(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    consultation = make_consultation()
    send(client, consultation)
    token = token_in(mailbox[0])

    move_to(consultation, ConsultationStatus.CLOSED)

    assert find_usable_invitation(token) is None


def test_sending_again_emails_only_members_not_yet_invited(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    emailable(panel, "Bob")
    consultation = make_consultation()
    send(client, consultation)
    emailable(panel, "Cat")
    mailbox.clear()

    page = send(client, consultation)

    assert "1 invitation queued to send by email." in page.banners
    assert recipients(mailbox) == ["cat@example.org"]
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 3


def test_invitations_queued_while_the_mail_server_is_down_go_once_it_is_back_and_never_twice(
        officer, client, app, panel, mailbox, monkeypatch):
    for name in ("Ann", "Bob", "Cat"):
        emailable(panel, name)
    consultation = make_consultation()
    app.config["OUTBOX_RETRY_SECONDS"] = 0  # retry at once, not after 30 seconds
    monkeypatch.setitem(app.extensions, "epanel_mailer", SmtpMailer("127.0.0.1", free_port(), timeout=1))

    page = send(client, consultation)
    waiting = [(message.state, message.attempts, message.error_message)
               for message in db.session.scalars(db.select(Message).order_by(Message.id))]
    monkeypatch.setitem(app.extensions, "epanel_mailer", SmtpMailer(app.config["SMTP_HOST"], app.config["SMTP_PORT"]))
    deliver_due()
    deliver_due()  # a second sweep finds nothing left to send

    assert "3 invitations queued to send by email." in page.banners
    assert [(state, attempts) for state, attempts, _ in waiting] == [(MessageState.QUEUED, 1)] * 3
    assert "could not take it" in waiting[0][2]
    assert recipients(mailbox) == ["ann@example.org", "bob@example.org", "cat@example.org"]


def test_two_sends_racing_each_other_never_email_a_member_twice(officer, panel, mailbox, monkeypatch):
    members = [emailable(panel, name) for name in ("Ann", "Bob")]
    consultation = make_consultation()
    invitations.send_invitations(consultation, officer)
    mailbox.clear()
    # A second send that read the audience before the first one recorded its invitations.
    monkeypatch.setattr(invitations, "member_ids_to_email", lambda consultation: [m.id for m in members])

    report = invitations.send_invitations(consultation, officer)

    assert (report.queued, report.already_invited) == (0, 2)
    assert mailbox == []


def test_an_address_the_mail_server_refuses_fails_visibly_and_the_others_still_go(
        officer, client, panel, mailbox, smtp_server):
    emailable(panel, "Ann")
    bob = emailable(panel, "Bob")
    consultation = make_consultation()
    smtp_server.handler.refuse.add("bob@example.org")

    send(client, consultation)

    failed = db.session.scalar(db.select(Message).where(Message.member_id == bob.id))
    assert recipients(mailbox) == ["ann@example.org"]
    assert failed.state == MessageState.FAILED
    assert "refused the address" in failed.error_message


def test_a_large_send_is_committed_and_audited_batch_by_batch(officer, panel, mailbox):
    for name in ("Ann", "Bob", "Cat", "Dan", "Eve"):
        emailable(panel, name)
    consultation = make_consultation()

    report = invitations.send_invitations(consultation, officer, batch_size=2)

    assert report.summary == "5 invitations queued to send by email."
    assert len(mailbox) == 5
    counts = [event.details["count"] for event in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "invitations.sent").order_by(AuditEvent.id))]
    assert counts == [2, 2, 1]  # one audit event per batch


def test_paused_members_and_members_who_left_are_never_invited(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    emailable(panel, "Bob", status=MemberStatus.PAUSED)
    emailable(panel, "Cat", status=MemberStatus.LEFT)
    consultation = make_consultation()
    consultation.audience = {**consultation.audience, "statuses": ["active", "paused", "left"]}
    db.session.commit()

    send(client, consultation)

    assert recipients(mailbox) == ["ann@example.org"]


@pytest.mark.parametrize(("status", "said"), [
    (ConsultationStatus.DRAFT, "This one is draft."),
    (ConsultationStatus.CLOSED, "This one is closed."),
])
def test_invitations_go_only_while_a_consultation_is_scheduled_or_open(officer, client, panel, mailbox, status, said):
    emailable(panel, "Ann")
    consultation = make_consultation(ConsultationStatus.OPEN if status == ConsultationStatus.CLOSED else status)
    if status == ConsultationStatus.CLOSED:
        move_to(consultation, status)

    page = send(client, consultation)

    assert page.banners == [f"Invitations can only be sent while a consultation is scheduled or open. {said}"]
    assert mailbox == []


def test_a_scheduled_consultation_can_send_its_invitations_ahead(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    consultation = make_consultation(ConsultationStatus.SCHEDULED)

    page = send(client, consultation)

    assert "1 invitation queued to send by email." in page.banners
    assert len(mailbox) == 1


def test_nothing_is_sent_before_the_audience_is_saved(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    consultation = make_consultation()
    consultation.audience = {}
    db.session.commit()

    page = send(client, consultation)

    assert page.banners == ["Choose and save the audience before sending invitations"]
    assert "Send invitations to" not in page.text
    assert mailbox == []


def test_a_sample_invites_only_its_members_and_never_more_than_its_size(officer, client, panel, mailbox):
    members = [emailable(panel, f"Member{number}") for number in range(12)]
    consultation = make_consultation()
    audience.save_audience(consultation, AudienceRules(sample_size=4, seed=7), officer)
    sampled = audience.sample_member_ids(consultation)

    page = send(client, consultation)
    left = next(member for member in members if member.id in sampled)
    set_member_status(left, MemberStatus.LEFT, officer)  # the draw shifts, but the sample was already invited
    again = send(client, consultation)

    assert "4 invitations queued to send by email." in page.banners
    assert recipients(mailbox) == sorted(f"{member.email}" for member in members if member.id in sampled)
    assert "0 invitations queued to send by email." in again.banners
    assert len(mailbox) == 4


def test_unknown_placeholders_are_refused_by_name(officer, client, panel):
    consultation = make_consultation()

    page = submit(client, f"/officer/consultations/{consultation.slug}/invitation-message", {
        "subject": "Your ((link)) for ((Consultation))",
        "body": "Hello ((fist_name)), see ((surname)) and ((First name)).",
        "save": "Save message",
    })

    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Put ((link)) in the message, not the subject",
        "Unknown placeholders ((fist_name)) and ((surname)). "
        "You can use ((first_name)), ((consultation)), ((link)) and ((closes))",
    ]
    assert page.soup.find("textarea", attrs={"name": "body"}).get_text() == \
        "Hello ((fist_name)), see ((surname)) and ((First name))."
    db.session.refresh(consultation)
    assert consultation.invitation_body == ""


def test_a_message_without_the_private_link_is_refused(officer, client, panel):
    consultation = make_consultation()

    page = submit(client, f"/officer/consultations/{consultation.slug}/invitation-message", {
        "subject": "Have your say", "body": "Hello ((first_name)), please take part.", "save": "Save message",
    })

    assert page.error_summary == ["The message must include ((link)), so each member gets their private link"]


def test_the_message_page_previews_the_email_as_a_member_of_the_audience_would_get_it(officer, client, panel):
    emailable(panel, "Ann")
    consultation = make_consultation()
    url = f"/officer/consultations/{consultation.slug}/invitation-message"

    shown = get(client, url)
    previewed = submit(client, url, {"subject": "About ((consultation))",
                                     "body": "Hi ((first_name)), ((link)) until ((closes))", "preview": "Preview"})

    assert shown.soup.find("input", attrs={"name": "subject"})["value"] == invitations.DEFAULT_SUBJECT
    assert "Hello Ann," in shown.soup.select_one("[data-testid=preview-body]").text
    assert "Subject: Have your say: Library opening hours" in shown.text
    assert previewed.status == 200
    assert "This preview is not saved yet" in previewed.text
    assert previewed.soup.select_one("[data-testid=preview-body]").text.startswith(
        "Hi Ann, http://localhost/respond/i/example-private-link until 5pm on Friday 13 December 2030")
    db.session.refresh(consultation)
    assert consultation.invitation_subject == ""


def test_saving_the_message_keeps_it_for_sending(officer, client, panel):
    consultation = make_consultation()
    url = f"/officer/consultations/{consultation.slug}/invitation-message"

    saved = submit(client, url, {"subject": "About ((consultation))", "body": "Hi ((first_name)): ((link))",
                                 "save": "Save message"})

    assert path_of(saved.location) == f"/officer/consultations/{consultation.slug}/invitations"
    db.session.refresh(consultation)
    assert (consultation.invitation_subject, consultation.invitation_body) == (
        "About ((consultation))", "Hi ((first_name)): ((link))")


@pytest.mark.parametrize(("closes_at", "expected"), [
    (datetime(2030, 12, 13, 17, tzinfo=UTC), "5pm on Friday 13 December 2030"),
    (datetime(2030, 6, 14, 16, 30, tzinfo=UTC), "5:30pm on Friday 14 June 2030"),  # British Summer Time
    (datetime(2030, 12, 13, 9, 5, tzinfo=UTC), "9:05am on Friday 13 December 2030"),
    (datetime(2030, 12, 13, 12, tzinfo=UTC), "midday on Friday 13 December 2030"),
    (datetime(2030, 12, 14, 0, tzinfo=UTC), "midnight at the end of Friday 13 December 2030"),
    (None, "the closing date"),
])
def test_closing_times_read_as_people_in_the_uk_write_them(closes_at, expected):
    assert format_closes(closes_at) == expected


def test_officers_see_invited_opened_started_and_completed_by_channel(officer, client, panel):
    consultation = make_consultation()
    now = utcnow()
    progress = [  # channel, opened, started, completed, revoked
        (InvitationChannel.EMAIL, True, True, True, False),
        (InvitationChannel.EMAIL, True, True, False, False),
        (InvitationChannel.EMAIL, True, False, False, False),
        (InvitationChannel.EMAIL, False, False, False, True),
        (InvitationChannel.SMS, True, True, True, False),
    ]
    for number, (channel, opened, started, completed, revoked) in enumerate(progress):
        member = emailable(panel, f"Member{number}")
        db.session.add(Invitation(
            consultation_id=consultation.id, member_id=member.id, channel=channel, sent_at=now,
            token_hash=hash_invitation_token(f"token-{number}"), opened_at=now if opened else None,
            started_at=now if started else None, completed_at=now if completed else None,
            revoked_at=now if revoked else None,
        ))
    db.session.commit()

    page = get(client, f"/officer/consultations/{consultation.slug}/invitations")

    rows = {row.th.get_text(strip=True): [cell.get_text(strip=True) for cell in row.find_all("td")]
            for row in page.soup.select("[aria-label='Invitations by channel'] tbody tr")}
    assert rows == {
        "Email": ["4", "3", "2", "1", "25%", "1"],
        "Text message": ["1", "1", "1", "1", "100%", "0"],
        "Post": ["0", "0", "0", "0", "–", "0"],
        "All channels": ["5", "4", "3", "2", "40%", "1"],
    }


def test_an_officer_finds_an_invitation_by_name(officer, client, panel, mailbox):
    emailable(panel, "Ann")
    emailable(panel, "Bob")
    consultation = make_consultation()
    send(client, consultation)

    page = get(client, f"/officer/consultations/{consultation.slug}/invitations?search=bob")

    names = [link.get_text() for link in page.soup.select("[aria-label=Invitations] tbody a")]
    assert len(names) == 1 and names[0].startswith("Bob")


@pytest.mark.parametrize(("method", "path"), [
    ("get", "invitation-message"), ("post", "invitation-message"), ("get", "invitations"), ("post", "invitations"),
    ("post", "invitations/1/revoke"),
])
def test_a_panel_member_cannot_reach_invitation_pages(client, app, method, path):
    consultation = make_consultation()
    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)
    token = get(client, "/").csrf_token()  # the sign-out button's, so CSRF is not what refuses the member

    response = getattr(client, method)(f"/officer/consultations/{consultation.slug}/{path}", data={"csrf_token": token})

    assert response.status_code == 403
