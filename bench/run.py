"""National-scale benchmarks (issue #6): import, compare() and dashboard pages against their baselines.

    python bench/run.py --rows 10000000 [--runs 5] [--json OUT] [--only import,compare,pages,pages_live]
    python bench/run.py --demo-students 1000000 --runs 5      # the demo generator
    python bench/run.py --demo-pages --runs 5                 # pages on the default demo database

"N rows" is N ``score_math`` observation rows (pre + post) in about 40,000 schools (bench/national.py);
the import files are aggregate files of N rows (no student IDs). Every measurement runs in its own fresh
subprocess (``--step``), so each timing is a first, uncached call and each peak resident memory
(``ru_maxrss``) belongs to that step alone. The project and its baselines alternate within each run;
the table shows medians. Timings cover the call itself, not starting Python or importing modules (the
dashboard imports them once at start); the time to import the modules is reported once.

compare() reads the per-school statistics each snapshot keeps (analysis.precompute.derived) for the default windows;
``compare_*_raw`` is the same call forced onto the raw rows (the route of any other request), and
``derived_refresh`` what recomputing those tables costs a write.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DIR = Path(os.environ.get("LABLENS_BENCH_DIR", "/tmp/bench"))
PAGES = ("inicio", "comparar", "regiones", "escuelas", "logros", "evidencia", "datos", "metodos")
WARM_RUNS = 3

# --- the hand-written baselines ------------------------------------------------------------------------------

# pair each student's pre and post, then count, mean and variance per school of pre, post and the difference
SQL_PREPOST = """
WITH s AS (
    SELECT unit_id, student_key, avg(value) FILTER (WHERE wave = 'pre') AS v_pre,
           avg(value) FILTER (WHERE wave = 'post') AS v_post
    FROM observations WHERE indicator = 'score_math' AND level = 'all' AND student_key IS NOT NULL
    GROUP BY unit_id, student_key)
SELECT unit_id, count(v_pre) AS n_pre, avg(v_pre) AS mean_pre, var_samp(v_pre) AS var_pre,
       count(v_post) AS n_post, avg(v_post) AS mean_post, var_samp(v_post) AS var_post,
       count(v_post - v_pre) AS n_linked, avg(v_post - v_pre) AS mean_diff, var_samp(v_post - v_pre) AS var_diff
FROM s GROUP BY unit_id ORDER BY unit_id
"""
# the cells of a DiD: count, mean and variance per school and wave, with the school's arm
SQL_DID = """
SELECT o.unit_id, a.program <> 'comparison' AS treated, a.lab_type, o.wave, count(*) AS n, avg(o.value) AS mean,
       var_samp(o.value) AS var
FROM observations o JOIN assignments a USING (unit_id)
WHERE o.indicator = 'score_math' AND o.level = 'all'
GROUP BY ALL ORDER BY ALL
"""
PULL_SQL = ("SELECT o.unit_id, o.student_key, o.wave, o.value, a.program, a.lab_type FROM observations o "
            "JOIN assignments a USING (unit_id) WHERE o.indicator = 'score_math' AND o.level = 'all'")


def _pandas_prepost(db: str):
    """The pandas way: pull the rows, pair each student's waves, group by school."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    rows = con.execute(PULL_SQL).df()
    con.close()
    paired = rows.pivot_table(index=["unit_id", "student_key"], columns="wave", values="value", aggfunc="mean")
    paired["diff"] = paired["post"] - paired["pre"]
    return paired.groupby(level="unit_id").agg(["count", "mean", "var"])


def _pandas_did(db: str):
    import duckdb

    con = duckdb.connect(db, read_only=True)
    rows = con.execute(PULL_SQL).df()
    con.close()
    rows["treated"] = rows["program"] != "comparison"
    return rows.groupby(["unit_id", "treated", "wave"])["value"].agg(["count", "mean", "var"])


def _sql(db: str, sql: str):
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


# --- steps (each runs in a fresh subprocess) ------------------------------------------------------------------

