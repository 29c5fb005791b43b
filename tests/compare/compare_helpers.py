"""Independent reference computations for the compare() tests (scipy, statsmodels, pandas only).

Nothing here imports analysis.stats: every expected number is recomputed from the raw rows that were
written to the imported files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

TOL = {"rel": 1e-9, "abs": 1e-12}


def approx(value):
    """Deterministic results must agree to 1e-9 (relative)."""
    return pytest.approx(value, **TOL)


def omega(n_total: float) -> float:
    """Hedges' small-sample factor ω = 1 − 3/(4N − 9) (WWC Procedures Handbook v4.1, E.1)."""
    return 1.0 - 3.0 / (4.0 * n_total - 9.0)


def paired_reference(pre: pd.Series, post: pd.Series, level: float = 0.95) -> dict:
    """Pre/post on linked students (same index): scipy.stats.ttest_rel and its confidence_interval;
    Hedges' g = ω·mean diff / SD pooled over the two waves, ω with N = 2n (docs/METHODS.md, "Effect sizes";
    WWC Handbook v4.1); Var(g) = 2(1 − r)/n + g²/(2n) (Becker 1988; Morris & DeShon 2002)."""
    linked = pre.index.intersection(post.index)
    a, b = post.loc[linked].to_numpy(float), pre.loc[linked].to_numpy(float)
    res = stats.ttest_rel(a, b)
    ci = res.confidence_interval(level)
    n = len(linked)
    sd_pooled = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2.0)
    g = omega(2 * n) * (a - b).mean() / sd_pooled
    r = np.corrcoef(a, b)[0, 1]
    return {"n_linked": n, "diff": (a - b).mean(), "diff_ci_low": ci.low, "diff_ci_high": ci.high,
            "p_value": res.pvalue, "effect_size": g, "g_var": 2 * (1 - r) / n + g**2 / (2 * n), "r": r}


def welch_reference(pre: np.ndarray, post: np.ndarray, level: float = 0.95) -> dict:
    """Independent groups: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval; Hedges' g
    with the pooled SD and ω with N = n1 + n2 (WWC Handbook v4.1)."""
    a, b = np.asarray(post, float), np.asarray(pre, float)
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(level)
    n1, n2 = len(a), len(b)
    sp = np.sqrt(((n1 - 1) * np.var(a, ddof=1) + (n2 - 1) * np.var(b, ddof=1)) / (n1 + n2 - 2))
    g = omega(n1 + n2) * (a.mean() - b.mean()) / sp
    return {"diff": a.mean() - b.mean(), "diff_ci_low": ci.low, "diff_ci_high": ci.high, "p_value": res.pvalue,
            "effect_size": g}


def school_clustered_reference(part: pd.DataFrame, y: str = "score_math", level: float = 0.95) -> dict:
    """Reference for a student pre/post row (docs/METHODS.md "Designs" 1): statsmodels OLS with school-clustered
    (CR1) covariance and t on schools − 1 df (Cameron & Miller 2015). Linked students: the within-student
    differences on a constant; no student linked: the scores of both waves on a post indicator."""
    pre = part[part["wave"] == "pre"].set_index("student_id")
    post = part[part["wave"] == "post"].set_index("student_id")
    linked = pre.index.intersection(post.index)
    if len(linked) >= 2:
        values = (post.loc[linked, y] - pre.loc[linked, y]).to_numpy(dtype=float)
        exog, school = np.ones((len(linked), 1)), pre.loc[linked, "school_code"].to_numpy()
    else:
        waves = part[part["wave"].isin(["pre", "post"])]
        values = waves[y].to_numpy(dtype=float)
        exog = sm.add_constant((waves["wave"] == "post").to_numpy(dtype=float))
        school = waves["school_code"].to_numpy()
    fit = sm.OLS(values, exog).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(school)[0]}, use_t=True)
    k = exog.shape[1] - 1
    low, high = fit.conf_int(1 - level)[k]
    return {"diff": fit.params[k], "diff_ci_low": low, "diff_ci_high": high, "p_value": fit.pvalues[k],
            "diff_se": fit.bse[k], "df": fit.df_resid_inference, "n_clusters": len(np.unique(school))}


