"""A verdict for every territory: each row of a compare() result grouped by a territory (department,
municipality, ...) gets its own estimate with its interval or the plain reason it has none, and a partially
pooled estimate (parametric empirical Bayes, :mod:`analysis.stats.pooling`) that borrows strength from the
programme's other territories (docs/METHODS.md, "Partial pooling by territory").

The verdict of a territory (``status``: achieved, not achieved, not enough evidence) rests on its OWN row only,
judged by :func:`analysis.plain_language.finding` — the rule of Logros and of the evidence pack's brief, so the
three agree for the same territory. A territory without inference of its own counts as "not enough evidence"; the
pooled estimate is a secondary figure and never yields a verdict on its own.

Where the pooled estimate's inputs come from, per programme (and country, and start-year cohort):
- the estimate yᵢ is the row's effect size (the unit Regiones ranks);
- its sampling variance Vᵢ is read off the row's own interval when it has one (half-width over the
  critical value: t with G − 1 degrees of freedom for a cluster-robust DiD, else normal);
- a territory with an estimate but too few schools for its own interval gets the programme's variance
  scaled by its schools (a generalised variance function; Fay & Herriot 1979, Rao & Molina 2015, §6.4):
  Vᵢ = V·(1/n_T,ᵢ + 1/n_C,ᵢ)/(1/N_T + 1/N_C) with a comparison group, V·N/nᵢ without, where V, N_T, N_C are
  the programme's whole (ungrouped) result's variance and schools.
Suppressed rows get no pooled value (nothing hidden may be shown or recovered).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from analysis import plain_language, stats

#: why a territory has no interval of its own (ui/locales: territory.reason.<code>)
OWN_REASONS = ("suppressed", "no_programme_units", "no_comparison_units", "no_estimate", "no_variation",
               "few_units", "no_interval")
#: why a territory WITH an interval of its own is still "not enough evidence" (plain_language.classify's reasons)
NOT_ENOUGH_WHY = ("low", "insufficient", "wide", "no_direction")
#: a pooled estimate this close to the programme's mean (shrinkage, the weight on the mean) mostly repeats it
MOSTLY_PROGRAMME = 0.5
_COHORT = "start_year_cohort"


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def programme_units(frame: pd.DataFrame) -> np.ndarray:
    """Programme schools of each row: ``n_treated`` (designs with a comparison group), else ``n_units``."""
    return _num(frame, "n_treated") if "n_treated" in frame else _num(frame, "n_units")


def own_variance(frame: pd.DataFrame, level: float = 0.95) -> np.ndarray:
    """Each row's effect-size variance from its own interval ((high − low)/2 over the critical value; t with
    n_clusters − 1 degrees of freedom where the row has clusters, else normal); NaN without a usable one."""
    low, high = _num(frame, "es_ci_low"), _num(frame, "es_ci_high")
    clusters = _num(frame, "n_clusters")
    with np.errstate(invalid="ignore"):  # scipy.stats.t.ppf and norm.ppf call these (scipy.stats: ~1 s to import)
        crit = np.where(clusters > 1, special.stdtrit(np.where(clusters > 1, clusters - 1, 1.0), 0.5 + 0.5 * level),
                        special.ndtri(0.5 + 0.5 * level))
        var = ((high - low) / (2.0 * crit)) ** 2
    return np.where(np.isfinite(var) & (var > 0), var, np.nan)


def own_reasons(frame: pd.DataFrame) -> list[str | None]:
    """Why each row has no interval of its own (None when it has one): one of :data:`OWN_REASONS`."""
    effect = _num(frame, "effect_size")
    low, high = _num(frame, "es_ci_low"), _num(frame, "es_ci_high")
    treated = programme_units(frame)
    comparison = _num(frame, "n_comparison")
    has_comparison = "n_comparison" in frame
    reliability = frame["reliability"].astype(str).tolist() if "reliability" in frame else [""] * len(frame)
    flags = frame["flags"].fillna("").astype(str).tolist() if "flags" in frame else [""] * len(frame)
    out: list[str | None] = []
    for i in range(len(frame)):
        if treated[i] == 0:
            out.append("no_programme_units")
        elif has_comparison and comparison[i] == 0:
            out.append("no_comparison_units")
        elif reliability[i] == "suppressed":
            out.append("suppressed")
        elif not np.isfinite(effect[i]):
            out.append("no_estimate")
        elif np.isfinite(low[i]) and np.isfinite(high[i]) and high[i] > low[i]:
            out.append(None)
        elif "no_variation" in flags[i]:
            out.append("no_variation")
        elif "inference_not_reliable" in flags[i] or reliability[i] == "low":
            out.append("few_units")
        else:
            out.append("no_interval")
    return out


def _keys(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("program", "country", _COHORT) if c in frame]


def _key_tuples(frame: pd.DataFrame, keys: list[str]) -> list[tuple]:
    """Each row's (programme, country, cohort) with missing values as None (NaN never equals itself)."""
    return [tuple(None if v is None or v != v else v for v in row)
            for row in frame[keys].itertuples(index=False, name=None)]


