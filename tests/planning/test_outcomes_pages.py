"""The outcome pages: officers write and publish "You said, we did"; the public page never shows
figures for a headline question or breakdown group answered by fewer than 10 people."""

from sqlalchemy import func, select

from epanel.extensions import db
from epanel.messaging.models import Message
from epanel.planning import outcomes
from tests.factories import PASSWORD, create_member, create_user
from tests.pages import get, path_of, sign_in, submit
from tests.planning.outcome_helpers import DAY, answer, citizens, close, emailer, make_consultation, write_outcome


def published(consultation, *, headlines=("Q1",), by=""):
    close(consultation)
    write_outcome(consultation, headlines=headlines, by=by)
    outcomes.publish_outcome(consultation, None, now=DAY)
    return consultation


def headline_sections(page):
    return page.soup.select("[data-testid=headline]")


def test_public_outcome_page_shows_headline_figures_only_for_groups_of_ten_or_more(app, client):
    consultation = make_consultation()
    for number in range(10):
        answer(consultation, sunday="1" if number < 7 else "2", ward="Abbey")
    for _ in range(2):
        answer(consultation, sunday="2", ward="Castle")
    # Eight with no ward recorded: Everyone minus Abbey is ten people, so Castle cannot be worked out.
    for _ in range(8):
        answer(consultation, sunday="2")
    published(consultation, by="ward")

    page = get(client, f"/you-said-we-did/{consultation.slug}")

    assert page.status == 200
    assert page.heading == consultation.title
    [headline] = headline_sections(page)
    tables = headline.select("table")
    assert tables[0].caption.get_text(strip=True) == "Everyone who answered (20 answered)"
    assert "Yes" in tables[0].get_text() and "35%" in tables[0].get_text()  # 7 of 20
    assert tables[1].caption.get_text(strip=True) == "Ward: Abbey (10 answered)"
    assert "70%" in tables[1].get_text()
    assert len(tables) == 2  # Castle (2 people) has no table
    castle = headline.select("[data-testid=suppressed]")
    assert [item.get_text(" ", strip=True) for item in castle] == [
        "Fewer than 10 people answered in this group, so no figures are shown."]
    assert "20%" not in headline.get_text() and "100%" not in headline.get_text()


def test_a_headline_question_answered_by_fewer_than_ten_shows_no_figures(app, client):
    consultation = make_consultation()
    for _ in range(9):
        answer(consultation, sunday="1")
    published(consultation, headlines=("Q1", "Q2"))

    page = get(client, f"/you-said-we-did/{consultation.slug}")

    sections = headline_sections(page)
    assert len(sections) == 2
    for section in sections:
        assert section.select("table") == []
        assert "%" not in section.get_text()
        assert "Fewer than 10 people answered, so no figures are shown." in section.get_text(" ", strip=True)


def test_outcome_is_not_public_until_published_then_the_hub_links_to_it(app, client):
    consultation = make_consultation()
    close(consultation)
    write_outcome(consultation)
    assert get(client, f"/you-said-we-did/{consultation.slug}").status == 404

    outcomes.publish_outcome(consultation, None, now=DAY)

    page = get(client, f"/you-said-we-did/{consultation.slug}")
    assert page.status == 200
    assert "We will open three libraries on Sundays." in page.text
    hub = get(client, "/consultations")
    assert f"/you-said-we-did/{consultation.slug}" in hub.html
    listing = get(client, "/you-said-we-did")
    assert consultation.title in listing.text


def test_officer_writes_the_outcome_fixes_a_mistake_and_publishes_once(app, client, mailbox):
    officer = create_user(roles=["officer"])
    panel = citizens()
    consultation = make_consultation()
    answer(consultation, emailer(panel, "Ann"))
    answer(consultation, create_member([panel], first_name="Nat"))  # no e-mail, no mobile
    close(consultation)
    sign_in(client, officer.email, PASSWORD)
    url = f"/officer/consultations/{consultation.slug}/outcome"
    q1 = consultation.questions[0].id

    # Too long: the error is shown and what was typed is kept.
    page = submit(client, url, {"what_we_asked": "When to open.", "what_you_said": "x" * 10001,
                                "what_we_did": "We will open on Sundays.", "headlines": str(q1), "breakdown": ""})
    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["Use 10,000 characters or fewer for what people said"]
    assert "We will open on Sundays." in page.text

    page = submit(client, url, {"what_we_asked": "When to open.", "what_you_said": "Most want Sundays.",
                                "what_we_did": "We will open on Sundays.", "headlines": str(q1), "breakdown": ""})
    assert page.status == 302
    page = get(client, url)
    assert "Outcome saved" in page.text
    assert "Publish and send results notices" in page.text
    reach = {row.dt.get_text(strip=True): row.dd.get_text(strip=True) for row in page.soup.select("#reach div")}
    assert reach["Panel members by email"] == "1"
    assert reach["Panel members by text"] == "0"
    assert reach["Not notified: no mobile number or email address for this channel"] == "1"

    token = page.csrf_token()
    first = client.post(f"{url}/publish", data={"csrf_token": token})
    second = client.post(f"{url}/publish", data={"csrf_token": token})  # a double-click

    assert first.status_code == 302 and path_of(first.headers["Location"]) == url
    assert second.status_code == 200
    assert "The outcome has already been published" in second.get_data(as_text=True)
    assert [message["To"] for message in mailbox] == ["ann@example.org"]
    assert db.session.scalar(select(func.count(Message.id)).where(Message.purpose == "results")) == 1
    page = get(client, url)
    assert "1 results notice queued" in page.text
    assert "Publish and send results notices" not in page.text


def test_publishing_without_what_we_did_is_refused_with_a_clear_message(app, client):
    officer = create_user(roles=["officer"])
    consultation = make_consultation()
    close(consultation)
    write_outcome(consultation, what_we_did="")
    sign_in(client, officer.email, PASSWORD)
    url = f"/officer/consultations/{consultation.slug}/outcome"

    page = get(client, url)
    assert "Enter what the council did or will do" in page.text
    token = page.csrf_token()
    response = client.post(f"{url}/publish", data={"csrf_token": token})

    assert response.status_code == 200
    assert "Enter what the council did or will do" in response.get_data(as_text=True)
    assert get(client, f"/you-said-we-did/{consultation.slug}").status == 404


def test_only_officers_write_outcomes(app, client):
    member = create_user(roles=["member"])
    consultation = close(make_consultation())
    sign_in(client, member.email, PASSWORD)

    assert get(client, f"/officer/consultations/{consultation.slug}/outcome").status == 403
