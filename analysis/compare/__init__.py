"""compare(): results of every registered design (pre/post, difference-in-differences) for any indicator,
one row per group.

All heavy work is aggregation in DuckDB (sufficient statistics per group, per unit, per period);
pandas only sees the small results, which the vectorised functions of `analysis.stats` turn into
tests, intervals and effect sizes (METHODS.md is the specification). Each design is a module
(``prepost.py``, ``did.py``) registered in ``designs.py``; every design's rows are finished the same way
(``finish.py``: flags, evidence badge, reliability, suppression).

"""

from __future__ import annotations

import pandas as pd

from analysis.compare import linked
from analysis.compare.columns import docstring
from analysis.compare.designs import DEFAULT, DESIGNS, REGISTERED, column_registry, get, methods_text, selector_order
from analysis.compare.finish import (
    COMPOSITION_CHANGE,
    MIN_STUDENTS_RELIABLE,
    MIN_UNITS,
    PANDEMIC_YEARS,
    SABER_SCALE_CHANGE,
    VALUE_COLUMNS_SUPPRESSED,
)
from analysis.compare.request import UNIT_PROGRAM_CTE, CompareError, Request, Window, check, parse_window
from analysis.compare.sql import connect
from analysis.disclosure import MIN_CELL
from analysis.fields import GROUP_FIELDS

__doc__ = (__doc__ or "") + docstring(REGISTERED)  # the column list, from the column registry
__all__ = [
    "COMPOSITION_CHANGE", "DESIGNS", "GROUP_FIELDS", "MIN_CELL", "MIN_STUDENTS_RELIABLE", "MIN_UNITS",
    "PANDEMIC_YEARS", "SABER_SCALE_CHANGE", "UNIT_PROGRAM_CTE", "VALUE_COLUMNS_SUPPRESSED", "CompareError",
    "Request", "Window", "column_registry", "compare", "connect", "methods_text", "parse_window",
    "selector_order",
]


def compare(db, indicator: str, design: str = DEFAULT, by=None, program: str | None = None, pre=None,
            post=None, level: str | None = "all", *, min_cell: int = MIN_CELL, weighted: bool = False,
            conf_level: float = 0.95, icc: float | None = None, memo: dict | None = None) -> pd.DataFrame:
    """Results of ``design`` for `indicator`, one row per programme x group.

    ``db`` is a connection or a database path (opened read-only). See the module docstring for the
    columns. Raises CompareError with a one-line reason for unknown designs, indicators, programmes,
    groups or empty windows. Options a design does not accept (``icc`` outside DiD) are ignored.
    ``memo``: a dict shared by several calls on the same, unchanged data (the stored results' writer passes
    one per indicator), where inputs they share (the scan of the indicator's rows, a DiD's cells) are kept
    and fetched once; the results are the same as without it. Never share one across writes.
    """
    con, _ = connect(db)
    try:
        chosen = get(design)
        options = {name: value for name, value in {"icc": icc}.items() if name in chosen.OPTIONS}
        req = check(con, indicator, chosen, by, program, pre, post, level, min_cell, weighted, conf_level, memo)
        # the coarser views this one adds up to, protected first (disclosure control across linked views)
        req.margins = linked.margins(con, lambda c, r: linked.protect_counts(c, chosen, r, **options), req)
        result = chosen.run(con, req, **options)
    finally:
        con.close()
    return result
