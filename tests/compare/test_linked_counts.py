"""Coarser views protected from their counts alone (analysis/compare/linked.py, ``protect_counts``) hide
exactly the cells the full design run hid: for several indicators x designs x groupings (school,
municipality, two fields) x thresholds, the ``suppression_reason`` of the view and of every coarser view
it is protected with equals what compare() gave when each coarser view was computed by the whole design
(fits, bootstraps and checks). The expected reasons were recorded from that full-run code
(``python tests/compare/test_linked_counts.py DB OUT`` run in a checkout of it, on the demo of
``demo_copy(4000, 7)``) and are kept in ``linked_counts_expected.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

EXPECTED = Path(__file__).with_name("linked_counts_expected.json")
WINDOWS = ("2022-2023", "2024-2025")
# (indicator, design, grouping, threshold): two student scores and an index; one-field nested,
# the school level (four coarser views) and two fields; k = 10 and a stress threshold of 60
CALLS = [
    *[(ind, "prepost", by, k) for ind in ("score_math", "motivation_index") for k in (10, 60)
      for by in (("school",), ("municipality",), ("municipality", "sex"))],
    *[("score_language", "prepost", by, 60) for by in (("school",), ("municipality", "ethnicity"))],
    *[(ind, "did", by, k) for ind in ("score_math", "motivation_index") for k in (10, 60)
      for by in (("municipality",), ("department", "ethnicity"))],
    ("score_language", "did", ("municipality",), 60),
    *[("score_math", "rct", by, k) for k in (10, 60) for by in (("municipality",), ("department", "sex"))],
    # year windows instead of the waves: the designs' other routes (the raw observations, not the derived tables)
    *[(ind, design, by, k, WINDOWS) for ind, design, by, k in (
        ("score_math", "prepost", ("school",), 60), ("score_math", "did", ("municipality",), 60),
        ("motivation_index", "did", ("department", "ethnicity"), 10),
        ("score_math", "prepost", ("municipality", "sex"), 10))],
]


def key(call: tuple) -> str:
    indicator, design, by, k, *windows = call
    return f"{indicator}|{design}|{'+'.join(by)}|{k}" + "".join(f"|{w[0]}/{w[1]}" for w in windows)


def text(value) -> str:
    """A key or reason as text ("" for none)."""
    return "" if value is None or value != value else str(value)


def views(db: str, calls: list[tuple], cheap: bool) -> dict[str, dict[str, list[list[str]]]]:
    """Every view each call protects (its coarser views, recursively, then itself): per grouping, the rows'
    keys and suppression reason as text. ``cheap``: every view protected from its counts (linked.py), the
    coarser views computed once for all calls of one indicator, design and threshold; else compare() as
    it runs in the code on sys.path."""
    from analysis.compare import CompareError, compare, linked, suppression
    from analysis.compare.designs import get
    from analysis.compare.request import check
    from analysis.compare.sql import connect

    out: dict[str, dict[str, list[list[str]]]] = {}
    memos: dict[tuple, dict] = {}
    shown: dict[tuple, dict[str, list[list[str]]]] = {}
    original = suppression.suppress
    seen: dict[str, list[list[str]]] = {}

    def spy(frame, by, *args, **kwargs):
        result = original(frame, by, *args, **kwargs)
        seen["+".join(by)] = [[text(v) for v in row]
                              for row in result[["program", "country", *by, "suppression_reason"]].to_numpy()]
        return result

    suppression.suppress = spy
    try:
        for call in calls:
            indicator, design, by, k, *windows = call
            pre, post = windows[0] if windows else (None, None)
            seen.clear()
            try:
                if cheap:
                    con, _ = connect(db)
                    chosen = get(design)
                    req = check(con, indicator, chosen, list(by), None, pre, post, "all", k, False, 0.95)
                    req.margins = linked.margins(con, lambda c, r, d=chosen: linked.protect_counts(c, d, r), req,
                                                 memos.setdefault((indicator, design, k, pre), {}))
                    linked.protect_counts(con, chosen, req)
                    con.close()
                else:
                    compare(db, indicator, design, by=list(by), min_cell=k, pre=pre, post=post)
            except CompareError as e:
                seen["error"] = [[str(e)]]
            known = shown.setdefault((indicator, design, k, pre), {})
            known.update(seen)
            out[key(call)] = {g: known[g] for g in ([*seen] if not cheap else _family(by)) if g in known}
    finally:
        suppression.suppress = original
    return out


def _family(by: tuple[str, ...]) -> list[str]:
    """The groupings a view is protected with: its coarser views, theirs, ..., then itself."""
    from analysis.compare import suppression

    out: list[str] = []
    for g in suppression.coarser(list(by)):
        out += [x for x in _family(g) if x not in out]
    return [*out, "+".join(by)]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    from tests.conftest import demo_copy

    return str(demo_copy(tmp_path_factory, 4000, 7, "linkedcounts"))


def test_counts_alone_hide_what_the_full_run_hid(demo_db):
    expected = json.loads(EXPECTED.read_text())
    assert sorted(expected) == sorted(key(c) for c in CALLS)
    got = views(demo_db, CALLS, cheap=True)
    hidden = {"": 0, "small_cell": 0, "complementary": 0}
    for call in CALLS:
        want, have = expected[key(call)], got[key(call)]
        assert "error" not in want, (call, want)
        assert sorted(have) == sorted(want), call  # the same coarser views, recursively
        for grouping, rows in want.items():
            assert have[grouping] == rows, (call, grouping)
            for row in rows:
                hidden[row[-1]] = hidden.get(row[-1], 0) + 1
    # the comparison has something to compare: both rules hide cells, in views of every design
    assert hidden["small_cell"] >= 50 and hidden["complementary"] >= 50, hidden
    assert {c[1] for c in CALLS if any(r[-1] for rows in expected[key(c)].values()
                                       for r in rows)} == {"prepost", "did", "rct"}


def test_compare_uses_the_counted_margins(demo_db):
    """compare() itself (its own view run in full, the coarser views counted) gives the recorded reasons."""
    from analysis.compare import compare

    expected = json.loads(EXPECTED.read_text())
    for call in [("score_math", "prepost", ("school",), 60), ("score_math", "did", ("department", "ethnicity"), 10)]:
        indicator, design, by, k = call
        out = compare(demo_db, indicator, design, by=list(by), min_cell=k)
        rows = [[text(v) for v in row] for row in out[["program", "country", *by, "suppression_reason"]].to_numpy()]
        assert rows == expected[key(call)]["+".join(by)], call


if __name__ == "__main__":  # record the expected views with the code on sys.path: DB OUT
    result = views(sys.argv[1], CALLS, cheap=False)
    Path(sys.argv[2]).write_text(json.dumps(result, separators=(",", ":")) + "\n")
