"""Exports of the kit's forms, shaped like ODK Central's and KoboToolbox's, read back with exact values."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.forms.definitions import (
    STUDENT_VERSION,
    TRAINING_VERSION,
    FormDef,
    governance_form,
    lab_log_form,
    leaves,
    student_form,
    training_form,
)
from analysis.forms.odk import FormExportError, UnknownFormVersion, parse_export, parse_exports, recognise_path
from analysis.privacy import pseudonym
from tests.forms.conftest import KEY
from tests.forms.exports import Submission, central, csv_bytes, instance_paths, kobo, xlsx_of, zip_of

ENUMERATOR = "Ana Enumeradora"
HOSTILE = '=HYPERLINK("http://evil.example","clic")'
MARKDOWN = "**Urgente** [ver](javascript:alert(1)) <script>x</script>"


def filled(form: FormDef, **values: str) -> dict[str, str]:
    """A submission's values, with the metadata and hidden fields every filled form carries."""
    return {"start": "2025-03-03T08:00:00.000-06:00", "end": "2025-03-03T08:12:31.000-06:00",
            "today": "2025-03-03", "lablens_form": form.form_id, "lablens_version": form.version, **values}


def _student(code: str, sex: str, grade: str, items: str, **extra: str) -> dict[str, str]:
    base = {"wave": "baseline", "year": "2025", "country": "GT", "school_code": "16-01-0123-43",
            "survey_date": "2025-03-03", "student_id": code, "sex": sex, "grade": grade, "enter_scores": "no"}
    base.update({f"motivation_item_{i}": v for i, v in enumerate(items.split(), start=1)})
    return filled(student_form(), **(base | extra))


STUDENTS = [
    Submission("a1", _student("EST-001", "F", "4", "4 5 3 2 4 5 4 1", enter_scores="yes", score_math="512.5",
                              score_language="488")),
    Submission("a2", _student("EST-002", "M", "5", "3 3 x 4 2 3 3 2") | {"motivation_item_3": HOSTILE}),
    Submission("a1", _student("EST-001", "F", "4", "4 5 3 2 4 5 4 1", enter_scores="yes", score_math="512.5",
                              score_language="488")),  # the same submission, sent twice
    Submission("a3", _student(" est-003 ", "F", "6", "5 5 5 1 5 5 5 1"), submitter="Luis Pérez"),
]


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _nowhere(parsed, *needles: str) -> None:
    """None of ``needles`` is in the frame, the notices, the rejects or the column lists."""
    text = "\n".join([parsed.frame.to_csv(index=False), repr(parsed.notices), repr(parsed.rejects),
                      repr(parsed.dropped_columns), repr(parsed.ignored_columns), repr(parsed.sources)])
    for needle in needles:
        assert needle not in text, needle


