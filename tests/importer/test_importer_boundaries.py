"""Boundary files (GeoJSON, TopoJSON) for the Regiones map, against the real files in shared/data/real/geo."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import require_real_data
from importer_helpers import sha256

from analysis.demo import build_demo
from analysis.importer.boundaries import (
    BoundaryError,
    is_boundary_file,
    read_features,
    stage_boundaries,
    topology_to_features,
)
from analysis.importer.errors import ImportFailed
from analysis.importer.history import rollback
from analysis.importer.pipeline import import_file


def _bbox(geometry: dict) -> tuple[float, float, float, float]:
    xs, ys = [], []

    def walk(value):
        if isinstance(value[0], int | float):
            xs.append(value[0])
            ys.append(value[1])
        else:
            for v in value:
                walk(v)

    walk(geometry["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def test_topojson_decoding_follows_the_specification():
    """The TopoJSON 1.0 specification's own example: quantised, delta-encoded arcs and a reversed arc."""
    topology = {
        "type": "Topology", "transform": {"scale": [0.5, 0.25], "translate": [100, 10]},
        "arcs": [[[0, 0], [2, 0], [0, 4]], [[2, 4], [-2, 0], [0, -4]]],
        "objects": {"shapes": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "properties": {"code": "1"}},
            {"type": "LineString", "arcs": [~0], "id": 7},
            {"type": "Point", "coordinates": [4, 8]},
            {"type": None},
        ]}},
    }
    polygon, line, point, empty = topology_to_features(topology)
    # arc 0: (0,0) (2,0) (2,4) -> (100,10) (101,10) (101,11); arc 1 continues back to the start
    assert polygon["geometry"]["coordinates"] == [[[100, 10], [101, 10], [101, 11], [100, 11], [100, 10]]]
    assert polygon["properties"] == {"code": "1"}
    assert line["geometry"]["coordinates"] == [[101, 11], [101, 10], [100, 10]] and line["id"] == 7
    assert point["geometry"] == {"type": "Point", "coordinates": [102, 12]}
    assert empty["geometry"] is None


@pytest.mark.parametrize(("name", "counts", "rejected"), [
    ("co_2018_MGN_DPTO_POLITICO.geojson", {("CO", "department"): 33}, 0),
    ("co_2018_MGN_MPIO_POLITICO.geojson", {("CO", "municipality"): 1122}, 0),
    ("colombia_2018_simplified.topojson", {("CO", "department"): 33, ("CO", "municipality"): 1122}, 0),
    ("guatemala_deptos.topo.json", {("GT", "department"): 22}, 0),
    # two lakes (id 0) and Belize (id 4000) are not Guatemalan municipalities
    ("guatemala_munis.topo.json", {("GT", "municipality"): 340}, 3),
])
def test_real_boundary_files_are_recognised(name, counts, rejected):
    path = require_real_data() / "geo" / name
    assert is_boundary_file(path)
    staged = stage_boundaries(path)
    got = staged.shapes.groupby(["country", "unit_type"]).size().to_dict()
    assert got == counts
    assert len(staged.rejects) == rejected and staged.shapes["code"].is_unique
    if rejected:
        assert set(staged.rejects["raw_value"]) == {"0", "4000"}
        assert set(staged.rejects["reason"]) == {"not a municipality code (department x 100 + municipality)"}


def test_codes_and_shapes_match_the_official_references():
    """Codes follow DANE and MINEDUC; decoded TopoJSON lands where DANE's GeoJSON puts the same place."""
    geo = require_real_data() / "geo"
    co = stage_boundaries(geo / "colombia_2018_simplified.topojson").shapes.set_index(["unit_type", "code"])
    assert co.loc[("municipality", "76001"), "name"] == "CALI"
    assert co.loc[("department", "76"), "name"] == "VALLE DEL CAUCA"
    dane = {f["properties"]["DPTO_CCDGO"]: f for f in read_features(geo / "co_2018_MGN_DPTO_POLITICO.geojson")}
    for code in ("76", "05", "91"):
        topo_box = _bbox(json.loads(co.loc[("department", code), "geojson"])["geometry"])
        dane_box = _bbox(dane[code]["geometry"])
        assert topo_box == pytest.approx(dane_box, abs=0.05), code
    gt = stage_boundaries(geo / "guatemala_munis.topo.json").shapes.set_index("code")
    assert gt.loc["01-01", "name"] == "Guatemala" and gt.loc["07-19", "name"] == "Santiago Atitlán"
    west, south, east, north = _bbox(json.loads(gt.loc["01-01", "geojson"])["geometry"])
    assert -90.7 < west < east < -90.3 and 14.4 < south < north < 14.8  # Guatemala City
    # coordinates are stored rounded to 4 decimals (about 11 m)
    ring = json.loads(gt.loc["01-01", "geojson"])["geometry"]["coordinates"][0]
    assert all(round(x, 4) == x and round(y, 4) == y for x, y in ring)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "lablens.duckdb"
    build_demo(path, students=400, seed=3)
    return path


