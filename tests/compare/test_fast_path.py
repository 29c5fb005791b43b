"""The one-pass, vectorised pre/post (issue #6, national scale) gives the answers of the computation it replaced.

The reference: the exact list-based route (two passes over the students, DuckDB's own group statistics,
a Python loop per group for the ICC). The row-by-row flags, badges and reliability marks are the
reference of test_finish.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import compare as cmp
from analysis import stats
from analysis.compare import did, prepost
from analysis.compare.request import check, open_db
from tests.conftest import demo_copy

TOL = {"rtol": 1e-9, "atol": 1e-12}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    return str(demo_copy(tmp_path_factory, 3000, 11, "fast", "demo.duckdb"))


def _list_route(monkeypatch) -> None:
    monkeypatch.setattr(prepost, "_prepost_students", prepost._prepost_students_lists)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in ("pre_years", "post_years"):
        out[c] = [list(map(int, v)) for v in out[c]]
    return out


@pytest.mark.parametrize(("indicator", "by", "kwargs"), [
    ("score_math", "school", {}),
    ("score_math", None, {}),
    ("score_language", ["lab_type", "sex"], {}),
    ("motivation_index", "department", {}),
    ("score_math", "sex", {}),
    ("score_science", "ethnicity", {}),
    ("score_math", "grade", {"program": "ValleLabs"}),
    ("score_math", "zone", {"pre": "2022", "post": "2023"}),
])
def test_one_pass_equals_list_route(demo, monkeypatch, indicator, by, kwargs):
    fast = cmp.compare(demo, indicator, by=by, **kwargs)
    with monkeypatch.context() as mp:
        _list_route(mp)
        slow = cmp.compare(demo, indicator, by=by, **kwargs)
    pd.testing.assert_frame_equal(_plain(fast), _plain(slow), check_dtype=False, **TOL)


def test_grouped_icc_equals_loop():
    rng = np.random.default_rng(3)
    codes = np.repeat(np.arange(30), rng.integers(1, 6, 30))
    n = rng.integers(1, 40, codes.size).astype(float)
    mean = rng.normal(size=codes.size)
    var = np.where(n >= 2, rng.gamma(2.0, 1.0, codes.size), np.nan)
    rho, deff = stats.icc_design_effect_by_group(codes, 31, n, mean, var)
    for g in range(31):
        part = codes == g
        if part.sum() < 2:
            assert np.isnan(rho[g]) and deff[g] == 1.0
            continue
        expected = stats.icc_from_summary(n[part], mean[part], var[part])
        m = (n[part] ** 2).sum() / n[part].sum()
        assert rho[g] == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True)
        assert deff[g] == pytest.approx(stats.design_effect(m, expected) if np.isfinite(expected) else 1.0,
                                        rel=1e-9)


@pytest.mark.parametrize(("indicator", "by", "kwargs"), [
    ("score_math", "school", {}),
    ("score_math", None, {"program": "ValleLabs"}),
    ("score_language", ["lab_type", "department"], {}),
    ("score_math", "zone", {"pre": "2022", "post": "2023"}),
])
def test_student_first_equals_joined_route(demo, monkeypatch, indicator, by, kwargs):
    """Grouping students before joining the units (national scale) gives the joined route's answers."""
    req = check(open_db(demo), indicator, prepost, by, kwargs.get("program"), kwargs.get("pre"), kwargs.get("post"),
                "all", 10, False, 0.95)
    assert prepost._student_first_sql(req, ["program"], "program") is not None
    fast = cmp.compare(demo, indicator, by=by, **kwargs)
    with monkeypatch.context() as mp:
        mp.setattr(prepost, "_student_first_sql", lambda *args: None)
        joined = cmp.compare(demo, indicator, by=by, **kwargs)
    pd.testing.assert_frame_equal(_plain(fast), _plain(joined), check_dtype=False, **TOL)


@pytest.mark.parametrize(("indicator", "by", "kwargs"), [
    ("score_math", "lab_type", {}),
    ("score_language", None, {"pre": "2022", "post": "2023"}),
    ("score_math", "department", {"program": "ValleLabs"}),
])
def test_did_shared_scan_equals_per_programme(demo, monkeypatch, indicator, by, kwargs):
    """One scan of the cells for every programme gives the answers of one scan per programme."""
    shared = cmp.compare(demo, indicator, design="did", by=by, **kwargs)
    per_programme = did._did_one
    with monkeypatch.context() as mp:
        mp.setattr(did, "_did_one", lambda *args: per_programme(*args[:7], None, *args[8:]))
        separate = cmp.compare(demo, indicator, design="did", by=by, **kwargs)
    pd.testing.assert_frame_equal(_plain(shared), _plain(separate), check_dtype=False, **TOL)
