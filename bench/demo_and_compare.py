"""Demo build time and compare() latency, each measured in a fresh process (no warm caches).

    python bench/demo_and_compare.py [--runs 5] [--big 1000000]

Prints medians of --runs runs for: building the default demo (20,000 students); compare by
school (prepost and did) on it; and one build of --big students.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD = """
import json, sys, time
from analysis.demo import build_demo
start = time.perf_counter()
build_demo(sys.argv[1], students=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

COMPARE = """
import json, sys, time
start = time.perf_counter()
from analysis.compare import compare
imported = time.perf_counter()
frame = compare(sys.argv[1], sys.argv[2], design=sys.argv[3], by="school")
print(json.dumps({"seconds": time.perf_counter() - imported, "with_import": time.perf_counter() - start,
                  "rows": len(frame)}))
"""


def _run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.duckdb")
        builds = [_run(BUILD, db, "20000")["seconds"] for _ in range(args.runs)]
        print(f"demo build, 20,000 students: median {statistics.median(builds):.2f} s "
              f"(runs: {', '.join(f'{b:.2f}' for b in builds)})")
        for indicator, design in (("score_math", "prepost"), ("score_math", "did"), ("dropout_rate", "prepost"),
                                  ("dropout_rate", "did")):
            results = [_run(COMPARE, db, indicator, design) for _ in range(args.runs)]
            secs = [r["seconds"] for r in results]
            print(f"compare {indicator} {design} by school: median {statistics.median(secs):.3f} s, "
                  f"{results[0]['rows']} rows (first call in a fresh process; +import of analysis "
                  f"{statistics.median(r['with_import'] for r in results) - statistics.median(secs):.2f} s)")
        if args.big:
            big = str(Path(tmp) / "big.duckdb")
            start = time.perf_counter()
            secs = _run(BUILD, big, str(args.big))["seconds"]
            print(f"demo build, {args.big:,} students: {secs:.1f} s (process {time.perf_counter() - start:.1f} s), "
                  f"file {Path(big).stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
