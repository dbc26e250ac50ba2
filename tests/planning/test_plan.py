"""The community plan: themes, actions and their statuses, links to the published outcomes behind
them, the public page, and clear refusals of bad input."""

from datetime import date

import pytest
from sqlalchemy import func, select

from epanel.extensions import db
from epanel.planning import plan
from epanel.planning.models import PlanAction, PlanActionStatus, PlanEvidence, PlanTheme
from tests.factories import PASSWORD, create_user
from tests.pages import get, path_of, sign_in, submit
from tests.planning.outcome_helpers import close, make_consultation, write_outcome


def published_consultation(title="Library opening hours"):
    from epanel.planning import outcomes
    from tests.planning.outcome_helpers import DAY

    consultation = close(make_consultation(title))
    write_outcome(consultation)
    outcomes.publish_outcome(consultation, None, now=DAY)
    return consultation


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_actions_move_through_their_statuses_and_cite_published_outcomes(app):
    theme = plan.create_theme("Libraries and learning", None, description="Places to read and learn.")
    action = plan.add_action(theme, None, title="Open three libraries on Sundays", owner="Libraries team",
                             target_date=date(2027, 4, 1), area="Abbey")
    assert action.status is PlanActionStatus.PLANNED
    consultation = published_consultation()

    plan.link_consultation(action, consultation, None)
    plan.update_action(action, None, title=action.title, owner="Libraries team", status="in_progress",
                       target_date=date(2027, 4, 1), area="Abbey")

    db.session.expire_all()
    action = db.session.get(PlanAction, action.id)
    assert action.status is PlanActionStatus.IN_PROGRESS
    assert [evidence.consultation.title for evidence in action.evidence] == ["Library opening hours"]
    with pytest.raises(plan.PlanError, match="already linked"):
        plan.link_consultation(action, consultation, None)
    plan.unlink_consultation(action, action.evidence[0].id, None)
    assert count(PlanEvidence) == 0


def test_bad_plan_inputs_are_refused_and_nothing_is_saved(app):
    with pytest.raises(plan.PlanError, match="Enter the theme's title"):
        plan.create_theme("   ", None)
    theme = plan.create_theme("Safer streets", None)
    with pytest.raises(plan.PlanError, match="already a theme called"):
        plan.create_theme("safer STREETS", None)
    with pytest.raises(plan.PlanError, match="Enter the action's title"):
        plan.add_action(theme, None, title="")
    with pytest.raises(plan.PlanError, match="Choose the action's status"):
        plan.add_action(theme, None, title="More lighting", status="finished")
    with pytest.raises(plan.PlanError, match="real date"):
        plan.add_action(theme, None, title="More lighting", target_date="31/02/2027")
    action = plan.add_action(theme, None, title="More lighting")
    still_open = make_consultation("Street lighting")
    with pytest.raises(plan.PlanError, match="Publish the outcome of Street lighting before linking it"):
        plan.link_consultation(action, still_open, None)
    closed_without_outcome = close(make_consultation("Bus routes"))
    with pytest.raises(plan.PlanError, match="Publish the outcome of Bus routes"):
        plan.link_consultation(action, closed_without_outcome, None)
    with pytest.raises(plan.PlanError, match="Choose a consultation"):
        plan.link_consultation(action, None, None)

    assert count(PlanTheme) == 1
    assert count(PlanAction) == 1
    assert count(PlanEvidence) == 0


def test_public_community_plan_shows_each_theme_its_actions_statuses_and_evidence(app, client):
    consultation = published_consultation()
    theme = plan.create_theme("Libraries and learning", None)
    action = plan.add_action(theme, None, title="Open three libraries on Sundays", status="done", owner="Libraries team",
                             target_date=date(2027, 4, 1), area="Abbey")
    plan.add_action(theme, None, title="Mobile library van", status="dropped")
    plan.link_consultation(action, consultation, None)
    plan.create_theme("Safer streets", None)

    page = get(client, "/community-plan")

    assert page.status == 200
    assert page.heading == "Community plan"
    assert [h2.get_text(strip=True) for h2 in page.soup.select("main h2")] == ["Libraries and learning", "Safer streets"]
    rows = page.soup.select("[data-testid=action]")
    assert [row.dt.get_text(strip=True) for row in rows] == ["Open three libraries on Sundays", "Mobile library van"]
    first = rows[0].get_text(" ", strip=True)
    assert "Done" in first and "Owner: Libraries team" in first and "Area: Abbey" in first
    assert "Target: 1 April 2027" in first
    assert rows[0].find("a", href=f"/you-said-we-did/{consultation.slug}").get_text(strip=True) == consultation.title
    assert "Dropped" in rows[1].get_text()
    assert "No actions yet." in page.text
    outcome_page = get(client, f"/you-said-we-did/{consultation.slug}")
    assert "Open three libraries on Sundays" in outcome_page.text


def test_officer_keeps_the_plan_through_the_pages_with_clear_errors(app, client):
    officer = create_user(roles=["officer"])
    consultation = published_consultation()
    unpublished = close(make_consultation("Bus routes"))
    sign_in(client, officer.email, PASSWORD)

    page = submit(client, "/officer/community-plan", {"title": "", "description": ""})
    assert page.title.startswith("Error:")
    assert page.error_summary == ["Enter the theme's title"]
    page = submit(client, "/officer/community-plan", {"title": "Libraries and learning", "description": ""})
    theme_url = path_of(page.location)

    page = submit(client, theme_url, {"action-title": "Sunday opening", "action-status": "planned",
                                      "action-target_date": ["31", "2", "2027"], "action-submit": "y"})
    assert page.status == 200
    [error] = page.error_summary
    assert error.startswith("Target date must be a real date, like 27 3 ")
    assert count(PlanAction) == 0
    page = submit(client, theme_url, {"action-title": "Sunday opening", "action-status": "planned",
                                      "action-target_date": ["1", "4", "2027"], "action-area": "Abbey",
                                      "action-submit": "y"})
    action_url = path_of(page.location)

    page = get(client, action_url)
    options = [option["value"] for option in page.soup.select("select[name=link-consultation] option")]
    assert options == ["", consultation.slug]  # only published outcomes are offered
    page = submit(client, action_url, {"link-consultation": unpublished.slug, "link-submit": "y"})
    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["Publish the outcome of Bus routes before linking it to an action"]
    page = submit(client, action_url, {"link-consultation": consultation.slug, "link-submit": "y"})
    assert page.status == 302
    page = submit(client, action_url, {"action-title": "Sunday opening", "action-status": "done",
                                       "action-target_date": ["1", "4", "2027"], "action-submit": "y"})
    assert page.status == 302

    public = get(client, "/community-plan")
    row = public.soup.select_one("[data-testid=action]")
    assert "Done" in row.get_text()
    assert row.find("a", href=f"/you-said-we-did/{consultation.slug}")


def test_only_officers_keep_the_plan(app, client):
    member = create_user(roles=["member"])
    sign_in(client, member.email, PASSWORD)
    assert get(client, "/officer/community-plan").status == 403
    assert get(client, "/community-plan").status == 200
