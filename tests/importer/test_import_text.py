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

from analysis.cli import main
from analysis.forms.definitions import lab_log_form, student_form
from analysis.importer.mapping import suggested_roles
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
    odd = _run(capsys, db, write(tmp_path / "raro.csv", "escuela;cosa;valor\nA1;x;3\n")).splitlines()
    assert odd[0] == ("Asignación de columnas sugerida (guárdela como mapping.toml, edítela y use --mapping "
                      "mapping.toml):")
    assert [line.partition("#")[2] for line in odd if "#" in line] == [
        " cualquier código de país ISO 3166-1: CO, GT, CL, PE, ...",
        " school (escuela) | municipality (municipio) | department (departamento)",
        ' o "ignore" (no cargar)', ' o "ignore" (no cargar)']  # the values are the mapping file's codes
    assert odd[-1] == ("error: raro.csv: no se reconoció el formato del archivo; le falta una columna de año o de "
                       "momento; columnas sin ubicar: cosa, valor. Guarde la asignación sugerida como mapping.toml, "
                       "complétela y repita con --mapping mapping.toml")
    text = "\n".join(out)
    assert not ENGLISH.findall(text), ENGLISH.findall(text)
    assert not MISSING.findall(text) and "detalle técnico" not in text
    assert sorted(set(_notes(text))) == sorted(NOTES_ES)
    assert out[2].splitlines() == [
        "puntajes.xlsx: cargada (importación 3)",
        "  formato reconocido: formato propio de LabLens (unidades) (lablens_units)",
        "  filas leídas 2, cargadas 1, rechazadas enteras 1",
        "  valores cargados 1, duplicados omitidos 0, conflictos 0",
        "  indicadores: Puntaje en matemáticas",
        "  años: 2019–2019 (1)",
        "  unidades en el archivo: 2",
        "  territorios donde están esas unidades (municipios, departamentos): 2",
        *NOTES_ES[4:7], NOTES_ES[-1],
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
        "  rows read 2, loaded 0, rejected whole 1",
        "  observations 1, duplicates skipped 0, conflicts 0",
        "  indicators: score_math",
        "  years: 2019–2019 (1)",
        "  units in file: 2",
        "  territories these units are in (municipalities, departments): 2",
        "  note: sheet 'datos' declared a one-cell size; all 4 rows were recovered",
        "  note: 1 trailing row(s) holding only spreadsheet errors (e.g. #NUM!) ignored",
        "  note: columns naming, locating or contacting people were dropped and not stored: nombre, telefono",
        "  note: warning: 1 of 2 rows (50 %) were rejected, more than 10 %; read the rejected rows before using these "
        "data",
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
    # what an import did not use, and a large share of rejected rows (analysis/importer/cautions.py)
    "  nota: columnas no usadas: COLE_DEPTO_COLEGIO, MATRICULADOS_ULTIMOS_3",
    "  nota: aviso: se rechazaron 1 de 2 filas (50 %), más del 10 %; revise las filas rechazadas antes de usar estos "
    "datos",
]


def _placed(issue: str, code: str, registered: str, stated: str, placed: str) -> dict:
    from analysis.importer.location import REASONS

    return {"unit_code": code, "issue": issue,
            "reason": REASONS[issue].format(registered=registered, stated=stated, placed=placed)}


