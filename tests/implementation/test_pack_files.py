"""The evidence pack carries the implementation facts, the dose–response association and (with a cost file)
the cost-effectiveness, equal to what the page and the CLI compute; a database without records adds none."""

from __future__ import annotations

import io
import shutil
import zipfile

import duckdb
import pandas as pd
import pytest

from analysis.cli import main
from analysis.implementation import dose, monitor
from analysis.implementation.cost import cost_report, parse_costs, parse_rates

COSTS = "program,lab_type,item,amount,currency,price_year\nMiLab,,installation,60000,GTQ,2026\n" \
        "MiLab,,running,9000,GTQ,2026\nMiLab,,training,15000,GTQ,2026\n"


def _pack(db: str, out, *extra: str) -> dict[str, bytes]:
    assert main(["export", "--db", db, "--out", str(out), "--indicator", "score_math", *extra]) == 0
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_pack_carries_implementation_dose_and_cost(implementation_db, tmp_path):
    costs_file = tmp_path / "costos.csv"
    costs_file.write_text(COSTS, encoding="utf-8")
    files = _pack(implementation_db, tmp_path / "pack.zip", "--costs", str(costs_file), "--rate", "GTQ=7.75",
                  "--currency", "USD")
    facts = pd.read_csv(io.BytesIO(files["implementation.csv"]), encoding="utf-8-sig")
    with duckdb.connect(implementation_db, read_only=True) as con:
        status = monitor.lab_status(con, "program").set_index("program")
        expected_dose = dose.dose_analysis(con, "MiLab", "score_math").fit
        expected_cost = cost_report(con, parse_costs(pd.read_csv(costs_file, dtype=str)), parse_rates(["GTQ=7.75"]),
                                    "USD", "score_math", "did").iloc[0]
    facts = facts.set_index("program")
    for program in ("MiLab", "ValleLabs"):
        assert facts.loc[program, ["planned", "operating", "operating_roster", "no_report"]].tolist() == \
            status.loc[program, ["planned", "operating", "operating_roster", "no_report"]].tolist()
    dose_rows = pd.read_csv(io.BytesIO(files["dose_response.csv"]), encoding="utf-8-sig").set_index("program")
    assert set(dose_rows["interpretation"]) == {"association"}
    # at display precision (analysis/disclosure.py DOSE_RESPONSE_DECIMALS: slopes per hour at four decimals)
    assert dose_rows.loc["MiLab", "slope"] == pytest.approx(round(expected_dose.slope, 4), abs=1e-12)
    cost_row = pd.read_csv(io.BytesIO(files["cost.csv"]), encoding="utf-8-sig").iloc[0]
    assert cost_row["currency"] == "USD" and cost_row["program"] == "MiLab"
    assert cost_row["cost_per_student_year"] == pytest.approx(expected_cost["cost_per_student_year"], rel=1e-9)
    assert b"implementation.csv" in files["provenance.json"]  # hashed like every file of the pack


def test_a_bad_cost_file_is_one_line_and_writes_nothing(implementation_db, tmp_path, capsys):
    bad = tmp_path / "costos.csv"
    bad.write_text(COSTS.replace("60000", "sesenta mil"), encoding="utf-8")
    out = tmp_path / "pack.zip"
    assert main(["export", "--db", implementation_db, "--out", str(out), "--indicator", "score_math",
                 "--costs", str(bad), "--rate", "GTQ=7.75", "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "row 1: amount must be a number" in err and "(column amount)" in err and not out.exists()


def test_no_records_no_implementation_files(implementation_db, tmp_path):
    empty = tmp_path / "no_records.duckdb"
    shutil.copy(implementation_db, empty)
    with duckdb.connect(str(empty)) as con:
        for name in ("lab_log", "teacher_training", "governance_check"):
            con.execute(f"DELETE FROM {name}")
    files = _pack(str(empty), tmp_path / "pack.zip")
    assert not {"implementation.csv", "dose_response.csv", "cost.csv"} & set(files)
