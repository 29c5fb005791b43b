"""compare()'s disclosure control: the student cells each row rests on, suppressed together
(analysis.disclosure; docs/METHODS.md, "Disclosure avoidance").

A row's statistics rest on up to four cells of students: the programme before and after (and, for a paired
test, the linked students), and for DiD the comparison schools before and after. A comparison cell is
shared by every programme of the country with the same window years, so it is one cell however many rows
show it. Partitions: for each grouping field, the cells that agree on everything else (the parent is what
compare() without that field shows). A row is hidden when any of its cells is; its reason is
``small_cell`` when one of its own cells has fewer than k students, else ``complementary``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import disclosure, fields

# count column -> (side, period): the cells of a DiD row (did.py), else of a pre/post row
DID_CELLS = {"cell_treated_pre": ("treated", "pre"), "cell_treated_post": ("treated", "post"),
             "cell_comparison_pre": ("comparison", "pre"), "cell_comparison_post": ("comparison", "post")}
PREPOST_CELLS = {"n_pre": ("treated", "pre"), "n_post": ("treated", "post"), "n_linked": ("treated", "linked")}
# what a suppressed row keeps: its keys, what was asked (design, windows, unit of the effect) and why it is empty
KEEP = ("program", "country", "start_year_cohort", "design", "effect_size_kind", "pre_window", "post_window",
        "pre_years", "post_years", "reliability", "suppression_reason", "note", "flags", "evidence",
        "evidence_reasons")
WINDOW_FLAGS = ("pandemic_years", "saber_scale_change")  # flags of the window, not of the cell's data


def _years(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return " ".join(str(int(y)) for y in value)


def cells(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per (result row, cell): row, side, period, identity columns and students."""
    did = any(c in frame for c in DID_CELLS)
    spec = DID_CELLS if did else PREPOST_CELLS
    if not any(c in frame for c in spec):
        spec = {"min_cell_students": ("treated", "all")}
    cohort = frame["start_year_cohort"] if "start_year_cohort" in frame else pd.Series("", index=frame.index)
    parts = []
    for column, (side, period) in spec.items():
        if column not in frame:
            continue
        part = pd.DataFrame({"row": np.arange(len(frame)), "period": period,
                             "n": pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)})
        if column == "n_linked" and "test" in frame:  # unlinked cohorts: no linked cell is shown
            part.loc[~frame["test"].astype(str).str.startswith("paired").to_numpy(), "n"] = np.nan
        comparison = side == "comparison"
        part["who"] = "comparison" if comparison else frame["program"].astype(str).to_numpy()
        part["country"] = frame["country"].astype(str).to_numpy()
        part["cohort"] = "" if comparison else cohort.astype(str).to_numpy()
        years = frame.get(f"{'pre' if period == 'pre' else 'post'}_years")
        part["years"] = [_years(v) for v in years] if comparison and years is not None else ""
        for f in by:
            values = frame[f].astype(str).where(frame[f].notna(), "\u0000missing").to_numpy()
            field = fields.field(f)
            # comparison schools have no programme: a programme field does not split them
            part[f] = "*" if comparison and field is not None and field.level == "programme" else values
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _protect_result_rows(unique: pd.DataFrame, long: pd.DataFrame, partitions: list[list[str]],
                         k: int) -> tuple[pd.Series, pd.Series]:
    """Cells protected once each; a result row hidden when any of its cells is, its other cells then
    protected in turn, until no row changes (a cell shared by several rows is protected once)."""
    force = np.zeros(len(unique), dtype=bool)
    for _ in range(disclosure.MAX_PASSES):
        reason = disclosure.protect(unique, "n", partitions, k, force)
        cell_hidden = reason.notna().to_numpy()
        row_hidden = pd.Series(cell_hidden[long["cell"].to_numpy()]).groupby(long["row"].to_numpy()).any()
        again = np.zeros(len(unique), dtype=bool)
        again[long["cell"].to_numpy()[row_hidden.reindex(long["row"]).to_numpy()]] = True
        again &= ~cell_hidden
        if not again.any():
            break
        force |= again
    small_cell = reason.eq(disclosure.SMALL_CELL).to_numpy()[long["cell"].to_numpy()]
    small = pd.Series(small_cell).groupby(long["row"].to_numpy()).any()
    per_row = pd.Series(np.where(small, disclosure.SMALL_CELL, np.where(row_hidden, disclosure.COMPLEMENTARY,
                                                                        None)), index=row_hidden.index, dtype=object)
    return reason, per_row


def suppress(frame: pd.DataFrame, by: list[str], k: int) -> pd.DataFrame:
    """Rows with a hidden cell show no statistic; ``suppression_reason`` says which rule hid them."""
    frame = frame.reset_index(drop=True)
    frame["suppression_reason"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if frame.empty:
        return frame
    long = cells(frame, by)
    identity = ["who", "country", "cohort", "period", "years", *by]
    unique = long.drop_duplicates(identity).reset_index(drop=True)
    # no grouping: each cell is its own view, only the primary rule applies
    partitions = [[c for c in identity if c != f] for f in by]
    unique["cell"] = np.arange(len(unique))
    long = long.merge(unique[[*identity, "cell"]], on=identity, how="left")
    _, row_reason = _protect_result_rows(unique, long, partitions, k)
    reasons = row_reason.reindex(np.arange(len(frame))).to_numpy()
    rows = pd.notna(reasons)
    frame["suppression_reason"] = pd.Series(reasons, index=frame.index, dtype=object).where(rows, None)
    keep = {*KEEP, *by}
    frame = disclosure.blank(frame, rows, tuple(keep))
    if rows.any():
        frame.loc[rows, "reliability"] = "suppressed"
        for column, value in (("evidence", "insufficient"), ("evidence_reasons", "")):
            if column in frame:
                frame.loc[rows, column] = value
    if rows.any() and "flags" in frame:
        frame.loc[rows, "flags"] = [", ".join(f for f in str(v or "").split(", ") if f in WINDOW_FLAGS)
                                    for v in frame.loc[rows, "flags"]]
    return frame
