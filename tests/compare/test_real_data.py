"""compare() on real public data (../shared/data/real): MEN department statistics and SIYA municipal files.

Skipped with a reason when the folder is absent (a user's clone); LABLENS_REQUIRE_REAL_DATA=1 turns the
skip into a failure (the `real_data` fixture, conftest.real_data_dir). Every expected number is computed
here from the file text with pandas / statsmodels / scipy, never through LabLens.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from compare_data import load, write_roster
from compare_helpers import approx, cell_means, cluster_ols, paired_reference, run

MEN_FILE = ("colombia", "men", "MEN_ESTADISTICAS_DEPARTAMENTO_20231022.csv")
SIYA_DROPOUT = ("colombia", "siya_enflujo", "ya3-11-mun.json")  # intra-annual dropout, primary
SIYA_MATH = ("colombia", "siya_enflujo", "ya3-1-mun.json")  # Saber 11 mathematics mean, 0-100


def _siya_frame(path) -> pd.DataFrame:
    data = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame([(int(year), str(code), float(value)) for year, rows in data.items() for code, value in rows],
                         columns=["year", "code", "value"])
    return frame[~frame["code"].str.endswith("000")]  # department/national totals are never unit data


def _window(frame: pd.DataFrame, years: tuple[int, int], flag: int) -> pd.DataFrame:
    part = frame[frame["year"].between(*years)]
    return part.groupby(["code", "treated"], as_index=False)["value"].mean().assign(post=flag)


def test_real_data_helper_skips_or_fails_when_the_folder_is_absent(real_data, tmp_path, monkeypatch):
    monkeypatch.setitem(real_data.__globals__, "REAL_DATA", tmp_path / "absent")
    monkeypatch.delenv("LABLENS_REQUIRE_REAL_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="real public data not found"):
        real_data(*MEN_FILE)
    monkeypatch.setenv("LABLENS_REQUIRE_REAL_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="LABLENS_REQUIRE_REAL_DATA=1"):
        real_data(*MEN_FILE)
    monkeypatch.setitem(real_data.__globals__, "REAL_DATA", tmp_path)
    assert real_data() == tmp_path  # present: the path itself, no skip


# --- (a) MEN, departments: Valle del Cauca against the other departments ------------------------------------

@pytest.fixture(scope="module")
def men(tmp_path_factory, real_data):
    path = real_data(*MEN_FILE)
    text = pd.read_csv(path, dtype=str, encoding="utf-8")
    codes = sorted(text["CÓDIGO_DEPARTAMENTO"].str.strip().str.zfill(2).unique())
    tmp = tmp_path_factory.mktemp("men")
    roster = write_roster(tmp / "roster.csv", [
        ("CO", "department", code, "ValleLabs" if code == "76" else "comparison", "", 2016 if code == "76" else "")
        for code in codes])
    db = tmp / "lablens.duckdb"
    load(db, path, roster)
    return db, text


def test_men_valle_vs_other_departments_did_is_the_four_cell_difference(men):
    db, text = men
    out = run(db, "dropout_rate", design="did", pre="2011-2015", post="2016-2019")
    assert len(out) == 1
    row = out.iloc[0]
    # Reference: the four cell means from the CSV text (unit-period means = each department's mean over the
    # window's years, then the mean over departments of a cell), docs/METHODS.md Designs 2 (saturated 2x2).
    frame = pd.DataFrame({"year": text["AÑO"].astype(int), "code": text["CÓDIGO_DEPARTAMENTO"].str.zfill(2),
                          "value": pd.to_numeric(text["DESERCIÓN"])})
    frame["treated"] = (frame["code"] == "76").astype(int)
    period = pd.concat([_window(frame, (2011, 2015), 0), _window(frame, (2016, 2019), 1)])
    cells = cell_means(period, "value")
    assert row["estimate"] == approx(cells["did"])
    assert row["mean_treated_pre"] == approx(cells[(1, 0)])
    assert row["mean_comparison_post"] == approx(cells[(0, 1)])
    assert (row["n_treated"], row["n_comparison"]) == (1, frame["code"].nunique() - 1)
    # one treated cluster: the point estimate only, never a confident p
    assert np.isnan(row["p_value"]) and np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert "inference_not_reliable" in row["flags"]
    assert row["reliability"] == "low"


# --- (b), (c) SIYA municipal files ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def siya(tmp_path_factory, real_data):
    dropout_path, math_path = real_data(*SIYA_DROPOUT), real_data(*SIYA_MATH)
    dropout, math = _siya_frame(dropout_path), _siya_frame(math_path)
    valle = sorted({c for c in pd.concat([dropout["code"], math["code"]]) if c.startswith("76")})
    cauca = sorted({c for c in dropout["code"] if c.startswith("19")})
    tmp = tmp_path_factory.mktemp("siya")
    roster = write_roster(tmp / "roster.csv",
                          [("CO", "municipality", c, "ValleLabs", "", 2016) for c in valle]
                          + [("CO", "municipality", c, "comparison", "", "") for c in cauca])
    db = tmp / "lablens.duckdb"
    load(db, dropout_path, math_path, roster)
    return db, dropout, math


def test_siya_valle_municipalities_vs_cauca_did(siya):
    db, dropout, _ = siya
    out = run(db, "dropout_rate", design="did", level="primary", pre="2011-2015", post="2016-2019")
    assert len(out) == 1
    row = out.iloc[0]
    frame = dropout[dropout["code"].str[:2].isin(["76", "19"])].copy()
    frame["treated"] = frame["code"].str.startswith("76").astype(int)
    period = pd.concat([_window(frame, (2011, 2015), 0), _window(frame, (2016, 2019), 1)])
    # Reference: cell means with pandas; statsmodels OLS on the municipality-period means with CRV1 errors
    # clustered on the municipality; p and interval from t(G − 1) (docs/METHODS.md Designs 2).
    cells = cell_means(period, "value")
    ref = cluster_ols(period, "value ~ treated * post", "treated:post", "code")
    for col in ("estimate", "se", "p_value", "ci_low", "ci_high"):
        assert row[col] == approx(ref[col]), col
    assert row["estimate"] == approx(cells["did"])
    for col, key in (("mean_treated_pre", (1, 0)), ("mean_treated_post", (1, 1)),
                     ("mean_comparison_pre", (0, 0)), ("mean_comparison_post", (0, 1))):
        assert row[col] == approx(cells[key]), col
    assert (row["n_treated"], row["n_comparison"]) == (42, 42)
    assert row["n_clusters"] == ref["n_clusters"] == 84
    # 30 or more clusters on each side: the cluster-robust t is reported, no wild bootstrap needed
    assert bool(row["inference_reliable"]) and np.isnan(row["wild_p_value"])
    assert "inference_not_reliable" not in row["flags"] and row["reliability"] == "ok"
    assert row["effect_size_kind"] == "pp"


def test_siya_saber_math_prepost_for_valle_municipalities(siya):
    db, _, math = siya
    out = run(db, "score_math", program="ValleLabs", pre="2016-2018", post="2021-2023")
    assert len(out) == 1
    row = out.iloc[0]
    valle = math[math["code"].str.startswith("76")]
    pre = valle[valle["year"].between(2016, 2018)].groupby("code")["value"].mean()
    post = valle[valle["year"].between(2021, 2023)].groupby("code")["value"].mean()
    # Reference: scipy.stats.ttest_rel over the municipality means of the two windows (docs/METHODS.md Designs 1,
    # aggregate unit data, units present in both windows as pairs).
    ref = paired_reference(pre, post)
    assert row["test"] == "paired_t_units"
    assert row["n_linked"] == ref["n_linked"] == 31
    for col in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        assert row[col] == approx(ref[col]), col
    assert row["mean_pre"] == approx(pre.mean()) and row["mean_post"] == approx(post.mean())
    assert row["effect_size_kind"] == "points"  # municipal means: no student SD to standardise by
    flags = {f.strip() for f in row["flags"].split(",")}
    assert "pandemic_years" in flags  # 2021 is in the post window
    assert "saber_scale_change" not in flags  # 2016-2023 are all on the new scale
    assert row["reliability"] == "ok"

