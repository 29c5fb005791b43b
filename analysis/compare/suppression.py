"""compare()'s disclosure control: the student cells each row rests on, suppressed together
(analysis.disclosure; docs/METHODS.md, "Disclosure avoidance").

A row's statistics rest on up to four cells of students: the programme before and after (and, for a paired
test, the linked students), and for DiD the comparison schools before and after. A comparison cell is
shared by every programme of the country with the same window years, so it is one cell however many rows
show it. Partitions: for each grouping field, the cells that agree on everything else (the parent is what
compare() without that field shows). A row is hidden when any of its cells is; its reason is
``small_cell`` when one of its own cells has fewer than k students, else ``complementary``.

Views at nested levels and two-field views are linked (docs/METHODS.md, "Disclosure avoidance"): the cells of
a coarser view this view's cells add up to (its *margins*: a school's zone, municipality, department and
authority, a municipality's department; with two fields, each one-field view) are protected first, on their
own, and enter this view's protection as fixed parents — the partition of a margin cell into this view's
cells then satisfies the same rule, whether the margin cell is shown or hidden (top-down protection of a
hierarchy of tables, as for the linked tables of NCES and Census releases).
"""

from __future__ import annotations

from dataclasses import dataclass

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
BASE = ["who", "country", "cohort", "period", "years"]  # a cell's identity besides its grouping values
MISSING = "\u0000missing"  # a cell's grouping value when the field is empty
# A field whose value lies in one value of another (a school in one zone, municipality, education authority
# and department; a municipality in one authority, which lies in one department — a certified municipality
# is its own authority): the finer view's cells partition the coarser view's. Listed coarsest first, so
# that the views of one chain are protected top-down (a value found in several coarser ones is left out).
NESTS_IN = {"school": ("zone", "department", "authority", "municipality"), "municipality": ("department", "authority"),
            "authority": ("department",)}


@dataclass(frozen=True)
class Margin:
    """A coarser view whose cells are sums of this view's cells: its grouping, its protected cells (BASE,
    its grouping's columns, ``n``, ``hidden``) and, for a field replaced by one it lies in, the coarser value
    of each finer value (index country and finer value; a finer value in several coarser ones is left out)."""

    by: tuple[str, ...]
    cells: pd.DataFrame
    parents: dict[str, pd.Series]


def coarser(by: list[str]) -> list[tuple[str, ...]]:
    """The groupings of the views this grouping's cells add up to (not the ungrouped view, always protected
    as a shown total): with two or more fields, the grouping without each one; for a nested field, the
    grouping with it replaced by each field it lies in."""
    out = []
    for i, f in enumerate(by):
        rest = [*by[:i], *by[i + 1:]]
        if rest:
            out.append(tuple(rest))
        out += [tuple([*by[:i], p, *by[i + 1:]]) for p in NESTS_IN.get(f, ()) if p not in by]
    return list(dict.fromkeys(out))


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
            values = frame[f].astype(str).where(frame[f].notna(), MISSING).to_numpy()
            field = fields.field(f)
            # comparison schools have no programme: a programme field does not split them
            part[f] = "*" if comparison and field is not None and field.level == "programme" else values
        parts.append(part)
    if not parts:  # rows resting on no student cell (a DiD with no comparison schools): nothing to protect
        return pd.DataFrame(columns=["row", "period", "n", "who", "country", "cohort", "years", *by])
    return pd.concat(parts, ignore_index=True)


