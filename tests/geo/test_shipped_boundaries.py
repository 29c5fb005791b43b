"""Shipped boundaries (data/geo/, built by analysis.geo.build): they load, cover every territory code of
the demo and of the official code lists, are reproducible byte for byte, keep shared borders shared,
and an import replaces them."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd

from analysis import queries, unit_figures
from analysis.demo.places import GT_MUNICIPALITIES, VALLE_PLACES
from analysis.geo import build, shipped
from tests.conftest import ROOT, require_real_data

PAYLOAD_BUDGET = 1_500_000  # bytes of the plotly figure the browser receives
COUNTS = {("CO", "department"): 33, ("CO", "municipality"): 1122, ("GT", "department"): 22,
          ("GT", "municipality"): 340}
BOXES = {"CO": (-82.0, -66.8, -4.3, 13.5), "GT": (-92.3, -88.2, 13.7, 17.9)}  # lon min/max, lat min/max


def _rings(geometry: dict) -> list[list[list[float]]]:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for poly in polys for ring in poly]


def test_shipped_files_load_with_codes_and_valid_rings():
    for level in shipped.LEVELS:
        frame = shipped.shapes(level)
        counts = frame.groupby("country").size().to_dict()
        assert counts == {c: n for (c, lvl), n in COUNTS.items() if lvl == level}
        assert frame["location"].is_unique and frame["name"].notna().all()
        for row in frame.itertuples():
            feature = json.loads(row.geojson)
            assert feature["id"] == row.location == f"{row.country}-{row.code}"
            x0, x1, y0, y1 = BOXES[row.country]
            for ring in _rings(feature["geometry"]):
                pts = np.asarray(ring)
                assert len(ring) >= 4 and ring[0] == ring[-1]
                assert (pts[:, 0] >= x0).all() and (pts[:, 0] <= x1).all()
                assert (pts[:, 1] >= y0).all() and (pts[:, 1] <= y1).all()
                assert np.array_equal(pts, np.round(pts, build.DECIMALS))
    assert shipped.shapes("authority").empty
    total = sum(p.stat().st_size for p in (ROOT / "data" / "geo").glob("*.geojson"))
    assert total < 1_000_000  # the repository stays small (765 KB when written)


def test_every_demo_and_official_territory_code_has_a_shape():
    munis = shipped.shapes("municipality")
    depts = shipped.shapes("department")
    have_m, have_d = set(munis["location"]), set(depts["location"])
    # the demo database's territories (analysis/demo: Valle's 42 municipalities, Guatemala's 22
    # departments and 19 municipalities)
    assert {f"CO-{c}" for c in VALLE_PLACES} <= have_m and "CO-76" in have_d
    assert {f"GT-{c}" for c in GT_MUNICIPALITIES} <= have_m
    assert {f"GT-{d:02d}" for d in range(1, 23)} == {x for x in have_d if x.startswith("GT-")}
    # DANE's DIVIPOLA list shipped with the importer: all 1,122 municipalities and 33 departments
    with open(ROOT / "analysis" / "reference" / "co_municipalities.csv", encoding="utf-8") as handle:
        divipola = list(csv.DictReader(handle))
    assert len(divipola) == 1122
    assert {f"CO-{r['code']}" for r in divipola} == {x for x in have_m if x.startswith("CO-")}
    assert {f"CO-{r['department_code']}" for r in divipola} == {x for x in have_d if x.startswith("CO-")}


def test_every_mineduc_municipality_has_a_shape():
    path = require_real_data() / "guatemala" / "mineduc_establecimientos_diversificado_raw_noPII.csv"
    codes = pd.read_csv(path, dtype=str, usecols=["CODIGO"])["CODIGO"].dropna().str.strip()
    codes = codes[codes.str.match(r"^\d\d-\d\d-")].str[:5]
    # '00-ZZ' are Guatemala City's zones (CIUDAD CAPITAL), which the importer files under 01-01
    municipal = set(codes[~codes.str.startswith("00-")]) | {"01-01"}
    assert len(municipal) == 336
    have = set(shipped.shapes("municipality")["code"])
    assert municipal - have == set()


def _squares() -> dict:
    """Two unit squares side by side whose shared border wiggles by 0.001 (below tolerance) and whose
    outer side carries a 0.3 bump (above it), on a 2 x 1 rectangle whose top edge passes straight through
    the point (1, 0) where all three meet."""
    shared = [[1.0, 0.0], [1.001, 0.25], [0.999, 0.5], [1.001, 0.75], [1.0, 1.0]]
    left = [[0.0, 0.0], *shared, [0.0, 1.0], [-0.3, 0.5], [0.0, 0.0]]
    right = [[1.0, 0.0], [2.0, 0.0], [2.0, 0.5], [2.0, 1.0], *shared[::-1]]
    below = [[0.0, 0.0], [0.0, -1.0], [2.0, -1.0], [2.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
    feats = [{"type": "Feature", "properties": {"unit_id": uid, "name": uid},
              "geometry": {"type": "Polygon", "coordinates": [ring]}}
             for uid, ring in (("CO-05", left), ("CO-08", right), ("CO-11", below))]
    return {"type": "FeatureCollection", "features": feats}


def _from_smallest(ring: list) -> list:
    """A closed ring restarted at its smallest vertex (the build starts rings at a junction)."""
    body = ring[:-1]
    i = body.index(min(body))
    return [*body[i:], *body[:i], body[i]]


def test_build_is_deterministic_and_keeps_shared_borders_shared(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "two.geojson").write_text(json.dumps(_squares()), encoding="utf-8")
    layers = {"co_departments.geojson": ("two.geojson", "CO", "department", 0.01, "test")}
    build.build(tmp_path / "src", tmp_path / "a", layers)
    build.build(tmp_path / "src", tmp_path / "b", layers)
    first = (tmp_path / "a" / "co_departments.geojson").read_bytes()
    assert first == (tmp_path / "b" / "co_departments.geojson").read_bytes()
    feats = {f["id"]: _from_smallest(f["geometry"]["coordinates"][0]) for f in json.loads(first)["features"]}
    # the wiggle (0.001 < 0.01) is gone from both neighbours alike; the bump (0.3) and the corner stay
    assert feats["CO-05"] == [[-0.3, 0.5], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [-0.3, 0.5]]
    assert feats["CO-08"] == [[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.0]]
    # (1, 0) is collinear on the rectangle's top edge, so a ring-by-ring simplification would drop it and
    # the rectangle would no longer share edges with the squares; as a junction it stays
    assert feats["CO-11"] == [[0.0, -1.0], [2.0, -1.0], [2.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, -1.0]]


def test_douglas_peucker_against_hand_computed_cases():
    line = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 0.0]])
    assert build.douglas_peucker(line, 0.4).tolist() == [0, 1, 2]  # 0.5 from the chord: kept
    assert build.douglas_peucker(line, 0.6).tolist() == [0, 2]
    # Douglas & Peucker's recursion: the farthest point (3, 2) splits first, then (1, 0.3) is 0.3 from
    # the chord (0,0)-(3,2) -> |2*1 - 3*0.3| / sqrt(13) = 0.305 > 0.3, kept; (4, 2.1) is 0.1 off: dropped
    path = np.array([[0.0, 0.0], [1.0, 0.3], [3.0, 2.0], [4.0, 2.1], [5.0, 2.0]])
    assert build.douglas_peucker(path, 0.3).tolist() == [0, 1, 2, 4]


def test_committed_files_are_what_the_script_writes(tmp_path):
    source = require_real_data() / "geo"
    build.build(source, tmp_path)
    for name in build.LAYERS:
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / "geo" / name).read_bytes(), name


def test_an_imported_shape_replaces_the_shipped_one():
    square = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}
    imported = pd.DataFrame({"country": ["CO", "CL"], "unit_type": ["department"] * 2, "code": ["76", "13"],
                             "location": ["CO-76", "CL-13"], "name": ["Valle del Cauca", "Santiago"],
                             "in_units": [True, False], "geojson": [json.dumps(square)] * 2})
    units = pd.DataFrame({"country": ["GT"], "code": ["16"], "name": ["Alta Verapaz"]})
    shapes = shipped.combine(imported, "department", units).set_index("location")
    assert len(shapes) == 33 + 22 + 1  # Chile's region added, Valle replaced, not doubled
    assert shapes.loc["CO-76", "geojson"] == json.dumps(square) and not shapes.loc["CO-76", "shipped"]
    assert shapes.loc["CO-05", "shipped"] and shapes.loc["CO-05", "name"] == "ANTIOQUIA"
    assert shapes.loc["GT-16", "in_units"] and shapes.loc["GT-16", "name"] == "Alta Verapaz"
    assert not shapes.loc["GT-17", "in_units"]
    nothing = shipped.combine(imported.iloc[:0], "department", units.iloc[:0])
    assert len(nothing) == 55 and nothing["shipped"].all()


def test_map_payload_of_every_colombian_municipality_stays_under_budget():
    """The largest view: a result in every municipality of Colombia, each drawn as its own coloured
    shape with a hover text (1,122 shapes, about 0.72 MB; all of Guatemala's 340 take about 0.33 MB)."""
    country = "CO"
    shapes = shipped.combine(pd.DataFrame(columns=shipped.COLUMNS), "municipality",
                             pd.DataFrame(columns=["country", "code", "name"]))
    shapes = shapes[shapes["country"] == country]
    rng = np.random.default_rng(1)
    values = pd.DataFrame({"location": shapes["location"], "country": country,
                           "effect": rng.normal(0, 0.2, len(shapes)), "reliability": "ok",
                           "hover": [f"<b>{n}</b> · MiLab<br>g = 0,12 (IC 95 %: −0,05 a 0,29)<br>Evidencia: "
                                     "moderada" for n in shapes["name"]]})
    context = queries.map_context(shapes, values["location"], "municipality")
    fig = unit_figures.territory_map(context, values, {"colorbar": "g"}, "es")
    coloured = [d for d in fig.data if d.meta]
    assert len(coloured) == len(shapes)
    assert len(fig.to_json()) < PAYLOAD_BUDGET
