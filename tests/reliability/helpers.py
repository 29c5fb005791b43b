"""Small helpers for the reliability tests: files, hashes, the CLI in a subprocess, database state."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from analysis.db.connect import open_db

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("units", "assignments", "observations", "imports", "rejects", "student_attributes",
          "duplicate_observations", "superseded_observations", "meta")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rates_csv(path: Path, schools: range, year: int, value: float = 3.5) -> Path:
    """A school dropout-rate file: one row per school code in ``schools``."""
    rows = "".join(f"1760010{i:05d},{year},{value}\n" for i in schools)
    return write(path, "school_code,year,dropout_rate\n" + rows)


def students_csv(path: Path, rows: list[tuple[str, str, str, float]], extra: str | None = None) -> Path:
    """A canonical student file: (student_id, school_code, wave, score_math) rows, optional 'etnia' column."""
    header = "student_id,school_code,wave,score_math" + (",etnia" if extra else "")
    body = "".join(f"{s},{c},{w},{v}" + (f",{extra}" if extra else "") + "\n" for s, c, w, v in rows)
    return write(path, header + "\n" + body)


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m analysis ARGS` in a fresh process (the environment of the test, plus ``env``)."""
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def state(db: Path) -> dict:
    """Row counts of every table and the import list: what 'unchanged' means for a database."""
    con = open_db(db)
    try:
        out = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
        out["imports_list"] = con.execute("SELECT import_id, source_name, status FROM imports ORDER BY 1").fetchall()
        return out
    finally:
        con.close()


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_db(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The CLI's stderr, asserted to be a single 'error: ...' line without a traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
