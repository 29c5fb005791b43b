"""Standard compare() results, computed when a large snapshot is written (issue #6).

A dashboard page's first view asks compare() for the same few results whatever the user does next:
each indicator's difference-in-differences per programme (overall, by department and by zone), its
pre/post (overall and by school) and its randomised trial's result (design ``rct``, shown beside the DiD).
At national scale each call costs 0.7-1.8 s even on the per-school derived tables
(``analysis.precompute.derived``): a DiD on a yearly rate has one cell per school-year (400,000 at Colombia's
scale) for the cluster-robust OLS, the pre-trend and the wild bootstrap. Four such calls made Regiones'
first view take 5-7 s on the 10-million-row benchmark.

So when a snapshot is written, :func:`refresh` runs those *standard requests* with compare() itself
and stores each result (or its CompareError reason) in ``derived_results``; the dashboard reads a stored
result only when everything it was computed from is unchanged (its signature,
``analysis.precompute.fingerprints.signatures``; the rule is ``analysis.precompute.serving``):

- the indicator's rows, through an exact per-indicator fingerprint: row, student-row and wave counts,
  the year sum and the sum of a hash of every row's content (unit, student key, year, wave, level, sex,
  grade, value and weight), so edits made outside LabLens, relabelling included, are seen (0.4 s at 10
  million rows, paid when a snapshot is written: the dashboard reads the writer's verdict,
  ``analysis.precompute.checks``);
- the roster and catalogue (units, assignments, indicators) and the student attributes' names;
- the code: a hash of the ``analysis`` package's source and of the numerical libraries' versions, so a
  new LabLens version never serves numbers an older one computed.

A result read from the table is the frame compare() returned (same columns, dtypes and values; the
test suite checks every stored request against a live call). Any other request is computed live, as
before. Only indicators with at least :func:`store_min_rows` rows (250,000 unless
``LABLENS_STORE_MIN_ROWS`` says otherwise) are stored: below that a live call takes well under a second,
and small writes (the demo, the tests) stay as fast as they were.

The windows of yearly indicators are the dashboard's programme windows (:func:`programme_windows`):
before any lab of the programme started, and from the last start on, in the same calendar years for the
comparison schools. They live here so that the writer and the dashboard build the same requests.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from analysis import queries
from analysis.db.sql import run
from analysis.disclosure import MIN_CELL
from analysis.precompute.codec import Stored, encode
from analysis.precompute.fingerprints import signatures
from analysis.precompute.serving import stored_result

log = logging.getLogger("lablens.analysis")

TABLE = "derived_results"
STORE_MIN_ROWS = 250_000  # default of LABLENS_STORE_MIN_ROWS
DID_GROUPS: tuple[tuple[str, ...], ...] = ((), ("department",), ("zone",))
PREPOST_GROUPS: tuple[tuple[str, ...], ...] = ((), ("school",))


@dataclass(frozen=True)
class StandardRequest:
    """One compare() call of the dashboard's first views (the arguments ui.loaders passes)."""

    indicator: str
    design: str
    by: tuple[str, ...] = ()
    program: str | None = None
    pre: str | None = None
    post: str | None = None
    level: str = "all"
    min_cell: int = MIN_CELL

    @property
    def key(self) -> str:
        return request_key(self.indicator, self.design, self.by, self.program, self.pre, self.post, self.level,
                           self.min_cell)


def request_key(indicator: str, design: str, by: Iterable[str] | None, program: str | None, pre: str | None,
                post: str | None, level: str, min_cell: int) -> str:
    """The canonical text of a compare() request (what the stored result is looked up by)."""
    return json.dumps({"indicator": indicator, "design": design, "by": list(by or []), "program": program,
                       "pre": pre, "post": post, "level": level, "min_cell": int(min_cell)}, sort_keys=True)


# --- programme windows --------------------------------------------------------------------------------------

def programme_windows(uses_waves: bool, years: pd.DataFrame, programmes: pd.DataFrame
                      ) -> dict[tuple[str, str], tuple[int, int, int, int] | None]:
    """Pre and post year windows per (programme, country) for a yearly indicator; None with waves.

    ``years``: the indicator's first and last year per country (``queries.INDICATOR_YEARS_SQL``);
    ``programmes``: ``queries.PROGRAMME_STARTS_SQL``. Pre = the country's first year of data to the year
    before the programme's first start; post = the programme's last start year to the last year of data.
    With staggered starts (ValleLabs 2019-2021) this compares "before any lab" with "after every lab
    started", the same calendar years for the comparison units, in one estimate (compare() would
    otherwise give one row per start-year cohort).
    """
    out: dict[tuple[str, str], tuple[int, int, int, int] | None] = {}
    by_country = years.set_index("country")
    for row in programmes.itertuples(index=False):
        key = (row.program, row.country)
        if uses_waves or row.country not in by_country.index or pd.isna(row.first_start):
            out[key] = None
            continue
        first, last = int(by_country.loc[row.country, "first_year"]), int(by_country.loc[row.country, "last_year"])
        pre = (first, int(row.first_start) - 1)
        post = (int(row.last_start), last)
        out[key] = (*pre, *post) if pre[0] <= pre[1] and post[0] <= post[1] else None
    return out


