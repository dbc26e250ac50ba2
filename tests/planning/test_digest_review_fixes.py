"""Review fixes for digests: a digest is only marked sent with its e-mail in the outbox, one failing
digest neither stops the others nor the rest of `flask epanel tick`, and group digests go only to
contacts who agreed to e-mail and are not paused."""

from datetime import timedelta

from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.models import ConsultationStatus
from epanel.extensions import db
from epanel.messaging.models import Message
from epanel.panels.models import MemberStatus
from epanel.planning import digests
from epanel.planning.digests import queue_due_digests, set_digest_frequency
from epanel.planning.models import Digest, DigestFrequency
from tests.factories import create_consultation
from tests.planning.community_helpers import (
    MONDAY,
    THURSDAY,
    make_consultation,
    make_councillor,
    make_group_contact,
)


def digest_rows() -> int:
    return db.session.scalar(db.select(db.func.count(Digest.id)))


def digest_messages() -> list[str]:
    return sorted(db.session.scalars(db.select(Message.to_address).where(Message.purpose.like("%digest"))))


def weekly_councillor(name, email):
    councillor = make_councillor(name, wards=("Oakfield",), email=email)
    set_digest_frequency(DigestFrequency.WEEKLY, user=councillor)
    return councillor


def test_a_digest_whose_email_cannot_be_queued_is_not_marked_sent_and_goes_next_tick(app, mailbox, monkeypatch):
    weekly_councillor("Jo Bloggs", "jo@example.org")
    make_consultation()
    real = digests.queue_templated_email

    def broken(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the mail template is broken")

    monkeypatch.setattr(digests, "queue_templated_email", broken)
    assert queue_due_digests(MONDAY) == 0
    db.session.rollback()
    assert digest_rows() == 0 and digest_messages() == []

    monkeypatch.setattr(digests, "queue_templated_email", real)
    assert queue_due_digests(THURSDAY) == 1
    assert digest_rows() == 1 and digest_messages() == ["jo@example.org"]


def test_one_failing_digest_does_not_stop_the_others(app, mailbox, monkeypatch):
    weekly_councillor("Jo Bloggs", "jo@example.org")
    weekly_councillor("Sam Smith", "sam@example.org")
    make_consultation()
    real = digests.councillor_digest

    def fails_for_jo(councillor, since, now):
        if councillor.email == "jo@example.org":
            raise RuntimeError("bad ward data")
        return real(councillor, since, now)

    monkeypatch.setattr(digests, "councillor_digest", fails_for_jo)

    assert queue_due_digests(MONDAY) == 1
    assert digest_messages() == ["sam@example.org"]


def test_a_failing_digest_run_does_not_stop_tick_opening_a_due_consultation(app, runner, monkeypatch):
    due = create_consultation("Due to open", open_now=False)
    authoring.update_consultation(due, opens_at=utcnow() + timedelta(minutes=1))
    authoring.move_to(due, ConsultationStatus.SCHEDULED)
    authoring.update_consultation(due, opens_at=utcnow() - timedelta(minutes=1))

    def broken(now=None):
        raise RuntimeError("digest query failed")

    monkeypatch.setattr(digests, "queue_due_digests", broken)
    result = runner.invoke(args=["epanel", "tick"])

    assert result.exit_code == 0
    assert "digests queued: failed (see the log)" in result.output
    assert "1 consultations opened" in result.output
    db.session.expire_all()
    assert due.status == ConsultationStatus.OPEN


def group_contact_digests_to(**member_fields) -> list[str]:
    make_group_contact(email="clerk@example.org", **member_fields)
    make_consultation(for_public=True)
    queue_due_digests(MONDAY)
    return digest_messages()


def test_group_digest_goes_to_an_active_contact_who_agreed_to_email(app, mailbox):
    assert group_contact_digests_to() == ["clerk@example.org"]


def test_no_group_digest_for_a_contact_who_did_not_agree_to_email(app, mailbox):
    assert group_contact_digests_to(contact_by_email=False) == []


def test_no_group_digest_for_a_paused_contact(app, mailbox):
    assert group_contact_digests_to(status=MemberStatus.PAUSED) == []
