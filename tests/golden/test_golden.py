"""compare() and the evidence pack's data files are byte-identical to the outputs taken before the
analysis/ redesign (issue 13): a behaviour-preserving change keeps every hash."""

from __future__ import annotations

import json

from tests.golden.golden_outputs import GOLDEN_FILE, build_golden_db, compare_requests, golden_outputs


def test_golden_outputs_unchanged(tmp_path):
    expected = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    actual = golden_outputs(build_golden_db(tmp_path / "golden.duckdb"))
    assert len(expected) == len(compare_requests()) + 26  # 40 compare() calls, 2 packs x 2 languages
    changed = sorted(k for k in expected if actual.get(k) != expected[k])
    assert not changed, f"outputs changed: {changed}"
    assert set(actual) == set(expected)
