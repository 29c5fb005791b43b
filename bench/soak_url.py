"""Soak test of hostile URL state (issue #7): random query parameters through the dashboard's URL-bound filters.

    python bench/soak_url.py --inputs 10000 [--seed 5]

Each input is a fresh Streamlit session (AppTest) running the real ``ui.filters.pick`` / ``pick_many``
with generated query parameters (harness/url_state.py). A defect is an app exception or a
hostile value being chosen; it is printed with its input. About 0.1–0.5 s per input on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    from harness.url_state import check_choices, hostile_values, run_filters

    rng = random.Random(args.seed)
    defects, chosen_default, start = 0, 0, time.perf_counter()
    for i in range(1, args.inputs + 1):
        params = hostile_values(rng)
        try:
            choices = run_filters(params)
            check_choices(choices)
            chosen_default += choices[0] == "score_math"
        except AssertionError as exc:
            defects += 1
            print(f"defect at input {i}: {params!r}: {exc}", file=sys.stderr)
        if i % 500 == 0:
            print(f"{i} inputs, {defects} defects, {time.perf_counter() - start:.0f} s", flush=True)
    print(f"inputs {args.inputs}, defects {defects}, default indicator kept {chosen_default}, "
          f"seconds {time.perf_counter() - start:.0f}")
    return 1 if defects else 0


if __name__ == "__main__":
    raise SystemExit(main())
