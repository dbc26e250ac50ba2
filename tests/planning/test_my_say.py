"""A member's "my say": the consultations they took part in and what came of each."""

from epanel.accounts.models import User
from epanel.extensions import db
from epanel.planning import plan
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in
from tests.planning.outcome_helpers import DAY, answer, citizens, close, emailer, make_consultation, write_outcome


def member_with_account(panel, name="Ann"):
    user = create_user(email=f"{name.lower()}@example.org", roles=["member"])
    member = emailer(panel, name, user_id=user.id)
    return user, member


def test_my_say_lists_what_i_answered_and_what_came_of_it(app, client):
    from epanel.planning import outcomes

    panel = citizens()
    user, member = member_with_account(panel)
    libraries = make_consultation("Library opening hours")
    buses = make_consultation("Bus routes")
    parks = make_consultation("Parks")  # answered by somebody else only
    answer(libraries, member)
    answer(buses, member)
    answer(parks, emailer(panel, "Bob"))
    close(libraries)
    write_outcome(libraries)
    outcomes.publish_outcome(libraries, None, now=DAY)
    theme = plan.create_theme("Libraries", None)
    action = plan.add_action(theme, None, title="Sunday opening pilot", status="in_progress")
    plan.link_consultation(action, libraries, None)
    sign_in(client, user.email, PASSWORD)

    page = get(client, "/my/say")

    assert page.status == 200
    assert page.heading == "My say"
    items = page.soup.select("[data-testid=my-say-item]")
    titles = sorted(item.h2.get_text(strip=True) for item in items)
    assert titles == ["Bus routes", "Library opening hours"]
    by_title = {item.h2.get_text(strip=True): item for item in items}
    done = by_title["Library opening hours"].get_text(" ", strip=True)
    assert "We will open three libraries on Sundays." in done
    assert "Sunday opening pilot: In progress" in done
    assert by_title["Library opening hours"].find("a", href=f"/you-said-we-did/{libraries.slug}")
    waiting = by_title["Bus routes"].get_text(" ", strip=True)
    assert "Open. We will tell you what came of it when the results are published." in waiting


def test_my_say_for_an_account_with_no_membership_says_so(app, client):
    user = create_user(roles=["member"])
    sign_in(client, user.email, PASSWORD)

    page = get(client, "/my/say")

    assert page.status == 200
    assert "not linked to a panel membership" in page.text


def test_my_say_needs_signing_in(app, client):
    response = client.get("/my/say")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert db.session.query(User).count() == 0
