"""Tracked sign-up links, their posters and QR codes, and what they bring in."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from epanel.common.time import utcnow
from epanel.extensions import db
from epanel.panels import outreach
from epanel.panels.models import (
    Group,
    Member,
    MemberSource,
    MemberStatus,
    PopulationTarget,
    RecruitmentKind,
    RecruitmentLink,
    TargetDimension,
)
from epanel.panels.operations import PanelError
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit

TODAY = date(2026, 6, 15)


def sign_in_as_officer(client):
    officer = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return officer


def create_link(name="Central Library", kind=RecruitmentKind.LIBRARY, **details):
    return outreach.create_recruitment_link(name, kind, **details)


def on(day: date, hour=12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def value_of(page, name):
    return page.soup.find(attrs={"name": name}).get("value", "")


# --- links, posters and QR codes --------------------------------------------------


def test_officer_creates_a_link_and_gets_a_poster_with_its_qr_code(client):
    create_panel("citizens", "Citizens' Panel")
    sign_in_as_officer(client)

    page = submit(client, "/officer/recruitment/new", {"name": "Central Library", "kind": "library",
                                                       "panel": "citizens", "code": ""})

    assert path_of(page.location) == "/officer/recruitment/central-library/poster"
    poster = get(client, "/officer/recruitment/central-library/poster")
    assert poster.banners == ["Link created for Central Library"]
    assert poster.heading == "Have your say"
    assert "Join Citizens' Panel" in poster.text
    assert poster.soup.select_one(".govuk-heading-l").get_text() == "localhost/join/from/central-library"
    assert "http://localhost/join/from/central-library" in poster.text
    qr = poster.soup.select_one("[role=img] svg")
    assert qr.parent["aria-label"] == "QR code that opens localhost/join/from/central-library"
    assert qr.has_attr("viewbox") and not qr.has_attr("width")
    assert "style=" not in str(qr)
    downloads = [a["href"] for a in poster.soup.select("a[download]")]
    assert downloads == ["/officer/recruitment/central-library/qr.svg", "/officer/recruitment/central-library/qr.png"]


def test_the_leaflet_carries_the_same_qr_code_and_short_address(client):
    create_link()
    sign_in_as_officer(client)

    leaflet = get(client, "/officer/recruitment/central-library/leaflet")

    assert leaflet.status == 200
    assert "Join our residents' panels" in leaflet.text
    assert "localhost/join/from/central-library" in leaflet.text
    assert "style=" not in str(leaflet.soup.select_one("[role=img] svg"))


def test_the_qr_code_downloads_as_svg_and_png(client):
    create_link()
    sign_in_as_officer(client)

    svg = client.get("/officer/recruitment/central-library/qr.svg")
    png = client.get("/officer/recruitment/central-library/qr.png")

    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Content-Disposition"] == 'attachment; filename="central-library-qr-code.svg"'
    assert svg.get_data(as_text=True).startswith("<svg") and b"style=" not in svg.get_data()
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.get_data().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["Content-Disposition"] == 'attachment; filename="central-library-qr-code.png"'


def test_a_link_without_a_name_or_kind_is_refused_and_what_was_typed_is_kept(client):
    create_panel("youth", "Youth Panel")
    sign_in_as_officer(client)

    page = submit(client, "/officer/recruitment/new", {"name": " ", "panel": "youth", "code": "Library_1!"})

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Enter where or with whom the link will be used, like Central Library",
        "Select the kind of place or partner",
        "The short code must be 3 to 40 letters, numbers and hyphens, like central-library",
    ]
    assert value_of(page, "code") == "Library_1!"
    assert page.soup.find("input", attrs={"name": "panel", "value": "youth"}).has_attr("checked")
    assert outreach.list_recruitment_links() == []


def test_a_short_code_already_in_use_is_refused(client):
    create_link(code="library")
    sign_in_as_officer(client)

    page = submit(client, "/officer/recruitment/new", {"name": "Mobile library", "kind": "library",
                                                       "panel": "", "code": "LIBRARY"})

    assert page.error_summary == ["The short code library is already used by another link"]
    assert value_of(page, "name") == "Mobile library"


def test_codes_made_from_names_are_unique_and_fit_in_a_web_address(app):
    first = create_link("Central Library")
    second = create_link("Central Library")
    odd = create_link("Ça & Co!", RecruitmentKind.OTHER)

    assert [first.code, second.code, odd.code] == ["central-library", "central-library-2", "a-co"]
    with pytest.raises(PanelError, match="short code"):
        create_link(code="no spaces please")


def test_a_tracked_link_remembers_its_source_and_sends_people_to_sign_up(client):
    link = create_link()

    response = client.get("/join/from/CENTRAL-LIBRARY")

    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/join"
    with client.session_transaction() as session:
        assert session[outreach.RECRUITMENT_SESSION_KEY] == link.id
    assert outreach.RECRUITMENT_SESSION_KEY == "recruitment_link_id"


def test_an_unknown_tracked_link_is_not_found_and_remembers_nothing(client):
    response = client.get("/join/from/nowhere")

    assert response.status_code == 404
    with client.session_transaction() as session:
        assert outreach.RECRUITMENT_SESSION_KEY not in session


@pytest.mark.parametrize("url", ["/officer/recruitment", "/officer/recruitment/new",
                                 "/officer/recruitment/central-library/poster",
                                 "/officer/recruitment/central-library/leaflet",
                                 "/officer/recruitment/central-library/qr.svg",
                                 "/officer/recruitment/central-library/qr.png"])
def test_recruitment_pages_are_for_officers_only(client, url):
    create_link()
    assert path_of(get(client, url).location).startswith("/sign-in?next=")

    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    assert get(client, url).status == 403


def test_a_poster_for_an_unknown_link_is_not_found(client):
    sign_in_as_officer(client)

    assert get(client, "/officer/recruitment/nowhere/poster").status == 404


# --- what the links bring in -----------------------------------------------------------


def recruitment_history():
    """Sign-ups through two links and otherwise; women are under-represented on the Citizens' Panel."""
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    library = create_link("Central Library", panel=citizens)
    youth_service = create_link("Youth service", RecruitmentKind.YOUTH_SERVICE)
    create_link("Harbour Community Centre", RecruitmentKind.COMMUNITY_CENTRE)
    people = [  # gender, status, link, created, confirmed, source
        ("Woman", MemberStatus.ACTIVE, library, date(2026, 6, 2), date(2026, 6, 3), MemberSource.SIGN_UP),
        ("Man", MemberStatus.ACTIVE, library, date(2026, 5, 30), date(2026, 6, 1), MemberSource.SIGN_UP),
        ("Woman", MemberStatus.PENDING, library, date(2026, 5, 10), None, MemberSource.SIGN_UP),
        ("Man", MemberStatus.ACTIVE, library, date(2025, 5, 20), None, MemberSource.SIGN_UP),
        ("Woman", MemberStatus.ACTIVE, youth_service, date(2026, 1, 15), date(2026, 1, 16), MemberSource.SIGN_UP),
        ("Man", MemberStatus.ACTIVE, None, date(2026, 6, 5), date(2026, 6, 5), MemberSource.SIGN_UP),
        ("Man", MemberStatus.ACTIVE, None, date(2026, 6, 5), None, MemberSource.IMPORT),
        ("Man", MemberStatus.ACTIVE, None, date(2024, 1, 1), None, MemberSource.PAPER),
    ]
    for gender, status, link, created, confirmed, source in people:
        create_member([citizens], gender=gender, status=status, source=source,
                      recruitment_link_id=link.id if link else None, created_at=on(created),
                      confirmed_at=on(confirmed) if confirmed else None)
    outreach.set_population_targets(TargetDimension.GENDER, {"Woman": 0.5, "Man": 0.5}, "Census 2021", None)
    return citizens


