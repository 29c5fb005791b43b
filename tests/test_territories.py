"""analysis.territories: a reason or an interval for every territory row, the variances the pooling uses,
and the verdict counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis import stats
from analysis.territories import summary, territory_table


def _frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    """DiD-like rows of one programme by department, and its whole (ungrouped) result."""
    nan = np.nan
    rows = [  # territory, n_treated, n_comparison, n_clusters, effect, low, high, reliability, flags
        ("A", 0, 2, 2, nan, nan, nan, "low", "inference_not_reliable"),
        ("B", 2, 0, 2, nan, nan, nan, "suppressed", "inference_not_reliable"),
        ("C", 3, 3, 6, nan, nan, nan, "suppressed", ""),
        ("D", 2, 1, 3, 0.40, nan, nan, "low", "inference_not_reliable"),
        ("E", 1, 1, 2, 0.10, nan, nan, "low", "inference_not_reliable"),
        ("F", 8, 6, 14, 0.25, 0.05, 0.45, "ok", ""),
        ("G", 5, 5, 10, 0.35, 0.10, 0.60, "ok", ""),
        ("H", 2, 2, 4, 0.30, nan, nan, "low", "inference_not_reliable"),
    ]
    frame = pd.DataFrame(rows, columns=["department", "n_treated", "n_comparison", "n_clusters", "effect_size",
                                        "es_ci_low", "es_ci_high", "reliability", "flags"])
    frame.insert(0, "program", "P")
    frame.insert(1, "country", "CO")
    frame["effect_size_kind"] = "hedges_g"
    whole = pd.DataFrame({"program": ["P"], "country": ["CO"], "n_treated": [23], "n_comparison": [20],
                          "n_clusters": [43], "effect_size": [0.3], "es_ci_low": [0.2], "es_ci_high": [0.4],
                          "effect_size_kind": ["hedges_g"]})
    return frame, whole


def test_every_row_has_an_interval_or_a_reason_and_the_variances_are_stated():
    frame, whole = _frame()
    table = territory_table(frame, "department", whole, higher_is_better=True)
    assert list(table["territory"]) == list("ABCDEFGH")
    assert list(table["reason"]) == ["no_programme_units", "no_comparison_units", "suppressed", "few_units",
                                     "few_units", None, None, "few_units"]
    # own variances: half-width over t with G − 1 degrees of freedom
    g = table.set_index("territory")
    assert g.loc["F", "variance"] == pytest.approx((0.2 / sps.t.ppf(0.975, 13)) ** 2)
    assert g.loc["G", "variance_source"] == "own"
    # too few schools: the programme's variance scaled by the territory's schools
    v_all = (0.1 / sps.t.ppf(0.975, 42)) ** 2
    assert g.loc["D", "variance"] == pytest.approx(v_all * (1 / 2 + 1 / 1) / (1 / 23 + 1 / 20))
    assert g.loc["E", "variance_source"] == "programme"
    # the pooled values are Morris's on the five usable territories; suppressed cells stay empty
    usable = g.loc[list("DEFGH")]
    ref = stats.partial_pool(usable["estimate"], usable["variance"]).frame
    assert usable["pooled"].to_numpy() == pytest.approx(ref["pooled"].to_numpy())
    assert usable["pooled_ci_low"].to_numpy() == pytest.approx(ref["pooled_ci_low"].to_numpy())
    assert g.loc[list("ABC"), "pooled"].isna().all() and g.loc["C", "estimate"] != g.loc["C", "estimate"]
    assert list(g.loc[list("ABC"), "pooled_reason"]) == ["no_programme_units", "no_comparison_units", "suppressed"]
    assert (g["n_pooled"] == 5).all()


def test_verdicts_rest_on_each_territory_s_own_row_and_the_summary_counts_them():
    """The verdict is plain_language.finding on the territory's own row (the rule of Logros and the brief): a
    territory with an estimate but no interval of its own is "not enough evidence" however its pooled interval
    reads, and the pooled estimate never makes a verdict."""
    frame, whole = _frame()
    table = territory_table(frame, "department", whole, higher_is_better=True).set_index("territory")
    # F and G: own intervals above zero, reliability ok → achieved; D, E, H: no interval → not enough (low)
    assert list(table.loc[list("DEHFG"), "status"]) == ["not_enough"] * 3 + ["achieved"] * 2
    assert list(table.loc[list("DEH"), "status_reason"]) == ["no_interval"] * 3
    assert table.loc["D", "pooled_ci_low"] > 0  # pooled, D's interval is above zero: it still is no verdict
    counts = summary(table.reset_index()).iloc[0]
    assert counts["territories"] == 7  # A has no programme school
    assert (counts["achieved"], counts["not_achieved"], counts["not_enough"]) == (2, 0, 5)
    assert counts["no_own_interval"] == 5  # B (no comparison school), C (suppressed), D, E, H (too few schools)
    lower = territory_table(frame, "department", whole, higher_is_better=False)
    assert summary(lower).iloc[0]["not_achieved"] == 2  # the same intervals, lower is better: got worse
    assert (territory_table(frame, "department", whole, None)["status"] == "not_enough").all()


def test_the_summary_counts_every_reason_a_territory_is_not_enough():
    """A territory with an interval of its own above zero but low reliability (G with 4 comparison schools) is
    "not enough evidence" for that reason, and the summary says so: the reasons add up to the not-enough count."""
    frame, whole = _frame()
    frame.loc[frame["department"] == "G", ["n_comparison", "reliability"]] = [4, "low"]
    frame.loc[frame["department"] == "F", ["es_ci_low"]] = -0.05  # an interval across zero: wide
    table = territory_table(frame, "department", whole, higher_is_better=True)
    assert table.set_index("territory").loc["G", "status_reason"] == "low"
    counts = summary(table).iloc[0]
    assert (counts["achieved"], counts["not_enough"], counts["no_own_interval"]) == (0, 7, 5)
    assert (counts["low"], counts["wide"], counts["insufficient"], counts["no_direction"]) == (1, 1, 0, 0)


def test_fewer_than_four_usable_territories_are_not_pooled():
    frame, whole = _frame()
    table = territory_table(frame[frame["department"].isin(list("ABCDEF"))], "department", whole, True)
    assert table["pooled"].isna().all()
    assert list(table["pooled_reason"]) == ["no_programme_units", "no_comparison_units", "suppressed",
                                            "too_few_groups", "too_few_groups", "too_few_groups"]
    # F keeps its own verdict when nothing can be pooled
    assert table.set_index("territory").loc["F", "status"] == "achieved"


def test_a_programme_without_cohorts_beside_staggered_ones_still_gets_its_variances():
    """Rows of staggered programmes add a start_year_cohort column, missing (NaN) for the others: the
    programme's whole result must still be found for its small territories (NaN never equals NaN)."""
    frame, whole = _frame()
    frame["start_year_cohort"], whole["start_year_cohort"] = np.nan, np.nan
    table = territory_table(frame, "department", whole, True).set_index("territory")
    assert table.loc["D", "variance_source"] == "programme" and table.loc["D", "pooled"] == table.loc["D", "pooled"]
