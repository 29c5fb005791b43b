"""The boundaries shipped in data/geo/ (built by ``python -m analysis.geo.build``), and how they combine
with imported ones: an imported shape wins for its territory, a shipped shape fills every territory no
import covers, so the map needs no import for Colombia and Guatemala and a user's file (another country,
a newer edition) still takes precedence.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd

GEO_DIR = Path(__file__).resolve().parents[2] / "data" / "geo"
LEVELS = ("department", "municipality")
COLUMNS = ["country", "unit_type", "code", "location", "name", "in_units", "shipped", "geojson"]


def files(level: str) -> list[Path]:
    """The shipped files of one level (``*_departments.geojson`` or ``*_municipalities.geojson``)."""
    suffix = {"department": "departments", "municipality": "municipalities"}.get(level)
    return sorted(GEO_DIR.glob(f"*_{suffix}.geojson")) if suffix else []


@functools.lru_cache(maxsize=4)
def shapes(level: str) -> pd.DataFrame:
    """country, unit_type, code, location ('CO-76001'), name, geojson (one Feature as JSON text) of every
    shipped territory of ``level``; empty for other levels (education authorities have no boundaries).
    Read once per process: the files are part of the code, not of the data."""
    rows = []
    for path in files(level):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            p = feature["properties"]
            rows.append((p["country"], p["unit_type"], p["code"], f"{p['country']}-{p['code']}", p.get("name"),
                         json.dumps(feature, ensure_ascii=False, separators=(",", ":"))))
    return pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("in_units", "shipped")])


def combine(imported: pd.DataFrame, level: str, units: pd.DataFrame) -> pd.DataFrame:
    """The shapes to draw at ``level``: every imported one (BOUNDARIES_SQL's columns), plus the shipped
    shape of each territory no import covers, named as the database's ``units`` (country, code, name of
    this level) name it; ``in_units`` marks territories the database holds, ``shipped`` the shapes that
    come from data/geo/."""
    shipped = shapes(level)
    imported = imported.assign(shipped=False)
    if shipped.empty:
        return imported.reindex(columns=COLUMNS)
    taken = set(imported["location"]) if len(imported) else set()
    extra = shipped[~shipped["location"].isin(taken)].copy()
    known = {f"{c}-{k}": n for c, k, n in zip(units["country"], units["code"], units["name"], strict=True)}
    extra["in_units"] = extra["location"].isin(known.keys())
    extra["shipped"] = True
    extra["name"] = [known.get(loc) or name or code
                     for loc, name, code in zip(extra["location"], extra["name"], extra["code"], strict=True)]
    parts = [p.reindex(columns=COLUMNS) for p in (imported, extra) if len(p)]
    if not parts:
        return extra.reindex(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["country", "code"], ignore_index=True)
