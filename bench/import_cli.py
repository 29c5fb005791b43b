"""Import benchmark as a user runs it (issue #20, target 2): `python -m analysis import FILE` in a fresh
process against DuckDB's bare read of the same file into a table, then CHECKPOINT, in the same run.

Each measurement is its own process under /usr/bin/time: wall seconds, CPU seconds (user + system, all
threads) and peak resident memory. Trees are alternated step by step, so a baseline (e.g. a `git archive`
copy of an older commit) shares the machine's load with the code measured; load averages are recorded.

    python bench/import_cli.py --rows 1000000 10000000 --runs 1 --tree /tmp/base --json OUT
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE = """import sys, duckdb
con = duckdb.connect(sys.argv[2])
reader = "read_parquet(?)" if sys.argv[1].endswith(".parquet") else "read_csv(?, sample_size = -1)"
con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}", [sys.argv[1]])
con.execute("CHECKPOINT")
con.close()
"""
# The least any import can do with these rows: one set-based INSERT of the file, already valid, into the
# snapshot's observations table (its 11 columns), then CHECKPOINT; no staging, no validation, no publish steps.
FLOOR = """import sys, duckdb
sys.path.insert(0, ".")
from analysis.db.schema import create_schema
con = duckdb.connect(sys.argv[2])
create_schema(con)
reader = "read_parquet(?)" if sys.argv[1].endswith(".parquet") else "read_csv(?, sample_size = -1)"
con.execute("INSERT INTO observations SELECT 1, country || '-' || school_code, NULL, 'dropout_rate', year, NULL, "
            f"'all', sex, grade::VARCHAR, dropout_rate, NULL FROM {reader}", [sys.argv[1]])
con.execute("CHECKPOINT")
con.close()
"""


def timed(cmd: list[str], cwd: Path) -> dict:
    """Wall, CPU and peak memory of one command (GNU time), with the load averages around it."""
    before = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        proc = subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M", *cmd], cwd=cwd,
                              capture_output=True, text=True, check=False)
        wall, user, system, peak_kb = out.read().split()[-4:]
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return {"seconds": float(wall), "cpu_seconds": float(user) + float(system), "peak_mb": int(peak_kb) / 1024,
            "load": [round(before, 2), round(os.getloadavg()[0], 2)]}


def measure(step: str, source: Path, tree: Path) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="import-cli-"))
    try:
        if step in ("bare", "floor"):
            script = BARE if step == "bare" else FLOOR
            return timed([sys.executable, "-c", script, str(source), str(folder / f"{step}.duckdb")], ROOT)
        return timed([sys.executable, "-m", "analysis", "import", str(source), "--db",
                      str(folder / "lablens.duckdb"), "--json"], tree)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--tree", action="append", default=[], help="a baseline source tree (repeatable)")
    parser.add_argument("--dir", default=os.environ.get("LABLENS_BENCH_DIR", "/tmp/bench"))
    parser.add_argument("--floor", action="store_true", help="also time the bare INSERT into observations")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.national import write_aggregate_file

    trees = {"now": ROOT, **{f"tree{i}:{t}": Path(t) for i, t in enumerate(args.tree)}}
    report = []
    for rows in args.rows:
        for suffix in ("csv", "parquet"):
            label = f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else str(rows)
            source = Path(args.dir) / f"agg_{label}.{suffix}"
            if not source.exists():
                source.parent.mkdir(parents=True, exist_ok=True)
                write_aggregate_file(source, rows)
            samples: dict[str, list[dict]] = {}
            for _ in range(args.runs):
                steps = [("bare", ROOT), *([("floor", ROOT)] if args.floor else []), *trees.items()]
                for name, tree in steps:
                    kind = name if name in ("bare", "floor") else "import"
                    samples.setdefault(name, []).append(measure(kind, source, tree))
            row = {"rows": rows, "format": suffix}
            for name, runs in samples.items():
                row[name] = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu_seconds", "peak_mb")}
                row[name]["loads"] = [r["load"] for r in runs]
            for name in [*trees, *(["floor"] if args.floor else [])]:
                row[name]["ratio_wall"] = row[name]["seconds"] / row["bare"]["seconds"]
                row[name]["ratio_cpu"] = row[name]["cpu_seconds"] / row["bare"]["cpu_seconds"]
            report.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
