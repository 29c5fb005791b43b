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
MIN_CELL_FLOOR = 3  # no option or configuration lowers suppression below this (docs/DESIGN.md)
SMALL_CELL = "small_cell"  # fewer than k students
COMPLEMENTARY = "complementary"  # hidden so that a small cell cannot be recovered from a total
REASONS = (SMALL_CELL, COMPLEMENTARY)
MAX_PASSES = 50  # linked partitions settle in a few passes; a bound so that no input loops


Relation = tuple[np.ndarray, np.ndarray]  # (group code of every cell, -1 outside; True where the cell is the parent)


def _complement(n: np.ndarray, children: np.ndarray, parent: np.ndarray, hidden: np.ndarray, free: np.ndarray,
                avoid: np.ndarray, k: int) -> list[int]:
    """The cells to hide so that the relation's hidden cells are >= 2 and, while its parent is shown, the
    hidden children hold >= k students.

    Of the visible non-empty children that may still change (those alone in another relation last), the
    cheapest set in students: the smallest single child that reaches the need, or the smallest children in
    ascending order until it is reached; ties go to the fewer cells. With no such child, the parent is
    hidden instead (the coarser cell), when it may change."""
    parent_hidden = bool(hidden[parent].any())
    have = float(n[children][hidden[children]].sum())
    count = int(hidden[children].sum()) + int(parent_hidden)
    need = 0.0 if parent_hidden else max(k - have, 0.0)
    shown = children[~hidden[children] & free[children] & (n[children] > 0)]
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
            if (parent_hidden or running >= k) and count + len(chosen) >= 2:
                options.append(chosen)
                break
        if options:
            break
    if options:
        return min(options, key=lambda c: (float(n[c].sum()), len(c)))
    spare = parent[~hidden[parent] & free[parent]]
    if len(spare):
        return [int(spare[0])]  # coarsen: the parent cell is hidden with its small children
    return [int(i) for i in order]  # even all the children do not reach k: hide them all


def solve(n: np.ndarray, relations: Sequence[Relation], k: int = MIN_CELL, hidden: np.ndarray | None = None,
          fixed: np.ndarray | None = None) -> np.ndarray:
    """Complementary suppression over linked relations (each: a parent cell, possibly not in ``n``, equal to
    the sum of its children). Starts from ``hidden`` (default: the primary cells, 1 to k-1), never changes a
    ``fixed`` cell, and returns the hidden mask after which every relation has no hidden cell, or at least
    two with, while its parent is shown, at least k students among the hidden children."""
    n = np.where(np.isnan(n), 0.0, np.asarray(n, dtype=float))
    hidden = ((n > 0) & (n < k)) if hidden is None else np.asarray(hidden, dtype=bool).copy()
    free = np.ones(len(n), dtype=bool) if fixed is None else ~np.asarray(fixed, dtype=bool)
    split = []
    avoid = np.zeros(len(n), dtype=bool)  # alone (non-empty) among the children of a relation
    for codes, is_parent in relations:
        inside = codes >= 0
        size = int(codes.max()) + 1 if inside.any() else 0
        order = np.flatnonzero(inside)[np.argsort(codes[inside], kind="stable")]
        members = np.split(order, np.cumsum(np.bincount(codes[inside], minlength=size))[:-1]) if size else []
        child = inside & ~is_parent
        full = np.bincount(codes[child], weights=(n[child] > 0).astype(float), minlength=size)
        avoid[child] |= (n[child] > 0) & (full[codes[child]] == 1)
        split.append((codes, is_parent, child, size, members))
    for _ in range(MAX_PASSES):
        changed = False
        for codes, is_parent, child, size, members in split:
            if not size:
                continue
            inside = codes >= 0
            count = np.bincount(codes[inside], weights=hidden[inside].astype(float), minlength=size)
            weights = np.where(hidden & child, n, 0.0)[inside]
            total = np.bincount(codes[inside], weights=weights, minlength=size)
            parent_hidden = np.bincount(codes[inside], weights=(hidden & is_parent)[inside].astype(float),
                                        minlength=size) > 0
            for g in np.flatnonzero((count > 0) & ((count < 2) | (~parent_hidden & (total < k)))):
                m = members[g]
                h = hidden[m]
                ph = bool((h & is_parent[m]).any())
                if h.sum() >= 2 and (ph or n[m][h & ~is_parent[m]].sum() >= k):
                    continue  # an earlier complement in this pass already settled it
                extra = _complement(n, m[~is_parent[m]], m[is_parent[m]], hidden, free, avoid, k)
                if extra:
                    hidden[extra] = True
                    changed = True
        if not changed:
            break
    return hidden


