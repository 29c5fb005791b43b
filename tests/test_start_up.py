"""Start-up cost: what a command imports before its first line of work (issue 20, cold starts).

``python -m analysis compare`` and ``export`` (the evidence pack, DiD included) must not import statsmodels or
scipy.stats (about 1 s of CPU each time a process starts: bench/RESULTS.md "Cold starts (session 7)"). The t
and normal distributions come from scipy.special and the DiD's cluster-robust fit from numpy
(analysis.stats.did.crv1_fit), both checked against scipy.stats and statsmodels in tests/stats.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("statsmodels", "scipy.stats", "scipy.optimize", "patsy", "formulaic")


def test_compare_and_export_import_no_statsmodels_nor_scipy_stats():
    """Importing the commands' modules and fitting a DiD with its pre-trend check (the export's work) leaves
    statsmodels and scipy.stats unimported; the fit itself must give an interval."""
    code = ("import json, sys\n"
            "import numpy as np, pandas as pd\n"
            "import analysis.cli, analysis.compare, analysis.evidence, analysis.implementation.cli\n"
            "from analysis.evidence.implementation import implementation_tables\n"
            "from analysis.stats import did_ols, pretrend_check\n"
            "rng = np.random.default_rng(1)\n"
            "unit = np.repeat(np.arange(12), 6)\n"
            "df = pd.DataFrame({'unit': unit, 'treated': (unit < 6).astype(int), 'year': np.tile(np.arange(6), 12),"
            " 'y': rng.normal(size=unit.size)})\n"
            "df['post'] = (df.year >= 3).astype(int)\n"
            "res = did_ols(df, 'y', 'treated', 'post', 'unit', wild_bootstrap=True, reps=99)\n"
            "pre = pretrend_check(df[df.post == 0], 'y', 'treated', 'year', 'unit')\n"
            "assert res.ci_low < res.estimate < res.ci_high and pre.inference_reliable, (res, pre)\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
