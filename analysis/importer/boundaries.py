"""Boundary files (GeoJSON or TopoJSON) for the Regiones map, imported like any other file.

Plotly draws GeoJSON, so a TopoJSON topology is decoded here (TopoJSON specification 1.0: quantised,
delta-encoded arcs; negative arc indices ``~i`` are arc ``i`` reversed). Each feature must say which
territory it is: recognised property sets are DANE's MGN (``MPIO_CCNCT`` / ``DPTO_CCDGO``), MINFIN's
Guatemala maps (``id`` = department x 100 + municipality, ``id_depto``), and LabLens' own
(``unit_id`` such as ``CO-76001``, or ``country`` + ``unit_type`` + ``code``). A feature nothing
identifies (e.g. a lake with id 0), a duplicate or one without geometry is rejected with its feature
number, property and reason, like a rejected row. Imports are all-or-nothing snapshots, are listed in
the history and roll back like data imports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from analysis import audit
from analysis.catalog import countries
from analysis.db.connect import StoreError, open_db
from analysis.db.sql import run, scalar
from analysis.importer.errors import AlreadyImported, ImportFailed, file_sha256
from analysis.precompute.publish import writable_snapshot

BOUNDARY_SUFFIXES = (".geojson", ".topojson")
MAX_BOUNDARY_BYTES = 200 * 1024 * 1024
COORD_DECIMALS = 4  # about 11 m: the maps are for territories, and it keeps the shapes sent to browsers small
_TYPE_PATTERN = re.compile(rb'"type"\s*:\s*"(Topology|FeatureCollection)"')


class BoundaryError(ValueError):
    """A boundary file that cannot be used, with a one-line reason."""


class _NotTerritory(ValueError):
    """A feature's key that is not a territory code; the message is the reject reason."""


@dataclasses.dataclass
class StagedBoundaries:
    """A validated boundary file, not yet written: shapes to store, rejects, and a summary."""

    name: str
    sha256: str
    shapes: pd.DataFrame  # country, unit_type, code, name, geojson
    rejects: pd.DataFrame  # row_number, column_name, raw_value, reason
    summary: dict


def is_boundary_file(path: str | Path) -> bool:
    """GeoJSON/TopoJSON by suffix, or a .json whose first 64 KB declare a Topology or FeatureCollection."""
    path = Path(path)
    if path.suffix.lower() in BOUNDARY_SUFFIXES:
        return True
    if path.suffix.lower() != ".json":
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return _TYPE_PATTERN.search(head) is not None


# --- TopoJSON -> GeoJSON ------------------------------------------------------------------------------------

def _decode_arcs(topology: dict) -> list[list[list[float]]]:
    transform = topology.get("transform")
    arcs = topology.get("arcs")
    if not isinstance(arcs, list):
        raise BoundaryError("the TopoJSON has no 'arcs' list")
    if not transform:
        return [[[float(c) for c in p[:2]] for p in arc] for arc in arcs]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    decoded = []
    for arc in arcs:
        x = y = 0
        points = []
        for p in arc:
            x += p[0]
            y += p[1]
            points.append([x * sx + tx, y * sy + ty])
        decoded.append(points)
    return decoded


def _position(topology: dict, p: list) -> list[float]:
    transform = topology.get("transform")
    if not transform:
        return [float(p[0]), float(p[1])]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    return [p[0] * sx + tx, p[1] * sy + ty]


def _line(arcs: list, indices: Iterable[int]) -> list[list[float]]:
    points: list[list[float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def _geometry(topology: dict, arcs: list, geom: dict) -> dict | None:
    kind = geom.get("type")
    if kind is None:
        return None
    if kind == "GeometryCollection":
        return {"type": kind, "geometries": [g for g in (_geometry(topology, arcs, x)
                                                          for x in geom.get("geometries", [])) if g]}
    if kind == "Point":
        return {"type": kind, "coordinates": _position(topology, geom["coordinates"])}
    if kind == "MultiPoint":
        return {"type": kind, "coordinates": [_position(topology, p) for p in geom["coordinates"]]}
    if kind == "LineString":
        return {"type": kind, "coordinates": _line(arcs, geom["arcs"])}
    if kind == "MultiLineString":
        return {"type": kind, "coordinates": [_line(arcs, a) for a in geom["arcs"]]}
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_line(arcs, ring) for ring in geom["arcs"]]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [[_line(arcs, ring) for ring in poly] for poly in geom["arcs"]]}
    raise BoundaryError(f"unknown TopoJSON geometry type '{kind}'")