def _relations(unique: pd.DataFrame, by: list[str], margins: tuple[Margin, ...], k: int = disclosure.MIN_CELL) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, list[disclosure.Relation]]:
    """(students, hidden, fixed, relations) over this view's cells followed by its margins' cells: each field's
    partition (the cells agreeing on all else) under its margin cell when that view is a margin, else under
    the ungrouped total (shown); each nested field's partition under the coarser cell it lies in.

    A margin cell's students in none of its finer cells (a department's schools without a municipality; a
    municipality name found in two departments) are one more cell of its partition, never shown (its
    *remainder*: the margin cell minus its finer cells), hidden when it has 1 to k-1 students; the finer
    cells lying in no one coarser value are the sum of those remainders (a relation of their own). The
    remainders follow the view's cells and the margins' in the arrays."""
    size = len(unique) + sum(len(m.cells) for m in margins)
    n = np.zeros(size)
    n[:len(unique)] = np.nan_to_num(pd.to_numeric(unique["n"], errors="coerce").to_numpy(dtype=float))
    hidden, fixed = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    relations = []
    linked = {m.by for m in margins}
    for f in by:
        if tuple(c for c in by if c != f) in linked:
            continue
        codes = np.full(size, -1, dtype=int)
        codes[:len(unique)] = unique.groupby([*BASE, *(c for c in by if c != f)], dropna=False,
                                             sort=False).ngroup().to_numpy()
        relations.append((codes, np.zeros(size, dtype=bool)))
    start = len(unique)
    extra: list[float] = []  # the remainders' students
    member: list[tuple[int, int, int]] = []  # (relation, remainder, group code)
    for m in margins:
        stop = start + len(m.cells)
        n[start:stop] = np.nan_to_num(pd.to_numeric(m.cells["n"], errors="coerce").to_numpy(dtype=float))
        hidden[start:stop], fixed[start:stop] = m.cells["hidden"].to_numpy(dtype=bool), True
        keys = unique[BASE].copy()
        lone_cells = np.zeros(len(unique), dtype=bool)
        for j, g in enumerate(m.by):
            if g in by:
                keys[g] = unique[g].to_numpy()
                continue
            f = next(c for c in by if g in NESTS_IN.get(c, ()) and c not in m.by)
            index = pd.MultiIndex.from_arrays([unique["country"], unique[f]])
            value = m.parents[f].reindex(index).to_numpy(dtype=object)
            value = np.where(unique[f].to_numpy() == "*", "*", value)  # a field that does not split comparison
            lone = pd.isna(value)  # in no one coarser value: a partition of its own, under no margin cell
            value[lone] = [f"\u0000lone{j}-{i}" for i in np.flatnonzero(lone)]
            keys[g] = value
            lone_cells |= lone
        both = pd.concat([keys, m.cells[[*BASE, *m.by]]], ignore_index=True).astype(str)
        codes = np.full(size, -1, dtype=int)
        grouped = both.groupby([*BASE, *m.by], sort=False).ngroup().to_numpy()
        codes[:len(unique)], codes[start:stop] = grouped[:len(unique)], grouped[len(unique):]
        parent = np.zeros(size, dtype=bool)
        parent[start:stop] = True
        relations.append((codes, parent))
        rest, groups, sums = _remainders(unique, n, codes, start, stop, lone_cells, m, by)
        member += [(len(relations) - 1, len(extra) + i, g) for i, g in enumerate(groups)]
        if sums is not None:  # the lone cells, parents of their remainders
            lone_codes, rest_codes = sums
            sum_codes = np.full(size, -1, dtype=int)
            sum_codes[:len(unique)] = lone_codes
            relations.append((sum_codes, sum_codes >= 0))
            member += [(len(relations) - 1, len(extra) + i, c) for i, c in enumerate(rest_codes) if c >= 0]
        extra += rest
        start = stop
    if not extra:
        return n, hidden, fixed, relations
    grow = len(extra)
    n = np.concatenate([n, extra])
    hidden = np.concatenate([hidden, np.asarray(extra) < k])  # a remainder of 1 to k-1 students: primary
    fixed = np.concatenate([fixed, np.zeros(grow, dtype=bool)])
    relations = [(np.concatenate([c, np.full(grow, -1, dtype=int)]), np.concatenate([p, np.zeros(grow, dtype=bool)]))
                 for c, p in relations]
    for r, i, g in member:
        relations[r][0][size + i] = g
    return n, hidden, fixed, relations


