"""analysis.periods: the waves of each period, the wave CASE, programme order."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analysis import periods


def test_wave_period_sql_maps_waves():
    con = duckdb.connect()
    rows = con.execute(f"""SELECT wave, {periods.wave_period_sql('wave')} FROM (VALUES ('pre'), ('baseline'),
        ('post'), ('endline'), ('midline'), (NULL)) t(wave)""").fetchall()
    assert dict(rows) == {"pre": "pre", "baseline": "pre", "post": "post", "endline": "post", "midline": None,
                          None: None}


def test_wave_period_sql_text_is_stable():
    assert periods.wave_period_sql() == ("CASE WHEN o.wave IN ('pre', 'baseline') THEN 'pre' "
                                         "WHEN o.wave IN ('post', 'endline') THEN 'post' END")
    assert periods.waves_in_sql("w", periods.POST_WAVES) == "w IN ('post', 'endline')"


def test_programme_order():
    assert periods.programme_order(["comparison", "MiLab", "Otro", "ValleLabs"]) == [
        "ValleLabs", "MiLab", "Otro", "comparison"]
    column = pd.Series(["Zeta", "comparison", None, "Alfa", "Zeta", np.nan])
    assert periods.programme_order(column) == ["Alfa", "Zeta", "comparison"]
    assert periods.programme_order([]) == []
