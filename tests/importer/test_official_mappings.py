"""Delimiters and encodings of official files, suggested mappings, mapping roles that never overwrite each
other, and countries beyond Colombia and Guatemala (issue 14, items 3, 4, 8 and 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from importer_helpers import query, scalar, write

from analysis import cli
from analysis.importer.errors import ImportFailed
from analysis.importer.layouts import NotRecognised
from analysis.importer.pipeline import import_file
from analysis.importer.readers import detect_delimiter
from analysis.importer.staging import stage

# --- delimiters and encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(("lines", "expected"), [
    (["COD;VALOR;OTRO", "76001;0,5;12,25", "76002;0,75;13,5"], ";"),        # commas are decimal marks
    (["COD;VALOR", "76001;0,5", "76002;0,75"], ";"),
    (["COD\tVALOR\tOTRO", "76001\t0,5\t1,25", "76002\t0,75\t2,5"], "\t"),
    (["COD,VALOR,OTRO", '76001,"0,5","12,25"', '76002,"0,75","13,5"'], ","),  # quoted decimal commas
    (["COD,VALOR", "76001,0.5", "76002,0.75"], ","),
    (["A¬B¬C", "1¬x¬0,5", "2¬y¬0,75"], "¬"),
    (["A\t|\tB\t|\tC", "1\t|\tx\t|\t0.5", "2\t|\ty\t|\t0.75"], "\t|\t"),
    (["A^B^C", "1^x^0,5"], "^"),
])
def test_delimiter_vote(lines: list[str], expected: str) -> None:
    assert detect_delimiter(lines) == expected


def test_semicolon_file_with_decimal_commas_loads_exact_values(tmp_path: Path) -> None:
    text = ("school_code;year;score_math;score_language\r\n176001000123;2023;52,5;61,25\r\n"
            "176001000124;2023;48;70,125\r\n")
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "notas.csv", text, "cp1252"), db)
    assert s["delimiter"] == ";"
    assert query(db, "SELECT unit_id, indicator, value FROM observations ORDER BY ALL") == [
        ("CO-176001000123", "score_language", 61.25), ("CO-176001000123", "score_math", 52.5),
        ("CO-176001000124", "score_language", 70.125), ("CO-176001000124", "score_math", 48.0)]


def test_mapping_sets_delimiter_encoding_and_decimal(tmp_path: Path) -> None:
    """A headerless Latin-1 file delimited by '#': the mapping forces encoding, delimiter and decimal mark."""
    path = tmp_path / "raro.txt"
    path.write_bytes("".join(f"1760010001{i:02d}#2022#0,{i}5\n" for i in range(3)).encode("iso-8859-1"))
    mapping = tmp_path / "m.toml"
    mapping.write_text('[source]\ncountry = "CO"\ndelimiter = "#"\nencoding = "ISO-8859-1"\ndecimal = ","\n\n'
                       '[columns]\ncolumn_1 = "unit_code"\ncolumn_2 = "year"\n'
                       'column_3 = { indicator = "icfes_index_total" }\n', encoding="utf-8")
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db, mapping=mapping)
    assert (s["encoding"], s["delimiter"]) == ("latin-1", "#")
    assert query(db, "SELECT unit_id, year, value FROM observations ORDER BY 1") == [
        ("CO-176001000100", 2022, 0.05), ("CO-176001000101", 2022, 0.15), ("CO-176001000102", 2022, 0.25)]


def test_not_recognised_says_how_the_file_was_read(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes("Uno¬Dos¬Tres\nañ¬b¬c\n".encode())
    with pytest.raises(NotRecognised) as info:
        stage(path)
    assert "(read as text, encoding utf-8, delimiter '¬', 3 column(s))" in str(info.value)
    latin = tmp_path / "y.txt"
    latin.write_bytes("Uno\t|\tDos\nañ\t|\tb\n".encode("iso-8859-1"))
    with pytest.raises(NotRecognised) as info:
        stage(latin)
    assert "(read as text, encoding cp1252, delimiter 'TAB|TAB', 2 column(s))" in str(info.value)


# --- suggested mappings --------------------------------------------------------------------------------------

OFFICIAL = ("AGNO;RBD;NOM_RBD;COD_COM_RBD;NOM_COM_RBD;COD_DEPE;PROM_LECT;PROM_MATE;EVALUADOS\n"
            "2023;8934;LICEO BICENTENARIO;13101;SANTIAGO;MUNICIPAL;251,5;248;45\n"
            "2023;24576;ESCUELA BÁSICA LOS ANDES;5101;VALPARAÍSO;PARTICULAR;270;262,75;31\n")


def test_suggest_mapping_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path / "simce_2023.csv", OFFICIAL)
    assert cli.main(["import", str(path), "--suggest-mapping", "--lang", "en"]) == 0
    suggestion = capsys.readouterr().out
    assert 'country = "CL"' in suggestion                     # RBD codes are Chile's
    assert '"AGNO" = "year"' in suggestion and '"RBD" = "unit_code"' in suggestion
    assert '"NOM_RBD" = "name"' in suggestion and '"EVALUADOS" = "n"' in suggestion
    assert '"NOM_COM_RBD" = "municipality"' in suggestion and '"COD_COM_RBD" = "municipality_code"' in suggestion
    assert '"COD_DEPE" = "attribute"' in suggestion           # text: an attribute, not an indicator
    assert '"PROM_LECT" = { indicator = "FILL_IN" }   # numbers 251.5 to 270' in suggestion
    # fill in the indicator names (a catalogue code and a new one) and import
    fill = '"{}" = {{ indicator = "{}" }}'
    filled = suggestion.replace(fill.format("PROM_LECT", "FILL_IN"), fill.format("PROM_LECT", "score_language"))
    filled = filled.replace(fill.format("PROM_MATE", "FILL_IN"), fill.format("PROM_MATE", "simce_math"))
    filled += ('\n[indicators.simce_math]\ndomain = "learning"\nkind = "score"\nunit = "points"\nmin_value = 0\n'
               'max_value = 400\nlabel_es = "SIMCE matemática"\nlabel_en = "SIMCE mathematics"\n')
    mapping = write(tmp_path / "map.toml", filled)
    db = tmp_path / "lablens.duckdb"
    s = import_file(path, db, mapping=mapping)
    assert (s["rows_loaded"], s["rows_rejected"]) == (2, 0)
    assert query(db, "SELECT unit_id, indicator, year, value, n FROM observations ORDER BY ALL") == [
        ("CL-24576", "score_language", 2023, 270.0, 31.0), ("CL-24576", "simce_math", 2023, 262.75, 31.0),
        ("CL-8934", "score_language", 2023, 251.5, 45.0), ("CL-8934", "simce_math", 2023, 248.0, 45.0)]
    assert query(db, "SELECT unit_id, country, name, municipality, parent_id FROM units ORDER BY 1") == [
        ("CL-24576", "CL", "ESCUELA BÁSICA LOS ANDES", "VALPARAÍSO", None),
        ("CL-8934", "CL", "LICEO BICENTENARIO", "SANTIAGO", None)]
    assert query(db, "SELECT unit_id, name, value FROM unit_attributes ORDER BY 1") == [
        ("CL-24576", "cod_depe", "PARTICULAR"), ("CL-8934", "cod_depe", "MUNICIPAL")]


def test_suggestion_for_icfes_headers_by_token(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = ("CODIGO_DANE;AÑO;COLE_MPIO_MUNICIPIO;COLE_CODMPIO_COLEGIO;COLE_COD_DEPTO;EVALUADOS_ULTIMOS_3;X\n"
            "176001000123;2021;CALI;76001;76;35;0,5\n")
    path = write(tmp_path / "f.csv", text)
    assert cli.main(["import", str(path), "--suggest-mapping", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for line in ('"CODIGO_DANE" = "unit_code"', '"AÑO" = "year"', '"COLE_MPIO_MUNICIPIO" = "municipality"',
                 '"COLE_CODMPIO_COLEGIO" = "municipality_code"', '"COLE_COD_DEPTO" = "department_code"',
                 '"EVALUADOS_ULTIMOS_3" = "n"', '"X" = { indicator = "FILL_IN" }   # numbers 0.5 to 0.5',
                 'country = "CO"'):
        assert line in out


def test_indicators_command_lists_codes_kinds_ranges_and_labels(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["indicators", "--json", "--db", str(tmp_path / "none.duckdb")]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)["indicators"]}
    assert rows["icfes_index_total"] == {
        "code": "icfes_index_total", "domain": "learning", "kind": "index", "unit": "index 0-1", "min_value": 0.0,
        "max_value": 1.0, "higher_is_better": True, "label_es": "Índice ICFES: índice total",
        "label_en": "ICFES index: total index", "source": "catalogue"}
    assert cli.main(["indicators", "--db", str(tmp_path / "none.duckdb")]) == 0
    table = capsys.readouterr().out
    assert any(line.split()[:3] == ["dropout_rate", "rate", "0–100"] for line in table.splitlines())


# --- mapping roles: nothing overwritten silently -------------------------------------------------------------

ROLES_FILE = "cod;depto;cod_depto;anio;nivel;valor\n176001000123;VALLE;76;2022;primaria;2,5\n"


@pytest.mark.parametrize(("source", "columns", "words"), [
    ("", 'depto = "department"\ncod_depto = "department_code"\n', ["'depto' (department)",
                                                                      "'cod_depto' (department_code)"]),
    ("", 'anio = "year"\nnivel = "year"\n', ["'anio' (year)", "'nivel' (year)"]),
    ("year = 2021\n", 'anio = "year"\n', ["source.year = 2021", "'anio'"]),
    ("", 'anio = "year"\nnivel = "level"\nvalor = { indicator = "dropout_rate", level = "primary" }\n',
     ["'nivel' gives the level", "'valor' fixes one"]),
])
def test_two_sources_for_one_value_are_an_error_naming_both(tmp_path: Path, source: str, columns: str,
                                                            words: list[str]) -> None:
    mapping = write(tmp_path / "m.toml", f'[source]\ncountry = "CO"\n{source}\n[columns]\ncod = "unit_code"\n'
                    + columns + ('valor = { indicator = "dropout_rate" }\n' if "valor" not in columns else ""))
    db = tmp_path / "lablens.duckdb"
    with pytest.raises(ImportFailed) as failure:
        import_file(write(tmp_path / "f.csv", ROLES_FILE), db, mapping=mapping)
    for word in words:
        assert word in str(failure.value)
    assert not db.exists()


def test_municipality_and_department_code_roles_place_a_school(tmp_path: Path) -> None:
    """A Puerto Colombia school coded in Barranquilla, through a mapping's municipality_code role."""
    text = "cod;mpio;dpto;anio;valor\n308001000789;8573;8;2022;3,5\n"
    mapping = write(tmp_path / "m.toml", '[source]\ncountry = "CO"\n[columns]\ncod = "unit_code"\n'
                    'mpio = "municipality_code"\ndpto = "department_code"\nanio = "year"\n'
                    'valor = { indicator = "dropout_rate" }\n')
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "f.csv", text), db, mapping=mapping)
    assert scalar(db, "SELECT parent_id FROM units WHERE code = '308001000789'") == "CO-08573"
    assert [(r["registered_municipality"], r["stated_municipality"]) for r in s["location_report"]] == [
        ("08001", "08573")]