def _programme_scale(overall: pd.DataFrame | None, level: float) -> dict[tuple, tuple[float, float, float]]:
    """(variance, programme schools, comparison schools) of each programme's whole result."""
    if overall is None or overall.empty:
        return {}
    var = own_variance(overall, level)
    treated, comparison = programme_units(overall), _num(overall, "n_comparison")
    keys = _keys(overall)
    return {key: (var[i], treated[i], comparison[i]) for i, key in enumerate(_key_tuples(overall, keys))}


def territory_table(frame: pd.DataFrame, by: str, overall: pd.DataFrame | None = None,
                    higher_is_better: bool | None = None, level: float = 0.95) -> pd.DataFrame:
    """One row per programme x territory: its own estimate and interval (or ``reason``), its verdict from its
    own row (``status``, ``status_reason``: :func:`analysis.plain_language.finding`), the pooled estimate and
    interval (or ``pooled_reason``), the variance used and where it came from.

    ``frame``: compare() rows grouped by ``by`` (comparison-group rows are dropped); ``overall``: the same
    design's ungrouped rows (for the variance of territories without an interval of their own).
    """
    frame = frame[frame["program"] != "comparison"].reset_index(drop=True) if "program" in frame else frame
    keys = _keys(frame)
    out = frame[[*keys, by]].rename(columns={by: "territory"}).copy()
    out["n_programme"] = programme_units(frame)
    out["n_comparison"] = _num(frame, "n_comparison")
    out["effect_size_kind"] = frame.get("effect_size_kind", None)
    reasons = own_reasons(frame)
    has_own = np.array([r is None for r in reasons], dtype=bool)
    out["estimate"] = np.where([r not in ("suppressed", "no_programme_units", "no_comparison_units", "no_estimate")
                                for r in reasons], _num(frame, "effect_size"), np.nan)
    out["ci_low"] = np.where(has_own, _num(frame, "es_ci_low"), np.nan)
    out["ci_high"] = np.where(has_own, _num(frame, "es_ci_high"), np.nan)
    out["reason"] = pd.Series(reasons, index=out.index, dtype=object)
    found = [plain_language.finding(row, "", higher_is_better) for row in frame.to_dict("records")]
    out["status"] = pd.Series([f.status for f in found], index=out.index, dtype=object)
    out["status_reason"] = pd.Series([f.reason for f in found], index=out.index, dtype=object)
    variance = np.where(has_own, own_variance(frame, level), np.nan)
    source = np.where(has_own & np.isfinite(variance), "own", None).astype(object)
    scale = _programme_scale(overall, level)
    treated, comparison = out["n_programme"].to_numpy(float), out["n_comparison"].to_numpy(float)
    for i, (key, reason) in enumerate(zip(_key_tuples(out, keys), reasons, strict=True)):
        if reason != "few_units" or key not in scale:
            continue
        v_all, n_t, n_c = scale[key]
        if "n_comparison" in frame:
            ratio = (1 / treated[i] + 1 / comparison[i]) / (1 / n_t + 1 / n_c)
        else:
            ratio = n_t / treated[i]
        if np.isfinite(v_all * ratio) and v_all * ratio > 0:
            variance[i], source[i] = v_all * ratio, "programme"
    out["variance"], out["variance_source"] = variance, source
    for c in ("shrinkage", "pooled", "pooled_ci_low", "pooled_ci_high", "programme_mean", "programme_mean_se",
              "between_sd"):
        out[c] = np.nan
    out["pooled_reason"] = pd.Series(None, index=out.index, dtype=object)
    out["n_pooled"] = 0
    for _, idx in (out.groupby(keys, dropna=False, sort=False).groups.items() if keys else [((), out.index)]):
        idx = list(idx)
        part = out.loc[idx]
        usable = part["reason"].isin([None, "few_units", "no_variation", "no_interval"]) | part["reason"].isna()
        y = part["estimate"].where(usable)
        res = stats.partial_pool(y.to_numpy(float), part["variance"].to_numpy(float), level=level)
        pooled = res.frame
        out.loc[idx, "shrinkage"] = pooled["shrinkage"].to_numpy()
        out.loc[idx, "pooled"] = pooled["pooled"].to_numpy()
        out.loc[idx, "pooled_ci_low"] = pooled["pooled_ci_low"].to_numpy()
        out.loc[idx, "pooled_ci_high"] = pooled["pooled_ci_high"].to_numpy()
        out.loc[idx, "programme_mean"] = res.mu
        out.loc[idx, "programme_mean_se"] = res.mu_se
        out.loc[idx, "between_sd"] = res.as_dict()["tau"]
        out.loc[idx, "n_pooled"] = res.k
        # a row that never had an estimate keeps its own reason; the pooling's reason otherwise
        pooled_reason = [own if own in ("suppressed", "no_programme_units", "no_comparison_units", "no_estimate")
                         else p for own, p in zip(part["reason"], pooled["reason"], strict=True)]
        out.loc[idx, "pooled_reason"] = pd.Series(pooled_reason, index=idx, dtype=object)
    out["n_pooled"] = out["n_pooled"].astype(int)
    return out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per programme (and country, cohort): territories where it has schools, how many of them are
    ``achieved``, ``not_achieved`` and ``not_enough`` by each territory's own row, and why each not-enough one is:
    ``no_own_interval`` (too few schools, no comparison school, suppressed, no estimate), else its verdict's reason
    (:func:`analysis.plain_language.classify`): ``low`` (low reliability), ``insufficient`` (design checks),
    ``wide`` (the interval cannot tell), ``no_direction``; the five add up to ``not_enough``."""
    keys = _keys(table)
    mine = table[table["n_programme"].fillna(0) > 0]
    rows = []
    for key, part in (mine.groupby(keys, dropna=False, sort=False) if keys else [((), mine)]):
        key = key if isinstance(key, tuple) else (key,)
        counts = part["status"].value_counts()
        unsure = part["status"] == "not_enough"
        no_own = int((unsure & part["reason"].notna()).sum())
        why = part.loc[unsure & part["reason"].isna(), "status_reason"].value_counts()
        rows.append({**dict(zip(keys, key, strict=True)), "territories": len(part),
                     **{s: int(counts.get(s, 0)) for s in plain_language.STATUSES}, "no_own_interval": no_own,
                     **{r: int(why.get(r, 0)) for r in NOT_ENOUGH_WHY}})
    return pd.DataFrame(rows, columns=[*keys, "territories", *plain_language.STATUSES, "no_own_interval",
                                       *NOT_ENOUGH_WHY])
