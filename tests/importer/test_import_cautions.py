"""An import names what it did not use, refuses years not yet begun and warns when it rejected much of a file:
«onda» is a wave; a column no role reads is named in a note; a year after the current one (the clock's, or the
one a test passes) is a rejected row; more than 10 % of rows rejected is a warning note, the exit code still 0.

Every file is written byte for byte here; the expected counts are read off the rows written."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from importer_helpers import query, write

from analysis import import_text, reasons
from analysis.cli import main
from analysis.importer.cautions import this_year
from analysis.importer.staging import rejects_frame, stage


def _staged(path: Path, **kw):
    staged = stage(path, **kw)
    try:
        return staged.summary, rejects_frame(staged)
    finally:
        staged.con.close()


def test_onda_is_the_wave_and_unused_columns_are_named(tmp_path: Path) -> None:
    # a semicolon file whose wave column is «onda» (3 students, all before): every row loads in wave pre
    semi = write(tmp_path / "semi.csv", "codigo_escuela;año;onda;sexo;grado;puntaje_matematicas;id_estudiante\n"
                                        "04-01-4578-43;2025;pre;F;5;455,5;Z1\n"
                                        "04-01-4578-43;2025;pre;M;5;470,25;Z2\n"
                                        "04-01-4578-43;2025;post;M;5;480;Z1\n")
    s, _ = _staged(semi, current_year=2026)
    assert (s["rows_read"], s["rows_loaded"], s["waves"], s["notes"]) == (3, 3, ["post", "pre"], [])
    # a unit file's column no role reads, and a student file's extra column (kept, read by no analysis)
    units = write(tmp_path / "units.csv", "codigo_escuela,año,columna_rara,puntaje_matematicas\n"
                                          "04-01-4578-43,2025,hola,455\n")
    s, _ = _staged(units, current_year=2026)
    assert s["notes"] == ["columns not used: columna_rara"] and s["ignored_columns"] == ["columna_rara"]
    assert import_text.note(s["notes"][0], "es") == "columnas no usadas: columna_rara"
    students = write(tmp_path / "extra.csv", "codigo_escuela,año,columna_rara,id_estudiante,puntaje_matematicas\n"
                                             "04-01-4578-43,2025,hola,W1,455\n")
    s, _ = _staged(students, current_year=2026)
    assert s["notes"] == ["columns not used by the analyses, kept as student attributes: columna_rara"]
    assert import_text.note(s["notes"][0], "es") == (
        "columnas que ningún análisis usa, guardadas como atributos del estudiante: columna_rara")


def test_a_year_after_the_current_one_is_a_rejected_row(tmp_path: Path) -> None:
    path = write(tmp_path / "future.csv", "school_code,year,wave,student_id,score_math\n"
                                          "04-01-4578-43,2026,post,Q1,455\n"
                                          "04-01-4578-43,2030,post,Q2,470\n"
                                          "04-01-4578-43,2027,post,Q3,480\n")
    s, rejects = _staged(path, current_year=2026)
    assert (s["rows_loaded"], s["rows_rejected"], s["years"]) == (1, 2, [2026])
    assert rejects.values.tolist() == [[2, "year", "2030", "year 2030 is after the current year (2026)"],
                                       [3, "year", "2027", "year 2027 is after the current year (2026)"]]
    assert reasons.reject(rejects["reason"][0], "es") == "año 2030 posterior al año en curso (2026)"
    # the clock is read once per import; a test that needs 2030 passes it
    s, rejects = _staged(path, current_year=2030)
    assert (s["rows_loaded"], s["years"], len(rejects)) == (3, [2026, 2027, 2030], 0)
    assert this_year() == datetime.date.today().year and this_year(2030) == 2030


@pytest.mark.parametrize("lang", ["es", "en"])
def test_many_rejected_rows_warn_and_the_import_still_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             lang: str) -> None:
    # 3 rows: one loads, a rate of 140 % and an unknown code are rejected (2 of 3, 67 %)
    rate = write(tmp_path / "rate.csv", "school_code,year,dropout_rate\n04-01-4578-43,2025,4.5\n"
                                        "04-01-4578-43,2024,140\nXX-1,2025,3\n")
    db = tmp_path / "lablens.duckdb"
    capsys.readouterr()
    assert main(["import", str(rate), "--db", str(db), "--lang", lang]) == 0
    out = capsys.readouterr().out.splitlines()
    said = {"es": "  nota: aviso: se rechazaron 2 de 3 filas (67 %), más del 10 %; revise las filas rechazadas "
                  "antes de usar estos datos",
            "en": "  note: warning: 2 of 3 rows (67 %) were rejected, more than 10 %; read the rejected rows before "
                  "using these data"}[lang]
    assert said in out and query(db, "SELECT count(*) FROM observations") == [(1,)]


def test_a_tenth_rejected_is_no_warning(tmp_path: Path) -> None:
    rows = "".join(f"04-01-4578-43,{2016 + i},{i}.5\n" for i in range(9))
    s, _ = _staged(write(tmp_path / "ten.csv", "school_code,year,dropout_rate\n" + rows + "04-01-4578-43,2025,140\n"),
                   current_year=2026)
    assert (s["rows_read"], s["rows_rejected"], s["notes"]) == (10, 1, [])
    s, _ = _staged(write(tmp_path / "two.csv", "school_code,year,dropout_rate\n04-01-4578-43,2016,0.5\n"
                         "04-01-4578-43,2025,140\n"), current_year=2026)
    assert (s["rows_read"], s["rows_rejected"]) == (2, 1)
    assert s["notes"] == ["warning: 1 of 2 rows (50 %) were rejected, more than 10 %; read the rejected rows "
                          "before using these data"]
