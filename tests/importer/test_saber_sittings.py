"""Saber 11 2013: one school-year in two test sittings keeps the school's main sitting (docs/DESIGN.md, "Import").

A synthetic twin of ICFES's saber2013.csv, in its exact bytes (its header, zero-padded codes, a quoted "1,097"
count, blank cells, LF line ends and no final newline): calendar-B schools with both sittings in either order,
a calendar-A school with both, schools of unknown calendar (a larger n; a tie), a flexible-calendar programme
(two cohorts, two units) and a genuine duplicate (one sitting written twice). What is kept is read back from the
published database and compared with the rows the rule names, chosen here from the rows themselves."""

from __future__ import annotations

from pathlib import Path

from importer_helpers import query

from analysis import reasons
from analysis.import_text import summary_lines
from analysis.importer.pipeline import import_file
from tests.words import ENGLISH

HEADER = ("codinst,nombre,cod_municipio,municipio,departamento,calendario,naturaleza,jornada,matematica,quimica,"
          "fisica,biologia,filosofia,ingles,lenguaje,sociales,de_matematica,de_quimica,de_fisica,de_biologia,"
          "de_filosofia,de_ingles,de_lenguaje,de_sociales,evaluados,periodo")
AREAS = ["matematica", "quimica", "fisica", "biologia", "filosofia", "ingles", "lenguaje", "sociales"]


def _row(code: str, name: str, calendar: str, shift: str, math: str, n: str, period: str,
         english: str = "45.10") -> str:
    means = [math, "46.79", "46.17", "47.30", "44.23", english, "51.49", "47.40"]
    sds = ["9.71", "7.92", "9.39", "6.55", "8.83", "9.47" if english else "", "6.88", "7.37"]
    return ",".join([code, name, "76001", "CALI", "VALLE", calendar, "NO OFICIAL", shift, *means, *sds, n, period])


# (code, calendar, shift, mathematics mean, n as written, period); row numbers count data rows from 1
ROWS = [
    _row("000059", "CENTRO FORMATIVO CEFA", "A", "MAÑANA", "46.82", '"1,097"', "20132"),                    # 1
    # calendar B, the other sitting first (as saber2013.csv has it): its main sitting has no English mean
    _row("016691", "COLEGIO AMERICANO", "B", "COMPLETA U ORDINARIA", "51.00", "2", "20132", "48.50"),       # 2
    _row("016691", "COLEGIO AMERICANO", "B", "COMPLETA U ORDINARIA", "60.99", "103", "20131", ""),          # 3
    # calendar B, the main sitting first
    _row("017129", "COLEGIO BILINGUE", "B", "MAÑANA", "58.20", "81", "20131"),                              # 4
    _row("017129", "COLEGIO BILINGUE", "B", "MAÑANA", "39.00", "1", "20132"),                               # 5
    # calendar A: its main sitting (20132) is kept although the other one is larger
    _row("031377", "INSTITUTO INSCOP", "A", "TARDE", "42.29", "14", "20131"),                               # 6
    _row("031377", "INSTITUTO INSCOP", "A", "TARDE", "42.70", "10", "20132"),                               # 7
    # unknown calendar (blank): the larger n, then on equal n the later period
    _row("041418", "COLEGIO SIN CALENDARIO", "", "MAÑANA", "44.44", "12", "20131"),                         # 8
    _row("041418", "COLEGIO SIN CALENDARIO", "", "MAÑANA", "40.00", "30", "20132"),                         # 9
    _row("041419", "COLEGIO EMPATADO", "", "TARDE", "41.00", "20", "20132"),                                # 10
    _row("041419", "COLEGIO EMPATADO", "", "TARDE", "43.00", "20", "20131"),                                # 11
    # flexible calendar: two cohorts a year, one per sitting, two units (never a sitting to skip)
    _row("055673", "PROGRAMA FLEXIBLE", "F", "SABATINA", "30.10", "40", "20131"),                           # 12
    _row("055673", "PROGRAMA FLEXIBLE", "F", "SABATINA", "31.20", "35", "20132"),                           # 13
    # a genuine duplicate: one school, year and period twice, with the same means (different ones: a conflict,
    # tests/importer/test_import_checks.py)
    _row("062356", "COLEGIO REPETIDO", "A", "MAÑANA", "50.00", "43", "20132"),                              # 14
    _row("062356", "COLEGIO REPETIDO", "A", "MAÑANA", "50.00", "43", "20132"),                              # 15
]
TEXT = HEADER + "\n" + "\n".join(ROWS)  # saber2013.csv ends without a newline
# unit -> (data row kept, its n): the rule read off the rows above
KEPT = {"016691-COMPLETA_U_ORDINARIA": (3, 103.0), "017129-MANANA": (4, 81.0), "031377-TARDE": (7, 10.0),
        "041418-MANANA": (9, 30.0), "041419-TARDE": (10, 20.0), "062356-MANANA": (14, 43.0)}
