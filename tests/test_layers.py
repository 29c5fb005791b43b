"""The import direction of the whole project (docs/DESIGN.md, "Layers"), read from the code with ast.

Every import counts, those inside functions too. The checks: no import cycle among the project's modules;
every import points down the layer table below (or stays inside its own package); `analysis/` never
imports Streamlit, ui or pages; no analysis module longer than about 600 lines; every module has a layer,
so a new one is placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600

#: Layers from the bottom up: a module may import its own layer's modules (no cycles) and lower layers only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("analysis.db", "analysis.catalog", "analysis.fields", "analysis.periods", "analysis.stats",
     "analysis.disclosure", "analysis.privacy", "analysis.audit", "analysis.plain_language", "analysis.code_words",
     "analysis.reasons",
     "analysis.import_text", "analysis.read_reasons", "analysis.row_notes", "analysis.reject_reasons",
     "analysis.option_ranges", "analysis.forms.definitions",
     "analysis.safe_export", "analysis.throttle"),
    ("analysis.compare",),
    ("analysis.queries", "analysis.descriptive", "analysis.figures", "analysis.unit_figures", "analysis.geo",
     "analysis.implementation", "analysis.territories", "analysis.figure_text",
     "analysis.panels"),
    ("analysis.precompute", "analysis.evidence"),
    ("analysis.importer", "analysis.demo", "analysis.backups", "analysis.keys", "analysis.pilot",
     "analysis.forms", "analysis.lake", "analysis.indicator_list", "analysis.geo.build"),
    ("analysis.cli", "analysis.cli_text", "analysis.__main__", "analysis.implementation.cli"),
    ("ui",),
    ("pages", "dashboard"),
)
PACKAGE_FACES = ("analysis",)  # analysis/__init__.py: the public face (open_db, __version__), above nothing


def project_files(root: Path = ROOT) -> dict[str, Path]:
    files = [p for d in ("analysis", "ui", "pages") for p in (root / d).rglob("*.py")] + [root / "dashboard.py"]
    out = {}
    for p in files:
        if not p.exists():
            continue
        parts = list(p.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(modules: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """(module -> project modules it imports, imports of streamlit/ui/pages made by analysis modules)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    upward = []
    for m, path in modules.items():
        package = m if path.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                if m.startswith("analysis") and target.split(".")[0] in ("streamlit", "ui", "pages", "dashboard"):
                    upward.append(f"{m} -> {target}")
                found = _resolve(target, modules)
                # a package's face re-exporting its own children is not a cycle
                if found and found != m and not (path.name == "__init__.py" and found.startswith(m + ".")):
                    graph[m].add(found)
    return graph, upward


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> int | None:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def against_the_layers(graph: dict[str, set[str]]) -> list[str]:
    """Imports pointing up the layer table (a module of layer k importing one of a layer above k)."""
    out = []
    for m, targets in graph.items():
        if m in PACKAGE_FACES:
            continue
        for t in targets:
            if t in PACKAGE_FACES:
                continue
            a, b = layer_of(m), layer_of(t)
            if a is not None and b is not None and b > a:
                out.append(f"{m} (layer {a}) -> {t} (layer {b})")
    return sorted(out)


@pytest.fixture(scope="module")
def project():
    modules = project_files()
    graph, upward = import_graph(modules)
    return modules, graph, upward


def test_no_import_cycles(project):
    _, graph, _ = project
    assert cycles(graph) == []


def test_analysis_never_imports_streamlit_ui_or_pages(project):
    assert project[2] == []


def test_every_import_points_down_the_layers(project):
    modules, graph, _ = project
    assert [m for m in modules if layer_of(m) is None and m not in PACKAGE_FACES] == []
    assert against_the_layers(graph) == []


def test_no_analysis_module_over_the_limit(project):
    modules = project[0]
    long = {m: n for m, p in modules.items() if m.startswith("analysis")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_checks_catch_what_they_look_for(tmp_path):
    """Counter-test: a cycle through an import inside a function, an upward import and a Streamlit import
    in analysis/ are all found."""
    (tmp_path / "analysis" / "compare").mkdir(parents=True)
    (tmp_path / "analysis" / "__init__.py").write_text("")
    (tmp_path / "analysis" / "compare" / "__init__.py").write_text("from analysis.db import x\n")
    (tmp_path / "analysis" / "db.py").write_text("def f():\n    from analysis.compare import y\n")
    (tmp_path / "analysis" / "stats.py").write_text("import streamlit as st\n")
    modules = project_files(tmp_path)
    graph, upward = import_graph(modules)
    assert cycles(graph) == [["analysis.compare", "analysis.db"]]
    assert against_the_layers(graph) == ["analysis.db (layer 0) -> analysis.compare (layer 1)"]
    assert upward == ["analysis.stats -> streamlit"]