def test_the_notes_no_quick_import_raises_are_in_the_catalogue(tmp_path: Path) -> None:
    """The other notes, written by the importer's own code where it has a function for them (the form reader's
    notices, the location report, a boundary file's rejects), else as its f-strings write them."""
    from analysis import import_text
    from analysis.forms.odk import _Collector
    from analysis.importer.boundaries import stage_boundaries
    from analysis.importer.location import report_summary

    c = _Collector(lab_log_form())
    c.dropped, c.personal, c.ignored = {"DeviceID": None}, {"telefono_docente": None}, {"extra": None}
    c.duplicates, c.differing, c.repeat_duplicates, c.orphans, c.no_id = 3, 1, 2, 4, 1_250
    _, located = report_summary([_placed("registered_not_in_divipola", "199999000001", "99999", "None",
                                         "department 99"),
                                 _placed("registered_not_in_divipola", "188888000001", "88888", "None",
                                         "no territory")])
    features = [BOUNDARIES["features"][0], {"type": "Feature", "properties": {"unit_id": "XX-01"}, "geometry": None},
                {"type": "Feature", "properties": {"id": "150", "Departamento": "X"}, "geometry": None},
                {"type": "Feature", "properties": {"id": "2300", "id_depto": "23"}, "geometry": None},
                {"type": "Feature", "properties": {"foo": 1}, "geometry": None}]
    bad = write(tmp_path / "malos.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    rejected = stage_boundaries(bad).summary["notes"]
    english = [*c.notices(), *located, *rejected,
               "decoded from latin-1", "this exact file (same sha256 and mapping) is import 12; nothing changed",
               "2 school(s) state a department that is not their municipality's (e.g. 105001000123: department 08, "
               "municipality 05001): placed in the municipality",
               "lablens_lab_log__participants.csv: a repeat group of no form read here; ignored"]
    said = [import_text.note(n, "es") for n in english]
    assert said == [
        "se descartaron los nombres y los códigos de los encuestadores: DeviceID",
        "se descartaron las columnas que nombran o contactan a personas: telefono_docente",
        "3 envío(s) recibidos más de una vez (mismo ID de instancia) se conservaron una sola vez; 1 copia(s) "
        "difieren y se conservó la primera",
        "se omitieron 2 fila(s) de grupos repetidos de envíos ya leídos",
        "se ignoraron 4 fila(s) de grupos repetidos cuyo envío no está en la exportación",
        "1.250 envío(s) sin ID de instancia: no se puede comprobar si están repetidos",
        "se ignoraron las columnas que no son campos de lablens_lab_log: extra",
        "2 código(s) de escuela nombran un municipio que no está en la DIVIPOLA y el archivo no declara ninguno: se "
        "ubicaron en un departamento (p. ej., 199999000001 tiene el municipio 99999 en su código, que no está en la "
        "DIVIPOLA del DANE, y el archivo no declara ninguno: ubicada en el departamento 99; 188888000001 tiene el "
        "municipio 88888 en su código, que no está en la DIVIPOLA del DANE, y el archivo no declara ninguno: "
        "ubicada en ningún territorio; todas en location_report del resumen, import --json)",
        "elemento 2 rechazado: country debe ser un código de país ISO 3166-1 (CO, GT, CL, …) y unit_type, "
        "«department» o «municipality»",
        "elemento 3 rechazado: no es un código de departamento (departamento × 100)",
        "elemento 4 rechazado: no es un código de municipio (departamento × 100 + municipio)",
        "elemento 5 rechazado: ninguna propiedad identifica el territorio (se espera MPIO_CCNCT, DPTO_CCDGO, id + "
        "id_depto, unit_id, o country + unit_type + code); trae: foo",
        "texto leído con la codificación latin-1",
        "este mismo archivo (mismo sha256 y misma asignación de columnas) es la importación 12; nada cambió",
        "2 escuela(s) declaran un departamento que no es el de su municipio (p. ej., 105001000123: departamento 08, "
        "municipio 05001): se ubicaron en el municipio",
        "lablens_lab_log__participants.csv: grupo repetido de ningún formulario leído aquí; se ignoró"]
    assert [import_text.note(n, "en") for n in english] == english  # English: the importer's own words
    assert not ENGLISH.findall(" ".join(said))


def test_the_saber_layouts_notes_on_real_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The two Saber 11 notes, on the first rows of the real ICFES files (tests/conftest.py require_real_data)."""
    real = require_real_data() / "colombia" / "saber11_2011_2013"
    files = []
    for name in ("saber2012.csv", "rank_municipios_2013.csv"):
        head = (real / name).read_bytes().splitlines(keepends=True)[:25]
        files.append(tmp_path / name)
        files[-1].write_bytes(b"".join(head))
    text = _run(capsys, tmp_path / "lablens.duckdb", *files)
    assert not ENGLISH.findall(text) and "detalle técnico" not in text
    notes = _notes(text)
    assert notes[0] == (
        "  nota: este formato no trae códigos de establecimiento: cada escuela se identifica por departamento, "
        "municipio, nombre, jornada, calendario, sector y aplicación de la prueba, así que no se puede enlazar con "
        "los códigos ICFES de 2013; se rechazan las escuelas del mismo nombre que nada distingue")
    assert notes[-2:] == ["  nota: los territorios se identifican por su nombre y se emparejan con los códigos "
                          "DANE; se rechazan los nombres sin pareja", "  nota: columnas no usadas: Promedio"]
    assert "formato reconocido: promedios del ICFES Saber 11 por municipio (solo nombres)" in text


def test_a_suggested_mapping_speaks_spanish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`import --suggest-mapping --lang es`: the comments in Spanish, the keys and values the mapping file's codes."""
    path = write(tmp_path / "sg.csv", "escuela,lectura,nombre,nota\n04-01-1260-43,61.5,Ana,x\n04-01-1382-43,58,B,y\n")
    capsys.readouterr()
    assert main(["import", "--suggest-mapping", "--lang", "es", str(path)]) == 0
    said = capsys.readouterr().out
    comments = [line.partition("# ")[2] for line in said.splitlines() if "# " in line]
    assert comments[:9] == [
        "Asignación de columnas sugerida por LabLens para sg.csv (leído como texto, codificación utf-8, separador "
        "',', 4 columna(s)).",
        "Cambie cada COMPLETAR por un código de indicador (python -m analysis indicators los lista; un código",
        "nuevo necesita una tabla [indicators.CODE], vea el final) o ponga la columna en \"ignore\".",
        "código de país ISO 3166-1: CO, GT, CL, PE, ...",
        "school (escuela) | municipality (municipio) | department (departamento)",
        "el archivo no tiene columna de año: escriba el año, p. ej., 2024",
        "números de 58 a 61,5", "nombra o contacta a una persona: nunca se guarda", "texto, se conserva como atributo"]
    assert "[indicators.my_indicator]     # un indicador nuevo, cuando ningún código del catálogo sirve" in comments
    # the placeholder is Spanish too (never FILL_IN), and a mapping read back knows it in either language
    other = write(tmp_path / "valor.csv", "escuela,valor,nombre\n04-01-1260-43,61.5,Ana\n04-01-1382-43,58,B\n")
    said = {}
    for lang in ("es", "en"):
        assert main(["import", "--suggest-mapping", "--lang", lang, str(other)]) == 0
        said[lang] = capsys.readouterr().out
    assert 'year = "COMPLETAR"' in said["es"] and '"valor" = { indicator = "COMPLETAR" }' in said["es"]
    assert "FILL_IN" not in said["es"] and "COMPLETAR" not in said["en"]
    assert '"valor" = { indicator = "FILL_IN" }' in said["en"]
    headers = ["escuela", "valor", "nombre"]
    for text in said.values():
        assert suggested_roles(text, headers) == {"escuela": "unit_code", "valor": "ignore", "nombre": "ignore"}
    assert suggested_roles(said["es"].replace('"COMPLETAR" }', '"score_math" }'), headers)["valor"] == (
        "indicator:score_math")


@pytest.mark.parametrize(("name", "data", "said"), [
    ("nul.csv", b"\x00\x01abc", "el archivo contiene bytes NUL; no es una tabla de texto"),
    ("vacio.csv", b"", "el archivo está vacío"),
    ("viejo.xls", b"\xd0\xcf\x11\xe0 not a workbook", "los archivos .xls del Excel antiguo no se pueden leer; "
                                                      "guárdelo como .xlsx o CSV"),
    ("sci.csv", b"unit_code,year,score_math\n1.76E+11,2019,300\n",
     "los códigos de las unidades de la columna unit_code fueron dañados por una hoja de cálculo: 1 código(s) como "
     "'1.76E+11' se reescribieron en notación científica y perdieron sus últimas cifras, que no se pueden recuperar. "
     "Descargue de nuevo el archivo original e impórtelo sin abrirlo ni guardarlo en Excel (o dé formato de texto a "
     "la columna de códigos antes de guardar)"),
    ("b.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"foo": 1}, "geometry": None}]}).encode(),
     "no se pudo usar ningún elemento (ninguna propiedad identifica el territorio (se espera MPIO_CCNCT, DPTO_CCDGO, "
     "id + id_depto, unit_id, o country + unit_type + code); trae: foo)"),
])
def test_a_file_that_cannot_be_read_is_said_in_spanish(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                                       data: bytes, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert _run(capsys, tmp_path / "lablens.duckdb", path).splitlines() == [f"error: {name}: {said}"]


@pytest.mark.parametrize(("mapping", "said"), [
    ('[source]\ncountry = "GT"\ndecimal = ";"\n[columns]\nescuela = "unit_code"\nanio = "year"\n'
     'lectura = { indicator = "score_language" }\n', 'lectura.csv: source.decimal debe ser "," o "."'),
    ('[source]\ncountry = "GT"\n[columns]\nescuela = "unit_code"\nanio = "year"\nlectura = "puntaje"\n',
     "lectura.csv: columna «lectura»: rol desconocido «puntaje» (uno de {roles}, attribute, ignore o "
     "{{ indicator = ... }})"),
    ('[source]\ncountry = "GT"\nyear = 2024\n[columns]\nescuela = "unit_code"\nanio = "year"\n'
     'lectura = { indicator = "score_language" }\n',
     "lectura.csv: source.year = 2024 y la columna «anio» dan ambas el año; conserve solo uno"),
])
def test_a_mapping_that_cannot_be_used_is_said_in_spanish(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          mapping: str, said: str) -> None:
    from analysis.importer.mapping import ROLES

    path = write(tmp_path / "lectura.csv", "escuela,anio,lectura\n04-01-1260-43,2024,61.5\n")
    out = _run(capsys, tmp_path / "lablens.duckdb", path, "--mapping", write(tmp_path / "m.toml", mapping))
    assert out.splitlines() == ["error: " + said.format(roles=", ".join(ROLES))]


def test_a_boundary_file_too_large_is_said_in_spanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size limit of analysis/importer/boundaries.py read_features is a catalogue sentence, not a quoted detail."""
    from analysis import reasons
    from analysis.importer import boundaries

    path = write(tmp_path / "mapa.json", '{"type": "FeatureCollection", "features": []}' + " " * 2_000_000)
    monkeypatch.setattr(boundaries, "MAX_BOUNDARY_BYTES", 1_000_000)
    with pytest.raises(boundaries.BoundaryError) as raised:
        boundaries.read_features(path)
    assert reasons.say(str(raised.value), "es") == ("mapa.json ocupa 2 MB; los archivos de límites admiten como máximo "
                                                    "1 MB (simplifíquelo, p. ej., con mapshaper)")
    assert reasons.say(str(raised.value), "en") == str(raised.value)


def test_a_boundary_file_that_is_not_an_object_is_said_in_spanish(tmp_path: Path) -> None:
    """read_features's refusal of a JSON list is a catalogue sentence after the file's name."""
    from analysis import reasons
    from analysis.importer import boundaries

    with pytest.raises(boundaries.BoundaryError) as raised:
        boundaries.read_features(write(tmp_path / "mapa.json", "[1, 2]"))
    assert reasons.say(str(raised.value), "es") == "mapa.json: un archivo de límites es un objeto GeoJSON o TopoJSON"


@pytest.mark.parametrize(("text", "spanish"), [
    ('{"type": "Topology", "objects": {"a": {"type": "Polygon", "arcs": [[0]]}}}',
     "el TopoJSON no tiene la lista «arcs» (los trazos de sus geometrías)"),
    ('{"type": "Topology", "arcs": [[[0, 0], [1, 1]]], "objects": {"a": {"type": "Blob", "arcs": [[0]]}}}',
     "el TopoJSON tiene una geometría de tipo desconocido «Blob»"),
    ('{"type": "Topology", "arcs": [[[0, 0], [1, 1]]], "objects": {"a": {"type": "Polygon", "arcs": [[7]]}}}',
     "una geometría del TopoJSON está mal formada (detalle técnico: «IndexError: list index out of range»)"),
    ('{"type": "Topology", mal', "mapa.json no es un JSON válido (detalle técnico: «Expecting property name "
                                 "enclosed in double quotes: line 1 column 22 (char 21)»)"),
    ('{"type": "GeometryCollection"}', "mapa.json: se esperaba una FeatureCollection de GeoJSON o una Topology de "
                                       "TopoJSON, no el tipo «GeometryCollection»"),
])
def test_a_boundary_file_that_cannot_be_used_is_said_in_spanish(tmp_path: Path, text: str, spanish: str) -> None:
    """The TopoJSON and JSON errors of analysis/importer/boundaries.py read_features are catalogue sentences
    (analysis/read_reasons.py), no longer quoted as untranslated technical detail; in English, the error as raised."""
    from analysis import reasons
    from analysis.importer import boundaries

    with pytest.raises(boundaries.BoundaryError) as raised:
        boundaries.read_features(write(tmp_path / "mapa.json", text))
    assert reasons.say(str(raised.value), "es") == spanish
    raised_text = str(raised.value)  # in English, the error as raised; a library's detail in brackets
    bracketed = raised_text.replace("JSON: ", "JSON (") + ")" if "JSON: " in raised_text else raised_text
    assert reasons.say(raised_text, "en") == bracketed


def test_a_json_with_a_bad_entry_and_a_nested_file_name_are_said_in_spanish(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`import --lang es` of a year -> [code, value] JSON whose entry is not a pair (analysis/importer/readers.py);
    a reason behind two file names (a ZIP's member) is still recognised."""
    from analysis import reasons

    path = write(tmp_path / "ya3-1.json", '{"2020": [["05001", 1.5], ["05002"]]}')
    assert _run(capsys, tmp_path / "lablens.duckdb", path).splitlines() == [
        "error: ya3-1.json: el año 2020 trae una entrada que no es [código, valor]"]
    assert reasons.say("odk.zip: odk.zip › lab.csv: not an export of LabLens' field forms", "es") == (
        "odk.zip: odk.zip › lab.csv: no es una exportación de los formularios de campo de LabLens")
