"""The same school cells on two pages (docs/METHODS.md, "Disclosure avoidance"): Escuelas' table and the evidence
pack by school (compare() by school) and Comparar's school lines. A school compare() hides to protect a small
school of its municipality was drawn on Comparar with its means; with the municipality's count and mean (the pack
by municipality) and the other schools (Escuelas), the small school's count and mean followed (on the default
demo: 9 students of a school in San Pedro Carchá, their mean to 0.01)."""

from __future__ import annotations

import pytest

from ui import compare_view
from ui.loaders import compare_result


@pytest.fixture(scope="module")
def linked_db(tmp_path_factory) -> str:
    from tests.conftest import demo_copy

    return str(demo_copy(tmp_path_factory, 3000, 11, "finish", "demo.duckdb"))  # the compare tests' demo


def test_a_school_hidden_by_compare_by_school_is_hidden_on_comparar_too(linked_db, monkeypatch):
    monkeypatch.setenv("LABLENS_DB", linked_db)
    frame = compare_result("score_math", "prepost", "school").frame
    hidden = set(zip(frame.loc[frame["suppression_reason"].notna(), "program"],
                     frame.loc[frame["suppression_reason"].notna(), "school"], strict=True))
    complementary = set(zip(frame.loc[frame["suppression_reason"] == "complementary", "program"],
                            frame.loc[frame["suppression_reason"] == "complementary", "school"], strict=True))
    lines, _, _ = compare_view.family("score_math", None)
    every = lines[lines["value"] == "*"]
    shown = set(zip(every.loc[every["reason"].isna(), "program"], every.loc[every["reason"].isna(), "unit_id"],
                    strict=True))
    assert complementary and len(every) > 100  # the demo has schools hidden to protect others
    assert not hidden & shown, sorted(hidden & shown)
