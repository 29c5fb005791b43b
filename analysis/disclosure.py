"""Disclosure avoidance for counts of students (docs/METHODS.md, "Disclosure avoidance").

A cell with fewer than k students (default 10; NCES 2011-603) shows no value.
"""

from __future__ import annotations

import pandas as pd

MIN_CELL = 10


def suppress_counts(frame: pd.DataFrame, columns: list[str], k: int = MIN_CELL) -> pd.DataFrame:
    """Replace student counts 1..k-1 by the text '<k' (0 stays 0: an empty cell reveals nobody)."""
    out = frame.copy()
    for column in columns:
        values = out[column]
        small = values.notna() & (values > 0) & (values < k)
        out[column] = values.astype("object").where(~small, f"<{k}")
    return out