# --- countries -----------------------------------------------------------------------------------------------

def test_peru_codigo_modular_kept_as_written_and_unknown_countries_refused(tmp_path: Path) -> None:
    text = "pais,codigo_modular,anio,tasa_desercion\nPerú,0254755,2022,3.5\nPER,1234567,2022,4\nXX,7,2022,1\n"
    mapping = write(tmp_path / "m.toml", '[columns]\npais = "country"\ncodigo_modular = "unit_code"\n'
                    'anio = "year"\ntasa_desercion = { indicator = "dropout_rate" }\n')
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "pe.csv", text), db, mapping=mapping)
    assert query(db, "SELECT unit_id, value FROM observations ORDER BY 1") == [("PE-0254755", 3.5),
                                                                                ("PE-1234567", 4.0)]
    assert s["rows_rejected"] == 1
    bad = write(tmp_path / "bad.toml", '[source]\ncountry = "ZZ"\n[columns]\ncodigo_modular = "unit_code"\n'
                'anio = "year"\ntasa_desercion = { indicator = "dropout_rate" }\n')
    with pytest.raises(ImportFailed, match="not an ISO 3166-1 country code"):
        import_file(write(tmp_path / "pe2.csv", text), tmp_path / "other.duckdb", mapping=bad)


def test_colombian_codes_still_validated(tmp_path: Path) -> None:
    text = "pais,codigo,anio,tasa_desercion\nCO,ABC,2022,3.5\nCL,ABC,2022,3.5\n"
    mapping = write(tmp_path / "m.toml", '[source]\nunit_type = "school"\n[columns]\npais = "country"\n'
                    'codigo = "unit_code"\nanio = "year"\ntasa_desercion = { indicator = "dropout_rate" }\n')
    db = tmp_path / "lablens.duckdb"
    import_file(write(tmp_path / "f.csv", text), db, mapping=mapping)
    assert query(db, "SELECT unit_id FROM observations") == [("CL-ABC",)]
    assert query(db, "SELECT reason FROM rejects") == [("'ABC' is not a DANE code (digits only)",)]


