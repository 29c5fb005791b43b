"""`python -m analysis import --lang es` says every line in Spanish: the summary, each kind of the importer's notes
(analysis/import_text.py) and a conflict's example; in English the lines stay as the importer writes them."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from importer_helpers import write
from test_authority_mapping import EXPORT, MAPPING
from test_official_files import latin1_edition

from analysis import import_text
from analysis.cli import main
from analysis.forms.definitions import lab_log_form, student_form
from analysis.forms.odk import _Collector
from analysis.importer.location import REASONS, report_summary
from tests.conftest import require_real_data
from tests.forms.exports import central, csv_bytes, zip_of
from tests.forms.test_odk_import import STUDENTS
from tests.forms.test_records_import import LAB
from tests.words import ENGLISH, MISSING

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], db: Path, *args: str, lang: str = "es") -> str:
    capsys.readouterr()
    main(["import", "--db", str(db), "--lang", lang, *map(str, args)])
    out = capsys.readouterr()
    return out.out + out.err


def _workbook(path: Path) -> Path:
    """A canonical units workbook as some writers leave it: a one-cell declared size, a trailing row of
    spreadsheet errors and columns naming people."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "datos"
    for row in [["unit_code", "year", "score_math", "nombre", "telefono"], ["105001000123", 2019, 301.5, "Ana", "1"],
                ["105001000124", 2019, 1234.5, "Luis", "2"], ["#NUM!", "#NUM!", "#NUM!", None, None]]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1"/>', data)
            dst.writestr(item, data)
    path.write_bytes(out.getvalue())
    return path


BOUNDARIES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"DPTO_CCDGO": "05", "DPTO_CNMBR": "ANTIOQUIA"},
     "geometry": {"type": "Polygon", "coordinates": [[[-76, 6], [-75, 6], [-75, 7], [-76, 6]]]}},
    {"type": "Feature", "properties": {"DPTO_CCDGO": "05", "DPTO_CNMBR": "ANTIOQUIA"},
     "geometry": {"type": "Polygon", "coordinates": [[[-76, 6], [-75, 6], [-75, 7], [-76, 6]]]}},
    {"type": "Feature", "properties": {"DPTO_CCDGO": "08"}, "geometry": None},
]}


