"""The public schema researchers query, the no-streamlit rule, the real-data skip rule, quiet stdout."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from importer_helpers import ROOT, query, write

from analysis.importer.pipeline import import_file

# docs/DESIGN.md, "Public database schema": exactly these columns, in this order.
DOCUMENTED = {
    "units": ["unit_id", "country", "unit_type", "code", "name", "parent_id", "department", "municipality",
              "authority", "zone", "lat", "lon"],
    "assignments": ["unit_id", "program", "lab_type", "start_year", "import_id"],
    "indicators": ["code", "domain", "kind", "unit", "higher_is_better", "min_value", "max_value", "scale",
                   "reverse_coded", "label_es", "label_en"],
    "observations": ["import_id", "unit_id", "student_key", "indicator", "year", "wave", "level", "sex", "grade",
                     "value", "n"],
    "imports": ["import_id", "source_name", "sha256", "recognized_as", "rows_read", "rows_loaded", "rows_rejected",
                "imported_at", "status"],
    "rejects": ["import_id", "row_number", "column_name", "raw_value", "reason"],
}
# Extra columns after the documented ones. Each must be documented (docs/DESIGN.md or README); adding one here
# without documenting it is a breach of the public contract.
EXTRA = {"units": ["import_id"], "imports": ["summary_json"]}
TYPES = {("observations", "value"): "DOUBLE", ("observations", "n"): "DOUBLE", ("observations", "year"): "INTEGER",
         ("units", "code"): "VARCHAR", ("units", "lat"): "DOUBLE", ("assignments", "start_year"): "INTEGER",
         ("rejects", "row_number"): "BIGINT", ("rejects", "raw_value"): "VARCHAR",
         ("indicators", "higher_is_better"): "BOOLEAN", ("imports", "imported_at"): "TIMESTAMP"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("schema")
    path = folder / "lablens.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_KEY_FILE", str(folder / "key.bin"))
        import_file(write(folder / "a.csv", "school_code,year,dropout_rate\n176001000001,2020,3.5\n"), path)
    return path


@pytest.mark.parametrize("table", sorted(DOCUMENTED))
def test_public_tables_have_exactly_the_documented_columns(db: Path, table: str) -> None:
    columns = query(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                        "ORDER BY ordinal_position", [table])
    names = [c for c, _ in columns]
    assert names == DOCUMENTED[table] + EXTRA.get(table, [])
    types = dict(columns)
    for (t, column), expected in TYPES.items():
        if t == table:
            assert types[column] == expected, (table, column)


def test_indicator_catalogue_holds_the_canonical_codes(db: Path) -> None:
    codes = {c for (c,) in query(db, "SELECT code FROM indicators")}
    canonical = {"dropout_rate", "retention_rate", "promotion_rate", "failure_rate", "repetition_rate",
                 "net_coverage_rate", "enrolled_next_year", "attendance_rate", "score_math", "score_language",
                 "score_science", "score_social", "score_global", "motivation_index", "motivation_item_1"}
    assert canonical <= codes
    ranges = dict(((c, (lo, hi)) for c, lo, hi in query(db, "SELECT code, min_value, max_value FROM indicators")))
    assert ranges["dropout_rate"] == (0.0, 100.0) and ranges["net_coverage_rate"] == (0.0, None)
    assert ranges["enrolled_next_year"] == (0.0, 1.0)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
    return names


def test_analysis_never_imports_streamlit() -> None:
    files = sorted((ROOT / "analysis").rglob("*.py"))
    assert len(files) > 15 and ROOT / "analysis" / "importer" / "pipeline.py" in files
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p)
                                                  if m.split(".")[0] in ("streamlit", "ui", "pages", "dashboard"))
                 for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_ast_check_would_catch_an_import(tmp_path: Path) -> None:
    probe = write(tmp_path / "probe.py", "import os\nfrom streamlit.runtime import x\n"
                                        "def f():\n    import importlib\n    importlib.import_module('ui.pages')\n")
    assert {"streamlit.runtime", "ui.pages", "os", "importlib"} <= _imported_modules(probe)


def _load_conftest():
    spec = importlib.util.spec_from_file_location("importer_conftest_probe", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_real_data_skips_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load_conftest()
    monkeypatch.setattr(module, "REAL_DATA", tmp_path / "nowhere")
    monkeypatch.delenv("LABLENS_REQUIRE_REAL_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"real data not found at .*nowhere"):
        module.require_real_data("colombia")


def test_missing_real_data_fails_when_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load_conftest()
    monkeypatch.setattr(module, "REAL_DATA", tmp_path / "nowhere")
    monkeypatch.setenv("LABLENS_REQUIRE_REAL_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="LABLENS_REQUIRE_REAL_DATA=1"):
        module.require_real_data("colombia")


def test_real_data_is_found_beside_the_repository() -> None:
    module = _load_conftest()
    assert module.REAL_DATA.resolve() == (ROOT.parent / "shared" / "data" / "real").resolve()
    if module.REAL_DATA.is_dir():
        assert module.require_real_data("README.md").name == "README.md"


PROGRESS_PROBE = """
import sys
from analysis.importer.pipeline import import_file
from analysis.importer.staging import stage
from analysis.db.connect import open_db
from analysis.precompute.publish import writable_snapshot
setting = "SELECT current_setting('enable_progress_bar')"
staged = stage(sys.argv[1])
print(staged.con.execute(setting).fetchone()[0])
import_file(sys.argv[1], sys.argv[2])
print(open_db(sys.argv[2]).execute(setting).fetchone()[0])
with writable_snapshot(sys.argv[2]) as w:
    print(w.execute(setting).fetchone()[0])
"""


def test_no_connection_draws_a_progress_bar_on_stdout(tmp_path: Path) -> None:
    """DuckDB draws a progress bar on stdout for queries over 2 s (when stdout is not pytest's capture),
    which corrupts `import --json` and CSV output. Checked in a plain subprocess, as the CLI runs."""
    csv_file = write(tmp_path / "a.csv", "school_code,year,dropout_rate\n176001000001,2020,3.5\n")
    result = subprocess.run([sys.executable, "-c", PROGRESS_PROBE, str(csv_file), str(tmp_path / "x.duckdb")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False"]
