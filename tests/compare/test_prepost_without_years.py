"""Student files with waves and no year (the canonical student layout allows it): pre/post still works.

Found by the stored standard results (issue #6): the year span of such rows is NA, and comparing it
raised a TypeError, so the dashboard showed "could not be computed" for every pre/post of the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.compare import compare
from analysis.importer.pipeline import import_file
from analysis.precompute.publish import writable_snapshot
from tests.reliability.helpers import rows, students_csv

CODE_A, CODE_B = "176001000001", "176001000002"
A, B = f"CO-{CODE_A}", f"CO-{CODE_B}"  # unit ids: country and school code


@pytest.fixture
def db(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("LABLENS_KEY_FILE", str(tmp_path / "key"))
    path = tmp_path / "lablens.duckdb"
    pre = [("S1", CODE_A, "pre", 40.0), ("S2", CODE_A, "pre", 60.0), ("S3", CODE_B, "pre", 70.0),
           ("S4", CODE_B, "pre", 50.0)]
    post = [("S1", CODE_A, "post", 46.0), ("S2", CODE_A, "post", 64.0), ("S3", CODE_B, "post", 71.0),
            ("S4", CODE_B, "post", 52.0)]
    import_file(students_csv(tmp_path / "pre.csv", pre), path)
    import_file(students_csv(tmp_path / "post.csv", post), path)
    with writable_snapshot(path) as con:
        con.execute("INSERT INTO target.assignments VALUES (?, 'ValleLabs', 'Lab Center', 2019, NULL), "
                    "(?, 'comparison', NULL, NULL, NULL)", [A, B])
    return path


def test_prepost_of_students_without_years(db: Path) -> None:
    assert rows(db, "SELECT count(*), count(year) FROM observations") == [(8, 0)]
    result = compare(db, "score_math", "prepost", by="school", min_cell=1).set_index("school")
    # school A: differences 6 and 4 (mean 5); school B: 1 and 2 (mean 1.5)
    assert result.loc[A, "n_linked"] == 2 and result.loc[B, "n_linked"] == 2
    assert result.loc[A, "diff"] == pytest.approx(5.0)
    assert result.loc[B, "diff"] == pytest.approx(1.5)
    assert result.loc[A, "pre_years"] == [] and result.loc[A, "post_years"] == []
