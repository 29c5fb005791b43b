"""Inicio's students per programme and country (ui.queries.overview_students): the linked rule, worked by hand."""

from __future__ import annotations

import pandas as pd

from ui.queries import overview_students


def test_home_student_counts_protect_the_programmes_of_a_country_and_the_countries_of_a_programme():
    """Colombia's 7 comparison students are hidden; Colombia's total (a figure a visitor may know) minus its
    shown programmes would give them back, so MiLab's 40 Colombian students (the smaller sibling) are hidden
    too; each is then alone hidden among its programme's countries, so MiLab and the comparison schools in
    Guatemala are hidden as well (Guatemala: two hidden cells, 700 students). ValleLabs stays. The per-cell
    rule showed every count but the 7."""
    overview = pd.DataFrame({"program": ["ValleLabs", "MiLab", "MiLab", "comparison", "comparison"],
                             "country": ["CO", "GT", "CO", "CO", "GT"], "students": [500, 300, 40, 7, 400]})
    assert overview_students(overview, 10) == ["500", "—", "—", "<10", "—"]
    assert overview_students(overview, 5) == ["500", "300", "40", "7", "400"]  # nothing under 5: all shown


def test_home_caption_names_the_sessions_threshold(monkeypatch):
    """A researcher may lower the threshold (ui.access.min_cell): the caption says the "<k" the table shows, not
    a fixed 10, and what "—" means."""
    from tests.app.apps import run_page
    from ui import access

    monkeypatch.setattr(access, "min_cell", lambda: 5)
    at = run_page(None, "es")
    captions = " ".join(c.value for c in at.caption)
    assert "«<5»" in captions and "«<10»" not in captions and "«—»" in captions
