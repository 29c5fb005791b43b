"""What the importer and the command line refuse, and how an import counts what it did: a Guatemalan code whose
department or municipality does not exist; a key repeated with different values; rows rejected whole apart from
values rejected in rows that loaded; the file's units apart from the territories they are in; a suggested mapping
for Guatemalan codes; settings outside their range (--min-cell, --icc, --conf-level).

Every file is written byte for byte here; the expected counts are read off the rows written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from importer_helpers import query, write

from analysis import import_text, reasons
from analysis.cli import build_parser, main
from analysis.importer.errors import ImportFailed
from analysis.importer.layouts import NotRecognised
from analysis.importer.normalise import GT_MUNICIPALITY_COUNT, gt_territory_problem
from analysis.importer.pipeline import import_file
from analysis.importer.staging import stage
from analysis.importer.suggest import suggest_mapping
from tests.conftest import require_real_data

ROOT = Path(__file__).resolve().parents[2]
HEAD = "student_id,school_code,year,wave,sex,grade,score_math\n"


def test_a_guatemalan_code_outside_the_official_list_is_rejected_and_invents_no_territory(tmp_path: Path) -> None:
    text = (HEAD + "F1,99-99-9999-99,2025,pre,F,5,455\n"    # 1: no department 99
            "F2,04-01-4578-43,2025,pre,X,5,455\n"           # 2: loads, without its sex
            "F3,04-01-4578-43,2025,pre,F,5,1890\n"          # 3: its one value out of range: no value loads
            "F4,04-17-0001-43,2025,pre,F,5,470\n"           # 4: Chimaltenango has 16 municipalities
            "F5,00-25-0001-43,2025,pre,M,5,480\n")          # 5: Ciudad Capital, zone 25: loads
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "codes.csv", text), db)
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY 1") == [
        (1, "school_code", "99-99-9999-99", "'99-99-9999-99': department 99 does not exist in Guatemala (01-22)"),
        (2, "sex", "X", "unknown sex (expected F or M); loaded without sex"),
        (3, "score_math", "1890", "outside the valid range of score_math [0.0, 1000.0]"),
        (4, "school_code", "04-17-0001-43",
         "'04-17-0001-43': municipality 17 does not exist in department 04 of Guatemala (01-16)")]
    assert [r[0] for r in query(db, "SELECT unit_id FROM units ORDER BY 1")] == [
        "GT-00-25-0001-43", "GT-01", "GT-01-01", "GT-04", "GT-04-01", "GT-04-01-4578-43"]
    assert reasons.reject("'99-99-9999-99': department 99 does not exist in Guatemala (01-22)", "es") == \
        "«99-99-9999-99»: el departamento 99 no existe en Guatemala (01-22)"
    assert reasons.reject("'04-17-0001-43': municipality 17 does not exist in department 04 of Guatemala (01-16)",
                          "es") == ("«04-17-0001-43»: el municipio 17 no existe en el departamento 04 de Guatemala "
                                    "(01-16)")
    # rows 1, 3, 4 rejected whole; row 2 loads without one value; two schools, in four territories
    assert (s["rows_read"], s["rows_loaded"], s["rows_rejected"], s["values_rejected_in_loaded_rows"],
            s["values_rejected"], s["units_in_file"], s["territories_of_units"]) == (5, 2, 3, 1, 4, 2, 4)
    lines = import_text.summary_lines(s, "es").splitlines()
    assert "  filas leídas 5, cargadas 2, rechazadas enteras 3; además, 1 valor(es) rechazado(s) en filas cargadas" \
        in lines
    assert "  unidades en el archivo: 2" in lines
    assert "  territorios donde están esas unidades (municipios, departamentos): 4" in lines
    english = import_text.summary_lines(s, "en").splitlines()
    assert "  rows read 5, loaded 2, rejected whole 3; also 1 value(s) rejected in loaded rows" in english


def test_the_municipality_list_is_the_shipped_boundaries_and_holds_every_code_of_the_real_directory() -> None:
    """The 340 municipalities of MINFIN's boundaries (data/geo) numbered 01..n per department; Ciudad Capital's
    zones (department 00) as MINEDUC's directory writes them."""
    features = json.loads((ROOT / "data/geo/gt_municipalities.geojson").read_text(encoding="utf-8"))["features"]
    codes = {f["properties"]["code"] for f in features}
    assert len(codes) == 340 == sum(n for d, n in GT_MUNICIPALITY_COUNT.items() if d != "00")
    assert codes == {f"{d}-{m:02d}" for d, n in GT_MUNICIPALITY_COUNT.items() if d != "00" for m in range(1, n + 1)}
    assert [gt_territory_problem(c) for c in ("00-00", "23-01", "17-15")] == [
        "'00-00': municipality 00 does not exist in department 00 of Guatemala (01-25)",
        "'23-01': department 23 does not exist in Guatemala (01-22)",
        "'17-15': municipality 15 does not exist in department 17 of Guatemala (01-14)"]
    real = require_real_data() / "guatemala" / "mineduc_establecimientos_diversificado_raw_noPII.csv"
    with open(real, encoding="utf-8", newline="") as handle:
        directory = {row["CODIGO"].strip() for row in csv.DictReader(handle) if (row.get("CODIGO") or "").strip()}
    assert len(directory) > 10_000
    assert [c for c in directory if gt_territory_problem(c)] == []


