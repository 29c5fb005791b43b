"""Implementación through AppTest, in both languages, on the demo: the counts the page states are the
monitor's (analysis.implementation.monitor), in words; the URL carries the territory and the targets; the
dose sentence says "association"; Logros repeats the facts; a database without records says what to do."""

from __future__ import annotations

import math
import shutil

import duckdb
import pandas as pd
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
    no_log = behind_table[words["impl.col.reason"]].isin(
        [words[f"impl.behind.{r}"] for r in ("no_report", "roster_operating", "roster_not_operating")])
    assert no_log.sum() == unknown and set(behind_table.loc[no_log, words["impl.col.sessions"]]) == {"—"}
    assert "0" not in set(behind_table.loc[no_log, words["impl.col.hours_term"]])
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


# Independent of monitor's SQL: each planned school's lab as its latest lab log record says, or, with no record,
# as the trial roster's lab_operating says ('yes'/'no' in the demo)
LABS_SQL = """
WITH planned AS (
    SELECT a.unit_id, a.program, u.department, u.municipality FROM assignments a JOIN units u USING (unit_id)
    WHERE u.unit_type = 'school' AND a.program NOT IN ('comparison', 'unassigned')),
last AS (
    SELECT unit_id, operating, max(lab_installed::INT) OVER (PARTITION BY unit_id) = 1 AS installed FROM lab_log
    QUALIFY row_number() OVER (PARTITION BY unit_id ORDER BY visit_date DESC) = 1),
roster AS (SELECT unit_id, value FROM unit_attributes WHERE name = 'lab_operating')
SELECT p.program, p.department, p.municipality, count(*) AS planned,
       count(*) FILTER (WHERE l.installed OR (l.unit_id IS NULL AND r.value = 'yes')) AS installed,
       count(*) FILTER (WHERE l.operating) AS by_log,
       count(*) FILTER (WHERE l.unit_id IS NULL AND r.value = 'yes') AS by_roster,
       count(*) FILTER (WHERE l.unit_id IS NULL) AS no_log
FROM planned p LEFT JOIN last l USING (unit_id) LEFT JOIN roster r USING (unit_id)
GROUP BY ALL
"""
# the last month of each programme's log: labs operating that month, and the planned labs with any log record
LAST_MONTH_SQL = """
WITH planned AS (
    SELECT a.unit_id, a.program FROM assignments a JOIN units u USING (unit_id)
    WHERE u.unit_type = 'school' AND a.program NOT IN ('comparison', 'unassigned')),
logs AS (SELECT p.program, v.* FROM lab_log v JOIN planned p USING (unit_id)),
last AS (SELECT program, max(date_trunc('month', visit_date)) AS month FROM logs GROUP BY program)
SELECT program,
       (SELECT count(DISTINCT unit_id) FROM logs g WHERE g.program = last.program AND g.operating
          AND date_trunc('month', g.visit_date) = last.month) AS operating,
       (SELECT count(DISTINCT unit_id) FROM logs g WHERE g.program = last.program) AS logged
FROM last
"""


def _share(part: int, whole: int) -> str:
    return f"{math.floor(100 * part / whole + 0.5)} %"


def _labs(demo_db: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per programme and municipality, per programme) the independent counts of LABS_SQL."""
    with duckdb.connect(demo_db, read_only=True) as con:
        labs = con.execute(LABS_SQL).df()
    return labs, labs.groupby("program")[["planned", "installed", "by_log", "by_roster", "no_log"]].sum()


@pytest.mark.parametrize("lang", LANGS)
def test_the_trials_labs_count_as_its_roster_says(lang, demo_db):
    """MiLab's trial schools have no lab log, but the trial's roster says which labs operate: the page read
    '27 of 70' and 39 % a month, counting 26 operating labs as idle. The status sentence, the status table's
    share per municipality and the monthly sentence agree with an independent count (Logros: the next test)."""
    words = catalogue(lang)
    labs, per = _labs(demo_db)
    with duckdb.connect(demo_db, read_only=True) as con:
        last = con.execute(LAST_MONTH_SQL).df().set_index("program")
    assert per.loc["MiLab", "by_roster"] > 0 and per.loc["ValleLabs", "no_log"] == 0
    at = _run("pages/implementacion.py", lang, nivel="municipality")
    text = _texts(at)
    planned, installed, by_log, by_roster = (int(per[c].sum()) for c in ("planned", "installed", "by_log",
                                                                           "by_roster"))
    operating = by_log + by_roster
    # in the demo the roster reports every planned lab without a log: no lab is without any report
    assert words["impl.status_summary_roster"].format(
        planned=_fmt(planned, lang), installed=_fmt(installed, lang), operating=_fmt(operating, lang),
        logged=_fmt(by_log, lang), roster=_fmt(by_roster, lang), not_yet=_fmt(planned - operating, lang)) in text
    # every municipality's row: labs operating (log and roster) and its share of the planned labs
    status_table = at.dataframe[0].value
    shown = sorted(zip(status_table[words["col.program"]], status_table[words["impl.operating"]],
                       status_table[words["impl.col.share_operating"]], strict=True))
    expected = sorted((r.program, r.by_log + r.by_roster, _share(r.by_log + r.by_roster, r.planned))
                      for r in labs.itertuples())
    assert shown == expected
    # the monthly sentence: the last month's share of the logged labs, and the labs outside the series
    milab = last.loc["MiLab"]
    assert f"MiLab: {_share(milab['operating'], milab['logged'])} " in text
    assert words["impl.time_part"].split("{month}")[1].format(operating=milab["operating"],
                                                             logged=milab["logged"]) in text
    assert words["impl.time_no_log_roster"].format(
        program="MiLab", n=per.loc["MiLab", "no_log"], planned=per.loc["MiLab", "planned"],
        roster=per.loc["MiLab", "by_roster"]) in text


@pytest.mark.parametrize("lang", LANGS)
def test_logros_repeats_the_implementation_facts(lang, demo_db):
    at = _run("pages/logros.py", lang)
    text = _texts(at)
    words = catalogue(lang)
    assert words["impl.logros.title"] in text
    with duckdb.connect(demo_db, read_only=True) as con:
        status = monitor.lab_status(con, "program").set_index("program")
    per = _labs(demo_db)[1]
    assert status.loc["MiLab", "roster_only"] > 0  # the trial's schools: no lab log, a roster that says
    for program in ("MiLab", "ValleLabs"):
        row = status.loc[program]
        if row["roster_only"]:  # the trial's labs, as its roster says: the same count as the independent one
            mine = per.loc[program]
            line = words["impl.logros.labs_roster"].format(
                program=program, operating=mine["by_log"] + mine["by_roster"], planned=mine["planned"],
                roster=mine["by_roster"], not_yet=mine["planned"] - mine["by_log"] - mine["by_roster"])
        elif row["no_report"]:  # labs with no report are said apart, never called idle
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
