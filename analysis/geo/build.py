"""Build the shipped boundary files (data/geo/) from the official geometry.

``python -m analysis.geo.build [--source DIR] [--out DIR]`` reads DANE's MGN 2018 (Colombia, GeoJSON)
and MINFIN's Guatemala maps (TopoJSON) from ``../shared/data/real/geo/`` (the importer's readers decode
TopoJSON and say which territory each feature is), simplifies the shapes and writes one compact GeoJSON
file per country and level. Same inputs, same bytes: nothing depends on time, order of a dict or
platform.

Simplification is Douglas–Peucker (Douglas & Peucker 1973, Cartographica 10(2):112–122) on planar
longitude/latitude, applied to *shared arcs*, not to whole rings, so that two neighbours keep exactly
the same border (no slivers or gaps; the topology-preserving scheme of TopoJSON and mapshaper): a vertex
where a ring meets a different neighbour set is a junction (Bostock's TopoJSON "join" rule), rings are
cut at junctions, each arc is simplified once with its junctions fixed and reused, reversed if need be,
by every ring that runs along it. A ring with no junction (an island, an enclave) is rotated to its
smallest vertex and simplified as one closed arc. A ring that would collapse below a triangle keeps its
arcs unsimplified. Coordinates are then rounded (3 decimals, about 110 m) and repeated points dropped.
Not handled (topology-naive beyond shared vertices): a simplified arc crossing another arc; at these
tolerances on these inputs the maps show none.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from analysis.importer.boundaries import read_features, recognise

Point = tuple[float, float]

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "data" / "real" / "geo"
OUT = ROOT / "data" / "geo"
DECIMALS = 3
SNAP = 7  # decimals to which source vertices are snapped before junctions are found (about 1 cm)

#: output file -> (source file, country, unit_type, Douglas–Peucker tolerance in degrees, edition)
LAYERS: dict[str, tuple[str, str, str, float, str]] = {
    "co_departments.geojson": ("co_2018_MGN_DPTO_POLITICO.geojson", "CO", "department", 0.004,
                               "DANE MGN 2018"),
    "co_municipalities.geojson": ("co_2018_MGN_MPIO_POLITICO.geojson", "CO", "municipality", 0.004,
                                  "DANE MGN 2018"),
    "gt_departments.geojson": ("guatemala_deptos.topo.json", "GT", "department", 0.003,
                               "MINFIN Mapas-TopoJSON-Guatemala"),
    "gt_municipalities.geojson": ("guatemala_munis.topo.json", "GT", "municipality", 0.003,
                                  "MINFIN Mapas-TopoJSON-Guatemala"),
}


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices kept by Douglas–Peucker on an open polyline (both ends always kept); iterative, vectorised
    distances to the chord (to the end point when the chord has zero length, as in a closed arc)."""
    n = len(points)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[a + 1:b]
        start, end = points[a], points[b]
        dx, dy = end - start
        length = float(np.hypot(dx, dy))
        if length == 0.0:
            dist = np.hypot(seg[:, 0] - start[0], seg[:, 1] - start[1])
        else:
            dist = np.abs(dx * (seg[:, 1] - start[1]) - dy * (seg[:, 0] - start[0])) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            k = a + 1 + i
            keep[k] = True
            stack.append((a, k))
            stack.append((k, b))
    return np.flatnonzero(keep)


