"""What disclosure control across linked views costs (docs/METHODS.md, "Disclosure avoidance";
analysis/compare/linked.py): compare() by municipality, by school and by two fields, and the cold first
view of Regiones and Escuelas, on the default demo, for several commits in the same run.

    python bench/linked_cost.py [--runs 3] [--rev LABEL=REV ...] [--json OUT]

Each measurement is a fresh process run from a ``git archive`` of the commit it measures (the working tree
for ``current``), on a demo database that tree built itself: ``compare_<design>_<grouping>`` times one
compare() call of ``score_math`` in a process that has imported ``analysis.compare`` (wall and CPU of the
call alone); ``page_<slug>`` is bench/cold_start.py's page step (the page's first run through AppTest), with
a query string for Regiones by municipality. The
trees alternate step by step, their order rotated every run; medians are reported with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.cold_start import _env, page_step, trees_with_demos

ROOT = Path(__file__).resolve().parents[1]
CALLS = [("prepost", "municipality"), ("prepost", "school"), ("prepost", "municipality,sex"),
         ("did", "municipality"), ("did", "school"), ("did", "municipality,sex")]
# page, query string: Regiones' default (dropout_rate by department: a rate, never suppressed), Regiones by
# municipality on score_math (its default design, DiD: the coarser views are department and authority),
# Escuelas' default (score_math pre/post by school: zone, department, authority and municipality)
PAGES = {"regiones": "", "regiones_municipality": "indicador=score_math&nivel=municipality", "escuelas": ""}
COMPARE_CHILD = """
import json, os, sys, time
sys.path.insert(0, os.getcwd())
from analysis.compare import CompareError, compare
design, by = sys.argv[1], sys.argv[2].split(",")
started, cpu = time.perf_counter(), time.process_time()
try:
    rows = len(compare(os.environ["LABLENS_DB"], "score_math", design, by=by))
except CompareError as e:
    rows = "refused: " + str(e)[:60]
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "rows": rows}))
"""


def compare_step(design: str, by: str, tree: Path, db: Path, work: Path) -> tuple[float, float, object]:
    proc = subprocess.run([sys.executable, "-c", COMPARE_CHILD, design, by], cwd=tree, env=_env(db, work),
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["seconds"], out["cpu"], out["rows"]


def page(name: str, tree: Path, db: Path, work: Path) -> tuple[float, float]:
    """bench/cold_start.py's page step with the page's query string (PAGES)."""
    return page_step("regiones" if name == "page_regiones_municipality" else name[5:], PAGES[name[5:]], tree, db,
                     work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rev", action="append", default=[], help="LABEL=REV measured beside the working tree")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    revs = dict(r.split("=", 1) for r in args.rev)
    steps = [*(f"compare_{d}_{b.replace(',', '+')}" for d, b in CALLS), *(f"page_{p}" for p in PAGES)]
    with tempfile.TemporaryDirectory(prefix="lablens-linked-") as tmp:
        tmp = Path(tmp)
        trees, dbs = trees_with_demos(tmp, revs)
        labels = list(trees)
        loads = [os.getloadavg()]
        times = {s: {label: {"wall": [], "cpu": []} for label in labels} for s in steps}
        rows: dict[str, dict[str, object]] = {s: {} for s in steps}
        for run in range(args.runs):
            order = labels[run % len(labels):] + labels[:run % len(labels)]
            for (design, by), name in zip(CALLS, steps, strict=False):
                for label in order:
                    wall, cpu, n = compare_step(design, by, trees[label], dbs[label], tmp / label)
                    times[name][label]["wall"].append(wall)
                    times[name][label]["cpu"].append(cpu)
                    rows[name][label] = n
            for name in steps[len(CALLS):]:
                for label in order:
                    wall, cpu = page(name, trees[label], dbs[label], tmp / label)
                    times[name][label]["wall"].append(wall)
                    times[name][label]["cpu"].append(cpu)
            loads.append(os.getloadavg())
            print(f"run {run + 1}/{args.runs} done, load {loads[-1][0]:.2f}", file=sys.stderr, flush=True)
    report = {"runs": args.runs, "revs": {**revs, "current": "working tree"}, "load_avg": loads,
              "cpus": os.cpu_count(), "rows": rows,
              "steps": {s: {label: {k: statistics.median(v) for k, v in t.items()} for label, t in by.items()}
                        for s, by in times.items()}, "all": times}
    print(f"{'step':<30}" + "".join(f"{label + ' wall / cpu':>26}" for label in labels))
    for name, by in report["steps"].items():
        print(f"{name:<30}" + "".join(f"{by[label]['wall']:>17.2f} /{by[label]['cpu']:>6.2f}" for label in labels))
    print("load averages (1, 5, 15 min) after each run: " + "; ".join(" ".join(f"{x:.1f}" for x in a) for a in loads))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
