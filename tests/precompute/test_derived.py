"""Derived per-school statistics (analysis.precompute.derived, read through analysis.db.sufficient; issue #6):
same answers as the raw rows, never stale.

The reference is compare() on the raw observation rows (the route every request took before), forced by
declaring the derived tables unusable; tolerances are those of test_fast_path.py.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analysis import compare as cmp
from analysis.compare import did, prepost
from analysis.db import sufficient
from analysis.demo import build_demo
from analysis.precompute import derived
from analysis.precompute.publish import writable_snapshot
from tests.conftest import demo_copy

TOL = {"rtol": 1e-9, "atol": 1e-12}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return demo_copy(tmp_path_factory, 3000, 5, "derived", "demo.duckdb")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in ("pre_years", "post_years"):
        out[c] = [list(map(int, v)) for v in out[c]]
    return out


def _raw(monkeypatch, *args, **kwargs) -> pd.DataFrame:
    with monkeypatch.context() as mp:
        mp.setattr(sufficient, "usable", lambda *a, **k: False)
        return cmp.compare(*args, **kwargs)


def _sql_seen(monkeypatch) -> list[str]:
    seen: list[str] = []
    original = prepost.fetch

    def spy(con, sql, params):
        seen.append(sql)
        return original(con, sql, params)

    monkeypatch.setattr(prepost, "fetch", spy)
    monkeypatch.setattr(did, "fetch", spy)
    return seen


@pytest.mark.parametrize(("indicator", "design", "by", "kwargs"), [
    ("score_math", "prepost", "school", {}),
    ("score_math", "prepost", None, {"program": "ValleLabs"}),
    ("score_language", "prepost", ["department", "lab_type"], {}),
    ("motivation_index", "prepost", "zone", {}),
    ("score_math", "did", None, {}),
    ("score_math", "did", "lab_type", {}),
    ("score_science", "did", "department", {"program": "MiLab"}),
    ("motivation_index", "did", "zone", {}),
])
def test_derived_route_equals_raw_rows(demo, monkeypatch, indicator, design, by, kwargs):
    seen = _sql_seen(monkeypatch)
    fast = cmp.compare(str(demo), indicator, design=design, by=by, **kwargs)
    table = sufficient.MOMENTS_TABLE if design == "prepost" else sufficient.CELLS_TABLE
    assert any(table in sql for sql in seen), "the derived table was not read"
    seen.clear()
    slow = _raw(monkeypatch, str(demo), indicator, design=design, by=by, **kwargs)
    assert not any("derived_" in sql for sql in seen)
    pd.testing.assert_frame_equal(_plain(fast), _plain(slow), check_dtype=False, **TOL)
    assert len(fast) > 0 and fast["n_units" if design == "prepost" else "n_clusters"].notna().all()


@pytest.mark.parametrize(("by", "kwargs"), [
    ("sex", {}),                                 # a row field: the raw rows
    ("ethnicity", {}),                           # a student attribute
    (None, {"pre": "2022", "post": "2023"}),     # year windows on wave data: pre and post waves would merge
    (None, {"pre": "pre", "post": "post"}),      # explicit wave windows
])
def test_requests_the_tables_cannot_answer_read_the_raw_rows(demo, monkeypatch, by, kwargs):
    seen = _sql_seen(monkeypatch)
    for design in ("prepost", "did"):
        cmp.compare(str(demo), "score_math", design=design, by=by, **kwargs)
    assert seen and not any("derived_" in sql for sql in seen)


def test_a_database_changed_behind_lablens_back_falls_back_to_the_raw_rows(tmp_path, monkeypatch):
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=1500, seed=2)
    before = cmp.compare(str(db), "score_math", by="school")
    school = before.sort_values("n_post", ascending=False)["school"].iloc[0]
    assert before.set_index("school").loc[school, "n_post"] > 10
    with duckdb.connect(str(db)) as con:  # an edit outside LabLens: the derived tables are now stale
        con.execute("DELETE FROM observations WHERE indicator = 'score_math' AND unit_id = ? AND wave = 'post'",
                    [school])
    seen = _sql_seen(monkeypatch)
    after = cmp.compare(str(db), "score_math", by="school")
    assert not any("derived_" in sql for sql in seen)
    row = after.set_index("school").loc[school]
    # the deletion shows (no post students left: the school's values are suppressed); stale numbers never do
    assert all(pd.isna(row[c]) or row[c] == 0 for c in ("n_post", "n_linked", "mean_post"))
    # the next LabLens write brings the tables up to date; only the changed indicator is recomputed
    with writable_snapshot(db) as con:
        assert derived.refresh(con, "target") == ["score_math"]
        assert derived.refresh(con, "target") == []
    seen.clear()
    again = cmp.compare(str(db), "score_math", by="school")
    assert any(sufficient.MOMENTS_TABLE in sql for sql in seen)
    pd.testing.assert_frame_equal(_plain(again), _plain(after), check_dtype=False, **TOL)


def test_refresh_drops_an_indicator_whose_student_rows_are_gone(tmp_path):
    db = tmp_path / "demo.duckdb"
    build_demo(db, students=800, seed=3)
    with writable_snapshot(db) as con:
        con.execute("DELETE FROM target.observations WHERE indicator = 'score_science'")
    with duckdb.connect(str(db), read_only=True) as con:
        for table in (sufficient.STATE_TABLE, sufficient.CELLS_TABLE, sufficient.MOMENTS_TABLE):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE indicator = 'score_science'").fetchall() == [(0,)]
        # the cells hold exactly the student rows, counted per unit x year x wave period
        cells = sufficient.CELLS_TABLE
        assert con.execute(f"SELECT sum(rows) FROM {cells} WHERE indicator = 'score_math'").fetchall() \
            == con.execute("SELECT count(*) FROM observations WHERE indicator = 'score_math' "
                           "AND student_key IS NOT NULL").fetchall()
        assert con.execute(f"SELECT count(*) FROM {sufficient.CELLS_TABLE} WHERE students > rows").fetchall() == [(0,)]
