"""Retention: personal data past its EPANEL_RETENTION_* period is erased or anonymised by
`flask epanel purge` and by every tick; anonymous answers stay; a dry run changes nothing."""

from datetime import timedelta

import pytest

from epanel.accounts.models import EmailToken, TokenPurpose, User
from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.kinds import Parsed
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.messaging.models import (
    ConversationKind,
    InboundKind,
    InboundMessage,
    Message,
    MessageChannel,
    MessageState,
    SmsConversation,
    SmsOptOut,
)
from epanel.panels.models import Member, MemberSource, MemberStatus, MemberToken, MemberTokenPurpose
from epanel.privacy.models import AuditEvent, Consent
from epanel.privacy.retention import REMOVED, purge_personal_data
from epanel.respond.models import Answer, Response, ResponseChannel
from epanel.respond.operations import record_complete_response
from tests.factories import create_consultation, create_member, create_panel, create_user

LONG_AGO = utcnow() - timedelta(days=400)
LAST_WEEK = utcnow() - timedelta(days=3)


def age(model, row_id, **columns):
    """Set timestamps in the past, as if the row had been there that long."""
    db.session.execute(db.update(model).where(model.id == row_id).values(**columns))
    db.session.commit()


def answered(consultation, member=None, **snapshot):
    question = consultation.questions[0]
    response = record_complete_response(consultation, {question.id: Parsed(value="1")}, channel=ResponseChannel.WEB,
                                        member=member, snapshot=snapshot)
    db.session.commit()
    return response


@pytest.fixture
def data(app):
    """One of each kind of personal data, old enough to go, beside a twin that must stay."""
    panel = create_panel("citizens", "Citizens' Panel")
    consultation = create_consultation("Parks", kinds=("single",))
    ids = {}

    account = create_user("gone@example.org", roles=["member"])
    gone = create_member([panel], first_name="Gwen", email="gone@example.org", mobile="+447700900001",
                         user_id=account.id, gender="Woman", ward="Abbey", contact_by_email=True)
    ids["gone_response"] = answered(consultation, gone, age_band="35-44", gender="Woman", ward="Abbey").id
    gone.status = MemberStatus.LEFT
    db.session.commit()
    age(Member, gone.id, updated_at=LONG_AGO)
    ids["gone"], ids["gone_account"] = gone.id, account.id

    recently_left = create_member([panel], email="recent@example.org", status=MemberStatus.LEFT)
    ids["recently_left"] = recently_left.id
    active = create_member([panel], email="active@example.org")
    age(Member, active.id, updated_at=LONG_AGO, created_at=LONG_AGO)
    ids["active"] = active.id

    never_confirmed = create_member([panel], email="never@example.org", status=MemberStatus.PENDING)
    age(Member, never_confirmed.id, created_at=LONG_AGO)
    imported = create_member([panel], email="imported@example.org", status=MemberStatus.PENDING,
                             source=MemberSource.IMPORT)
    age(Member, imported.id, created_at=LONG_AGO)
    ids["never_confirmed"], ids["imported"] = never_confirmed.id, imported.id

    staff = create_user("officer@example.org", roles=["officer"])
    db.session.add_all([
        EmailToken(user_id=staff.id, purpose=TokenPurpose.PASSWORD_RESET, token_hash="a" * 64,
                   created_at=LONG_AGO, expires_at=LONG_AGO + timedelta(hours=1)),
        EmailToken(user_id=staff.id, purpose=TokenPurpose.SIGN_IN_LINK, token_hash="b" * 64,
                   expires_at=utcnow() + timedelta(minutes=10)),
        MemberToken(member_id=active.id, purpose=MemberTokenPurpose.CONFIRM_EMAIL, secret_hash="c" * 64,
                    created_at=LONG_AGO, expires_at=LONG_AGO + timedelta(hours=48), used_at=LONG_AGO),
        InboundMessage(provider_id="SM-old", from_number="+447700900002", body="JOIN", received_at=LONG_AGO,
                       kind=InboundKind.JOIN),
        InboundMessage(provider_id="SM-new", from_number="+447700900003", body="2", received_at=LAST_WEEK,
                       kind=InboundKind.ANSWER),
        SmsConversation(number="+447700900002", kind=ConversationKind.JOIN, data={"first_name": "Jo"}),
        Message(channel=MessageChannel.SMS, purpose="invitation", to_address="+447700900004", body="Have your say",
                state=MessageState.DELIVERED, queued_at=LONG_AGO),
        Message(channel=MessageChannel.EMAIL, purpose="invitation", to_address="sending@example.org", subject="Parks",
                body="Have your say", state=MessageState.SENDING, queued_at=LONG_AGO, sending_since=utcnow()),
        Message(channel=MessageChannel.EMAIL, purpose="invitation", to_address="new@example.org", subject="Parks",
                body="Have your say", state=MessageState.DELIVERED, queued_at=LAST_WEEK),
        SmsOptOut(number="+447700900005", how="replied STOP", opted_out_at=LONG_AGO),
    ])
    db.session.commit()
    age(SmsConversation, db.session.scalar(db.select(SmsConversation.id)), updated_at=LONG_AGO)

    public = answered(consultation, age_band="65-74")
    age(Response, public.id, contact_email="resident@example.org", confirmation_hash="d" * 64, started_at=LONG_AGO)
    ids["public_response"] = public.id
    still_open = create_consultation("Libraries", kinds=("single",))
    open_response = answered(still_open)
    age(Response, open_response.id, contact_email="reader@example.org", started_at=LONG_AGO)
    ids["open_response"] = open_response.id
    authoring.move_to(consultation, ConsultationStatus.CLOSED)
    authoring.move_to(consultation, ConsultationStatus.PUBLISHED)
    age(Consultation, consultation.id, closes_at=LONG_AGO, updated_at=LONG_AGO)  # results published long ago
    return ids


