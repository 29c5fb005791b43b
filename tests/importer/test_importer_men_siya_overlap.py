"""MEN municipal statistics and SIYA dropout agree on thousands of municipality-years: stored once.

The real MEN *municipal* file is not in shared/, so a faithful one is built here (41 columns, the
municipal edition's quirks) with DESERCIÓN_PRIMARIA copied from the text of SIYA's ya3-11 JSON.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from importer_helpers import (
    ANTIOQUIA,
    MEN_MUNICIPAL_HEADERS,
    MEN_YEARS,
    json_text,
    men_municipal_csv,
    query,
    read_men_municipal,
    scalar,
)

from analysis.catalog import VALLE_MUNICIPALITIES
from analysis.importer.history import rollback
from analysis.importer.pipeline import import_file

YA3_11 = "colombia/siya_enflujo/ya3-11-mun.json"


@pytest.fixture(scope="module")
def sources(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    siya = json_text(real_data / YA3_11)
    text, written = men_municipal_csv(siya)
    folder = tmp_path_factory.mktemp("men")
    men = folder / "MEN_ESTADISTICAS_EN_EDUCACION_POR_MUNICIPIO.csv"
    men.write_bytes(text.encode("utf-8"))
    siya_keys = {(code, int(year)): value for year, pairs in siya.items() for code, value in pairs}
    return {"men": men, "text": text, "written": written, "siya": real_data / YA3_11, "siya_values": siya_keys}


def _dropout_primary(db: Path, codes: set[str] | None = None) -> list[tuple]:
    rows = query(db, "SELECT u.code, o.year, o.value, o.import_id FROM observations o JOIN units u USING (unit_id) "
                     "WHERE o.indicator = 'dropout_rate' AND o.level = 'primary' ORDER BY 1, 2, 4")
    return [r for r in rows if codes is None or r[0] in codes]


def test_fixture_is_a_faithful_men_municipal_file(sources: dict) -> None:
    rows = read_men_municipal(sources["text"])
    assert len(MEN_MUNICIPAL_HEADERS) == 41 and list(rows[0]) == MEN_MUNICIPAL_HEADERS
    assert len(rows) == len(MEN_YEARS) * (42 + len(ANTIOQUIA) + 1)
    assert {r["AÑO"] for r in rows} == {"2019", "2020", "2,021"}
    assert {r["CÓDIGO_MUNICIPIO"] for r in rows if r["AÑO"] == "2020" and r["MUNICIPIO"] == "MEDELLÍN"} == {"05001"}
    assert {r["CÓDIGO_MUNICIPIO"] for r in rows if r["AÑO"] == "2019" and r["MUNICIPIO"] == "MEDELLÍN"} == {"5001"}
    assert [r["CÓDIGO_MUNICIPIO"] for r in rows if r["MUNICIPIO"] == "NACIONAL"] == ["0", "0", "0"]
    assert all("," in r["POBLACIÓN_5_16"] for r in rows)
    for r in rows:  # DESERCIÓN_PRIMARIA is SIYA's figure, character for character
        code, year = r["CÓDIGO_MUNICIPIO"].zfill(5), int(r["AÑO"].replace(",", ""))
        if code != "00000":
            assert r["DESERCIÓN_PRIMARIA"] == sources["siya_values"].get((code, year), "")


def test_men_municipal_quirks_load_exactly(sources: dict, tmp_path: Path) -> None:
    db = tmp_path / "men.duckdb"
    s = import_file(sources["men"], db)
    written = sources["written"]
    assert s["recognized_as"] == "men_municipal"
    assert s["rows_read"] == written["rows"] == 138  # blank separator lines are not rows
    assert s["rows_excluded_totals"] == written["totals"] == 3  # NACIONAL, code 0
    assert s["rows_loaded"] == 135 and s["rows_rejected"] == 0
    assert s["years"] == [2019, 2020, 2021]  # "2,021" is 2021
    # integer codes (5001) and zero-padded text ("05001") are one unit
    units = query(db, "SELECT unit_id FROM units WHERE unit_type = 'municipality' ORDER BY 1")
    assert [u for (u,) in units] == sorted(f"CO-{c}" for c in [*VALLE_MUNICIPALITIES, *ANTIOQUIA])
    assert scalar(db, "SELECT count(*) FROM units WHERE code IN ('0', '00000', '5001') OR name = 'NACIONAL'") == 0
    stored = {(c, y): v for c, y, v, _ in _dropout_primary(db)}
    assert stored == {k: float(v) for k, v in written["dropout_primary"].items()}
    assert len(stored) == 134  # 45 municipalities x 3 years, less Abriaquí 2021 (blank: no observation)
    population = dict(((c, y), v) for c, y, v in query(
        db, "SELECT u.code, o.year, o.value FROM observations o JOIN units u USING (unit_id) "
            "WHERE o.indicator = 'population_5_16'"))
    assert population == {k: float(v) for k, v in written["population"].items()}
    promotion = dict(((c, y), v) for c, y, v in query(
        db, "SELECT u.code, o.year, o.value FROM observations o JOIN units u USING (unit_id) "
            "WHERE o.indicator = 'promotion_rate' AND o.level = 'upper_secondary'"))
    assert promotion == {k: float(v) for k, v in written["other"].items()}
    assert scalar(db, "SELECT authority FROM units WHERE unit_id = 'CO-76834'") == "Tuluá (ETC)"
    assert scalar(db, "SELECT authority FROM units WHERE unit_id = 'CO-76020'") == "Valle del Cauca (ETC)"


def _check_once(db: Path, sources: dict) -> None:
    """Every SIYA dropout figure once, under whichever import brought it first."""
    rows = _dropout_primary(db)
    keys = [(c, y) for c, y, _, _ in rows]
    assert len(keys) == len(set(keys)) == len(sources["siya_values"])
    assert {(c, y): v for c, y, v, _ in rows} == {k: float(v) for k, v in sources["siya_values"].items()}


@pytest.fixture(scope="module")
def men_then_siya(sources: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    folder = tmp_path_factory.mktemp("men-then-siya")
    db = folder / "lablens.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABLENS_KEY_FILE", str(folder / "key.bin"))
        men = import_file(sources["men"], db)
        siya = import_file(sources["siya"], db)
    return db, men, siya


def test_siya_after_men_adds_no_duplicate(sources: dict, men_then_siya) -> None:
    db, men, siya = men_then_siya
    overlap = set(sources["written"]["dropout_primary"]) & set(sources["siya_values"])
    assert len(overlap) == 134
    assert siya["duplicates_skipped"] == len(overlap) and siya["conflicts"] == 0
    assert siya["observations_loaded"] == len(sources["siya_values"]) - len(overlap)
    _check_once(db, sources)
    # the overlapping figures stay under MEN's import; SIYA's copies are recorded as duplicates
    in_men = {(c, y) for c, y, _, i in _dropout_primary(db) if i == men["import_id"]}
    assert in_men == overlap
    assert scalar(db, "SELECT count(*) FROM duplicate_observations WHERE import_id = ?",
                  [siya["import_id"]]) == len(overlap)


def test_men_after_siya_adds_no_duplicate(sources: dict, tmp_path: Path) -> None:
    db = tmp_path / "lablens.duckdb"
    siya = import_file(sources["siya"], db)
    men = import_file(sources["men"], db)
    overlap = set(sources["written"]["dropout_primary"]) & set(sources["siya_values"])
    assert men["duplicates_skipped"] == len(overlap) == 134 and men["conflicts"] == 0
    assert men["observations_loaded"] == men["observations"] - len(overlap)
    _check_once(db, sources)
    assert {i for _, _, _, i in _dropout_primary(db)} == {siya["import_id"]}


def test_rolling_back_men_keeps_siya_copies(sources: dict, men_then_siya, tmp_path: Path) -> None:
    """Rows MEN brought first and SIYA supplied identically survive MEN's rollback, now under SIYA."""
    shared, men, siya = men_then_siya
    db = tmp_path / "lablens.duckdb"
    shutil.copyfile(shared, db)  # roll back on a copy: the module's database stays as it is
    result = rollback(db, men["import_id"])
    assert result["observations_restored"] == 134
    _check_once(db, sources)
    assert {i for _, _, _, i in _dropout_primary(db)} == {siya["import_id"]}
    assert scalar(db, "SELECT count(*) FROM duplicate_observations") == 0
    assert scalar(db, "SELECT count(*) FROM observations WHERE indicator = 'population_5_16'") == 0
    assert scalar(db, "SELECT count(*) FROM observations WHERE import_id = ?", [men["import_id"]]) == 0