def _remainders(unique: pd.DataFrame, n: np.ndarray, codes: np.ndarray, start: int, stop: int, lone: np.ndarray,
                m: Margin, by: list[str]) -> tuple[list[float], list[int], tuple[np.ndarray, list[int]] | None]:
    """One margin's remainders: their students and group codes in the margin's relation, and, when cells of
    this view lie in no one coarser value, the relation making them the sum of the remainders with the same
    base and other fields (codes of this view's cells, -1 outside; code of each remainder) or None."""
    mine = codes[:len(unique)]
    size = int(codes.max()) + 1
    inside = mine >= 0
    rest = (np.bincount(codes[start:stop], weights=n[start:stop], minlength=size)
            - np.bincount(mine[inside], weights=n[:len(unique)][inside], minlength=size))
    groups = np.flatnonzero(rest > 0.5)
    if not len(groups):
        return [], [], None
    out = (rest[groups].tolist(), groups.tolist())
    if not lone.any():
        return (*out, None)
    other = [*BASE, *(c for c in by if c in m.by)]
    owner: dict[int, tuple] = {}
    for code, key in zip(codes[start:stop], map(tuple, m.cells[other].astype(str).to_numpy().tolist()), strict=True):
        owner.setdefault(int(code), key)
    number: dict[tuple, int] = {}
    rest_codes = [number.setdefault(owner[int(g)], len(number)) for g in groups]
    lone_codes = np.full(len(unique), -1, dtype=int)
    for i, key in zip(np.flatnonzero(lone), map(tuple, unique.loc[lone, other].astype(str).to_numpy().tolist()),
                      strict=True):
        lone_codes[i] = number.get(key, -1)
    return (*out, (lone_codes, rest_codes) if (lone_codes >= 0).any() else None)


def _protect_result_rows(unique: pd.DataFrame, long: pd.DataFrame, by: list[str], margins: tuple[Margin, ...],
                         k: int) -> tuple[np.ndarray, pd.Series]:
    """Cells protected once each; a result row hidden when any of its cells is, its other cells then
    protected in turn, until no row changes (a cell shared by several rows is protected once). Returns the
    hidden mask of the cells and the reason per row."""
    n, start, fixed, relations = _relations(unique, by, margins, k)
    mine = np.arange(len(n)) < len(unique)
    primary = mine & (n > 0) & (n < k)
    force = np.zeros(len(n), dtype=bool)
    cell = long["cell"].to_numpy()
    for _ in range(disclosure.MAX_PASSES):
        hidden = disclosure.solve(n, relations, k, start | primary | force, fixed)
        row_hidden = pd.Series(hidden[cell]).groupby(long["row"].to_numpy()).any()
        again = np.zeros(len(n), dtype=bool)
        again[cell[row_hidden.reindex(long["row"]).to_numpy()]] = True
        again &= ~hidden
        if not again.any():
            break
        force |= again
    small = pd.Series(primary[cell]).groupby(long["row"].to_numpy()).any()
    per_row = pd.Series(np.where(small, disclosure.SMALL_CELL, np.where(row_hidden, disclosure.COMPLEMENTARY,
                                                                        None)), index=row_hidden.index, dtype=object)
    return hidden[:len(unique)], per_row


def suppress(frame: pd.DataFrame, by: list[str], k: int, margins: tuple[Margin, ...] = (),
             published: list | None = None) -> pd.DataFrame:
    """Rows with a hidden cell show no statistic; ``suppression_reason`` says which rule hid them.
    ``margins``: the protected cells of the coarser views (:func:`coarser`); ``published``: where this
    view's protected cells are recorded (BASE, ``by``, ``n``, ``hidden``: the margins of finer views)."""
    frame = frame.reset_index(drop=True)
    frame["suppression_reason"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if frame.empty:
        return frame
    long = cells(frame, by)
    if long.empty:
        return frame
    identity = [*BASE, *by]
    unique = long.drop_duplicates(identity).reset_index(drop=True)
    unique["cell"] = np.arange(len(unique))
    long = long.merge(unique[[*identity, "cell"]], on=identity, how="left")
    hidden, row_reason = _protect_result_rows(unique, long, by, margins, k)
    if published is not None:
        published.append(unique[[*identity, "n"]].assign(hidden=hidden))
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
