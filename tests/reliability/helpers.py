"""Small helpers for the reliability tests: files, hashes, the CLI in a subprocess or in this process, database
state."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
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


def copy_database(src: Path, folder: Path) -> Path:
    """A copy in ``folder`` of the database ``src`` with its backups and audit log, byte for byte (a module builds
    a starting state once and each test takes a copy); its checks file re-stamped for the copy, whose inode and
    mtime differ (tests/conftest.py, demo_copy)."""
    from analysis.precompute import checks

    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.parent.glob(f"{src.name}*")):
        if path.is_file() and path != checks.sidecar(src) and not path.name.endswith(".lock"):
            shutil.copy(path, folder / path.name)
    db = folder / src.name
    kept = json.loads(checks.sidecar(src).read_text())
    checks.write(db, {k: v for k, v in kept.items() if k not in checks.identity(src)})
    return db


def students_csv(path: Path, rows: list[tuple[str, str, str, float]], extra: str | None = None) -> Path:
    """A canonical student file: (student_id, school_code, wave, score_math) rows, optional 'etnia' column."""
    header = "student_id,school_code,wave,score_math" + (",etnia" if extra else "")
    body = "".join(f"{s},{c},{w},{v}" + (f",{extra}" if extra else "") + "\n" for s, c, w, v in rows)
    return write(path, header + "\n" + body)


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m analysis ARGS` in a fresh process (the environment of the test, plus ``env``)."""
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def cli_here(*args: str) -> subprocess.CompletedProcess:
    """`python -m analysis ARGS` run in this process (``analysis.cli.main``, what ``python -m analysis`` calls), with
    what it prints, both through ``sys`` and on the file descriptors, returned as :func:`cli` returns it: 1 s of CPU
    less than a fresh interpreter per call, for the tests whose subject is the command's outcome, not the process.
    An exception escaping ``main`` is printed as the interpreter would (a traceback on stderr, exit 1)."""
    from analysis.cli import main

    with tempfile.TemporaryFile() as out_fd, tempfile.TemporaryFile() as err_fd:
        out, err = io.StringIO(), io.StringIO()
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out_fd.fileno(), 1)
        os.dup2(err_fd.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse: a malformed command
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                except Exception:  # reported as the interpreter would report it
                    traceback.print_exc()
                    code = 1
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out_fd.seek(0)
        err_fd.seek(0)
        return subprocess.CompletedProcess(["analysis", *args], code,
                                           out.getvalue() + out_fd.read().decode("utf-8", "replace"),
                                           err.getvalue() + err_fd.read().decode("utf-8", "replace"))


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
