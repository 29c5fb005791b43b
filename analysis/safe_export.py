"""Spreadsheet-safe, byte-reproducible files: CSV, XLSX, Parquet and ZIP writers shared by the CLI and pages.

OWASP "CSV injection": a cell starting with = + - @ tab or CR may be executed by Excel or
LibreOffice. Text cells get a leading apostrophe in CSV; in XLSX they are written with the string data
type and Excel's quote prefix (openpyxl would otherwise store "=..." as a live formula: docs/STACK_NOTES.md,
"pandas 3 / openpyxl"). Numbers (such as -0.42) stay numbers everywhere.

Reproducibility: the same frame gives the same bytes. CSV and Parquet carry no time; the XLSX document
properties (docProps/core.xml) and every ZIP entry get a fixed timestamp (:data:`FIXED_TIME`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Iterable, Mapping

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The timestamp written into XLSX properties and ZIP entries (the ZIP format's earliest date).
FIXED_TIME = dt.datetime(1980, 1, 1, 0, 0, 0)
#: CSV conventions: "en" = comma and decimal point; "es" = semicolon and decimal comma (Spanish Excel).
CSV_LOCALES = {"en": {"sep": ",", "decimal": "."}, "es": {"sep": ";", "decimal": ","}}


def neutralise_text(value: object) -> object:
    """Prefix a dangerous *text* value with an apostrophe; leave everything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text columns are safe to open in a spreadsheet (headers included)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_text)
    out.columns = [neutralise_text(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame, locale: str = "en") -> bytes:
    """CSV in UTF-8 with BOM (Excel shows accents), formulas neutralised, ``\\n`` line ends.

    ``locale="es"`` writes ``;`` between fields and a decimal comma, the variant Spanish-language Excel
    opens directly. Floats are written with Python's shortest round-trip representation, so reading the
    file back gives the same numbers.
    """
    conv = CSV_LOCALES[locale]
    text = neutralise_frame(frame).to_csv(index=False, sep=conv["sep"], decimal=conv["decimal"], lineterminator="\n")
    return text.encode("utf-8-sig")


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


def _write_sheet(ws, frame: pd.DataFrame) -> None:
    """Rows streamed into a write-only sheet (openpyxl's fast mode: about 4x quicker, constant memory)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    def cell(value: object):
        if not isinstance(value, str):
            return value  # numbers stay numbers; None is an empty cell
        out = WriteOnlyCell(ws, value=value)
        out.data_type = "s"  # text, never a formula
        if value.startswith(FORMULA_STARTS):
            out.quotePrefix = True
        return out

    for j, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(len(str(name)) + 2, 10), 40)
    ws.append([cell(str(name)) for name in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([cell(_cell_value(raw)) for raw in row])


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame (names cut to Excel's 31 characters), identical bytes per input.

    Text is written as text (never a formula); numbers as numbers. openpyxl's ``save`` stamps the
    current time into docProps/core.xml and every ZIP entry, so the workbook is written with fixed
    document times and then re-packed with :data:`FIXED_TIME`.
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        _write_sheet(wb.create_sheet(title=str(name)[:31]), frame)
    wb.properties.creator = "LabLens"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # unlike openpyxl's save_workbook, keeps `modified` as set
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as written:
        entries = [(info.filename, written.read(info)) for info in written.infolist()]
    return zip_bytes(entries)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet (zstd, no index); values are data, not neutralised: no spreadsheet runs Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def zip_bytes(entries: Iterable[tuple[str, bytes]], *, compresslevel: int = 6) -> bytes:
    """A ZIP of (name, bytes) entries in the given order, each stamped :data:`FIXED_TIME` (reproducible)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the machine
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=compresslevel)
    return buffer.getvalue()
