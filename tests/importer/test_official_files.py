"""Official school files as ministries publish them (issue 14, "Official files"): the ICFES school
classification in its three editions, schools placed where the file says they are, and the location
report. Every fixture is generated here in the exact bytes of its edition; values are read back from the
published database."""

from __future__ import annotations

from pathlib import Path

import pytest
from importer_helpers import query, scalar

from analysis.importer.errors import ImportFailed
from analysis.importer.pipeline import import_file

HEADERS = ["PERIODO", "COLE_COD_DANE", "COLE_INST_NOMBRE", "COLE_CODMPIO_COLEGIO", "COLE_MPIO_MUNICIPIO",
           "COLE_COD_DEPTO", "COLE_DEPTO_COLEGIO", "COLE_NATURALEZA", "COLE_GRADO", "COLE_CALENDARIO_COLEGIO",
           "COLE_GENEROPOBLACION", "MATRICULADOS_ULTIMOS_3", "EVALUADOS_ULTIMOS_3", "INDICE_MATEMATICAS",
           "INDICE_C_NATURALES", "INDICE_SOCIALES_CIUDADANAS", "INDICE_LECTURA_CRITICA", "INDICE_INGLES",
           "INDICE_TOTAL", "COLE_CATEGORIA"]
INDICATORS = ["icfes_index_math", "icfes_index_science", "icfes_index_social", "icfes_index_reading",
              "icfes_index_english", "icfes_index_total"]
# code, name, stated municipality, its name, department, its name, sector, grade, enrolled, tested, 6 indices,
# category. Cali's school appears twice: grade 11 and its adult cycles (grade 26).
SCHOOLS = [
    ("176001000123", "INSTITUCIÓN EDUCATIVA SANTA LIBRADA", "76001", "CALI", "76", "VALLE", "OFICIAL", "11",
     "1.234", "1.197", ["0.7523", "0.70125", "0.6901", "0.8", "0.55555", "0.73"], "A+"),
    ("176001000123", "INSTITUCIÓN EDUCATIVA SANTA LIBRADA", "76001", "CALI", "76", "VALLE", "OFICIAL", "26",
     "310", "255", ["0.5101", "0.4987", "0.5", "0.61", "0.39", "0.5122"], "C"),
    # a Bogotá rural school registered under 11850 (no DIVIPOLA municipality), stated in Bogotá
    ("211850000123", "COLEGIO RURAL PASQUILLA", "11001", "BOGOTÁ D.C.", "11", "BOGOTÁ", "OFICIAL", "11",
     "98", "91", ["0.6612", "0.6", "0.6305", "0.7001", "0.45", "0.6433"], "B"),
    # a Caquetá school coded 83xxx, stated in Florencia (18001)
    ("383001000456", "COLEGIO NACIONAL LA SALLE", "18001", "FLORENCIA", "18", "CAQUETÁ", "OFICIAL", "11",
     "210", "204", ["0.6", "0.61", "0.62", "0.63", "0.64", "0.65"], "B"),
    # a Puerto Colombia school coded in Barranquilla (08001)
    ("308001000789", "COLEGIO ALEMÁN DEL MAR", "08573", "PUERTO COLOMBIA", "08", "ATLÁNTICO", "NO OFICIAL",
     "11", "75", "75", ["0.9001", "0.8876", "0.85", "0.9123", "0.95", "0.9"], "A+"),
    # Belén de Bajirá (27086) was created after the DIVIPOLA list: placed in the code's Riosucio (27615)
    ("227615000111", "INSTITUCIÓN EDUCATIVA BELÉN DE BAJIRÁ", "27086", "BELÉN DE BAJIRÁ", "27", "CHOCÓ",
     "OFICIAL", "11", "60", "58", ["0.41", "0.3999", "0.42", "0.43", "0.2", "0.4011"], "D"),
]
PLACED = {"176001000123": "CO-76001", "211850000123": "CO-11001", "383001000456": "CO-18001",
          "308001000789": "CO-08573", "227615000111": "CO-27615"}


def _cells(school: tuple, period: str, comma: bool) -> list[str]:
    code, name, muni, muni_name, dept, dept_name, sector, grade, enrolled, tested, indices, category = school
    shown = [v.replace(".", ",") for v in indices] if comma else indices
    return [period, code, name, muni, muni_name, dept, dept_name, sector, grade, "A", "MIXTO",
            enrolled if comma else enrolled.replace(".", ""), tested if comma else tested.replace(".", ""),
            *shown, category]


def utf8_edition(period: str = "20204") -> bytes:
    """UTF-8, separator '¬' (U+00AC), decimal commas, thousands with a point ('1.197')."""
    lines = ["¬".join(HEADERS)] + ["¬".join(_cells(s, period, comma=True)) for s in SCHOOLS]
    return ("\n".join(lines) + "\n").encode("utf-8")


def latin1_edition(period: str = "20194") -> bytes:
    """ISO-8859-1, separator 'TAB|TAB', decimal points, CRLF line ends."""
    lines = ["\t|\t".join(HEADERS)] + ["\t|\t".join(_cells(s, period, comma=False)) for s in SCHOOLS]
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


def _expected(year: int) -> list[tuple]:
    rows = []
    for school in SCHOOLS:
        code, grade, tested, indices = school[0], school[7], school[9], school[10]
        for indicator, text in zip(INDICATORS, indices, strict=True):
            rows.append((f"CO-{code}", indicator, year, grade, "all", float(text), float(tested.replace(".", ""))))
    return sorted(rows)