def test_readme_documents_every_mapping_role() -> None:
    from analysis.importer.mapping import ROLE_CHOICES, ROLE_MEANINGS

    assert set(ROLE_MEANINGS) == set(ROLE_CHOICES)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for role, meaning in ROLE_MEANINGS.items():
        assert f"| `{role}` | {meaning} |" in readme
    assert "entidad territorial certificada" in ROLE_MEANINGS["authority"]


def test_department_and_municipality_that_disagree_are_an_error_naming_both(tmp_path: Path) -> None:
    text = "cod;mpio;dpto;anio;valor\n308001000789;08573;05;2022;3,5\n"
    mapping = write(tmp_path / "m.toml", '[source]\ncountry = "CO"\n[columns]\ncod = "unit_code"\n'
                    'mpio = "municipality_code"\ndpto = "department_code"\nanio = "year"\n'
                    'valor = { indicator = "dropout_rate" }\n')
    db = tmp_path / "lablens.duckdb"
    with pytest.raises(ImportFailed) as failure:
        import_file(write(tmp_path / "f.csv", text), db, mapping=mapping)
    assert "column dpto" in str(failure.value) and "column mpio" in str(failure.value)
    assert "department 05, municipality 08573" in str(failure.value)
    assert not db.exists()


def test_same_file_new_mapping_is_a_new_import_and_the_pack_names_the_mapping(tmp_path: Path) -> None:
    """Issue 14, items 5 and 9: the identity of an import is the file's sha256 and its mapping's; the
    evidence pack's provenance carries the mapping's hash and text."""
    import json

    from analysis.db.connect import open_db
    from analysis.evidence.provenance import imports_records
    from analysis.evidence.request import load_context

    data = tmp_path / "notas.csv"
    data.write_text("rbd,anio,nota\n10001,2023,4.5\n10002,2023,5.1\n", encoding="utf-8")
    db = tmp_path / "lablens.duckdb"
    base = {"source": {"country": "CL", "unit_type": "school"},
            "columns": {"rbd": "unit_code", "anio": "year", "nota": {"indicator": "score_math"}}}
    first = import_file(data, db, mapping=base)
    again = import_file(data, db, mapping=base)
    assert first["status"] == "active" and again["status"] == "already_imported"
    other = {**base, "columns": {**base["columns"], "nota": {"indicator": "score_science"}}}
    second = import_file(data, db, mapping=other)
    assert second["status"] == "active" and second["import_id"] == first["import_id"] + 1
    with open_db(db) as con:
        records = imports_records(load_context(con, db.name))
    assert [r["mapping_sha256"] for r in records] == [first["mapping_sha256"], second["mapping_sha256"]]
    assert json.loads(records[1]["mapping"])["columns"]["nota"] == {"indicator": "score_science"}