@pytest.mark.parametrize("shape", ["central_zip", "central_csv", "central_reopened_as_xlsx"])
def test_student_questionnaire_from_odk_central(tmp_path, shape):
    files = central(student_form(), STUDENTS)
    rows = files["lablens_students.csv"]
    assert rows[0][0] == "SubmissionDate" and rows[0][-10:] == ["KEY", "SubmitterID", "SubmitterName",
                                                                "AttachmentsPresent", "AttachmentsExpected",
                                                                "Status", "ReviewState", "DeviceID", "Edits",
                                                                "FormVersion"]
    assert "identification-student_id" in rows[0] and "motivation-motivation_item_1" in rows[0]
    assert rows[0].index("meta-instanceID") == len(rows[0]) - 11  # pyxform puts meta last
    data = {"central_zip": ("submissions.csv.zip", zip_of(files)),
            "central_csv": ("lablens_students.csv", csv_bytes(rows)),
            "central_reopened_as_xlsx": ("export.xlsx", xlsx_of({"lablens_students": rows}))}[shape]
    parsed = parse_export(_write(tmp_path, *data), KEY)

    assert (parsed.form_id, parsed.form_version, parsed.kind, parsed.server) == (
        "lablens_students", STUDENT_VERSION, "students", "odk_central")
    assert (parsed.rows_read, parsed.rows_loaded, parsed.duplicates_skipped) == (4, 3, 1)
    frame = parsed.frame
    assert list(frame.columns[:7]) == ["student_id", "school_code", "country", "year", "wave", "sex", "grade"]
    assert frame["student_id"].tolist() == [pseudonym(KEY, "EST-001"), pseudonym(KEY, "EST-002"),
                                            pseudonym(KEY, "EST-003")]
    assert frame["school_code"].tolist() == ["16-01-0123-43"] * 3
    assert frame["country"].tolist() == ["GT"] * 3 and frame["year"].tolist() == ["2025"] * 3
    assert frame["wave"].tolist() == ["baseline"] * 3
    assert frame["sex"].tolist() == ["F", "M", "F"] and frame["grade"].tolist() == ["4", "5", "6"]
    assert frame.iloc[0][[f"motivation_item_{i}" for i in range(1, 9)]].tolist() == list("45324541")
    assert frame["motivation_item_3"].tolist() == ["3", HOSTILE, "5"]  # kept as data, exactly
    assert frame["score_math"].tolist() == ["512.5", None, None]
    assert frame["score_language"].tolist() == ["488", None, None]
    assert "enter_scores" not in frame.columns and "lablens_form" not in frame.columns
    assert parsed.notices[0] == "enumerator names and IDs dropped: SubmitterID, SubmitterName, DeviceID"
    assert "1 submission(s) received more than once (same instance ID) kept once" in parsed.notices
    _nowhere(parsed, ENUMERATOR, "Luis Pérez", "collect:Xy12Ab34", "EST-001", "EST-002", "est-003")


TRAINING = [
    Submission("b1", filled(training_form(), country="CO", school_code="176001000123", training_date="2026-02-10",
                            module="robotics"),
               [{"teacher_id": "DOC-7", "hours": "12.5", "completed": "yes"},
                {"teacher_id": "DOC-9", "hours": "8", "completed": "no"}]),
    Submission("b2", filled(training_form(), country="GT", school_code="16-01-0123-43", training_date="2026-02-11",
                            module="lab_intro"),
               [{"teacher_id": "doc-7", "hours": "4", "completed": "yes"}]),
]
TRAINING_SENT_TWICE = [*TRAINING, TRAINING[0]]


def _expected_training() -> pd.DataFrame:
    return pd.DataFrame({
        "submission_id": ["b1", "b1", "b2"], "form_id": ["lablens_training"] * 3,
        "form_version": [TRAINING_VERSION] * 3, "country": ["CO", "CO", "GT"],
        "unit_code": ["176001000123", "176001000123", "16-01-0123-43"],
        "date": ["2026-02-10", "2026-02-10", "2026-02-11"], "module": ["robotics", "robotics", "lab_intro"],
        "teacher_key": [pseudonym(KEY, "DOC-7"), pseudonym(KEY, "DOC-9"), pseudonym(KEY, "DOC-7")],
        "hours": [12.5, 8.0, 4.0], "completed": [True, False, True]}, dtype=object)


def test_training_record_from_kobotoolbox_xlsx_with_its_repeat_sheet(tmp_path):
    sheets = kobo(training_form(), TRAINING_SENT_TWICE)
    main, repeat = list(sheets)
    assert repeat == "participants"
    assert sheets[main][0][-11:] == ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                                     "_submitted_by", "__version__", "_tags", "meta/rootUuid", "_index"]
    assert "session/school_code" in sheets[main][0] and "participants/teacher_id" in sheets[repeat][0]
    assert len(sheets[repeat]) == 1 + 5  # the duplicated submission brought its two teachers again
    parsed = parse_export(_write(tmp_path, "kobo.xlsx", xlsx_of(sheets)), KEY)

    assert (parsed.form_id, parsed.server) == ("lablens_training", "kobotoolbox")
    assert (parsed.rows_read, parsed.rows_loaded, parsed.duplicates_skipped) == (3, 2, 1)
    frame = parsed.frame.drop(columns=["submitted_at"])
    pd.testing.assert_frame_equal(frame, _expected_training())
    assert parsed.frame["submitted_at"].tolist() == ["2026-03-01T15:04:05"] * 2 + ["2026-03-02T15:04:05"]
    assert parsed.notices[0] == "enumerator names and IDs dropped: _submitted_by, _submission__submitted_by"
    assert "2 repeat row(s) of submissions already read skipped" in parsed.notices
    _nowhere(parsed, ENUMERATOR, "DOC-7", "DOC-9", "doc-7")


