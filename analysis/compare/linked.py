"""Disclosure control across linked views (docs/METHODS.md, "Disclosure avoidance"): before a view is
protected, the coarser views its cells add up to (a municipality's department, a school's zone,
municipality, department and authority; each one-field view of a two-field grouping) are computed and
protected on their own — recursively, so a coarser view is protected exactly as when it is asked for
itself — and their protected cells enter this view's protection as fixed parents
(analysis.compare.suppression). This is the top-down protection of a hierarchy of tables: the margin is
decided first, the finer table is protected with the margin's pattern fixed, so the two agree.

Which cells a view hides depends only on its student counts (and on its own margins), not on its
estimates: a coarser view is protected from its counts alone (:func:`protect_counts`: each design's
``counts``, the rows its ``run`` would hand to suppression, in the same order, without fits, bootstraps
or checks), so the margins cost a query each, not a second design run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace

import duckdb
import pandas as pd

from analysis.compare import suppression
from analysis.compare.request import CompareError, Request

# a nested field's column in the units table (the field names are the whitelist of suppression.NESTS_IN)
UNIT_COLUMNS = {"school": "unit_id", "zone": "zone", "department": "department", "municipality": "municipality",
                "authority": "authority"}


def protect_counts(con: duckdb.DuckDBPyConnection, design, req: Request, **options) -> None:
    """Protect the view ``req`` from its counts alone, recording its protected cells in ``req.published``
    exactly as ``design.run`` would (the same rows in the same order reach :func:`suppression.suppress`);
    a design without ``counts`` is run in full."""
    counted = getattr(design, "counts", None)
    if counted is None:
        design.run(con, req, **options)
        return
    suppression.suppress(counted(con, req), list(req.by), req.min_cell, req.margins, req.published)


def parents(con: duckdb.DuckDBPyConnection, finer: str, coarser: str) -> pd.Series:
    """The coarser value of each finer value (index: country, finer value; an empty coarser value is the
    cell of no value), from the units; a finer value found in several coarser ones (a municipality name
    shared by two departments) is left out: its cells are not a part of one coarser cell."""
    child, parent = UNIT_COLUMNS[finer], UNIT_COLUMNS[coarser]
    frame = con.execute(f"SELECT DISTINCT country, {child} AS child, {parent} AS parent FROM units "
                        f"WHERE {child} IS NOT NULL").df()
    frame["parent"] = frame["parent"].astype(object).where(frame["parent"].notna(), suppression.MISSING)
    frame = frame.astype(str)
    frame = frame[~frame.duplicated(["country", "child"], keep=False)]
    return pd.Series(frame["parent"].to_numpy(), index=pd.MultiIndex.from_arrays([frame["country"], frame["child"]]))


def margins(con: duckdb.DuckDBPyConnection, run: Callable[[duckdb.DuckDBPyConnection, Request], object],
            req: Request, memo: dict | None = None) -> tuple[suppression.Margin, ...]:
    """The protected cells of every coarser view of ``req`` (:func:`suppression.coarser`), each computed by
    ``run`` once per call of compare() (compare() passes :func:`protect_counts`; the design's full ``run``
    gives the same cells); none for rates (not suppressed) or without grouping."""
    if not req.student_level or not req.by:
        return ()
    memo = {} if memo is None else memo
    out = []
    for g in suppression.coarser(list(req.by)):
        if g not in memo:
            sub = replace(req, by=list(g), attributes=[a for a in req.attributes if a in g], margins=(),
                          published=[])
            sub.margins = margins(con, run, sub, memo)
            with contextlib.suppress(CompareError):  # no such view: its cells count as a shown total
                run(con, sub)
            memo[g] = sub.published[-1] if sub.published else None
        if memo[g] is None:
            continue
        nested = {}
        if len(g) == len(req.by):  # a field replaced by one it lies in
            f, p = next((f, p) for f, p in zip(req.by, g, strict=True) if f != p)
            if ("\u0000parents", f, p) not in memo:  # read from the units once per call
                memo[("\u0000parents", f, p)] = parents(con, f, p)
            nested[f] = memo[("\u0000parents", f, p)]
        out.append(suppression.Margin(g, memo[g], nested))
    return tuple(out)