def test_an_import_that_loads_nothing_fails_and_still_writes_its_rejects(tmp_path: Path) -> None:
    """Issue 14, item 6: exit 1, the database unchanged, the rejects written where asked."""
    from analysis.cli import main

    db = tmp_path / "lablens.duckdb"
    bad = tmp_path / "desercion.csv"
    bad.write_text("codigo_dane,anno,desercion\n176001000001,2022,140\n176001000002,2022,-3\n"
                   '176001000003,2022,"=HYPERLINK(""http://x"")"\n', encoding="utf-8")
    out = tmp_path / "rejects.csv"
    assert main(["import", str(bad), "--db", str(db), "--rejects-out", str(out),
                 "--mapping", str(_mapping(tmp_path)), "--lang", "en"]) == 1
    assert not db.exists()
    rejects = out.read_text(encoding="utf-8-sig").splitlines()
    assert rejects[0] == "row_number,column_name,raw_value,reason" and len(rejects) == 4
    assert "140" in rejects[1] and "-3" in rejects[2]
    assert ",=HYPERLINK" not in rejects[3] and "'=HYPERLINK" in rejects[3]  # a spreadsheet never runs it


def _mapping(tmp_path: Path) -> Path:
    path = tmp_path / "map.toml"
    path.write_text('[source]\ncountry = "CO"\nunit_type = "school"\n\n[columns]\n"codigo_dane" = "unit_code"\n'
                    '"anno" = "year"\n"desercion" = { indicator = "dropout_rate" }\n', encoding="utf-8")
    return path
