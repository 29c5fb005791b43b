"""The synthetic demo database's contents (analysis/demo/; documented in data/README.md).

Small builds (3,000 students) in tmp directories: sizes, schema, places, codes, students, rates,
determinism and arguments.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from analysis.catalog import (
    GT_DEPARTMENTS,
    INDICATOR_BY_CODE,
    VALLE_CERTIFIED,
    VALLE_MUNICIPALITIES,
    co_authority,
)
from analysis.db.schema import create_schema
from analysis.demo import build_demo
from analysis.demo.layout import school_counts
from analysis.demo.params import ATTRITION
from analysis.demo.places import ETHNICITIES, GT_MUNICIPALITIES
from analysis.demo.students import OBS_INDICATORS
from analysis.precompute.materialised import MATERIALISED
from analysis.precompute.publish import writable_snapshot
from tests.reliability.helpers import rows

SMALL = 3_000
SEED = 7
NOT_TRIAL = "unit_id NOT IN (SELECT unit_id FROM unit_attributes WHERE name = 'stratum')"
TABLES = ("meta", "units", "unit_attributes", "assignments", "indicators", "observations",
          "student_attributes", "duplicate_observations", "superseded_observations", "imports", "rejects",
          "boundaries")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("demo_small") / "demo.duckdb"
    return path, build_demo(path, students=SMALL, seed=SEED)


def one(path: Path, sql: str, params: list | None = None):
    """The first value of a query on the database at ``path``."""
    return rows(path, sql, params)[0][0]


# --- size, schema, bookkeeping ------------------------------------------------------------------

def test_counts_match_summary_and_layout(small):
    path, summary = small
    counts = school_counts(SMALL)
    n_schools = sum(counts.values())
    assert summary["students"] == SMALL
    assert summary["schools"] == n_schools
    trial = summary["randomised"]  # the randomised MiLab cohort (analysis/demo/randomised.py), beside the layout
    assert n_schools + trial["schools"] == one(path, "SELECT count(*) FROM units WHERE unit_type = 'school'")
    assert summary["units"] == 1 + 42 + 22 + len(GT_MUNICIPALITIES) + n_schools
    assert summary["units"] + trial["schools"] == one(path, "SELECT count(*) FROM units")
    assert summary["observations"] == one(path, "SELECT count(*) FROM observations")
    assert summary["student_attributes"] == one(path, "SELECT count(*) FROM student_attributes") == SMALL
    assert one(path, "SELECT count(*) FROM assignments") == n_schools + trial["schools"]
    assert one(path, "SELECT count(DISTINCT student_key) FROM observations") == SMALL + trial["students"]
    assert summary["seconds"] > 0
    per_arm = dict(((c, p), n) for c, p, n in rows(
        path, "SELECT u.country, a.program, count(*) FROM assignments a JOIN units u USING (unit_id) "
              f"WHERE {NOT_TRIAL} GROUP BY ALL"))
    assert per_arm == counts


def test_school_counts_scale_with_students():
    assert school_counts(20_000) == {("CO", "ValleLabs"): 120, ("CO", "comparison"): 80,
                                          ("GT", "MiLab"): 40, ("GT", "comparison"): 40}
    big = school_counts(1_000_000)
    assert big[("CO", "ValleLabs")] == 6000 and big[("GT", "comparison")] == 2000
    for n in (100, 3_000, 20_000, 123_457):
        assert school_counts(n)[("CO", "ValleLabs")] % 6 == 0


def test_schema_matches_store(small):
    path, _ = small
    ref = duckdb.connect()
    create_schema(ref)  # the public tables and the implementation view
    expected = ref.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                           "WHERE database_name = 'memory' ORDER BY ALL").fetchall()
    ref.close()
    got = rows(path, "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                     "WHERE database_name = 'lablens' AND NOT starts_with(table_name, 'derived_') ORDER BY ALL")
    assert got == expected
    # besides the public schema: only the precomputed per-school statistics (analysis.precompute.derived), the page
    # queries with their fingerprints, per table and per indicator (analysis.precompute.materialised), and the
    # stored standard results (analysis.precompute.standard_results: empty on the demo, far below the threshold)
    assert rows(path, "SELECT DISTINCT table_name FROM duckdb_columns() WHERE database_name = 'lablens' "
                      "AND starts_with(table_name, 'derived_') ORDER BY 1") == [
        ("derived_indicator_inputs",), ("derived_inputs",), ("derived_obs_cube",),
        *[(t,) for t in sorted(table for table, _, _, _ in MATERIALISED.values())],
        ("derived_results",), ("derived_state",), ("derived_student_bins",), ("derived_student_cells",),
        ("derived_student_moments",)]
    # every observation, unit, assignment and attribute belongs to import 1
    for table in ("observations", "units", "assignments", "unit_attributes", "student_attributes"):
        assert rows(path, f"SELECT DISTINCT import_id FROM {table}") == [(1,)]


def test_imports_and_meta(small):
    path, summary = small
    (import_id, source, sha, recognized, read, loaded, rejected, at, status, summary_json), = rows(
        path, "SELECT * FROM imports")
    assert (import_id, recognized, status) == (1, "demo", "active")
    assert source == f"demo: synthetic data (seed {SEED})"
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert read == loaded == summary["observations"] and rejected == 0
    assert at is not None
    stored = json.loads(summary_json)
    assert stored == {k: v for k, v in summary.items() if k != "seconds"}
    meta = dict(rows(path, "SELECT key, value FROM meta"))
    assert meta["demo"] == "true" and meta["demo_seed"] == str(SEED) and meta["demo_students"] == str(SMALL)
    assert "schema_version" in meta
    assert one(path, "SELECT count(*) FROM indicators") == len(INDICATOR_BY_CODE)
    for table in ("rejects", "duplicate_observations", "superseded_observations", "boundaries"):
        assert one(path, f"SELECT count(*) FROM {table}") == 0


# --- places and assignments ---------------------------------------------------------------------

def test_valle_municipalities_and_departments(small):
    path, _ = small
    munis = rows(path, "SELECT code, name, parent_id, authority, zone FROM units "
                       "WHERE country = 'CO' AND unit_type = 'municipality' ORDER BY code")
    assert len(munis) == 42
    assert {c: n for c, n, *_ in munis} == VALLE_MUNICIPALITIES
    for code, _name, parent, authority, zone in munis:
        assert parent == "CO-76" and authority == co_authority(code) and zone is None
    co_dep = rows(path, "SELECT unit_id, code, name FROM units "
                        "WHERE unit_type = 'department' AND country = 'CO'")
    assert co_dep == [("CO-76", "76", "Valle del Cauca")]
    gt = rows(path, "SELECT unit_id, code, name, authority FROM units "
                    "WHERE country = 'GT' AND unit_type = 'department' ORDER BY code")
    assert [r[0] for r in gt] == [f"GT-{i:02d}" for i in range(1, 23)]
    assert {r[1]: r[2] for r in gt} == GT_DEPARTMENTS
    assert all(r[3] == f"DIDEDUC {r[2]}" for r in gt)
    gm = rows(path, "SELECT unit_id, code, parent_id, name FROM units WHERE country = 'GT' "
                    "AND unit_type = 'municipality'")
    assert {r[1] for r in gm} == set(GT_MUNICIPALITIES)
    assert ("GT-16-01", "16-01", "GT-16", "Cobán") in gm


def test_school_codes_places_and_zones(small):
    path, _ = small
    for uid, country, code, parent, dep, muni, authority, zone, lat, lon in rows(
            path, "SELECT unit_id, country, code, parent_id, department, municipality, authority, zone, "
                  "lat, lon FROM units WHERE unit_type = 'school'"):
        assert uid == f"{country}-{code}" and zone in ("rural", "urban")
        if country == "CO":
            assert re.fullmatch(r"1(76\d{3})\d{6}", code)
            assert parent == f"CO-{code[1:6]}" and muni == VALLE_MUNICIPALITIES[code[1:6]]
            assert dep == "Valle del Cauca" and authority == co_authority(code[1:6])
            assert 3.0 <= lat <= 5.0 and -77.3 <= lon <= -75.7
        else:
            assert re.fullmatch(r"\d\d-\d\d-\d{4}-43", code)
            assert parent == f"GT-{code[:5]}" and dep == GT_DEPARTMENTS[code[:2]]
            assert authority == f"DIDEDUC {dep}" and 13.5 < lat < 18.0 and -92.5 < lon < -88.0
    # MiLab schools are all rural; Guatemala mostly rural
    assert rows(path, "SELECT DISTINCT zone FROM units JOIN assignments USING (unit_id) "
                      "WHERE program = 'MiLab'") == [("rural",)]


def test_lab_types_start_years_and_certified_rule(small):
    path, _ = small
    got = set(rows(path, "SELECT DISTINCT program, lab_type, start_year FROM assignments"))
    assert got == {("ValleLabs", "Lab Center", 2019), ("ValleLabs", "Lab Point", 2020),
                   ("ValleLabs", "Lab Spark", 2021), ("MiLab", "Lab Point", 2024),
                   ("MiLab", "Lab Spark", 2024), ("MiLab", "Lab Modular", None), ("comparison", None, None)}
    vl = rows(path, "SELECT DISTINCT u.parent_id, u.country, u.authority FROM assignments a "
                    "JOIN units u USING (unit_id) WHERE a.program = 'ValleLabs'")
    assert vl and all(country == "CO" for _p, country, _a in vl)
    assert not {p[3:] for p, _c, _a in vl} & VALLE_CERTIFIED
    assert {a for *_x, a in vl} == {"Valle del Cauca (ETC)"}
    assert one(path, "SELECT count(*) FROM assignments a JOIN units u USING (unit_id) "
                     "WHERE a.program = 'MiLab' AND u.country <> 'GT'") == 0
    assert one(path, "SELECT count(DISTINCT u.department) FROM assignments a JOIN units u USING (unit_id) "
                     "WHERE a.program = 'MiLab'") >= 3


# --- observations --------------------------------------------------------------------------------

def test_values_inside_catalogue_ranges(small):
    path, _ = small
    bad = rows(path, """
        SELECT o.indicator, count(*) FROM observations o JOIN indicators i ON i.code = o.indicator
        WHERE o.value < coalesce(i.min_value, -1e300) OR o.value > coalesce(i.max_value, 1e300)
           OR isnan(o.value)
        GROUP BY ALL""")
    assert bad == []
    assert one(path, "SELECT count(*) FROM observations "
                     "WHERE indicator NOT IN (SELECT code FROM indicators)") == 0
    assert one(path, "SELECT count(*) FROM observations WHERE (indicator LIKE 'motivation_item_%' OR "
                     "indicator LIKE 'score_%' OR indicator = 'enrolled_next_year') "
                     "AND value <> round(value)") == 0
    scale = dict(((c, i), (lo, hi)) for c, i, lo, hi in rows(
        path, "SELECT u.country, o.indicator, min(value), max(value) FROM observations o JOIN units u "
              "USING (unit_id) WHERE indicator LIKE 'score_%' GROUP BY ALL"))
    assert all(lo >= 0 and hi <= 100 for (c, _i), (lo, hi) in scale.items() if c == "CO")
    assert all(lo >= 200 and 100 < hi <= 800 for (c, _i), (lo, hi) in scale.items() if c == "GT")
    for rate in ("dropout_rate", "promotion_rate", "repetition_rate"):
        lo, hi, no_n = rows(path, "SELECT min(value), max(value), count(*) FILTER (WHERE n IS NULL OR "
                                  "n <= 0) FROM observations WHERE indicator = ?", [rate])[0]
        assert lo > 0 and hi < 100 and no_n == 0


def test_student_rows(small):
    path, _ = small
    assert rows(path, "SELECT DISTINCT level FROM observations WHERE student_key IS NOT NULL") == [("all",)]
    assert set(rows(path, "SELECT DISTINCT u.country, o.wave, o.year FROM observations o JOIN units u "
                          "USING (unit_id) WHERE o.student_key IS NOT NULL")) == {
        ("CO", "pre", 2022), ("CO", "post", 2023), ("GT", "pre", 2024), ("GT", "post", 2025),
        ("GT", "baseline", 2025), ("GT", "endline", 2026)}  # the randomised MiLab cohort
    grades = dict(rows(path, "SELECT u.country, list(DISTINCT o.grade ORDER BY o.grade) FROM observations o "
                             "JOIN units u USING (unit_id) WHERE o.student_key IS NOT NULL GROUP BY ALL"))
    assert set(grades["CO"]) == {str(g) for g in range(6, 12)}
    assert set(grades["GT"]) == {str(g) for g in range(1, 7)}
    assert rows(path, "SELECT DISTINCT sex FROM observations WHERE student_key IS NOT NULL ORDER BY 1") \
        == [("F",), ("M",)]
    assert rows(path, "SELECT DISTINCT wave FROM observations WHERE indicator = 'enrolled_next_year'") \
        == [("post",)]
    assert one(path, "SELECT count(*) FROM observations o JOIN units u USING (unit_id) "
                     "WHERE indicator = 'enrolled_next_year' AND u.country = 'CO' AND grade = '11'") == 0
    # every student has all pre indicators; aggregates have no student fields
    per_student = set(rows(path, "SELECT count(*) FROM observations WHERE wave = 'pre' "
                                 "AND student_key IS NOT NULL GROUP BY student_key"))
    assert per_student == {(len(OBS_INDICATORS) - 1,)}
    assert one(path, "SELECT count(*) FROM observations WHERE student_key IS NULL AND (wave IS NOT NULL OR "
                     "sex IS NOT NULL OR grade IS NOT NULL OR n IS NULL OR level <> 'all')") == 0
    # the index is the mean of the items after reverse coding (items 4 and 8)
    mismatch = one(path, """
        WITH items AS (
            SELECT student_key, wave, avg(CASE WHEN indicator IN ('motivation_item_4', 'motivation_item_8')
                                               THEN 6 - value ELSE value END) AS mean_items
            FROM observations WHERE indicator LIKE 'motivation_item_%' GROUP BY ALL)
        SELECT count(*) FROM items JOIN observations o USING (student_key, wave)
        WHERE o.indicator = 'motivation_index' AND abs(o.value - items.mean_items) > 1e-9""")
    assert mismatch == 0


def test_rates_windows_and_pandemic(small):
    path, _ = small
    spans = set(rows(path, """
        SELECT u.country, u.unit_type, min(o.year), max(o.year), count(DISTINCT o.unit_id)
        FROM observations o JOIN units u USING (unit_id) WHERE o.indicator = 'dropout_rate' GROUP BY ALL"""))
    n_co, n_gt = rows(path, "SELECT count(*) FILTER (WHERE country = 'CO'), "
                            f"count(*) FILTER (WHERE country = 'GT') FROM units WHERE unit_type = 'school' "
                            f"AND {NOT_TRIAL}")[0]  # the randomised cohort has scores only
    assert spans == {("CO", "school", 2015, 2025, n_co), ("GT", "school", 2019, 2025, n_gt),
                     ("CO", "municipality", 2015, 2025, 42), ("CO", "department", 2015, 2025, 1)}
    means = dict(((c, y), m) for c, y, m in rows(
        path, "SELECT u.country, o.year, avg(o.value) FROM observations o JOIN units u USING (unit_id) "
              "WHERE o.indicator = 'dropout_rate' AND u.unit_type = 'school' GROUP BY ALL"))
    for country in ("CO", "GT"):
        assert means[(country, 2021)] > means[(country, 2019)] + 1.5
        assert means[(country, 2020)] > means[(country, 2019)] + 1.0
    # promotion + dropout + failure = 100, so promotion + dropout <= 100
    assert one(path, """SELECT count(*) FROM observations d JOIN observations p USING (unit_id, year)
                        WHERE d.indicator = 'dropout_rate' AND p.indicator = 'promotion_rate'
                        AND d.value + p.value > 100""") == 0


def test_no_raw_ids_and_no_key_file(small, tmp_path):
    path, summary = small
    keys = rows(path, "SELECT DISTINCT student_key FROM observations WHERE student_key IS NOT NULL")
    assert len(keys) == SMALL + summary["randomised"]["students"]
    assert all(re.fullmatch(r"[0-9a-f]{32}", k) for (k,) in keys)
    attributed = set(rows(path, "SELECT DISTINCT student_key FROM student_attributes"))
    assert attributed <= set(keys) and len(attributed) == SMALL  # the randomised cohort has no attributes
    attrs = dict(rows(path, "SELECT name, list(DISTINCT value ORDER BY value) FROM student_attributes "
                            "GROUP BY 1"))
    assert set(attrs) == {"shift", "ethnicity"} and attrs["shift"] == ["mañana", "tarde"]
    assert {"maya", "ladino"} <= set(attrs["ethnicity"]) <= set(ETHNICITIES)
    # the build needed no pseudonymisation key
    build_demo(tmp_path / "again.duckdb", students=200, seed=1)
    assert not Path(os.environ["LABLENS_KEY_FILE"]).exists()


def test_attrition_present_and_separate_from_leaving(small):
    path, _ = small
    miss = dict(rows(path, """
        WITH pre AS (SELECT student_key, unit_id FROM observations
                     WHERE indicator = 'score_math' AND wave = 'pre'),
             post AS (SELECT student_key FROM observations WHERE indicator = 'score_math' AND wave = 'post')
        SELECT u.country || ' ' || a.program, avg((post.student_key IS NULL)::INT)
        FROM pre LEFT JOIN post USING (student_key) JOIN assignments a USING (unit_id)
        JOIN units u USING (unit_id)
        GROUP BY ALL"""))
    n = dict(rows(path, "SELECT u.country || ' ' || a.program, count(DISTINCT o.student_key) "
                        "FROM observations o JOIN assignments a USING (unit_id) JOIN units u USING (unit_id) "
                        "WHERE o.student_key IS NOT NULL GROUP BY ALL"))
    for (country, program), rate in ATTRITION.items():
        label = f"{country} {program}"
        se = math.sqrt(rate * (1 - rate) / n[label])
        assert miss[label] > 0 and abs(miss[label] - rate) < 4 * se + 0.01
    # students missing the post test still have next-year enrolment (from the register)
    assert one(path, """
        SELECT count(*) FROM observations e WHERE e.indicator = 'enrolled_next_year' AND e.student_key NOT IN
            (SELECT student_key FROM observations WHERE indicator = 'score_math' AND wave = 'post')""") > 0
    assert one(path, "SELECT count(*) FROM observations "
                     "WHERE indicator = 'enrolled_next_year' AND value = 0") > 0


def test_motivation_reverse_coding_and_alpha(small):
    path, _ = small
    for country in ("CO", "GT"):
        data = rows(path, """
            SELECT list(o.value ORDER BY o.indicator) FROM observations o JOIN units u USING (unit_id)
            WHERE u.country = ? AND o.wave = 'pre' AND o.indicator LIKE 'motivation_item_%'
            GROUP BY o.student_key""", [country])
        x = np.array([r[0] for r in data], dtype=float)
        assert x.shape[1] == 8
        assert np.corrcoef(x[:, 0], x[:, 3])[0, 1] < -0.1 and np.corrcoef(x[:, 0], x[:, 7])[0, 1] < -0.1
        x[:, [3, 7]] = 6 - x[:, [3, 7]]
        k = x.shape[1]
        alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
        assert 0.75 <= alpha <= 0.85, alpha


# --- determinism and rebuilding -----------------------------------------------------------------

def _contents(path: Path) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        columns = "* EXCLUDE (imported_at)" if table == "imports" else "*"
        out[table] = rows(path, f"SELECT {columns} FROM {table} ORDER BY ALL")
    return out


def test_same_seed_same_contents_other_seed_differs(small, tmp_path):
    path, _ = small
    twin = tmp_path / "twin.duckdb"
    build_demo(twin, students=SMALL, seed=SEED)
    first, second = _contents(path), _contents(twin)
    for table in TABLES:
        assert first[table] == second[table], table
    # also the physical order of the observations is reproducible
    assert rows(path, "SELECT student_key, indicator, value FROM observations LIMIT 500") == \
        rows(twin, "SELECT student_key, indicator, value FROM observations LIMIT 500")
    other = tmp_path / "other.duckdb"
    build_demo(other, students=SMALL, seed=SEED + 1)
    third = _contents(other)
    assert third["observations"] != first["observations"]
    assert third["units"] != first["units"]
    assert not set(rows(other, "SELECT DISTINCT student_key FROM student_attributes")) & \
        set(rows(path, "SELECT DISTINCT student_key FROM student_attributes"))


def test_rebuild_replaces_everything(tmp_path):
    path = tmp_path / "db.duckdb"
    build_demo(path, students=500, seed=1)
    with writable_snapshot(path) as con:  # leftovers a real database could hold
        con.execute("INSERT INTO target.meta VALUES ('student_key_fingerprint', 'abc')")
        con.execute("INSERT INTO target.imports (import_id, source_name, status) "
                    "VALUES (2, 'x.csv', 'active')")
        con.execute("INSERT INTO target.rejects VALUES (2, 1, 'score_math', '999', 'out of range')")
        con.execute("INSERT INTO target.observations (import_id, unit_id, indicator, value) "
                    "VALUES (2, 'CO-05001', 'dropout_rate', 3.0)")
        con.execute("CREATE TABLE target.extra AS SELECT 1 AS x")
    summary = build_demo(path, students=400, seed=2)
    assert rows(path, "SELECT import_id FROM imports") == [(1,)]
    assert rows(path, "SELECT DISTINCT import_id FROM observations") == [(1,)]
    assert one(path, "SELECT count(*) FROM rejects") + one(path, "SELECT count(*) FROM extra") == 0
    assert dict(rows(path, "SELECT key, value FROM meta")).keys() == {"schema_version", "demo", "demo_seed",
                                                                       "demo_students"}
    assert one(path, "SELECT count(*) FROM observations") == summary["observations"]
    assert one(path, "SELECT count(DISTINCT student_key) FROM observations") == 400 + summary["randomised"]["students"]


def test_default_path_comes_from_environment(tmp_path):
    build_demo(None, students=200, seed=3)
    target = Path(os.environ["LABLENS_DB"])
    assert target.exists() and target.parent == tmp_path
    assert one(target, "SELECT value FROM meta WHERE key = 'demo_students'") == "200"


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        build_demo(tmp_path / "x.duckdb", students=99)
    with pytest.raises(ValueError):
        build_demo(tmp_path / "x.duckdb", students=1000, seed=-1)
    assert not (tmp_path / "x.duckdb").exists()


def test_implementation_view_gives_the_planned_dose(small):
    """implementation_school_year.lab_hours_per_term in the post-wave year is the dose the scores were drawn
    with (analysis/demo/implementation.py), school by school; one record per submission."""
    from analysis.demo.implementation import plan_implementation
    from analysis.demo.layout import school_layout

    path, summary = small
    lay = school_layout(SMALL, SEED)
    plan = plan_implementation(lay, SEED)
    want = {u: d for u, d in zip(lay["unit_id"], plan["dose"], strict=True) if not math.isnan(d)}
    got = dict(rows(path, "SELECT i.unit_id, i.lab_hours_per_term FROM implementation_school_year i "
                          "JOIN units u USING (unit_id) "
                          "WHERE i.year = CASE u.country WHEN 'CO' THEN 2023 ELSE 2025 END"))
    assert got.keys() == want.keys()
    assert all(math.isclose(got[u], want[u], rel_tol=1e-12, abs_tol=1e-12) for u in want)
    for table in ("lab_log", "governance_check"):
        assert one(path, f"SELECT count(*) - count(DISTINCT submission_id) FROM {table}") == 0
        assert one(path, f"SELECT count(*) FROM {table}") == summary[table]
    assert one(path, "SELECT count(*) - count(DISTINCT (submission_id, entry)) FROM teacher_training") == 0
    assert one(path, "SELECT count(*) FROM lab_log l ANTI JOIN units u USING (unit_id)") == 0
