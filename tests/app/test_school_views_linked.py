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
    drawn = set(zip(every["program"], every["unit_id"], strict=True))
    # the demo has schools hidden to protect others, among the schools Comparar draws (the DiD's: a randomised
    # trial's are left out)
    assert complementary & drawn and len(every) > 50
    assert not hidden & shown, sorted(hidden & shown)


def test_a_hidden_schools_profile_shows_no_student_count(linked_db, monkeypatch):
    """Escuelas' profile of a school hidden to protect another: its students per wave are not shown either (its
    count, subtracted from its municipality's, gave the small school's count); a shown school keeps them."""
    from tests.app.apps import run_page
    from ui.i18n import catalogue

    monkeypatch.setenv("LABLENS_DB", linked_db)
    frame = compare_result("score_math", "prepost", "school").frame
    hidden = frame.loc[frame["suppression_reason"] == "complementary", "school"].iloc[0]
    shown = frame.loc[frame["suppression_reason"].isna(), "school"].iloc[0]
    wave, column = catalogue("es")["col.wave"], catalogue("es")["col.students"]
    for school, expect_hidden in ((hidden, True), (shown, False)):
        at = run_page("escuelas", "es", indicador="score_math", escuela=school)
        counts = [v for d in at.dataframe if {wave, column} <= set(d.value.columns) for v in d.value[column]]
        assert len(counts) == 2, (school, counts)  # the demo's two waves
        assert all(v == "—" for v in counts) == expect_hidden, (school, counts)
