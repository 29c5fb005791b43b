"""The indicator codes a user can map a column to: `python -m analysis indicators [--json]`.

The shipped catalogue (analysis/catalog.py) plus the indicators earlier mapping imports defined in the
database, with kind, range, direction and labels (DESIGN.md, "Canonical indicator codes").
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.catalog import INDICATORS

COLUMNS = ("code", "domain", "kind", "unit", "min_value", "max_value", "higher_is_better", "label_es", "label_en",
           "source")


def indicator_listing(db_path: str | os.PathLike | None = None) -> list[dict]:
    """Every indicator code: the catalogue's, then the database's own (source 'catalogue' or 'database')."""
    rows = [{"code": i.code, "domain": i.domain, "kind": i.kind, "unit": i.unit, "min_value": i.min_value,
             "max_value": i.max_value, "higher_is_better": i.higher_is_better, "label_es": i.label_es,
             "label_en": i.label_en, "source": "catalogue"} for i in INDICATORS]
    if db_path is not None and Path(db_path).exists():
        from analysis.db.connect import open_db

        known = {r["code"] for r in rows}
        con = open_db(db_path)
        try:
            stored = con.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM indicators ORDER BY code").fetchall()
        finally:
            con.close()
        rows += [dict(zip(COLUMNS, (*r, "database"), strict=True)) for r in stored if r[0] not in known]
    return rows


def _range(row: dict) -> str:
    low, high = row["min_value"], row["max_value"]
    if low is None and high is None:
        return "-"
    return f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"


def format_listing(rows: list[dict]) -> str:
    """A plain-text table: code, kind, range, direction, English label."""
    direction = {True: "higher better", False: "lower better", None: "-"}
    table = [("code", "kind", "range", "direction", "label")] + [
        (r["code"], r["kind"], _range(r), direction[r["higher_is_better"]], r["label_en"]) for r in rows]
    widths = [max(len(str(t[i])) for t in table) for i in range(4)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(t[:4], widths, strict=True)) + "  " + t[4]
                     for t in table)
