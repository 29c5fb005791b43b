"""The column dictionary and the methods text cover every compare() column and every design, once."""

from __future__ import annotations

from analysis import compare
from analysis.evidence.columns import COLUMN_DOCS, COMPARE_COLUMN_DOCS, PACK_COLUMN_DOCS, describe
from analysis.evidence.methods import DESIGN_METHODS_TEXT, METHODS_TEXT


def test_every_compare_column_is_described_once():
    outputs = {name for design in compare.designs.REGISTERED for name in compare.columns.output_columns(design)}
    assert outputs <= set(COMPARE_COLUMN_DOCS)
    assert not set(COMPARE_COLUMN_DOCS) & set(PACK_COLUMN_DOCS)
    assert COLUMN_DOCS == {**COMPARE_COLUMN_DOCS, **PACK_COLUMN_DOCS}
    assert all(es and en and es != en for es, en in COLUMN_DOCS.values())


def test_group_attributes_get_a_generic_description():
    assert describe("ethnicity") == ("Grupo: atributo «ethnicity»", "Group: attribute 'ethnicity'")
    assert describe("estimate") == COMPARE_COLUMN_DOCS["estimate"]


def test_every_design_has_its_methods_paragraph_in_every_language():
    assert set(DESIGN_METHODS_TEXT) == set(compare.DESIGNS)
    for design, paragraphs in DESIGN_METHODS_TEXT.items():
        assert set(paragraphs) == set(METHODS_TEXT)
        assert all(text.startswith(f"**{design}**") for text in paragraphs.values())
