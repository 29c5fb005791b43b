"""The statistics package is pure: no Streamlit (docs/DESIGN.md, "Architecture": analysis never imports upward)."""

from __future__ import annotations

import ast
from pathlib import Path

STATS = Path(__file__).resolve().parents[2] / "analysis" / "stats"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_stats_never_imports_streamlit_or_upper_layers() -> None:
    files = list(STATS.glob("*.py"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "streamlit" not in text, path.name
        assert not _imported_modules(path) & {"streamlit", "ui", "pages", "duckdb"}, path.name


def test_public_api_is_exported() -> None:
    import analysis.stats as s

    for name in s.__all__:
        assert hasattr(s, name), name