def test_training_record_from_odk_central_main_and_repeat_csv_files(tmp_path):
    files = central(training_form(), TRAINING_SENT_TWICE)
    assert sorted(files) == ["lablens_training-participants.csv", "lablens_training.csv"]
    repeat = files["lablens_training-participants.csv"]
    assert repeat[0] == ["teacher_id", "hours", "completed", "PARENT_KEY", "KEY"]
    assert repeat[1][-2:] == ["uuid:b1", "uuid:b1/participants[1]"]
    paths = [_write(tmp_path, n, csv_bytes(rows)) for n, rows in sorted(files.items())]  # the repeat file first
    parsed = parse_export(paths, KEY)
    assert (parsed.server, parsed.rows_read, parsed.rows_loaded, parsed.duplicates_skipped) == (
        "odk_central", 3, 2, 1)
    pd.testing.assert_frame_equal(parsed.frame.drop(columns=["submitted_at"]), _expected_training())
    _nowhere(parsed, ENUMERATOR, "DOC-7", "DOC-9")


def test_lab_log_from_kobotoolbox_csv_keeps_hostile_text_as_data_and_rejects_it_as_a_number(tmp_path):
    form = lab_log_form()
    subs = [
        Submission("c1", filled(form, country="GT", school_code="16-01-0123-43", visit_date="2026-03-31",
                                period="month", lab_installed="yes", installed_on="2025-08-15", lab_type="lab_point",
                                operating="yes", sessions_held="=1+1", hours_of_use="36,5",
                                students_attending="120", equipment_status="partly_working",
                                connectivity="intermittent", comments=HOSTILE)),
        Submission("c2", filled(form, country="CO", school_code="176001000123", visit_date="2026-03-20",
                                period="visit", lab_installed="no", comments=MARKDOWN)),
        Submission("c3", filled(form, country="GT", school_code="16-01-0123-43", visit_date="2026-03-30",
                                period="visit", lab_installed="yes", installed_on="2025-08-15", lab_type="Lab Spark",
                                operating="yes", sessions_held="2.5", hours_of_use="-1", students_attending="9",
                                equipment_status="all_working", connectivity="wifi")),
    ]
    rows = kobo(form, subs)[form.title_es[:31]]
    data = csv_bytes(rows, delimiter=";")
    assert data.startswith(b'"start";"end";"today"')
    parsed = parse_export(_write(tmp_path, "lab_log.csv", data), KEY)

    frame = parsed.frame
    assert (parsed.form_id, parsed.server, parsed.rows_loaded) == ("lablens_lab_log", "kobotoolbox", 3)
    assert list(frame.columns) == ["submission_id", "form_id", "form_version", "country", "unit_code", "date",
                                   "submitted_at", "period", "lab_installed", "installed_on", "lab_type",
                                   "operating", "sessions_held", "hours_of_use", "students_attending",
                                   "equipment_status", "connectivity", "comments"]
    first, second = frame.iloc[0].to_dict(), frame.iloc[1].to_dict()
    assert {k: first[k] for k in ("unit_code", "date", "period", "lab_installed", "installed_on", "lab_type",
                                  "operating", "sessions_held", "hours_of_use", "students_attending",
                                  "equipment_status", "connectivity", "comments")} == {
        "unit_code": "16-01-0123-43", "date": "2026-03-31", "period": "month", "lab_installed": True,
        "installed_on": "2025-08-15", "lab_type": "Lab Point", "operating": True, "sessions_held": None,
        "hours_of_use": 36.5, "students_attending": 120, "equipment_status": "partly_working",
        "connectivity": "intermittent", "comments": HOSTILE}
    assert (second["lab_installed"], second["lab_type"], second["comments"]) == (False, None, MARKDOWN)
    assert frame.iloc[2][["lab_type", "sessions_held", "hours_of_use", "connectivity"]].tolist() == [
        "Lab Spark", None, None, None]  # a choice written as its label is understood
    assert parsed.rejects == [
        {"source": "lab_log.csv", "row": 1, "column": "sessions_held", "raw_value": "=1+1", "reason": "not a number"},
        {"source": "lab_log.csv", "row": 3, "column": "sessions_held", "raw_value": "2.5",
         "reason": "not a whole number"},
        {"source": "lab_log.csv", "row": 3, "column": "hours_of_use", "raw_value": "-1", "reason": "below 0"},
        {"source": "lab_log.csv", "row": 3, "column": "connectivity", "raw_value": "wifi",
         "reason": "not one of the choices of 'connectivity'"}]
    assert parsed.free_text == ["comments"]


