"""Implementation monitoring on a hand-built database whose every count is known, and on the demo."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from analysis.db.schema import create_schema
from analysis.implementation import monitor

D = dt.date


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> str:
    """Four planned MiLab schools in two departments and one comparison school, with known records:
    A operating (hours 10, 20, 30 over three months), B installed then stopped, C not installed, D no report."""
    path = str(tmp_path_factory.mktemp("impl") / "small.duckdb")
    con = duckdb.connect(path)
    create_schema(con)
    units = [("GT-01", "GT", "department", "01", "Guatemala", None, "Guatemala", None),
             ("GT-14", "GT", "department", "14", "Quiché", None, "Quiché", None)]
    schools = [("A", "Quiché", "Nebaj"), ("B", "Quiché", "Nebaj"), ("C", "Guatemala", "Mixco"),
               ("D", "Guatemala", "Mixco"), ("E", "Guatemala", "Mixco")]
    for code, dep, mun in schools:
        units.append((f"GT-{code}", "GT", "school", code, f"Escuela {code}", None, dep, mun))
    con.executemany("INSERT INTO units (unit_id, country, unit_type, code, name, parent_id, department, "
                    "municipality) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", units)
    con.executemany("INSERT INTO assignments VALUES (?, ?, ?, ?, 1)",
                    [("GT-A", "MiLab", "Lab Point", 2024), ("GT-B", "MiLab", "Lab Spark", 2024),
                     ("GT-C", "MiLab", "Lab Point", 2024), ("GT-D", "MiLab", "Lab Point", 2024),
                     ("GT-E", "comparison", None, None)])
    log = [("GT-A", D(2024, 3, 1), True, True, 4, 10.0), ("GT-A", D(2024, 4, 1), True, True, 6, 20.0),
           ("GT-A", D(2024, 5, 1), True, True, 8, 30.0), ("GT-B", D(2024, 3, 1), True, True, 2, 5.0),
           ("GT-B", D(2024, 5, 1), True, False, None, None), ("GT-C", D(2024, 5, 1), False, None, None, None)]
    con.executemany("INSERT INTO lab_log (import_id, form_id, submission_id, unit_id, visit_date, lab_installed, "
                    "operating, sessions_held, hours_of_use) VALUES (1, 'lablens_lab_log', ?, ?, ?, ?, ?, ?, ?)",
                    [(f"s{i}", *row) for i, row in enumerate(log)])
    training = [("GT-A", "t1", 12.0, True), ("GT-A", "t1", 10.0, False), ("GT-A", "t2", 5.0, False),
                ("GT-C", "t3", 25.0, True)]
    con.executemany("INSERT INTO teacher_training (import_id, form_id, submission_id, entry, unit_id, "
                    "training_date, teacher_key, hours, completed) "
                    "VALUES (1, 'lablens_training', ?, 1, ?, DATE '2024-02-01', ?, ?, ?)",
                    [(f"t{i}", *row) for i, row in enumerate(training)])
    gov = [("GT-A", D(2024, 3, 1), True, 2, True, False, "municipal"), ("GT-A", D(2024, 9, 1), True, 1, True, True,
                                                                        "both"),
           ("GT-B", D(2024, 9, 1), False, 0, False, False, "none")]
    con.executemany("INSERT INTO governance_check (import_id, form_id, submission_id, unit_id, checklist_date, "
                    "committee_in_place, meetings_held, families_take_part, community_takes_part, "
                    "territorial_articulation) VALUES (1, 'lablens_governance', ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(f"g{i}", *row) for i, row in enumerate(gov)])
    con.close()
    return path


@pytest.fixture
def con(small_db):
    connection = duckdb.connect(small_db, read_only=True)
    yield connection
    connection.close()


def test_labs_planned_installed_operating_and_no_report(con):
    whole = monitor.lab_status(con, "program").iloc[0]
    assert (whole["planned"], whole["installed"], whole["operating"], whole["no_report"]) == (4, 2, 1, 1)
    assert whole["share_operating"] == pytest.approx(0.25)
    by_department = monitor.lab_status(con, "department").set_index("territory")
    assert by_department.loc["Quiché", ["planned", "installed", "operating"]].tolist() == [2, 2, 1]
    assert by_department.loc["Guatemala", ["planned", "installed", "operating", "no_report"]].tolist() == [2, 0, 0, 1]
    # as of April, B was still operating at its latest record
    assert monitor.lab_status(con, "program", until=D(2024, 4, 30)).iloc[0]["operating"] == 2


def test_schools_falling_behind_and_hours_per_term(con):
    use = monitor.school_use(con, target_hours_per_term=50).set_index("code")
    assert use.loc["A", "hours_per_term"] == pytest.approx(3 * 60 / 3)  # 60 hours over 3 months = 60 per term
    assert use.loc["B", "hours_per_term"] == pytest.approx(3 * 5 / 2)
    assert use.loc["A", "sessions"] == 18 and not use.loc["A", "behind"]
    assert use["behind_reason"].to_dict() == {"A": None, "B": "not_operating", "C": "not_operating",
                                              "D": "no_report"}
    assert monitor.school_use(con, target_hours_per_term=61).set_index("code").loc["A", "behind_reason"] == \
        "below_target"
    # D has no record at all: its use is unknown, never 0 hours or 0 sessions
    assert pd.isna(use.loc["D", "sessions"]) and pd.isna(use.loc["D", "lab_hours"])
    assert pd.isna(use.loc["D", "hours_per_term"])


def test_training_coverage_counts_teachers_by_their_summed_hours(con):
    row = monitor.training_coverage(con, "program", min_hours=20).iloc[0]
    # t1: 12 + 10 = 22 h (counts), t2: 5 h, t3: 25 h (counts); schools with training: A and C of 4
    assert (row["teachers"], row["teachers_min_hours"], row["teachers_completed"]) == (3, 2, 2)
    assert (row["schools"], row["schools_with_training"]) == (4, 2)
    assert row["share_min_hours"] == pytest.approx(2 / 3)


def test_governance_reads_each_schools_latest_checklist(con):
    row = monitor.governance(con, "program").iloc[0]
    assert (row["schools"], row["schools_checked"], row["committee_in_place"], row["community_takes_part"],
            row["territorial_articulation"]) == (4, 2, 1, 1, 1)
    assert row["share_families_take_part"] == pytest.approx(0.5)


def test_over_time_shares_of_planned_labs_with_a_log(con):
    """Each month's share is of the planned labs the log covers (A, B, C): D, with no report at all, has no
    month and is not counted idle in every month (it was: 2 of 4 read 50 % in March)."""
    frame = monitor.over_time(con)
    frame = frame.set_index(frame["month"].astype(str))
    assert frame.loc["2024-03-01", "labs_operating"] == 2 and frame.loc["2024-05-01", "labs_operating"] == 1
    assert frame.loc["2024-05-01", "labs_reporting"] == 3
    assert (frame["planned"] == 4).all() and (frame["logged"] == 3).all()
    assert frame.loc["2024-03-01", "share_operating"] == pytest.approx(2 / 3)


def test_a_trial_roster_reports_labs_without_a_use_log(tmp_path):
    """MiLab's 30 trial schools have no lab log but their roster's lab_operating says 26 operate: the page read
    27 of 70 planned labs operating and 39 % a month. Now a school without a log record is reported by its
    roster (operating counts as installed; its hours and sessions stay unknown), a log record wins over the
    roster, a value that is neither yes nor no is no report, and the monthly share is of the logged labs."""
    path = str(tmp_path / "roster.duckdb")
    with duckdb.connect(path) as db:
        create_schema(db)
        codes = "ABCDEF"
        db.executemany("INSERT INTO units (unit_id, country, unit_type, code, name, department, municipality) "
                       "VALUES (?, 'GT', 'school', ?, ?, 'Quiché', 'Nebaj')",
                       [(f"GT-{c}", c, f"Escuela {c}") for c in codes])
        db.executemany("INSERT INTO assignments VALUES (?, ?, NULL, NULL, 1)",
                       [(f"GT-{c}", "comparison" if c == "F" else "MiLab") for c in codes])
        # A logged and operating; B logged, stopped, roster says yes (the log wins); C, D roster only (Sí, no);
        # E roster 'quizás' (no report); F a comparison school with a roster 'no' (not planned)
        db.executemany("INSERT INTO unit_attributes VALUES (?, 'lab_operating', ?, 1)",
                       [("GT-B", "yes"), ("GT-C", " Sí "), ("GT-D", "no"), ("GT-E", "quizás"), ("GT-F", "no")])
        db.executemany("INSERT INTO lab_log (import_id, form_id, submission_id, unit_id, visit_date, lab_installed, "
                       "operating, sessions_held, hours_of_use) VALUES (1, 'lablens_lab_log', ?, ?, ?, true, ?, ?, ?)",
                       [("s1", "GT-A", D(2024, 3, 1), True, 4, 12.0), ("s2", "GT-B", D(2024, 3, 1), True, 2, 6.0),
                        ("s3", "GT-B", D(2024, 4, 1), False, None, None)])
        status = monitor.lab_status(db, "program").iloc[0]
        use = monitor.school_use(db).set_index("code")
        time = monitor.over_time(db)
        time = time.set_index(time["month"].astype(str))
    assert status[["planned", "installed", "operating", "operating_roster", "roster_only", "no_log",
                   "no_report"]].tolist() == [5, 3, 2, 1, 2, 3, 1]
    assert status["share_operating"] == pytest.approx(2 / 5)
    assert use["reported_by"].fillna("none").to_dict() == {"A": "log", "B": "log", "C": "roster", "D": "roster",
                                                          "E": "none"}
    assert use["behind_reason"].to_dict() == {"A": "below_target", "B": "not_operating", "C": "roster_operating",
                                              "D": "roster_not_operating", "E": "no_report"}
    assert use.loc["C", "operating"] and use.loc["C", "installed"] and not use.loc["D", "operating"]
    assert use.loc[["C", "D", "E"], ["lab_hours", "sessions", "hours_per_term"]].isna().all().all()
    # the month's share is of the 2 logged labs (A, B), never of the 5 planned
    march = time.loc["2024-03-01"]
    assert (march["labs_operating"], march["logged"], march["planned"]) == (2, 2, 5)
    assert march["share_operating"] == pytest.approx(1.0)
    assert time.loc["2024-04-01", "share_operating"] == pytest.approx(0.0)


def test_no_records_is_told_apart(tmp_path):
    path = str(tmp_path / "empty.duckdb")
    with duckdb.connect(path) as empty:
        create_schema(empty)
        assert not monitor.has_records(empty)
        assert monitor.lab_status(empty).empty
        assert monitor.date_range(empty) == (None, None)


def test_demo_counts_match_the_planted_statuses(implementation_db):
    """The demo's logged labs (its first cohorts) follow the planted shares of labs never installed or never
    operating; the randomised MiLab cohort's assigned schools have no lab log and are reported by the trial's
    roster (lab_operating), the operating ones counted as operating and installed."""
    from analysis.demo.params import NOT_INSTALLED, NOT_OPERATING

    with duckdb.connect(implementation_db, read_only=True) as demo:
        status = monitor.lab_status(demo, "program").set_index("program")
        randomised, roster_yes = demo.execute(
            "SELECT count(*), count(*) FILTER (WHERE o.value = 'yes') FROM assignments a "
            "JOIN unit_attributes s ON s.unit_id = a.unit_id AND s.name = 'stratum' "
            "JOIN unit_attributes o ON o.unit_id = a.unit_id AND o.name = 'lab_operating' "
            "WHERE a.program = 'MiLab'").fetchone()
    assert status.loc["MiLab", "roster_only"] == status.loc["MiLab", "no_log"] == randomised > 0
    assert status.loc["MiLab", "operating_roster"] == roster_yes > 0
    assert (status["no_report"] == 0).all() and status.loc["ValleLabs", "no_log"] == 0
    for program in ("MiLab", "ValleLabs"):
        logged = status.loc[program, "planned"] - status.loc[program, "no_log"]
        by_roster = status.loc[program, "operating_roster"]
        never = round(NOT_INSTALLED[program] * logged) + round(NOT_OPERATING[program] * logged)
        assert status.loc[program, "installed"] == logged - round(NOT_INSTALLED[program] * logged) + by_roster
        assert 0 < status.loc[program, "operating"] - by_roster <= logged - never


def test_two_municipalities_of_one_name_are_not_added_together(tmp_path):
    """Colombia has a La Unión in Valle del Cauca and in Nariño: grouped by name alone, their labs were one
    territory (planned 2, operating 1) on the table, the chart and the map."""
    path = str(tmp_path / "same_name.duckdb")
    with duckdb.connect(path) as db:
        create_schema(db)
        db.executemany("INSERT INTO units (unit_id, country, unit_type, code, name, department, municipality) "
                       "VALUES (?, 'CO', 'school', ?, ?, ?, 'La Unión')",
                       [("CO-1", "176400000001", "Escuela Valle", "Valle del Cauca"),
                        ("CO-2", "152399000001", "Escuela Nariño", "Nariño")])
        db.executemany("INSERT INTO assignments VALUES (?, 'ValleLabs', 'Lab Point', 2024, 1)", [("CO-1",), ("CO-2",)])
        db.execute("INSERT INTO lab_log (import_id, form_id, submission_id, unit_id, visit_date, lab_installed, "
                   "operating) VALUES (1, 'lablens_lab_log', 's1', 'CO-1', DATE '2024-05-01', true, true)")
        db.execute("INSERT INTO teacher_training (import_id, form_id, submission_id, entry, unit_id, training_date, "
                   "teacher_key, hours) VALUES (1, 'lablens_training', 't1', 1, 'CO-2', DATE '2024-02-01', 'k', 30)")
        status = monitor.lab_status(db, "municipality").set_index("parent")
        training = monitor.training_coverage(db, "municipality").set_index("parent")
        governance = monitor.governance(db, "municipality")
        by_department = monitor.lab_status(db, "department")
    assert status["territory"].tolist() == ["La Unión", "La Unión"]
    assert status.loc["Valle del Cauca", ["planned", "operating"]].tolist() == [1, 1]
    assert status.loc["Nariño", ["planned", "operating", "no_report"]].tolist() == [1, 0, 1]
    assert training.loc["Nariño", "teachers"] == 1 and training.loc["Valle del Cauca", "teachers"] == 0
    assert len(governance) == 2 and by_department["parent"].isna().all() and len(by_department) == 2


def test_the_page_names_the_department_of_a_shared_municipality_name():
    import pandas as pd

    from ui.implementation_view import _places

    frame = pd.DataFrame({"program": ["ValleLabs"] * 3, "country": ["CO"] * 3,
                          "parent": ["Nariño", "Valle del Cauca", "Valle del Cauca"],
                          "territory": ["La Unión", "La Unión", "Tuluá"]})
    assert _places(frame).tolist() == ["La Unión (Nariño)", "La Unión (Valle del Cauca)", "Tuluá"]


def test_the_map_hover_shows_a_name_with_an_ampersand_once_escaped():
    """The hover was escaped by the view and again by the Chart: 'Santa Rosa & San José' read '&amp;'."""
    import pandas as pd
    import plotly.graph_objects as go

    from ui.charts import Chart
    from ui.implementation_view import map_hover

    frame = pd.DataFrame({"program": ["MiLab"], "country": ["GT"], "parent": [None],
                          "territory": ["Santa Rosa & San José <i>"], "operating": [3], "planned": [4],
                          "share_operating": [0.75]})
    hover = map_hover(frame)
    chart = Chart(go.Figure(go.Scatter(x=[0], y=[0], text=hover, hoverinfo="text")), "", "")
    assert chart.fig.data[0].text[0].startswith("<b>Santa Rosa &amp; San José <i></b> · MiLab<br>3 ")


def test_two_programmes_in_one_department_get_one_colour_on_the_map():
    import pandas as pd

    from ui.implementation_view import map_values

    frame = pd.DataFrame({"program": ["MiLab", "ValleLabs", "ValleLabs"], "country": ["CO"] * 3,
                          "parent": [None] * 3, "territory": ["Valle del Cauca", "Valle del Cauca", "Cauca"],
                          "operating": [1, 6, 0], "planned": [4, 8, 2]})
    out = map_values(frame).set_index("territory")
    assert len(out) == 2 and out.loc["Valle del Cauca", "program"] == "MiLab, ValleLabs"
    assert out.loc["Valle del Cauca", "share_operating"] == pytest.approx(7 / 12)
    assert out.loc["Cauca", "share_operating"] == 0


def test_logros_does_not_call_labs_without_a_report_idle(con, monkeypatch):
    """Logros said '1 of 4 planned labs operate; 3 do not operate yet' where one of the 3 never reported."""
    from ui import implementation_view as view
    from ui.i18n import catalogue

    status = monitor.lab_status(con, "program")
    monkeypatch.setattr(view, "has_records", lambda: True)
    monkeypatch.setattr(view, "_read", lambda name, *args: status if name == "status" else
                        monitor.training_coverage(con, "program", None, 20.0))
    lines = view.logros_sentences(None, None, "")
    expected = catalogue("es")["impl.logros.labs_no_report"].format(program="MiLab", operating=1, planned=4,
                                                                      not_yet=2, no_report=1)
    assert lines[0] == expected


def test_an_empty_training_bar_says_why_on_the_chart_and_under_it(monkeypatch):
    """San Marcos, Santa Rosa and Totonicapán drew empty bars with no word: a territory without training
    records and one whose teachers all have fewer hours than the minimum now say which it is."""
    from ui import implementation_view as view
    from ui.i18n import catalogue

    frame = pd.DataFrame({"program": "MiLab", "country": "GT", "parent": None,
                          "territory": ["San Marcos", "Santa Rosa", "Sololá"], "schools": [4, 3, 5],
                          "schools_with_training": [0, 2, 5], "teachers": [0, 3, 5], "teachers_min_hours": [0, 0, 4],
                          "teachers_completed": [0, 1, 4], "mean_hours": [None, 6.0, 24.0]})
    frame["share_min_hours"] = frame["teachers_min_hours"] / frame["teachers"].where(frame["teachers"] > 0)
    monkeypatch.setattr(view, "_read", lambda *args: frame.copy())
    chart = view.training_chart("department", None, 20)
    words = catalogue("es")
    bar = chart.fig.data[0]
    assert list(bar.text) == [words["impl.training_bar_none"], words["impl.training_bar_zero"].format(teachers=3), ""]
    assert list(bar.x) == [0.0, 0.0, 80.0]  # no NaN bar: the label has a place to stand
    assert words["impl.training_no_records"].format(places="San Marcos") in chart.summary
    assert words["impl.training_zero"].format(hours=20, places="Santa Rosa") in chart.summary
    assert len(chart.table) == 3  # the territory without records keeps its row
