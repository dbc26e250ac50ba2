"""Per-question results: counts, shares, bases and 95% intervals, checked against hand-worked figures."""

import math
from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_results
from epanel.analysis.stats import chi_square, summarise_numbers, wilson_interval
from epanel.extensions import db
from epanel.respond.models import ResponseChannel
from tests.analysis.data import build_consultation, question, respond


def four_responses():
    consultation = build_consultation()
    respond(consultation, {"Q1": "1", "Q2": ["1", "2"], "Q4": 7, "Q5": 30, "Q8": {"1": 1, "2": 2, "3": 3},
                           "Q9": {"1": "5", "2": "4"}, "Q10": "1", "Q6": "lovely"},
            age_band="18-34", gender="Woman", ward="Abbey", panels="citizens")
    respond(consultation, {"Q1": "1", "Q2": ["2"], "Q4": 9, "Q5": 60, "Q8": {"2": 1, "1": 2},
                           "Q9": {"1": "4", "2": "4"}, "Q10": "2"},
            age_band="18-34", gender="Man", ward="Abbey", panels="citizens;youth")
    respond(consultation, {"Q1": "2", "Q2": ["1", "3"], "Q4": 10, "Q8": {"1": 1}, "Q10": "1"},
            age_band="35-54", gender="Woman", ward="Castle", channel=ResponseChannel.PAPER)
    respond(consultation, {"Q1": ("other", "Dog walking"), "Q4": 0, "Q10": "2"},
            age_band="55+", gender="Man", ward="Castle", channel=ResponseChannel.SMS)
    return consultation


def by_label(result):
    return {line.label: line for line in result.lines}


