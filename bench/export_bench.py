"""Evidence-pack export benchmark (issue #5): the demo database's full evidence table, target under 5 s.

    python bench/export_bench.py [--students 20000] [--runs 5] [--db PATH]

"Full evidence table" = every indicator of the demo that compare() can answer before/after (three scores,
the motivation index and three yearly rates; enrolled_next_year has no pre observations) in one table, for
the DiD design without grouping and for the largest table the Evidencia page offers, pre/post by school.
Each run is a fresh process:

- ``cli``: the whole command ``python -m analysis export --out pack.zip --csv-locale es`` (Python start,
  imports, compare() on one DuckDB thread, every file, the zip), timed from outside;
- ``step``: the same work inside one process, split into imports, the table (compare() calls) and the
  files (CSV x2, XLSX, Parquet, datapackage, methods, brief with plotly.js, provenance, zip).

Prints medians and the size of every file of the last pack.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INDICATORS = ["score_math", "score_language", "score_science", "motivation_index", "dropout_rate",
              "promotion_rate", "repetition_rate"]
SCENARIOS = {"did": ["--design", "did"], "prepost_by_school": ["--design", "prepost", "--by", "school"]}


def step(db: str, scenario: str, out: str) -> dict:
    """Inside one fresh process: imports, table and files timed apart."""
    t0 = time.perf_counter()
    from analysis.cli import build_parser
    from analysis.evidence import (
        EvidenceRequest,
        evidence_table,
        load_context,
        pack_bytes,
        reproducible_connection,
    )
    t1 = time.perf_counter()
    by = ("school",) if scenario == "prepost_by_school" else ()
    request = EvidenceRequest(indicators=tuple(INDICATORS), design="prepost" if by else "did", by=by,
                              command="bench")
    con = reproducible_connection(db)
    table = evidence_table(con, request)
    context = load_context(con, Path(db).name)
    con.close()
    t2 = time.perf_counter()
    data = pack_bytes(table, request, context, "es", csv_locale="es")
    Path(out).write_bytes(data)
    t3 = time.perf_counter()
    del build_parser
    return {"imports": t1 - t0, "table": t2 - t1, "files": t3 - t2, "rows": len(table), "bytes": len(data)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db")
    parser.add_argument("--step", nargs=3, metavar=("DB", "SCENARIO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(*args.step)))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if not db:
            from analysis.demo import build_demo

            db = str(Path(tmp) / "lablens.duckdb")
            summary = build_demo(db, students=args.students, seed=args.seed)
            print(f"demo: {args.students:,} students, {summary.get('observations', '?'):,} observations")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        for name, options in SCENARIOS.items():
            out = Path(tmp) / f"{name}.zip"
            cli, steps = [], []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "analysis", "export", "--db", db, "--out", str(out),
                                "--indicator", ",".join(INDICATORS), *options, "--csv-locale", "es"],
                               check=True, env=env, cwd=ROOT, capture_output=True)
                cli.append(time.perf_counter() - t0)
                result = subprocess.run([sys.executable, __file__, "--step", db, name, str(out)], check=True,
                                        env=env, cwd=ROOT, capture_output=True, text=True)
                steps.append(json.loads(result.stdout))
            med = {k: statistics.median(s[k] for s in steps) for k in ("imports", "table", "files")}
            print(f"\n{name}: {steps[-1]['rows']} rows, pack {steps[-1]['bytes']:,} bytes")
            print(f"  cli end to end: median {statistics.median(cli):.2f} s (runs: "
                  + ", ".join(f"{t:.2f}" for t in cli) + ")")
            print(f"  in process: imports {med['imports']:.2f} s, table {med['table']:.2f} s, "
                  f"files {med['files']:.2f} s; table + files {med['table'] + med['files']:.2f} s")
            with zipfile.ZipFile(out) as archive:
                print("  files: " + ", ".join(f"{i.filename} {i.file_size:,} ({i.compress_size:,} zipped)"
                                              for i in archive.infolist()))
        print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
