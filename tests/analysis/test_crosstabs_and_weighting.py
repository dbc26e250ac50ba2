"""Crosstabs with chi-square, and raking to population targets."""

import math

import numpy as np
from scipy.stats import chi2_contingency

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_crosstab, get_results
from epanel.analysis.weighting import compute_weighting, rake
from epanel.extensions import db
from epanel.panels.models import PopulationTarget, TargetDimension
from tests.analysis.data import build_consultation, question, respond

TWO_QUESTIONS = [("yes_no", "Do you have a dog?", {}),
                 ("single", "How often do you visit?", {"choices": ["Often", "Rarely"]})]


def crosstab_data():
    consultation = build_consultation(kinds=TWO_QUESTIONS)
    # Women: 6 yes, 2 no; men: 2 yes, 6 no; one man of unknown age.
    for gender, answer, times in (("Woman", "1", 6), ("Woman", "2", 2), ("Man", "1", 2), ("Man", "2", 6)):
        for number in range(times):
            respond(consultation, {"Q1": answer, "Q2": "1" if number % 2 else "2"}, gender=gender,
                    age_band="18-34" if number < 3 else "35+")
    return consultation


def test_crosstab_by_attribute_counts_column_percentages_and_chi_square(app):
    consultation = crosstab_data()
    crosstab = get_crosstab(consultation, question(consultation, "Q1"), "gender", ResponseFilter())

    assert crosstab.count("1", "Woman") == 6 and crosstab.count("2", "Man") == 6
    assert crosstab.percent("1", "Woman") == 75 and crosstab.column_totals == {"Man": 8, "Woman": 8}
    expected = chi2_contingency([[2, 6], [6, 2]], correction=False)
    assert math.isclose(crosstab.test.p_value, expected.pvalue)
    assert crosstab.test.significant == (expected.pvalue < 0.05)
    assert crosstab.is_small("1", "Man")  # 2 respondents
    assert crosstab.test.small_expected == 4 and not crosstab.test.reliable  # every expected count is 4


def test_crosstab_against_another_question(app):
    consultation = crosstab_data()
    crosstab = get_crosstab(consultation, question(consultation, "Q1"), f"q{question(consultation, 'Q2').id}",
                            ResponseFilter())

    assert [code for code, _ in crosstab.columns] == ["1", "2"]
    assert crosstab.total == 16
    assert crosstab.count("1", "1") + crosstab.count("1", "2") == 8


def set_targets(**dimensions):
    for dimension, shares in dimensions.items():
        for category, share in shares.items():
            db.session.add(PopulationTarget(dimension=TargetDimension(dimension), category=category, share=share,
                                            source="Census 2021"))
    db.session.commit()


def test_raking_meets_every_target_margin(app):
    consultation = crosstab_data()
    set_targets(gender={"Woman": 0.52, "Man": 0.48}, age_band={"18-34": 0.3, "35+": 0.7})

    weighting = compute_weighting(consultation, ResponseFilter())

    assert weighting.converged
    for margin in weighting.margins:
        assert abs(margin.weighted - margin.target) < 1e-6, margin
    assert math.isclose(sum(weighting.counts[c] * weighting.weights[c] for c in weighting.counts), 16)
    squares = sum(weighting.counts[c] * weighting.weights[c] ** 2 for c in weighting.counts)
    assert math.isclose(weighting.design_effect, 16 * squares / 16 ** 2)
    assert math.isclose(weighting.effective_n, 16 / weighting.design_effect)


def test_weighted_results_sit_beside_unweighted(app):
    consultation = crosstab_data()
    set_targets(gender={"Woman": 0.25, "Man": 0.75})
    weighting = compute_weighting(consultation, ResponseFilter())

    result = get_results(consultation, ResponseFilter(), weighting).find(question(consultation, "Q1").id)
    yes = next(line for line in result.lines if line.code == "1")
    assert yes.percent == 50
    # Weighted: women (75% yes) count for a quarter, men (25% yes) for three quarters.
    assert math.isclose(yes.weighted_percent, 0.25 * 75 + 0.75 * 25)
    assert yes.weighted_low < yes.weighted_percent < yes.weighted_high


def test_a_target_category_with_no_respondents_is_warned_about(app):
    consultation = crosstab_data()
    set_targets(gender={"Woman": 0.5, "Man": 0.4, "Non-binary": 0.1})

    weighting = compute_weighting(consultation, ResponseFilter())

    assert any("Non-binary" in warning for warning in weighting.warnings)
    assert weighting.converged


def test_rake_against_a_known_answer_and_trimming_caps_weights():
    cells = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]
    counts = [40, 10, 10, 40]
    result = rake(cells, counts, [{"a": 0.5, "b": 0.5}, {"x": 0.8, "y": 0.2}])
    weighted = np.array(counts) * result.weights
    assert math.isclose(weighted[0] + weighted[2], 80, rel_tol=1e-9)
    assert math.isclose(weighted[0] + weighted[1], 50, rel_tol=1e-9)
    trimmed = rake(cells, counts, [{"a": 0.5, "b": 0.5}, {"x": 0.8, "y": 0.2}], trim=(0.5, 2.0))
    mean = (np.array(counts) * trimmed.weights).sum() / sum(counts)
    assert trimmed.weights.max() <= 2.0 * mean + 1e-9


def test_a_weighted_crosstab_weights_the_counts_but_tests_the_people(app):
    consultation = crosstab_data()
    set_targets(gender={"Woman": 0.25, "Man": 0.75})
    weighting = compute_weighting(consultation, ResponseFilter())

    crosstab = get_crosstab(consultation, question(consultation, "Q1"), "gender", ResponseFilter(), weighting)

    assert math.isclose(crosstab.count("1", "Woman"), 6 * 0.5) and math.isclose(crosstab.count("1", "Man"), 2 * 1.5)
    assert math.isclose(crosstab.test.p_value, chi2_contingency([[2, 6], [6, 2]], correction=False).pvalue)
