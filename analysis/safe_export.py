"""Spreadsheet-safe text: cells that a spreadsheet would run as formulas are neutralised.

OWASP "CSV injection": a cell starting with = + - @ tab or CR may be executed by Excel or
LibreOffice. Text cells get a leading apostrophe; numbers (such as -0.42) stay numbers.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: object) -> object:
    """Prefix a dangerous *text* value with an apostrophe; leave everything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text columns are safe to open in a spreadsheet."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_text)
    return out
