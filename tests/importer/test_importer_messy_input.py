"""Messy input as users send it: encodings, delimiters, number conventions, blank rows, lost zeros,
out-of-range values, unknown layouts (mapping files), programme rosters."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from importer_helpers import query, scalar, sha256, write

from analysis import cli
from analysis.importer.errors import ImportFailed
from analysis.importer.layouts import NotRecognised
from analysis.importer.mapping import load_mapping
from analysis.importer.pipeline import import_file
from analysis.importer.staging import stage

PEOPLE = ["Maya K'iche'", "Garífuna", "Xinka", "Ladino/Mestizo", "Maya Q'eqchi' — Cobán, Alta Verapaz"]


def _table(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


# --- encodings and delimiters ---------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "delimiter"),
                         [("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("cp1252", "|")])
def test_encodings_and_delimiters_keep_accents_exactly(tmp_path: Path, encoding: str, delimiter: str) -> None:
    comma = delimiter == ";"  # Spanish-locale software writes decimal commas in ';' files
    rows = [["Código establecimiento", "Año", "Estudiante", "Matemáticas", "Pueblo", "Sexo"]]
    for i, people in enumerate(PEOPLE[:4] if encoding == "cp1252" else PEOPLE):
        value = f"{55 + i},{i}5" if comma else f"{55 + i}.{i}5"
        rows.append([f"16-01-000{i}-43", "2024", f"GT-{i:04d}ñ", value, people, "Niña" if i % 2 else "niño"])
    text = _table(rows, delimiter)
    path = write(tmp_path / "notas.csv", text, encoding)
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db)
    assert s["encoding"] == encoding and s["delimiter"] == delimiter
    assert s["recognized_as"] == "lablens_students"
    stored = query(db, """SELECT o.unit_id, o.value, o.sex, a.value FROM observations o
        JOIN student_attributes a ON a.student_key = o.student_key AND a.name = 'pueblo' ORDER BY o.unit_id""")
    expected = [(f"GT-{r[0]}", float(r[3].replace(",", ".")), "F" if r[5] == "Niña" else "M", r[4])
                for r in rows[1:]]
    assert stored == expected
    assert scalar(db, "SELECT DISTINCT year FROM observations") == 2024  # the 'Año' header was understood


def test_utf16_and_cp1252_directory_names_survive(tmp_path: Path) -> None:
    rows = [["CODIGO", "DEPARTAMENTO", "MUNICIPIO", "ESTABLECIMIENTO", "AREA"],
            ["01-08-0123-46", "GUATEMALA", "SAN JOSÉ PINULA", "INSTITUTO MIXTO PEÑA DE HOREB", "URBANA"],
            ["16-01-0456-46", "ALTA VERAPAZ", "COBÁN", "ESCUELA OFICIAL RURAL MIXTA ALDEA LA MAÑANITA", "RURAL"]]
    for encoding in ("utf-16", "cp1252"):
        db = tmp_path / f"{encoding}.duckdb"
        import_file(write(tmp_path / f"dir-{encoding}.csv", _table(rows, ";"), encoding), db)
        stored = query(db, "SELECT code, name, municipality, zone FROM units WHERE unit_type = 'school' ORDER BY 1")
        assert stored == [("01-08-0123-46", "INSTITUTO MIXTO PEÑA DE HOREB", "San José Pinula", "urban"),
                          ("16-01-0456-46", "ESCUELA OFICIAL RURAL MIXTA ALDEA LA MAÑANITA", "Cobán", "rural")]


def test_undecodable_bytes_fail_with_one_line_and_nothing_written(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    path = tmp_path / "bad.csv"
    path.write_bytes(b"school_code,year,dropout_rate\n\x00\x01\x02,\x00,\x00\n")
    with pytest.raises(ImportFailed) as info:
        import_file(path, db)
    assert "\n" not in str(info.value) and "bad.csv" in str(info.value)
    assert not db.exists()


# --- numbers ----------------------------------------------------------------------------------------------

def test_decimal_comma_and_thousands_points(tmp_path: Path) -> None:
    text = ("codigo_dane;año;population_5_16;observaciones;dropout_rate;n\n"
            "176001000001;2021;1.234,5;;3,25;1.234\n"
            "176001000002;2.021;12.345.678,25;;0,5;987\n"
            "176001000003;2021;2,5;;12;2.021\n")
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "coma.csv", text), db)
    stored = query(db, "SELECT unit_id, indicator, year, value, n FROM observations ORDER BY 1, 2")
    assert stored == [
        ("CO-176001000001", "dropout_rate", 2021, 3.25, 1234.0),
        ("CO-176001000001", "population_5_16", 2021, 1234.5, 1234.0),
        ("CO-176001000002", "dropout_rate", 2021, 0.5, 987.0),
        ("CO-176001000002", "population_5_16", 2021, 12345678.25, 987.0),
        ("CO-176001000003", "dropout_rate", 2021, 12.0, 2021.0),
        ("CO-176001000003", "population_5_16", 2021, 2.5, 2021.0),
    ]
    assert s["rows_rejected"] == 0


def test_decimal_point_and_thousands_commas(tmp_path: Path) -> None:
    text = ('school_code,year,population_5_16,dropout_rate,n\n'
            '176001000001,"2,021","1,234.5",3.25,"1,234"\n'
            '176001000002,2021,"12,345,678.25",0.5,987\n')
    db = tmp_path / "lablens.duckdb"
    import_file(write(tmp_path / "punto.csv", text), db)
    stored = query(db, "SELECT unit_id, indicator, year, value, n FROM observations ORDER BY 1, 2")
    assert stored == [
        ("CO-176001000001", "dropout_rate", 2021, 3.25, 1234.0),
        ("CO-176001000001", "population_5_16", 2021, 1234.5, 1234.0),
        ("CO-176001000002", "dropout_rate", 2021, 0.5, 987.0),
        ("CO-176001000002", "population_5_16", 2021, 12345678.25, 987.0),
    ]


def test_a_value_in_the_other_convention_is_rejected_not_misread(tmp_path: Path) -> None:
    """'2.5' in a decimal-comma column is not read as 25 (nor as 2.5): it is reported."""
    text = "school_code;year;dropout_rate\n176001000001;2021;3,25\n176001000002;2021;2.5\n176001000003;2021;4,75\n"
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "mixed.csv", text), db)
    assert query(db, "SELECT unit_id, value FROM observations ORDER BY 1") == [
        ("CO-176001000001", 3.25), ("CO-176001000003", 4.75)]
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects") == [
        (2, "dropout_rate", "2.5", "not a number")]
    assert s["rows_rejected"] == 1


# --- blank rows, codes, ranges -------------------------------------------------------------------------

def test_blank_rows_are_neither_loaded_nor_counted(tmp_path: Path) -> None:
    text = ("school_code,year,dropout_rate,score_math\n\n"
            "176001000001,2021,3.5,51\n"
            ",,,\n   \n"
            "176001000002,2021,104.5,52\n\n\n"
            "176001000003,2021,-1,53\n")
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "blank.csv", text), db)
    # every row loads (no row is rejected whole); two of their values are rejected
    assert (s["rows_read"], s["rows_loaded"], s["rows_rejected"], s["values_rejected_in_loaded_rows"]) == (3, 3, 0, 2)
    # out of range: that value alone is rejected with (row, column, value, reason); never clipped
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY 1") == [
        (2, "dropout_rate", "104.5", "outside the valid range of dropout_rate [0.0, 100.0]"),
        (3, "dropout_rate", "-1", "outside the valid range of dropout_rate [0.0, 100.0]")]
    assert query(db, "SELECT unit_id, indicator, value FROM observations ORDER BY 1, 2") == [
        ("CO-176001000001", "dropout_rate", 3.5), ("CO-176001000001", "score_math", 51.0),
        ("CO-176001000002", "score_math", 52.0), ("CO-176001000003", "score_math", 53.0)]
    assert scalar(db, "SELECT count(*) FROM observations WHERE value IN (0, 100)") == 0


def test_rejects_name_row_column_value_and_reason_for_every_problem(tmp_path: Path) -> None:
    text = ("school_code,year,wave,dropout_rate,score_math,enrolled_next_year,motivation_item_2\n"
            "176001000001,2021,pre,3.5,abc,1,4\n"          # 'abc' is not a number
            ",2021,pre,1,50,1,3\n"                          # no unit code: the whole row
            "176001000003,20x1,pre,1,50,1,3\n"              # not a year: the whole row
            "176001000004,2021,middle,1,50,1,3\n"           # unknown wave: the whole row
            "176001000005,2021,post,1,1000.5,2,3.5\n"      # range, binary, likert: those cells only
            "176001000006,2021,post,1,50,0.5,3\n")         # a binary in range but not 0 or 1
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "problems.csv", text), db)
    rejects = query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY 1, 2")
    assert rejects == [
        (1, "score_math", "abc", "not a number"),
        (2, "school_code", None, "no unit code"),
        (3, "year", "20x1", "not a year"),
        (4, "wave", "middle", "unknown wave (expected pre, post, baseline or endline)"),
        (5, "enrolled_next_year", "2", "outside the valid range of enrolled_next_year [0.0, 1.0]"),
        (5, "motivation_item_2", "3.5", "not a whole scale point"),
        (5, "score_math", "1000.5", "outside the valid range of score_math [0.0, 1000.0]"),
        (6, "enrolled_next_year", "0.5", "not 0 or 1"),
    ]
    # rows 2-4 rejected whole; rows 1, 5 and 6 load without 1 + 3 + 1 of their values
    assert (s["rows_rejected"], s["values_rejected_in_loaded_rows"], s["values_rejected"]) == (3, 5, 8)
    loaded = query(db, "SELECT unit_id, indicator, value FROM observations ORDER BY 1, 2")
    assert loaded == [("CO-176001000001", "dropout_rate", 3.5), ("CO-176001000001", "enrolled_next_year", 1.0),
                      ("CO-176001000001", "motivation_item_2", 4.0), ("CO-176001000005", "dropout_rate", 1.0),
                      ("CO-176001000006", "dropout_rate", 1.0), ("CO-176001000006", "motivation_item_2", 3.0),
                      ("CO-176001000006", "score_math", 50.0)]


def test_codes_with_and_without_leading_zeros_are_one_unit(tmp_path: Path) -> None:
    text = ("codigo_dane|tipo|año|desercion\n"
            "5001|municipio|2020|1,5\n"
            "05001|municipio|2021|2,5\n"
            "05001|municipio|2,022|3,5\n"
            "76|departamento|2021|4,5\n"
            "5|departamento|2022|5,5\n")
    db = tmp_path / "lablens.duckdb"
    import_file(write(tmp_path / "zeros.csv", text), db)
    assert query(db, "SELECT unit_id, year, value FROM observations ORDER BY 1, 2") == [
        ("CO-05", 2022, 5.5), ("CO-05001", 2020, 1.5), ("CO-05001", 2021, 2.5), ("CO-05001", 2022, 3.5),
        ("CO-76", 2021, 4.5)]
    assert query(db, "SELECT unit_id, unit_type, name FROM units ORDER BY 1") == [
        ("CO-05", "department", "Antioquia"), ("CO-05001", "municipality", "Medellín"),
        ("CO-76", "department", "Valle del Cauca")]


def test_mapping_unit_type_column_and_lost_zeros(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[source]\ncountry = "CO"\n\n[columns]\nmpio = "unit_code"\nnivel_territorial = '
                       '"unit_type"\nperiodo = "year"\n"tasa abandono" = { indicator = "dropout_rate", level = '
                       '"primary" }\n', encoding="utf-8")
    text = "mpio;nivel_territorial;periodo;tasa abandono\n76001;municipio;2021;2,5\n5001;municipio;2021;3,5\n" \
           "05001;municipio;2022;4,5\n"
    db = tmp_path / "lablens.duckdb"
    import_file(write(tmp_path / "t.csv", text), db, mapping=mapping)
    assert query(db, "SELECT unit_id, year, level, value FROM observations ORDER BY 1, 2") == [
        ("CO-05001", 2021, "primary", 3.5), ("CO-05001", 2022, "primary", 4.5), ("CO-76001", 2021, "primary", 2.5)]
    assert scalar(db, "SELECT count(*) FROM units WHERE unit_type = 'school'") == 0


# --- unknown layouts and mapping files ----------------------------------------------------------------------

UNKNOWN = ("Código del centro;Ciclo escolar;Fluidez (ppm);Nota final;Observación\n"
           "16-01-0001-43;2024;85,5;70;ok\n"
           "16-01-0002-43;2024;350;71,25;revisar\n"
           "16-01-0003-43;2024;120;;ñandú\n")
MAPPING = '''[source]
country = "GT"
unit_type = "school"

[columns]
"Código del centro" = "unit_code"
"Ciclo escolar" = "year"
"Fluidez (ppm)" = { indicator = "reading_fluency" }
"Nota final" = { indicator = "score_math" }
"Observación" = "ignore"

[indicators.reading_fluency]
domain = "learning"
kind = "score"
unit = "words per minute"
min_value = 0
max_value = 300
label_es = "Fluidez lectora"
label_en = "Reading fluency"
'''


def test_unknown_layout_raises_not_recognised_naming_the_unplaced_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "lectura.csv", UNKNOWN, "cp1252")
    with pytest.raises(NotRecognised) as info:
        stage(path)
    exc = info.value
    # 'Código del centro' is placed by its words (código + centro): a unit code
    assert exc.unplaced == ["Fluidez (ppm)", "Nota final", "Observación"]
    assert "Fluidez (ppm), Nota final, Observación" in str(exc)
    assert "(read as text, encoding cp1252, delimiter ';', 5 column(s))" in str(exc)
    assert '"Código del centro" = "unit_code"' in exc.suggestion
    assert "\n" not in str(exc)
    assert '"Ciclo escolar" = "year"' in exc.suggestion


def test_cli_prints_a_suggested_mapping_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path / "lectura.csv", UNKNOWN, "cp1252")
    db = tmp_path / "lablens.duckdb"
    code = cli.main(["import", str(path), "--db", str(db), "--lang", "en"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "Suggested mapping file" in err and '[columns]\n"Código del centro" = "unit_code"' in err
    assert err.rstrip("\n").splitlines()[-1].startswith("error: lectura.csv: layout not recognised")
    assert not db.exists()
    # the suggestion is valid TOML a user can edit
    suggestion = err.split("--mapping mapping.toml):\n", 1)[1].split("\nerror:", 1)[0]
    (tmp_path / "suggested.toml").write_text(suggestion, encoding="utf-8")
    assert "Ciclo escolar" in load_mapping(tmp_path / "suggested.toml")["columns"]


def test_toml_mapping_loads_the_file_with_a_new_indicator(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path / "lectura.csv", UNKNOWN, "cp1252")
    mapping = write(tmp_path / "mapping.toml", MAPPING)
    db = tmp_path / "lablens.duckdb"
    assert cli.main(["import", str(path), "--db", str(db), "--mapping", str(mapping),
                     "--lang", "en"]) == 0
    assert "recognised as: mapping" in capsys.readouterr().out
    assert query(db, "SELECT unit_id, indicator, value FROM observations ORDER BY 1, 2") == [
        ("GT-16-01-0001-43", "reading_fluency", 85.5), ("GT-16-01-0001-43", "score_math", 70.0),
        ("GT-16-01-0002-43", "score_math", 71.25), ("GT-16-01-0003-43", "reading_fluency", 120.0)]
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects") == [
        (2, "Fluidez (ppm)", "350", "outside the valid range of reading_fluency [0.0, 300.0]")]
    assert query(db, "SELECT domain, kind, unit, min_value, max_value, label_es, label_en FROM indicators "
                     "WHERE code = 'reading_fluency'") == [
        ("learning", "score", "words per minute", 0.0, 300.0, "Fluidez lectora", "Reading fluency")]
    # once defined, the new indicator is a known column for the canonical layout
    more = write(tmp_path / "more.csv", "school_code,year,reading_fluency\n16-01-0004-43,2025,99\n")
    s = import_file(more, db)
    assert s["recognized_as"] == "lablens_units"
    assert scalar(db, "SELECT value FROM observations WHERE unit_id = 'GT-16-01-0004-43'") == 99.0


def test_bad_mapping_fails_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "lectura.csv", UNKNOWN, "cp1252")
    db = tmp_path / "lablens.duckdb"
    bad = write(tmp_path / "bad.toml", MAPPING.replace('"Nota final"', '"Nota inicial"'))
    with pytest.raises(ImportFailed) as info:
        import_file(path, db, mapping=bad)
    assert "Nota inicial" in str(info.value) and "\n" not in str(info.value)
    assert not db.exists()


# --- programme rosters ------------------------------------------------------------------------------

def test_roster_with_spanish_and_english_headers(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    spanish = ("Código establecimiento;Programa;Tipo de laboratorio;Año inicio\n"
               "176001000001;ValleLabs;Lab Center;2022\n"
               "176001000002;Comparación;;\n"
               "16-01-0050-46;MiLab;Lab Point;2.023\n")
    english = ("school_code,program,lab_type,start_year\n"
               "176001000003,ValleLabs,Lab Spark,2023\n"
               "176001000004,comparison,,\n"
               "176001000005,ValleLabs,Lab Point,1850\n")
    s1 = import_file(write(tmp_path / "programa.csv", spanish, "cp1252"), db)
    s2 = import_file(write(tmp_path / "roster.csv", english), db)
    assert s1["recognized_as"] == s2["recognized_as"] == "roster"
    assert query(db, "SELECT unit_id, program, lab_type, start_year FROM assignments ORDER BY 1") == [
        ("CO-176001000001", "ValleLabs", "Lab Center", 2022),
        ("CO-176001000002", "comparison", None, None),
        ("CO-176001000003", "ValleLabs", "Lab Spark", 2023),
        ("CO-176001000004", "comparison", None, None),
        ("GT-16-01-0050-46", "MiLab", "Lab Point", 2023)]
    assert query(db, "SELECT row_number, column_name, raw_value FROM rejects") == [(3, "start_year", "1850")]
    assert s2["rows_rejected"] == 1 and sha256(db)