SKIPPED = {  # data row -> (period as written, the reason stored, the reason in Spanish)
    2: ("20132", "other sitting of the same year (n = 2): the main sitting of calendar B is kept (period 20131, row 3)",
        "otra convocatoria del mismo año (n = 2): se conserva la convocatoria principal del calendario B "
        "(periodo 20131, fila 3)"),
    5: ("20132", "other sitting of the same year (n = 1): the main sitting of calendar B is kept (period 20131, row 4)",
        "otra convocatoria del mismo año (n = 1): se conserva la convocatoria principal del calendario B "
        "(periodo 20131, fila 4)"),
    6: ("20131", "other sitting of the same year (n = 14): the main sitting of calendar A is kept "
                 "(period 20132, row 7)",
        "otra convocatoria del mismo año (n = 14): se conserva la convocatoria principal del calendario A "
        "(periodo 20132, fila 7)"),
    8: ("20131", "other sitting of the same year (n = 12): the sitting with more students tested is kept "
                 "(period 20132, row 9, n = 30)",
        "otra convocatoria del mismo año (n = 12): se conserva la convocatoria con más evaluados "
        "(periodo 20132, fila 9, n = 30)"),
    11: ("20131", "other sitting of the same year (n = 20): the later sitting is kept, as the number tested does not "
                  "tell them apart (period 20132, row 10)",
         "otra convocatoria del mismo año (n = 20): se conserva la posterior, pues el número de evaluados no las "
         "distingue (periodo 20132, fila 10)"),
}


def _cells(row: int) -> list[str]:
    return ROWS[row - 1].replace('"1,097"', "1097").split(",")