def everything():
    """A snapshot of every table retention touches, to prove a dry run changed nothing."""
    rows = {}
    for model in (Member, User, EmailToken, MemberToken, InboundMessage, SmsConversation, Message, Response, Answer,
                  Consent, SmsOptOut, AuditEvent):
        table = model.__table__
        rows[table.name] = sorted(tuple(row) for row in db.session.execute(db.select(table)).all())
    db.session.rollback()
    return rows


EXPECTED = {
    "members who left": 1,
    "unconfirmed sign-ups": 1,
    "expired links and codes": 2,
    "texts received": 2,  # one sender's number, one finished conversation
    "messages sent": 1,
    "respondents' email addresses": 1,
    "inactive members warned or removed": 0,  # tests/privacy/test_inactive_members.py
}


def test_a_dry_run_counts_what_is_due_and_changes_nothing(app, data):
    before = everything()

    counts = purge_personal_data(dry_run=True)

    assert counts == EXPECTED
    assert everything() == before


def test_purging_removes_the_personal_data_and_keeps_the_anonymous_answers(app, data):
    answers_before = db.session.scalar(db.select(db.func.count()).select_from(Answer))

    assert purge_personal_data() == EXPECTED

    db.session.expire_all()
    assert db.session.get(Member, data["gone"]) is None
    assert db.session.get(User, data["gone_account"]) is None
    assert db.session.scalar(db.select(Member).where(Member.email == "gone@example.org")) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(Consent).where(Consent.member_id == data["gone"])) == 0
    kept = db.session.get(Response, data["gone_response"])
    assert kept.member_id is None and (kept.age_band, kept.gender, kept.ward) == ("35-44", "Woman", "Abbey")
    assert db.session.scalar(db.select(db.func.count()).select_from(Answer)) == answers_before
    assert db.session.get(Member, data["never_confirmed"]) is None

    for staying in ("recently_left", "active", "imported"):
        assert db.session.get(Member, data[staying]) is not None, staying

    assert db.session.scalars(db.select(EmailToken.token_hash)).all() == ["b" * 64]
    assert db.session.scalar(db.select(db.func.count()).select_from(MemberToken)) == 0

    numbers = dict(db.session.execute(db.select(InboundMessage.provider_id, InboundMessage.from_number)).all())
    assert numbers == {"SM-old": REMOVED, "SM-new": "+447700900003"}
    assert db.session.scalar(db.select(InboundMessage.body).where(InboundMessage.provider_id == "SM-old")) == "JOIN"
    assert db.session.scalar(db.select(db.func.count()).select_from(SmsConversation)) == 0

    messages = {(m.state, m.to_address, m.body, m.subject) for m in db.session.scalars(db.select(Message))}
    assert messages == {
        (MessageState.DELIVERED, REMOVED, REMOVED, None),
        (MessageState.SENDING, "sending@example.org", "Have your say", "Parks"),  # not sent yet
        (MessageState.DELIVERED, "new@example.org", "Have your say", "Parks"),  # not old enough
    }
    assert db.session.scalar(db.select(SmsOptOut.number)) == "+447700900005"  # STOP is for good

    public = db.session.get(Response, data["public_response"])
    assert (public.contact_email, public.confirmation_hash, public.age_band) == (None, None, "65-74")
    assert db.session.get(Response, data["open_response"]).contact_email == "reader@example.org"