def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn) -> dict:
    """Wall seconds and CPU seconds of this process (all DuckDB threads): on a shared machine the CPU time
    is the figure that does not grow with other people's load."""
    started, cpu = time.perf_counter(), _cpu()
    result = fn()
    out = {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu() - cpu}
    if hasattr(result, "__len__"):
        out["result_rows"] = len(result)
    return out


def _fresh_db_dir() -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="import-", dir=BENCH_DIR))


def step(name: str, args: argparse.Namespace) -> dict:
    """Run one measurement in this (fresh) process; returns seconds and anything else worth recording."""
    db = str(national_db(args.rows)) if args.rows else None
    if name in ("compare_prepost", "compare_did", "compare_prepost_raw", "compare_did_raw"):
        started = time.perf_counter()
        from analysis.compare import compare  # timed separately from the call
        from analysis.db import sufficient

        imported = time.perf_counter() - started
        if name.endswith("_raw"):  # the route every request took before the derived tables: the raw rows
            sufficient.usable = lambda *a, **k: False
        design, by = ("prepost", "school") if name.startswith("compare_prepost") else ("did", "lab_type")
        out = _timed(lambda: compare(db, "score_math", design=design, by=by))
        out["import_seconds"] = imported
        return out
    if name == "refresh":
        refresh_derived(Path(db))
        return {"seconds": 0.0}
    if name == "derived_refresh":
        return _derived_refresh_step(db)
    if name == "results_refresh":
        return _results_refresh_step(db)
    if name == "sql_prepost":
        return _timed(lambda: _sql(db, SQL_PREPOST))
    if name == "sql_did":
        return _timed(lambda: _sql(db, SQL_DID))
    if name == "pandas_prepost":
        return _timed(lambda: _pandas_prepost(db))
    if name == "pandas_did":
        return _timed(lambda: _pandas_did(db))
    if name.startswith(("import_", "duckdb_read_", "pandas_read_")):
        return _import_step(name, args)
    if name == "snapshot_copy":
        folder = _fresh_db_dir()
        try:
            return _timed(lambda: shutil.copyfile(db, folder / "copy.duckdb"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if name.startswith("page_"):
        page = name.removeprefix("page_")
        if page.endswith("_live"):
            from analysis.precompute import standard_results

            standard_results.lookup = lambda *a, **k: None
            page = page.removesuffix("_live")
        return _page_step(page, args.demo_pages_db or db)
    if name == "demo":
        from analysis.demo import build_demo

        folder = _fresh_db_dir()
        try:
            out = _timed(lambda: build_demo(folder / "demo.duckdb", students=args.demo_students))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return out
    raise SystemExit(f"unknown step {name}")


def _derived_refresh_step(db: str) -> dict:
    """Recompute every derived table of a copy of the database (what a write that changes all the student
    rows costs on top of the write itself); the copy and the publication are not counted."""
    import duckdb

    from analysis.precompute import derived

    folder = _fresh_db_dir()
    try:
        copy = folder / "copy.duckdb"
        shutil.copyfile(db, copy)
        con = duckdb.connect()
        con.execute(f"ATTACH '{copy}' AS target")
        out = _timed(lambda: derived.refresh(con, "target", full=True))
        con.close()
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _results_refresh_step(db: str) -> dict:
    """Recompute every stored standard result of a copy of the database (analysis.precompute.standard_results:
    what a write that changes every indicator costs on top of the derived tables); the copy is not counted."""
    from analysis.precompute import standard_results

    folder = _fresh_db_dir()
    try:
        copy = folder / "copy.duckdb"
        shutil.copyfile(db, copy)
        out = _timed(lambda: standard_results.refresh_file(copy, full=True))
        out["requests"] = _count(copy, f"SELECT count(*) FROM {standard_results.TABLE}")
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _count(path: Path, sql: str) -> int:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute(sql).fetchall()[0][0])


def _import_step(name: str, args: argparse.Namespace) -> dict:
    suffix = "parquet" if name.endswith("parquet") else "csv"
    source = aggregate_file(args.rows, suffix)
    folder = _fresh_db_dir()
    try:
        if name.startswith("import_"):
            from analysis.importer.pipeline import import_file

            out = _timed(lambda: import_file(source, folder / "lablens.duckdb"))
        elif name.startswith("duckdb_read_"):
            import duckdb

            def bare() -> None:
                con = duckdb.connect(str(folder / "bare.duckdb"))
                # the sniffer's 20,480-row sample sees only numeric school codes before Guatemala's
                # '14-01-2001-46' (line 32,002): the whole file is sampled, as DuckDB's error suggests
                reader = "read_parquet(?)" if suffix == "parquet" else "read_csv(?, sample_size = -1)"
                con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}", [str(source)])
                con.close()
            out = _timed(bare)
        else:
            import pandas as pd

            out = _timed(lambda: pd.read_csv(source))
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _page_step(page: str, db: str) -> dict:
    """One page through AppTest: the first (cold) run in this process, then warm reruns (median)."""
    os.environ["LABLENS_DB"] = db
    started = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    import analysis.compare  # modules a server has imported before its first request
    import analysis.unit_figures  # noqa: F401  (and analysis.figures, which it imports)
    import ui.loaders  # noqa: F401

    imported = time.perf_counter() - started
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    if page != "inicio":
        at.switch_page(f"pages/{page}.py")
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"page {page} failed: {[e.value for e in at.exception][:1]}")
    warm = []
    for _ in range(WARM_RUNS):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    return {"seconds": cold, "cold_seconds": cold, "warm_seconds": statistics.median(warm), "import_seconds": imported,
            "title": at.title[0].value if at.title else None}


