"""The golden outputs of compare() and of the evidence pack's data files on a seeded demo database.

Taken before the analysis/ redesign (issue 13) and kept after it: a behaviour-preserving move leaves every
hash unchanged. Run ``python -m tests.golden.golden_outputs --write`` only when a change of numbers is
intended, and say why in the commit.

Every frame is hashed from its CSV text (floats in their shortest exact form, so any change in the last
binary digit shows), computed on one DuckDB thread as exports are: parallel float sums may otherwise
change the last digit from run to run.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

GOLDEN_FILE = Path(__file__).with_name("golden_hashes.json")
DEMO_STUDENTS, DEMO_SEED = 4000, 7
INDICATORS = ("score_math", "motivation_index", "enrolled_next_year", "dropout_rate", "promotion_rate")
DESIGNS = ("prepost", "did")
GROUPINGS = (None, "school", "department", "lab_type")
PACK_REQUESTS = (
    {"indicators": ("score_math", "dropout_rate"), "design": "did", "by": ("department",)},
    {"indicators": ("score_math", "motivation_index"), "design": "prepost", "by": ()},
)


def frame_hash(frame) -> str:
    """sha256 of a frame's CSV text (column names, dtypes' text forms, exact floats)."""
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def workbook_hash(data: bytes) -> str:
    """sha256 of every sheet's cells but the provenance sheet's, which names the git commit (a new one with
    every commit); the workbook's bytes are checked byte-identical across runs by the evidence tests."""
    import io

    import pandas as pd

    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str)
    text = "".join(f"[{name}]\n" + frame.to_csv(index=False, lineterminator="\n")
                   for name, frame in sheets.items() if name != "provenance")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compare_requests() -> list[dict]:
    return [{"indicator": i, "design": d, "by": b} for i in INDICATORS for d in DESIGNS for b in GROUPINGS]


def golden_outputs(db_path: str | Path) -> dict[str, str]:
    """Hash of every golden output on the database at ``db_path`` (one DuckDB thread)."""
    from analysis.compare import CompareError, compare
    from analysis.evidence_pack import (
        EvidenceRequest,
        data_files,
        evidence_table,
        load_context,
        reproducible_connection,
    )

    out: dict[str, str] = {}
    con = reproducible_connection(db_path)
    try:
        for req in compare_requests():
            key = f"compare:{req['indicator']}:{req['design']}:{req['by'] or '-'}"
            try:
                out[key] = frame_hash(compare(con, req["indicator"], req["design"], by=req["by"]))
            except CompareError as exc:
                out[key] = "CompareError: " + str(exc)
        context = load_context(con, "lablens.duckdb")
        for n, spec in enumerate(PACK_REQUESTS):
            request = EvidenceRequest(**spec)
            table = evidence_table(con, request, skip_errors=True)
            for lang in ("es", "en"):
                files = data_files(table, request, context, lang, csv_locale=lang)
                for name, data in sorted(files.items()):
                    out[f"pack{n}:{lang}:{name}"] = (workbook_hash(data) if name.endswith(".xlsx")
                                                     else hashlib.sha256(data).hexdigest())
    finally:
        con.close()
    return out


def build_golden_db(path: Path) -> Path:
    """The seeded demo, written on one DuckDB thread: the derived tables' sums are computed when the
    snapshot is written, and several threads may add them in another order on every build."""
    import duckdb

    from analysis.demo import build_demo

    real_connect = duckdb.connect

    def one_thread_connect(database=":memory:", read_only=False, config=None, **kwargs):
        return real_connect(database, read_only=read_only, config={**(config or {}), "threads": 1}, **kwargs)

    duckdb.connect = one_thread_connect
    try:
        build_demo(path, students=DEMO_STUDENTS, seed=DEMO_SEED)
    finally:
        duckdb.connect = real_connect
    return path


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        hashes = golden_outputs(build_golden_db(Path(tmp) / "golden.duckdb"))
    if "--write" in sys.argv:
        GOLDEN_FILE.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {len(hashes)} hashes to {GOLDEN_FILE}")
    else:
        print(json.dumps(hashes, indent=1, sort_keys=True))
