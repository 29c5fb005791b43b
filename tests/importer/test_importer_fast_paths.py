"""The import's fast paths (issue #6) give exactly what the general rules give.

Number, count and year parsing take a shortcut for plain values; unit codes that are plain digits skip
two regular expressions; municipalities and departments are built once per file; duplicates are only
numbered when a key occurs twice; the commit compares only the values that meet stored ones. Each test
states the real values expected, and the fast paths are held equal to the general rules on tricky input.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest
from importer_helpers import query, write

from analysis.importer import normalise as nz
from analysis.importer import staging
from analysis.importer.errors import ImportConflict
from analysis.importer.numbers import integer_sql, number_sql, year_sql
from analysis.importer.pipeline import import_file
from analysis.importer.staging import rejects_frame, stage

TRICKY = ["12", "12.5", "12,5", "007", "0", "0.0", "5.", ".5", ",5", "1e1", "1E-2", " 5.5 ", "5 ", "12%",
          "12,5%", "1,234", "1.234", "1,234.5", "1.234,5", "2,021", "2.021", "2021.0", "2021,00", "+3", "-3",
          "- 3", "3-", "", " ", "+", "-", ".", ",", "1..2", "1,,2", "abc", "NaN", "inf", "Infinity", "0x10",
          "١٢", "１２", "12\u00a0345", "12\u202f345,5", "12'345", "20132", "201302", "1899", "2101", "0999",
          "9" * 30, "9" * 400, "1_000", "2e03", "²", "20 10", "2010 ", " 2010", "2010\n"]


def _random_texts(n: int, seed: int = 6) -> list[str]:
    """Short strings over the characters the rules care about: digits, marks, signs, spaces, letters."""
    rng = random.Random(seed)
    alphabet = "0123456789" * 3 + ".,+-eE% '\u00a0a"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(n)]


def _evaluate(expressions: dict[str, str], values: list[str]) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
        cols = ", ".join(f"{sql} AS {name}" for name, sql in expressions.items())
        return con.execute(f"SELECT v, {cols} FROM t ORDER BY i").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("mark", [".", ","])
def test_number_fast_path_equals_the_general_rule(mark: str) -> None:
    rows = _evaluate({"fast": number_sql("v", mark), "general": number_sql("v", mark, fast=False)},
                     TRICKY + _random_texts(3000))
    assert [r for r in rows if r[1] != r[2]] == []
    got = {r[0]: r[1] for r in rows[:len(TRICKY)]}
    if mark == ".":
        assert (got["12.5"], got["007"], got["5."], got[".5"], got["1e1"], got[" 5.5 "], got["12%"]) == \
            (12.5, 7.0, None, 0.5, 10.0, 5.5, 12.0)
        assert (got["1,234"], got["1,234.5"], got["12,5"], got["1.234,5"], got["abc"], got["١٢"]) == \
            (1234.0, 1234.5, None, None, None, None)
    else:
        assert (got["12,5"], got["007"], got["1.234"], got["1.234,5"], got["12,5%"], got["12.5"]) == \
            (12.5, 7.0, 1234.0, 1234.5, 12.5, None)


def test_integer_and_year_fast_paths_equal_the_general_rules() -> None:
    rows = _evaluate({"i_fast": integer_sql("v"), "i_general": integer_sql("v", fast=False),
                      "y_fast": year_sql("v"), "y_general": year_sql("v", fast=False)},
                     TRICKY + _random_texts(3000, seed=7) + [str(y) for y in range(1890, 2110)])
    assert [r for r in rows if r[1] != r[2] or r[3] != r[4]] == []
    got = {r[0]: (r[1], r[3]) for r in rows[:len(TRICKY)]}
    assert got["2,021"] == (2021, 2021) and got["2021.0"] == (2021, 2021) and got["20132"] == (20132, 2013)
    assert got["201302"] == (201302, 2013) and got["1899"] == (1899, None) and got["0999"] == (999, None)
    assert got["2e03"] == (None, None) and got["9" * 30] == (None, None) and got["007"] == (7, None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("05001", "05001"), ("5001", "5001"), ("5001.0", "5001"), (" 5,001 ", "5001"), ("١٢", "١٢"),
    ("5 001", "5001"), ("5-001", None), ("", None), ("abc", None)])
def test_digits_keeps_its_rule_with_the_fast_path(raw: str, expected: str | None) -> None:
    assert nz.digits(raw) == expected


@pytest.mark.parametrize(("raw", "country", "unit_type", "expected"), [
    ("176126000001", "CO", "school", ("176126000001", "CO", "school", None)),
    ("76126000001", "CO", "school", ("076126000001", "CO", "school", None)),  # lost leading zero
    ("76001", None, None, ("76001", "CO", "municipality", None)),
    ("5", None, None, ("05", "CO", "department", None)),
    ("0", "CO", None, (None, "CO", None, "total")),
    ("76000", None, None, (None, "CO", "municipality", "total")),
    ("NACIONAL", None, None, (None, None, None, "total")),
    ("  Total  Nacional ", "CO", None, (None, "CO", None, "total")),
    ("Guatemala Total", None, None, (None, None, None, "total")),
    ("Colómbia", None, None, (None, None, None, "total")),  # accents fold: a country's name is a total
    ("Cólombia 1", None, None,
     (None, None, None, "cannot tell the country of code 'Cólombia 1'; add a country column")),
    ("14-01-2001-46", None, None, ("14-01-2001-46", "GT", "school", None)),
    ("14-01-2001-46", "GT", "school", ("14-01-2001-46", "GT", "school", None)),
    ("00-01-2001-46", None, None, ("00-01-2001-46", "GT", "school", None)),
    ("14-01", None, None, ("14-01", "GT", "municipality", None)),
    ("7", "GT", None, ("07", "GT", "department", None)),
    ("ab-cd", "GT", None, (None, "GT", "department", "'ab-cd' is not a Guatemalan department code (01-22)")),
    ("Ñoño", "CO", None, (None, "CO", None, "'Ñoño' is not a DANE code (digits only)")),
])
def test_unit_codes_normalise_as_before(raw: str, country: str | None, unit_type: str | None,
                                        expected: tuple) -> None:
    assert nz.normalise_unit(raw, country, unit_type) == expected


def test_parent_rows_are_built_once_and_equal_for_every_school() -> None:
    first = nz.unit_rows("176001000001", "CO", "school")
    second = nz.unit_rows("176001000002", "CO", "school")
    assert [r["unit_id"] for r in first] == ["CO-176001000001", "CO-76001", "CO-76"]
    assert first[1:] == second[1:]
    assert (first[1]["name"], first[1]["authority"], first[2]["name"]) == ("Cali", "Cali (ETC)", "Valle del Cauca")
    assert first[0]["parent_id"] == "CO-76001" and first[0]["authority"] == "Cali (ETC)"
    guate = nz.unit_rows("00-01-2001-46", "GT", "school")
    assert [(r["unit_id"], r["name"]) for r in guate] == [("GT-00-01-2001-46", None), ("GT-01-01", "Guatemala"),
                                                         ("GT-01", "Guatemala")]


def test_tricky_unit_keys_import_to_the_same_units(tmp_path: Path) -> None:
    text = ("school_code,country,year,dropout_rate\n"
            "076126000001,CO,2020,1\n"
            " 76126000001 ,Colombia,2021,2\n"      # lost zero, spaces, country spelled out
            "76126000001,co,2022,3\n"
            "14-01-2001-46,GT,2020,4\n"
            "14-01-2001-46,Guatemala,2021,5\n"
            "14-01-2001-46,gt,2022,6\n"
            "NACIONAL,CO,2020,7\n"
            "Ñoño,CO,2020,8\n"
            "76001,XX,2020,9\n")
    db = tmp_path / "db.duckdb"
    s = import_file(write(tmp_path / "keys.csv", text), db)
    assert (s["rows_loaded"], s["rows_excluded_totals"], s["rows_rejected"]) == (6, 1, 2)
    assert query(db, "SELECT unit_id, year, value FROM observations ORDER BY unit_id, year") == [
        ("CO-076126000001", 2020, 1.0), ("CO-076126000001", 2021, 2.0), ("CO-076126000001", 2022, 3.0),
        ("GT-14-01-2001-46", 2020, 4.0), ("GT-14-01-2001-46", 2021, 5.0), ("GT-14-01-2001-46", 2022, 6.0)]
    assert query(db, "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY 1") == [
        (8, "school_code", "Ñoño", "'Ñoño' is not a DANE code (digits only)"),
        (9, "school_code", "76001",
             "unknown country 'XX' (expected an ISO 3166-1 code such as CO, GT, CL or PE)")]
    assert query(db, "SELECT unit_id, parent_id, municipality FROM units WHERE unit_type = 'school' ORDER BY 1") == [
        ("CO-076126000001", "CO-76126", "Calima"), ("GT-14-01-2001-46", "GT-14-01", None)]


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    real = staging.run

    def spy(con, sql, params=None):
        statements.append(" ".join(sql.split()))
        return real(con, sql, params)

    monkeypatch.setattr(staging, "run", spy)
    return statements


def test_a_clean_file_skips_duplicate_numbering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    statements = _spy(monkeypatch)
    text = "school_code,year,sex,dropout_rate\n" + "".join(
        f"17612600000{i},{2018 + y},{s},{i + y}.5\n" for i in range(5) for y in range(3) for s in "FM")
    staged = stage(write(tmp_path / "clean.csv", text))
    try:
        assert not any("row_number() OVER" in s for s in statements)
        assert staged.summary["observations"] == 30 and staged.summary["rows_rejected"] == 0
        assert len(rejects_frame(staged)) == 0
    finally:
        staged.con.close()


def test_duplicates_are_reported_with_their_first_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    statements = _spy(monkeypatch)
    text = ("school_code,country,year,grade,sex,dropout_rate\n"
            "176126000001,CO,2010,1,F,1.11\n"      # 1: first
            "176126000001,CO,2010,1,F,1.11\n"      # 2: duplicate of 1
            "176126000001,co,2010,1°,F,1.110\n"    # 3: duplicate of 1 (country case, grade 1°, the same number)
            "176126000001,CO,2010,1,M,4\n"         # 4: other sex, loads
            "14-01-2001-46,GT,2010,,,5\n"          # 5: NULL grade and sex, first
            "14-01-2001-46,GT,2010,,,abc\n"        # 6: not a number (never a duplicate)
            "14-01-2001-46,gt,2010,,,7\n"          # 7: same key as 5 (NULL key parts are equal), another value
            "14-01-2001-46,GT,2011,,,8\n")         # 8: other year, loads
    staged = stage(write(tmp_path / "dups.csv", text))
    try:
        assert sum("row_number() OVER" in s for s in statements) == 1
        rejects = [tuple(r) for r in rejects_frame(staged).itertuples(index=False)]
        same = " (same unit, indicator, year, wave, level, subgroup and student)"
        conflict = "different values for the same key (rows 5 and 7: 5 and 7)"  # neither is chosen
        assert rejects == [(2, "dropout_rate", "1.11", "duplicate of row 1" + same),
                           (3, "dropout_rate", "1.110", "duplicate of row 1" + same),
                           (5, "dropout_rate", "5", conflict),
                           (6, "dropout_rate", "abc", "not a number"),
                           (7, "dropout_rate", "7", conflict)]
        loaded = staged.con.execute("SELECT _row, unit_id, year, grade, sex, value FROM obs ORDER BY _row").fetchall()
        assert loaded == [(1, "CO-176126000001", 2010, "1", "F", 1.11),
                          (4, "CO-176126000001", 2010, "1", "M", 4.0),
                          (8, "GT-14-01-2001-46", 2011, None, None, 8.0)]
        assert (staged.summary["rows_loaded"], staged.summary["rows_rejected"]) == (3, 5)
    finally:
        staged.con.close()


def test_two_columns_of_one_indicator_in_one_row_load_once(tmp_path: Path) -> None:
    """'matematicas' and 'score_math' are one indicator: in one row, the rightmost column's value loads."""
    text = ("codigo,ano,matematicas,score_math\n176126000001,2010,50,60\n176126000002,2010,51,\n"
            "176126000003,2010,,62\n176126000003,2010,53,62\n")  # rows 3 and 4: one value, 62
    staged = stage(write(tmp_path / "twice.csv", text))
    try:
        same = " (same unit, indicator, year, wave, level, subgroup and student)"
        assert [tuple(r) for r in rejects_frame(staged).itertuples(index=False)] == [
            (1, "matematicas", "50", "duplicate of row 1" + same),
            (4, "matematicas", "53", "duplicate of row 3" + same), (4, "score_math", "62", "duplicate of row 3" + same)]
        assert staged.con.execute("SELECT _row, unit_id, value FROM obs ORDER BY 1").fetchall() == [
            (1, "CO-176126000001", 60.0), (2, "CO-176126000002", 51.0), (3, "CO-176126000003", 62.0)]
    finally:
        staged.con.close()