OBS_SQL = "SELECT unit_id, indicator, year, grade, level, value, n FROM observations ORDER BY ALL"


@pytest.mark.parametrize(("edition", "year", "encoding", "delimiter"), [
    (utf8_edition, 2020, "utf-8", "¬"), (latin1_edition, 2019, "cp1252", "\t|\t")])
def test_icfes_classification_editions_load_with_no_configuration(tmp_path: Path, edition, year: int,
                                                                   encoding: str, delimiter: str) -> None:
    path = tmp_path / "SB11-CLASIFI-PLANTELES-20204.txt"
    path.write_bytes(edition())
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db)
    assert (s["recognized_as"], s["encoding"], s["delimiter"]) == ("icfes_planteles", encoding, delimiter)
    assert (s["rows_read"], s["rows_loaded"], s["rows_rejected"]) == (6, 6, 0)
    assert query(db, OBS_SQL) == _expected(year)
    # grade 26 is the adult-cycle subgroup of the same school: one unit, two grades, no duplicate rejected
    assert query(db, "SELECT DISTINCT grade FROM observations WHERE unit_id = 'CO-176001000123' ORDER BY 1") == [
        ("11",), ("26",)]
    assert query(db, "SELECT code, parent_id, municipality, department FROM units WHERE unit_type = 'school' "
                     "ORDER BY code") == sorted(
        (code, parent, {"CO-76001": "Cali", "CO-11001": "Bogotá, D.C.", "CO-18001": "Florencia",
                        "CO-08573": "Puerto Colombia", "CO-27615": "Riosucio"}[parent],
         {"76": "Valle del Cauca", "11": "Bogotá, D.C.", "18": "Caquetá", "08": "Atlántico", "27": "Chocó"}[
             parent[3:5]]) for code, parent in PLACED.items())
    # no territory outside DIVIPOLA was created
    territories = {r[0] for r in query(db, "SELECT code FROM units WHERE unit_type <> 'school'")}
    assert territories == {"76001", "11001", "18001", "08573", "27615", "76", "11", "18", "08", "27"}
    assert query(db, "SELECT unit_id, name, value FROM unit_attributes WHERE name IN ('sector', 'category') "
                     "ORDER BY ALL") == sorted(
        [(f"CO-{s[0]}", "sector", s[6]) for s in SCHOOLS[1:]]
        + [(f"CO-{s[0]}", "category", s[11]) for s in SCHOOLS])


def test_location_report_lists_schools_placed_off_their_code(tmp_path: Path) -> None:
    path = tmp_path / "SB11-CLASIFI-PLANTELES-20204.txt"
    path.write_bytes(utf8_edition())
    s = import_file(path, tmp_path / "lablens.duckdb")
    report = {(r["unit_code"], r["registered_municipality"], r["stated_municipality"], r["placed_in"], r["issue"])
              for r in s["location_report"]}
    assert report == {("211850000123", "11850", "11001", "11001", "disagree"),
                      ("383001000456", "83001", "18001", "18001", "disagree"),
                      ("308001000789", "08001", "08573", "08573", "disagree"),
                      ("227615000111", "27615", "27086", "27615", "stated_not_in_divipola")}
    assert s["location_counts"] == {"disagree": 3, "stated_not_in_divipola": 1}
    assert any("27086" in note and "DIVIPOLA" in note for note in s["notes"])
    stored = scalar(tmp_path / "lablens.duckdb", "SELECT summary_json FROM imports")
    assert "location_report" in stored  # kept with the import


@pytest.mark.parametrize(("delimiter", "mark", "shown"), [(";", ",", "'1,76E+11'"), (",", ".", "'2.0579E+11'")])
def test_excel_damaged_codes_fail_with_the_value(tmp_path: Path, delimiter: str, mark: str, shown: str) -> None:
    """An Excel re-save: Windows-1252, its locale's delimiter, codes in scientific notation (last digits lost)."""
    lines = [delimiter.join(HEADERS)]
    for school in SCHOOLS:
        cells = _cells(school, "20204", comma=False)
        cells[2] = f'"{cells[2]}"'
        code = "2.0579E+11" if school[0].startswith("2") else f"{int(school[0]) / 1e11:.4f}".rstrip("0") + "E+11"
        cells[1] = code.replace(".", mark)
        lines.append(delimiter.join(cells))
    path = tmp_path / "SB11-CLASIFI-PLANTELES-20204.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    db = tmp_path / "lablens.duckdb"
    with pytest.raises(ImportFailed) as failure:
        import_file(path, db)
    message = str(failure.value)
    assert shown in message
    assert "damaged by a spreadsheet" in message and "COLE_COD_DANE" in message
    assert not db.exists()


def test_bogota_rural_stated_by_name_only(tmp_path: Path) -> None:
    """A file that states the municipality by name (no code column) places the school the same way."""
    text = ("COLE_COD_DANE;PERIODO;COLE_MPIO_MUNICIPIO;COLE_DEPTO_COLEGIO;INDICE_TOTAL\n"
            "211850000123;20191;BOGOTÁ D.C.;BOGOTÁ;0,6433\n")
    path = tmp_path / "planteles.csv"
    path.write_bytes(text.encode("utf-8"))
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db)
    assert query(db, "SELECT unit_id, year, value FROM observations") == [("CO-211850000123", 2019, 0.6433)]
    assert scalar(db, "SELECT parent_id FROM units WHERE code = '211850000123'") == "CO-11001"
    assert [r["issue"] for r in s["location_report"]] == ["disagree"]
