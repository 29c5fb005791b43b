"""The fingerprint scans of one write (issue 20, item 3): before, the publish steps scanned the observations
once per fingerprint they needed (derived tables, materialised queries twice, stored results twice); now
one scan per write (``analysis.precompute.fingerprints.one_pass``).

    python bench/fingerprint_pass.py --rows 10000000 [--runs 5]

Both ways run on the same national benchmark database (bench/national.py), alternating, in one process
(DuckDB's cache warm for both); medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.precompute import fingerprints as fp  # noqa: E402


def every_fingerprint_of_a_write(con: duckdb.DuckDBPyConnection, catalog: str) -> tuple:
    """What the publish steps of one write read: derived.refresh, materialise, standard_results.refresh and the
    checks (materialised.current, signatures of the stored indicators)."""
    return (fp.indicator_fingerprints(con, catalog), fp.input_fingerprints(con, catalog), fp.signatures(con),
            fp.input_fingerprints(con), fp.signatures(con, sorted(fp.signatures(con))[:1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=os.environ.get("LABLENS_BENCH_DIR", "/tmp/bench"))
    args = parser.parse_args(argv)
    from bench.national import build_national

    path = Path(args.dir) / f"fingerprints_{args.rows}.duckdb"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build_national(path, args.rows)
    times: dict[str, list[float]] = {"separate scans": [], "one pass": []}
    with duckdb.connect(str(path), read_only=True) as con:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        rows = con.execute("SELECT count(*) FROM observations").fetchall()[0][0]
        for run in range(args.runs):
            for way in (("separate scans", "one pass") if run % 2 == 0 else ("one pass", "separate scans")):
                started = time.perf_counter()
                if way == "one pass":
                    with fp.one_pass({}):
                        result = every_fingerprint_of_a_write(con, catalog)
                else:
                    expected = every_fingerprint_of_a_write(con, catalog)
                times[way].append(time.perf_counter() - started)
            assert result == expected
    print(f"{rows:,} observation rows, {args.runs} runs, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for way, seconds in times.items():
        print(f"{way:<16} median {statistics.median(seconds):.2f} s  ({', '.join(f'{s:.2f}' for s in seconds)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