# --- data -------------------------------------------------------------------------------------------------------

def _label(rows: int) -> str:
    return f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else str(rows)


def national_db(rows: int) -> Path:
    path = BENCH_DIR / f"national_{_label(rows)}.duckdb"
    if not path.exists():
        from bench.national import build_national

        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        print(f"building {path} ...", file=sys.stderr, flush=True)
        print(json.dumps(build_national(path, rows)), file=sys.stderr, flush=True)
    return path


def refresh_derived(path: Path) -> None:
    """Bring a kept benchmark database's derived tables and stored results up to date (a database built
    by an older version of the code would otherwise be measured on the raw rows): a snapshot write that
    changes nothing recomputes only what is stale."""
    from analysis.precompute.publish import writable_snapshot

    print(f"bringing the derived tables of {path} up to date ...", file=sys.stderr, flush=True)
    with writable_snapshot(path):
        pass


def aggregate_file(rows: int, suffix: str) -> Path:
    path = BENCH_DIR / f"agg_{_label(rows)}.{suffix}"
    if not path.exists():
        from bench.national import write_aggregate_file

        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        write_aggregate_file(path, rows)
    return path


# --- orchestration ------------------------------------------------------------------------------------------------

GROUPS = {
    "import": [["import_csv", "duckdb_read_csv", "pandas_read_csv"], ["import_parquet", "duckdb_read_parquet"],
               ["snapshot_copy"]],
    "compare": [["compare_prepost", "compare_prepost_raw", "sql_prepost", "pandas_prepost"],
                ["compare_did", "compare_did_raw", "sql_did", "pandas_did"], ["derived_refresh", "results_refresh"]],
    "pages": [[f"page_{p}" for p in PAGES]],
    # the same first views with the stored results hidden: what a request outside the standard ones costs
    "pages_live": [[f"page_{p}_live" for p in PAGES]],
}


