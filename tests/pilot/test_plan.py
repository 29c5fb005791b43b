"""The pre-analysis plan: thresholds, both languages, escaping, offline HTML."""

from __future__ import annotations

import pytest

from analysis.pilot.plan import indicator_power, render, verdict

RECORD = {"seed": 7, "country": "GT", "frame_file": "directorio <b>2026</b>.csv", "frame_sha256": "ab" * 32,
          "eligible_sha256": "cd" * 32, "schools": 40, "treated": 20, "comparison": 20,
          "strata": [{"stratum": "<script>alert(1)</script> | Ixcán", "schools": 24, "treated": 12},
                     {"stratum": "Nebaj *x* _y_", "schools": 16, "treated": 8}],
          "options": {"program": "MiLab", "where": "zone=rural"}, "method": "complete randomisation",
          "lablens_version": "0.1.0"}


@pytest.mark.parametrize(("low", "high", "higher", "expected"), [
    (0.05, 0.40, True, "achieved"),
    (-0.05, 0.15, True, "not achieved"),          # excludes the MDES 0.20 from above
    (-0.40, -0.10, True, "not achieved"),         # harm
    (-0.10, 0.30, True, "not enough evidence"),   # includes 0 and the MDES
    (-3.0, -0.5, False, "achieved"),              # dropout: a fall is the intended direction
    (-0.15, 0.10, False, "not achieved"),
    (-0.3, 0.3, None, "no direction"),
])
def test_verdict_thresholds(low, high, higher, expected):
    assert verdict(low, high, 0.20, higher) == expected


def _powers():
    return [indicator_power("score_math", RECORD, students=20, icc=None, icc_source=None),
            indicator_power("dropout_rate", RECORD, students=20, icc=None, icc_source=None, sd=1.5),
            indicator_power("enrolled_next_year", RECORD, students=20, icc=0.05, icc_source="given",
                            base_rate=0.85)]


def test_power_rows_use_the_assignment():
    score, rate, binary = _powers()
    assert (score.result.schools, score.result.blocks, score.result.icc) == (40, 2, 0.20)  # WWC default
    assert score.result.df == 40 - 2 * 2
    assert rate.school_level and rate.result.students == 1 and rate.unit_note("en").endswith("pp (SD 1.50)")
    assert rate.unit_note("es").endswith("pp (DE 1,50)")
    assert binary.unit_note("en") == f"{binary.result.mdes_points:.1f} pp (base rate 85.0%)"
    assert binary.unit_note("es") == f"{binary.result.mdes_points:.1f} pp (tasa base 85,0 %)".replace(".", ",")


def test_markdown_has_both_languages_and_escapes_data():
    md = render(RECORD, _powers(), "md")
    assert "# Plan de preanálisis: piloto MiLab" in md and "# Pre-analysis plan: MiLab pilot" in md
    assert md.index("Plan de preanálisis") < md.index("Pre-analysis plan")
    assert "\\<script\\>" in md and "<script>" not in md
    assert "\\| Ixcán" in md  # a pipe in data cannot break the table
    assert "Nebaj \\*x\\* \\_y\\_" in md
    assert "Achieved: the 95% confidence interval" in md and "Logrado:" in md


def test_html_is_offline_and_escaped():
    page = render(RECORD, _powers(), "html", ("en",))
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;2026&lt;/b&gt;" in page
    for external in ("http://", "https://", "src=", "href=", "@import"):
        assert external not in page
    assert "Plan de preanálisis" not in page  # one language asked for