def t_identities(row: pd.Series, level: float = 0.95) -> None:
    """A row's interval and p follow from its diff, diff_se and df alone (scipy.stats.t): diff ± t_{df}·diff_se
    and p = 2·(1 − T_df(|diff/diff_se|)), the survival function avoiding 1 − cdf's cancellation."""
    crit = stats.t.ppf(0.5 + level / 2, row["df"])
    assert row["diff_ci_low"] == approx(row["diff"] - crit * row["diff_se"])
    assert row["diff_ci_high"] == approx(row["diff"] + crit * row["diff_se"])
    assert row["p_value"] == approx(2 * stats.t.sf(abs(row["diff"] / row["diff_se"]), row["df"]))


def anova_icc(values: pd.Series, groups: pd.Series) -> tuple[float, float]:
    """ICC(1) by one-way ANOVA with n0 for unequal clusters (Shrout & Fleiss 1979), clipped at 0, and
    the cluster size ñ = Σn²/N of Hedges (2007) for the design effect 1 + (ñ − 1)ρ."""
    frame = pd.DataFrame({"y": values.to_numpy(float), "g": groups.to_numpy()})
    agg = frame.groupby("g")["y"].agg(["size", "mean", "var"])
    n, big_n, j = agg["size"].to_numpy(float), float(len(frame)), len(agg)
    grand = frame["y"].mean()
    msb = (n * (agg["mean"] - grand) ** 2).sum() / (j - 1)
    msw = ((frame["y"] - frame.groupby("g")["y"].transform("mean")) ** 2).sum() / (big_n - j)
    n0 = (big_n - (n**2).sum() / big_n) / (j - 1)
    rho = max((msb - msw) / (msb + (n0 - 1) * msw), 0.0)
    return rho, (n**2).sum() / big_n


def cluster_ols(frame: pd.DataFrame, formula: str, term: str, cluster: str, weights: str | None = None,
                level: float = 0.95) -> dict:
    """statsmodels OLS/WLS with CRV1 standard errors clustered on `cluster` (cov_type='cluster');
    p and interval from t with G − 1 degrees of freedom (docs/METHODS.md, "Difference-in-differences")."""
    groups = pd.factorize(frame[cluster])[0]
    if weights is None:
        model = sm.OLS.from_formula(formula, data=frame)
    else:
        model = sm.WLS.from_formula(formula, data=frame, weights=frame[weights].to_numpy(float))
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    est, se = float(fit.params[term]), float(fit.bse[term])
    g = len(np.unique(groups))
    crit = stats.t.ppf(0.5 + level / 2, g - 1)
    return {"estimate": est, "se": se, "p_value": 2 * stats.t.sf(abs(est / se), g - 1),
            "ci_low": est - crit * se, "ci_high": est + crit * se, "n_clusters": g}


def cell_means(frame: pd.DataFrame, y: str = "y", weights: str | None = None) -> dict:
    """The four treated x post cell means (weighted by `weights` when given) and their DiD."""
    out = {}
    for (t, p), part in frame.groupby(["treated", "post"]):
        w = None if weights is None else part[weights]
        out[(int(t), int(p))] = float(np.average(part[y], weights=w))
    out["did"] = (out[(1, 1)] - out[(1, 0)]) - (out[(0, 1)] - out[(0, 0)])
    return out


def row_of(frame: pd.DataFrame, **keys) -> pd.Series:
    """The single row of `frame` matching keys (NaN-safe)."""
    mask = pd.Series(True, index=frame.index)
    for k, v in keys.items():
        mask &= frame[k].isna() if v is None else frame[k] == v
    assert mask.sum() == 1, f"{mask.sum()} rows match {keys}:\n{frame[list(keys)]}"
    return frame[mask].iloc[0]


_RESULTS: dict = {}


def run(db, indicator: str, **kwargs) -> pd.DataFrame:
    """compare() memoised for the session (the databases are read-only once built): tests that ask the same
    question share one call. Returns a copy, so a test cannot alter another test's frame."""
    from analysis.compare import compare

    key = (str(db), indicator, repr(sorted(kwargs.items())))
    if key not in _RESULTS:
        _RESULTS[key] = compare(db, indicator, **kwargs)
    return _RESULTS[key].copy()