def run_child(name: str, args: argparse.Namespace) -> dict:
    """Run one step in a fresh interpreter; its result plus its peak resident memory."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", name]
    if args.rows:
        cmd += ["--rows", str(args.rows)]
    if args.demo_students:
        cmd += ["--demo-students", str(args.demo_students)]
    if args.demo_pages_db:
        cmd += ["--demo-pages-db", args.demo_pages_db]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def orchestrate(args: argparse.Namespace) -> dict:
    if args.demo_students:
        groups = [["demo"]]
    elif args.demo_pages:
        groups = GROUPS["pages"]
    else:
        groups = [g for part in args.only.split(",") for g in GROUPS[part]]
        # in a child: a refresh grows this process, and Linux keeps a parent's peak RSS in every child it
        # starts (ru_maxrss survives fork and exec), which would inflate every step's peak
        refreshed = run_child("refresh", args)
        if "error" in refreshed:
            raise SystemExit(f"refreshing {national_db(args.rows)} failed: {refreshed['error']}")
        if "import" in args.only:
            aggregate_file(args.rows, "csv")
            aggregate_file(args.rows, "parquet")
    samples: dict[str, list[dict]] = {}
    loads = [load()]
    for _ in range(args.runs):
        for group in groups:
            for name in group:
                samples.setdefault(name, []).append(run_child(name, args))
        loads.append(load())
    results = {}
    for name, runs in samples.items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            results[name] = {"error": runs[-1]["error"]}
            continue
        summary = {"runs": len(ok), "peak_mb": max(r["peak_mb"] for r in ok)}
        for key in ("seconds", "cpu_seconds", "cold_seconds", "warm_seconds", "import_seconds"):
            if key in ok[0]:
                summary[key] = statistics.median(r[key] for r in ok)
                summary[key + "_all"] = [round(r[key], 3) for r in ok]
        results[name] = summary
    return {"rows": args.rows, "demo_students": args.demo_students, "runs": args.runs,
            "load_averages": loads, "machine": f"{os.cpu_count()} cores", "results": results}


def print_table(report: dict) -> None:
    res = report["results"]
    print(f"rows {report['rows']}  runs {report['runs']}  load averages (1/5/15 min) at start and after each run: "
          + " | ".join(report["load_averages"]))
    print(f"{'step':<22}{'median s':>10}{'cpu s':>8}{'warm s':>9}{'peak MB':>9}  ratio (wall; cpu) / all runs")
    baselines = {"import_csv": "duckdb_read_csv", "import_parquet": "duckdb_read_parquet",
                 "compare_prepost": "sql_prepost", "compare_did": "sql_did", "compare_prepost_raw": "sql_prepost",
                 "compare_did_raw": "sql_did"}
    pandas = {"compare_prepost": "pandas_prepost", "compare_did": "pandas_did", "import_csv": "pandas_read_csv",
              "compare_prepost_raw": "pandas_prepost", "compare_did_raw": "pandas_did"}
    for name, r in res.items():
        if "error" in r:
            print(f"{name:<22}  error: {r['error']}")
            continue
        warm = f"{r['warm_seconds']:.3f}" if "warm_seconds" in r else ""
        note = ""
        base = res.get(baselines.get(name, ""), {})
        if "seconds" in base:
            note = f"{r['seconds'] / base['seconds']:.2f}x"
            if "cpu_seconds" in r and "cpu_seconds" in base:
                note += f"; {r['cpu_seconds'] / base['cpu_seconds']:.2f}x"
            note += f" {baselines[name]}"
        if name in pandas and pandas[name] in res and "seconds" in res[pandas[name]]:
            ratio = res[pandas[name]]["seconds"] / r["seconds"]
            note += f"; pandas {ratio:.1f}x slower" if ratio >= 1 else f"; pandas {1 / ratio:.1f}x faster"
        cpu = f"{r['cpu_seconds']:.2f}" if "cpu_seconds" in r else ""
        print(f"{name:<22}{r['seconds']:>10.3f}{cpu:>8}{warm:>9}{r['peak_mb']:>9.0f}  {note or r['seconds_all']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=0, help="score_math observation rows (pre + post)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="import,compare,pages")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--demo-students", type=int, default=0, help="time the demo generator at this size")
    parser.add_argument("--demo-pages", action="store_true", help="time the pages on the default demo database")
    parser.add_argument("--demo-pages-db", help=argparse.SUPPRESS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        out = step(args.step, args)
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out, default=str))
        return 0
    if args.demo_pages and not args.demo_pages_db:
        from analysis.demo import build_demo

        path = BENCH_DIR / "demo_default.duckdb"
        if not path.exists():
            BENCH_DIR.mkdir(parents=True, exist_ok=True)
            build_demo(path)
        args.demo_pages_db = str(path)
    if not (args.rows or args.demo_students or args.demo_pages):
        parser.error("give --rows N, --demo-students N or --demo-pages")
    report = orchestrate(args)
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