def test_wilson_interval_matches_hand_worked_figures():
    low, high = wilson_interval(2, 4)
    assert (round(low, 4), round(high, 4)) == (0.1500, 0.8500)
    low, high = wilson_interval(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    assert wilson_interval(0, 0) is None


def test_single_choice_counts_shares_and_intervals(app):
    consultation = four_responses()
    results = get_results(consultation, ResponseFilter())

    single = results.find(question(consultation, "Q1").id)
    assert (single.shown, single.answered, single.skipped) == (4, 4, 0)
    lines = by_label(single)
    assert lines["Every day"].count == 2 and lines["Every day"].percent == 50
    assert lines["Every week"].percent == 25 and lines["Less often"].percent == 0
    assert lines["Other"].count == 1
    assert (round(lines["Every day"].low, 2), round(lines["Every day"].high, 2)) == (15.00, 85.00)
    assert results.responses == 4


def test_multiple_choice_shares_are_of_people_and_may_add_up_to_more_than_100(app):
    consultation = four_responses()
    multiple = get_results(consultation, ResponseFilter()).find(question(consultation, "Q2").id)

    assert (multiple.answered, multiple.skipped) == (3, 1)
    lines = by_label(multiple)
    assert lines["Walking"].count == 2 and math.isclose(lines["Walking"].percent, 200 / 3)
    assert lines["Sport"].count == 2 and lines["Play"].count == 1 and lines["Nature"].count == 0
    assert multiple.summary.multiple


def test_rating_and_number_give_mean_median_sd_and_a_distribution(app):
    consultation = four_responses()
    results = get_results(consultation, ResponseFilter())

    rating = results.find(question(consultation, "Q4").id)
    numbers = rating.numbers
    assert numbers.count == 4 and numbers.mean == 6.5 and numbers.median == 8
    assert math.isclose(numbers.sd, math.sqrt(((7 - 6.5) ** 2 + (9 - 6.5) ** 2 + (10 - 6.5) ** 2 + 6.5 ** 2) / 3))
    assert [line.label for line in rating.lines] == ["0", "7", "9", "10"]
    minutes = results.find(question(consultation, "Q5").id)
    assert (minutes.numbers.mean, minutes.answered, minutes.skipped) == (45, 2, 2)


def test_mean_interval_uses_the_t_distribution():
    summary = summarise_numbers([(2, 1), (4, 1), (6, 1)])
    # mean 4, sd 2, n 3: t(0.975, 2) = 4.302653
    assert math.isclose(summary.ci[0], 4 - 4.302653 * 2 / math.sqrt(3), rel_tol=1e-6)


def test_ranking_scores_mean_rank_firsts_and_points(app):
    consultation = four_responses()
    ranking = get_results(consultation, ResponseFilter()).find(question(consultation, "Q8").id)

    scores = {score.label: score for score in ranking.summary.ranks}
    assert scores["Toilets"].ranked == 3 and scores["Toilets"].first == 2
    assert math.isclose(scores["Toilets"].mean_rank, (1 + 2 + 1) / 3)
    assert scores["Toilets"].points == 3 + 2 + 3  # of three options: first scores 3, second 2
    assert scores["Lighting"].first == 1 and scores["Benches"].mean_rank == 3
    assert ranking.answered == 3


def test_grid_rows_summarise_on_the_scale(app):
    consultation = four_responses()
    grid = get_results(consultation, ResponseFilter()).find(question(consultation, "Q9").id)

    rows = {label: (base, {line.label: line.count for line in lines}) for _code, label, base, lines in grid.grid}
    assert rows["Cleanliness"][0] == 2 and rows["Cleanliness"][1]["Strongly agree"] == 1
    assert rows["Safety"][1]["Agree"] == 2
    assert "<svg" in grid.chart


@pytest.mark.parametrize("args, expected", [
    ({"channel": "paper"}, 1),
    ({"age_band": "18-34"}, 2),
    ({"gender": "Man"}, 2),
    ({"ward": "Castle"}, 2),
    ({"panel": "youth"}, 1),
    ({"panel": "citizens"}, 2),
    ({"panel": "cit"}, 0),
])
def test_filters_narrow_the_responses(app, args, expected):
    consultation = four_responses()
    assert get_results(consultation, ResponseFilter.from_args(MultiDict(args))).responses == expected


def test_partial_responses_and_date_ranges(app):
    consultation = four_responses()
    respond(consultation, {"Q1": "3"}, partial=True)
    respond(consultation, {"Q1": "3"}, submitted_at=datetime(2026, 4, 1, 9, tzinfo=UTC))

    assert get_results(consultation, ResponseFilter()).responses == 5
    assert get_results(consultation, ResponseFilter(status="partial")).responses == 1
    assert get_results(consultation, ResponseFilter(status="all")).responses == 6
    assert get_results(consultation, ResponseFilter(date_from=date(2026, 4, 1))).responses == 1
    assert get_results(consultation, ResponseFilter(date_to=date(2026, 3, 31))).responses == 4


def test_group_responses_can_be_left_out_or_shown_alone(app):
    consultation = four_responses()
    respond(consultation, {"Q1": "3"}, channel=ResponseChannel.GROUP)

    assert get_results(consultation, ResponseFilter(groups="exclude")).responses == 4
    assert get_results(consultation, ResponseFilter(groups="only")).responses == 1


def test_a_show_only_if_question_counts_as_shown_only_to_those_it_was_shown_to(app):
    consultation = build_consultation(kinds=[("yes_no", "Do you have a dog?", {}),
                                              ("single", "Where do you walk it?", {"choices": ["Park", "Street"]})])
    second = question(consultation, "Q2")
    second.condition = {"question_id": question(consultation, "Q1").id, "option_codes": ["1"]}
    db.session.commit()
    respond(consultation, {"Q1": "1", "Q2": "1"})
    respond(consultation, {"Q1": "1"})
    respond(consultation, {"Q1": "2"})

    result = get_results(consultation, ResponseFilter()).find(second.id)
    assert (result.shown, result.answered, result.skipped) == (2, 1, 1)


def test_chi_square_matches_scipy():
    from scipy.stats import chi2_contingency

    table = [[20, 15], [30, 35], [10, 40]]
    ours = chi_square(table)
    theirs = chi2_contingency(table, correction=False)
    assert math.isclose(ours.p_value, theirs.pvalue) and ours.dof == 2
    assert chi_square([[5, 0], [0, 0]]) is None
