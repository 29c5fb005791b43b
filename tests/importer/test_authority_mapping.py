"""A mapped authority column for Valle del Cauca schools: the file's ETC wins, the ETC derived from the
municipality (analysis/catalog.py co_authority) only fills blanks, and a contradiction is a notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from importer_helpers import query, write

from analysis.importer.normalise import co_etc
from analysis.importer.pipeline import import_file

# A Secretaría's dropout export as it comes: semicolons, Windows-1252, decimal commas, the office's name in
# several spellings (and once a school of certified Tuluá that the file says the department runs).
EXPORT = (
    "CODIGO_DANE_SEDE;NOMBRE_SEDE;SECRETARIA;AÑO;TASA_DESERCION\r\n"
    "176001000123;IE SANTA LIBRADA;SECRETARÍA DE EDUCACIÓN DE SANTIAGO DE CALI;2023;3,5\r\n"
    "176001000999;IE MANUEL MARÍA MALLARINO;;2023;2,25\r\n"
    "276233000456;IE ATANASIO GIRARDOT;SED VALLE DEL CAUCA;2023;4,75\r\n"
    "176834000789;IE GIMNASIO DEL PACÍFICO;VALLE DEL CAUCA;2023;1,5\r\n"
    "105001000111;IE JAVIERA LONDOÑO;MEDELLÍN;2023;5\r\n"
)
MAPPING = ('[source]\ncountry = "CO"\n[columns]\nCODIGO_DANE_SEDE = "unit_code"\nNOMBRE_SEDE = "name"\n'
           'SECRETARIA = "authority"\n"AÑO" = "year"\nTASA_DESERCION = { indicator = "dropout_rate" }\n')


def test_the_mapped_authority_wins_and_a_contradiction_is_reported(tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    s = import_file(write(tmp_path / "desercion.csv", EXPORT, "cp1252"), db,
                    mapping=write(tmp_path / "m.toml", MAPPING))
    assert s["rows_loaded"] == 5
    assert dict(query(db, "SELECT code, authority FROM units WHERE unit_type = 'school'")) == {
        "176001000123": "Cali (ETC)",             # the file's spelling of the derived ETC: one name per ETC
        "176001000999": "Cali (ETC)",             # blank in the file: derived from the certified municipality
        "276233000456": "Valle del Cauca (ETC)",  # a non-certified municipality: the department's ETC
        "176834000789": "Valle del Cauca (ETC)",  # the file says so, although Tuluá is certified: kept
        "105001000111": "Medellín (ETC)",         # outside Valle only the file knows the ETC
    }
    assert s["authority_conflicts"] == [
        {"unit_code": "176834000789", "stated": "Valle del Cauca (ETC)", "derived": "Tuluá (ETC)"}]
    notice = [n for n in s["notes"] if "authority" in n]
    assert notice == ["1 unit(s) of Valle del Cauca have an authority in column SECRETARIA that is not the ETC "
                      "of their municipality (e.g. 176834000789: 'Valle del Cauca (ETC)' in the file, "
                      "'Tuluá (ETC)' by its municipality): the file's value is kept (all in the summary's "
                      "authority_conflicts, import --json)"]


@pytest.mark.parametrize(("municipality", "stated", "kept", "contradicted"), [
    ("76111", "BUGA", "Guadalajara de Buga (ETC)", None),   # MEN's short name of a certified municipality
    ("76020", "Gobernación del Valle", "Valle del Cauca (ETC)", None),
    ("76001", "Cauca", "Cauca (ETC)", "Cali (ETC)"),         # another department's ETC is not Valle's
    ("76109", "DISTRITO ESPECIAL DE BUENAVENTURA", "Buenaventura (ETC)", None),
    ("76520", "  ", "Palmira (ETC)", None),
])
def test_etc_spellings(municipality: str, stated: str, kept: str, contradicted: str | None) -> None:
    assert co_etc(municipality, stated) == (kept, contradicted)