def test_governance_checklist_exported_with_spanish_label_headers(tmp_path):
    """Kobo's default 'Labels' export: headers and answers are the Spanish labels; read through the form."""
    form = governance_form()
    values = filled(form, country="GT", school_code="16-01-0123-43", checklist_date="2026-03-15",
                    committee_in_place="yes", committee_members="7", meetings_held="3", families_take_part="yes",
                    community_takes_part="no", territorial_articulation="municipal")
    by_name = {leaf.field.name: leaf.field for leaf in leaves(form)}
    main, _ = instance_paths(form)
    label = {c.list_name + c.name: c.label_es for c in form.choices}
    header = [by_name[p[-1]].label_es or p[-1] if p[-1] in by_name else p[-1] for p in main if p[-1] != "instanceID"]
    row = [label.get((by_name[p[-1]].list_name or "") + values.get(p[-1], ""), values.get(p[-1], ""))
           if p[-1] in by_name else "" for p in main if p[-1] != "instanceID"]
    assert "Articulación territorial" in header and "Con el municipio" in row and "Sí" in row
    data = xlsx_of({"gobernanza": [[*header, "_uuid", "_submitted_by", "_index"], [*row, "d1", ENUMERATOR, 1]]})
    parsed = parse_export(_write(tmp_path, "labels.xlsx", data), KEY)
    got = parsed.frame.iloc[0].to_dict()
    assert {k: got[k] for k in ("unit_code", "date", "committee_in_place", "committee_members", "meetings_held",
                                "families_take_part", "community_takes_part", "territorial_articulation")} == {
        "unit_code": "16-01-0123-43", "date": "2026-03-15", "committee_in_place": True, "committee_members": 7,
        "meetings_held": 3, "families_take_part": True, "community_takes_part": False,
        "territorial_articulation": "municipal"}
    assert parsed.rejects == []
    _nowhere(parsed, ENUMERATOR)


def test_an_unknown_form_version_is_reported_not_guessed(tmp_path):
    old = [Submission("z1", _student("EST-001", "F", "4", "4 5 3 2 4 5 4 1") | {"lablens_version": "2025010101"},
                      version="2025010101")]
    path = _write(tmp_path, "old.zip", zip_of(central(student_form(), old)))
    with pytest.raises(UnknownFormVersion) as caught:
        parse_export(path, KEY)
    assert (caught.value.form_id, caught.value.found, caught.value.known) == (
        "lablens_students", ["2025010101"], [STUDENT_VERSION])
    assert "2025010101" in str(caught.value) and STUDENT_VERSION in str(caught.value)


def test_forms_are_recognised_by_their_fields_not_by_file_names(tmp_path):
    # a lab log saved under a misleading name, without the hidden form field: recognised by its field names
    form = lab_log_form()
    sub = Submission("c9", filled(form, country="GT", school_code="16-01-0123-43", visit_date="2026-03-31",
                                  period="visit", lab_installed="no"))
    rows = central(form, [sub])["lablens_lab_log.csv"]
    drop = rows[0].index("lablens_form")
    rows = [r[:drop] + r[drop + 1:] for r in rows]
    path = _write(tmp_path, "lablens_students.csv", csv_bytes(rows))
    assert recognise_path(path) == "lablens_lab_log"
    assert parse_export(path, KEY).form_id == "lablens_lab_log"
    # a LabLens canonical student file is not a form export: the importer's own recognisers take it
    other = _write(tmp_path, "students.csv", b"student_id,school_code,wave,score_math\nA1,16-01-0123-43,pre,500\n")
    assert recognise_path(other) is None
    with pytest.raises(FormExportError, match="not an export of LabLens' field forms"):
        parse_export(other, KEY)


