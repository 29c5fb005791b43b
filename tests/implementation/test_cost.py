"""Cost per student and per 0.1 SD against a hand computation; bad cost files name row, column, reason."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.implementation.cost import (
    CostError,
    cost_effectiveness,
    cost_report,
    eef_band,
    parse_costs,
    parse_rates,
    programme_cost,
)

COSTS = pd.DataFrame({
    "programa": ["MiLab", "MiLab", "MiLab"],
    "tipo_laboratorio": ["Lab Point", "Lab Point", ""],
    "rubro": ["instalación", "funcionamiento", "formación"],
    "monto": ["50000", "8000", "12000"],
    "moneda": ["GTQ", "gtq", "GTQ"],
    "año_precios": ["2026", "2026", "2025"],
})
RATES = parse_rates(["GTQ=7.75", "COP=3900", "GBP=0.79"])


def test_spanish_headers_and_items_are_read():
    costs = parse_costs(COSTS)
    assert costs["item"].tolist() == ["installation", "running", "training"]
    assert costs["currency"].tolist() == ["GTQ"] * 3
    assert costs["lab_type"].tolist() == ["Lab Point", "Lab Point", ""]


def test_total_cost_and_cost_per_gain_equal_the_hand_computation():
    costs = parse_costs(COSTS)
    # 10 Lab Points: 10 × (50,000 + 12,000) one-off + 10 × 8,000 × 3 years = 860,000 GTQ.
    total = programme_cost(costs, "MiLab", {"Lab Point": 10}, RATES, "GTQ", horizon_years=3)
    assert total == pytest.approx(860_000.0, rel=1e-12)
    assert programme_cost(costs, "MiLab", {"Lab Point": 10}, RATES, "USD", 3) == pytest.approx(860_000 / 7.75)
    result = cost_effectiveness("MiLab", total, 10, 2000.0, "GTQ", 3, 0.20, 0.05, 0.35, RATES, (2026, 2025))
    per_student = 860_000 / 3 / 2000  # 143.33 GTQ per student per year
    assert result.cost_per_student_year == pytest.approx(per_student, rel=1e-12)
    assert result.cost_per_01sd == pytest.approx(per_student / 2.0, rel=1e-12)  # g = 0.20 is two 0.1 SD steps
    assert result.cost_per_01sd_low == pytest.approx(per_student / 3.5, rel=1e-12)  # inverted: g_high = 0.35
    assert result.cost_per_01sd_high == pytest.approx(per_student / 0.5, rel=1e-12)  # g_low = 0.05
    assert result.eef_band == "very_low"  # 143.33 GTQ = 14.61 GBP per pupil per year (< £80)
    assert result.reason is None and result.price_years == (2025, 2026)


@pytest.mark.parametrize(
    ("effect", "low", "high", "reason"),
    [(0.10, -0.02, 0.22, "gain_not_distinguishable"), (-0.1, -0.3, 0.1, "no_gain"),
     (float("nan"), float("nan"), float("nan"), "no_effect_size"), (0.2, float("nan"), float("nan"),
                                                                      "no_effect_interval")],
)
def test_a_gain_not_distinguishable_from_zero_has_no_interval(effect, low, high, reason):
    result = cost_effectiveness("MiLab", 860_000.0, 10, 2000.0, "GTQ", 3, effect, low, high, RATES)
    assert result.reason == reason
    assert math.isnan(result.cost_per_01sd_low) and math.isnan(result.cost_per_01sd_high)
    assert result.cost_per_student_year == pytest.approx(860_000 / 3 / 2000)


def test_no_students_gives_no_cost_per_student():
    result = cost_effectiveness("MiLab", 1000.0, 1, 0.0, "GTQ", 3, 0.2, 0.1, 0.3, RATES)
    assert result.reason == "no_students" and math.isnan(result.cost_per_student_year)


@pytest.mark.parametrize(("gbp", "band"), [(79.99, "very_low"), (80.0, "low"), (200.0, "low"), (200.01, "moderate"),
                                         (700.0, "moderate"), (1200.0, "high"), (1200.5, "very_high")])
def test_eef_bands_at_their_edges(gbp, band):
    assert eef_band(gbp) == band


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [("rubro", "viaticos", "cost_bad_item"), ("monto", "mil", "cost_bad_amount"), ("monto", "-5", "cost_bad_amount"),
     ("moneda", "quetzales", "cost_bad_currency"), ("año_precios", "hoy", "cost_bad_year")],
)
def test_a_bad_cell_names_its_row_and_column(column, value, code):
    bad = COSTS.copy()
    bad.loc[1, column] = value
    with pytest.raises(CostError) as caught:
        parse_costs(bad)
    assert caught.value.code == code and caught.value.row == 2


def test_missing_rate_and_duplicates_are_refused():
    costs = parse_costs(COSTS)
    with pytest.raises(CostError) as caught:
        programme_cost(costs, "MiLab", {"Lab Point": 1}, {"USD": 1.0}, "USD")
    assert caught.value.code == "cost_missing_rate" and caught.value.params["currency"] == "GTQ"
    with pytest.raises(CostError) as caught:
        parse_costs(pd.concat([COSTS, COSTS.iloc[[0]]]))
    assert caught.value.code == "cost_duplicate" and caught.value.row == 4
    with pytest.raises(CostError):
        parse_rates(["COP=0"])


def test_cost_report_on_the_demo_reads_labs_students_and_the_effect(implementation_db):
    import duckdb

    from analysis.compare import compare

    costs = parse_costs(COSTS)
    with duckdb.connect(implementation_db, read_only=True) as con:
        report = cost_report(con, costs, RATES, "GTQ", "score_math", design="did")
        labs = con.execute("SELECT count(DISTINCT unit_id) FROM assignments a JOIN units u USING (unit_id) "
                           "WHERE program = 'MiLab' AND u.unit_type = 'school'").fetchone()[0]
        expected = compare(con, "score_math", design="did", program="MiLab").iloc[0]
    row = report.iloc[0]
    assert row["labs"] == labs > 0
    assert row["students_per_year"] > 0
    assert row["effect_size"] == pytest.approx(expected["effect_size"])
    assert row["cost_per_student_year"] == pytest.approx(row["total_cost"] / 3 / row["students_per_year"])


def test_cost_per_sd_only_from_one_effect_in_sd(implementation_db):
    """dropout_rate's effect is in percentage points (MiLab) and one per start-year cohort (ValleLabs): the
    cost per 0.1 SD was computed from −0.6 pp as if SD (a 'no gain') and from the first cohort alone."""
    import duckdb

    from analysis.compare import compare

    costs = parse_costs(pd.concat([COSTS, COSTS.assign(programa="ValleLabs", moneda="COP")]))
    with duckdb.connect(implementation_db, read_only=True) as con:
        kinds = compare(con, "dropout_rate", design="did").groupby("program")["effect_size_kind"].agg(list)
        report = cost_report(con, costs, RATES, "USD", "dropout_rate", design="did").set_index("program")
    assert kinds["MiLab"] == ["pp"] and len(kinds["ValleLabs"]) > 1
    assert report.loc["MiLab", "reason"] == "effect_not_in_sd"
    assert report.loc["ValleLabs", "reason"] == "several_cohorts"
    assert report[["effect_size", "cost_per_01sd", "cost_per_01sd_low"]].isna().all().all()
    assert (report["cost_per_student_year"] > 0).all()


@pytest.mark.parametrize("name, data", [
    ("costos.csv", b""), ("costos.csv", b"\x00\xff\xfe\x00 binary"), ("costos.xlsx", b"not a workbook"),
])
def test_a_file_that_is_not_a_table_is_a_cost_error(name, data):
    """An empty, binary or broken upload was a traceback on Implementación (only CostError was caught)."""
    from analysis import cli_text
    from analysis.implementation.cost import read_cost_bytes

    with pytest.raises(CostError) as caught:
        read_cost_bytes(data, name)
    assert caught.value.code == "cost_unreadable"
    assert all(cli_text.COST[lang]["cost_unreadable"] for lang in ("es", "en"))


def test_a_windows_1252_csv_from_a_spanish_spreadsheet_is_read():
    from analysis.implementation.cost import read_cost_bytes

    text = "programa;rubro;monto;moneda;año_precios\nMiLab;instalación;50000;GTQ;2026\n"
    costs = read_cost_bytes(text.encode("cp1252"), "costos.csv")
    assert costs.loc[0, "item"] == "installation" and costs.loc[0, "price_year"] == 2026
    assert read_cost_bytes(text.encode("utf-8-sig"), "costos.csv").equals(costs)