def test_purging_is_audited(app, data):
    purge_personal_data()

    summary = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "retention.purged"))
    assert summary.actor_label == "retention"
    assert summary.details == {name: count for name, count in EXPECTED.items() if count}
    erased = db.session.scalars(db.select(AuditEvent.object_id).where(AuditEvent.action == "member.erased")).all()
    assert sorted(erased) == sorted([str(data["gone"]), str(data["never_confirmed"])])


def test_purging_again_finds_nothing_more(app, data):
    purge_personal_data()
    events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))

    assert set(purge_personal_data().values()) == {0}
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events  # no empty audit entries


def test_a_period_of_zero_keeps_that_kind_of_data(make_app, data):
    app = make_app(RETENTION_LEFT_MEMBER_DAYS=0, RETENTION_OUTBOX_DAYS=0)
    with app.app_context():
        counts = purge_personal_data()

    assert "members who left" not in counts and "messages sent" not in counts
    assert db.session.get(Member, data["gone"]) is not None
    assert counts["unconfirmed sign-ups"] == 1


def test_the_purge_command_reports_counts_and_its_dry_run_changes_nothing(app, runner, data):
    before = everything()

    dry = runner.invoke(args=["epanel", "purge", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "1 members who left would be purged" in dry.output
    assert "2 expired links and codes would be purged" in dry.output
    assert "Dry run: nothing was changed." in dry.output
    assert everything() == before

    real = runner.invoke(args=["epanel", "purge"])
    assert real.exit_code == 0, real.output
    assert "1 unconfirmed sign-ups were purged" in real.output
    assert db.session.get(Member, data["gone"]) is None


def test_tick_purges_what_is_due_once(app, runner, data):
    first = runner.invoke(args=["epanel", "tick"])
    second = runner.invoke(args=["epanel", "tick"])

    assert first.exit_code == 0, first.output
    assert f"{sum(EXPECTED.values())} personal data purged" in first.output, first.output
    assert "0 personal data purged" in second.output
    db.session.expire_all()
    assert db.session.get(Member, data["gone"]) is None



# --- public respondents' addresses wait for the results ---------------------------------------------


def public_response(consultation, email):
    """A public response with an address for the results notice, given long ago."""
    response = answered(consultation)
    age(Response, response.id, contact_email=email, confirmation_hash=email.ljust(64, "x")[:64], started_at=LONG_AGO)
    return response.id


def close(consultation, *, days_ago):
    authoring.move_to(consultation, ConsultationStatus.CLOSED)
    age(Consultation, consultation.id, closes_at=utcnow() - timedelta(days=days_ago),
        updated_at=utcnow() - timedelta(days=days_ago))


def address(response_id):
    db.session.expire_all()
    return db.session.get(Response, response_id).contact_email


def test_addresses_are_kept_while_a_closed_consultation_waits_for_its_results(app):
    consultation = create_consultation("Bins", kinds=("single",))
    response_id = public_response(consultation, "waiting@example.org")
    close(consultation, days_ago=200)  # far longer than the 90-day period

    assert purge_personal_data()["respondents' email addresses"] == 0
    assert address(response_id) == "waiting@example.org"  # the results notice can still reach them

    authoring.move_to(consultation, ConsultationStatus.PUBLISHED)
    assert purge_personal_data()["respondents' email addresses"] == 0  # the period starts now
    assert address(response_id) == "waiting@example.org"

    later = utcnow() + timedelta(days=91)
    assert purge_personal_data(dry_run=True, now=later)["respondents' email addresses"] == 1
    assert purge_personal_data(now=later)["respondents' email addresses"] == 1
    response = db.session.get(Response, response_id)
    assert (response.contact_email, response.confirmation_hash) == (None, None)
    assert response.status is not None and response.answers  # the answers stay


def test_addresses_of_results_never_published_go_a_year_after_closing(app):
    forgotten = create_consultation("Allotments", kinds=("single",))
    forgotten_id = public_response(forgotten, "forgotten@example.org")
    close(forgotten, days_ago=366)
    recent = create_consultation("Markets", kinds=("single",))
    recent_id = public_response(recent, "recent@example.org")
    close(recent, days_ago=300)

    assert purge_personal_data()["respondents' email addresses"] == 1

    assert address(forgotten_id) is None
    assert address(recent_id) == "recent@example.org"


def test_addresses_for_an_open_consultation_are_never_purged(app):
    consultation = create_consultation("Roads", kinds=("single",))
    response_id = public_response(consultation, "open@example.org")
    age(Consultation, consultation.id, updated_at=LONG_AGO, created_at=LONG_AGO)

    assert purge_personal_data(now=utcnow() + timedelta(days=800))["respondents' email addresses"] == 0
    assert address(response_id) == "open@example.org"


# --- the purge stays cheap on big tables ----------------------------------------------------------


def test_many_old_messages_are_purged_in_batches(app, monkeypatch):
    monkeypatch.setattr("epanel.privacy.retention.BATCH", 2)
    db.session.add_all([
        Message(channel=MessageChannel.EMAIL, purpose="invitation", to_address=f"m{n}@example.org", subject="Parks",
                body="Have your say", state=MessageState.SENT, queued_at=LONG_AGO + timedelta(minutes=n))
        for n in range(5)
    ])
    db.session.commit()

    assert purge_personal_data()["messages sent"] == 5

    assert set(db.session.scalars(db.select(Message.to_address))) == {REMOVED}
    assert purge_personal_data()["messages sent"] == 0


def test_many_public_addresses_are_purged_in_batches(app, monkeypatch):
    monkeypatch.setattr("epanel.privacy.retention.BATCH", 2)
    consultation = create_consultation("Bins", kinds=("single",))
    for n in range(5):
        public_response(consultation, f"r{n}@example.org")
    close(consultation, days_ago=400)

    assert purge_personal_data()["respondents' email addresses"] == 5
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)
                             .where(Response.contact_email.is_not(None))) == 0


def query_plan(statement) -> str:
    """What the database says it will do for a query, as one string."""
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        plan = " / ".join(row[-1] for row in rows)
    else:
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))  # a tiny test table would be scanned anyway
        plan = " / ".join(row[0] for row in db.session.execute(db.text(f"EXPLAIN {compiled}")).all())
    db.session.rollback()
    return plan


def test_the_old_messages_query_uses_the_index_not_a_table_scan(app):
    from epanel.privacy.retention import BATCH, _old_messages

    plan = query_plan(_old_messages(utcnow()).order_by(Message.queued_at).limit(BATCH))

    assert "ix_messages_unpurged_queued_at" in plan, plan


def test_the_public_addresses_query_reads_only_due_consultations_through_an_index(app):
    from epanel.privacy.retention import _old_response_emails

    plan = query_plan(_old_response_emails(utcnow() - timedelta(days=90), utcnow()))

    assert "ix_responses_consultation_status" in plan, plan