def relations_of(cells: pd.DataFrame, partitions: Sequence[Sequence[str]]) -> list[Relation]:
    """Relations without a parent cell: for each partition, the cells agreeing on its columns."""
    out = []
    for parent in partitions:
        parent = list(parent)
        codes = (cells.groupby(parent, dropna=False, sort=False).ngroup().to_numpy() if parent
                 else np.zeros(len(cells), dtype=int))
        out.append((codes.astype(int), np.zeros(len(cells), dtype=bool)))
    return out


def protect(cells: pd.DataFrame, count: str, partitions: Sequence[Sequence[str]], k: int = MIN_CELL,
            force: np.ndarray | None = None) -> pd.Series:
    """Primary and complementary suppression of ``cells`` (one row per cell, its students in ``count``).

    ``partitions``: for each, the columns that name the parent (the cells with the same values form one
    partition of the parent's students, the parent a total shown elsewhere). Returns, per cell, None
    (shown), ``small_cell`` (1 to k-1 students) or ``complementary``. Afterwards every partition has no
    hidden cell, or at least two that together hold at least k students (docs/METHODS.md, "Disclosure
    avoidance"); repeated until linked partitions (a cell in several) agree. A NaN count (no data) is never
    hidden by this rule. ``force``: cells hidden whatever their size (e.g. the other cells of a hidden row),
    protected like the others.
    """
    n = pd.to_numeric(cells[count], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    n = np.where(np.isnan(n), 0.0, n)
    primary = (n > 0) & (n < k)
    start = primary | (np.zeros(len(n), dtype=bool) if force is None else np.asarray(force, dtype=bool))
    hidden = solve(n, relations_of(cells, partitions), k, start)
    return reasons(primary, hidden, cells.index)


def reasons(primary: np.ndarray, hidden: np.ndarray, index: pd.Index) -> pd.Series:
    """None (shown), ``small_cell`` or ``complementary`` per cell."""
    return pd.Series(np.where(primary, SMALL_CELL, np.where(hidden, COMPLEMENTARY, None)), index=index, dtype=object)


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
# Means and estimates at two decimals (a hundredth of a point on scores, indices and rates in percent; a
# percentage point on 0–1 shares, whose effects are also given in points at three decimals), effect sizes
# at three, p- and q-values at four (below 0.0001 at three significant digits: PROBABILITY_COLUMNS); degrees of
# freedom at two (Welch's are fractional, G − 1 whole). Anything unlisted keeps its value.
PUBLISHED_DECIMALS: dict[str, int] = {
    **dict.fromkeys(("mean", "mean_pre", "mean_post", "diff", "diff_ci_low", "diff_ci_high", "diff_se", "df",
                     "estimate", "se", "ci_low", "ci_high", "mean_treated_pre", "mean_treated_post",
                     "mean_comparison_pre", "mean_comparison_post", "pretrend_diff", "pretrend_ci_low",
                     "pretrend_ci_high", "pre", "post", "value", "rate", "share", "lo", "hi", "mid"), 2),
    **dict.fromkeys(("effect_size", "es_ci_low", "es_ci_high", "effect", "low", "high", "baseline_g", "icc",
                     "design_effect", "attrition", "differential_attrition", "improvement_index", "months_progress",
                     "alpha"), 3),
    **dict.fromkeys(("p_value", "q_value", "wild_p_value", "p_value_naive", "p_value_icc_corrected",
                     "pretrend_p"), 4),
    # a randomised trial's complier average causal effect (in the indicator's unit, as ``estimate``) and its
    # first stage (a difference in shares, as the effect sizes)
    **dict.fromkeys(("cace", "cace_se", "cace_ci_low", "cace_ci_high"), 2), "compliance": 3, "cace_p_value": 4,
}
#: the evidence pack's dose_response.csv (analysis/implementation/dose.py ``summary_row``): slopes per unit of dose
#: (an hour of lab use moves a score by hundredths) at four decimals, its standardised slopes at five, points and
#: doses at two, standardised contrasts at three, p-values as PROBABILITY_COLUMNS
DOSE_RESPONSE_DECIMALS: dict[str, int] = {
    **dict.fromkeys(("slope", "se", "ci_low", "ci_high"), 4),
    **dict.fromkeys(("slope_sd", "ci_low_sd", "ci_high_sd"), 5),
    **dict.fromkeys(("intercept", "df", "dose_min", "dose_max", "top_minus_bottom", "top_minus_bottom_ci_low",
                     "top_minus_bottom_ci_high", "student_sd"), 2),
    **dict.fromkeys(("top_minus_bottom_sd", "top_minus_bottom_ci_low_sd", "top_minus_bottom_ci_high_sd"), 3),
    **dict.fromkeys(("p_value", "top_minus_bottom_p"), 4),
}
#: p- and q-values: a value under 10^-decimals keeps three significant digits instead (1.83e-11, never 0: a p
#: rounded to 0 reads as certainty; docs/METHODS.md, "Disclosure avoidance", display rounding).
PROBABILITY_COLUMNS = ("p_value", "q_value", "wild_p_value", "p_value_naive", "p_value_icc_corrected", "pretrend_p",
                       "cace_p_value", "top_minus_bottom_p")
SIGNIFICANT_DIGITS = 3


def round_probability(values: pd.Series | np.ndarray, decimals: int = 4) -> np.ndarray:
    """p- or q-values at ``decimals`` decimals, those under 10^-decimals at :data:`SIGNIFICANT_DIGITS` significant
    digits: 0.04567 -> 0.0457, 1.8347e-11 -> 1.83e-11 (a positive p is never published as 0)."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    small = np.isfinite(x) & (x != 0) & (np.abs(x) < 10.0 ** -decimals)
    out = np.round(x, decimals)
    out[small] = [float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in x[small]]
    return out


def round_published(frame: pd.DataFrame, decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """The frame with every listed numeric column rounded to its display precision (what is sent)."""
    decimals = PUBLISHED_DECIMALS if decimals is None else decimals
    out = frame.copy()
    for c, d in decimals.items():
        if c in out and pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            values = pd.to_numeric(out[c], errors="coerce").astype(float)
            out[c] = (pd.Series(round_probability(values, d), index=out.index) if c in PROBABILITY_COLUMNS
                      else values.round(d))
    return out


ALL = "*"  # the ``value`` of the cells of every student (no filter)
UNSTATED = "\u0000unstated"  # the ``value`` of the cells of the students with no value of the filter's field


def unstated(frame: pd.DataFrame, count: str, keys: list[str]) -> pd.DataFrame:
    """The cells of the students without a value of the filter's field (no ethnicity recorded, an empty
    zone): per ``keys``, every student (value ``ALL``) minus the sum of the field's values, where positive;
    value :data:`UNSTATED`. None without a filter (every row ``ALL``). They are in every student but in no
    value, so they are a cell of each partition of every student into the values, never offered, protected
    like a shown one (docs/METHODS.md, "Disclosure avoidance")."""
    every = (frame["value"] == ALL).to_numpy()
    if every.all() or not every.any():
        return frame.iloc[:0][[*keys, "value", count]]
    n = pd.to_numeric(frame[count], errors="coerce").fillna(0.0)
    total = n[every].groupby([frame.loc[every, k] for k in keys], dropna=False).sum()
    stated = n[~every].groupby([frame.loc[~every, k] for k in keys], dropna=False).sum()
    rest = total.sub(stated.reindex(total.index, fill_value=0.0), fill_value=0.0)
    rest = rest[rest > 0]
    out = rest.rename(count).reset_index()
    out.columns = [*keys, count]
    return out.assign(value=UNSTATED)[[*keys, "value", count]]


def _relation(cells: pd.DataFrame, children: np.ndarray, parent: np.ndarray, keys: list[str]) -> Relation:
    """A relation whose groups are the ``keys`` values: ``children`` sum to the ``parent`` cell of each."""
    inside = children | parent
    codes = np.full(len(cells), -1, dtype=int)
    if inside.any():
        codes[inside] = cells.loc[inside, keys].groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    return codes, parent & inside


def _with(frame: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, extra], ignore_index=True) if len(extra) else frame.reset_index(drop=True)


def protect_views(units: pd.DataFrame, hist: pd.DataFrame, k: int = MIN_CELL,
                  hidden_lines: np.ndarray | None = None) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """One protection for the family of views a filter offers (Comparar: the means table, the distribution
    and the school lines, for every value of the filter and for every student).

    ``units``: panel, program, unit_id, period, value, n (one row per school, period and filter value;
    value ``ALL`` without filter); ``hist``: panel, program, period, bin, value, count. The cells: each school
    in each period, each group mean (the sum of its schools) and each bin (whose bins also sum to the
    group). Each is the sum of its children in two ways (its schools or its bins; its filter values), and
    a school's line is hidden whole when either period is. The cells of every student are decided first,
    on their own (the view without filter is the same whichever filter is offered), and kept fixed while
    the filter's values are protected. The students with no value of the field (:func:`unstated`) are one
    more value: a cell of each partition, never shown. Returns the reason per ``units`` row, per group
    (panel, program, period, value, n, reason; the unstated students' group included) and per ``hist`` row.
    ``hidden_lines`` (per ``units`` row): schools of every student hidden whatever their size because a linked
    view hides them (compare() by school: Escuelas and the evidence pack show the same school cells), protected
    like the others.
    """
    keys = ["panel", "program", "period", "value"]
    first, bins_first, index, hist_index = len(units), len(hist), units.index, hist.index
    units = _with(units[[*keys, "unit_id", "n"]], unstated(units, "n", ["panel", "program", "unit_id", "period"]))
    hist = _with(hist[[*keys, "bin", "count"]], unstated(hist, "count", ["panel", "program", "period", "bin"]))
    means = units.groupby(keys, dropna=False, sort=False, as_index=False)["n"].sum()
    cells = pd.concat([units[[*keys, "unit_id", "n"]].assign(kind="school"), means.assign(kind="mean"),
                       hist[[*keys, "bin"]].assign(n=hist["count"], kind="bin")], ignore_index=True)
    n = pd.to_numeric(cells["n"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    n = np.where(np.isnan(n), 0.0, n)
    kind, every = cells["kind"].to_numpy(), (cells["value"] == ALL).to_numpy()
    school, mean, binned = kind == "school", kind == "mean", kind == "bin"
    relations = [_relation(cells, school, mean, keys), _relation(cells, binned, mean, keys),
                 _relation(cells, school & ~every, school & every, ["panel", "program", "period", "unit_id"]),
                 _relation(cells, mean & ~every, mean & every, ["panel", "program", "period"]),
                 _relation(cells, binned & ~every, binned & every, ["panel", "program", "period", "bin"])]
    lines = np.where(school, cells.groupby(["panel", "program", "unit_id", "value"], dropna=False,
                                           sort=False).ngroup().to_numpy(), -1)
    primary = (n > 0) & (n < k)
    hidden = primary & every
    if hidden_lines is not None:
        hidden[:first] |= np.asarray(hidden_lines, dtype=bool) & every[:first]
    for scope in (every, np.ones(len(cells), dtype=bool)):  # every student first, then the filter values
        hidden |= primary & scope
        fixed = ~every if scope is every else every
        for _ in range(MAX_PASSES):
            hidden = solve(n, relations, k, hidden, fixed)
            line_hidden = np.bincount(lines[school], weights=hidden[school].astype(float),
                                      minlength=int(lines.max()) + 1 if school.any() else 0) > 0
            again = school & ~hidden & ~fixed & np.isin(lines, np.flatnonzero(line_hidden))
            if not again.any():
                break
            hidden |= again
    reason = reasons(primary, hidden, cells.index)
    second = len(units) + len(means)
    line, size = lines[:first], int(lines.max()) + 1 if first else 0
    small_line = np.bincount(line, weights=primary[:first].astype(float), minlength=size) > 0
    hidden_line = np.bincount(line, weights=hidden[:first].astype(float), minlength=size) > 0
    line_reason = pd.Series(np.where(small_line[line], SMALL_CELL, np.where(hidden_line[line], COMPLEMENTARY, None)),
                            index=index, dtype=object)
    means = means.assign(reason=pd.Series(reason.iloc[len(units):second].to_numpy(), index=means.index, dtype=object))
    hist_reason = pd.Series(reason.iloc[second:second + bins_first].to_numpy(), index=hist_index, dtype=object)
    return line_reason, means, hist_reason
