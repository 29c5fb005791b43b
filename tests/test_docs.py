"""Every document the code cites is in the repository, and every section it names exists.

A citation is ``docs/NAME.md`` or a bare ``NAME.md`` (which means ``docs/NAME.md``; ``README.md`` is the
repository's own), optionally followed by a quoted section name: ``(docs/METHODS.md, "Context flags")``.
A section is a heading of that document (numbering such as "2." ignored, the heading may go on after the
name) or the label of a list item ("- Parallel trends: ...").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP = {".git", ".venv", "venv", "data", "node_modules", "__pycache__"}
SEPARATOR = r"(?:,[ \t]*(?:\n[ \t]*(?:#[ \t]*)?)?|[ \t]+|[ \t]*\()\(?"  # ", " (maybe a line break), " " or " ("
QUOTED = r"[\"'“]([^\"'”\n]{1,80}(?:\n[ \t]*[^\"'”\n]{1,80})?)[\"'”]"  # a section name, may break once
CITATION = re.compile(rf"(?<![\w./-])(docs/)?([A-Z][A-Z0-9_]*)\.md\b(?:{SEPARATOR}{QUOTED})?")
PATH_CITATION = re.compile(r"(?<![\w./-])((?:[a-z_]+/)+[A-Za-z_]+\.md)\b")
# files LabLens writes for its users, named in the code that writes them: not documents of this repository
WRITTEN = {"LEEME"}
HEADING = re.compile(r"^#+\s+(?:\d+\.\s+)?(.+?)\s*$", re.MULTILINE)
LABEL = re.compile(r"^\s*(?:[-*]|\d+\.)\s+(?:\*\*)?([^:*\n]{1,60}?)(?:\*\*)?[:.]", re.MULTILINE)


def python_files() -> list[Path]:
    """The project's Python files, this one excepted (its docstring shows the forms, not citations)."""
    return sorted(p for p in ROOT.rglob("*.py")
                  if not SKIP & set(p.relative_to(ROOT).parts) and p != Path(__file__).resolve())


def citations() -> list[tuple[str, str, str | None]]:
    """(where, document path under the repository, section or None) of every citation in the code."""
    out = []
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        for match in CITATION.finditer(text):
            prefix, name, section = match.groups()
            if name in WRITTEN and not prefix:
                continue
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
            document = f"{name}.md" if name == "README" and not prefix else f"docs/{name}.md"
            out.append((where, document, " ".join(section.split()) if section else None))
    return out


def sections(document: Path) -> tuple[list[str], set[str]]:
    text = document.read_text(encoding="utf-8")
    return [h.lower() for h in HEADING.findall(text)], {label.strip().lower() for label in LABEL.findall(text)}


def test_the_code_cites_the_docs():
    cited = {document for _, document, _ in citations()}
    assert {"docs/DESIGN.md", "docs/METHODS.md", "docs/STACK_NOTES.md"} <= cited
    assert len(citations()) > 80


@pytest.mark.parametrize("where, document, section", citations(), ids=lambda v: str(v))
def test_cited_document_and_section_exist(where, document, section):
    path = ROOT / document
    assert path.is_file(), f"{where} cites {document}, which is not in the repository"
    if section:
        headings, labels = sections(path)
        name = section.lower()
        assert any(h.startswith(name) for h in headings) or name in labels, \
            f"{where} cites {document}, '{section}': no such heading or list item"


def test_paths_to_markdown_files_exist():
    missing = [f"{path.relative_to(ROOT)}: {cited}" for path in python_files()
               for cited in PATH_CITATION.findall(path.read_text(encoding="utf-8"))
               if (ROOT / cited.split("/")[0]).is_dir() and not (ROOT / cited).is_file()]
    assert not missing


def test_design_has_the_layers_picture_and_readme_links_the_docs():
    design = (DOCS / "DESIGN.md").read_text(encoding="utf-8")
    layers = design.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    assert "```" in layers and "WRITE" in layers and "READ" in layers
    assert "\n## Adding a design\n" in design
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/DESIGN.md)" in readme and "(docs/METHODS.md)" in readme