def window_text(w: tuple[int, int, int, int] | None) -> tuple[str | None, str | None]:
    """compare()'s --pre and --post text of a programme window ("2015-2018", or "2024" for one year)."""
    if w is None:
        return None, None
    return (f"{w[0]}-{w[1]}" if w[0] != w[1] else str(w[0])), (f"{w[2]}-{w[3]}" if w[2] != w[3] else str(w[2]))


def programme_requests(indicator: str, design: str, by: tuple[str, ...], uses_waves: bool,
                       windows: dict[tuple[str, str], tuple[int, int, int, int] | None],
                       level: str = "all") -> list[StandardRequest]:
    """The compare() calls of one programme-level result: one call with waves, else one per programme
    and distinct window (``ui.loaders.programme_results`` makes exactly these; a programme in two
    countries with the same windows is one call, whose rows cover both)."""
    if uses_waves:
        return [StandardRequest(indicator, design, by, level=level)]
    return list(dict.fromkeys(StandardRequest(indicator, design, by, program, *window_text(w), level=level)
                              for (program, _), w in windows.items()))


def standard_requests(con: duckdb.DuckDBPyConnection, indicator: str) -> list[StandardRequest]:
    """The dashboard's first-view requests for ``indicator`` on ``con``'s current catalog."""
    uses_waves = bool(con.execute("SELECT bool_or(wave IS NOT NULL) FROM observations WHERE indicator = ? "
                                  "AND level = 'all'", [indicator]).fetchall()[0][0])
    windows = programme_windows(uses_waves, con.execute(queries.INDICATOR_YEARS_SQL, [indicator]).df(),
                                con.execute(queries.PROGRAMME_STARTS_SQL).df())
    out = [r for by in DID_GROUPS for r in programme_requests(indicator, "did", by, uses_waves, windows)]
    out += [StandardRequest(indicator, "prepost", by) for by in PREPOST_GROUPS]
    out.append(trial_request(indicator))
    return list(dict.fromkeys(out))


def trial_request(indicator: str) -> StandardRequest:
    """The randomised trial's result beside the DiD on Inicio and Logros (design ``rct``, no windows: the trial's
    own years; a database without a trial stores compare()'s reason, read as "no trial line")."""
    return StandardRequest(indicator, "rct")


# --- what a stored result depends on ------------------------------------------------------------------------

def store_min_rows() -> int:
    """Indicators with at least this many rows get stored results: ``LABLENS_STORE_MIN_ROWS``, else
    :data:`STORE_MIN_ROWS` (0 stores every indicator's; a very large number stores none)."""
    value = os.environ.get("LABLENS_STORE_MIN_ROWS", "").strip()
    return int(value) if value.isdigit() else STORE_MIN_ROWS


def _rows(signature: str) -> int:
    return int(signature.split(":", 1)[0])


# --- storage ------------------------------------------------------------------------------------------------

_COLUMNS = {"request_key": "VARCHAR PRIMARY KEY", "indicator": "VARCHAR", "signature": "VARCHAR", "frame": "BLOB",
            "meta": "VARCHAR", "error": "VARCHAR"}


