"""The design registry: every registered design is documented, reachable from compare(), the CLI and the pages."""

from __future__ import annotations

import argparse

import duckdb
import pytest

from analysis import cli
from analysis import compare as cmp
from analysis.compare import columns, designs
from analysis.evidence.columns import describe
from analysis.evidence.methods import DESIGN_METHODS_TEXT
from analysis.fields import FIELDS


def _design_action(parser: argparse.ArgumentParser) -> argparse.Action:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return next(a for a in sub.choices["compare"]._actions if a.dest == "design")


def test_names_are_unique_and_listed():
    assert cmp.DESIGNS == tuple(d.NAME for d in designs.REGISTERED) == ("prepost", "did", "rct")
    assert len(set(cmp.DESIGNS)) == len(cmp.DESIGNS)
    assert designs.DEFAULT in cmp.DESIGNS


@pytest.mark.parametrize("design", designs.REGISTERED, ids=lambda d: d.NAME)
def test_every_column_is_documented_in_both_languages(design):
    registry = cmp.column_registry()
    for name in columns.output_columns(design):
        column = registry[name]
        assert design.NAME in column.designs
        assert column.es.strip() and column.en.strip() and column.es != column.en, name
    assert set(design.COLUMN_DOCS) <= set(columns.output_columns(design))  # no stale docs
    assert set(design.SUMMARY_COLUMNS) <= set(design.COLUMNS)
    assert set(design.METHODS) == {"es", "en"} and all(design.METHODS.values())
    assert set(design.OPTIONS) <= {"icc"}  # options compare() passes on


def test_registry_describes_every_column_of_both_designs_once():
    registry = cmp.column_registry()
    assert list(registry)[:2] == ["program", "country"]
    assert {f.name for f in FIELDS if f.alias_of is None} <= set(registry)
    assert registry["design"].designs == cmp.DESIGNS
    assert registry["estimate"].designs == ("did", "rct") and registry["n_linked"].designs == ("prepost",)
    assert registry["flags"].designs == cmp.DESIGNS


def test_the_evidence_pack_reads_the_registry():
    """The evidence dictionary and methods text are the registry's own (one description of each column)."""
    for name, column in cmp.column_registry().items():
        assert describe(name) == (column.es, column.en), name
    for lang in ("es", "en"):
        assert [DESIGN_METHODS_TEXT[name][lang] for name in cmp.DESIGNS] == cmp.methods_text(lang)


def test_docstring_lists_every_column():
    for design in designs.REGISTERED:
        for name in columns.output_columns(design):
            assert name in cmp.__doc__


def test_compare_rejects_an_unregistered_design_naming_the_registered_ones():
    con = duckdb.connect()
    try:
        with pytest.raises(cmp.CompareError, match="design must be one of prepost, did, rct, not 'rdd'"):
            cmp.compare(con, "score_math", design="rdd")
    finally:
        con.close()


def test_cli_design_choices_are_the_registry():
    action = _design_action(cli.build_parser())
    assert tuple(action.choices) == cmp.DESIGNS and action.default == designs.DEFAULT


def test_selectors_list_comparison_designs_first():
    order = designs.selector_order()
    assert sorted(order) == sorted(cmp.DESIGNS)
    flags = [designs.BY_NAME[name].COMPARISON for name in order]
    assert flags == sorted(flags, reverse=True)
    assert order == ("did", "rct", "prepost")


def test_a_design_refuses_the_groupings_it_cannot_answer():
    designs.BY_NAME["prepost"].check_grouping(["school"])
    with pytest.raises(cmp.CompareError, match="DiD by school"):
        designs.BY_NAME["did"].check_grouping(["school"])
