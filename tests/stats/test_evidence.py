"""LabLens checks: attrition boundaries (docs/METHODS.md tables), baseline equivalence, badge rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from analysis.stats import (
    EvidenceFacts,
    attrition_boundary,
    attrition_rates,
    attrition_rating,
    baseline_equivalence,
    evidence_badge,
)

# fmt: off
CAUTIOUS = {0: 5.7, 5: 6.1, 10: 6.3, 15: 5.9, 20: 5.4, 25: 4.8, 30: 4.1, 35: 3.3, 40: 2.6,
            45: 1.8, 50: 1.0, 55: 0.3, 57: 0.0}
OPTIMISTIC = {0: 10.0, 5: 10.5, 10: 10.9, 15: 10.7, 20: 10.0, 25: 9.2, 30: 8.2, 35: 7.2, 40: 6.0,
              45: 4.9, 50: 3.7, 55: 2.6, 57: 2.1, 58: 1.9, 60: 1.4, 65: 0.3}
# fmt: on


def test_boundaries_at_tabulated_points() -> None:
    # docs/METHODS.md (WWC Handbook v4.1 attrition boundaries).
    for table, name in ((CAUTIOUS, "cautious"), (OPTIMISTIC, "optimistic")):
        overall = np.array(list(table), dtype=float)
        np.testing.assert_allclose(attrition_boundary(overall, name), list(table.values()), atol=1e-12)


def test_boundary_interpolation_and_always_high() -> None:
    assert attrition_boundary(12.5) == pytest.approx((6.3 + 5.9) / 2, abs=1e-12)
    assert attrition_boundary(59, "optimistic") == pytest.approx((1.9 + 1.4) / 2, abs=1e-12)
    assert np.isnan(attrition_boundary(58))  # cautious: from 58% always high
    assert np.isnan(attrition_boundary(70, "optimistic"))
    assert np.isnan(attrition_boundary(np.nan))
    with pytest.raises(ValueError):
        attrition_boundary(10, "liberal")  # type: ignore[arg-type]


def test_attrition_rating() -> None:
    assert attrition_rating(10, 6.3) == "low"
    assert attrition_rating(10, 6.31) == "high"
    assert attrition_rating(58, 0.0) == "high"
    assert attrition_rating(60, 1.0, boundary="optimistic") == "low"
    out = attrition_rating(np.array([20, 20, np.nan]), np.array([5.0, 6.0, 1.0]))
    assert list(out) == ["low", "high", None]


def test_attrition_rates() -> None:
    overall, diff = attrition_rates(100, 80, 100, 90)  # T lost 20%, C lost 10%
    assert overall == pytest.approx(15.0) and diff == pytest.approx(10.0)


def test_baseline_equivalence_cutoffs() -> None:
    # docs/METHODS.md: |g| ≤ 0.05 satisfied; ≤ 0.25 needs adjustment; > 0.25 not equivalent.
    values = [0.0, 0.05, -0.05, 0.051, 0.25, -0.25, 0.2501, -1.0]
    expected = [
        "satisfied",
        "satisfied",
        "satisfied",
        "needs_adjustment",
        "needs_adjustment",
        "needs_adjustment",
        "not_equivalent",
        "not_equivalent",
    ]
    assert list(baseline_equivalence(np.array(values))) == expected
    assert baseline_equivalence(0.1) == "needs_adjustment"
    assert baseline_equivalence(np.nan) is None


GOOD = {
    "design": "did",
    "n_treated_clusters": 40,
    "n_comparison_clusters": 60,
    "attrition": "low",
    "baseline": "needs_adjustment",
    "clustering_handled": True,
    "pretrends_ok": True,
}


def test_badge_strong_when_all_checks_pass() -> None:
    assert evidence_badge(GOOD) == ("strong", ["all_checks_passed"])
    assert evidence_badge(EvidenceFacts(**GOOD)) == ("strong", ["all_checks_passed"])


@pytest.mark.parametrize(
    ("change", "level", "reason"),
    [
        ({"n_treated_clusters": 3}, "insufficient", "too_few_clusters"),
        ({"n_comparison_clusters": 6}, "moderate", "few_clusters"),
        ({"n_comparison_clusters": None}, "moderate", "clusters_unknown"),
        ({"attrition": "high"}, "moderate", "high_attrition"),
        ({"attrition": None}, "moderate", "attrition_unknown"),
        ({"baseline": "not_equivalent"}, "limited", "baseline_not_equivalent"),
        ({"baseline": None}, "moderate", "baseline_unknown"),
        ({"clustering_handled": False}, "limited", "clustering_not_handled"),
        ({"pretrends_ok": False}, "limited", "pretrends_differ"),
        ({"pretrends_ok": None}, "moderate", "pretrends_not_assessed"),
        ({"design": "comparison"}, "limited", "baseline_not_adjusted"),
        ({"design": "prepost"}, "limited", "no_comparison_group"),
        ({"design": "descriptive"}, "insufficient", "no_comparison_group"),
    ],
)
def test_badge_rules(change: dict, level: str, reason: str) -> None:
    got_level, reasons = evidence_badge({**GOOD, **change})
    assert got_level == level
    assert reason in reasons


def test_badge_accepts_other_dataclasses_and_rejects_unknown_facts() -> None:
    @dataclass
    class Facts:
        design: str = "comparison"
        n_treated_clusters: int = 30
        n_comparison_clusters: int = 30
        attrition: str = "not_applicable"
        baseline: str = "satisfied"
        clustering_handled: bool = True

    assert evidence_badge(Facts()) == ("strong", ["all_checks_passed"])
    with pytest.raises(ValueError):
        evidence_badge({**GOOD, "rct": True})
    level, reasons = evidence_badge({**GOOD, "n_treated_clusters": 2, "pretrends_ok": False})
    assert level == "insufficient" and reasons == [
        "too_few_clusters",
        "pretrends_differ",
    ]
