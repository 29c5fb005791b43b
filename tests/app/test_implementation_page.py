"""Implementación through AppTest, in both languages, on the demo: the counts the page states are the
monitor's (analysis.implementation.monitor), in words; the URL carries the territory and the targets; the
dose sentence says "association"; Logros repeats the facts; a database without records says what to do."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analysis.implementation import monitor
from tests.app.apps import run_page
from ui.i18n import catalogue

LANGS = ["es", "en"]


def _run(page: str, lang: str, **params: str) -> AppTest:
    return run_page(page, lang, **params)


def _texts(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning")
             for e in getattr(at, kind)]
    return "\n".join(parts).replace("\\", "")


def _fmt(value: int, lang: str) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "es" else text


@pytest.mark.parametrize("lang", LANGS)
def test_page_states_the_monitors_counts_in_words(lang, demo_db):
    at = _run("pages/implementacion.py", lang, nivel="municipality", horas_objetivo="30")
    words = catalogue(lang)
    text = _texts(at)
    assert at.title[0].value == words["page.implementation"]
    assert "⟦" not in text and "impl." not in text  # every key translated
    with duckdb.connect(demo_db, read_only=True) as con:
        status = monitor.lab_status(con, "municipality")
        use = monitor.school_use(con, target_hours_per_term=30)
    planned, operating = int(status["planned"].sum()), int(status["operating"].sum())
    assert f"{_fmt(planned, lang)} " in text and f"{_fmt(planned - operating, lang)} " in text
    behind = int(use["behind"].sum())
    assert words["impl.use_summary"].split("{")[0].strip("* ") in text
    assert f"{behind} " in text and " 30 " in text  # the target from the URL is the one applied
    # the territory level from the URL: municipality names in the status table, never codes
    status_table = at.dataframe[0].value
    assert set(status_table[words["impl.col.territory"]]) == set(status["territory"])
    assert words["impl.dose_title"] in text
    association = {"es": "Asociación", "en": "Association"}[lang]
    assert association in text or words["impl.dose_sentence_unclear"].split("{")[0] in text
    labels = {s.label: s.value for s in at.selectbox}
    assert labels[words["impl.filter.level"]] == "municipality"
    # no report is not zero use: '—' for the sessions of schools without any report, and how many are said
    unknown = int(use["sessions"].isna().sum())
    assert unknown > 0 and words["impl.use_no_report"].format(n=unknown) in text
    behind_table = next(d.value for d in at.dataframe if words["impl.col.sessions"] in d.value.columns)
    no_report = behind_table[words["impl.col.reason"]] == words["impl.behind.no_report"]
    assert no_report.sum() == unknown and set(behind_table.loc[no_report, words["impl.col.sessions"]]) == {"—"}
    assert "0" not in set(behind_table.loc[no_report, words["impl.col.hours_term"]])
    # an empty training bar says why under the chart: no training records, or records but nobody with the hours
    with duckdb.connect(demo_db, read_only=True) as con:
        training = monitor.training_coverage(con, "municipality", min_hours=20)
    zero = (training["teachers"] > 0) & (training["teachers_min_hours"] == 0)
    assert (training["teachers"] == 0).any() and zero.any()
    for key in ("impl.training_no_records", "impl.training_zero"):
        assert words[key].split("{")[0] in text
    # dose and response: student SDs first, each country's test points after, their scale named
    sd = f" {words['impl.sd']} "
    for country in ("CO", "GT"):
        scale = words["impl.points_of"].format(country=words[f"country.{country}"])
        assert words["impl.dose_raw"].format(scale=scale, slope="", low="", high="").split(":")[0] in text
    assert sd in text


@pytest.mark.parametrize("lang", LANGS)
def test_logros_repeats_the_implementation_facts(lang, demo_db):
    at = _run("pages/logros.py", lang)
    text = _texts(at)
    words = catalogue(lang)
    assert words["impl.logros.title"] in text
    with duckdb.connect(demo_db, read_only=True) as con:
        status = monitor.lab_status(con, "program").set_index("program")
    for program in ("MiLab", "ValleLabs"):
        row = status.loc[program]
        if row["no_report"]:  # labs with no report are said apart, never called idle
            line = words["impl.logros.labs_no_report"].format(
                program=program, operating=row["operating"], planned=row["planned"],
                not_yet=row["planned"] - row["operating"] - row["no_report"], no_report=row["no_report"])
        else:
            line = words["impl.logros.labs"].format(program=program, operating=row["operating"],
                                                     planned=row["planned"], not_yet=row["planned"] - row["operating"])
        assert line in text
        # the dose contrast in student SDs, the raw points after it with their test's scale named
        scale = words["impl.points_of"].format(country=words[f"country.{row['country']}"])
        assert f" {words['impl.sd']}; " in text and words["impl.logros.raw"].format(scale=scale, diff="") in text


def test_a_database_without_records_says_how_to_collect_them(demo_db, tmp_path, monkeypatch):
    empty = tmp_path / "no_records.duckdb"
    shutil.copy(demo_db, empty)
    with duckdb.connect(str(empty)) as con:
        for name in ("lab_log", "teacher_training", "governance_check"):
            con.execute(f"DELETE FROM {name}")
    monkeypatch.setenv("LABLENS_DB", str(empty))
    at = _run("pages/implementacion.py", "es")
    assert catalogue("es")["impl.no_records"].split(".")[0] in _texts(at)
    assert not at.dataframe