def topology_to_features(topology: dict) -> list[dict]:
    """Every object of a TopoJSON topology as GeoJSON Features (properties and ids kept)."""
    arcs = _decode_arcs(topology)
    features = []
    for obj in (topology.get("objects") or {}).values():
        members = obj.get("geometries", []) if obj.get("type") == "GeometryCollection" else [obj]
        for geom in members:
            try:
                geometry = _geometry(topology, arcs, geom)
            except (IndexError, KeyError, TypeError) as exc:
                raise BoundaryError(f"the TopoJSON geometry is malformed ({type(exc).__name__}: {exc})") from exc
            feature = {"type": "Feature", "properties": dict(geom.get("properties") or {}), "geometry": geometry}
            if "id" in geom:
                feature["id"] = geom["id"]
            features.append(feature)
    return features


def read_features(path: str | Path) -> list[dict]:
    """GeoJSON Features from a GeoJSON FeatureCollection, Feature, or TopoJSON topology."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BOUNDARY_BYTES:
        raise BoundaryError(f"{path.name} is {size / 1e6:.0f} MB; boundary files are limited to "
                            f"{MAX_BOUNDARY_BYTES / 1e6:.0f} MB (simplify it, e.g. with mapshaper)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BoundaryError(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BoundaryError(f"{path.name}: a boundary file is a GeoJSON or TopoJSON object")
    kind = data.get("type")
    if kind == "Topology":
        return topology_to_features(data)
    if kind == "FeatureCollection" and isinstance(data.get("features"), list):
        return [f for f in data["features"] if isinstance(f, dict)]
    if kind == "Feature":
        return [data]
    raise BoundaryError(f"{path.name}: expected a GeoJSON FeatureCollection or a TopoJSON Topology, found "
                        f"type '{kind}'")


# --- which territory is each feature ------------------------------------------------------------------------

Identify = Callable[[dict], tuple[str, str, str, str | None]]  # props -> (country, unit_type, code, name)


def _int(value: object) -> int:
    """A whole number written as 76001, "76001" or 76001.0 (anything else is not a code)."""
    number = float(str(value).strip())
    if not math.isfinite(number) or number != int(number):
        raise ValueError(value)
    return int(number)


def _dane_municipality(p: dict) -> tuple[str, str, str, str | None]:
    return "CO", "municipality", str(_int(p["MPIO_CCNCT"])).zfill(5), p.get("MPIO_CNMBR")


def _dane_department(p: dict) -> tuple[str, str, str, str | None]:
    return "CO", "department", str(_int(p["DPTO_CCDGO"])).zfill(2), p.get("DPTO_CNMBR")


def _minfin_municipality(p: dict) -> tuple[str, str, str, str | None]:
    code = _int(p["id"])
    if code % 100 == 0 or not 1 <= code // 100 <= 22:
        raise _NotTerritory("not a municipality code (department x 100 + municipality)")
    return "GT", "municipality", f"{code // 100:02d}-{code % 100:02d}", p.get("Municipio")


def _minfin_department(p: dict) -> tuple[str, str, str, str | None]:
    code = _int(p["id"])
    if code % 100 or not 1 <= code // 100 <= 22:
        raise _NotTerritory("not a department code (department x 100)")
    return "GT", "department", f"{code // 100:02d}", p.get("Departamento")


def _lablens(p: dict) -> tuple[str, str, str, str | None]:
    if p.get("unit_id"):
        country, _, code = str(p["unit_id"]).partition("-")
        unit_type = p.get("unit_type") or ("department" if len(code) == 2 else "municipality")
    else:
        country, unit_type, code = str(p["country"]), str(p["unit_type"]), str(p["code"])
    if country not in countries() or unit_type not in ("department", "municipality") or not code:
        raise _NotTerritory("country must be an ISO 3166-1 code (CO, GT, CL, ...) and unit_type department or "
                            "municipality")
    return country, unit_type, code.strip(), p.get("name")


# (name, property that must be present, property that must be absent, identify, key property)
RECOGNISED: tuple[tuple[str, str, str | None, Identify, str], ...] = (
    ("DANE MGN municipalities (MPIO_CCNCT)", "MPIO_CCNCT", None, _dane_municipality, "MPIO_CCNCT"),
    ("DANE MGN departments (DPTO_CCDGO)", "DPTO_CCDGO", "MPIO_CCNCT", _dane_department, "DPTO_CCDGO"),
    ("MINFIN Guatemala municipalities (id, id_depto)", "id_depto", None, _minfin_municipality, "id"),
    ("MINFIN Guatemala departments (id, Departamento)", "Departamento", "Municipio", _minfin_department, "id"),
    ("LabLens (unit_id)", "unit_id", None, _lablens, "unit_id"),
    ("LabLens (country, unit_type, code)", "code", None, _lablens, "code"),
)


def recognise(properties: dict) -> tuple[str, Identify, str] | None:
    """(layout name, identify function, key property) for one feature's properties, or None."""
    for name, needed, absent, identify, key in RECOGNISED:
        if needed in properties and (absent is None or absent not in properties):
            return name, identify, key
    return None


