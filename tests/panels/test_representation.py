"""Population targets (typed and uploaded) and the "who is missing" comparison of each panel."""

import io
from datetime import date

import pytest
from sqlalchemy import event

from epanel.extensions import db
from epanel.panels import outreach
from epanel.panels.models import MemberStatus, TargetDimension
from epanel.panels.outreach import CategoryShare
from tests.factories import PASSWORD, create_member, create_panel, create_user
from tests.pages import get, path_of, sign_in, submit

TODAY = date(2026, 6, 15)
CENSUS = "Census 2021"
AGE_TARGETS = {"11-15": 0.05, "16-17": 0.05, "18-24": 0.10, "25-34": 0.20, "35-44": 0.20,
               "45-54": 0.15, "55-64": 0.10, "65-74": 0.10, "75+": 0.05}


def sign_in_as_officer(client):
    officer = create_user("officer@example.org", roles=["officer"])
    sign_in(client, "officer@example.org", PASSWORD)
    return officer


def set_targets(dimension, shares, source=CENSUS):
    outreach.set_population_targets(dimension, shares, source, actor=None)


def rows_by_category(report):
    return {row.category: row for row in report.rows}


def citizens_with_ten_active_members():
    """Ten active members whose figures the tests below work out by hand, plus two who must not count."""
    citizens = create_panel("citizens", "Citizens' Panel", min_age=18)
    people = [
        (date(1995, 1, 1), "Woman", "Abbey"), (date(1995, 1, 1), "Man", "Abbey"),
        (date(1995, 1, 1), "Man", "Abbey"), (date(1995, 1, 1), "Man", "Brookside"),
        (date(1985, 1, 1), "Woman", "Abbey"), (date(1985, 1, 1), "Man", "Brookside"),
        (date(1975, 1, 1), "Woman", "Brookside"), (date(1975, 1, 1), "Man", "Abbey"),
        (date(1965, 1, 1), "Prefer not to say", "Castle Hill"), (None, None, None),
    ]
    for born, gender, ward in people:
        create_member([citizens], date_of_birth=born, gender=gender, ward=ward)
    create_member([citizens], date_of_birth=date(2006, 1, 1), gender="Woman", ward="Abbey",
                  status=MemberStatus.PAUSED)
    create_member([create_panel()], date_of_birth=date(2006, 1, 1), gender="Woman", ward="Abbey")
    set_targets(TargetDimension.AGE_BAND, AGE_TARGETS)
    set_targets(TargetDimension.GENDER, {"Woman": 0.50, "Man": 0.48, "Non-binary": 0.02})
    set_targets(TargetDimension.WARD, {"Abbey": 0.60, "Brookside": 0.40})
    return citizens