def test_import_is_listed_deduplicated_and_rolled_back(db):
    path = require_real_data() / "geo" / "guatemala_munis.topo.json"
    summary = import_file(path, db)
    assert summary["status"] == "active" and summary["rows_loaded"] == 340 and summary["rows_rejected"] == 3
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT source_name, sha256, rows_read, rows_loaded, rows_rejected FROM imports "
                          "WHERE import_id = ?", [summary["import_id"]]).fetchall()[0]
        assert row == ("guatemala_munis.topo.json", sha256(path), 343, 340, 3)
        rejects = con.execute("SELECT row_number, column_name, raw_value FROM rejects WHERE import_id = ? "
                              "ORDER BY row_number", [summary["import_id"]]).fetchall()
        assert rejects == [(1, "id", "0"), (2, "id", "0"), (343, "id", "4000")]
        # every demo municipality of Guatemala has its shape
        missing = con.execute("""SELECT count(*) FROM units u WHERE country = 'GT' AND unit_type = 'municipality'
            AND NOT EXISTS (SELECT 1 FROM boundaries b WHERE b.country = u.country AND b.code = u.code)""").fetchall()
        assert missing == [(0,)]
    finally:
        con.close()
    before = sha256(db)
    again = import_file(path, db)
    assert again["status"] == "already_imported" and sha256(db) == before
    rollback(db, summary["import_id"])
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM boundaries").fetchall() == [(0,)]
    finally:
        con.close()


@pytest.mark.parametrize(("text", "reason"), [
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"nombre": "x"}, '
     '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}', "no property identifies the territory"),
    ('{"type": "FeatureCollection", "features": []}', "has no features"),
    ('{"type": "Topology", "objects": {}}', "no 'arcs' list"),
    ('{"type": "Topology", "arcs": [], "objects": {"o": {"type": "GeometryCollection", "geometries": '
     '[{"type": "Polygon", "arcs": [[5]], "properties": {"unit_id": "CO-76"}}]}}}', "malformed"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"unit_id": "CO-76"}, '
     '"geometry": null}]}', "no geometry"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"MPIO_CCNCT": "=1+1"}, '
     '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}', "not a territory code"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"MPIO_CCNCT": "Infinity"}, '
     '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}', "not a territory code"),
    ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
])
def test_bad_boundary_files_fail_with_a_reason_and_change_nothing(db, tmp_path, text, reason):
    path = tmp_path / "bad.geojson"
    path.write_text(text, encoding="utf-8")
    before = sha256(db)
    with pytest.raises(ImportFailed, match=reason):
        import_file(path, db)
    assert sha256(db) == before


def test_duplicate_features_are_rejected_with_the_first_feature_named(tmp_path):
    point = {"type": "Point", "coordinates": [-76.5, 3.4]}
    features = [{"type": "Feature", "properties": {"unit_id": "CO-76001", "name": n}, "geometry": point}
                for n in ("Cali", "Cali again")]
    path = tmp_path / "dup.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    staged = stage_boundaries(path)
    assert list(staged.shapes["code"]) == ["76001"] and list(staged.shapes["unit_type"]) == ["municipality"]
    assert staged.rejects.to_dict("records") == [
        {"row_number": 2, "column_name": "unit_id", "raw_value": "CO-76001", "reason": "duplicate of feature 1"}]


def test_boundary_sniffing_does_not_claim_other_json(tmp_path):
    siya = tmp_path / "siya.json"
    siya.write_text('{"2019": [["76001", 3.2]]}', encoding="utf-8")
    assert not is_boundary_file(siya)
    with pytest.raises(BoundaryError, match="expected a GeoJSON FeatureCollection"):
        read_features(siya)
