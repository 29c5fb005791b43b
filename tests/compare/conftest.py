"""Fixtures for the compare() suite: small databases built through the real importer (compare_data.py),
a tmp pseudonymisation key, and the real-data helper (skip, or fail when LABLENS_REQUIRE_REAL_DATA=1)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from compare_data import (  # noqa: E402
    LEVEL_NAMES,
    RATE_SCHOOLS,
    SCORE_UNITS,
    STUDENT_SCHOOLS,
    TERRITORIES,
    RatesDB,
    StudentDB,
    load,
    make_rate_rows,
    make_student_rows,
    schools_frame,
    write_roster,
)

REAL_DATA = ROOT.parent / "shared" / "data" / "real"


# --- environment -----------------------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _student_key(tmp_path_factory: pytest.TempPathFactory):
    """Pseudonymisation key in a tmp file, never the user's ~/.config key (session-wide, so that the
    session-scoped databases below and every test see the same key)."""
    key = tmp_path_factory.mktemp("key") / "student_key.bin"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_KEY_FILE", str(key))
        mp.delenv("LABLENS_DB", raising=False)
        yield key


def real_data_dir(*parts: str) -> Path:
    """Path inside ../shared/data/real; skip with a clear reason when it is absent (a user's clone),
    but fail when LABLENS_REQUIRE_REAL_DATA=1 (CI must run these tests)."""
    path = REAL_DATA.joinpath(*parts)
    if not path.exists():
        message = (f"real public data not found at {path} (it lives beside the project, not in it; see "
                   "../shared/data/real/README.md)")
        if os.environ.get("LABLENS_REQUIRE_REAL_DATA") == "1":
            pytest.fail(message + "; LABLENS_REQUIRE_REAL_DATA=1 requires it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def real_data():
    """The real_data_dir helper, for tests and module fixtures: real_data('colombia', 'men', FILE)."""
    return real_data_dir


# --- databases -------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def student_db(tmp_path_factory: pytest.TempPathFactory, _student_key) -> StudentDB:
    tmp = tmp_path_factory.mktemp("students")
    raw = make_student_rows()
    csv = tmp / "students.csv"
    raw.to_csv(csv, index=False)
    roster = write_roster(tmp / "roster.csv", [
        (country, "school", code, prog, lab or "", 2018 if prog != "comparison" else "")
        for code, country, prog, lab, _ in STUDENT_SCHOOLS])
    db = tmp / "lablens.duckdb"
    load(db, csv, roster)
    return StudentDB(db, raw, schools_frame())


@pytest.fixture(scope="session")
def rates_db(tmp_path_factory: pytest.TempPathFactory, _student_key) -> RatesDB:
    tmp = tmp_path_factory.mktemp("rates")
    rates, scores, terr = make_rate_rows()
    rates.to_csv(tmp / "school_rates.csv", index=False)
    scores.to_csv(tmp / "school_scores.csv", index=False)
    terr.to_csv(tmp / "municipal_dropout.csv", index=False)
    roster_rows = [("CO", "school", code, prog, lab or "", start or "")
                   for code, _, prog, lab, start, _ in RATE_SCHOOLS]
    roster_rows += [("GT", "school", code, prog, "Lab Center", 2015) for code, country, prog in SCORE_UNITS
                    if country == "GT"]
    roster_rows += [("CO", "municipality", code, "TerritoryLab", "", 2018) for code in TERRITORIES]
    roster = write_roster(tmp / "roster.csv", roster_rows)
    db = tmp / "lablens.duckdb"
    load(db, tmp / "school_rates.csv", tmp / "school_scores.csv", tmp / "municipal_dropout.csv", roster)
    units = pd.DataFrame([(c, co, p, lab, s) for c, co, p, lab, s, _ in RATE_SCHOOLS],
                         columns=["unit_code", "country", "program", "lab_type", "start_year"])
    rates = rates.assign(level=rates["level"].map(LEVEL_NAMES))
    return RatesDB(db, rates, scores, terr, units)
