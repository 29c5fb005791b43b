"""Wilson intervals for retention outcomes and Cronbach's alpha per country x wave, against references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from analysis.compare import CompareError
from analysis.db.connect import open_db
from analysis.descriptive import proportions, scale_reliability
from tests.conftest import demo_copy


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    return str(demo_copy(tmp_path_factory, 3000, 5, "desc", "demo.duckdb"))


def test_binary_outcome_wilson_matches_scipy(demo):
    frame = proportions(demo, "enrolled_next_year")
    con = open_db(demo)
    raw = con.execute("""SELECT coalesce(a.program, 'unassigned') AS program, u.country, o.year, count(*) n,
        sum(o.value) k FROM observations o JOIN units u USING (unit_id) LEFT JOIN assignments a USING (unit_id)
        WHERE o.indicator = 'enrolled_next_year' GROUP BY ALL""").df()
    con.close()
    assert len(frame) == len(raw) and len(frame) >= 4
    merged = frame.merge(raw, on=["program", "country", "year"], suffixes=("", "_ref"))
    for row in merged.itertuples():
        ci = sps.binomtest(int(row.k_ref), int(row.n_ref)).proportion_ci(method="wilson")  # reference: scipy
        assert row.rate == pytest.approx(100 * row.k_ref / row.n_ref, abs=1e-9)
        assert row.ci_low == pytest.approx(100 * ci.low, abs=1e-9)
        assert row.ci_high == pytest.approx(100 * ci.high, abs=1e-9)


def test_unit_rates_use_their_denominators(demo):
    frame = proportions(demo, "dropout_rate")
    con = open_db(demo)
    ref = con.execute("""SELECT u.country, o.year, sum(o.n) n, sum(o.value / 100 * o.n) k FROM observations o
        JOIN units u USING (unit_id) LEFT JOIN assignments a USING (unit_id)
        WHERE o.indicator = 'dropout_rate' AND o.level = 'all' AND o.sex IS NULL AND a.program = 'ValleLabs'
        GROUP BY ALL ORDER BY 2""").df()
    con.close()
    got = frame[(frame["program"] == "ValleLabs")].sort_values("year")
    assert list(got["year"]) == list(ref["year"])
    assert np.allclose(got["rate"], 100 * ref["k"].round() / ref["n"], atol=1e-9)


def test_rates_reject_non_rate_indicators(demo):
    with pytest.raises(CompareError, match="not a binary outcome or a rate"):
        proportions(demo, "score_math")


def test_cronbach_alpha_per_country_and_wave_matches_numpy(demo):
    table = scale_reliability(demo, "motivation")
    assert set(table["country"]) == {"CO", "GT"} and set(table["wave"]) == {"pre", "post"}
    con = open_db(demo)
    wide = con.execute("""SELECT u.country, o.wave, o.student_key, o.indicator, o.value FROM observations o
        JOIN units u USING (unit_id) WHERE o.indicator LIKE 'motivation_item_%'""").df()
    reverse = {r[0] for r in con.execute("SELECT code FROM indicators WHERE reverse_coded").fetchall()}
    con.close()
    wide.loc[wide["indicator"].isin(reverse), "value"] = 6 - wide.loc[wide["indicator"].isin(reverse), "value"]
    for row in table.itertuples():
        part = wide[(wide["country"] == row.country) & (wide["wave"] == row.wave)]
        items = part.pivot_table(index="student_key", columns="indicator", values="value").dropna()
        k = items.shape[1]
        # reference: Cronbach (1951) computed directly with numpy
        alpha = k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))
        assert row.k == k == 8
        assert row.n == len(items)
        assert row.alpha == pytest.approx(alpha, abs=1e-9)
        # Feldt interval (docs/METHODS.md): F quantiles with n-1 and (n-1)(k-1) degrees of freedom
        n = len(items)
        lo = 1 - (1 - alpha) * sps.f.ppf(0.975, n - 1, (n - 1) * (k - 1))
        hi = 1 - (1 - alpha) * sps.f.ppf(0.025, n - 1, (n - 1) * (k - 1))
        assert row.alpha_ci_low == pytest.approx(lo, abs=1e-9)
        assert row.alpha_ci_high == pytest.approx(hi, abs=1e-9)
        assert 0.6 < row.alpha < 0.95


def test_unknown_scale_is_a_clear_error(demo):
    with pytest.raises(CompareError, match="needs at least two items"):
        scale_reliability(demo, "wellbeing")
