"""A national retention panel — every student every year — at 1 M, 10 M and 100 M rows (issue 20, target 5).

Rows are ``enrolled_next_year`` (binary: 1 if the student is enrolled the next school year) for S students ×
10 years, S = rows / 10, in the 40,000 schools of bench/national.py (real Valle del Cauca municipalities and
Guatemalan departments; 10% of the schools in a programme, from its start year). A student's chance of
leaving is 6% (Colombia) or 9% (Guatemala) a year, plus a school effect, minus 1.5 points in programme
schools from their start year. Rows are generated inside DuckDB (``hash`` of student and year), so a
100 M-row panel needs no Python loop and no pandas frame.

For each size it reports, each figure from a fresh process: building the database (rows written straight
into a snapshot, then derived tables and stored results as any publication does), importing the same panel
from a Parquet student file with ``python -m analysis import`` against DuckDB's bare ``read_parquet`` into a
table (+ CHECKPOINT) in the same run, compare() — pre/post of the yearly rate by school (ValleLabs) and
DiD by department — against a hand-written DuckDB query of the same school means, every page cold and warm,
peak memory and the database size.

    python bench/retention_panel.py --rows 1000000 10000000 [--import-max 10000000] [--workdir /tmp/panel]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEARS = 10
FIRST_YEAR = {"CO": 2016, "GT": 2016}
PAGES = ("inicio", "comparar", "regiones", "escuelas", "logros", "implementacion", "evidencia", "datos")

PANEL_SQL = """
WITH s AS (
    SELECT i AS student, (hash(i, {seed}) % {schools}) AS school FROM range(0, {students}) r(i)),
p AS (
    SELECT s.student, b.unit_id, b.country, b.start_year, b.school_effect, y.k
    FROM s JOIN bench_schools b ON b.s = s.school, range(0, {years}) y(k))
SELECT {import_id} AS import_id, unit_id, {key} AS student_key, 'enrolled_next_year' AS indicator,
       2016 + k AS year, NULL AS wave, 'all' AS level, CASE WHEN hash(student, 7) % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
       ((hash(student, 9) % 6) + 1 + k % 5)::VARCHAR AS grade,
       CASE WHEN (hash(student, k, {seed}) % 1000000) / 1e6
                 < (CASE country WHEN 'CO' THEN 0.06 ELSE 0.09 END) + school_effect
                   - CASE WHEN start_year IS NOT NULL AND 2016 + k >= start_year THEN 0.015 ELSE 0 END
            THEN 0.0 ELSE 1.0 END AS value, NULL AS n
FROM p
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _schools_table(seed: int):
    import numpy as np
    import pyarrow as pa

    from bench.national import school_layout

    lay = school_layout(seed=seed)
    rng = np.random.default_rng(seed)
    effect = np.clip(rng.normal(0, 0.02, lay["country"].size), -0.04, 0.06)
    return lay, pa.table({"s": pa.array(np.arange(lay["country"].size, dtype=np.int64)),
                          "unit_id": pa.array(lay["unit_id"].tolist()), "code": pa.array(lay["code"].tolist()),
                          "country": pa.array(lay["country"].tolist()),
                          "start_year": pa.array([None if v is None else int(v) for v in lay["start_year"]],
                                                 type=pa.int32()),
                          "school_effect": pa.array(effect)})


def build(path: Path, rows: int, seed: int, memory_limit: str | None = None) -> dict:
    """The panel database, written like bench/national.py's (one snapshot, then its derived tables).
    ``memory_limit`` (e.g. '6GB') caps DuckDB for the whole write, publication included: it spills to disk."""
    from analysis.precompute.publish import writable_snapshot
    from bench.national import IMPORT_ID, _insert_units

    started = time.perf_counter()
    for stale in (path, path.with_name(path.name + ".bak")):
        stale.unlink(missing_ok=True)
    lay, schools = _schools_table(seed)
    students = rows // YEARS
    with writable_snapshot(path) as con:
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        _insert_units(con, lay)
        con.register("bench_schools", schools)
        sql = PANEL_SQL.format(seed=seed, schools=schools.num_rows, students=students, years=YEARS,
                               import_id=IMPORT_ID, key="sha256('panel:' || student::VARCHAR)")
        con.execute(f"INSERT INTO target.observations {sql}")
        con.unregister("bench_schools")
        n_obs = con.execute("SELECT count(*) FROM target.observations").fetchone()[0]
        con.execute("INSERT INTO target.imports VALUES ($id, 'bench: retention panel', $sha, 'bench', $n, $n, 0, "
                    "now()::TIMESTAMP, 'active', NULL)", {"id": IMPORT_ID, "sha": f"panel-{rows}-{seed}", "n": n_obs})
    path.with_name(path.name + ".bak").unlink(missing_ok=True)
    return {"rows": n_obs, "students": students, "seconds": round(time.perf_counter() - started, 2),
            "megabytes": round(path.stat().st_size / 1e6, 1), "peak_mb": round(_peak_mb())}


def write_file(out: Path, rows: int, seed: int) -> dict:
    """The same panel as a LabLens canonical student file (Parquet): raw student IDs, the importer keys them."""
    import duckdb

    _, schools = _schools_table(seed)
    con = duckdb.connect()
    con.register("bench_schools", schools)
    sql = PANEL_SQL.format(seed=seed, schools=schools.num_rows, students=rows // YEARS, years=YEARS, import_id=0,
                           key="'EST' || student::VARCHAR")
    con.execute(f"""COPY (SELECT p.student_key AS student_id, b.code AS school_code, b.country, p.year, p.grade,
                                 p.sex, p.value::INTEGER AS enrolled_next_year
                          FROM ({sql}) p JOIN bench_schools b USING (unit_id))
                    TO '{out}' (FORMAT parquet)""")
    con.close()
    return {"rows": rows, "megabytes": round(out.stat().st_size / 1e6, 1)}