def test_two_forms_in_one_call_are_read_separately(tmp_path):
    paths = [_write(tmp_path, "s.zip", zip_of(central(student_form(), STUDENTS[:1]))),
             _write(tmp_path, "t.xlsx", xlsx_of(kobo(training_form(), TRAINING)))]
    results = parse_exports(paths, KEY)
    assert [(r.form_id, r.rows_loaded) for r in results] == [("lablens_students", 1), ("lablens_training", 2)]
    with pytest.raises(FormExportError, match="several forms"):
        parse_export(paths, KEY)


def test_a_formula_cell_is_read_as_its_text_never_computed(tmp_path):
    """A workbook re-saved by a spreadsheet may hold a real formula cell: its text is the data, nothing runs."""
    import openpyxl

    form = lab_log_form()
    sub = Submission("f1", filled(form, country="GT", school_code="16-01-0123-43", visit_date="2026-03-31",
                                  period="visit", lab_installed="no", comments="x"))
    rows = kobo(form, [sub])[form.title_es[:31]]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([HOSTILE if v == "x" else v for v in row])  # openpyxl stores '=...' as a formula
    assert any(c.data_type == "f" for c in book.active[2])
    path = tmp_path / "resaved.xlsx"
    book.save(path)
    parsed = parse_export(path, KEY)
    assert parsed.frame["comments"].tolist() == [HOSTILE]


def test_cli_check_reports_what_an_import_would_keep(tmp_path, capsys):
    import json

    from analysis.cli import main

    files = central(training_form(), TRAINING_SENT_TWICE)
    paths = [str(_write(tmp_path, n, csv_bytes(rows))) for n, rows in files.items()]
    assert main(["forms", "--check", *paths, "--json"]) == 0
    out = capsys.readouterr().out
    (summary,) = json.loads(out)["exports"]
    assert {k: summary[k] for k in ("recognized_as", "form_version", "server", "rows_read", "rows_loaded",
                                    "duplicates_skipped", "records", "values_rejected")} == {
        "recognized_as": "lablens_training", "form_version": TRAINING_VERSION, "server": "odk_central",
        "rows_read": 3, "rows_loaded": 2, "duplicates_skipped": 1, "records": 3, "values_rejected": 0}
    assert summary["dropped_columns"] == ["SubmitterID", "SubmitterName", "DeviceID"]
    assert ENUMERATOR not in out and "DOC-7" not in out
    old = [Submission("z1", _student("EST-001", "F", "4", "4 5 3 2 4 5 4 1") | {"lablens_version": "2025010101"})]
    bad = _write(tmp_path, "old.zip", zip_of(central(student_form(), old)))
    assert main(["forms", "--check", str(bad)]) == 1
    assert "version(s) 2025010101 unknown" in capsys.readouterr().err