def test_sign_ups_and_activations_are_counted_by_source(app):
    recruitment_history()

    report = outreach.get_recruitment_report(TODAY)

    assert [(s.link.name, s.sign_ups, s.activated) for s in report.sources] == [
        ("Central Library", 4, 2), ("Youth service", 1, 1), ("Harbour Community Centre", 0, 0),
    ]


def test_sign_ups_and_activations_are_counted_by_month_for_the_last_12_months(app):
    recruitment_history()

    months = outreach.get_recruitment_report(TODAY).months

    assert [month.month for month in months][::11] == [date(2025, 7, 1), date(2026, 6, 1)]
    assert len(months) == 12
    counts = {m.month: (m.tracked_sign_ups, m.activated, m.other_sign_ups) for m in months}
    # May's library sign-up activated in June; the import and the paper member are not sign-ups.
    assert counts[date(2026, 6, 1)] == (1, 2, 1)
    assert counts[date(2026, 5, 1)] == (2, 0, 0)
    assert counts[date(2026, 1, 1)] == (1, 1, 0)
    assert sum(sum(value) for value in counts.values()) == 8


def test_sign_ups_from_under_represented_groups_are_counted_with_their_sources(app):
    citizens = recruitment_history()

    report = outreach.get_recruitment_report(TODAY)

    # 2 of the 7 active members are women (28.6% against 50%).
    (group,) = report.groups
    assert (group.panel, group.dimension, group.category) == (citizens, TargetDimension.GENDER, "Woman")
    assert (group.sign_ups, group.activated) == (3, 2)
    assert group.top_sources == [("Central Library", 2), ("Youth service", 1)]