def test_one_key_with_two_values_is_a_conflict_and_neither_loads(tmp_path: Path) -> None:
    text = (HEAD + "D001,04-01-4578-43,2025,pre,F,5,455\n"   # 1 and 2: one student, two scores
            "D001,04-01-4578-43,2025,pre,F,5,456\n"
            "D002,04-01-4578-43,2025,pre,M,5,470\n"         # 3 and 4: the same score twice, a duplicate
            "D002,04-01-4578-43,2025,pre,M,5,470.0\n"
            "D003,04-01-4578-43,2025,pre,M,5,480\n")        # 5: loads
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "repeats.csv", text), db)
    conflict = "different values for the same key (rows 1 and 2: 455 and 456)"
    assert query(db, "SELECT row_number, raw_value, reason FROM rejects ORDER BY 1") == [
        (1, "455", conflict), (2, "456", conflict),
        (4, "470.0", "duplicate of row 3 (same unit, indicator, year, wave, level, subgroup and student)")]
    assert sorted(r[0] for r in query(db, "SELECT value FROM observations")) == [470.0, 480.0]
    assert (s["rows_read"], s["rows_loaded"], s["rows_rejected"]) == (5, 2, 3)
    assert reasons.reject(conflict, "es") == "valores distintos para la misma clave (filas 1 y 2: 455 y 456)"
    assert reasons.reject("different values for the same key (rows 1, 2 and 3: 5, 6 and 7)", "es") == \
        "valores distintos para la misma clave (filas 1, 2 y 3: 5, 6 y 7)"
    # all or nothing: a file of one conflict loads nothing and leaves the database as it was
    before = query(db, "SELECT count(*) FROM imports")
    only = write(tmp_path / "conflict.csv",
                 HEAD + "E1,04-01-4578-43,2025,pre,F,5,455\nE1,04-01-4578-43,2025,pre,F,5,460\n")
    with pytest.raises(ImportFailed, match="every row was rejected"):
        import_file(only, db)
    assert query(db, "SELECT count(*) FROM imports") == before


def test_guatemalan_codes_suggest_guatemala_and_the_placeholder_is_said_in_spanish(tmp_path: Path) -> None:
    gt = write(tmp_path / "gt.csv", "alumno_x,escuela_y,anyo,nota\nA001,04-01-4578-43,2025,455\n")
    with pytest.raises(NotRecognised) as caught:
        stage(gt)
    assert 'country = "GT"' in caught.value.suggestion and "CHOOSE_A_CODE" in caught.value.suggestion
    spanish = import_text.suggestion(caught.value.suggestion, "es")
    assert "ELIJA_UN_CODIGO" in spanish and "CHOOSE_A_CODE" not in spanish
    assert 'country = "GT"' in suggest_mapping(gt)
    co = write(tmp_path / "co.csv", "alumno_x,escuela_y,anyo,nota\nA001,105001000123,2025,455\n")
    with pytest.raises(NotRecognised) as caught:
        stage(co)
    assert 'country = "CO"' in caught.value.suggestion


@pytest.mark.parametrize(("args", "lang", "said"), [
    (["compare", "--indicator", "x", "--min-cell", "1", "--lang", "en"], "en",
     "argument --min-cell: must be a whole number of at least 3 (no cell of fewer than 3 students is ever shown), "
     "not 1"),
    (["compare", "--indicator", "x", "--min-cell", "0", "--lang", "es"], "es",
     "argumento --min-cell: debe ser un número entero de al menos 3 (nunca se muestra una celda de menos de 3 "
     "estudiantes), no 0"),
    (["compare", "--indicator", "x", "--min-cell", "-5", "--lang", "en"], "en", "not -5"),
    (["export", "--indicator", "x", "--min-cell", "1", "--by", "sex,school", "--out", "x.csv"], "es",
     "argumento --min-cell: debe ser un número entero de al menos 3"),
    (["compare", "--indicator", "x", "--icc", "2", "--lang", "es"], "es",
     "argumento --icc: debe ser al menos 0 y menor que 1, no 2"),
    (["compare", "--indicator", "x", "--conf-level", "1", "--lang", "en"], "en",
     "argument --conf-level: must be more than 0 and less than 1, not 1"),
    (["compare", "--indicator", "x", "--conf-level", "nan", "--lang", "en"], "en",
     "argument --conf-level: invalid float value: 'nan'"),
    (["pilot", "power", "--schools", "20", "--students", "20", "--icc", "1"], "en",
     "argument --icc: must be at least 0 and less than 1, not 1"),
])
def test_settings_outside_their_range_are_refused_in_one_line(args: list[str], lang: str, said: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert said in error and error.startswith("python -m analysis")


def test_settings_inside_their_range_are_accepted() -> None:
    args = build_parser().parse_args(["compare", "--indicator", "x", "--min-cell", "3", "--icc", "0",
                                      "--conf-level", "0.9"])
    assert (args.min_cell, args.icc, args.conf_level) == (3, 0.0, 0.9)
    assert build_parser().parse_args(["compare", "--indicator", "x"]).min_cell == 10
