"""Domain rules of time: which waves are 'pre' and 'post', and the order programmes are shown in.

One definition each, read by compare (its periods), the derived tables and the pages' queries.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

PRE_WAVES = ("pre", "baseline")
POST_WAVES = ("post", "endline")
PREFERRED_ORDER = ("ValleLabs", "MiLab")


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def waves_in_sql(column: str, waves: tuple[str, ...]) -> str:
    """SQL test that ``column`` holds one of ``waves`` (fixed wave names, never user text)."""
    return f"{column} IN {_sql_list(waves)}"


def wave_period_sql(column: str = "o.wave") -> str:
    """SQL ``CASE`` mapping a wave column to 'pre', 'post' or NULL."""
    return (f"CASE WHEN {waves_in_sql(column, PRE_WAVES)} THEN 'pre' "
            f"WHEN {waves_in_sql(column, POST_WAVES)} THEN 'post' END")


def programme_order(programmes: Iterable[str]) -> list[str]:
    """ValleLabs, MiLab, then other programmes by name, the comparison group last."""
    if isinstance(programmes, pd.Series | pd.Index | np.ndarray):  # a column of 40,000 schools: distinct first
        programmes = pd.unique(np.asarray(programmes, dtype=object))
    names = list(dict.fromkeys(p for p in programmes if isinstance(p, str)))
    first = [p for p in PREFERRED_ORDER if p in names]
    rest = sorted(p for p in names if p not in PREFERRED_ORDER and p != "comparison")
    return first + rest + (["comparison"] if "comparison" in names else [])