def test_first_spelling_of_a_unit_gives_its_name(real_data: Path) -> None:
    """saber2012.csv spells one Santa Marta school with one space (row 6,130) and later with two (11,388),
    and an Arjona school without quotes (10,531) and later with them (11,252): each pair of keys is one
    unit, named from the first key in the file (it was whichever the hash aggregate returned first, which
    changed from run to run)."""
    staged = stage(real_data / "colombia" / "saber11_2011_2013" / "saber2012.csv")
    try:
        units = staged.summary["_units"].set_index("unit_id")
        assert units.loc["CO-S11-152eddfa4608", "name"] == "INST. ED. DISTRITAL SIMON BOLIVAR (TARDE)"
        assert units.loc["CO-S11-152eddfa4608", "parent_id"] == "CO-47001"
        assert units.loc["CO-S11-3ffedbfd7c6c", "name"] == "INST. ED. TECNICA INDUSTRIAL DON BOSCO (TARDE)"
    finally:
        staged.con.close()


def test_overlap_with_stored_values_is_compared_only_where_it_meets(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    first = "school_code,year,dropout_rate\n176126000001,2020,1\n176126000001,2021,2\n"
    second = "school_code,year,dropout_rate\n176126000001,2021,2\n176126000001,2022,3\n176126000001,2020,9\n"
    import_file(write(tmp_path / "a.csv", first), db)
    with pytest.raises(ImportConflict) as caught:
        import_file(write(tmp_path / "b.csv", second), db)
    assert caught.value.conflicts[["row_number", "old_value", "new_value"]].values.tolist() == [[3, 1.0, 9.0]]
    s = import_file(tmp_path / "b.csv", db, on_conflict="keep")
    assert (s["duplicates_skipped"], s["conflicts"], s["kept_existing"], s["observations_loaded"]) == (1, 1, 1, 1)
    assert query(db, "SELECT year, value, import_id FROM observations ORDER BY year") == [
        (2020, 1.0, 1), (2021, 2.0, 1), (2022, 3.0, 2)]
    assert query(db, "SELECT import_id, year, value FROM duplicate_observations") == [(2, 2021, 2.0)]
    assert query(db, "SELECT row_number, raw_value, reason FROM rejects WHERE import_id = 2") == [
        (3, "9", "conflict: kept the value 1.0 already loaded by import 1")]
