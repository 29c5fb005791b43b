"""The serving rules (analysis.precompute.serving) as plain functions: no database, no Streamlit."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.precompute import serving
from analysis.precompute.codec import Stored, encode
from analysis.precompute.materialised import MATERIALISED

SIGNATURE = (1234, 5678)  # (inode, mtime_ns) of the pinned snapshot
IDENTITY = {"inode": 1234, "mtime_ns": 5678, "size": 99, "derived_version": "6", "code": "abc"}
BODY = {"derived_current": True, "signatures": {"score_math": "10:2|roster|abc"}}


def _never() -> bool:
    raise AssertionError("computed although the rule did not need it")


# --- the writer's checks --------------------------------------------------------------------------------

def test_checks_of_this_file_are_used() -> None:
    assert serving.kept_checks({**IDENTITY, **BODY}, SIGNATURE, IDENTITY) == BODY


@pytest.mark.parametrize(("field", "value"), [("inode", 1), ("mtime_ns", 1), ("size", 1),
                                              ("derived_version", "5"), ("code", "older")])
def test_checks_naming_another_file_or_version_are_not_used(field: str, value) -> None:
    assert serving.kept_checks({**IDENTITY, **BODY, field: value}, SIGNATURE, IDENTITY) is None


def test_checks_of_another_pinned_snapshot_are_not_used() -> None:
    assert serving.kept_checks({**IDENTITY, **BODY}, (1234, 5679), IDENTITY) is None
    assert serving.kept_checks({**IDENTITY, **BODY}, None, IDENTITY) is None


@pytest.mark.parametrize("kept", [None, [1, 2], "x", {**IDENTITY, "derived_current": "true", "signatures": {}},
                                  {**IDENTITY, "derived_current": True, "signatures": ["x"]},
                                  {**IDENTITY, "derived_current": True, "signatures": {"score_math": 3}},
                                  {**IDENTITY, "signatures": {}}])
def test_a_damaged_checks_body_is_not_used(kept) -> None:
    assert serving.kept_checks(kept, SIGNATURE, IDENTITY) is None


def test_without_usable_checks_the_reader_computes_them() -> None:
    assert serving.derived_current(None, lambda: False) is False
    assert serving.stored_signatures(None, lambda: {"x": "s"}) == {"x": "s"}
    kept = serving.kept_checks({**IDENTITY, **BODY, "code": "older"}, SIGNATURE, IDENTITY)
    assert serving.derived_current(kept, lambda: False) is False  # identity mismatch: recomputed


def test_usable_checks_save_the_scans() -> None:
    kept = serving.kept_checks({**IDENTITY, **BODY}, SIGNATURE, IDENTITY)
    assert serving.derived_current(kept, _never) is True
    assert serving.stored_signatures(kept, _never) == BODY["signatures"]


# --- materialised page queries and the per-school tables -------------------------------------------------

def test_a_materialised_query_is_read_from_its_table_only_while_current() -> None:
    statement, (table, _, read, _) = next(iter(MATERIALISED.items()))
    assert serving.served_statement(statement, lambda: True) == read
    assert table in read
    assert serving.served_statement(statement, lambda: False) == statement


def test_other_queries_are_run_as_written_without_checking_anything() -> None:
    assert serving.served_statement("SELECT 1", _never) == "SELECT 1"


@pytest.mark.parametrize(("info", "current", "served"), [
    ({"uses_waves": True, "observations": 10, "student_observations": 10}, True, True),
    ({"uses_waves": True, "observations": 10, "student_observations": 10}, False, False),
    ({"uses_waves": True, "observations": 12, "student_observations": 10}, True, False),  # unit rows too
    ({"uses_waves": False, "observations": 10, "student_observations": 10}, True, False),  # yearly windows
    ({}, True, False),  # an unknown indicator
])
def test_per_school_tables_serve_wave_indicators_of_student_rows_while_current(info, current, served) -> None:
    assert serving.per_school_tables_serve(info, lambda: current) is served


def test_per_school_tables_are_not_checked_for_an_indicator_they_cannot_serve() -> None:
    assert serving.per_school_tables_serve({"uses_waves": False}, _never) is False


# --- stored compare() results ---------------------------------------------------------------------------

FRAME = pd.DataFrame({"program": ["ValleLabs"], "estimate": [1.5], "years": [[2019, 2020]]})
CURRENT = "10:2:0:4038:77|roster:1|abc"


def _row(signature: str, payload=..., meta=..., error=None) -> tuple:
    encoded = encode(FRAME)
    return (signature, encoded[0] if payload is ... else payload, encoded[1] if meta is ... else meta, error)


def test_a_result_stored_for_the_current_signature_is_served() -> None:
    served = serving.stored_result(_row(CURRENT), CURRENT)
    assert isinstance(served, Stored) and served.error is None
    pd.testing.assert_frame_equal(served.frame, FRAME)


def test_a_stored_reason_is_served_as_such() -> None:
    assert serving.stored_result(_row(CURRENT, None, None, "no comparison units"), CURRENT) == Stored(
        None, "no comparison units")


def test_a_result_of_other_data_is_not_served() -> None:
    assert serving.stored_result(_row("11:2:0:4038:77|roster:1|abc"), CURRENT) is None
    assert serving.stored_result(_row("10:2:0:4038:77|roster:2|abc"), CURRENT) is None  # roster changed


def test_a_result_of_another_code_version_is_not_served() -> None:
    assert serving.stored_result(_row("10:2:0:4038:77|roster:1|older"), CURRENT) is None


def test_nothing_stored_or_no_current_signature_is_not_served() -> None:
    assert serving.stored_result(None, CURRENT) is None
    assert serving.stored_result(_row(CURRENT), None) is None


@pytest.mark.parametrize(("payload", "meta"), [(b"not parquet", ...), (..., "{not json"),
                                               (..., '{"columns": ["missing"], "objects": {}}')])
def test_a_damaged_stored_body_is_not_served(payload, meta) -> None:
    assert serving.stored_result(_row(CURRENT, payload, meta), CURRENT) is None
