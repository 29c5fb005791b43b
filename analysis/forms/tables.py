"""Read form exports into plain tables of text: CSV, XLSX (every sheet) and ZIP archives of CSV files.

ODK Central's "All data" download is a ZIP holding ``<formId>.csv`` and one ``<formId>-<repeat>.csv`` per
repeat group (plus ``media/``); KoboToolbox's XLS export is one workbook with the main sheet first and
one sheet per repeat group; its CSV export uses ``;`` by default. Every cell is read as the text it holds:
a cell such as ``=HYPERLINK(...)`` stays that text (a formula cell gives its formula text, never a
computed value), so nothing in an export is ever executed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_UNCOMPRESSED = 500_000_000
DELIMITERS = (",", ";", "\t")


class ExportReadError(ValueError):
    """A file that cannot be read as a form export, with a one-line reason."""


@dataclass
class Table:
    """One sheet or CSV file: its headers and rows of text (None for an empty cell)."""

    source: str  # file name, plus ' › sheet' for workbook sheets
    headers: list[str]
    rows: list[list[str | None]]


def cell_text(value: object) -> str | None:
    """A cell as the text a person sees: integers without '.0', dates as ISO, blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExportReadError("cannot decode the text")  # cp1252 decodes almost anything; kept for safety


def _utf8_prefix(data: bytes) -> bool:
    """Whether the start of a file is UTF-8 (a character cut at the end of the sample does not count)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3
    return True


def csv_table(data: bytes, source: str, sample: bool = False) -> Table:
    """A CSV export: UTF-8 (with or without BOM) or Windows-1252; ',' ';' or tab, chosen from the header.

    ``sample``: ``data`` is the start of a longer file; its last, possibly cut, line is left out.
    """
    if sample:
        data = data[: data.rfind(b"\n") + 1] or data
        text = data.decode("utf-8-sig", errors="ignore") if _utf8_prefix(data) else data.decode("cp1252", "replace")
    else:
        text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        raise ExportReadError(f"{source}: the file is empty")
    headers = [h.strip() for h in records[0]]
    width = len(headers)
    rows = [[c if c.strip() else None for c in (r + [""] * width)[:width]] for r in records[1:]]
    return Table(source, headers, rows)


def xlsx_tables(data: bytes | Path, source: str, max_rows: int | None = None) -> list[Table]:
    """Every sheet of a workbook that has a header row (its first ``max_rows`` data rows when given)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True,
                                      data_only=False)
    except Exception as exc:  # openpyxl raises many types on damaged workbooks
        raise ExportReadError(f"{source}: cannot open the workbook: {exc}") from exc
    tables = []
    try:
        for sheet in book.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # some writers declare a wrong one-cell size
            limit = None if max_rows is None else max_rows + 1
            rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(max_row=limit, values_only=True)]
            rows = [r for r in rows if any(c is not None for c in r)]
            if not rows:
                continue
            width = max(len(r) for r in rows)
            headers = [(h or "").strip() for h in rows[0] + [None] * (width - len(rows[0]))]
            while headers and not headers[-1]:
                headers.pop()
            width = len(headers)
            body = [(r + [None] * width)[:width] for r in rows[1:]]
            tables.append(Table(f"{source} › {sheet.title}", headers, body))
    finally:
        book.close()
    return tables


def read_tables(path: str | Path, name: str | None = None) -> list[Table]:
    """The tables in one export file: a CSV, a workbook's sheets, or a ZIP's CSV files (media ignored)."""
    path = Path(path)
    name = name or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportReadError(f"{name}: {exc.strerror or exc}") from exc
    if not data.strip():
        raise ExportReadError(f"{name}: the file is empty")
    if not data.startswith(b"PK\x03\x04"):
        return [csv_table(data, name)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNCOMPRESSED:
                raise ExportReadError(f"{name}: the archive expands beyond {MAX_UNCOMPRESSED // 1_000_000} MB")
            members = archive.namelist()
            if "xl/workbook.xml" in members:
                return xlsx_tables(data, name)
            tables = []
            for member in sorted(members):
                if member.lower().endswith(".csv") and not member.startswith(("media/", "__MACOSX/")):
                    tables.append(csv_table(archive.read(member), f"{name} › {member}"))
                elif member.lower().endswith(".xlsx"):
                    tables.extend(xlsx_tables(archive.read(member), f"{name} › {member}"))
    except zipfile.BadZipFile as exc:
        raise ExportReadError(f"{name}: a damaged ZIP or workbook") from exc
    if not tables:
        raise ExportReadError(f"{name}: the archive holds no CSV file")
    return tables


def peek_tables(path: str | Path, max_rows: int = 5, sample_bytes: int = 1 << 20) -> list[Table]:
    """Headers and first rows of an export, reading little: the importer asks this of every file it sees.

    Parquet, JSON and GeoJSON files are no form export (an empty list) and are not read at all.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(sample_bytes)
    except OSError:
        return []
    if head.startswith(b"PAR1") or head.lstrip()[:1] in (b"{", b"[") or not head.strip():
        return []
    if not head.startswith(b"PK\x03\x04"):
        table = csv_table(head, path.name, sample=len(head) == sample_bytes)
        return [Table(table.source, table.headers, table.rows[:max_rows])]
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
            if "xl/workbook.xml" in members:
                return xlsx_tables(path, path.name, max_rows=max_rows)
            tables = []
            for member in sorted(members):
                if member.lower().endswith(".csv") and not member.startswith(("media/", "__MACOSX/")):
                    with archive.open(member) as handle:
                        chunk = handle.read(sample_bytes)
                    table = csv_table(chunk, f"{path.name} › {member}", sample=len(chunk) == sample_bytes)
                    tables.append(Table(table.source, table.headers, table.rows[:max_rows]))
            return tables
    except (zipfile.BadZipFile, ExportReadError):
        return []
