"""A compare() request: windows, the validated request, what a design declares, and request checking.

The package's three imports from the storage layer live here only (the lowest module of the package);
the other modules take them from this one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import duckdb
import pandas as pd

from analysis import fields
from analysis.db import sufficient
from analysis.db.connect import cursor, open_db
from analysis.db.sql import UNIT_PROGRAM_CTE
from analysis.periods import POST_WAVES, PRE_WAVES

__all__ = ["UNIT_PROGRAM_CTE", "CompareError", "Design", "Evidence", "Request", "Window", "cursor", "open_db",
           "parse_window", "sufficient"]


class CompareError(ValueError):
    """A request compare() cannot answer, with a one-line reason naming what exists."""


@dataclass(frozen=True)
class Window:
    """A pre or post window: a year range, a set of waves, or 'start_year' (from the roster)."""

    kind: str  # years | waves | start_year
    years: tuple[int, int] | None = None
    waves: tuple[str, ...] | None = None

    def label(self) -> str:
        if self.kind == "years":
            a, b = self.years
            return str(a) if a == b else f"{a}-{b}"
        if self.kind == "waves":
            return "+".join(self.waves)
        return "start_year"


def parse_window(value: object, side: str) -> Window | None:
    """'2016-2019', '2016', 2016, (2016, 2019) or a wave name ('pre', 'baseline') -> Window."""
    if value is None or value == "":
        return None
    if isinstance(value, Window):
        return value
    if isinstance(value, int):
        return Window("years", (value, value))
    if isinstance(value, tuple | list) and len(value) == 2:
        a, b = int(value[0]), int(value[1])
        return Window("years", (min(a, b), max(a, b)))
    text = str(value).strip().lower()
    m = re.fullmatch(r"(\d{4})\s*(?:-|–|:|\.\.)\s*(\d{4})", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a > b:
            raise CompareError(f"--{side} {value}: the first year must not be after the last")
        return Window("years", (a, b))
    if re.fullmatch(r"\d{4}", text):
        return Window("years", (int(text), int(text)))
    waves = tuple(w.strip() for w in text.split("+"))
    if all(w in PRE_WAVES + POST_WAVES for w in waves):
        return Window("waves", waves=waves)
    raise CompareError(f"--{side} {value!r} is not a year range (2016-2019), a year or a wave "
                       "(pre, post, baseline, endline)")


@dataclass
class Request:
    """A validated compare() request."""

    indicator: str
    kind: str
    domain: str
    design: str
    by: list[str]
    attributes: list[str]
    program: str | None
    pre: Window | None
    post: Window | None
    level: str
    student_level: bool
    uses_waves: bool
    min_cell: int
    weighted: bool
    conf_level: float
    derived: bool = False  # the derived tables hold this indicator's current student rows (analysis.db.sufficient)
    comparison: bool = False  # the design reads the comparison units too (their observations are kept)
    # disclosure control across views (analysis/compare/linked.py): the protected cells of the coarser views
    # whose totals this view's cells add up to, and where finish() records this view's own protected cells
    margins: tuple = ()
    published: list = field(default_factory=list)
    # inputs fetched once for several calls on the same unchanged data (compare()'s ``memo``; None: none kept)
    memo: dict | None = None


@dataclass(frozen=True)
class Evidence:
    """Which columns of a design's frame give the facts of the evidence badge (stats.EvidenceFacts).

    ``treated`` / ``comparison`` count the clusters of each side (the smaller side decides reliability);
    a row whose ``estimate`` is missing is 'insufficient'; ``baseline`` holds the baseline equivalence
    and ``pretrends`` whether pre-period trends differ.
    """

    design: str  # stats.EvidenceFacts.design
    treated: str
    comparison: str | None = None
    estimate: str | None = None
    baseline: str | None = None
    pretrends: str | None = None


class Design(Protocol):
    """What a design module declares (see analysis/compare/designs.py for the steps to add one)."""

    NAME: str
    LABEL: tuple[str, str]
    OPTIONS: tuple[str, ...]
    COMPARISON: bool
    SELECTOR_RANK: int
    EVIDENCE: Evidence
    KEY_COLUMNS: tuple[str, ...]
    COLUMNS: tuple[str, ...]
    COLUMN_NOTE: str
    COLUMN_DOCS: dict[str, tuple[str, str]]
    METHODS: dict[str, str]
    SUMMARY_COLUMNS: tuple[str, ...]
    check_grouping: Callable[[list[str]], None]
    run: Callable[..., pd.DataFrame]


def grouping(by) -> list[str]:
    """A grouping given as one field, a list or None -> a list without empty names."""
    return [b for b in ([by] if isinstance(by, str) else list(by or [])) if b]


def remembered(memo: dict | None, key: tuple, make: Callable[[], object]):
    """``make()``, kept in ``memo`` under ``key`` (computed once per memo); computed afresh without a memo.
    compare()'s ``memo`` holds inputs several calls on the same unchanged data share."""
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def check(con: duckdb.DuckDBPyConnection, indicator: str, design: Design, by, program, pre, post, level,
           min_cell: int, weighted: bool, conf_level: float, memo: dict | None = None) -> Request:
    """The request checked against the database: a Request, or CompareError naming what exists. ``memo``
    (a dict shared by calls on unchanged data, or None) keeps the scan of the indicator's rows."""
    info = con.execute("SELECT kind, domain FROM indicators WHERE code = ?", [indicator]).fetchall()
    # one scan of the indicator's rows answers every question below (seven scans before: 3 s at 10 M rows)
    scan = f"""SELECT count(*), list(DISTINCT level ORDER BY level), bool_or(student_key IS NOT NULL),
                      bool_or(wave IS NOT NULL), list(DISTINCT wave) FILTER (WHERE wave IS NOT NULL),
                      {sufficient.FINGERPRINT_SQL}
               FROM observations WHERE indicator = ?"""
    rows, levels, student_level, uses_waves, waves, *fingerprint = remembered(
        memo, ("check: scan", indicator), lambda: con.execute(scan, [indicator]).fetchall()[0])
    if not info or not rows:
        present = [r[0] for r in con.execute("SELECT DISTINCT indicator FROM observations ORDER BY 1").fetchall()]
        raise CompareError(f"no data for indicator '{indicator}'; the database has: {', '.join(present) or 'none'}")
    kind, domain = info[0]
    by_list = grouping(by)
    attributes = [r[0] for r in con.execute("SELECT DISTINCT name FROM student_attributes ORDER BY 1").fetchall()]
    unknown = [b for b in by_list if b not in fields.GROUP_FIELDS and b not in attributes]
    if unknown:
        raise CompareError(f"cannot group by {', '.join(unknown)}; choose from {', '.join(fields.GROUP_FIELDS)}"
                           + (f" or a student attribute ({', '.join(attributes)})" if attributes else ""))
    by_list = [fields.canonical(b) for b in by_list]
    by_list = [b for b in dict.fromkeys(by_list) if b not in ("program", "country")]
    level = "all" if level is None else level
    levels = levels or []
    if "level" not in by_list and level not in levels:
        raise CompareError(f"indicator '{indicator}' has no level '{level}'; it has: {', '.join(levels)}")
    if program is not None:
        programs = [r[0] for r in con.execute("SELECT DISTINCT program FROM assignments ORDER BY 1").fetchall()]
        if program not in programs:
            raise CompareError(f"no programme '{program}'; the roster has: {', '.join(programs) or 'none'}")
        if program == "comparison":
            raise CompareError("'comparison' is the comparison group, not a programme")
    student_level, uses_waves, waves = bool(student_level), bool(uses_waves), set(waves or [])
    pre_w, post_w = parse_window(pre, "pre"), parse_window(post, "post")
    if pre_w is None and uses_waves and not waves & set(PRE_WAVES):
        observed = ", ".join(sorted(waves))
        raise CompareError(f"'{indicator}' is only observed after the programme (waves: {observed}); "
                           "before/after and DiD need pre observations — compare programme and comparison "
                           "schools with rates and Wilson intervals (analysis.descriptive.proportions)")
    design.check_grouping(by_list)
    if (pre_w is None) != (post_w is None):
        raise CompareError("give both --pre and --post, or neither (then windows come from waves or each "
                           "unit's start year)")
    if pre_w and pre_w.kind == "years" and post_w.kind == "years" and not (pre_w.years[1] < post_w.years[0]):
        raise CompareError(f"the pre window {pre_w.label()} must end before the post window {post_w.label()} starts")
    if bad := [b for b in by_list if b in attributes and not student_level]:
        raise CompareError(f"{', '.join(bad)} is a student attribute, but '{indicator}' has no student rows")
    if not 0 < conf_level < 1:
        raise CompareError("the confidence level must be between 0 and 1")
    return Request(indicator, kind, domain, design.NAME, by_list, [b for b in by_list if b in attributes], program,
                   pre_w, post_w, level, student_level, uses_waves, int(min_cell), weighted, conf_level,
                   student_level and rows == fingerprint[0] and sufficient.usable(con, indicator, tuple(fingerprint)),
                   design.COMPARISON, memo=memo)