def _notes(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  nota: ")]


def test_every_line_of_real_imports_is_spanish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "lablens.duckdb"
    out = []
    out.append(_run(capsys, db, write(tmp_path / "desercion.csv", EXPORT, "cp1252"), "--mapping",
                    write(tmp_path / "m.toml", MAPPING)))
    icfes = tmp_path / "SB11-CLASIFI-PLANTELES-20194.txt"
    icfes.write_bytes(latin1_edition())
    out.append(_run(capsys, db, icfes))
    book = _workbook(tmp_path / "puntajes.xlsx")
    out.append(_run(capsys, db, book))
    out.append(_run(capsys, db, book))
    out.append(_run(capsys, db, write(tmp_path / "puntajes2.csv", "unit_code,year,score_math\n105001000123,2019,"
                                      "301.25\n")))
    students = tmp_path / "submissions.csv.zip"
    students.write_bytes(zip_of(central(student_form(), STUDENTS)))
    out.append(_run(capsys, db, students))
    lab = tmp_path / "lab1.csv"
    lab.write_bytes(csv_bytes(central(lab_log_form(), LAB[:2])["lablens_lab_log.csv"]))
    out.append(_run(capsys, db, lab))
    lab2 = tmp_path / "lab2.csv"
    lab2.write_bytes(csv_bytes(central(lab_log_form(), [*LAB[:2], LAB[4]])["lablens_lab_log.csv"]))
    out.append(_run(capsys, db, lab2))
    out.append(_run(capsys, db, write(tmp_path / "deptos.geojson", json.dumps(BOUNDARIES))))
    text = "\n".join(out)
    assert not ENGLISH.findall(text), ENGLISH.findall(text)
    assert not MISSING.findall(text) and "detalle técnico" not in text
    assert sorted(set(_notes(text))) == sorted(NOTES_ES)
    assert out[2].splitlines() == [
        "puntajes.xlsx: cargada (importación 3)",
        "  formato reconocido: formato propio de LabLens (unidades) (lablens_units)",
        "  filas leídas 2, cargadas 1, rechazadas 1",
        "  valores cargados 1, duplicados omitidos 0, conflictos 0",
        "  indicadores: Puntaje en matemáticas",
        "  años: 2019–2019 (1)",
        "  unidades en el archivo: 4",
        *NOTES_ES[4:7],
        "  filas rechazadas: python -m analysis rejects 3 --lang es --out rechazos.csv"]
    assert out[4].splitlines()[-1] == (
        "error: puntajes2.csv: 1 valores difieren de los ya cargados (p. ej., CO-105001000123, Puntaje en "
        "matemáticas, 2019: 301,5 en la importación 3, 301,25 aquí); no se importó nada. Repita con --on-conflict "
        "supersede (reemplaza los anteriores; rollback lo deshace) o --on-conflict keep (conserva los anteriores)")
    assert out[4].splitlines()[:2] == [
        "fila          unidad              indicador  año momento             nivel sexo grado valor anterior "
        "valor nuevo importación anterior",
        "   1 CO-105001000123 Puntaje en matemáticas 2019       — todos los niveles    —     —          301,5      "
        "301,25                    3"]
    # in English the lines are the importer's own, as before
    assert _run(capsys, db, book, lang="en").splitlines() == [
        "puntajes.xlsx: already_imported (import 3)",
        "  recognised as: lablens_units — LabLens canonical layout (units)",
        "  rows read 2, loaded 0, rejected 1",
        "  observations 1, duplicates skipped 0, conflicts 0",
        "  indicators: score_math",
        "  years: 2019–2019 (1)",
        "  units in file: 4",
        "  note: sheet 'datos' declared a one-cell size; all 4 rows were recovered",
        "  note: 1 trailing row(s) holding only spreadsheet errors (e.g. #NUM!) ignored",
        "  note: columns naming, locating or contacting people were dropped and not stored: nombre, telefono",
        "  note: this exact file (same sha256) is import 3; nothing changed",
        "  rejected rows: python -m analysis rejects 3 --out rejects.csv"]


NOTES_ES = [
    "  nota: texto leído con la codificación cp1252",
    "  nota: 1 unidad(es) del Valle del Cauca tienen en la columna SECRETARIA una entidad territorial certificada "
    "que no es la de su municipio (p. ej., 176834000789: «Valle del Cauca (ETC)» en el archivo, «Tuluá (ETC)» según "
    "su municipio): se conserva el valor del archivo (todas en authority_conflicts del resumen, import --json)",
    "  nota: cada escuela se ubica en el municipio que declara el archivo (COLE_CODMPIO_COLEGIO); las filas del "
    "grado 26 (ciclos de adultos) son un subgrupo de su escuela (grado 26)",
    "  nota: 3 escuela(s) tienen el código de un municipio pero el archivo declara otro: se ubicaron donde dice el "
    "archivo (p. ej., 211850000123 con código de 11850, declarada en 11001: ubicada en 11001; 308001000789 con "
    "código de 08001, declarada en 08573: ubicada en 08573; 383001000456 con código de 83001, declarada en 18001: "
    "ubicada en 18001; todas en location_report del resumen, import --json)",
    "  nota: la hoja «datos» declaraba un tamaño de una celda; se recuperaron sus 4 filas",
    "  nota: se ignoraron 1 fila(s) finales con solo errores de hoja de cálculo (p. ej., #NUM!)",
    "  nota: se descartaron sin guardarlas las columnas que nombran, ubican o contactan a personas: nombre, telefono",
    "  nota: 1 escuela(s) declaran un municipio que no está en la DIVIPOLA del DANE: se ubicaron en el municipio de "
    "su código, o si no en un departamento (p. ej., 227615000111 declara el municipio 27086, que no está en la "
    "DIVIPOLA del DANE: ubicada en 27615; todas en location_report del resumen, import --json)",
    "  nota: este mismo archivo (mismo sha256) es la importación 3; nada cambió",
    "  nota: se descartaron los nombres y los códigos de los encuestadores: SubmitterID, SubmitterName, DeviceID",
    "  nota: 1 envío(s) recibidos más de una vez (mismo ID de instancia) se conservaron una sola vez",
    "  nota: se omitieron 2 envío(s) que ya estaban en la base de datos",
    "  nota: elemento 2 rechazado: repite el elemento 1",
    "  nota: elemento 3 rechazado: el elemento no tiene geometría",
]