def _round(value):
    """Coordinates rounded to COORD_DECIMALS; points that become equal to their predecessor are dropped
    (rings stay closed and keep at least four points)."""
    if isinstance(value, float):
        return round(value, COORD_DECIMALS)
    if isinstance(value, list) and value and isinstance(value[0], list) and value[0] \
            and isinstance(value[0][0], int | float):
        points = [[round(float(c), COORD_DECIMALS) for c in p[:2]] for p in value]
        kept = [points[0]] + [p for prev, p in itertools.pairwise(points) if p != prev]
        return kept if len(kept) >= 4 or len(points) < 4 else points
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: (_round(v) if k in ("coordinates", "geometries") else v) for k, v in value.items()}
    return value


def stage_boundaries(path: str | Path, name: str | None = None, sha256: str | None = None) -> StagedBoundaries:
    """Read and validate a boundary file (nothing is written)."""
    path = Path(path)
    name = name or path.name
    try:
        features = read_features(path)
    except OSError as exc:
        raise BoundaryError(f"cannot read {name}: {exc}") from exc
    if not features:
        raise BoundaryError(f"{name} has no features")
    shapes, rejects, layouts = [], [], {}
    seen: dict[tuple[str, str, str], int] = {}
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        found = recognise(props)
        if found is None:
            rejects.append((number, None, None, "no property identifies the territory (expected MPIO_CCNCT, "
                            "DPTO_CCDGO, id + id_depto, unit_id, or country + unit_type + code); found: "
                            + ", ".join(map(str, list(props)[:12]))))
            continue
        layout, identify, key = found
        try:
            country, unit_type, code, label = identify(props)
        except (KeyError, TypeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, _NotTerritory) else "not a territory code"
            rejects.append((number, key, None if props.get(key) is None else str(props.get(key)), reason))
            continue
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or not geometry.get("type"):
            rejects.append((number, "geometry", None, "the feature has no geometry"))
            continue
        ident = (country, unit_type, code)
        if ident in seen:
            rejects.append((number, key, str(props.get(key)), f"duplicate of feature {seen[ident]}"))
            continue
        seen[ident] = number
        layouts[layout] = layouts.get(layout, 0) + 1
        shape = {"type": "Feature", "id": f"{country}-{code}", "properties": {"name": label},
                 "geometry": _round(geometry)}
        shapes.append((country, unit_type, code, None if label is None else str(label),
                       json.dumps(shape, ensure_ascii=False, separators=(",", ":"))))
    if not shapes:
        first = rejects[0][3] if rejects else "no usable feature"
        raise BoundaryError(f"{name}: no feature could be used ({first})")
    frame = pd.DataFrame(shapes, columns=["country", "unit_type", "code", "name", "geojson"])
    reject_frame = pd.DataFrame(rejects, columns=["row_number", "column_name", "raw_value", "reason"])
    counts = frame.groupby(["country", "unit_type"]).size()
    summary = {
        "source_name": name, "layout": "boundaries: " + "; ".join(sorted(layouts)),
        "rows_read": len(features), "rows_loaded": len(frame), "rows_rejected": len(reject_frame),
        "territories": [f"{c} {u}: {n}" for (c, u), n in counts.items()],
        "notes": [f"feature {r[0]} rejected: {r[3]}" for r in rejects[:5]],
    }
    return StagedBoundaries(name, sha256 or file_sha256(path), frame, reject_frame, summary)


