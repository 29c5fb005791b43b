"""Cold starts on the default demo database (issue 20, item 4), against a baseline commit in the same run.

    python bench/cold_start.py [--runs 3] [--baseline REV] [--json OUT]

Each measurement is a fresh process, run from a checkout of the tree it measures, on a demo database that
tree built itself (default size and seed: its checks and stored-results signatures are its own code's):

- ``page_<slug>``: a process that has imported its modules (what a server has done before its first request),
  caches empty, runs the page once through AppTest from ``dashboard.py``; the time of that first run;
- ``cli_compare``: the whole command ``python -m analysis compare --indicator score_math``, timed from outside
  (Python start, imports, compare(), printing);
- ``cli_export``: the whole command ``python -m analysis export`` of the evidence pack (seven indicators, DiD,
  Spanish CSV variant), timed from outside.

The baseline (a ``git archive`` of ``--baseline``) and the working tree alternate step by step, the order
swapped every run; medians are reported with the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("inicio", "comparar", "regiones", "escuelas", "logros", "piloto", "evidencia", "datos", "metodos")
INDICATORS = "score_math,score_language,score_science,motivation_index,dropout_rate,promotion_rate,repetition_rate"
TARGETS = {**{f"page_{p}": 1.5 for p in PAGES}, "cli_compare": 1.5, "cli_export": 3.0}

PAGE_CHILD = """
import os, sys, time, json
sys.path.insert(0, os.getcwd())
from streamlit.testing.v1 import AppTest
import analysis.compare, analysis.unit_figures, ui.loaders  # what a server has imported before a request
at = AppTest.from_file("dashboard.py", default_timeout=600)
page = sys.argv[1]
if page != "inicio":
    at.switch_page(f"pages/{page}.py")
for pair in filter(None, (sys.argv[2] if len(sys.argv) > 2 else "").split("&")):  # the page's query string
    name, value = pair.split("=")
    at.query_params[name] = value
started, cpu = time.perf_counter(), time.process_time()
at.run()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
if at.exception:
    raise SystemExit(f"page {page} failed: {at.exception[0].value}")
print(json.dumps({"seconds": seconds, "cpu": cpu}))
"""


def _env(db: Path, work: Path) -> dict:
    return {**os.environ, "LABLENS_DB": str(db), "LABLENS_KEY_FILE": str(work / "key.bin")}


def page_step(page: str, query: str, tree: Path, db: Path, work: Path) -> tuple[float, float]:
    """A page's first view (imports done, caches empty, one run through AppTest from dashboard.py, with the
    query string ``query``) in a fresh process from ``tree`` on ``db``: wall and CPU seconds."""
    proc = subprocess.run([sys.executable, "-c", PAGE_CHILD, page, query], cwd=tree, env=_env(db, work),
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["seconds"], out["cpu"]


def trees_with_demos(tmp: Path, revs: dict[str, str]) -> tuple[dict[str, Path], dict[str, Path]]:
    """Each git revision of ``revs`` (label -> rev) extracted under ``tmp``, the working tree as "current", and
    a demo database built by each tree's own code: (trees, databases) by label."""
    trees = {}
    for label, rev in revs.items():
        trees[label] = tmp / f"tree-{label}"
        trees[label].mkdir()
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(trees[label])], input=archive, check=True)
    trees["current"] = ROOT
    dbs = {}
    for label, tree in trees.items():
        (tmp / label).mkdir(exist_ok=True)
        dbs[label] = tmp / f"{label}-db" / "lablens.duckdb"
        dbs[label].parent.mkdir()
        subprocess.run([sys.executable, "-m", "analysis", "demo", "--db", str(dbs[label])], cwd=tree,
                       env=_env(dbs[label], tmp / label), check=True, capture_output=True)
    return trees, dbs


def step(name: str, tree: Path, db: Path, work: Path) -> tuple[float, float]:
    """Seconds of one step in a fresh process from ``tree`` on ``db``: wall clock and CPU (every thread; on a
    shared machine the CPU time is the steadier figure, and a quiet machine's wall time is close to it)."""
    env = _env(db, work)
    if name.startswith("page_"):
        return page_step(name[5:], "", tree, db, work)
    if name == "cli_compare":
        args = ["compare", "--db", str(db), "--indicator", "score_math"]
    else:
        args = ["export", "--db", str(db), "--indicator", INDICATORS, "--design", "did", "--csv-locale", "es",
                "--out", str(work / "pack.zip")]
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", *args], cwd=tree, env=env, capture_output=True,
                          text=True, check=False)
    seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="8f0aa2b", help="git revision measured beside the working tree")
    parser.add_argument("--only", default="", help="comma-separated step names (default: all)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    steps = [s for s in [*TARGETS] if not args.only or s in args.only.split(",")]
    with tempfile.TemporaryDirectory(prefix="lablens-cold-") as tmp:
        tmp = Path(tmp)
        trees, dbs = trees_with_demos(tmp, {"baseline": args.baseline})
        loads = [os.getloadavg()[0]]
        times: dict[str, dict[str, list[float]]] = {
            s: {"baseline": [], "current": [], "baseline_cpu": [], "current_cpu": []} for s in steps}
        for run in range(args.runs):
            order = ["baseline", "current"] if run % 2 == 0 else ["current", "baseline"]
            for name in steps:
                for label in order:
                    wall, cpu = step(name, trees[label], dbs[label], tmp / label)
                    times[name][label].append(wall)
                    times[name][f"{label}_cpu"].append(cpu)
            loads.append(os.getloadavg()[0])
            print(f"run {run + 1}/{args.runs} done, load {loads[-1]:.2f}", file=sys.stderr, flush=True)
    report = {"runs": args.runs, "baseline": args.baseline, "load_1min": loads, "cpus": os.cpu_count(),
              "steps": {s: {"target": TARGETS[s], **{k: statistics.median(v) for k, v in t.items()},
                            "all": t} for s, t in times.items()}}
    print(f"{'step':<16}{'target':>7}{'current':>9}{'(cpu)':>7}{'baseline':>10}{'(cpu)':>7}  verdict (wall; cpu)")
    for name, r in report["steps"].items():
        verdict = "; ".join("met" if r[k] < r["target"] else "NOT met" for k in ("current", "current_cpu"))
        print(f"{name:<16}{r['target']:>7.1f}{r['current']:>9.2f}{r['current_cpu']:>7.2f}{r['baseline']:>10.2f}"
              f"{r['baseline_cpu']:>7.2f}  {verdict}")
    print(f"load (1 min) during the run: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
