"""Soak test of hostile input (issue #7): thousands of generated files through the readers and the importer.

    python bench/soak.py --inputs 10000 [--seed 7] [--import-every 20]

Every input is staged (read, recognise, validate); every ``--import-every``-th one is also imported into
a scratch database, checking that a failed import leaves the database file byte-identical. The outcome
of each input must be success or a named failure (ImportFailed, NotRecognised, ReadError, MappingError)
with a one-line message; anything else is a defect and is printed with the input that caused it.
Runs outside the test suite (minutes, not seconds); tests/RELIABILITY.md records its figures.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--import-every", type=int, default=20, help="also import every Nth input into a database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lablens-soak-") as folder:
        os.environ["LABLENS_KEY_FILE"] = str(Path(folder) / "key.bin")  # never the user's key
        from harness.hostile import run_case

        rng = random.Random(args.seed)
        db = Path(folder) / "soak.duckdb"
        outcomes: collections.Counter[str] = collections.Counter()
        defects: list[str] = []
        started = time.monotonic()
        imported = 0
        for i in range(args.inputs):
            target = db if args.import_every and i % args.import_every == 0 else None
            imported += target is not None
            try:
                outcomes[run_case(rng, Path(folder), target)] += 1
            except AssertionError as exc:
                outcomes["DEFECT"] += 1
                defects.append(f"input {i}: {str(exc)[:400]}")
            if (i + 1) % 1000 == 0:
                print(f"{i + 1} inputs, {time.monotonic() - started:.0f} s: {dict(outcomes)}", flush=True)
        elapsed = time.monotonic() - started
    print(f"soak: {args.inputs} inputs (seed {args.seed}; {imported} also imported) in {elapsed:.0f} s: "
          f"{dict(outcomes)}; defects {len(defects)}")
    for line in defects[:20]:
        print(line)
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
