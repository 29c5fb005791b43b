"""Downloads: CSV and XLSX whose text can never run as a spreadsheet formula.

CSV text goes through ``analysis.safe_export.neutralise_frame`` (a leading apostrophe before = + - @
tab or CR). In XLSX every text cell is written with the string data type and, when it starts like a
formula, Excel's quote prefix (hidden apostrophe): openpyxl would otherwise store "=..." as a live
formula (STACK_NOTES.md, "pandas 3 / openpyxl").
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from analysis.safe_export import FORMULA_STARTS, neutralise_frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel opens accents correctly), formulas neutralised."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


def _write(ws, frame: pd.DataFrame) -> None:
    for j, name in enumerate(frame.columns, start=1):
        cell = ws.cell(row=1, column=j, value=str(name))
        cell.data_type = "s"
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, raw in enumerate(row, start=1):
            value = _cell_value(raw)
            cell = ws.cell(row=i, column=j)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # text, never a formula
                if value.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
            else:
                cell.value = value
    for j, name in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(len(str(name)) + 2, 10), 40)


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame (sheet names cut to Excel's 31 characters)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        _write(wb.create_sheet(title=str(name)[:31]), frame)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