def test_each_school_year_keeps_its_calendars_main_sitting(tmp_path: Path) -> None:
    path = tmp_path / "saber2013.csv"
    path.write_bytes(TEXT.encode("utf-8"))
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db)
    assert s["recognized_as"] == "saber11_2013" and s["status"] == "active"
    assert (s["rows_read"], s["rows_loaded"], s["rows_other_sitting"]) == (15, 9, 5)
    assert s["rows_rejected"] == len(SKIPPED) + 1  # and the genuine duplicate
    stored = query(db, """SELECT u.code, o.indicator, o.value, o.n FROM observations o JOIN units u USING (unit_id)
        WHERE o.indicator IN ('score_math', 'score_english')""")
    n_of = {code: n for code, indicator, _, n in stored if indicator == "score_math"}
    math = {code: value for code, indicator, value, _ in stored if indicator == "score_math"}
    for code, (row, n) in KEPT.items():
        cells = _cells(row)
        assert (n_of[code], math[code]) == (n, float(cells[8])) == (float(cells[24]), float(cells[8])), code
    assert n_of["016691-COMPLETA_U_ORDINARIA"] == 103.0 and math["016691-COMPLETA_U_ORDINARIA"] == 60.99
    # the whole row of the other sitting is skipped: its English mean does not fill the main sitting's blank
    assert ("016691-COMPLETA_U_ORDINARIA", "score_english") not in {(c, i) for c, i, _, _ in stored}
    # the flexible programme's two cohorts are two units; the quoted thousands count is a count
    assert (n_of["055673-SABATINA-S1"], n_of["055673-SABATINA-S2"]) == (40.0, 35.0)
    assert n_of["000059-MANANA"] == 1097.0
    rejects = query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY row_number, "
                        "column_name")
    skipped = [r for r in rejects if r[0] != 15]
    assert skipped == [(row, "periodo", period, reason) for row, (period, reason, _) in SKIPPED.items()]
    # the genuine duplicate is still a duplicate, value by value (eight means, seven SDs: row 14's English SD)
    duplicates = [r for r in rejects if r[0] == 15]
    assert len(duplicates) == 16 and {r[3] for r in duplicates} == {
        "duplicate of row 14 (same unit, indicator, year, wave, level, subgroup and student)"}
    # said in Spanish through the reasons catalogue; English as stored
    for _, _, _, reason in skipped:
        row = next(r for r, v in SKIPPED.items() if v[1] == reason)
        said = reasons.reject(reason, "es")
        assert said == SKIPPED[row][2] and not ENGLISH.search(said)
        assert reasons.reject(reason, "en") == reason
    lines = summary_lines({**s, "rows_rejected": 6}, "es")
    assert "filas leídas 15, cargadas 9, rechazadas enteras 6 (5 de ellas, otra convocatoria del mismo año)" in lines
    assert "rejected whole 6 (5 of them another sitting of the same year)" in summary_lines(s, "en")


# The ICFES school classification is published after each sitting (…1 after calendar B's, …4 after calendar A's):
# a file holding both periods of 2019 keeps each school's own one, per grade. UTF-8, '¬', decimal commas.
PLANTELES = ["PERIODO¬COLE_COD_DANE¬COLE_INST_NOMBRE¬COLE_CODMPIO_COLEGIO¬COLE_GRADO¬COLE_CALENDARIO_COLEGIO¬"
             "EVALUADOS_ULTIMOS_3¬INDICE_TOTAL",
             "20191¬308001000111¬COLEGIO DEL MAR¬08001¬11¬B¬120¬0,8123",   # 1: calendar B, its main period
             "20191¬176001000222¬COLEGIO DEL VALLE¬76001¬11¬A¬30¬0,6012",  # 2: calendar A, the other period
             "20191¬176001000222¬COLEGIO DEL VALLE¬76001¬26¬A¬25¬0,4511",  # 3: its adult cycle, one period only
             "20194¬308001000111¬COLEGIO DEL MAR¬08001¬11¬B¬8¬0,5001",     # 4: calendar B, the other period
             "20194¬176001000222¬COLEGIO DEL VALLE¬76001¬11¬A¬25¬0,6234"]  # 5: calendar A, its main period


def test_a_classification_with_both_periods_of_a_year_keeps_each_schools_own(tmp_path: Path) -> None:
    path = tmp_path / "SB11-CLASIFI-PLANTELES-2019.txt"
    path.write_bytes(("\n".join(PLANTELES) + "\n").encode("utf-8"))
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db)
    assert s["recognized_as"] == "icfes_planteles"
    assert (s["rows_read"], s["rows_loaded"], s["rows_rejected"], s["rows_other_sitting"]) == (5, 3, 2, 2)
    assert query(db, "SELECT unit_id, year, grade, value, n FROM observations ORDER BY ALL") == [
        ("CO-176001000222", 2019, "11", 0.6234, 25.0), ("CO-176001000222", 2019, "26", 0.4511, 25.0),
        ("CO-308001000111", 2019, "11", 0.8123, 120.0)]
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY 1") == [
        (2, "PERIODO", "20191", "other sitting of the same year (n = 30): the main sitting of calendar A is kept "
                                "(period 20194, row 5)"),
        (4, "PERIODO", "20194", "other sitting of the same year (n = 8): the main sitting of calendar B is kept "
                                "(period 20191, row 1)")]