def test_age_bands_are_compared_within_the_panels_ages_with_targets_scaled_to_100(app):
    citizens = citizens_with_ten_active_members()

    age, _, _ = outreach.get_panel_representation(citizens, TODAY).dimensions

    assert age.known == 9 and age.not_known == 1
    rows = rows_by_category(age)
    assert list(rows) == ["18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
    assert [rows[band].count for band in rows] == [0, 4, 2, 2, 1, 0, 0]
    # The adult bands' targets add up to 90%, so each is scaled by 100/90.
    assert rows["18-24"].target == pytest.approx(10 / 90)
    assert rows["25-34"].share == pytest.approx(4 / 9)
    assert rows["18-24"].difference_points == pytest.approx(-11.111111)
    assert [band for band, row in rows.items() if row.under_represented] == ["18-24", "65-74", "75+"]
    # 2 more 18-24s make 2 of 11 (18.2%), above 11.1%; 1 more would be 1 of 10 (10%), still below.
    assert age.members_needed(rows["18-24"]) == 2
    assert age.members_needed(rows["75+"]) == 1
    assert age.members_needed(rows["25-34"]) is None


def test_gender_shares_leave_out_members_who_did_not_say(app):
    citizens = citizens_with_ten_active_members()

    _, gender, _ = outreach.get_panel_representation(citizens, TODAY).dimensions

    assert gender.known == 8 and gender.not_known == 2
    rows = rows_by_category(gender)
    assert [(row.category, row.count) for row in gender.rows] == [("Woman", 3), ("Man", 5), ("Non-binary", 0)]
    assert rows["Woman"].share == 3 / 8
    assert rows["Woman"].under_represented  # 37.5% is below 80% of 50% and 12.5 points short
    assert gender.members_needed(rows["Woman"]) == 2  # 5 of 10 is 50%
    assert rows["Man"].difference_points == pytest.approx(14.5)
    assert not rows["Man"].under_represented
    assert rows["Non-binary"].under_represented  # exactly 2 points short counts
    assert gender.sources == [CENSUS]


def test_wards_without_a_target_are_shown_but_not_flagged(app):
    citizens = citizens_with_ten_active_members()

    _, _, ward = outreach.get_panel_representation(citizens, TODAY).dimensions

    rows = rows_by_category(ward)
    assert [(row.category, row.count, row.target) for row in ward.rows] == [
        ("Abbey", 5, 0.60), ("Brookside", 3, 0.40), ("Castle Hill", 1, None),
    ]
    # Brookside is 6.7 points short, but 33.3% is not below 80% of 40% (32%).
    assert not rows["Brookside"].under_represented
    assert not rows["Castle Hill"].under_represented and rows["Castle Hill"].difference_points is None


def test_a_youth_panel_is_compared_on_its_own_age_bands_counting_birthdays_today(app):
    youth = create_panel("youth", "Youth Panel", min_age=11, max_age=25)
    for born in (date(2013, 1, 1), date(2013, 1, 1), date(2009, 6, 15), date(2001, 6, 16), date(2001, 6, 15)):
        create_member([youth], date_of_birth=born)
    set_targets(TargetDimension.AGE_BAND, AGE_TARGETS)

    age = outreach.get_panel_representation(youth, TODAY).dimensions[0]

    rows = rows_by_category(age)
    # 17 today, 24 until tomorrow, and 25 today: 25-34 reaches past the panel's ages, so is not compared.
    assert [(band, row.count) for band, row in rows.items()] == [("11-15", 2), ("16-17", 1), ("18-24", 1), ("25-34", 1)]
    assert age.known == 4
    assert [rows[band].target for band in ("11-15", "16-17", "18-24")] == pytest.approx([0.25, 0.25, 0.5])
    assert rows["25-34"].share is None and rows["25-34"].target is None
    assert [band for band, row in rows.items() if row.under_represented] == ["18-24"]
    assert age.members_needed(rows["18-24"]) == 2


@pytest.mark.parametrize(("share", "target", "flagged"), [
    (0.08, 0.10, False),     # exactly 80% of the target
    (0.0799, 0.10, True),    # just under 80%, 2.01 points short
    (0.03, 0.049, False),    # under 80% but only 1.9 points short
    (0.0, 0.02, True),       # none at all, exactly 2 points short
    (0.25, 0.20, False),     # above the target
])
def test_the_under_represented_rule_needs_both_a_big_ratio_and_two_points(share, target, flagged):
    assert CategoryShare("any", 1, share, target).under_represented is flagged


def test_a_panel_without_targets_or_members_flags_nobody(app):
    panel = create_panel()

    representation = outreach.get_panel_representation(panel, TODAY)

    assert representation.active_members == 0
    assert representation.under_represented == []
    assert all(row.target is None and row.share is None for report in representation.dimensions for row in report.rows)


def test_the_comparison_takes_the_same_few_queries_however_many_members(app):
    citizens = citizens_with_ten_active_members()
    statements = []

    def count(*args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        outreach.get_panel_representation(citizens, TODAY)
        with_ten = len(statements)
        for _ in range(20):
            create_member([citizens], gender="Woman", ward="Abbey")
        statements.clear()
        outreach.get_panel_representation(citizens, TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) == with_ten <= 5


def test_the_who_is_missing_page_shows_the_figures_and_the_rule(client):
    citizens_with_ten_active_members()
    sign_in_as_officer(client)

    page = get(client, "/officer/panels/citizens/who-is-missing")

    assert page.status == 200
    assert page.heading == "Who is missing"
    assert "Gender Woman: 37.5% of the panel against 50.0% of the population" in page.text
    assert "below 80% of its share of the population and at least 2 percentage points short" in page.text
    gender_table = page.soup.find("div", attrs={"aria-label": "Gender"})
    cells = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
             for row in gender_table.select("tbody tr")}
    assert cells["Woman"] == ["3", "37.5%", "50.0%", "-12.5", "2", "Yes"]
    assert cells["Man"] == ["5", "62.5%", "48.0%", "+14.5", "–", "No"]
    assert cells["Not known"][:2] == ["2", "Left out"]
    assert "Source: Census 2021" in page.text


def test_an_unknown_panel_has_no_who_is_missing_page(client):
    sign_in_as_officer(client)

    assert get(client, "/officer/panels/nowhere/who-is-missing").status == 404


# --- entering targets ---------------------------------------------------------------


def test_officer_enters_gender_targets_and_sees_them_listed(client):
    sign_in_as_officer(client)
    form = get(client, "/officer/population-targets/gender/edit")
    assert [label.get_text(strip=True) for label in form.soup.select("fieldset label")] == [
        "Woman", "Man", "Non-binary", "I describe myself another way"]

    page = submit(client, "/officer/population-targets/gender/edit", {
        "source": "Census 2021, ONS", "share_0": "51", "share_1": "48.9%", "share_2": " 0.1 ",
    })

    assert path_of(page.location) == "/officer/population-targets"
    listing = get(client, "/officer/population-targets")
    assert listing.banners == ["Gender targets saved: 3 categories"]
    table = listing.soup.find("div", attrs={"aria-label": "Gender targets"})
    assert [[cell.get_text(strip=True) for cell in row.select("th, td")] for row in table.select("tbody tr")] == [
        ["Woman", "51.0%", "Census 2021, ONS"], ["Man", "48.9%", "Census 2021, ONS"],
        ["Non-binary", "0.1%", "Census 2021, ONS"], ["Total", "100.0%", ""],
    ]
    assert listing.soup.select(".govuk-warning-text") == []
    again = get(client, "/officer/population-targets/gender/edit")
    assert again.soup.find("input", attrs={"name": "share_1"})["value"] == "48.9"


def test_bad_shares_are_refused_with_a_message_for_each_and_what_was_typed_is_kept(client):
    sign_in_as_officer(client)

    page = submit(client, "/officer/population-targets/gender/edit", {
        "source": "", "share_0": "about half", "share_1": "120", "share_2": "0.5",
    })

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == [
        "Enter the source of these figures, like Census 2021",
        "Enter the share for Woman as a percentage from 0 to 100, like 12.5",
        "Enter the share for Man as a percentage from 0 to 100, like 12.5",
    ]
    assert [page.soup.find("input", attrs={"name": f"share_{i}"})["value"] for i in range(3)] == [
        "about half", "120", "0.5"]
    assert outreach.list_population_targets()[TargetDimension.GENDER] == []


def test_shares_that_do_not_add_up_to_100_are_saved_with_a_warning(client):
    sign_in_as_officer(client)

    submit(client, "/officer/population-targets/gender/edit", {"source": CENSUS, "share_0": "40", "share_1": "40"})

    listing = get(client, "/officer/population-targets")
    (warning,) = [w.get_text(" ", strip=True) for w in listing.soup.select(".govuk-warning-text")]
    assert "Gender shares add up to 80.0%, not 100%" in warning


def test_officer_adds_a_ward_by_name_and_a_half_filled_row_is_refused(client):
    sign_in_as_officer(client)
    set_targets(TargetDimension.WARD, {"Abbey": 0.5})

    refused = submit(client, "/officer/population-targets/ward/edit", {
        "source": CENSUS, "share_0": "50", "new_category_0": "Harbour", "new_share_0": "",
        "new_category_1": "", "new_share_1": "10", "new_category_2": "abbey", "new_share_2": "5",
    })
    assert refused.error_summary == [
        "Enter the share for Harbour, like 12.5",
        "Enter the name of the ward for this share",
        "abbey is already in the list: enter its share there",
    ]
    assert refused.soup.find("input", attrs={"name": "new_category_0"})["value"] == "Harbour"

    submit(client, "/officer/population-targets/ward/edit", {
        "source": CENSUS, "share_0": "50", "new_category_0": "Harbour", "new_share_0": "50",
    })
    targets = outreach.list_population_targets()[TargetDimension.WARD]
    assert [(t.category, t.share) for t in targets] == [("Abbey", 0.5), ("Harbour", 0.5)]


def test_clearing_every_share_removes_the_dimensions_targets(client):
    sign_in_as_officer(client)
    set_targets(TargetDimension.GENDER, {"Woman": 0.5, "Man": 0.5})

    submit(client, "/officer/population-targets/gender/edit",
           {"source": "", "share_0": "", "share_1": "", "share_2": "", "share_3": ""})

    assert outreach.list_population_targets()[TargetDimension.GENDER] == []


# --- uploading targets ---------------------------------------------------------------


def upload(client, content: bytes, filename="targets.csv"):
    return submit(client, "/officer/population-targets/upload", {"file": (io.BytesIO(content), filename)})


def test_officer_uploads_targets_as_excel_saves_them(client):
    sign_in_as_officer(client)
    set_targets(TargetDimension.WARD, {"Abbey": 1.0})
    content = (
        "\ufeffShare,Dimension,Category,Source\r\n"
        "9.3,age_band,18-24,Census 2021\r\n"
        "90.7%,Age band,25-34,Census 2021\r\n"
        "51,gender,woman,Census 2021\r\n"
        "49,GENDER,Man,Census 2021\r\n"
        ",,,\r\n"
    ).encode("utf-8")

    page = upload(client, content)

    assert path_of(page.location) == "/officer/population-targets"
    assert get(client, "/officer/population-targets").banners == [
        "4 population targets uploaded for age band and gender"]
    targets = outreach.list_population_targets()
    assert [(t.category, round(t.share, 4)) for t in targets[TargetDimension.AGE_BAND]] == [
        ("18-24", 0.093), ("25-34", 0.907)]
    assert [t.category for t in targets[TargetDimension.GENDER]] == ["Woman", "Man"]
    assert [t.category for t in targets[TargetDimension.WARD]] == ["Abbey"]  # not in the file: kept


def test_a_file_of_proportions_adding_up_to_one_is_read_as_proportions(app):
    content = b"dimension,category,share,source\ngender,Woman,0.51,ONS\ngender,Man,0.49,ONS\n"

    rows = outreach.read_population_targets_csv(content)

    assert [(row.category, row.share) for row in rows] == [("Woman", 0.51), ("Man", 0.49)]


def test_the_census_female_and_male_are_read_as_woman_and_man(app):
    content = b"dimension,category,share,source\ngender,Female,51,Census 2021\ngender,MALE,49,Census 2021\n"

    rows = outreach.read_population_targets_csv(content)

    assert [row.category for row in rows] == ["Woman", "Man"]


def test_ward_names_in_a_file_take_the_spelling_members_have(app):
    create_member(ward="Castle Hill")

    (row,) = outreach.read_population_targets_csv(b"dimension,category,share,source\nward,castle  hill,100,ONS\n")

    assert row.category == "Castle Hill"


def test_a_file_with_bad_rows_lists_every_problem_and_changes_nothing(client):
    sign_in_as_officer(client)
    set_targets(TargetDimension.GENDER, {"Woman": 0.5, "Man": 0.5})
    content = (
        b"dimension,category,share,source\n"
        b"gender,Woman,51,Census 2021\n"
        b"\n"
        b"gender,Prefer not to say,49,Census 2021\n"
        b"age_band,12-15,5,Census 2021\n"
        b"religion,None,30,Census 2021\n"
        b"ward,Abbey,lots,Census 2021\n"
        b"ward,Brookside,150,Census 2021\n"
        b"ward,Harbour,10,\n"
        b"gender,woman,1,Census 2021\n"
    )

    page = upload(client, content)

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert page.error_summary == ["The file has 7 problems: fix them and upload it again"]
    problems = [item.get_text(" ", strip=True) for item in page.soup.select("#file-problems li")]
    assert problems == [
        "Row 4: Prefer not to say is not one of the gender answers members give: Woman, Man, Non-binary, "
        "I describe myself another way",
        "Row 5: 12-15 is not one of the age bands: 11-15, 16-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65-74, 75+",
        "Row 6: dimension must be age_band, gender or ward, not religion",
        "Row 7: the share for Abbey must be a percentage from 0 to 100, like 12.5",
        "Row 8: the share for Brookside must be a percentage from 0 to 100, like 12.5",
        "Row 9: enter the source of the share for Harbour, like Census 2021",
        "Row 10: gender Woman appears more than once",
    ]
    targets = outreach.list_population_targets()[TargetDimension.GENDER]
    assert [(t.category, t.share) for t in targets] == [("Woman", 0.5), ("Man", 0.5)]


@pytest.mark.parametrize(("content", "message"), [
    (b"category,share\nWoman,51\n",
     "The file needs the columns dimension, category, share and source; it has no dimension or source column"),
    (b"dimension,category,share,source\n", "The file has no rows of targets"),
    ("dimension,category,share,source\ngender,Woman,51,Recensement\u00e9\n".encode("cp1252"),
     "The file must be a CSV file saved as UTF-8"),
])
def test_a_file_that_cannot_be_read_says_why(client, content, message):
    sign_in_as_officer(client)

    page = upload(client, content)

    assert page.error_summary == [message]


def test_a_file_over_a_megabyte_is_refused_unread(app):
    # Through the operation: Werkzeug's test client leaves a large request body's spool file open.
    content = b"dimension,category,share,source\n" + b"ward,Abbey,1,Census 2021\n" * 50_000

    with pytest.raises(outreach.TargetsFileError) as refused:
        outreach.upload_population_targets(content, actor=None)

    assert refused.value.problems == [
        "The file must be smaller than 1 MB: a file of targets has one short row per category"]


def test_uploading_without_choosing_a_file_asks_for_one(client):
    sign_in_as_officer(client)

    page = submit(client, "/officer/population-targets/upload", {})

    assert page.error_summary == ["Choose a CSV file of population targets"]


@pytest.mark.parametrize("url", ["/officer/population-targets", "/officer/population-targets/upload",
                                 "/officer/population-targets/age-band/edit",
                                 "/officer/panels/citizens/who-is-missing"])
def test_targets_and_who_is_missing_are_for_officers_only(client, url):
    create_panel("citizens", "Citizens' Panel")
    assert path_of(get(client, url).location).startswith("/sign-in?next=")

    create_user("member@example.org", roles=["member"])
    sign_in(client, "member@example.org", PASSWORD)

    assert get(client, url).status == 403


def test_an_unknown_dimension_has_no_edit_page(client):
    sign_in_as_officer(client)

    assert get(client, "/officer/population-targets/religion/edit").status == 404
