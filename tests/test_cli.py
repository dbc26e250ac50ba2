from epanel.accounts.operations import authenticate
from epanel.accounts.queries import find_user_by_email
from epanel.panels.queries import count_members, list_panels_with_counts


def test_create_user_with_a_given_password(runner):
    result = runner.invoke(
        args=["epanel", "create-user", "Officer@Example.org", "--role", "officer", "--password", "a long enough password"]
    )

    assert result.exit_code == 0, result.output
    assert "Created officer@example.org with roles: officer" in result.output
    assert authenticate("officer@example.org", "a long enough password") is not None


def test_create_user_generates_a_password_when_none_is_typed(runner):
    result = runner.invoke(args=["epanel", "create-user", "head@example.org", "--role", "admin", "--role", "officer"], input="\n")

    assert result.exit_code == 0, result.output
    password = result.output.split("Generated password: ")[1].strip()
    user = authenticate("head@example.org", password)
    assert user is not None
    assert {role.value for role in user.roles} == {"admin", "officer"}


def test_create_user_refuses_a_short_password_and_a_duplicate(runner):
    short = runner.invoke(args=["epanel", "create-user", "a@example.org", "--role", "officer", "--password", "short"])
    assert short.exit_code == 1
    assert "Password must be 12 characters or more" in short.output
    assert find_user_by_email("a@example.org") is None

    runner.invoke(args=["epanel", "create-user", "a@example.org", "--role", "officer", "--password", "long enough password"])
    again = runner.invoke(args=["epanel", "create-user", "a@example.org", "--role", "admin", "--password", "long enough password"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_create_user_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["epanel", "create-user", "a@example.org", "--role", "superuser", "--password", "long enough password"])

    assert result.exit_code == 2
    assert "superuser" in result.output


def test_demo_loads_once_and_prints_the_logins(runner):
    first = runner.invoke(args=["epanel", "demo", "--members", "60"])
    members_after_first = count_members()
    second = runner.invoke(args=["epanel", "demo", "--members", "60"])

    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    assert "officer@avonmere.example" in first.output
    assert "nothing changed" in second.output
    assert count_members() == members_after_first == 60
    slugs = {summary.panel.slug for summary in list_panels_with_counts()}
    assert slugs == {"citizens", "youth", "community-groups"}
    for role in ("admin", "officer", "teacher", "councillor", "member"):
        assert authenticate(f"{role}@avonmere.example", "demo-password-2026") is not None
    # The loop is closed in the demo: the budget survey's outcome is published and the plan cites it.
    from epanel.consultations.queries import get_consultation_by_slug
    from epanel.extensions import db
    from epanel.planning.models import Outcome, PlanEvidence

    budget = get_consultation_by_slug("budget-priorities-2026-27")
    assert budget.status.value == "published"
    assert db.session.scalar(db.select(Outcome.published_at).where(Outcome.consultation_id == budget.id)) is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(PlanEvidence)) == 2


def test_tick_opens_and_closes_consultations_that_are_due(runner):
    from datetime import timedelta

    from epanel.common.time import utcnow
    from epanel.consultations import operations as authoring
    from epanel.consultations.models import ConsultationStatus
    from tests.factories import create_consultation

    due = create_consultation("Due to open", open_now=False)
    authoring.update_consultation(due, opens_at=utcnow() + timedelta(minutes=1))
    authoring.move_to(due, ConsultationStatus.SCHEDULED)
    authoring.update_consultation(due, opens_at=utcnow() - timedelta(minutes=1))

    result = runner.invoke(args=["epanel", "tick"])

    assert result.exit_code == 0
    assert "1 consultations opened, 0 consultations closed" in result.output
    assert due.status == ConsultationStatus.OPEN