def _create(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table; one of another layout (an older LabLens) is dropped: its rows are recomputed."""
    found = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                       "AND database_name = current_database() ORDER BY column_index",
                                       [TABLE]).fetchall()]
    if found and found != list(_COLUMNS):
        run(con, f"DROP TABLE {TABLE}")
    run(con, f"CREATE TABLE IF NOT EXISTS {TABLE} ({', '.join(f'{c} {t}' for c, t in _COLUMNS.items())})")


def one_blas_thread() -> AbstractContextManager:
    """numpy's BLAS on one thread within the block (threadpoolctl; restored on exit). The stored results' fits
    are tall and four columns wide (N x 4: the SVD and products of ``analysis.stats.did.crv1_fit``, the wild
    bootstrap's (4 x G)(G x B) blocks), where OpenBLAS' threads gain nothing and, waiting, cost about as much CPU
    again: on one thread the eight first-view requests of a 448,000 school-year rate take 1.4 CPU s instead of
    2.2 (bench/RESULTS.md, "Incremental refresh (session 8)")."""
    from threadpoolctl import threadpool_limits  # imported only when results are computed

    return threadpool_limits(limits=1, user_api="blas")


def refresh(con: duckdb.DuckDBPyConnection, full: bool = False) -> list[str]:
    """Recompute the stored results of ``con``'s current catalog whose signature changed (all with
    ``full``); returns the indicators recomputed. Requires the per-school derived tables to be current
    (``analysis.precompute.derived.refresh``), which compare() reads. An indicator whose requests fail for a reason
    other than CompareError is logged and left unstored: the dashboard computes it live, the write goes on."""
    _create(con)
    if full:
        run(con, f"DELETE FROM {TABLE}")
    now = signatures(con)
    threshold = store_min_rows()
    # without programme units every first view says "import a roster": nothing to store (and a large
    # import of indicators alone does not pay for loading the estimators)
    programmes = con.execute("SELECT count(*) FROM assignments WHERE program <> 'comparison'").fetchall()[0][0]
    large = {i: s for i, s in now.items() if _rows(s) >= threshold} if programmes else {}
    stored = dict(con.execute(f"SELECT indicator, any_value(signature) FROM {TABLE} GROUP BY indicator").fetchall())
    gone = [i for i in stored if i not in large]
    stale = sorted(i for i, s in large.items() if stored.get(i) != s)
    for indicator in [*gone, *stale]:
        run(con, f"DELETE FROM {TABLE} WHERE indicator = ?", [indicator])
    if stale:  # scipy and statsmodels are imported only when there is work (a small write stays fast)
        from analysis.compare import CompareError, compare
    with one_blas_thread():
        for indicator in stale:
            rows = []
            memo: dict = {}  # what the indicator's requests share (its scan, a DiD's cells): this write's data
            try:
                for req in standard_requests(con, indicator):
                    try:
                        frame, error = compare(con, req.indicator, design=req.design, by=list(req.by) or None,
                                               program=req.program, pre=req.pre, post=req.post, level=req.level,
                                               min_cell=req.min_cell, memo=memo), None
                    except CompareError as exc:
                        frame, error = None, str(exc)
                    payload, meta = encode(frame) if frame is not None else (None, None)
                    rows.append([req.key, indicator, large[indicator], payload, meta, error])
                con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)", rows)
            except Exception:  # never lose a write for results the dashboard can compute live
                log.exception("storing the standard results of %s failed; the dashboard will compute them live",
                              indicator)
                run(con, f"DELETE FROM {TABLE} WHERE indicator = ?", [indicator])
    return sorted([*gone, *stale])


def refresh_file(path: str | Path, full: bool = False) -> list[str]:
    """:func:`refresh` on a database file no other connection holds (a snapshot about to be published)."""
    with duckdb.connect(str(path)) as con:
        run(con, "SET enable_progress_bar = false")
        recomputed = refresh(con, full=full)
        run(con, "CHECKPOINT")
    return recomputed


def refresh_file_quietly(path: str | Path, drop_on_failure: bool = False) -> None:
    """:func:`refresh_file` for a writer: any failure is logged and the snapshot is published without
    (some of) its stored results, which the dashboard then computes live (rows already stored carry the
    signature of the data they were computed from, so they are never served for other data).
    ``drop_on_failure`` (erasure) removes the table then: no result computed with an erased student's
    rows may stay in the file, even unread."""
    try:
        refresh_file(path)
    except Exception:
        log.exception("storing the standard results of %s failed; the dashboard will compute them live", path)
        if drop_on_failure:
            with duckdb.connect(str(path)) as con:
                run(con, f"DROP TABLE IF EXISTS {TABLE}")


def stored_indicators(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Indicators with stored results ([] for a database written before this table existed)."""
    try:
        return [r[0] for r in con.execute(f"SELECT DISTINCT indicator FROM {TABLE} ORDER BY 1").fetchall()]
    except duckdb.CatalogException:
        return []


def stored_row(con: duckdb.DuckDBPyConnection, key: str) -> tuple | None:
    """(signature, frame bytes, meta, error) stored for request ``key``, or None (none stored, or a database
    written before this table existed)."""
    try:
        found = con.execute(f"SELECT signature, frame, meta, error FROM {TABLE} WHERE request_key = ?",
                            [key]).fetchall()
    except duckdb.CatalogException:
        return None
    return found[0] if found else None


def lookup(con: duckdb.DuckDBPyConnection, key: str, signature: str | None) -> Stored | None:
    """The stored result of request ``key`` if it may be served for data of ``signature`` (the signature of
    its indicator now: ``analysis.precompute.fingerprints.signatures``), else None."""
    if signature is None:
        return None
    return stored_result(stored_row(con, key), signature)
