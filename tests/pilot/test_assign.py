"""Random assignment: reproducible bytes, per-stratum counts, equal probabilities, the real directory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.pilot.assign import Options, assign, balance_table, draw
from tests.conftest import require_real_data

SIZES = {"A": 7, "B": 5, "C": 9, "D": 3, "E": 1, "F": 5}  # 30 schools in strata of uneven, odd sizes


def _frame(sizes=SIZES) -> pd.DataFrame:
    rows, k = [], 0
    for stratum, m in sizes.items():
        for _ in range(m):
            k += 1
            rows.append({"country": "GT", "unit_type": "school", "unit_code": f"14-{k % 7 + 1:02d}-{k:04d}-43",
                         "department": "Quiché", "municipality": f"Municipio {stratum}", "zone": "rural",
                         "sector": "oficial" if k % 3 else "privado", "enrolment": 40 + 7 * k % 53,
                         "baseline": 400 + (k * 37) % 101})
    # rows deliberately out of code order: the draw sorts them
    return pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)


def test_same_seed_same_bytes_other_seed_other_bytes():
    opts = Options(seed=20261206, strata=("municipality",), lab_type="Lab Point", start_year=2027)
    a = assign(_frame(), opts)
    b = assign(_frame().sample(frac=1.0, random_state=9), opts)  # same frame, other row order
    assert a.roster_csv() == b.roster_csv()
    assert a.record == b.record
    c = assign(_frame(), Options(seed=20261207, strata=("municipality",), lab_type="Lab Point", start_year=2027))
    assert c.roster_csv() != a.roster_csv()
    assert list(a.roster.columns) == ["country", "unit_type", "unit_code", "program", "lab_type", "start_year",
                                      "stratum"]
    assert set(a.roster["program"]) == {"MiLab", "comparison"}
    treated = a.roster[a.roster.program == "MiLab"]
    assert (treated["lab_type"] == "Lab Point").all() and (treated["start_year"] == "2027").all()


@pytest.mark.parametrize("share", [0.5, 0.3, 2 / 3])
def test_per_stratum_counts_are_floor_or_ceil(share):
    for seed in range(20):
        a = assign(_frame(), Options(seed=seed, strata=("municipality",), treated_share=share))
        for s in a.record["strata"]:
            target = s["schools"] * share
            assert s["treated"] in (math.floor(target + 1e-9), math.ceil(target - 1e-9))
        assert abs(a.record["treated"] - 30 * share) < 1 + 1e-9


def test_fixed_number_treated_spread_proportionally():
    for seed in range(20):
        a = assign(_frame(), Options(seed=seed, strata=("municipality",), treated=11, treated_share=None))
        assert a.record["treated"] == 11 and a.record["comparison"] == 19
        for s in a.record["strata"]:
            target = s["schools"] * 11 / 30
            assert math.floor(target) <= s["treated"] <= math.ceil(target)


@pytest.mark.parametrize(("options", "p"), [
    ({"treated_share": 0.5}, 0.5),
    ({"treated_share": 0.3}, 0.3),
    ({"treated": 11, "treated_share": None}, 11 / 30),
])
def test_every_school_has_probability_p(options, p):
    """2,000 seeds: each school's treated share within 4 binomial standard errors of P."""
    frame, draws = _frame().sort_values("unit_code"), 2000
    labels = frame["municipality"].to_numpy()
    hits = np.zeros(len(frame))
    for seed in range(draws):
        hits += draw(labels, Options(seed=seed, strata=("municipality",), **options))
    # draw() is what assign() runs: the same seed gives the same schools
    r = assign(frame, Options(seed=7, strata=("municipality",), **options)).roster
    assert list(r["program"] == "MiLab") == list(draw(labels, Options(seed=7, **options)))
    se = math.sqrt(p * (1 - p) / draws)
    worst = np.abs(hits / draws - p).max()
    assert worst < 4 * se, f"largest deviation {worst:.4f} vs 4 SE {4 * se:.4f}"


def test_matched_pairs():
    a = assign(_frame(), Options(seed=5, strata=("municipality",), pairs_on="baseline"))
    r = a.roster.merge(_frame()[["unit_code", "baseline"]], on="unit_code")
    for label, g in r.groupby("stratum"):
        if len(g) == 2:
            assert sorted(g["program"]) == ["MiLab", "comparison"], label
        else:
            assert len(g) == 1  # the odd school of a stratum forms its own block
    # pairs are neighbours in the baseline order within their municipality
    first = r[r.stratum.str.startswith("Municipio A / pair")].sort_values("baseline")
    assert list(first["stratum"]) == sorted(first["stratum"])
    with pytest.raises(ValueError, match=r"treated-share 0\.5"):
        assign(_frame(), Options(seed=5, pairs_on="baseline", treated_share=0.3))


def test_balance_table_smd():
    frame = pd.DataFrame({"zone": ["rural"] * 4, "sector": ["oficial", "oficial", "privado", "oficial"],
                          "enrolment": [10.0, 20.0, 30.0, 50.0]})
    t = np.array([True, True, False, False])
    bal = balance_table(frame, t)
    row = bal[bal.variable == "enrolment"].iloc[0]
    assert row.smd == pytest.approx((15 - 40) / math.sqrt((50 + 200) / 2))
    sec = bal[(bal.variable == "sector") & (bal.level == "privado")].iloc[0]
    assert (sec.mean_treated, sec.mean_comparison) == (0.0, 0.5)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="no field"):
        assign(_frame(), Options(seed=1, strata=("colour",)))
    with pytest.raises(ValueError, match="between 1 and 29"):
        assign(_frame(), Options(seed=1, treated=30, treated_share=None))
    with pytest.raises(ValueError, match="no schools"):
        assign(_frame().iloc[:0], Options(seed=1))


def test_real_directory_rural_quiche_by_municipality():
    from analysis.pilot.frame import apply_where, frame_from_directory

    real = require_real_data() / "guatemala" / "mineduc_establecimientos_diversificado_raw_noPII.csv"
    frame = apply_where(frame_from_directory(real), "zone=rural,department=Quiché")
    a = assign(frame, Options(seed=20261206, strata=("municipality",)))
    counts = frame["municipality"].value_counts()
    assert len(a.record["strata"]) == len(counts) == 15
    for s in a.record["strata"]:
        assert s["schools"] == counts[s["stratum"]]
        assert s["treated"] in (s["schools"] // 2, (s["schools"] + 1) // 2)
    assert a.record["treated"] + a.record["comparison"] == 109
    assert abs(a.record["treated"] - 54.5) <= 1
    again = assign(apply_where(frame_from_directory(real), "department=14,zone=RURAL"),
                   Options(seed=20261206, strata=("municipality",)))
    assert again.roster_csv() == a.roster_csv()