def test_the_recruitment_page_shows_sources_months_and_who_is_missing(client):
    citizens = create_panel("citizens", "Citizens' Panel")
    link = create_link(panel=citizens)
    create_member([citizens], gender="Man", recruitment_link_id=link.id, created_at=utcnow() - timedelta(days=1),
                  confirmed_at=utcnow())
    create_member([citizens], gender="Man")
    outreach.set_population_targets(TargetDimension.GENDER, {"Woman": 0.5, "Man": 0.5}, "Census 2021", None)
    sign_in_as_officer(client)

    page = get(client, "/officer/recruitment")

    assert page.status == 200
    assert page.heading == "Recruitment"
    sources = page.soup.find("div", attrs={"aria-label": "Sign-ups by source"})
    row = sources.select_one("tbody tr")
    assert [cell.get_text(strip=True) for cell in row.select("th, td")][:5] == [
        "Central Library", "Library", "Citizens' Panel", "1", "1"]
    missing = page.soup.find("div", attrs={"aria-label": "Who is missing from each panel"})
    assert "Gender Woman" in missing.get_text()
    this_month = date.today().strftime("%B %Y")
    assert page.soup.find("div", attrs={"aria-label": "Sign-ups by month"}).find("th", string=this_month)
    groups = page.soup.find("div", attrs={"aria-label": "Sign-ups from under-represented groups"})
    assert [td.get_text(strip=True) for td in groups.select("tbody td")][1:] == ["0", "0", "None yet"]


# --- demo data ------------------------------------------------------------------------


def test_the_demo_gets_groups_census_targets_tracked_links_and_someone_missing(app):
    rng = random.Random(7)
    panels = [create_panel("citizens", "Citizens' Panel", min_age=18),
              create_panel("youth", "Youth Panel", min_age=11, max_age=25),
              create_panel("community-groups", "Community Groups")]
    for number in range(60):
        create_member([panels[0]], email=f"demo{number}@example.org", ward=rng.choice(["Abbey", "Harbour"]),
                      date_of_birth=date(1950 + number % 50, 1, 1), gender=rng.choice(["Woman", "Man"]))

    outreach.load_demo_groups_targets_and_recruitment(rng, panels)

    assert db.session.scalar(select(func.count(Group.id))) == 8
    assert len(outreach.list_public_groups()) == 5
    assert all(summary.contacts >= 1 for summary in outreach.list_groups())
    targets = outreach.list_population_targets()
    assert not any(outreach.total_is_off(rows) for rows in targets.values())
    assert len(targets[TargetDimension.WARD]) == 10
    assert db.session.scalar(select(func.count(RecruitmentLink.id))) == 6
    linked = db.session.scalar(select(func.count(Member.id)).where(Member.recruitment_link_id.is_not(None)))
    assert 10 <= linked <= 50
    assert outreach.get_panel_representation(panels[0]).under_represented
    assert db.session.scalar(select(func.count(PopulationTarget.id))) == 23
