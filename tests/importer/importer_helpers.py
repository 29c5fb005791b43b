"""Helpers shared by the importer tests: writing files, reading the database, parsing sources independently.

Everything that computes an *expected* value here reads the source text itself (csv, json, the xlsx XML)
and never calls the importer, so the tests compare two independent readings of the same file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from analysis.catalog import VALLE_MUNICIPALITIES
from analysis.db.connect import open_db

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_TABLES = ("units", "assignments", "indicators", "observations", "imports", "rejects")
ALL_TABLES = (*PUBLIC_TABLES, "unit_attributes", "student_attributes", "duplicate_observations",
              "superseded_observations", "meta")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` exactly (no newline translation) in `encoding`."""
    path.write_bytes(text.encode(encoding))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a read-only query on the published database."""
    con = open_db(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(db: Path, sql: str, params: list | None = None):
    rows = query(db, sql, params)
    return rows[0][0] if rows else None


def state(db: Path) -> dict:
    """Row counts of every table plus the import history: what 'unchanged' means for a database."""
    con = open_db(db)
    try:
        out: dict = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ALL_TABLES}
        out["imports_list"] = con.execute("SELECT import_id, source_name, sha256, status, rows_read, rows_loaded "
                                          "FROM imports ORDER BY import_id").fetchall()
        out["observations_digest"] = con.execute(
            "SELECT count(*), sum(value), sum(coalesce(n, 0)), count(DISTINCT unit_id) FROM observations").fetchall()
    finally:
        con.close()
    return out


def leftovers(db: Path) -> list[str]:
    """Snapshot temp files beside the database (.<name>.<pid>.tmp and their .wal)."""
    return sorted(p.name for p in db.parent.glob(f".{db.name}.*.tmp*"))


# --- independent readers of the real sources --------------------------------------------------------------

def json_text(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A SIYA year -> [[code, value]] file with every number kept as the exact text written in it."""
    data = json.loads(path.read_text(encoding="utf-8"), parse_float=str, parse_int=str)
    return {year: [(str(code), str(value)) for code, value in pairs] for year, pairs in data.items()}


_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def xlsx_rows(path: Path) -> list[list[str | None]]:
    """The first sheet's cells as the text stored in the workbook XML (shared strings resolved).

    Deliberately ignores the sheet's declared <dimension>, which some writers get wrong.
    """
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as archive:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{ns}t")) for si in root.iter(f"{ns}si")]
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{ns}row"):
        cells: dict[int, str | None] = {}
        for c in row.iter(f"{ns}c"):
            col = _CELL_REF.match(c.get("r")).group(1)
            index = 0
            for ch in col:
                index = index * 26 + (ord(ch) - 64)
            v = c.find(f"{ns}v")
            text = None if v is None else v.text
            if text is not None and c.get("t") == "s":
                text = shared[int(text)]
            cells[index - 1] = text
        width = max(cells) + 1 if cells else 0
        rows.append([cells.get(i) for i in range(width)])
    return rows


def csv_rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


# --- a faithful MEN *municipal* file --------------------------------------------------------------------

LEVEL_SUFFIXES = ("", "_TRANSICIÓN", "_PRIMARIA", "_SECUNDARIA", "_MEDIA")
MEN_MUNICIPAL_HEADERS = [
    "AÑO", "CÓDIGO_MUNICIPIO", "MUNICIPIO", "CÓDIGO_DEPARTAMENTO", "DEPARTAMENTO", "CÓDIGO_ETC", "ETC",
    "POBLACIÓN_5_16", "TASA_MATRICULACIÓN_5_16",
    *[f"COBERTURA_NETA{s}" for s in LEVEL_SUFFIXES], *[f"COBERTURA_BRUTA{s}" for s in LEVEL_SUFFIXES],
    "TAMAÑO_PROMEDIO_DE_GRUPO", "SEDES_CONECTADAS_A_INTERNET",
    *[f"{base}{s}" for base in ("DESERCIÓN", "APROBACIÓN", "REPROBACIÓN", "REPITENCIA") for s in LEVEL_SUFFIXES],
]
ANTIOQUIA = {"05001": "MEDELLÍN", "05002": "ABEJORRAL", "05004": "ABRIAQUÍ"}
MEN_YEARS = (2019, 2020, 2021)


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _thousands(value: int) -> str:
    return f"{value:,}"