def _rings(geometry: dict) -> list[list[list[Point]]]:
    """Polygons as lists of open rings (closing point removed), vertices snapped to SNAP decimals."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    out = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            pts = [(round(float(p[0]), SNAP), round(float(p[1]), SNAP)) for p in ring]
            pts = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
            if len(pts) > 1 and pts[0] == pts[-1]:
                pts.pop()
            if len(pts) >= 3:
                rings.append(pts)
        if rings:
            out.append(rings)
    return out


def _junctions(rings: Iterable[list[Point]]) -> set[Point]:
    """Vertices met with different neighbours in different places: where a shared border starts or ends."""
    seen: dict[Point, frozenset] = {}
    junctions: set[Point] = set()
    for ring in rings:
        n = len(ring)
        for i, p in enumerate(ring):
            pair = frozenset((ring[i - 1], ring[(i + 1) % n]))
            if p in seen and seen[p] != pair:
                junctions.add(p)
            seen.setdefault(p, pair)
    return junctions


class _Arcs:
    """Each arc simplified once, in a canonical direction, and shared by every ring running along it."""

    def __init__(self, tolerance: float) -> None:
        self.tolerance = tolerance
        self.done: dict[tuple[Point, ...], list[Point]] = {}
        self.unsimplified: set[tuple[Point, ...]] = set()

    def simplify(self, arc: Sequence[Point]) -> list[Point]:
        forward = tuple(arc)
        backward = forward[::-1]
        key = min(forward, backward)
        if key not in self.done:
            tol = 0.0 if key in self.unsimplified else self.tolerance
            keep = douglas_peucker(np.asarray(key, dtype=float), tol)
            self.done[key] = [key[i] for i in keep]
        out = self.done[key]
        return list(out) if key == forward else out[::-1]

    def keep_whole(self, arcs: Iterable[Sequence[Point]]) -> None:
        for arc in arcs:
            key = min(tuple(arc), tuple(arc)[::-1])
            self.unsimplified.add(key)
            self.done.pop(key, None)


def _split(ring: list[Point], junctions: set[Point]) -> list[list[Point]]:
    """A ring cut into arcs at its junctions (each arc holds both ends); a ring with none becomes one
    closed arc starting at its smallest vertex, in its lexicographically smaller direction."""
    cuts = [i for i, p in enumerate(ring) if p in junctions]
    if not cuts:
        i = ring.index(min(ring))
        rotated = ring[i:] + ring[:i]
        reverse = [rotated[0], *rotated[:0:-1]]
        return [[*min(rotated, reverse), rotated[0]]]
    rotated = ring[cuts[0]:] + ring[:cuts[0]] + [ring[cuts[0]]]
    marks = [i for i, p in enumerate(rotated) if p in junctions]
    return [rotated[a:b + 1] for a, b in itertools.pairwise(marks)]


def _join(parts: list[list[Point]]) -> list[Point]:
    ring = list(parts[0])
    for part in parts[1:]:
        ring.extend(part[1:])
    return ring


def _rounded(ring: list[Point]) -> list[list[float]]:
    pts = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring]
    return [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]


def simplify_layer(shapes: list[tuple[str, list[list[list[Point]]]]], tolerance: float) -> dict[str, list]:
    """code -> MultiPolygon coordinates, simplified along shared arcs and rounded."""
    junctions = _junctions(r for _, polygons in shapes for poly in polygons for r in poly)
    arcs = _Arcs(tolerance)
    split = {code: [[_split(r, junctions) for r in poly] for poly in polygons] for code, polygons in shapes}
    while True:
        out: dict[str, list] = {}
        collapsed: list[list[Point]] = []
        for code, polygons in split.items():
            polys = []
            for poly in polygons:
                rings = []
                for parts in poly:
                    ring = _rounded(_join([arcs.simplify(a) for a in parts]))
                    if len({tuple(p) for p in ring}) < 3:
                        collapsed.extend(parts)
                    rings.append(ring)
                polys.append(rings)
            out[code] = polys
        fresh = [a for a in collapsed if min(tuple(a), tuple(a)[::-1]) not in arcs.unsimplified]
        if not fresh:
            return out
        arcs.keep_whole(fresh)


def build_layer(source: Path, country: str, unit_type: str, tolerance: float, edition: str) -> bytes:
    """One output file's bytes: a FeatureCollection sorted by code, one feature per line."""
    shapes, names = [], {}
    for feature in read_features(source):
        props = feature.get("properties") or {}
        found = recognise(props)
        if found is None:
            continue
        try:
            c, u, code, name = found[1](props)
        except (KeyError, TypeError, ValueError):
            continue  # MINFIN's lakes (id 0) and Belize: not territories
        if (c, u) != (country, unit_type) or code in names:
            continue
        names[code] = None if name is None else str(name).strip()
        shapes.append((code, _rings(feature.get("geometry") or {})))
    shapes.sort()
    coords = simplify_layer(shapes, tolerance)
    lines = []
    for code, _ in shapes:
        polys = [[ring for ring in poly if len(ring) >= 4] for poly in coords[code]]
        polys = [[[*ring, ring[0]] if ring[0] != ring[-1] else ring for ring in poly] for poly in polys if poly]
        geometry = ({"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1
                    else {"type": "MultiPolygon", "coordinates": polys})
        feature = {"type": "Feature", "id": f"{country}-{code}",
                   "properties": {"country": country, "unit_type": unit_type, "code": code, "name": names[code]},
                   "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection",
                       "metadata": {"source": f"{edition}: {source.name}", "country": country, "unit_type": unit_type,
                                    "douglas_peucker_degrees": tolerance, "decimals": DECIMALS}},
                      ensure_ascii=False, separators=(",", ":"))[:-1]
    return (head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def build(source: Path = SOURCE, out: Path = OUT, layers: dict | None = None) -> dict[str, int]:
    """Write every layer's file into ``out``; returns file name -> bytes written."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, (src, country, unit_type, tolerance, edition) in (layers or LAYERS).items():
        data = build_layer(source / src, country, unit_type, tolerance, edition)
        (out / name).write_bytes(data)
        sizes[name] = len(data)
    return sizes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m analysis.geo.build", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder of the official files")
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write into (data/geo)")
    args = parser.parse_args(argv)
    missing = [src for src, *_ in LAYERS.values() if not (args.source / src).is_file()]
    if missing:
        parser.exit(2, f"not found in {args.source}: {', '.join(missing)} (see data/geo/README.md, "
                       "\"Where the inputs come from\")\n")
    for name, size in build(args.source, args.out).items():
        print(f"{name}: {size:,} bytes")


if __name__ == "__main__":
    main()
