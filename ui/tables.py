"""Tables the way readers expect numbers: decimal comma in Spanish, the real minus sign, a dash for none.

st.dataframe shows floats with a decimal point whatever the language. In Spanish the frame is passed
as a pandas Styler whose display text is localised; the cell values stay numbers, so sorting and the
grid's own CSV download still work on the numbers.

The grid's toolbar can download the table as CSV (a public deployment turns that off: it cannot be
audited, ui/server_guard.py). So that such a file is safe wherever it is allowed, a text cell that a
spreadsheet would run as a formula (= + - @ tab CR first, OWASP "CSV injection") is shown with the
apostrophe LabLens' own files give it (``analysis.safe_export``).
"""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from analysis.safe_export import FORMULA_STARTS, csv_bytes
from ui.export import audited_download_button
from ui.i18n import current_language, number, t

MAX_DECIMALS = 4


def spanish_number(value: object) -> str:
    """0.4213 -> '0,4213'; -1234.5 -> '−1.234,5'; 12.0 -> '12'; NaN -> '—'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{abs(float(value)):,.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return ("\u2212" if float(value) < 0 and text != "0" else "") + text


# what a formula needs to call a function, reach another sheet or program (DDE), or compare: absent from a
# signed number LabLens writes itself ('+0,16 DE [+0,12 a +0,20]'), which is left as it is
_FORMULA_CHARS = re.compile(r"[(|!=@\"'\t\r\n;]")


def formula_like(value: object) -> bool:
    """A text a spreadsheet would run: = @ tab CR first, or + - first unless a signed number follows that
    carries none of the characters a formula needs (OWASP "CSV injection")."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return False
    signed_number = value[0] in "+-" and value[1:2].isdigit() and not _FORMULA_CHARS.search(value)
    return not signed_number


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with formula-like text cells prefixed by an apostrophe (a copy only when one is found)."""
    out = frame
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        risky = values.map(formula_like).astype(bool)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out.iloc[:, i] = values.where(~risky, "'" + values.astype(str))
    return out


def localised(frame: pd.DataFrame) -> pd.DataFrame | pd.io.formats.style.Styler:
    """The frame as shown in the session's language (a Styler in Spanish when it has float columns)."""
    if current_language() != "es" or not frame.columns.is_unique or not frame.index.is_unique:
        return frame
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    if not floats:
        return frame
    return frame.style.format({c: spanish_number for c in floats})


MAX_ROWS = 250


def table(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS, **kwargs) -> None:
    """st.dataframe, full width, without the index, numbers in the session's convention.

    At most ``max_rows`` rows are drawn, the rest go to a CSV built on click: a 40,000-school table
    (national scale, issue #6) took about a second of every rerun to localise and send.
    """
    if len(frame) <= max_rows:
        st.dataframe(localised(spreadsheet_safe(frame)), hide_index=True, width="stretch", **kwargs)
        return
    st.dataframe(localised(spreadsheet_safe(frame.head(max_rows))), hide_index=True, width="stretch", **kwargs)
    st.caption(t("table.truncated", shown=number(max_rows), total=number(len(frame))))
    language = current_language()
    audited_download_button(t("evidence.download_csv"), lambda: csv_bytes(frame, language), file_name="table.csv",
                            mime="text/csv", what="table", key=f"table-csv-{len(frame)}-{len(frame.columns)}",
                            details={"rows": len(frame), "columns": [str(c) for c in frame.columns]})
