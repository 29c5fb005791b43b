"""Métodos: tables computed from the code itself, so the page can never disagree with the analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import stats
from analysis.compare import COMPOSITION_CHANGE, MIN_STUDENTS_RELIABLE, MIN_UNITS, PANDEMIC_YEARS
from analysis.disclosure import MIN_CELL
from analysis.plain_language import NEGLIGIBLE
from ui import format as fmt
from ui.i18n import current_language, t

SECTIONS = ("designs", "side_by_side", "effects", "rates", "scales", "multiple", "flags", "evidence", "plain",
            "reliability", "achievements", "pooling", "windows", "dose", "cost", "sources")


#: Words inside the formulas, written ``@word@`` in them and read from the catalogue (``methods.formula.<word>``).
FORMULA_WORDS = ("treated", "post", "dose", "high", "low")


def latex(formula: str) -> str:
    """A formula in the reader's language: its words (``@treated@`` …) from the catalogue, and Spanish decimal
    commas ({,}), which English reads as 1.65."""
    for word in FORMULA_WORDS:
        formula = formula.replace(f"@{word}@", t(f"methods.formula.{word}"))
    return formula if current_language() == "es" else formula.replace("{,}", ".")


def eef_table() -> pd.DataFrame:
    """|g| ranges per EEF month, read off analysis.stats.eef_months on a grid of hundredths."""
    grid = np.round(np.arange(0, 1.21, 0.01), 2)
    months = np.asarray(stats.eef_months(grid), dtype=float)
    rows = []
    for m in range(0, 13):
        gs = grid[months == m]
        if len(gs) == 0:
            continue
        high = "≥ " + fmt.num(gs[0], 2) if m == 12 else fmt.num(gs[-1], 2)
        rng = high if m == 12 else (f"≤ {fmt.num(gs[-1], 2)}" if m == 0 else f"{fmt.num(gs[0], 2)} – {high}")
        rows.append({"months": m, "g_range": rng, "label": t(f"eef.{stats.eef_label(float(m))}")})
    return pd.DataFrame(rows).rename(columns=lambda c: t(f"col.{c}"))


def attrition_table() -> pd.DataFrame:
    """Highest differential attrition still 'low', per overall attrition (cautious and optimistic)."""
    overall = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 57, 58, 60, 65]
    cautious = np.asarray(stats.attrition_boundary(overall, "cautious"), dtype=float)
    optimistic = np.asarray(stats.attrition_boundary(overall, "optimistic"), dtype=float)
    frame = pd.DataFrame({"overall": overall, "cautious": [fmt.num(v, 1) for v in cautious],
                          "optimistic": [fmt.num(v, 1) for v in optimistic]})
    return frame.rename(columns=lambda c: t(f"col.attrition_{c}"))


def thresholds() -> pd.DataFrame:
    rows = [
        ("min_cell", f"{MIN_CELL}"),
        ("low_students", f"{MIN_STUDENTS_RELIABLE}"),
        ("low_units", f"{MIN_UNITS}"),
        ("icc", f"{fmt.num(stats.ICC_ACHIEVEMENT, 2)} / {fmt.num(stats.ICC_OTHER, 2)}"),
        ("composition", f"{fmt.num(100 * COMPOSITION_CHANGE, 0)} %"),
        ("pandemic", ", ".join(str(y) for y in PANDEMIC_YEARS)),
        ("negligible", f"{fmt.num(NEGLIGIBLE['hedges_g'], 2)} / {fmt.num(NEGLIGIBLE['pp'], 1)}"),
        ("baseline", f"{fmt.num(0.05, 2)} / {fmt.num(0.25, 2)}"),
        ("alpha", fmt.num(stats.ALPHA_WARNING, 1)),
        ("q", fmt.num(0.05, 2)),
    ]
    return pd.DataFrame([(t(f"methods.threshold.{k}"), v) for k, v in rows],
                        columns=[t("col.threshold"), t("col.value")])
