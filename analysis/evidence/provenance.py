"""provenance.json and the XLSX provenance sheet: the imports behind the numbers (with sha256), the LabLens
version and commit, the command and filters, package versions and the sha256 of every file in the pack; for
the randomised-trial design, the registered assignment records (seed, frame and roster sha256, options)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd

import analysis
from analysis.evidence.request import EvidenceRequest, PackContext

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("duckdb", "pandas", "numpy", "scipy", "statsmodels", "pyarrow", "plotly", "openpyxl")


@cache
def git_commit() -> tuple[str, bool | None]:
    """(commit, uncommitted changes in analysis/?) of the LabLens checkout, or ("unknown", None) outside git;
    asked once per process (the code a process runs does not change under it)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "analysis"],
                                cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    return (commit or "unknown"), bool(status.strip())


def versions() -> dict[str, str]:
    """Python and the versions of the packages the numbers depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def imports_records(context: PackContext) -> list[dict]:
    """The imports behind the numbers: id, source file name, sha256, status, rows, time."""
    return [{k: _json_value(v) for k, v in row.items()} for row in context.imports.to_dict("records")]


def provenance(request: EvidenceRequest, context: PackContext, files: Mapping[str, bytes] | None = None,
               generated_at: dt.datetime | None = None) -> dict:
    """provenance.json: imports with sha256, LabLens version and commit, the command and filters, the calls,
    package versions, the sha256 of every other file in the pack, and the generation time (UTC)."""
    commit, dirty = git_commit()
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    return {
        "generated_at": when.isoformat().replace("+00:00", "Z"),
        "lablens_version": analysis.__version__,
        "git_commit": commit,
        "git_uncommitted_changes": dirty,
        "command": request.command,
        "filters": request.filters(),
        "compare_calls": request.compare_calls(),
        "database": {"file": context.database, "schema_version": context.meta.get("schema_version"),
                     "synthetic_demo": context.demo},
        "imports": imports_records(context),
        **({"randomised_assignments": context.assignments} if request.design == "rct" else {}),
        "software": versions(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in (files or {}).items()},
    }


def provenance_rows(request: EvidenceRequest, context: PackContext) -> pd.DataFrame:
    """Provenance as (item, value) rows without the time, so the XLSX stays byte-identical across runs."""
    commit, _ = git_commit()
    rows = [("lablens_version", analysis.__version__), ("git_commit", commit), ("command", request.command),
            ("filters", json.dumps(request.filters(), ensure_ascii=False, sort_keys=True)),
            ("database", context.database), ("synthetic_demo", str(context.demo).lower())]
    for imp in imports_records(context):
        rows.append((f"import {imp['import_id']}",
                     f"{imp['source_name']} [{imp['status']}] sha256={imp['sha256']}"))
    if request.design == "rct":  # the randomisation behind the trial: seed, frame, roster (issue 17)
        for a in context.assignments:
            r = a["record"]
            rows.append((f"assignment {a['assignment_id']}",
                         f"{r.get('options', {}).get('program')} seed={r.get('seed')} frame_sha256="
                         f"{r.get('frame_sha256')} roster_sha256={r.get('roster_sha256')} "
                         f"lablens={r.get('lablens_version')}"))
    rows.append(("generated_at", "provenance.json"))
    return pd.DataFrame(rows, columns=["item", "value"]).astype("str")

