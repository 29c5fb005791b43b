"""What an evidence table holds (:class:`EvidenceRequest`) and what the pack says about the database
(:class:`PackContext`, :func:`load_context`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from analysis.db.connect import cursor
from analysis.disclosure import MIN_CELL

# --- queries (bound parameters only) ---------------------------------------------------------------------

# a mapped import names the mapping it was read with (its sha256, and its text in the provenance)
IMPORTS_SQL = """SELECT import_id, source_name, sha256, recognized_as, status, rows_loaded, imported_at,
       json_extract_string(summary_json, '$.mapping_sha256') AS mapping_sha256,
       json_extract_string(summary_json, '$.mapping') AS mapping
FROM imports ORDER BY import_id"""
INDICATORS_SQL = """SELECT code, domain, kind, unit, higher_is_better, min_value, max_value, label_es, label_en
FROM indicators ORDER BY code"""
META_SQL = "SELECT key, value FROM meta ORDER BY key"
ASSIGNMENTS_SQL = """SELECT assignment_id, status, record_json FROM pilot_assignments WHERE status = 'active'
ORDER BY assignment_id"""


class ExportError(ValueError):
    """An export that cannot be written, with a one-line reason."""


@dataclass(frozen=True)
class EvidenceRequest:
    """What the evidence table holds: indicators x design x grouping, and compare()'s parameters.

    ``calls`` lists the exact compare() keyword arguments when they differ per programme (the Evidencia
    page aligns yearly indicators on each programme's windows); empty means one call per indicator
    with the request's own filters. ``command`` says how it was asked (a command line, or a page and its
    filters) and goes into provenance.json.
    """

    indicators: tuple[str, ...]
    design: str = "did"
    by: tuple[str, ...] = ()
    program: str | None = None
    pre: str | None = None
    post: str | None = None
    level: str = "all"
    min_cell: int = MIN_CELL
    weighted: bool = False
    icc: float | None = None
    conf_level: float = 0.95
    command: str = ""
    calls: tuple[Mapping, ...] = field(default=())

    def compare_calls(self) -> list[dict]:
        """The compare() keyword arguments of every call, in table order."""
        if self.calls:
            return [dict(c) for c in self.calls]
        return [{"indicator": code, "design": self.design, "by": list(self.by) or None, "program": self.program,
                 "pre": self.pre, "post": self.post, "level": self.level, "min_cell": self.min_cell,
                 "weighted": self.weighted, "conf_level": self.conf_level, "icc": self.icc}
                for code in self.indicators]

    def filters(self) -> dict:
        """The request as plain JSON-able values (provenance, methods)."""
        out = asdict(self)
        out.pop("calls")
        out.pop("command")
        out["indicators"], out["by"] = list(self.indicators), list(self.by)
        return out


@dataclass
class PackContext:
    """What the pack says about the database: imports (with sha256), indicator catalogue, meta, file name."""

    imports: pd.DataFrame
    indicators: pd.DataFrame
    meta: dict[str, str]
    database: str
    assignments: list[dict] = field(default_factory=list)  # registered random assignments (active)
    url: str = ""  # the view the pack was made from (the dashboard's address), for the citation
    licence: str = "CC-BY-4.0"  # SPDX id chosen by the user (analysis.evidence.cite.LICENCES)
    author: str = ""  # who publishes the evidence; LabLens when empty
    title: str = ""
    #: further tables the pack carries as CSV (analysis.evidence.implementation: implementation.csv, ...)
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def demo(self) -> bool:
        return self.meta.get("demo") == "true"


def assignment_records(frame: pd.DataFrame) -> list[dict]:
    """Rows of ASSIGNMENTS_SQL as the pack records them: id, status and the assignment record."""
    return [{"assignment_id": int(r.assignment_id), "status": r.status, "record": json.loads(r.record_json)}
            for r in frame.itertuples(index=False)]


def load_context(con: duckdb.DuckDBPyConnection, database: str) -> PackContext:
    """Imports, indicators and meta of an open database (read-only queries on a fresh cursor)."""
    cur = cursor(con)  # one cursor per use: connections are shared across threads (docs/STACK_NOTES.md)
    try:
        meta = dict(cur.execute(META_SQL).fetchall())
        try:
            assignments = assignment_records(cur.execute(ASSIGNMENTS_SQL).df())
        except duckdb.CatalogException:  # a database made before registered assignments existed
            assignments = []
        return PackContext(cur.execute(IMPORTS_SQL).df(), cur.execute(INDICATORS_SQL).df(), meta, database,
                           assignments)
    finally:
        cur.close()
