"""National-scale benchmark data: a database of N student score rows in about 40,000 schools, and
aggregate files of N rows for the import benchmark.

"N rows" (bench/RESULTS.md) means N rows of ``score_math`` in ``observations``: one row per student and
wave (pre + post), the rows compare() works on. Colombia's 9.5 million students are about 19 million
such rows. Every student has a pre row; a few have no post row (attrition) so that the total is exactly
N. The database also holds one ``dropout_rate`` row per school and year (about 0.4 million rows, not
counted in N) so that the dashboard's retention views have data.

Schools, students and scores are invented (seeded numpy); municipality and department codes are real.
The aggregate file (``write_aggregate_file``) is the LabLens canonical unit layout: school code,
country, year, grade, sex and one indicator column — no student IDs, so the import benchmark measures
reading and validation rather than pseudonymisation.

    python bench/national.py db --rows 10000000 --db /tmp/bench/national_10m.duckdb
    python bench/national.py file --rows 10000000 --out /tmp/bench/agg_10m.csv
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.catalog import GT_DEPARTMENTS, VALLE_MUNICIPALITIES, co_authority, unit_id
from analysis.precompute.publish import writable_snapshot

SCHOOLS = 40_000
SEED = 20250101
CHUNK_STUDENTS = 1_000_000
IMPORT_ID = 1
# arm -> (country, programme, share of the country's schools, lab types with share and start year)
ARMS = (
    ("CO", "ValleLabs", 0.10, (("Lab Center", 1 / 6, 2019), ("Lab Point", 1 / 3, 2020), ("Lab Spark", 1 / 2, 2021))),
    ("CO", "comparison", 0.90, ((None, 1.0, None),)),
    ("GT", "MiLab", 0.10, (("Lab Point", 0.4, 2024), ("Lab Spark", 0.6, 2024))),
    ("GT", "comparison", 0.90, ((None, 1.0, None),)),
)
CO_SHARE = 0.8
WAVES = {"CO": (2022, 2023), "GT": (2024, 2025)}
RATE_YEARS = {"CO": range(2015, 2026), "GT": range(2019, 2026)}
SCALE = {"CO": (50.0, 10.0), "GT": (470.0, 75.0)}
FIRST_GRADE = {"CO": 6, "GT": 1}
EFFECT = {"Lab Center": 0.40, "Lab Point": 0.25, "Lab Spark": 0.10}
GROWTH = {"CO": 0.20, "GT": 0.30}
ICC = 0.18
ATTRITION = 0.10


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def school_layout(schools: int = SCHOOLS, seed: int = SEED) -> dict[str, np.ndarray]:
    """Schools with country, programme, lab type, start year, place and random effects (numpy arrays)."""
    rng = _rng(seed, 0)
    cols: dict[str, list] = {k: [] for k in ("country", "program", "lab_type", "start_year")}
    per_country = {"CO": round(schools * CO_SHARE), "GT": schools - round(schools * CO_SHARE)}
    for country, program, share, kinds in ARMS:
        n_arm = round(per_country[country] * share)
        counts = [round(n_arm * s) for _t, s, _y in kinds[:-1]]
        counts.append(n_arm - sum(counts))
        for (lab_type, _s, start), k in zip(kinds, counts, strict=True):
            cols["country"] += [country] * k
            cols["program"] += [program] * k
            cols["lab_type"] += [lab_type] * k
            cols["start_year"] += [start] * k
    country = np.array(cols["country"])
    n = country.size
    is_co = country == "CO"
    munis = np.array(sorted(VALLE_MUNICIPALITIES))
    depts = np.array(sorted(GT_DEPARTMENTS))
    place = np.where(is_co, munis[rng.integers(0, munis.size, n)], depts[rng.integers(0, depts.size, n)])
    number = np.arange(n) + 1  # unique per country, so codes are unique
    code = np.array([f"1{p}{x:06d}" if c else f"{p}-01-{x % 10000:04d}-{43 + x // 10000}"
                     for p, x, c in zip(place, number, is_co, strict=True)])
    lay = {
        "country": country, "program": np.array(cols["program"]),
        "lab_type": np.array(cols["lab_type"], dtype=object), "start_year": np.array(cols["start_year"], dtype=object),
        "place": place, "code": code,
        "unit_id": np.array([unit_id(c, k) for c, k in zip(country, code, strict=True)]),
        "rural": rng.random(n) < np.where(is_co, 0.45, 0.9),
        "weight": rng.gamma(3.0, 1.0, n),
        "b": math.sqrt(ICC) * rng.standard_normal(n),
        "growth": 0.10 * rng.standard_normal(n),
        "effect": np.array([EFFECT.get(t, 0.0) if t else 0.0 for t in cols["lab_type"]]),
    }
    lay["is_co"] = is_co
    return lay


def _students_per_school(lay: dict, students: int, seed: int) -> np.ndarray:
    rng = _rng(seed, 1)
    n = lay["country"].size
    w = lay["weight"] / lay["weight"].sum()
    return 1 + rng.multinomial(students - n, w) if students > n else rng.multinomial(students, w)


def _insert_units(con: duckdb.DuckDBPyConnection, lay: dict) -> None:
    cols = ("unit_id", "country", "unit_type", "code", "name", "parent_id", "department", "municipality",
            "authority", "zone")
    rows = [("CO-76", "CO", "department", "76", "Valle del Cauca", None, "Valle del Cauca", None, None, None)]
    rows += [(unit_id("CO", m), "CO", "municipality", m, name, "CO-76", "Valle del Cauca", name, co_authority(m), None)
             for m, name in sorted(VALLE_MUNICIPALITIES.items())]
    rows += [(unit_id("GT", d), "GT", "department", d, name, None, name, None, f"DIDEDUC {name}", None)
             for d, name in sorted(GT_DEPARTMENTS.items())]
    is_co = lay["is_co"]
    for i in range(lay["country"].size):
        p = lay["place"][i]
        if is_co[i]:
            dept, muni, parent, auth = "Valle del Cauca", VALLE_MUNICIPALITIES[p], unit_id("CO", p), co_authority(p)
        else:
            dept, muni, parent, auth = GT_DEPARTMENTS[p], None, unit_id("GT", p), f"DIDEDUC {GT_DEPARTMENTS[p]}"
        rows.append((lay["unit_id"][i], lay["country"][i], "school", lay["code"][i], f"Escuela {lay['code'][i]}",
                     parent, dept, muni, auth, "rural" if lay["rural"][i] else "urban"))
    table = pa.table({c: pa.array([r[j] for r in rows], type=pa.string()) for j, c in enumerate(cols)})
    con.register("bench_units", table)
    con.execute(f"INSERT INTO target.units SELECT {', '.join(cols)}, NULL, NULL, $id FROM bench_units",
                {"id": IMPORT_ID})
    con.unregister("bench_units")
    assign = pa.table({"unit_id": pa.array(lay["unit_id"].tolist()), "program": pa.array(lay["program"].tolist()),
                       "lab_type": pa.array(lay["lab_type"].tolist(), type=pa.string()),
                       "start_year": pa.array(lay["start_year"].tolist(), type=pa.int32())})
    con.register("bench_assign", assign)
    con.execute("INSERT INTO target.assignments SELECT *, $id FROM bench_assign", {"id": IMPORT_ID})
    con.unregister("bench_assign")


def _insert_scores(con: duckdb.DuckDBPyConnection, lay: dict, rows: int, seed: int) -> int:
    """score_math pre/post rows for ceil(rows / 1.9) students; exactly `rows` rows in total."""
    students = math.ceil(rows / (2 - ATTRITION))
    no_post = 2 * students - rows  # students without a post row, so that rows come out exact
    size = _students_per_school(lay, students, seed)
    school_of = np.repeat(np.arange(size.size), size)
    rng = _rng(seed, 2)
    dropped = np.zeros(students, dtype=bool)
    dropped[rng.choice(students, size=no_post, replace=False)] = True
    ids = pa.array(lay["unit_id"].tolist())
    for lo in range(0, students, CHUNK_STUDENTS):
        hi = min(lo + CHUNK_STUDENTS, students)
        crng = _rng(seed, 100 + lo // CHUNK_STUDENTS)
        s = school_of[lo:hi]
        co = lay["is_co"][s]
        mean = np.where(co, SCALE["CO"][0], SCALE["GT"][0])
        sd = np.where(co, SCALE["CO"][1], SCALE["GT"][1])
        e = crng.standard_normal(hi - lo)
        latent_pre = lay["b"][s] + math.sqrt(1 - ICC) * e
        latent_post = (lay["b"][s] + np.where(co, GROWTH["CO"], GROWTH["GT"]) + lay["growth"][s] + lay["effect"][s]
                       + math.sqrt(1 - ICC) * (0.75 * e + math.sqrt(1 - 0.75**2) * crng.standard_normal(hi - lo)))
        grade = np.where(co, FIRST_GRADE["CO"], FIRST_GRADE["GT"]) + crng.integers(0, 5, hi - lo)
        table = pa.table({
            "i": pa.array(np.arange(lo, hi, dtype=np.int64)),
            "unit_id": pa.DictionaryArray.from_arrays(pa.array(s.astype(np.int32)), ids),
            "year_pre": pa.array(np.where(co, WAVES["CO"][0], WAVES["GT"][0]).astype(np.int32)),
            "sex": pa.array(np.where(crng.random(hi - lo) < 0.5, "F", "M")),
            "grade": pa.array(grade.astype(np.int32)),
            "pre": pa.array(np.round(mean + sd * latent_pre, 1)),
            "post": pa.array(np.round(mean + sd * latent_post, 1)),
            "has_post": pa.array(~dropped[lo:hi]),
        })
        con.register("bench_students", table)
        con.execute("""INSERT INTO target.observations
            SELECT $id, unit_id, md5($prefix || i::VARCHAR), 'score_math', year_pre + w, CASE w WHEN 0 THEN 'pre'
                   ELSE 'post' END, 'all', sex, (grade + w)::VARCHAR, CASE w WHEN 0 THEN pre ELSE post END, NULL
            FROM bench_students, (VALUES (0), (1)) t(w) WHERE w = 0 OR has_post
            ORDER BY i, w""", {"id": IMPORT_ID, "prefix": f"lablens-bench:{seed}:"})
        con.unregister("bench_students")
    return students


def _insert_rates(con: duckdb.DuckDBPyConnection, lay: dict, seed: int) -> None:
    """One dropout_rate per school and year, with a one-point programme effect from the start year."""
    rng = _rng(seed, 3)
    parts = []
    for country, years in RATE_YEARS.items():
        idx = np.flatnonzero(lay["country"] == country)
        yrs = np.asarray(years)
        base = 2.0 + rng.gamma(2.0, 0.9, idx.size) + 0.8 * lay["rural"][idx]
        start = np.array([s if s is not None else 10_000 for s in lay["start_year"][idx]])
        noise = rng.triangular(-0.9, 0, 0.9, (idx.size, yrs.size))
        value = base[:, None] + noise - 1.0 * (yrs[None, :] >= start[:, None])
        parts.append(pa.table({
            "unit_id": pa.array(np.repeat(lay["unit_id"][idx], yrs.size)),
            "year": pa.array(np.tile(yrs, idx.size).astype(np.int32)),
            "value": pa.array(np.round(np.clip(value, 0.1, None), 2).ravel()),
            "n": pa.array(np.repeat(np.round(rng.uniform(100, 600, idx.size)), yrs.size)),
        }))
    con.register("bench_rates", pa.concat_tables(parts))
    con.execute("INSERT INTO target.observations SELECT $id, unit_id, NULL, 'dropout_rate', year, NULL, 'all', "
                "NULL, NULL, value, n FROM bench_rates", {"id": IMPORT_ID})
    con.unregister("bench_rates")


def build_national(path: str | Path, rows: int, schools: int = SCHOOLS, seed: int = SEED) -> dict:
    """Write a national-scale database at `path` (replacing it) and return a summary with its build time."""
    started = time.perf_counter()
    path = Path(path)
    for stale in (path, path.with_name(path.name + ".bak")):
        stale.unlink(missing_ok=True)
    lay = school_layout(schools, seed)
    with writable_snapshot(path) as con:
        con.execute("SET preserve_insertion_order = true")
        _insert_units(con, lay)
        students = _insert_scores(con, lay, rows, seed)
        _insert_rates(con, lay, seed)
        n_obs = con.execute("SELECT count(*) FROM target.observations").fetchall()[0][0]
        summary = {"rows": rows, "schools": int(lay["country"].size), "students": students, "observations": n_obs,
                   "seed": seed}
        con.execute("INSERT INTO target.imports VALUES ($id, 'bench: national-scale synthetic data', $sha, 'bench', "
                    "$n, $n, 0, $at, 'active', $summary)",
                    {"id": IMPORT_ID, "sha": hashlib.sha256(json.dumps(summary).encode()).hexdigest(), "n": n_obs,
                     "at": datetime.now(UTC).replace(tzinfo=None), "summary": json.dumps(summary)})
        con.execute("INSERT INTO target.meta VALUES ('bench_rows', $r)", {"r": str(rows)})
    path.with_name(path.name + ".bak").unlink(missing_ok=True)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    summary["megabytes"] = round(path.stat().st_size / 1e6, 1)
    return summary


def write_aggregate_file(out: str | Path, rows: int, schools: int = SCHOOLS, seed: int = SEED) -> dict:
    """An aggregate file of `rows` rows: school x year x grade x sex dropout rates (canonical unit layout).

    Written by DuckDB (CSV or Parquet by the suffix), so writing it costs little and needs no pandas.
    """
    out = Path(out)
    lay = school_layout(schools, seed)
    n = lay["country"].size
    combos = math.ceil(rows / n)  # key combinations per school: 16 years x 11 grades x 3 sexes = 528 at most
    if combos > 16 * 11 * 3:
        raise ValueError(f"at most {16 * 11 * 3 * n} rows with {n} schools")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("schools", pa.table({"s": pa.array(np.arange(n, dtype=np.int64)),
                                      "code": pa.array(lay["code"].tolist()),
                                      "country": pa.array(lay["country"].tolist())}))
    fmt = "(FORMAT parquet)" if out.suffix == ".parquet" else "(FORMAT csv, HEADER true)"
    con.execute(f"""COPY (
        SELECT s.code AS school_code, s.country AS country, 2010 + (k // 33) AS year, 1 + (k // 3) % 11 AS grade,
               ['F', 'M', NULL][1 + k % 3] AS sex,
               round(1 + 9 * ((hash(r.i, {int(seed)}) % 100000) / 100000.0), 2) AS dropout_rate
        FROM range(0, {int(rows)}) r(i), LATERAL (SELECT r.i % {n} AS s_no, r.i // {n} AS k) x
        JOIN schools s ON s.s = x.s_no
        ORDER BY r.i) TO '{str(out).replace("'", "''")}' {fmt}""")
    con.close()
    return {"rows": rows, "schools": n, "path": str(out), "megabytes": round(out.stat().st_size / 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    db = sub.add_parser("db", help="write a national-scale database")
    db.add_argument("--rows", type=int, required=True)
    db.add_argument("--db", required=True)
    db.add_argument("--schools", type=int, default=SCHOOLS)
    f = sub.add_parser("file", help="write an aggregate file (.csv or .parquet) of N rows")
    f.add_argument("--rows", type=int, required=True)
    f.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.cmd == "db":
        print(json.dumps(build_national(args.db, args.rows, args.schools)))
    else:
        print(json.dumps(write_aggregate_file(args.out, args.rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
