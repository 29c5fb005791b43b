"""analysis.fields: one registry of grouping/filter fields, tested without a database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from analysis import cli, fields

LOCALES = Path(__file__).resolve().parents[1] / "ui" / "locales"


def test_names_levels_and_aliases():
    assert fields.names() == ("program", "lab_type", "country", "department", "municipality", "authority",
                              "school", "zone", "sex", "grade", "level", "start_year")
    assert all(f.level in fields.LEVELS for f in fields.FIELDS)
    assert fields.canonical("unit") == "school" and fields.field("unit") is fields.BY_NAME["school"]
    assert fields.canonical("ethnicity") == "ethnicity" and fields.field("ethnicity") is None
    assert list(fields.GROUP_FIELDS) == [f.name for f in fields.FIELDS]


@pytest.mark.parametrize(("name", "unit_level"), [("school", True), ("lab_type", True), ("zone", True),
                                                  ("start_year", True), ("sex", False), ("grade", False),
                                                  ("level", False), ("shift", False)])
def test_unit_level(name, unit_level):
    assert fields.is_unit_level(name) is unit_level


def test_level_follows_the_sql_alias():
    prefix = {"unit": ("u.", "o.unit_id"), "student": ("o.",), "programme": ("up.",)}
    for f in fields.FIELDS:
        assert f.sql.startswith(prefix[f.level]), f.name


def test_values_and_filters_are_whitelisted_sql():
    values = fields.values_sql()
    assert set(values) == {"sex", "grade", "zone", "lab_type", "department"}
    for name, sql in values.items():
        assert sql.startswith("SELECT DISTINCT") and sql.count("?") == 1 and "AS value" in sql, name
    filters = fields.filter_fields()
    assert set(filters) == {"sex", "grade", "zone", "lab_type", "department", "municipality", "authority"}
    assert filters["lab_type"].count("?") == 1  # the comparison units' stand-in value
    assert all(filters[n] == fields.BY_NAME[n].sql for n in filters if n != "lab_type")


def test_subgroups_of_the_pages():
    assert fields.names(subgroup=True) == ("lab_type", "zone", "sex", "grade")
    assert fields.names(level="student", subgroup=True) == ("sex", "grade")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_field_has_a_label_and_a_description(lang):
    texts = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    for f in fields.FIELDS:
        assert all(part.strip() for part in f.doc)
        if f.subgroup or f.filter_sql:
            assert f.label_key in texts, f.label_key


def test_cli_help_lists_the_fields():
    help_text = fields.by_help()
    assert all(name in help_text for name in fields.names()) and "unit," not in help_text
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in ("compare", "export"):
        by = next(a for a in sub.choices[command]._actions if a.dest == "by")
        assert by.help == help_text