def step(name: str, args: argparse.Namespace) -> dict:
    """One measurement, run in this (fresh) process."""
    started = time.perf_counter()
    if name == "build":
        return build(Path(args.db), args.rows, args.seed, args.memory_limit)
    if name == "file":
        return write_file(Path(args.file), args.rows, args.seed)
    if name == "bare":
        import duckdb

        target = Path(args.db)
        target.unlink(missing_ok=True)
        con = duckdb.connect(str(target))
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{args.file}')")
        con.execute("CHECKPOINT")
        con.close()
        target.unlink(missing_ok=True)
    elif name == "import":
        from analysis.cli import main

        Path(args.db).unlink(missing_ok=True)
        code = main(["import", args.file, "--db", args.db, "--json"])
        if code:
            raise RuntimeError(f"import failed with exit code {code}")
    elif name in ("compare_prepost", "compare_did"):
        from analysis.compare import compare

        if name == "compare_prepost":
            frame = compare(args.db, "enrolled_next_year", design="prepost", by="school", program="ValleLabs")
        else:
            frame = compare(args.db, "enrolled_next_year", design="did", by="department")
        return {"seconds": round(time.perf_counter() - started, 3), "result_rows": len(frame),
                "peak_mb": round(_peak_mb())}
    elif name == "sql_prepost":
        import duckdb

        con = duckdb.connect(args.db, read_only=True)
        con.execute("USE lablens") if con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = "
                                                  "'lablens'").fetchone()[0] else None
        frame = con.execute("""
            SELECT o.unit_id, avg(value) FILTER (WHERE o.year < a.start_year) AS pre,
                   avg(value) FILTER (WHERE o.year >= a.start_year) AS post, count(*) AS n
            FROM observations o JOIN assignments a USING (unit_id)
            WHERE o.indicator = 'enrolled_next_year' AND a.program = 'ValleLabs'
            GROUP BY o.unit_id""").df()
        con.close()
        return {"seconds": round(time.perf_counter() - started, 3), "result_rows": len(frame)}
    elif name.startswith("page:"):
        from bench.run import _page_step

        out = _page_step(name.split(":", 1)[1], args.db)
        out["peak_mb"] = round(_peak_mb())
        return out
    else:
        raise ValueError(name)
    return {"seconds": round(time.perf_counter() - started, 3), "peak_mb": round(_peak_mb())}


def child(name: str, **options) -> dict:
    argv = [sys.executable, __file__, "--step", name] + [f"--{k}={v}" for k, v in options.items()]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"], "wall": time.perf_counter() - started}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall"] = round(time.perf_counter() - started, 2)
    return out


def orchestrate(args: argparse.Namespace) -> dict:
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    report = {"load_before": os.getloadavg(), "sizes": {}}
    for rows in args.rows:
        label = f"{rows // 1_000_000}m"
        db = work / f"panel_{label}.duckdb"
        options = {"memory-limit": args.memory_limit} if args.memory_limit else {}
        out: dict = {"build": child("build", rows=rows, db=db, seed=args.seed, **options)}
        print(label, "build", out["build"], file=sys.stderr, flush=True)
        if rows <= args.import_max:
            file = work / f"panel_{label}.parquet"
            out["file"] = child("file", rows=rows, file=file, seed=args.seed)
            out["bare_read_parquet"] = child("bare", file=file, db=work / "bare.duckdb", rows=rows)
            out["import"] = child("import", file=file, db=work / f"imported_{label}.duckdb", rows=rows)
            if "seconds" in out["import"] and "seconds" in out["bare_read_parquet"]:
                out["import_ratio"] = round(out["import"]["wall"] / out["bare_read_parquet"]["wall"], 2)
            for stale in work.glob(f"imported_{label}.duckdb*"):
                stale.unlink() if stale.is_file() else shutil.rmtree(stale, ignore_errors=True)
            file.unlink(missing_ok=True)
            print(label, "import", out.get("import"), out.get("import_ratio"), file=sys.stderr, flush=True)
        for name in ("sql_prepost", "compare_prepost", "compare_did"):
            out[name] = child(name, db=db, rows=rows)
            print(label, name, out[name], file=sys.stderr, flush=True)
        if "seconds" in out["compare_prepost"] and "seconds" in out["sql_prepost"]:
            out["prepost_ratio_to_sql"] = round(out["compare_prepost"]["seconds"] / out["sql_prepost"]["seconds"], 2)
        out["pages"] = {}
        for page in PAGES:
            out["pages"][page] = child(f"page:{page}", db=db, rows=rows)
            print(label, page, out["pages"][page], file=sys.stderr, flush=True)
        out["database_mb"] = round(db.stat().st_size / 1e6, 1)
        report["sizes"][label] = out
        if not args.keep:
            for stale in work.glob(f"panel_{label}*"):
                stale.unlink() if stale.is_file() else shutil.rmtree(stale, ignore_errors=True)
    report["load_after"] = os.getloadavg()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--import-max", type=int, default=10_000_000, help="import the file only up to this size")
    parser.add_argument("--workdir", default="/tmp/lablens_panel")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the build (e.g. 6GB): it spills beyond")
    parser.add_argument("--out", help="write the JSON report here")
    parser.add_argument("--step")
    parser.add_argument("--db")
    parser.add_argument("--file")
    args, _ = parser.parse_known_args(argv)
    if args.step:
        args.rows = int(args.rows[0]) if isinstance(args.rows, list) else int(args.rows)
        print(json.dumps(step(args.step, args), default=str))
        return 0
    report = orchestrate(args)
    text = json.dumps(report, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
