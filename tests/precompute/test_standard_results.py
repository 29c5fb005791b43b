"""Stored standard results (analysis.precompute.standard_results, issue #6): the frame compare() returns, never stale.

The reference is a live compare() call on the same database. Floats are compared with the tolerance of
test_derived.py: DuckDB's parallel sums may differ in the last digit between two runs of one query.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analysis import compare as cmp
from analysis.precompute import codec, fingerprints
from analysis.precompute import standard_results as sr
from analysis.precompute.publish import writable_snapshot
from tests.conftest import EVERY_SHAPE, demo_copy, keep_with_stored_results

TOL = {"rtol": 1e-9, "atol": 1e-12}


KEPT = EVERY_SHAPE


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A demo database whose every indicator has stored results (the threshold lowered to 0)."""
    path = demo_copy(tmp_path_factory, 3000, 5, "standard", "demo.duckdb")
    keep_with_stored_results(path, KEPT)
    with duckdb.connect(str(path), read_only=True) as con:
        assert sorted(sr.stored_indicators(con)) == sorted(KEPT)
    return path


@pytest.fixture
def copy(stored, tmp_path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(stored, path)
    return path


def _rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _assert_same(stored: pd.DataFrame, live: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(stored, live, check_exact=False, **TOL)
    for column in live.select_dtypes(include=["object", "str"]).columns:  # years are lists on every route
        assert [type(v) for v in stored[column]] == [type(v) for v in live[column]], column
        assert stored[column].tolist() == live[column].tolist(), column


def test_every_stored_result_is_the_live_compare_result(stored: Path) -> None:
    keys = _rows(stored, f"SELECT request_key, indicator, error FROM {sr.TABLE} ORDER BY 1")
    with duckdb.connect(str(stored), read_only=True) as con:
        indicators = [r[0] for r in con.execute("SELECT DISTINCT indicator FROM observations ORDER BY 1").fetchall()]
        expected = sorted(r.key for i in indicators for r in sr.standard_requests(con, i))
        current = fingerprints.signatures(con)
        assert sorted(k for k, _, _ in keys) == expected
        assert sorted({i for _, i, _ in keys}) == indicators
        hits = errors = 0
        for key, indicator, error in keys:
            request = json.loads(key)
            found = sr.lookup(con, key, current[indicator])
            assert found is not None, key
            try:
                live = cmp.compare(con, request["indicator"], design=request["design"], by=request["by"] or None,
                                   program=request["program"], pre=request["pre"], post=request["post"],
                                   level=request["level"], min_cell=request["min_cell"])
            except cmp.CompareError as exc:
                assert found.frame is None and found.error == error == str(exc)
                errors += 1
                continue
            assert error is None
            _assert_same(found.frame, live)
            hits += 1
    # 5 requests per wave indicator (3 DiD, 2 pre/post); a yearly rate has its DiDs once per programme (2); and
    # every indicator its randomised trial's (1), shown beside the DiD on Inicio and Logros
    assert len(keys) == 3 * 5 + 2 * 8 + 5
    # the yes/no "enrolled next year" is observed at post only: its 5 CompareErrors are stored and served; the
    # demo's trial measures mathematics only: the other four trial requests store compare()'s reason
    assert errors == 5 + 4 and hits == len(keys) - 9


def test_yearly_indicators_get_one_request_per_programme_window(stored: Path) -> None:
    with duckdb.connect(str(stored), read_only=True) as con:
        requests = sr.standard_requests(con, "dropout_rate")
    did = [r for r in requests if r.design == "did" and r.by == ()]
    assert {r.program for r in did} == {"ValleLabs", "MiLab"}
    assert all(r.pre and r.post and r.pre < r.post for r in did)
    assert [r for r in requests if r.design == "prepost"] == [sr.StandardRequest("dropout_rate", "prepost"),
                                                             sr.StandardRequest("dropout_rate", "prepost", ("school",))]


def test_programme_windows_before_the_first_start_and_from_the_last() -> None:
    years = pd.DataFrame({"country": ["CO", "GT"], "first_year": [2014, 2019], "last_year": [2023, 2025]})
    programmes = pd.DataFrame({"program": ["ValleLabs", "MiLab", "Late"], "country": ["CO", "GT", "GT"],
                               "first_start": [2019, 2024, 2026], "last_start": [2021, 2024, 2026]})
    windows = sr.programme_windows(False, years, programmes)
    assert windows == {("ValleLabs", "CO"): (2014, 2018, 2021, 2023), ("MiLab", "GT"): (2019, 2023, 2024, 2025),
                       ("Late", "GT"): None}  # no post year yet
    assert sr.window_text(windows[("MiLab", "GT")]) == ("2019-2023", "2024-2025")
    assert sr.window_text((2020, 2020, 2021, 2021)) == ("2020", "2021")
    assert set(sr.programme_windows(True, years, programmes).values()) == {None}
    # a programme in two countries with the same windows is one request
    twice = {("P", "CO"): (2014, 2018, 2021, 2023), ("P", "GT"): (2014, 2018, 2021, 2023)}
    assert len(sr.programme_requests("x", "did", (), False, twice)) == 1


def test_encode_keeps_every_dtype_and_cell_type() -> None:
    frame = pd.DataFrame({
        "estimate": [1.5, np.nan, -0.25],
        "n": pd.array([3, None, 7], dtype="Int64"),
        "label": pd.Series(["a", None, "c"], dtype="str"),
        "ok": [True, False, True],
        "years": pd.Series([[2019, 2020], [], [2021]], dtype=object),
        "significant": pd.Series([None, np.True_, False], dtype=object),
        "flags": pd.Series(["", "few_units", "small_n;few_units"], dtype=object),
    })
    payload, meta = codec.encode(frame)
    back = codec.decode(payload, meta)
    pd.testing.assert_frame_equal(back, frame)
    assert [type(v) for v in back["years"]] == [list, list, list]
    assert back["significant"].tolist() == [None, True, False]
    empty = frame.iloc[0:0]
    pd.testing.assert_frame_equal(codec.decode(*codec.encode(empty)), empty.reset_index(drop=True))


@pytest.mark.parametrize(("edit", "changed"), [
    # a value changed outside LabLens
    ("UPDATE observations SET value = value + 1 WHERE rowid = (SELECT min(rowid) FROM observations "
     "WHERE indicator = 'score_math')", {"score_math"}),
    # rows moved to another school, every count and sum kept (the derived tables' fingerprints miss this)
    ("UPDATE observations SET unit_id = CASE WHEN unit_id = (SELECT min(unit_id) FROM observations "
     "WHERE indicator = 'score_math') THEN (SELECT max(unit_id) FROM observations WHERE indicator = 'score_math') "
     "ELSE (SELECT min(unit_id) FROM observations WHERE indicator = 'score_math') END "
     "WHERE indicator = 'score_math' AND unit_id IN ((SELECT min(unit_id) FROM observations WHERE indicator = "
     "'score_math'), (SELECT max(unit_id) FROM observations WHERE indicator = 'score_math')) AND rowid % 2 = 0",
     {"score_math"}),
    # a student's rows unlinked (the key removed): the pairs of pre and post change
    ("UPDATE observations SET student_key = NULL WHERE indicator = 'score_math' AND student_key = "
     "(SELECT min(student_key) FROM observations WHERE indicator = 'score_math')", {"score_math"}),
    # the roster and the catalogue: every indicator
    ("UPDATE units SET zone = 'urban' WHERE unit_id = (SELECT min(unit_id) FROM units WHERE zone = 'rural')", None),
    ("UPDATE assignments SET start_year = start_year + 1 WHERE program = 'MiLab'", None),
    ("UPDATE indicators SET kind = 'index' WHERE code = 'score_math'", None),
    ("INSERT INTO student_attributes VALUES (1, 'k', 'zone', 'x')", None),
])
def test_edits_made_outside_lablens_are_never_served(copy: Path, edit: str, changed: set[str] | None) -> None:
    with duckdb.connect(str(copy), read_only=True) as con:
        before = fingerprints.signatures(con)
    with duckdb.connect(str(copy)) as con:
        con.execute(edit)
    with duckdb.connect(str(copy), read_only=True) as con:
        after = fingerprints.signatures(con)
        moved = {i for i in before if before[i] != after[i]}
        assert moved == (changed or set(before))
        key = sr.StandardRequest("score_math", "did").key
        assert sr.lookup(con, key, before["score_math"]) is not None  # the stored row is there ...
        assert sr.lookup(con, key, after["score_math"]) is None  # ... and not served for the edited data


def test_results_of_another_code_version_are_never_served(stored: Path, monkeypatch) -> None:
    with duckdb.connect(str(stored), read_only=True) as con:
        key = sr.StandardRequest("score_math", "did").key
        assert sr.lookup(con, key, fingerprints.signatures(con)["score_math"]) is not None
        monkeypatch.setattr(fingerprints, "code_fingerprint", lambda: "another-version")
        assert sr.lookup(con, key, fingerprints.signatures(con)["score_math"]) is None


def test_a_write_recomputes_only_what_it_changed(copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    computed: list[str] = []
    original = cmp.compare

    def spy(db, indicator, *args, **kwargs):
        computed.append(indicator)
        return original(db, indicator, *args, **kwargs)

    monkeypatch.setattr(cmp, "compare", spy)
    before = dict(_rows(copy, f"SELECT request_key, signature FROM {sr.TABLE}"))
    with writable_snapshot(copy) as con:
        con.execute("DELETE FROM target.observations WHERE rowid = (SELECT min(rowid) FROM target.observations "
                    "WHERE indicator = 'promotion_rate')")
    assert set(computed) == {"promotion_rate"}
    after = dict(_rows(copy, f"SELECT request_key, signature FROM {sr.TABLE}"))
    assert after.keys() == before.keys()
    assert {k for k in after if after[k] != before[k]} == {k for k in after if '"promotion_rate"' in k}
    computed.clear()
    with writable_snapshot(copy):
        pass
    assert computed == []  # nothing changed, nothing recomputed


@pytest.mark.parametrize("broken_part", ["compare", "encode", "standard_requests"])
def test_a_failure_anywhere_never_blocks_a_write(copy: Path, monkeypatch, broken_part: str) -> None:
    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    monkeypatch.setattr(cmp if broken_part == "compare" else sr, broken_part, broken)
    before = _rows(copy, "SELECT count(*) FROM observations")[0][0]
    with writable_snapshot(copy) as con:  # every indicator's rows change: all their results fail to compute
        con.execute("DELETE FROM target.observations WHERE value = (SELECT min(value) FROM target.observations "
                    "WHERE indicator = 'score_math') OR (indicator = 'dropout_rate' AND year = 2023)")
        con.execute("DELETE FROM target.observations WHERE indicator NOT IN ('score_math', 'dropout_rate')")
    assert _rows(copy, "SELECT count(*) FROM observations")[0][0] < before  # published
    assert _rows(copy, f"SELECT count(*) FROM {sr.TABLE}") == [(0,)]  # nothing stored, nothing stale
    with duckdb.connect(str(copy), read_only=True) as con:
        assert sr.stored_indicators(con) == []


def test_small_indicators_are_not_stored_and_a_failure_never_blocks_a_write(copy: Path, monkeypatch) -> None:
    monkeypatch.delenv("LABLENS_STORE_MIN_ROWS", raising=False)
    with writable_snapshot(copy):
        pass
    assert _rows(copy, f"SELECT count(*) FROM {sr.TABLE}") == [(0,)]  # the demo is far below 250,000 rows

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in an estimator")

    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    monkeypatch.setattr(cmp, "compare", broken)
    with writable_snapshot(copy) as con:
        con.execute("CREATE TABLE target.marker AS SELECT 1 AS x")
    assert _rows(copy, "SELECT x FROM marker") == [(1,)]  # published
    assert _rows(copy, f"SELECT count(*) FROM {sr.TABLE}") == [(0,)]  # and nothing wrong stored


def test_a_table_of_an_older_layout_is_replaced(copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    with duckdb.connect(str(copy)) as con:
        con.execute("DELETE FROM observations WHERE indicator <> 'promotion_rate'")
        con.execute(f"DROP TABLE {sr.TABLE}")
        con.execute(f"CREATE TABLE {sr.TABLE} (request_key VARCHAR, indicator VARCHAR, signature VARCHAR, "
                    "frame BLOB, dtypes VARCHAR, error VARCHAR)")
        con.execute(f"INSERT INTO {sr.TABLE} VALUES ('x', 'promotion_rate', 's', NULL, NULL, 'old')")
    assert sr.refresh_file(copy) == ["promotion_rate"]
    with duckdb.connect(str(copy), read_only=True) as con:
        key = sr.StandardRequest("promotion_rate", "prepost").key
        assert sr.lookup(con, key, fingerprints.signatures(con)["promotion_rate"]).frame is not None
        assert con.execute(f"SELECT count(*) FROM {sr.TABLE} WHERE request_key = 'x'").fetchall() == [(0,)]


def test_a_database_without_the_table_has_no_stored_results(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        assert sr.stored_indicators(con) == []
        assert sr.lookup(con, "any", "sig") is None


def test_nothing_is_stored_without_programme_units(copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("LABLENS_STORE_MIN_ROWS", "0")
    with duckdb.connect(str(copy)) as con:
        con.execute("DELETE FROM assignments WHERE program <> 'comparison'")
    assert sr.refresh_file(copy) == sorted(KEPT)  # every stored indicator dropped
    assert _rows(copy, f"SELECT count(*) FROM {sr.TABLE}") == [(0,)]


def test_the_results_are_computed_with_blas_on_one_thread_and_the_count_is_restored() -> None:
    """one_blas_thread: inside the block numpy's BLAS runs one thread, after it the count it had before (two
    here, set for the test: the suite's processes start with one, tests/conftest.py)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        with sr.one_blas_thread():
            assert blas_threads() == {1}
        assert blas_threads() == {2}
