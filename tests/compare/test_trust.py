"""Never a confident wrong number in compare() (issue 14, statistics): no p-value of any kind without
reliable inference, an answer instead of a traceback for degenerate windows, the ICC estimated from the data,
no inference for an outcome that never varies, and q-values from the p-value the inference rests on."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pytest

from analysis import stats
from analysis.compare import compare
from analysis.compare.finish import inference_p
from analysis.db.connect import open_db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from tests.conftest import demo_copy

    return demo_copy(tmp_path_factory, 4000, 7, "trust")


NO_P = ("p_value", "q_value", "wild_p_value", "p_value_naive", "p_value_icc_corrected", "ci_low", "ci_high", "se")


def _no_inference(row) -> bool:
    return all(np.isnan(float(row[c])) for c in NO_P if c in row)


def test_a_window_with_one_unit_a_side_answers_instead_of_dividing_by_zero(demo):
    out = compare(demo, "dropout_rate", "did", by="municipality", pre="2017-2018", post="2022-2023")
    assert len(out) > 5
    few = out[(out["n_treated"].fillna(0) <= 3) | (out["n_comparison"].fillna(0) <= 3)]
    assert len(few) > 0
    for _, row in few.iterrows():
        assert _no_inference(row), row.to_dict()
        assert "inference_not_reliable" in row["flags"] or np.isnan(float(row["estimate"]))


def test_three_treated_schools_get_no_p_value_of_any_kind(demo):
    out = compare(demo, "score_math", "did", by="lab_type")
    point = out[(out["program"] == "MiLab") & (out["lab_type"] == "Lab Point")].iloc[0]
    assert int(point["n_treated"]) == 3
    assert _no_inference(point)
    assert not bool(point["inference_reliable"]) and "inference_not_reliable" in point["flags"]


def _anova_icc(values: np.ndarray, groups: np.ndarray) -> float:
    """One-way ANOVA ICC(1) from raw rows, written out (Shrout & Fleiss 1979; Donner 1986 for unequal n)."""
    labels, codes = np.unique(groups, return_inverse=True)
    n = np.bincount(codes).astype(float)
    means = np.bincount(codes, weights=values) / n
    grand = values.mean()
    k, big_n = len(labels), len(values)
    msb = np.sum(n * (means - grand) ** 2) / (k - 1)
    msw = np.sum((values - means[codes]) ** 2) / (big_n - k)
    n0 = (big_n - np.sum(n ** 2) / big_n) / (k - 1)
    return max((msb - msw) / (msb + (n0 - 1) * msw), 0.0)


def test_the_icc_is_estimated_at_baseline_from_the_schools(demo):
    out = compare(demo, "score_math", "did")
    with open_db(demo) as con:
        rows = con.execute("""
            SELECT a.program, u.country, o.unit_id, o.value
            FROM observations o JOIN units u USING (unit_id) JOIN assignments a USING (unit_id)
            WHERE o.indicator = 'score_math' AND o.wave IN ('pre', 'baseline') AND o.level = 'all'
              -- the randomised trial's schools are the rct design's, not the DiD's (METHODS.md "Designs" 2)
              AND o.unit_id NOT IN (SELECT unit_id FROM unit_attributes WHERE name = 'stratum')""").df()
    checked = 0
    for _, row in out.iterrows():
        assert row["icc_source"] == "estimated"
        part = rows[(rows["country"] == row["country"]) & rows["program"].isin([row["program"], "comparison"])]
        expected = _anova_icc(part["value"].to_numpy(float), part["unit_id"].to_numpy())
        assert row["icc"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert 0.05 < row["icc"] < 0.40  # the demo plants school effects of this size
        checked += 1
    assert checked >= 2
    assert out["icc"].nunique() == checked  # no longer one default for every row


def test_a_given_icc_is_used_and_said(demo):
    out = compare(demo, "score_math", "did", icc=0.2)
    assert (out["icc"] == 0.2).all() and (out["icc_source"] == "given").all()


@pytest.mark.parametrize("value", [0.0, 7.5])
def test_an_outcome_that_never_varies_gets_no_inference(demo, tmp_path, value):
    copy = tmp_path / "constant.duckdb"
    shutil.copyfile(demo, copy)
    with duckdb.connect(str(copy)) as con:  # an edit outside LabLens: computed from the rows
        con.execute("UPDATE observations SET value = ? WHERE indicator = 'dropout_rate'", [value])
    out = compare(copy, "dropout_rate", "did")
    assert len(out) >= 2
    for _, row in out.iterrows():
        assert row["estimate"] == pytest.approx(0.0, abs=1e-9)
        assert _no_inference(row), row.to_dict()
        assert not bool(row["inference_reliable"]) and "no_variation" in row["flags"]


def test_q_values_come_from_the_wild_p_where_it_is_the_inference(demo):
    out = compare(demo, "score_math", "did", by="department")
    assert out["wild_p_value"].notna().any()
    p = inference_p(out)
    assert np.allclose(out["q_value"].to_numpy(float), stats.bh_qvalues(p), equal_nan=True)
    wild = out["wild_p_value"].notna() & out["p_value"].notna()
    assert np.array_equal(p[wild.to_numpy()], out.loc[wild, "wild_p_value"].to_numpy(float))


def test_subgroup_only_data_says_how_to_ask(demo, tmp_path):
    """An indicator published only by sex and by school level: the default request says exactly that."""
    from analysis.compare import CompareError

    copy = tmp_path / "subgroups.duckdb"
    shutil.copyfile(demo, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("""INSERT INTO observations SELECT import_id, unit_id, student_key, indicator, year, wave,
                       'primary', NULL, grade, value, n FROM observations WHERE indicator = 'promotion_rate'""")
        con.execute("UPDATE observations SET sex = 'F' WHERE indicator = 'promotion_rate' AND level = 'all'")
        whole = con.execute("SELECT count(*) FROM observations WHERE indicator = 'promotion_rate' AND level = 'all' "
                            "AND sex IS NULL").fetchone()[0]
    assert whole == 0
    with pytest.raises(CompareError) as info:
        compare(copy, "promotion_rate", "did")
    message = str(info.value)
    assert "only by subgroup" in message and "--level primary" in message and "--by sex" in message
    assert not compare(copy, "promotion_rate", "did", level="primary").empty
