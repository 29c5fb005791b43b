"""Disclosure avoidance for counts of students (docs/METHODS.md, "Disclosure avoidance").

Cell suppression as NCES (Statistical Standard 4-2, NCES 2011-603) and the US Census Bureau practise it:

- **primary suppression**: a cell with 1 to k-1 students (default k = 10) shows no value (``small_cell``);
- **complementary suppression** (:func:`protect`): in every *partition* a visitor can see the total of (the
  categories of one grouping under the same programme, period, panel, side and other groups; their sum is
  the parent a coarser view shows), the hidden cells are either none, or at least two that together hold
  at least k students, so that subtracting the visible siblings from the parent gives only a sum of at least
  k students spread over two or more cells, never one cell. The complement is the cheapest that works: the
  fewest, smallest visible siblings (``complementary``), so a large group is never hidden for a small sibling
  when smaller ones would do;
- **display rounding** (:func:`round_published`): what is sent holds no more precision than the screen
  shows, counts under k are the text '<k'.

Every page and download applies these functions (compare's finish, the Comparar tables, the evidence
pack), so the views share one rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MIN_CELL = 10
SMALL_CELL = "small_cell"  # fewer than k students
COMPLEMENTARY = "complementary"  # hidden so that a small cell cannot be recovered from a total
REASONS = (SMALL_CELL, COMPLEMENTARY)
MAX_PASSES = 50  # linked partitions settle in a few passes; a bound so that no input loops


def suppress_counts(frame: pd.DataFrame, columns: list[str], k: int = MIN_CELL) -> pd.DataFrame:
    """Replace student counts 1..k-1 by the text '<k' (0 stays 0: an empty cell reveals nobody)."""
    out = frame.copy()
    for column in columns:
        values = out[column]
        small = values.notna() & (values > 0) & (values < k)
        out[column] = values.astype("object").where(~small, f"<{k}")
    return out


def _complement(n: np.ndarray, members: np.ndarray, hidden: np.ndarray, avoid: np.ndarray,
                k: int) -> list[int]:
    """The siblings to hide so that the partition's hidden cells are >= 2 and hold >= k students.

    Of the visible non-empty siblings (those alone in another partition last), the cheapest set in
    students: either the smallest single sibling that brings the hidden total to k, or the smallest
    siblings in ascending order until it is reached; ties go to the fewer cells."""
    shown = members[~hidden[members] & (n[members] > 0)]
    if not len(shown):
        return []  # every cell of the partition is hidden or empty: its parent is the hidden total itself
    have, count = float(n[members][hidden[members]].sum()), int(hidden[members].sum())
    need = max(k - have, 0.0)
    order = shown[np.lexsort((shown, n[shown], avoid[shown]))]
    options = []
    for pool in (order[~avoid[order]], order):
        if not len(pool):
            continue
        single = pool[n[pool] >= need]
        if len(single):
            options.append([int(single[np.argmin(n[single])])])
        running, chosen = have, []
        for i in pool:
            chosen.append(int(i))
            running += n[i]
            if running >= k and count + len(chosen) >= 2:
                break
        if running >= k and count + len(chosen) >= 2:
            options.append(chosen)
        if options:
            break
    if not options:
        return [int(i) for i in order]  # even all of them do not reach k: hide them all
    return min(options, key=lambda c: (float(n[c].sum()), len(c)))


def protect(cells: pd.DataFrame, count: str, partitions: Sequence[Sequence[str]], k: int = MIN_CELL,
            force: np.ndarray | None = None) -> pd.Series:
    """Primary and complementary suppression of ``cells`` (one row per cell, its students in ``count``).

    ``partitions``: for each, the columns that name the parent (the cells with the same values form one
    partition of the parent's students). Returns, per cell, None (shown), ``small_cell`` (1 to k-1
    students) or ``complementary``. Afterwards every partition has no hidden cell, or at least two that
    together hold at least k students (docs/METHODS.md, "Disclosure avoidance"); repeated until linked
    partitions (a cell in several) agree. A NaN count (no data) is never hidden by this rule. ``force``:
    cells hidden whatever their size (e.g. the other cells of a hidden row), protected like the others.
    """
    n = pd.to_numeric(cells[count], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    n = np.where(np.isnan(n), 0.0, n)
    primary = (n > 0) & (n < k)
    hidden = primary | (np.zeros(len(n), dtype=bool) if force is None else np.asarray(force, dtype=bool))
    groups = []  # per partition: the group code of every cell, and the cells of each group
    for parent in partitions:
        parent = list(parent)
        codes = (cells.groupby(parent, dropna=False, sort=False).ngroup().to_numpy() if parent
                 else np.zeros(len(cells), dtype=int))
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=codes.max() + 1) if len(codes) else np.zeros(0, dtype=int)
        groups.append((codes, np.split(order, np.cumsum(sizes)[:-1]) if len(codes) else []))
    # a cell alone (non-empty) in some partition shows through its parent: never the first choice of complement
    avoid = np.zeros(len(cells), dtype=bool)
    for codes, _ in groups:
        full = np.bincount(codes, weights=(n > 0).astype(float)) if len(codes) else np.zeros(0)
        avoid |= (n > 0) & (full[codes] == 1) if len(codes) else avoid
    for _ in range(MAX_PASSES):
        changed = False
        for codes, members_of in groups:
            if not len(codes):
                continue
            count = np.bincount(codes, weights=hidden.astype(float), minlength=len(members_of))
            total = np.bincount(codes, weights=np.where(hidden, n, 0.0), minlength=len(members_of))
            for g in np.flatnonzero((count > 0) & ((count < 2) | (total < k))):
                members = members_of[g]
                h = hidden[members]
                if not h.any() or (h.sum() >= 2 and n[members][h].sum() >= k):
                    continue  # an earlier complement in this pass already settled it
                extra = _complement(n, members, hidden, avoid, k)
                if extra:
                    hidden[extra] = True
                    changed = True
        if not changed:
            break
    reason = np.where(primary, SMALL_CELL, np.where(hidden, COMPLEMENTARY, None))
    return pd.Series(reason, index=cells.index, dtype=object)


def protect_rows(cells: pd.DataFrame, count: str, partitions: Sequence[Sequence[str]], row: str,
                 k: int = MIN_CELL) -> tuple[pd.Series, pd.Series]:
    """:func:`protect` for views whose rows show several cells at once (a row of compare(): the programme and
    comparison schools before and after; a school's line: before and after). ``cells[row]`` names each
    cell's row; a row with a hidden cell is hidden whole, so its other cells are hidden too and protected
    in turn, until no row changes. Returns (reason per cell, reason per row: ``small_cell`` when one of its
    own cells is small, ``complementary`` when hidden for another cell's sake, None when shown)."""
    force = np.zeros(len(cells), dtype=bool)
    rows = cells[row].to_numpy()
    for _ in range(MAX_PASSES):
        reason = protect(cells, count, partitions, k, force)
        hidden_rows = set(rows[reason.notna().to_numpy()])
        again = np.isin(rows, list(hidden_rows)) & reason.isna().to_numpy()
        if not again.any():
            break
        force |= again
    small = reason.eq(SMALL_CELL).groupby(rows).any()
    hid = reason.notna().groupby(rows).any()
    per_row = pd.Series(np.where(small, SMALL_CELL, np.where(hid, COMPLEMENTARY, None)), index=hid.index,
                        dtype=object)
    return reason, per_row


def blank(frame: pd.DataFrame, rows: pd.Series | np.ndarray, keep: Sequence[str]) -> pd.DataFrame:
    """Every column but ``keep`` emptied on ``rows``: NaN in numeric columns, None elsewhere (a suppressed row
    carries no statistic of its cell)."""
    rows = np.asarray(rows, dtype=bool)
    if not rows.any():
        return frame
    out = frame.copy()
    for c in out.columns:
        if c in keep:
            continue
        if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(float)
            out.loc[rows, c] = np.nan
        else:
            out[c] = out[c].astype(object)
            out.loc[rows, c] = None
    return out


# Display precision of what is sent (docs/METHODS.md, "Disclosure avoidance"): decimals per column name.
# Means and estimates at two decimals (scores of a few hundred points, indices 0–100, rates 0–1 at 0.01
# of a point), effects at three, p- and q-values at four. Anything unlisted keeps its value.
PUBLISHED_DECIMALS: dict[str, int] = {
    **dict.fromkeys(("mean", "mean_pre", "mean_post", "diff", "diff_ci_low", "diff_ci_high", "estimate", "se",
                     "ci_low", "ci_high", "mean_treated_pre", "mean_treated_post", "mean_comparison_pre",
                     "mean_comparison_post", "pretrend_diff", "pretrend_ci_low", "pretrend_ci_high", "pre", "post",
                     "value", "rate", "share", "lo", "hi", "mid"), 2),
    **dict.fromkeys(("effect_size", "es_ci_low", "es_ci_high", "baseline_g", "icc", "design_effect", "attrition",
                     "differential_attrition", "improvement_index", "months_progress", "alpha"), 3),
    **dict.fromkeys(("p_value", "q_value", "wild_p_value", "p_value_naive", "p_value_icc_corrected",
                     "pretrend_p"), 4),
}


def round_published(frame: pd.DataFrame, decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """The frame with every listed numeric column rounded to its display precision (what is sent)."""
    decimals = PUBLISHED_DECIMALS if decimals is None else decimals
    out = frame.copy()
    for c, d in decimals.items():
        if c in out and pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float).round(d)
    return out


def published_count(value: object, k: int = MIN_CELL) -> object:
    """A count as it may be shown: exact at or above k (and 0), else the text '<k'; missing stays missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return value
    return f"<{k}" if 0 < float(value) < k else value
