"""What the figures rest on beyond their builders (tests/figures): where the map puts a territory,
builders and sentences free of Streamlit and pages free of analysis, and the minus sign of numbers."""

from __future__ import annotations

import pandas as pd


def test_territory_locations_prefer_the_units_the_database_holds():
    from analysis.queries import map_context, territory_locations

    shapes = pd.DataFrame({
        "country": ["CO", "CO", "CO", "GT", "GT", "GT"], "code": ["76020", "05055", "05001", "12-01", "12-24", "07-19"],
        "location": ["CO-76020", "CO-05055", "CO-05001", "GT-12-01", "GT-12-24", "GT-07-19"],
        "name": ["Argelia", "ARGELIA", "Medellín", "San Pedro", "San Pedro", "Santiago Atitlán"],
        "in_units": [True, False, False, False, False, True]})
    groups = pd.DataFrame({"country": ["CO", "CO", "GT", "GT", "GT"],
                           "label": ["argelia", "Medellin", "San Pedro", "SANTIAGO ATITLAN", None]})
    got = territory_locations(groups, shapes)
    assert got.tolist() == ["CO-76020", "CO-05001", None, "GT-07-19", None]
    context = map_context(shapes, ["CO-76020"], "municipality")
    assert context["location"].tolist() == ["CO-76020"]
    assert map_context(shapes, ["GT-07-19"], "department")["country"].eq("GT").all()


def test_builders_and_sentences_are_pure_and_pages_thin():
    """analysis/figures.py, unit_figures.py and plain_language.py never import Streamlit or ui; pages hold no
    SQL or analysis."""
    import ast

    from tests.conftest import ROOT

    for name in ("figures.py", "unit_figures.py", "plain_language.py"):
        tree = ast.parse((ROOT / "analysis" / name).read_text(encoding="utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & {"streamlit", "ui", "pages", "duckdb"}, name
    for page in sorted((ROOT / "pages").glob("*.py")):
        text = page.read_text(encoding="utf-8")
        assert "SELECT " not in text and "import duckdb" not in text and "compare(" not in text, page.name


def test_numbers_use_a_real_minus_sign():
    from ui.i18n import number

    assert number(-1234.5, 1) in ("\u22121.234,5", "\u22121,234.5")  # Spanish or English convention
    assert number(1234.5, 1) in ("1.234,5", "1,234.5")