def test_the_student_frame_is_a_canonical_file_the_current_importer_loads(tmp_path, capsys):
    """The tidy frame, saved as CSV, goes through today's importer unchanged: values land, the hostile item is
    rejected. (Wired in, the importer skips its own hashing for these already-pseudonymised keys.)"""
    import json

    from analysis.cli import main

    parsed = parse_export(_write(tmp_path, "s.zip", zip_of(central(student_form(), STUDENTS))), KEY)
    path = tmp_path / "canonical.csv"
    parsed.frame.to_csv(path, index=False)
    capsys.readouterr()
    assert main(["import", str(path), "--db", str(tmp_path / "lablens.duckdb"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["recognized_as"], summary["rows_read"], summary["rows_loaded"]) == ("lablens_students", 3, 3)
    assert (summary["students"], summary["waves"], summary["years"]) == (3, ["baseline"], [2025])
    assert summary["observations_loaded"] == 3 * 8 - 1 + 2  # eight items each, the hostile one rejected, 2 scores
    assert summary["values_rejected"] == 1 and summary["dropped_columns"] == [] and summary["notes"] == []


def test_recognising_a_file_reads_only_its_start(tmp_path):
    """The importer asks every file whether it is a form export: a sample of its start answers."""
    from analysis.forms.tables import peek_tables

    form = lab_log_form()
    subs = [Submission(f"p{i}", filled(form, country="GT", school_code="16-01-0123-43", visit_date="2026-03-31",
                                       period="visit", lab_installed="no", comments="ñandú " * 40))
            for i in range(200)]
    data = csv_bytes(kobo(form, subs)[form.title_es[:31]], delimiter=";")
    path = _write(tmp_path, "big.csv", data)
    tables = peek_tables(path, max_rows=5, sample_bytes=4096)  # cuts a row (and maybe a character) in two
    assert len(tables) == 1 and len(tables[0].rows) == 5 and tables[0].rows[0][-1] == "1"
    assert recognise_path(path) == "lablens_lab_log"
    assert recognise_path(_write(tmp_path, "kobo.xlsx", xlsx_of(kobo(training_form(), TRAINING)))) == (
        "lablens_training")
    assert recognise_path(_write(tmp_path, "t.zip", zip_of(central(training_form(), TRAINING)))) == (
        "lablens_training")
    assert recognise_path(_write(tmp_path, "x.parquet", b"PAR1" + b"\0" * 64)) is None
    assert recognise_path(_write(tmp_path, "x.json", b'{"2020": [["76001", 1.5]]}')) is None


def test_an_edited_kobo_submission_is_the_same_submission(tmp_path):
    """Editing in KoboToolbox gives a new _uuid; meta/rootUuid keeps the first instance ID."""
    edited = Submission("b1-edit", TRAINING[0].values, TRAINING[0].children, root="b1")
    parsed = parse_export(_write(tmp_path, "k.xlsx", xlsx_of(kobo(training_form(), [*TRAINING, edited]))), KEY)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.duplicates_skipped) == (3, 2, 1)
    assert parsed.frame["submission_id"].tolist() == ["b1", "b1", "b2"]


def test_canonical_parquet_holds_the_student_rows_as_text(tmp_path):
    import io

    parsed = parse_export(_write(tmp_path, "s.zip", zip_of(central(student_form(), STUDENTS))), KEY)
    back = pd.read_parquet(io.BytesIO(parsed.canonical_parquet()))
    assert list(back.columns) == list(parsed.frame.columns)
    assert back["student_id"].tolist() == parsed.frame["student_id"].tolist()
    assert back["score_math"].tolist()[0] == "512.5" and pd.isna(back["score_math"].tolist()[1])
    records = parse_export(_write(tmp_path, "t.xlsx", xlsx_of(kobo(training_form(), TRAINING))), KEY)
    with pytest.raises(FormExportError, match="per-school records"):
        records.canonical_parquet()


def test_an_odk_central_export_imports_with_no_configuration(tmp_path, monkeypatch):
    """Issue 18: the export as it comes back is an import; students linked by the database's own key, the
    duplicate submission counted once, enumerators never stored, the hostile item rejected."""
    import duckdb

    from analysis.importer.pipeline import import_file
    from analysis.keys import key_for_import

    db = tmp_path / "lablens.duckdb"
    export = _write(tmp_path, "submissions.csv.zip", zip_of(central(student_form(), STUDENTS)))
    summary = import_file(export, db)
    assert summary["status"] == "active" and summary["recognized_as"] == "lablens_students"
    assert (summary["rows_read"], summary["submissions_loaded"], summary["duplicate_submissions"]) == (4, 3, 1)
    assert summary["observations_loaded"] == 3 * 8 - 1 + 2 and summary["values_rejected"] == 1
    key = key_for_import(db)
    with duckdb.connect(str(db), read_only=True) as con:
        keys = sorted(r[0] for r in con.execute("SELECT DISTINCT student_key FROM observations").fetchall())
        dump = "\n".join(str(r) for t in ("observations", "imports", "student_attributes", "rejects")
                         for r in con.execute(f"SELECT * FROM {t}").fetchall())
    assert keys == sorted(pseudonym(key, c) for c in ("EST-001", "EST-002", "EST-003"))  # hashed once, not twice
    for needle in (ENUMERATOR, "Luis Pérez", "EST-001", "est-003"):
        assert needle not in dump
    assert import_file(export, db)["status"] == "already_imported"
