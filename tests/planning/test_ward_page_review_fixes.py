"""Review fix for the councillor's ward page: its queries do not grow with the number of consultations,
and it lists consultations opened in the last two years, newest first."""

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, update

from epanel.common.time import utcnow
from epanel.consultations.models import Consultation
from epanel.extensions import db
from tests.factories import PASSWORD, create_invitation, create_member, create_panel
from tests.pages import get, sign_in
from tests.planning.community_helpers import answer, make_consultation, make_councillor


@contextmanager
def counting_statements():
    counted = []

    def count(*_args):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def ward_page_statements(client, consultations: int) -> int:
    for number in range(consultations):
        consultation = make_consultation(f"Consultation {number}")
        answer(consultation, 10, ward="Oakfield")
    db.session.expire_all()
    with counting_statements() as counted:
        page = get(client, "/councillor/wards/Oakfield")
    assert page.status == 200
    return len(counted)


def test_the_ward_page_runs_as_many_queries_for_twelve_consultations_as_for_two(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    sign_in(client, councillor.email, PASSWORD)
    two = ward_page_statements(client, 2)
    twelve = ward_page_statements(client, 10)  # ten more: twelve in all

    assert twelve == two
    assert twelve <= 20, twelve


def test_the_ward_page_gives_figures_and_rates_and_leaves_out_consultations_over_two_years_old(app, client):
    councillor = make_councillor(wards=("Oakfield",))
    old = make_consultation("Bus routes 2023")
    answer(old, 12, ward="Oakfield")
    db.session.execute(update(Consultation).where(Consultation.id == old.id)
                       .values(opens_at=utcnow() - timedelta(days=800)))
    db.session.commit()
    recent = make_consultation("Library opening hours")
    panel = create_panel()
    invited = [create_invitation(recent, create_member([panel], ward="Oakfield"))[0] for _ in range(20)]
    for invitation in invited[:10]:
        answer(recent, ward="Oakfield", invitation_id=invitation.id)
    answer(recent, 2, ward="Oakfield")
    quiet = make_consultation("Parks")
    answer(quiet, 3, ward="Oakfield")
    sign_in(client, councillor.email, PASSWORD)

    page = get(client, "/councillor/wards/Oakfield")

    rows = [[cell.get_text(" ", strip=True) for cell in row.select("th, td")]
            for row in page.soup.select("tbody tr")]
    assert [row[0] for row in rows] == ["Parks", "Library opening hours"]
    assert rows[0][2:] == ["Fewer than 10", "–"]
    assert rows[1][2:] == ["12", "50%"]  # 10 of the 20 invited in Oakfield
    assert "Bus routes 2023" not in page.text