def men_municipal_csv(siya_dropout: dict[str, list[tuple[str, str]]]) -> tuple[str, dict]:
    """A MEN 'Estadísticas ... por municipio' CSV (41 columns) for Valle's 42 municipalities and three of
    Antioquia, 2019-2021, whose DESERCIÓN_PRIMARIA cells are copied from the SIYA ya3-11 JSON text.

    The municipal edition's quirks are all there: 2021 written "2,021" in quoted cells, codes as integers
    (5001) in 2019 and 2021 but zero-padded quoted text ("05001") in 2020, thousands-formatted counts,
    a NACIONAL total row with code 0 in every year, and a blank line between years.
    Returns the text and what was written: {(code, year): dropout text}, population per (code, year), ...
    """
    dropout = {(code, int(year)): value for year, pairs in siya_dropout.items() for code, value in pairs}
    munis = {**{c: n.upper() for c, n in VALLE_MUNICIPALITIES.items()}, **ANTIOQUIA}
    certified_valle = {"76001", "76109", "76111", "76147", "76364", "76520", "76834", "76892"}
    lines = [",".join(MEN_MUNICIPAL_HEADERS)]
    written: dict = {"dropout_primary": {}, "population": {}, "rows": 0, "totals": 0, "other": {}}
    for year in MEN_YEARS:
        year_cell = _quoted(_thousands(year)) if year == 2021 else str(year)
        rows = [("0", "NACIONAL", "0", "NACIONAL", "0", "NACIONAL")]
        for code, name in sorted(munis.items()):
            dept = code[:2]
            dept_name = "VALLE DEL CAUCA" if dept == "76" else "ANTIOQUIA"
            etc = name if code in certified_valle or code == "05001" else dept_name
            padded = year == 2020
            code_cell = _quoted(code) if padded else str(int(code))
            dept_cell = _quoted(dept) if padded else str(int(dept))
            rows.append((code_cell, name, dept_cell, dept_name, str(1000 + int(code) % 97), etc))
        for i, (code_cell, name, dept_cell, dept_name, etc_code, etc) in enumerate(rows):
            code = code_cell.strip('"').zfill(5)
            total = code_cell.strip('"') == "0"
            population = 8_123_456 + year if total else 1_000 + (int(code) * 37 + year) % 250_000
            cells = [year_cell, code_cell, _quoted(name) if " " in name else name, dept_cell, dept_name,
                     etc_code, etc, _quoted(_thousands(population)), f"{80 + (i + year) % 17 + 0.25:.2f}"]
            for j, header in enumerate(MEN_MUNICIPAL_HEADERS[9:], start=9):
                if header == "DESERCIÓN_PRIMARIA":
                    # blank where SIYA has no figure (Abriaquí 2021): a blank cell is no observation
                    text = "0.97" if total else dropout.get((code, year), "")
                    if not total and text:
                        written["dropout_primary"][(code, year)] = text
                elif header.startswith(("DESERCIÓN", "REPROBACIÓN", "REPITENCIA")):
                    text = f"{(i * 7 + j * 3 + year) % 90 / 10 + 0.5:.2f}"
                elif header == "TAMAÑO_PROMEDIO_DE_GRUPO":
                    text = f"{20 + (i + j) % 15}.{(i * j) % 10}"
                else:
                    text = f"{60 + (i * 11 + j * 5 + year) % 38 + 0.33:.2f}"
                if not total and header == "APROBACIÓN_MEDIA":
                    written["other"][(code, year)] = text
                cells.append(text)
            assert len(cells) == len(MEN_MUNICIPAL_HEADERS) == 41
            lines.append(",".join(cells))
            written["rows"] += 1
            if total:
                written["totals"] += 1
            else:
                written["population"][(code, year)] = population
        lines.append("")  # blank separator line between years
    return "\r\n".join(lines) + "\r\n", written


def read_men_municipal(text: str) -> list[dict[str, str]]:
    """The fixture parsed back with the csv module (blank lines skipped)."""
    return [r for r in csv.DictReader(io.StringIO(text)) if any((v or "").strip() for v in r.values())]
