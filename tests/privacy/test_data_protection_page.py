"""The officers' data-protection page: what is held, why, for how long and who sees it, read from the running
configuration, with what is due for purging now."""

from datetime import timedelta

import pytest

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.messaging import outbox
from epanel.messaging.models import Message
from tests.factories import PASSWORD, create_user
from tests.pages import get, sign_in


def retention_rows(page) -> dict[str, list[str]]:
    return {row.th.get_text(strip=True): [cell.get_text(strip=True) for cell in row.select("td")]
            for row in page.soup.select("#retention tbody tr")}


def test_the_page_shows_the_configured_periods_and_what_is_due_now(make_app):
    app = make_app(RETENTION_OUTBOX_DAYS=45, RETENTION_INBOUND_TEXT_DAYS=0)
    with app.app_context():
        create_user("officer@example.org", roles=["officer"])
        old = outbox.queue_email("someone@example.org", "Hello", "Hi", purpose="alert")
        outbox.queue_email("recent@example.org", "Hello", "Hi", purpose="alert")
        db.session.flush()
        db.session.execute(db.update(Message).where(Message.id == old.id).values(queued_at=utcnow() - timedelta(days=50)))
        db.session.commit()
        client = app.test_client()
        sign_in(client, "officer@example.org", PASSWORD)

        page = get(client, "/officer/data-protection")

        rows = retention_rows(page)
        assert page.heading == "Data protection"
        assert rows["Messages sent"] == ["45 days", "1"]
        assert rows["Texts received"] == ["kept until removed by hand", "–"]
        assert "public task" in page.text
        assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 2, "looking purges nothing"


@pytest.mark.parametrize("role", ["member", "teacher", "councillor"])
def test_only_officers_and_administrators_see_it(app, client, role):
    user = create_user(roles=[role])
    sign_in(client, user.email, PASSWORD)

    assert get(client, "/officer/data-protection").status == 403


def test_staff_home_links_to_it(app, client):
    create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)

    links = [link["href"] for link in get(client, "/staff").soup.select("main a")]

    assert "/officer/data-protection" in links
