"""Datos: an unrecognised file mapped column by column, and a boundary file, from upload to the database."""

from __future__ import annotations

import duckdb
from streamlit.testing.v1 import AppTest

from analysis import reasons
from tests.app.apps import chart_specs
from tests.conftest import ROOT, require_real_data
from ui.i18n import catalogue

# A Guatemalan school file in a layout LabLens does not know: ';' separated, decimal commas, one
# column to ignore. The school codes are demo schools of Chimaltenango.
UNKNOWN = ("Establecimiento;Ciclo escolar;Lectura promedio;Comentario\n"
           "04-01-1260-43;2024;61,5;bien\n"
           "04-01-1382-43;2024;58,25;\n"
           "04-01-4578-43;2024;-5;fuera de rango\n")


def _datos(db, lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/datos.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at: AppTest, column: str):
    """The first table on the page with this column (the history tab's table comes first)."""
    return next(f.value for f in at.dataframe if column in f.value.columns)


def _select(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def test_sheet_row_only_under_a_header():
    """Data row 1 is a spreadsheet's row 2 below a header; a headerless file (saber2011.csv) numbers both alike
    and keeps its columns as they were (a report read by scripts)."""
    import pandas as pd

    from ui.data_view import with_sheet_row

    frame = pd.DataFrame({"row_number": [1, 7], "column_name": ["year", "score"], "raw_value": ["x", "-5"],
                          "reason": ["not a number", "out of range"]})
    shown = with_sheet_row(frame, has_header=True)
    assert list(shown.columns) == ["row_number", "sheet_row", "column_name", "raw_value", "reason"]
    assert shown["sheet_row"].tolist() == [2, 8] and shown.drop(columns="sheet_row").equals(frame)
    assert with_sheet_row(frame, has_header=False) is frame


def test_unrecognised_upload_is_mapped_interactively_then_imported(copy_db, router_active):
    cat = catalogue("en")
    at = _datos(copy_db, "en")
    at.file_uploader[0].set_value(("lectura_gt.csv", UNKNOWN.encode("utf-8"), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(w.value.startswith("LabLens does not recognise this file") and "Lectura promedio" in w.value
               for w in at.warning)
    assert _frame(at, "Lectura promedio")["Lectura promedio"].tolist() == ["61,5", "58,25", "-5"]  # as text
    role = {h: _select(at, h) for h in ("Establecimiento", "Ciclo escolar", "Lectura promedio", "Comentario")}
    assert role["Comentario"].value == "ignore"
    role["Establecimiento"].set_value("unit_code")
    role["Ciclo escolar"].set_value("year")
    role["Lectura promedio"].set_value("indicator:score_language")
    _select(at, cat["data.mapping_country"]).set_value("GT")
    next(b for b in at.button if b.label == cat["data.mapping_apply"]).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = dict(_frame(at, cat["col.item"]).to_numpy().tolist())
    assert summary[cat["col.layout"]] == "mapping file (observations)"
    assert summary[cat["col.rows_read"]] == "3"
    # the column left out and the share of rejected rows are said, as `python -m analysis import` says them
    assert summary[cat["col.notes"]] == ("columns not used: Comentario · warning: 1 of 3 rows (33 %) were rejected, "
                                         "more than 10 %; read the rejected rows before using these data")
    rejects = _frame(at, cat["col.raw_value"])
    assert rejects[cat["col.raw_value"]].tolist() == ["-5"] and rejects[cat["col.row_number"]].tolist() == [3]
    assert rejects[cat["col.sheet_row"]].tolist() == [4]  # the third data row, under the header: the sheet's 4th
    labels = [b.label for b in at.get("download_button")]
    assert cat["data.rejects_download"] in labels and cat["data.mapping_download"] in labels
    with duckdb.connect(str(copy_db), read_only=True) as con:  # nothing is written before "Import"
        assert con.execute("SELECT count(*) FROM imports").fetchall() == [(1,)]
    next(b for b in at.button if b.label == cat["data.upload_commit"]).click().run()
    assert any("Import 2 published" in s.value for s in at.success), [e.value for e in at.error]
    with duckdb.connect(str(copy_db), read_only=True) as con:
        rows = con.execute("""SELECT unit_id, year, value FROM observations WHERE import_id = 2
            AND indicator = 'score_language' ORDER BY unit_id""").fetchall()
        assert rows == [("GT-04-01-1260-43", 2024, 61.5), ("GT-04-01-1382-43", 2024, 58.25)]
        assert con.execute("SELECT count(*) FROM rejects WHERE import_id = 2").fetchall() == [(1,)]


def test_mapping_errors_are_sentences_and_nothing_is_staged(copy_db, router_active):
    cat = catalogue("es")
    at = _datos(copy_db, "es")
    at.file_uploader[0].set_value(("lectura_gt.csv", UNKNOWN.encode("utf-8"), "text/csv")).run()
    for header in ("Establecimiento", "Ciclo escolar", "Lectura promedio", "Comentario"):
        _select(at, header).set_value("ignore")
    next(b for b in at.button if b.label == cat["data.mapping_apply"]).click().run()
    assert not at.exception
    assert any(reasons.TEXTS["es"]["map_unit_code"] in e.value for e in at.error)  # in Spanish, not the English reason
    assert not [b for b in at.button if b.label == cat["data.upload_commit"]]


def test_boundary_upload_previews_imports_and_draws_the_map(copy_db, router_active):
    geo = require_real_data() / "geo" / "guatemala_deptos.topo.json"
    cat = catalogue("es")
    at = _datos(copy_db, "es")
    at.file_uploader[0].set_value((geo.name, geo.read_bytes(), "application/json")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = dict(_frame(at, cat["col.item"]).to_numpy().tolist())
    assert summary[cat["col.territories"]] == "GT department: 22"
    assert summary[cat["col.territories_known"]] == "22"  # the demo holds all 22 departments
    next(b for b in at.button if b.label == cat["data.upload_commit"]).click().run()
    assert any("Importación 2 publicada: 22" in s.value for s in at.success), [e.value for e in at.error]
    at.switch_page("pages/regiones.py").run()
    assert not at.exception
    maps = [m for m in chart_specs(at)  # the two countries' panels as one map
            if any(d.get("fill") == "toself" for d in m["data"])]
    assert len(maps) == 1
    located = {d["meta"]["location"] for d in maps[0]["data"] if d.get("meta")}
    # Guatemala is drawn from the import (4 decimals; the shipped shapes have 3), Colombia from the shipped shapes
    assert "CO-76" in located and {loc for loc in located if loc.startswith("GT-")}
    guatemalan = [d for d in maps[0]["data"] if d.get("meta", {}).get("location", "").startswith("GT-")]
    assert all(any(x is not None and round(x, 3) != x for x in d["x"]) for d in guatemalan)


def test_field_form_export_previews_and_imports_into_its_table(copy_db, router_active, tmp_path, monkeypatch):
    """An ODK Central lab log export (.zip) on the Datos page: recognised with no configuration, previewed with
    its counts and rejects, imported into lab_log; the enumerator's name is stored nowhere."""
    from analysis.forms.definitions import lab_log_form
    from tests.forms.exports import Submission, central, zip_of
    from tests.forms.test_odk_import import ENUMERATOR, filled

    monkeypatch.setenv("LABLENS_KEY_FILE", str(tmp_path / "key.bin"))
    values = filled(lab_log_form(), country="GT", school_code="04-01-1260-43", visit_date="2026-03-31",
                    period="month", lab_installed="yes", installed_on="2025-08-15", lab_type="lab_spark",
                    operating="yes", sessions_held="=1+1", hours_of_use="20", students_attending="80",
                    equipment_status="all_working", connectivity="stable")
    subs = [Submission("x1", values), Submission("x1", values), Submission("x2", values | {"visit_date": "2026-04-30"})]
    cat = catalogue("es")
    at = _datos(copy_db, "es")
    at.file_uploader[0].set_value(("submissions.csv.zip", zip_of(central(lab_log_form(), subs)),
                                   "application/zip")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = dict(_frame(at, cat["col.item"]).to_numpy().tolist())
    assert (summary[cat["col.recognized_as"]], summary[cat["col.rows_read"]], summary[cat["col.rows_loaded"]],
            summary[cat["col.duplicates_skipped"]], summary[cat["col.values_rejected"]]) == (
        "lablens_lab_log", "3", "2", "1", "2")
    # the notes say what `python -m analysis import --lang es` says (analysis/import_text.py)
    assert summary[cat["col.notes"]] == (
        "se descartaron los nombres y los códigos de los encuestadores: SubmitterID, SubmitterName, DeviceID · "
        "1 envío(s) recibidos más de una vez (mismo ID de instancia) se conservaron una sola vez")
    rejects = _frame(at, cat["col.reason"])
    assert rejects[cat["col.reason"]].tolist() == ["no es un número", "no es un número"]  # the user's language
    next(b for b in at.button if b.label == cat["data.upload_commit"]).click().run()
    assert any("Importación 2 publicada: 2 filas" in s.value for s in at.success), [e.value for e in at.error]
    with duckdb.connect(str(copy_db), read_only=True) as con:
        assert con.execute("SELECT submission_id, sessions_held, hours_of_use FROM lab_log WHERE import_id = 2 "
                           "ORDER BY 1").fetchall() == [("x1", None, 20.0), ("x2", None, 20.0)]
        assert not con.execute("SELECT count(*) FROM imports WHERE summary_json LIKE ?", [f"%{ENUMERATOR}%"]
                               ).fetchone()[0]


def test_school_code_column_and_country_recognised_by_spanish_name_and_code_pattern():
    """'escuela', 'código', 'cod_establecimiento' name the school-code column; the codes' pattern says the country
    (Guatemala DD-MM-NNNN-NN, Colombia's 12-digit DANE) and finds the code column when its name says nothing."""
    from analysis.importer.suggest import code_column, country_from_codes, guess_roles

    for header in ("escuela", "Código", "cod_establecimiento", "establecimiento", "codigo"):
        assert guess_roles([header, "anio", "nombre_escuela"]) == {0: "unit_code", 1: "year", 2: "name"}, header
    assert country_from_codes(["escuela"], ["04-01-1260-43", "13-01-0742-43"]) == "GT"
    assert country_from_codes(["escuela"], ["176041001538", "105001000001"]) == "CO"
    assert country_from_codes(["escuela"], ["04-01-1260-43", "176041001538"]) is None  # mixed: the user says
    rows = [["x", "04-01-1260-43", 2024], ["y", "13-01-0742-43", 2024]]
    assert code_column(["nota", "id_centro", "anio"], rows, {"anio": "year"}) == "id_centro"
    assert code_column(["nota", "id_centro"], rows, {"nota": "unit_code"}) is None


def test_upload_with_an_escuela_column_is_mapped_to_guatemala(copy_db, router_active):
    cat = catalogue("es")
    at = _datos(copy_db, "es")
    text = UNKNOWN.replace("Establecimiento", "escuela")
    at.file_uploader[0].set_value(("notas.csv", text.encode("utf-8"), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _select(at, "escuela").value == "unit_code"
    assert _select(at, cat["data.mapping_country"]).value == "GT"
