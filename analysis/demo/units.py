"""Units: the Valle and Guatemalan places and the invented schools, their programme assignments and
attributes."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from analysis.catalog import GT_DEPARTMENTS, VALLE_MUNICIPALITIES, co_authority, unit_id
from analysis.demo.params import IMPORT_ID
from analysis.demo.places import GT_MUNICIPALITIES, VALLE_PLACES


def insert_units(con: duckdb.DuckDBPyConnection, lay: dict) -> tuple[int, int]:
    cols = ("unit_id", "country", "unit_type", "code", "name", "parent_id", "department",
            "municipality", "authority", "zone", "lat", "lon")
    rows: list[tuple] = [("CO-76", "CO", "department", "76", "Valle del Cauca", None, "Valle del Cauca",
                          None, None, None, 3.86, -76.52)]
    for code in sorted(VALLE_MUNICIPALITIES):
        lat, lon, _pop = VALLE_PLACES[code]
        rows.append((unit_id("CO", code), "CO", "municipality", code, VALLE_MUNICIPALITIES[code], "CO-76",
                     "Valle del Cauca", VALLE_MUNICIPALITIES[code], co_authority(code), None, lat, lon))
    for dd in sorted(GT_DEPARTMENTS):
        rows.append((unit_id("GT", dd), "GT", "department", dd, GT_DEPARTMENTS[dd], None,
                     GT_DEPARTMENTS[dd], None, f"DIDEDUC {GT_DEPARTMENTS[dd]}", None, None, None))
    for code in sorted(GT_MUNICIPALITIES):
        name, lat, lon, _sh = GT_MUNICIPALITIES[code]
        dep = GT_DEPARTMENTS[code[:2]]
        rows.append((unit_id("GT", code), "GT", "municipality", code, name, unit_id("GT", code[:2]), dep,
                     name, f"DIDEDUC {dep}", None, lat, lon))
    n_places = len(rows)
    data = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    is_co = lay["is_co"]
    muni_name = [VALLE_MUNICIPALITIES[m] if c else GT_MUNICIPALITIES[m][0]
                 for m, c in zip(lay["muni"], is_co, strict=True)]
    dep_name = ["Valle del Cauca" if c else GT_DEPARTMENTS[m[:2]] for m, c in zip(lay["muni"], is_co,
                                                                                   strict=True)]
    school = {
        "unit_id": lay["unit_id"].tolist(), "country": lay["country"].tolist(),
        "unit_type": ["school"] * len(is_co), "code": lay["code"].tolist(), "name": lay["name"].tolist(),
        "parent_id": [unit_id("CO" if c else "GT", m) for m, c in zip(lay["muni"], is_co, strict=True)],
        "department": dep_name, "municipality": muni_name,
        "authority": [co_authority(m) if c else f"DIDEDUC {d}"
                      for m, c, d in zip(lay["muni"], is_co, dep_name, strict=True)],
        "zone": np.where(lay["rural"], "rural", "urban").tolist(),
        "lat": lay["lat"].tolist(), "lon": lay["lon"].tolist(),
    }
    table = pa.table({c: pa.array(data[c] + school[c], type=pa.float64() if c in ("lat", "lon")
                                  else pa.string()) for c in cols})
    con.register("demo_units", table)
    con.execute(f"INSERT INTO target.units SELECT {', '.join(cols)}, $import_id FROM demo_units",
                {"import_id": IMPORT_ID})
    con.unregister("demo_units")

    assign = pa.table({
        "unit_id": pa.array(lay["unit_id"].tolist()), "program": pa.array(lay["program"].tolist()),
        "lab_type": pa.array(lay["lab_type"].tolist(), type=pa.string()),
        "start_year": pa.array(lay["start_year"].tolist(), type=pa.int32()),
    })
    con.register("demo_assign", assign)
    con.execute("INSERT INTO target.assignments SELECT unit_id, program, lab_type, start_year, $import_id "
                "FROM demo_assign", {"import_id": IMPORT_ID})
    con.unregister("demo_assign")

    gt_maya = {m: GT_MUNICIPALITIES[m][3][0] for m in GT_MUNICIPALITIES}
    attr_rows: dict[str, list] = {"unit_id": [], "name": [], "value": []}
    for uid, c, m in zip(lay["unit_id"], is_co, lay["muni"], strict=True):
        attr_rows["unit_id"] += [uid, uid]
        if c:
            attr_rows["name"] += ["sector", "calendario"]
            attr_rows["value"] += ["oficial", "A"]
        else:
            attr_rows["name"] += ["sector", "modalidad"]
            attr_rows["value"] += ["oficial", "bilingüe" if gt_maya[m] >= 0.5 else "monolingüe"]
    con.register("demo_uattr", pa.table({k: pa.array(v) for k, v in attr_rows.items()}))
    con.execute("INSERT INTO target.unit_attributes SELECT unit_id, name, value, $import_id FROM demo_uattr",
                {"import_id": IMPORT_ID})
    con.unregister("demo_uattr")
    return n_places + len(is_co), len(is_co)