def matched_units(staged: StagedBoundaries, db_path: str | Path) -> int:
    """How many staged shapes are territories the database already holds (a preview figure)."""
    if not Path(db_path).exists():
        return 0
    con = open_db(db_path)
    try:
        con.register("_shapes", staged.shapes[["country", "unit_type", "code"]])
        return int(scalar(con, """SELECT count(*) FROM _shapes s JOIN units u ON u.country = s.country
            AND u.unit_type = s.unit_type AND u.code = s.code"""))
    finally:
        con.close()


def commit_boundaries(staged: StagedBoundaries, db_path: str | Path, actor: str | None = None) -> dict:
    """Write the shapes into a new snapshot (all or nothing); a newer import's shape wins on the map."""
    summary = dict(staged.summary)
    try:
        with writable_snapshot(db_path) as w:
            previous = w.execute("SELECT import_id FROM target.imports WHERE sha256 = ? AND status = 'active'",
                                 [staged.sha256]).fetchall()
            if previous:
                raise AlreadyImported(previous[0][0])  # leaves the published snapshot untouched
            import_id = scalar(w, "SELECT coalesce(max(import_id), 0) + 1 FROM target.imports")
            w.register("_shapes", staged.shapes)
            run(w, """INSERT INTO target.boundaries (country, unit_type, code, name, geojson, import_id)
                SELECT country, unit_type, code, name, geojson, ? FROM _shapes""", [import_id])
            w.unregister("_shapes")
            if len(staged.rejects):
                w.register("_rejects", staged.rejects)
                run(w, """INSERT INTO target.rejects SELECT ?, row_number, column_name, raw_value, reason
                    FROM _rejects""", [import_id])
                w.unregister("_rejects")
            summary.update(import_id=import_id, status="active",
                           imported_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
            run(w, "INSERT INTO target.imports VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, 'active', ?)",
                [import_id, staged.name, staged.sha256, summary["layout"], summary["rows_read"],
                 summary["rows_loaded"], summary["rows_rejected"], json.dumps(summary, ensure_ascii=False)])
    except AlreadyImported as done:
        summary.update(status="already_imported", import_id=done.import_id, rows_loaded=0)
        summary["notes"] = [*summary["notes"], f"this exact file (same sha256) is import {done.import_id}; "
                            "nothing changed"]
    except StoreError as exc:
        raise ImportFailed(str(exc)) from exc
    if summary.get("status") == "active":
        audit.record(db_path, "import", actor, import_id=summary["import_id"], source_name=staged.name,
                     sha256=staged.sha256, rows_loaded=summary["rows_loaded"])
    return summary


def import_boundaries(path: str | Path, db_path: str | Path, name: str | None = None,
                      actor: str | None = None) -> dict:
    """Stage and commit one boundary file; the summary dict is what the CLI prints."""
    try:
        staged = stage_boundaries(path, name)
    except BoundaryError as exc:
        raise ImportFailed(str(exc)) from exc
    return commit_boundaries(staged, db_path, actor)
