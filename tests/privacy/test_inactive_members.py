"""Members inactive for years are told they will be removed, and are, unless they act in between."""

from datetime import timedelta

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging.models import Message
from epanel.panels.models import Member
from epanel.privacy.models import AuditEvent
from epanel.privacy.retention import purge_personal_data
from epanel.respond.models import Response, ResponseChannel, ResponseStatus
from tests.factories import PASSWORD, create_consultation, create_member, create_panel, create_user
from tests.pages import get, sign_in, submit

RULE = "inactive members warned or removed"
YEARS_AGO = timedelta(days=4 * 365)


def inactive_member(email="quiet@example.org", **fields):
    member = create_member([create_panel()], email=email, contact_by_email=True, **fields)
    set_last_change(member, utcnow() - YEARS_AGO)
    return member


def set_last_change(member, when):
    db.session.execute(db.update(Member).where(Member.id == member.id).values(updated_at=when))
    db.session.commit()
    db.session.expire_all()


def notices() -> list[Message]:
    return list(db.session.scalars(db.select(Message).where(Message.purpose == "inactive_member_notice")))


def test_an_inactive_member_is_told_once_and_removed_when_the_notice_runs_out(app):
    member = inactive_member()
    member_id, now = member.id, utcnow()

    first = purge_personal_data(now=now)[RULE]
    again = purge_personal_data(now=now + timedelta(days=1))[RULE]
    db.session.expire_all()
    warned = db.session.get(Member, member_id)
    still_here = warned is not None and warned.updated_at < now - timedelta(days=365)
    removed = purge_personal_data(now=now + timedelta(days=31))[RULE]

    assert (first, again, removed) == (1, 0, 1)
    [notice] = notices()
    assert notice.to_address == "quiet@example.org"
    assert notice.subject.startswith("Do you want to stay on the")
    assert still_here, "the warning itself is not activity"
    assert db.session.get(Member, member_id) is None
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.object_id == str(member_id))))
    assert "member.inactivity_warned" in actions


def test_a_member_who_answered_recently_is_not_warned(app):
    member = inactive_member()
    consultation = create_consultation()
    db.session.add(Response(consultation_id=consultation.id, member_id=member.id, submission_id="s1", reference="R1",
                            channel=ResponseChannel.WEB, status=ResponseStatus.COMPLETE,
                            submitted_at=utcnow() - timedelta(days=100)))
    db.session.commit()

    assert purge_personal_data()[RULE] == 0
    assert notices() == []


def test_choosing_to_stay_keeps_the_member(app, client):
    user = create_user("quiet@example.org", roles=["member"])
    member = inactive_member(user_id=user.id)
    member_id, now = member.id, utcnow()
    purge_personal_data(now=now)
    sign_in(client, "quiet@example.org", PASSWORD)

    profile = get(client, "/my/profile")
    stayed = submit(client, "/my/stay", {}, form_page="/my/profile")
    later = purge_personal_data(now=now + timedelta(days=31))[RULE]

    assert "we plan to remove your membership" in profile.soup.select_one("#inactivity-notice").get_text(" ")
    assert "Thank you: you are staying on the panel" in get(client, stayed.location).banners
    assert later == 0
    db.session.expire_all()
    assert db.session.get(Member, member_id).inactivity_warned_at is None


def test_answering_after_the_warning_also_keeps_the_member(app):
    member = inactive_member()
    member_id, now = member.id, utcnow()
    purge_personal_data(now=now)
    consultation = create_consultation()
    db.session.add(Response(consultation_id=consultation.id, member_id=member_id, submission_id="s1", reference="R1",
                            channel=ResponseChannel.WEB, status=ResponseStatus.COMPLETE,
                            submitted_at=now + timedelta(days=3)))
    db.session.commit()

    assert purge_personal_data(now=now + timedelta(days=31))[RULE] == 0
    db.session.expire_all()
    assert db.session.get(Member, member_id).inactivity_warned_at is None, "no longer on notice"


def test_a_period_of_0_keeps_inactive_members_and_a_dry_run_changes_nothing(app):
    inactive_member()

    app.config["RETENTION_INACTIVE_MEMBER_DAYS"] = 0
    kept = purge_personal_data()
    app.config["RETENTION_INACTIVE_MEMBER_DAYS"] = 3 * 365
    counted = purge_personal_data(dry_run=True)

    assert RULE not in kept
    assert counted[RULE] == 1
    assert notices() == [] and db.session.scalar(db.select(Member.inactivity_warned_at)) is None
