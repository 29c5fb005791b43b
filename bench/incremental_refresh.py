"""What a write that changes one indicator costs after its rows are in (issue 20, item 3): the refresh of the
derived tables, the materialised page queries, the stored standard results and the checks, against the import
itself and against a full refresh of the same database.

    python bench/incremental_refresh.py --rows 10000000 [--runs 3] [--baseline /path/to/another/checkout]
    python bench/incremental_refresh.py --rows 10000000 --file-rows 10000000 --no-full   # the big write

The database is bench/national.py's (``score_math``: N student rows; ``dropout_rate``: one row per school and
year), after a first import of ``dropout_rate`` for 2026. The import timed is an aggregate file of
``dropout_rate`` for 2027 in every school (40,000 rows, canonical unit layout): one indicator changes, nothing
else. With ``--file-rows N`` it is instead bench/national.py's N-row aggregate file of ``dropout_rate`` (every row
a distinct school x year x grade x sex; written once into ``--dir`` and reused). Per run, each in a fresh child
process on a fresh copy:

- ``import_this``: ``import_file`` (read, validate, write, publish with its refresh), the refresh steps timed
  inside; ``import_baseline``: the same on the ``--baseline`` checkout (the code before this change);
- ``--student``: instead, a second student indicator (``score_language``: ``score_math``'s rows of every tenth
  school) is added first, and the write timed erases one student's ``score_language`` rows (no import file);
- ``full``: the imported database rebuilt as ``python -m analysis rebuild-derived`` does (every derived table,
  page query and stored result recomputed, then the checks), steps timed the same way.
Wall and CPU seconds (all threads) per step, and the importer's own work (the whole import minus the refresh
steps: ``own``); the fingerprint pass is timed inside ``derived_and_page_queries`` (which makes it) and counted
once in ``refresh``; load averages before and after each run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# timers around the publish steps (analysis.precompute.publish looks them up when a write starts)
_TIMERS = """
import json, resource, sys, time
from analysis.precompute import checks, fingerprints, publish
phases = {}
def timed(name, f):
    def run(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        try:
            return f(*a, **k)
        finally:
            w0, c0 = phases.get(name, (0.0, 0.0))
            phases[name] = (w0 + time.perf_counter() - t, c0 + time.process_time() - c)
    return run
publish.refresh_copy = timed("derived_and_page_queries", publish.refresh_copy)
publish.refresh_file = timed("stored_results", publish.refresh_file)
checks.compute_quietly = timed("checks", checks.compute_quietly)
_scan = fingerprints._scan
def scan(con, catalog):
    memo = fingerprints._PASS.get()
    if memo is not None and "scan" not in memo:
        return timed("fingerprint_pass", _scan)(con, catalog)
    return _scan(con, catalog)
fingerprints._scan = scan
NESTED = {"fingerprint_pass"}  # made inside derived_and_page_queries (its first fingerprint read)
def report(**extra):
    wall, cpu = time.perf_counter() - T0, time.process_time() - C0
    refresh = [sum(v[i] for k, v in phases.items() if k not in NESTED) for i in (0, 1)]
    print(json.dumps({"wall": wall, "cpu": cpu, "refresh": [round(refresh[0], 2), round(refresh[1], 2)],
                      "own": [round(wall - refresh[0], 2), round(cpu - refresh[1], 2)],
                      "phases": {k: [round(w, 2), round(c, 2)] for k, (w, c) in phases.items()}, **extra}))
T0, C0 = time.perf_counter(), time.process_time()
"""
_IMPORT = _TIMERS + """
import inspect
from analysis.importer.pipeline import import_file
# the file's year (2027) is after the clock's: this code is given the year, an older checkout has no such check
clock = {"current_year": 2027} if "current_year" in inspect.signature(import_file).parameters else {}
summary = import_file(sys.argv[1], sys.argv[2], **clock)
report(rows_loaded=summary.get("rows_loaded"))
"""
_FULL = _TIMERS + """
from analysis.db.sql import run
from analysis.precompute import derived, standard_results
from analysis.precompute.publish import writable_snapshot
with writable_snapshot(sys.argv[2]) as con:
    t, c = time.perf_counter(), time.process_time()
    derived.refresh(con, "target", full=True)
    phases["derived_and_page_queries_full"] = (time.perf_counter() - t, time.process_time() - c)
    run(con, f"DROP TABLE IF EXISTS target.{standard_results.TABLE}")
report()
"""
# the student scenario: a second student indicator (score_language, the score_math rows of every tenth school,
# values shifted), then a write that erases one student's score_language rows
_ADD_STUDENT_INDICATOR = """
import sys
from analysis.precompute.publish import writable_snapshot
with writable_snapshot(sys.argv[2]) as con:
    con.execute("INSERT INTO target.observations SELECT import_id, unit_id, student_key, 'score_language', year, wave, "
                "level, sex, grade, value + 1, n FROM target.observations WHERE indicator = 'score_math' "
                "AND hash(unit_id) % 10 = 0")
"""
_ERASE = _TIMERS + """
from analysis.precompute.publish import writable_snapshot
with writable_snapshot(sys.argv[2]) as con:
    con.execute("DELETE FROM target.observations WHERE indicator = 'score_language' AND student_key = "
                "(SELECT min(student_key) FROM target.observations WHERE indicator = 'score_language')")
report()
"""


def _child(code: str, file: Path, db: Path, checkout: Path) -> dict:
    """Run ``code`` in a fresh process on ``checkout``'s code; the JSON line it prints."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(file), str(db)], cwd=checkout, env=env,
                         capture_output=True, text=True, check=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _source_hash(checkout: Path) -> str:
    """A short hash of ``checkout``'s analysis package (the stored results name the code that made them)."""
    digest = hashlib.sha256()
    for path in sorted((checkout / "analysis").rglob("*.py")):
        digest.update(str(path.relative_to(checkout)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def write_file(out: Path, year: int) -> int:
    """``dropout_rate`` of every school of the benchmark for ``year`` (canonical unit layout)."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    from bench.national import school_layout

    lay = school_layout()
    rng = np.random.default_rng(year)
    con = duckdb.connect()
    con.register("f", pa.table({"school_code": pa.array(lay["code"].tolist()),
                                "country": pa.array(lay["country"].tolist()),
                                "year": pa.array(np.full(lay["code"].size, year, dtype=np.int32)),
                                "dropout_rate": pa.array(np.round(rng.uniform(0.5, 9.5, lay["code"].size), 2))}))
    con.execute(f"COPY f TO '{out}' (FORMAT csv, HEADER true)")
    con.close()
    return int(lay["code"].size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--dir", default=os.environ.get("LABLENS_BENCH_DIR", "/tmp/bench"))
    parser.add_argument("--baseline", help="another checkout (the code before the change): its import is timed too")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--file-rows", type=int,
                        help="the timed file: bench/national.py's aggregate file of this many dropout_rate rows")
    parser.add_argument("--keep-ready", action="store_true",
                        help="keep the databases after the first import in --dir, per checkout and source hash, "
                             "and reuse them in later runs")
    parser.add_argument("--no-full", action="store_true", help="skip the full refresh of the imported database")
    parser.add_argument("--student", action="store_true",
                        help="instead: a write that changes a second student indicator (one student's rows erased)")
    args = parser.parse_args(argv)
    from bench.national import build_national

    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    base = work / f"national_{args.rows}.duckdb"
    if not base.exists():
        build_national(base, args.rows)
    first, file = work / "dropout_first_year.csv", work / "dropout_one_more_year.csv"
    write_file(first, 2026)
    if args.file_rows:
        from bench.national import write_aggregate_file

        file, rows = work / f"dropout_aggregate_{args.file_rows}.csv", args.file_rows
        if not file.exists():
            write_aggregate_file(file, args.file_rows)
    else:
        rows = write_file(file, 2027)
    codes = {"this": ROOT, **({"baseline": Path(args.baseline).resolve()} if args.baseline else {})}
    ready: dict[str, Path] = {}
    db = work / f"incremental_{os.getpid()}.duckdb"
    results: list[dict] = []
    try:
        for name, checkout in codes.items():
            # a first import of the same schools (the benchmark's Guatemalan schools gain their municipalities
            # then: a roster change) also brings the stored results, which name the code, up to date
            tag = f"ready_{args.rows}_{'student' if args.student else 'rate'}_{_source_hash(checkout)}"
            ready[name] = work / (f"incremental_{tag}.duckdb" if args.keep_ready
                                  else f"incremental_{os.getpid()}_{name}.duckdb")
            if not (args.keep_ready and ready[name].exists()):
                shutil.copyfile(base, ready[name])
                _child(_ADD_STUDENT_INDICATOR if args.student else _IMPORT, first, ready[name], checkout)
        for run in range(args.runs):
            load_before = os.getloadavg()
            result: dict = {"run": run}
            for name, checkout in codes.items():
                shutil.copyfile(ready[name], db)
                result[f"import_{name}"] = _child(_ERASE if args.student else _IMPORT, file, db, checkout)
                # the imported database, every table recomputed
                if name == "this" and not args.student and not args.no_full:
                    result["full"] = _child(_FULL, file, db, checkout)
            result["load"] = [round(v, 1) for v in (*load_before, *os.getloadavg())]
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        for path in (db, *([] if args.keep_ready else ready.values())):
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink(missing_ok=True)
    summary = {"rows": args.rows, "import_rows": rows, "runs": results}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    for key in results[0]:
        if key.startswith(("import", "full")):
            print(key, "median wall", round(statistics.median(r[key]["wall"] for r in results), 2),
                  "CPU", round(statistics.median(r[key]["cpu"] for r in results), 2))
            for part in ("own", "refresh"):
                if part in results[0][key]:
                    print(f"  {part}: median wall", round(statistics.median(r[key][part][0] for r in results), 2),
                          "CPU", round(statistics.median(r[key][part][1] for r in results), 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
