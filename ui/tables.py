"""Tables the way readers expect numbers: decimal comma in Spanish, the real minus sign, a dash for none.

st.dataframe shows floats with a decimal point whatever the language. In Spanish the frame is passed
as a pandas Styler whose display text is localised; the cell values stay numbers, so sorting and the
grid's own CSV download still work on the numbers.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.safe_export import csv_bytes
from ui.i18n import current_language, number, t

MAX_DECIMALS = 4


def spanish_number(value: object) -> str:
    """0.4213 -> '0,4213'; -1234.5 -> '−1.234,5'; 12.0 -> '12'; NaN -> '—'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{abs(float(value)):,.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return ("\u2212" if float(value) < 0 and text != "0" else "") + text


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
        st.dataframe(localised(frame), hide_index=True, width="stretch", **kwargs)
        return
    st.dataframe(localised(frame.head(max_rows)), hide_index=True, width="stretch", **kwargs)
    st.caption(t("table.truncated", shown=number(max_rows), total=number(len(frame))))
    language = current_language()
    st.download_button(t("evidence.download_csv"), data=lambda: csv_bytes(frame, language), file_name="table.csv",
                       mime="text/csv", on_click="ignore", key=f"table-csv-{len(frame)}-{len(frame.columns)}")
