"""Lab log, training and governance exports imported into their tables (analysis/importer/records.py; DESIGN.md,
"Implementation records"), from exports shaped exactly like ODK Central's and KoboToolbox's, built from the forms."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from analysis.forms.definitions import (
    GOVERNANCE_VERSION,
    LAB_LOG_VERSION,
    governance_form,
    lab_log_form,
    training_form,
)
from analysis.importer.errors import ImportFailed
from analysis.importer.history import rollback
from analysis.importer.pipeline import import_file
from analysis.keys import key_for_import
from analysis.privacy import pseudonym
from tests.forms.exports import Submission, central, csv_bytes, kobo, xlsx_of, zip_of
from tests.forms.test_odk_import import ENUMERATOR, HOSTILE, TRAINING_SENT_TWICE, filled

GT_SCHOOL, CO_SCHOOL = "16-01-0123-43", "176001000123"


def _lab(uuid: str, **values: str) -> Submission:
    base = {"country": "GT", "school_code": GT_SCHOOL, "visit_date": "2026-03-31", "period": "month",
            "lab_installed": "yes", "installed_on": "2025-08-15", "lab_type": "lab_point", "operating": "yes",
            "sessions_held": "12", "hours_of_use": "18,5", "students_attending": "120",
            "equipment_status": "all_working", "connectivity": "intermittent"}
    return Submission(uuid, filled(lab_log_form(), **(base | values)))


LAB = [
    _lab("c1", sessions_held="=1+1", comments=HOSTILE),  # a formula where a number goes; hostile free text
    _lab("c2", visit_date="2026-04-30", hours_of_use="24"),
    _lab("c1", sessions_held="=1+1", comments=HOSTILE),  # the same submission sent twice
    _lab("c3", country="CO", school_code="99", visit_date="2026-03-20"),  # not a school code: record rejected
    _lab("c4", visit_date="2026-05-31", lab_installed="no"),
]


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _dump(db) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(str(r) for t in tables for r in con.execute(f'SELECT * FROM "{t}"').fetchall())


def _rows(db, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_lab_log_from_odk_central_zip(tmp_path):
    db = tmp_path / "lablens.duckdb"
    export = _write(tmp_path, "lab.csv.zip", zip_of(central(lab_log_form(), LAB)))
    s = import_file(export, db)
    assert (s["status"], s["recognized_as"], s["form_version"], s["server"], s["target"]) == (
        "active", "lablens_lab_log", LAB_LOG_VERSION, "odk_central", "lab_log")
    assert (s["rows_read"], s["rows_loaded"], s["duplicates_skipped"], s["rows_rejected"], s["values_rejected"]) == (
        5, 3, 1, 1, 1)
    assert s["dropped_columns"] == ["SubmitterID", "SubmitterName", "DeviceID"]
    got = _rows(db, "SELECT submission_id, unit_id, visit_date, lab_installed, installed_on, lab_type, operating, "
                    "sessions_held, hours_of_use, students_attending, comments, form_id, form_version "
                    "FROM lab_log ORDER BY submission_id")
    d = dt.date
    assert got == [
        ("c1", "GT-" + GT_SCHOOL, d(2026, 3, 31), True, d(2025, 8, 15), "Lab Point", True, None, 18.5, 120, HOSTILE,
         "lablens_lab_log", LAB_LOG_VERSION),
        ("c2", "GT-" + GT_SCHOOL, d(2026, 4, 30), True, d(2025, 8, 15), "Lab Point", True, 12, 24.0, 120, None,
         "lablens_lab_log", LAB_LOG_VERSION),
        ("c4", "GT-" + GT_SCHOOL, d(2026, 5, 31), False, None, None, None, None, None, None, None,
         "lablens_lab_log", LAB_LOG_VERSION)]
    assert _rows(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY row_number") == [
        (1, "sessions_held", "=1+1", "not a number"),
        (4, "school_code", "99", "record not loaded: '99' is not a school code of CO (NNNNNNNNNNNN)")]
    # the school and its municipality and department were added; the view sums the year
    assert _rows(db, "SELECT unit_id FROM units ORDER BY 1") == [("GT-16",), ("GT-16-01",), ("GT-" + GT_SCHOOL,)]
    assert _rows(db, "SELECT year, months_reported, months_operating, lab_hours, sessions, lab_hours_per_term "
                     "FROM implementation_school_year") == [(2026, 3, 2, 42.5, 12, 42.5)]
    dump = _dump(db)
    assert ENUMERATOR not in dump and "collect:Xy12Ab34" not in dump
    assert json.loads(_rows(db, "SELECT summary_json FROM imports")[0][0])["rows_loaded"] == 3


def test_training_from_kobotoolbox_xlsx_with_repeat_sheet_pseudonymised_then_rolled_back(tmp_path):
    db = tmp_path / "lablens.duckdb"
    export = _write(tmp_path, "formacion.xlsx", xlsx_of(kobo(training_form(), TRAINING_SENT_TWICE)))
    s = import_file(export, db)
    assert (s["server"], s["rows_read"], s["rows_loaded"], s["duplicates_skipped"], s["records_loaded"]) == (
        "kobotoolbox", 3, 2, 1, 3)
    key = key_for_import(db)
    assert _rows(db, "SELECT submission_id, entry, unit_id, training_date, module, teacher_key, hours, completed "
                     "FROM teacher_training ORDER BY submission_id, entry") == [
        ("b1", 1, "CO-" + CO_SCHOOL, dt.date(2026, 2, 10), "robotics", pseudonym(key, "DOC-7"), 12.5, True),
        ("b1", 2, "CO-" + CO_SCHOOL, dt.date(2026, 2, 10), "robotics", pseudonym(key, "DOC-9"), 8.0, False),
        ("b2", 1, "GT-" + GT_SCHOOL, dt.date(2026, 2, 11), "lab_intro", pseudonym(key, "DOC-7"), 4.0, True)]
    assert _rows(db, "SELECT value FROM meta WHERE key = 'key_fingerprint'")  # the key this database is bound to
    assert _rows(db, "SELECT unit_id, teachers_trained, training_hours, training_hours_per_teacher, "
                     "teachers_completed_module FROM implementation_school_year ORDER BY 1") == [
        ("CO-" + CO_SCHOOL, 2, 20.5, 10.25, 1), ("GT-" + GT_SCHOOL, 1, 4.0, 4.0, 1)]
    dump = _dump(db)
    for needle in (ENUMERATOR, "DOC-7", "DOC-9", "doc-7"):
        assert needle not in dump
    assert rollback(db, s["import_id"])["status"] == "rolled_back"
    assert _rows(db, "SELECT count(*) FROM teacher_training") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM units") == [(0,)]


def test_fuller_export_adds_only_new_submissions(tmp_path, capsys):
    from analysis.cli import main

    db = tmp_path / "lablens.duckdb"
    first = _write(tmp_path, "lab1.csv", csv_bytes(central(lab_log_form(), LAB[:2])["lablens_lab_log.csv"]))
    assert import_file(first, db)["rows_loaded"] == 2
    fuller = _write(tmp_path, "lab2.csv", csv_bytes(central(lab_log_form(), [*LAB[:2], LAB[4]])["lablens_lab_log.csv"]))
    capsys.readouterr()
    assert main(["import", str(fuller), "--db", str(db), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["rows_loaded"], s["duplicates_skipped"], s["already_in_database"], s["values_rejected"]) == (1, 2, 2, 0)
    assert _rows(db, "SELECT import_id, submission_id FROM lab_log ORDER BY 2") == [(1, "c1"), (1, "c2"), (2, "c4")]
    assert _rows(db, "SELECT import_id, count(*) FROM rejects GROUP BY 1") == [(1, 1)]  # c1's reject not again
    assert import_file(fuller, db)["status"] == "already_imported"
    same = _write(tmp_path, "lab3.csv", csv_bytes(central(lab_log_form(), LAB[:2])["lablens_lab_log.csv"])
                  .replace(b"2026-03-01T", b"2026-03-09T"))  # another file, no new submission
    assert import_file(same, db)["status"] == "nothing_new"
    assert _rows(db, "SELECT count(*) FROM imports") == [(2,)]


def test_governance_from_kobotoolbox_csv_into_the_yearly_score(tmp_path):
    form = governance_form()

    def check(uuid: str, date: str, **values: str) -> Submission:
        base = {"country": "GT", "school_code": GT_SCHOOL, "checklist_date": date, "committee_in_place": "yes",
                "committee_members": "6", "meetings_held": "2", "families_take_part": "yes",
                "community_takes_part": "no", "territorial_articulation": "municipal"}
        return Submission(uuid, filled(form, **(base | values)), submitter="Luis Pérez")

    subs = [check("g1", "2026-03-31"),  # 4 of 5 criteria
            check("g2", "2026-06-30", committee_in_place="no", committee_members="", meetings_held="",
                  territorial_articulation="none")]  # families only: 1 of 5
    db = tmp_path / "lablens.duckdb"
    data = csv_bytes(kobo(form, subs)[form.title_es[:31]], delimiter=";")
    s = import_file(_write(tmp_path, "gobernanza.csv", data), db)
    assert (s["server"], s["form_version"], s["rows_loaded"]) == ("kobotoolbox", GOVERNANCE_VERSION, 2)
    assert s["dropped_columns"] == ["_submitted_by"]
    assert _rows(db, "SELECT governance_checks, governance_score, meetings_held FROM implementation_school_year") == [
        (2, pytest.approx((4 / 5 + 1 / 5) / 2), 2)]
    assert "Luis Pérez" not in _dump(db)


def test_unknown_version_and_all_rejected_leave_the_database_unchanged(tmp_path):
    db = tmp_path / "lablens.duckdb"
    assert import_file(_write(tmp_path, "ok.zip", zip_of(central(lab_log_form(), LAB[1:2]))), db)["rows_loaded"] == 1
    before = _dump(db)
    old = [_lab("z1", lablens_version="2025010101")]
    with pytest.raises(ImportFailed, match=r"version\(s\) 2025010101 unknown to this LabLens \(known: 2026120601\)"):
        import_file(_write(tmp_path, "old.zip", zip_of(central(lab_log_form(), old))), db)
    bad = [_lab("z2", school_code=""), _lab("z3", visit_date="")]
    with pytest.raises(ImportFailed, match="every record was rejected") as caught:
        import_file(_write(tmp_path, "bad.zip", zip_of(central(lab_log_form(), bad))), db)
    assert caught.value.rejects["reason"].tolist() == ["record not loaded: no unit code",
                                                      "record not loaded: no valid date"]
    main_only = central(training_form(), TRAINING_SENT_TWICE)["lablens_training.csv"]
    with pytest.raises(ImportFailed, match="repeat group 'participants', which this file does not hold"):
        import_file(_write(tmp_path, "lablens_training.csv", csv_bytes(main_only)), db)
    assert _dump(db) == before
