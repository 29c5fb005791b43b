"""Design ``prepost``: before/after in the programme schools alone (METHODS.md, Designs 1).

Linked students: mean within-student difference with a school-clustered (CR1) standard error, t on G − 1 df;
the ICC estimated per group and g's variance inflated by the design effect; unlinked cohorts: difference of two
means, school-clustered as well; aggregate unit rates: paired t over the units
present in both windows (else Welch); binary outcomes: Newcombe interval and Cox index.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analysis import stats
from analysis.compare.finish import finish
from analysis.compare.request import UNIT_PROGRAM_CTE, CompareError, Evidence, Request, sufficient
from analysis.compare.sql import (
    empty_reason,
    fetch,
    group_cols,
    observations_sql,
    period_sql,
    rename_groups,
    result_keys,
    unit_groups_sql,
)

NAME = "prepost"
LABEL = ("antes/después", "before/after")
OPTIONS: tuple[str, ...] = ()  # request fields beyond the common ones (the ICC override is DiD's)
COMPARISON = False  # the programme schools alone: comparison units are not read
SELECTOR_RANK = 1  # the pages list designs with a comparison group first
EVIDENCE = Evidence(design=NAME, treated="n_units")
KEY_COLUMNS: tuple[str, ...] = ()
COLUMNS = (
    "design", "test", "n_units", "n_pre", "n_post", "n_linked", "attrition", "mean_pre", "mean_post", "diff",
    "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value", "q_value", "effect_size", "effect_size_kind",
    "es_ci_low", "es_ci_high", "improvement_index", "months_progress", "icc", "design_effect", "reliability",
    "suppression_reason", "flags", "evidence", "evidence_reasons", "pre_window", "post_window",
)
COLUMN_NOTE = """n_pre / n_post / mean_pre / mean_post describe everybody observed in each window; with linked
students, diff, its interval, the test and the effect size use the linked students only
(n_linked), and attrition is the share of pre students missing at post."""
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "test": ("Prueba: paired_t (estudiantes vinculados), welch_t (cohortes no vinculadas) o sobre unidades",
             "Test: paired_t (linked students), welch_t (unlinked cohorts) or over units"),
    "n_units": ("Unidades (escuelas o municipios) del grupo", "Units (schools or municipalities) in the group"),
    "n_pre": ("Observados antes (estudiantes, o unidad-periodos en tasas)",
              "Observed before (students, or unit-periods for rates)"),
    "n_post": ("Observados después", "Observed after"),
    "n_linked": ("Estudiantes vinculados antes y después (los que usa la prueba pareada)",
                 "Students linked before and after (used by the paired test)"),
    "mean_pre": ("Media antes, en la unidad del indicador", "Mean before, in the indicator's unit"),
    "mean_post": ("Media después", "Mean after"),
    "diff": ("Diferencia después − antes (media de diferencias por estudiante si están vinculados)",
             "Difference after − before (mean of within-student differences when linked)"),
    "diff_ci_low": ("Límite inferior del intervalo de confianza de la diferencia", "Difference: lower CI bound"),
    "diff_ci_high": ("Límite superior del intervalo de confianza de la diferencia", "Difference: upper CI bound"),
    "diff_se": ("Error estándar de la diferencia del que salen el intervalo y el valor p: "
                "diff_ci_low = diff − t·diff_se (t: cuantil 0,975 de la t con df grados de libertad, al 95 %), "
                "p = 2·(1 − T_df(|diff/diff_se|)); agrupado por escuela "
                "(CR1) en filas de estudiantes; vacío donde no hay p ni intervalo",
                "Standard error of the difference the interval and p-value come from: diff_ci_low = "
                "diff − t·diff_se (t: the 0.975 quantile of t with df degrees of freedom, at 95%), "
                "p = 2·(1 − T_df(|diff/diff_se|)); school-clustered (CR1) in rows of "
                "students; empty where there is no p or interval"),
    "df": ("Grados de libertad de la t usada: escuelas − 1 (paired_t: escuelas con estudiantes vinculados; "
           "welch_t: escuelas de ambas ventanas), unidades − 1 (paired_t_units), Welch–Satterthwaite "
           "(welch_t_units); vacío con newcombe (sin t) y donde no hay p ni intervalo",
           "Degrees of freedom of the t used: schools − 1 (paired_t: schools with linked students; welch_t: "
           "schools of both windows), units − 1 (paired_t_units), Welch–Satterthwaite (welch_t_units); empty "
           "for newcombe (no t) and where there is no p or interval"),
    "design_effect": ("Efecto de diseño 1 + (m − 1)ρ", "Design effect 1 + (m − 1)ρ"),
}
METHODS = {
    "es": "**prepost**: estudiantes vinculados por `student_key` → t sobre las diferencias por estudiante "
          "con error estándar agrupado por escuela (CR1, G − 1 gl); cohortes no vinculadas → diferencia de "
          "medias, también agrupada por escuela; tasas agregadas por unidad → t pareada sobre "
          "unidades presentes en ambas ventanas (si no, Welch). g de Hedges con la DE combinada de las "
          "dos ondas; varianza inflada por el efecto de diseño 1 + (m − 1)ρ, ρ estimada de los datos. "
          "Con 3 escuelas o menos en una fila de estudiantes: sin p-valor ni intervalo, solo la diferencia.",
    "en": "**prepost**: students linked by `student_key` → t over within-student differences with a "
          "school-clustered standard error (CR1, G − 1 df); unlinked cohorts → difference of means, "
          "school-clustered as well; aggregate unit rates → paired t over units present in both windows "
          "(else Welch). Hedges' g with the SD pooled over the two waves; variance inflated by the design "
          "effect 1 + (m − 1)ρ, ρ estimated from the data. With 3 or fewer schools in a row of student data: "
          "no p-value or interval, the difference only.",
}
# the difference and its t inference, as paired_from_stats / welch_from_stats give them (their ``se``: diff_se);
# diff_se and df are the very numbers p and the interval were computed from, NaN wherever those are
T_COLUMNS = ("diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value")
STATS_NAME = {"diff_se": "se"}
SUMMARY_COLUMNS = ("effect_size", "effect_size_kind", "es_ci_low", "es_ci_high", "months_progress", "mean_pre",
                   "mean_post", "diff", "diff_ci_low", "diff_ci_high", "diff_se", "df", "p_value", "q_value",
                   "n_units", "n_pre", "n_post", "n_linked", "reliability", "evidence", "evidence_reasons", "flags",
                   "pre_window", "post_window")


def check_grouping(by: list[str]) -> None:
    """Every grouping is allowed (by school gives one row per school)."""


def run(con: duckdb.DuckDBPyConnection, req: Request, **options) -> pd.DataFrame:
    """Pre/post results, one row per programme x group, finished (flags, badge, reliability, suppression)."""
    base, params, names = observations_sql(req)
    gcols = group_cols(names)
    kcols = ["program", "country", *gcols]
    kl = ", ".join(kcols)
    if req.student_level:
        frame = _prepost_students(con, req, base, params, kcols, kl)
    else:
        frame = _prepost_units(con, req, base, params, kcols, kl)
    if frame.empty:
        raise CompareError(empty_reason(con, req))
    frame = rename_groups(frame, names)
    frame["pre_window"] = req.pre.label() if req.pre else ("waves" if req.uses_waves else "before start_year")
    frame["post_window"] = req.post.label() if req.post else ("waves" if req.uses_waves else "from start_year")
    frame = finish(_finish_inputs(frame, req), req, result_keys(req), EVIDENCE)
    for side in ("pre_years", "post_years"):  # DuckDB's lists arrive as arrays: lists on every route
        frame[side] = [v.tolist() if isinstance(v, np.ndarray) else v for v in frame[side]]
    return frame[[*result_keys(req), *COLUMNS, "pre_years", "post_years"]].reset_index(drop=True)


def counts(con: duckdb.DuckDBPyConnection, req: Request) -> pd.DataFrame:
    """The rows of :func:`run` before suppression with only what disclosure control reads (keys, students
    before, after and linked, the test that says whether the linked cell is shown), in the same order:
    no test, interval or ICC is computed (analysis/compare/linked.py protects coarser views from their
    counts alone). Student data only (the only data suppressed)."""
    base, params, names = observations_sql(req)
    kcols = ["program", "country", *group_cols(names)]
    frame = _student_schools(con, req, base, params, kcols, ", ".join(kcols))
    if not frame.empty and "year_max" in frame:  # else empty, or the list-based route's finished rows
        # the students of each group: the sums of its schools' counts, as _combine_school_stats pools them
        codes = frame.groupby(kcols, dropna=False, sort=False).ngroup().to_numpy()
        first = ~pd.Series(codes).duplicated().to_numpy()
        groups = frame.loc[first, kcols].reset_index(drop=True)
        for c in ("n_pre", "n_post", "n_linked"):
            n = frame[c].to_numpy(dtype=float, na_value=np.nan)
            groups[c] = np.bincount(codes, weights=np.where(n > 0, n, 0.0), minlength=int(first.sum()))
        frame = groups
        frame["test"] = ("newcombe" if req.kind == "binary" else
                         np.where((frame["n_linked"] >= 2).to_numpy(), "paired_t", "welch_t"))
    if frame.empty:
        raise CompareError(empty_reason(con, req))
    return rename_groups(frame, names)[[*result_keys(req), "n_pre", "n_post", "n_linked", "test"]].assign(
        reliability="ok")


def _finish_inputs(frame: pd.DataFrame, req: Request) -> pd.DataFrame:
    """The columns finish() reads: the WWC attrition rating (single arm: overall attrition only), the
    students the estimate rests on (the linked ones; unlinked cohorts: the smaller window) and the
    smallest count shown (everybody at pre, at post, and the linked students a paired test uses)."""
    welch = (frame["test"] == "welch_t").to_numpy(dtype=bool)
    n_pre = frame["n_pre"].astype(float)
    n_post = frame["n_post"].astype(float)
    linked = frame["n_linked"].astype(float)
    if req.student_level:
        attrition = pd.to_numeric(frame["attrition"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        rating = np.where(np.isnan(attrition), None, np.where(attrition * 100 <= 20, "low", "high"))
    else:
        rating = np.full(len(frame), "not_applicable", dtype=object)
    return frame.assign(
        attrition_rating=rating,
        n_students=np.where(welch, np.minimum(n_pre.to_numpy(), n_post.to_numpy()), linked.to_numpy()),
        min_cell_students=pd.concat([n_pre, n_post, linked.where(~welch)], axis=1).min(axis=1))


# Sufficient statistics of one group over per-student (or per-unit) window values v_pre / v_post:
# everybody observed in each window, and the linked ones (present in both) for the paired test.
_LINKED = "v_pre IS NOT NULL AND v_post IS NOT NULL"
WINDOW_STATS_SQL = f"""count(*) FILTER (WHERE {_LINKED}) AS n_linked,
               avg(v_pre) AS mean_pre, avg(v_post) AS mean_post,
               stddev_samp(v_pre) AS sd_pre, stddev_samp(v_post) AS sd_post,
               avg(v_pre) FILTER (WHERE {_LINKED}) AS lmean_pre, avg(v_post) FILTER (WHERE {_LINKED}) AS lmean_post,
               stddev_samp(v_pre) FILTER (WHERE {_LINKED}) AS lsd_pre,
               stddev_samp(v_post) FILTER (WHERE {_LINKED}) AS lsd_post,
               avg(v_post - v_pre) AS mean_diff, stddev_samp(v_post - v_pre) AS sd_diff,
               corr(v_pre, v_post) AS r,"""


def _prepost_students(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """Linked students: mean within-student difference, school-clustered SE (CR1); design effect in g.

    One pass over the rows: DuckDB pairs each student's pre and post values and reduces them to
    sufficient statistics per group and school (counts, means, centred sums of squares and
    cross-products, a bit mask of the years tested); numpy pools the schools of each group (Chan,
    Golub & LeVeque's pairwise update, numerically stable) and computes every group's ICC at once.
    Years travel as a 64-bit mask of ``year % 64``; student data whose years span 64 years or more
    take the exact list-based route instead.
    """
    pooled = _student_groups(con, req, base, params, keys, kl)
    if isinstance(pooled, pd.DataFrame):
        return pooled
    return _prepost_students_result(*pooled, req, keys)


def _student_groups(con, req: Request, base: str, params: list, keys: list[str],
                    kl: str) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Per-group and per-school sufficient statistics of the one-pass route; a finished frame instead when
    there are none (empty) or the years span 64 or more (the list-based route)."""
    per_school = _student_schools(con, req, base, params, keys, kl)
    if per_school.empty or "year_max" not in per_school:
        return per_school
    return _combine_school_stats(per_school, keys)


def _student_schools(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """Per group and school sufficient statistics of the one-pass route (sorted by the keys); the finished
    rows of the list-based route instead when the years span 64 or more (no ``year_max`` column then)."""
    student_first = _student_first_sql(req, keys, kl)
    sql, sql_params = student_first if student_first else (_student_school_stats_sql(base, keys, kl), params)
    per_school = fetch(con, sql, sql_params)
    if per_school.empty:
        return per_school
    span = (per_school["year_max"] - per_school["year_min"]).max()
    if pd.notna(span) and span >= 64:  # NA: no student row has a year (waves only)
        return _prepost_students_lists(con, req, base, params, keys, kl)
    return per_school


def _student_first_sql(req: Request, keys: list[str], kl: str) -> tuple[str, list] | None:
    """The per-school statistics of _student_school_stats_sql, grouping the observations before any join.

    Students are paired and reduced to per-school moments straight from ``observations``; the unit
    table (tens of thousands of rows) is joined to those per-school rows afterwards, instead of joining
    every observation row first (at 10 M rows: 6.3 s of DuckDB CPU time instead of 11.1 s; the
    hand-written pairing query takes 4.5 s). With the default wave windows and current derived tables
    (analysis.db.sufficient) the per-school moments are read precomputed instead. Applies when every group
    field and the period depend on the unit or the observation's own year/wave only; otherwise None
    (the joined route).
    """
    groups = unit_groups_sql(req, "per.unit_id")
    if groups is None or (req.pre is None and not req.uses_waves) or not req.student_level:
        return None
    program_filter = "WHERE up.program = ?" if req.program is not None else ""
    if req.derived and req.pre is None:
        per = f"SELECT * EXCLUDE (indicator, level) FROM {sufficient.MOMENTS_TABLE} WHERE indicator = ? AND level = ?"
        params: list = []
    else:
        period, params = period_sql(req.pre, req.post, req.uses_waves)
        per = f"""WITH b AS (SELECT o.unit_id, o.student_key, o.year, o.value, {period} AS period
                  FROM observations o WHERE o.indicator = ? AND o.level = ?),
            s AS (SELECT unit_id, student_key, {sufficient.STUDENT_VALUES_SQL}
                  FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)
            SELECT unit_id, {sufficient.SCHOOL_MOMENTS_SQL} FROM s GROUP BY unit_id"""
    sql = f"""WITH {UNIT_PROGRAM_CTE}, per AS ({per})
        SELECT up.program, u.country{''.join(', ' + g for g in groups)}, per.*
        FROM per JOIN units u ON u.unit_id = per.unit_id JOIN up ON up.unit_id = per.unit_id
        {program_filter} ORDER BY {kl}, per.unit_id"""
    return sql, [*params, req.indicator, req.level, *([req.program] if req.program is not None else [])]


def _student_school_stats_sql(base: str, keys: list[str], kl: str) -> str:
    """Per group and school: moments of v_pre, v_post (everybody and linked) and of the linked differences."""
    group_any = ", ".join(f"any_value({k}) AS {k}" for k in keys)
    return f"""WITH b AS ({base}), s AS (
        SELECT unit_id, student_key, {group_any}, {sufficient.STUDENT_VALUES_SQL}
        FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)
        SELECT {kl}, unit_id, {sufficient.SCHOOL_MOMENTS_SQL}
        FROM s GROUP BY {kl}, unit_id ORDER BY {kl}, unit_id"""


def _pool(codes: np.ndarray, k: int, n: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pool per-school (n, mean, centred sum of squares) into per-group (n, mean, centred sum of squares).

    M2 = sum M2_j + sum n_j (mean_j - mean)^2 (Chan, Golub & LeVeque 1979): no cancellation, unlike
    sums of squares. Schools with n_j = 0 contribute nothing; a group with n = 0 has a NaN mean.
    """
    w = np.where(n > 0, n, 0.0)
    total = np.bincount(codes, weights=w, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        gmean = np.bincount(codes, weights=w * np.nan_to_num(mean), minlength=k) / total
    dev = np.where(w > 0, np.nan_to_num(mean) - np.nan_to_num(gmean)[codes], 0.0)
    gm2 = np.bincount(codes, weights=np.where(w > 0, np.nan_to_num(m2), 0.0) + w * dev**2, minlength=k)
    return total, np.where(total > 0, gmean, np.nan), gm2, dev


def _combine_school_stats(per_school: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-group sufficient statistics (those of WINDOW_STATS_SQL) pooled from the per-school ones."""
    codes = per_school.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    first = ~pd.Series(codes).duplicated().to_numpy()
    k = int(first.sum())
    # rows arrive sorted by the keys, so group codes follow that order

    def col(name: str) -> np.ndarray:
        return per_school[name].to_numpy(dtype=float, na_value=np.nan)

    def sd(m2: np.ndarray, n: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n >= 2, np.sqrt(np.clip(m2, 0.0, None) / (n - 1.0)), np.nan)

    n_pre, n_post, n_l = col("n_pre"), col("n_post"), col("n_linked")
    tot_pre, mean_pre, m2_pre, _ = _pool(codes, k, n_pre, col("mean_pre"), col("var_pre") * n_pre)
    tot_post, mean_post, m2_post, _ = _pool(codes, k, n_post, col("mean_post"), col("var_post") * n_post)
    tot_l, lmean_pre, lm2_pre, dev_pre = _pool(codes, k, n_l, col("lmean_pre"), col("lvar_pre") * n_l)
    _, lmean_post, lm2_post, dev_post = _pool(codes, k, n_l, col("lmean_post"), col("lvar_post") * n_l)
    _, mean_diff, dm2, _ = _pool(codes, k, n_l, col("mean_j"), col("dvar") * n_l)
    # cross-products of the linked pairs: C = sum C_j + sum n_j (pre_j - pre)(post_j - post)
    w = np.where(n_l > 0, n_l, 0.0)
    cross = np.bincount(codes, weights=np.where(w > 0, np.nan_to_num(col("lcov")) * w, 0.0) + w * dev_pre * dev_post,
                        minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(tot_l >= 2, cross / np.sqrt(lm2_pre * lm2_post), np.nan)
    groups = per_school.loc[first, keys].reset_index(drop=True)
    groups["n_units"] = np.bincount(codes, minlength=k)
    groups["n_pre"], groups["n_post"], groups["n_linked"] = tot_pre, tot_post, tot_l
    groups["mean_pre"], groups["mean_post"] = mean_pre, mean_post
    groups["sd_pre"], groups["sd_post"] = sd(m2_pre, tot_pre), sd(m2_post, tot_post)
    groups["lmean_pre"], groups["lmean_post"] = lmean_pre, lmean_post
    groups["lsd_pre"], groups["lsd_post"] = sd(lm2_pre, tot_l), sd(lm2_post, tot_l)
    groups["mean_diff"], groups["sd_diff"], groups["r"] = mean_diff, sd(dm2, tot_l), r
    # years: union of the school masks; composition: students tested per year, summed over schools
    year_min = np.full(k, np.inf)
    np.minimum.at(year_min, codes, np.nan_to_num(col("year_min"), nan=np.inf))
    for side in ("pre", "post"):
        mask = per_school[f"mask_{side}"].to_numpy(dtype=float, na_value=0).astype(np.uint64) \
            if per_school[f"mask_{side}"].dtype.kind == "f" else \
            per_school[f"mask_{side}"].fillna(0).to_numpy(dtype=np.uint64)
        group_mask = np.zeros(k, dtype=np.uint64)
        np.bitwise_or.at(group_mask, codes, mask)
        years_in_school = _popcount(mask)
        with np.errstate(divide="ignore", invalid="ignore"):
            tested = np.where(years_in_school > 0, col(f"student_years_{side}") / years_in_school, np.nan)
        has = np.bincount(codes, weights=(~np.isnan(tested)).astype(float), minlength=k) > 0
        per_year = np.where(has, np.bincount(codes, weights=np.nan_to_num(tested), minlength=k), np.nan)
        groups[f"students_{side}"] = np.where(np.isnan(per_year), groups[f"n_{side}"], per_year)
        groups[f"{side}_years"] = _decode_years(group_mask, year_min)
    clusters = pd.DataFrame({"code": codes, "n_j": n_l, "mean_j": col("mean_j"),
                             "var_j": np.where(n_l >= 2, col("dvar") * n_l / np.maximum(n_l - 1.0, 1.0), np.nan),
                             "n_pre_j": n_pre, "mean_pre_j": col("mean_pre"),
                             "n_post_j": n_post, "mean_post_j": col("mean_post")})
    return groups, clusters


def _popcount(mask: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint64."""
    return np.unpackbits(np.ascontiguousarray(mask, dtype="<u8").view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def _decode_years(masks: np.ndarray, year_min: np.ndarray) -> list[list[int]]:
    """Years from a mask of ``year % 64`` bits and the smallest year observed (span under 64 years)."""
    decoded: dict[tuple[int, float], list[int]] = {}
    out = []
    for mask, low in zip(masks.tolist(), year_min.tolist(), strict=True):
        if (mask, low) not in decoded:
            start = int(low) if mask and np.isfinite(low) else 0
            decoded[(mask, low)] = [y for y in range(start, start + 64) if mask >> (y % 64) & 1] if mask else []
        out.append(decoded[(mask, low)])
    return out


def _prepost_students_result(groups: pd.DataFrame, clusters: pd.DataFrame, req: Request,
                             keys: list[str]) -> pd.DataFrame:
    """Tests, intervals and effect sizes from per-group statistics (and per-school ones for the ICC)."""
    used = clusters[clusters["n_j"] > 0]
    icc_vals, deffs = stats.icc_design_effect_by_group(
        used["code"].to_numpy(), len(groups), used["n_j"].to_numpy(dtype=float),
        used["mean_j"].to_numpy(dtype=float), used["var_j"].to_numpy(dtype=float))
    groups["icc"], groups["design_effect"] = icc_vals, deffs
    # 3 or fewer schools: a test over the students would ignore that they come from so few schools, and no
    # cluster-robust one is reliable; the difference stands, without p or interval (METHODS.md, Designs 1).
    # A paired test counts the schools with linked students (those its differences come from).
    schools = groups["n_units"].to_numpy(dtype=float)
    if req.kind == "binary":
        return _binary_prepost(groups, schools)
    paired_rows = (groups["n_linked"] >= 2).to_numpy()
    linked_schools = np.bincount(used["code"].to_numpy(dtype=np.int64), minlength=len(groups)).astype(float)
    schools = np.where(paired_rows, linked_schools, schools)
    # the difference's standard error is cluster-robust by school (CR1, t on G − 1 df; METHODS.md, Designs 1):
    # growth is clustered within schools, so the students are not independent
    paired_se, _ = stats.cr1_mean_se_by_group(used["code"].to_numpy(), len(groups), used["n_j"].to_numpy(dtype=float),
                                              used["mean_j"].to_numpy(dtype=float))
    res = stats.paired_from_stats(groups["n_linked"], groups["mean_diff"], groups["sd_diff"], groups["lmean_pre"],
                                  groups["lsd_pre"], groups["lmean_post"], groups["lsd_post"], groups["r"],
                                  deff=groups["design_effect"], n_clusters=schools, cluster_se=paired_se,
                                  level=req.conf_level)
    # unlinked cohorts (no student observed in both windows): two means, the schools of both windows as clusters
    welch_se, welch_schools = stats.cr1_diff_se_by_group(
        clusters["code"].to_numpy(), len(groups), *(clusters[c].to_numpy(dtype=float) for c in
                                                    ("n_post_j", "mean_post_j", "n_pre_j", "mean_pre_j")))
    schools = np.where(paired_rows, schools, welch_schools)
    welch = stats.welch_from_stats(groups["n_post"], groups["mean_post"], groups["sd_post"], groups["n_pre"],
                                   groups["mean_pre"], groups["sd_pre"], deff=groups["design_effect"],
                                   n_clusters=schools, cluster_se=welch_se, level=req.conf_level)
    out = groups[[*keys, "n_units", "n_pre", "n_post", "n_linked", "mean_pre", "mean_post", "icc", "design_effect",
                  "pre_years", "post_years", "students_pre", "students_post"]].copy()
    for c in ("test", *T_COLUMNS, "effect_size", "es_ci_low", "es_ci_high"):
        src = STATS_NAME.get(c, c)
        out[c] = np.where(paired_rows, res[src].to_numpy(), welch[src].to_numpy())
    out["effect_size_kind"] = "hedges_g"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attrition"] = np.where(paired_rows & (out["n_pre"] > 0), 1 - out["n_linked"] / out["n_pre"], np.nan)
    out["design"] = NAME
    out["note_inference"] = _few_schools(out, schools, _no_spread(out))
    # no spread of the differences: g stands as a description, its interval (which assumes one) does not
    out.loc[out["note_inference"].notna(), ["es_ci_low", "es_ci_high"]] = np.nan
    return out


def _few_schools(out: pd.DataFrame, schools: np.ndarray, other: np.ndarray) -> np.ndarray:
    """'inference_not_reliable' where a difference stands on 3 or fewer schools (stats.few_clusters: no p, no
    interval), as the DiD's rows; elsewhere the other note. The badge says 'too_few_clusters' (compare/finish.py)."""
    few = stats.few_clusters(schools, (len(out),)) & np.isfinite(out["diff"].to_numpy(dtype=float))
    return np.where(few, "inference_not_reliable", other)


def _prepost_students_lists(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """The exact list-based computation (two passes over the students): used when years span 64 or
    more, and by the tests as the reference for the one-pass computation."""
    group_any = ", ".join(f"any_value({k}) AS {k}" for k in keys)
    per_student = f"""WITH b AS ({base}), s AS (
        SELECT unit_id, student_key, {group_any},
               avg(value) FILTER (WHERE period = 'pre') AS v_pre, avg(value) FILTER (WHERE period = 'post') AS v_post,
               list_distinct(list(year) FILTER (WHERE period = 'pre')) AS y_pre,
               list_distinct(list(year) FILTER (WHERE period = 'post')) AS y_post
        FROM b WHERE period IS NOT NULL GROUP BY unit_id, student_key)"""
    groups = fetch(con, f"""{per_student}
        SELECT {kl}, count(DISTINCT unit_id) AS n_units, count(v_pre) AS n_pre, count(v_post) AS n_post,
               {WINDOW_STATS_SQL}
               list_sort(list_distinct(flatten(list(y_pre)))) AS pre_years,
               list_sort(list_distinct(flatten(list(y_post)))) AS post_years
        FROM s GROUP BY {kl} ORDER BY {kl}""", params)
    if groups.empty:
        return groups
    # per school: linked differences (ICC) and students tested per year of each window (composition)
    clusters = fetch(con, f"""{per_student}
        SELECT {kl}, unit_id, count(*) FILTER (WHERE {_LINKED}) AS n_j, avg(v_post - v_pre) AS mean_j,
               var_samp(v_post - v_pre) AS var_j, count(v_pre) AS n_pre_j, avg(v_pre) AS mean_pre_j,
               count(v_post) AS n_post_j, avg(v_post) AS mean_post_j,
               sum(len(y_pre)) / nullif(len(list_distinct(flatten(list(y_pre)))), 0) AS tested_pre,
               sum(len(y_post)) / nullif(len(list_distinct(flatten(list(y_post)))), 0) AS tested_post
        FROM s GROUP BY {kl}, unit_id""", params)
    tested = clusters.groupby(keys, dropna=False, sort=False)[["tested_pre", "tested_post"]].sum(min_count=1)
    tested = {k if isinstance(k, tuple) else (k,): v for k, v in zip(tested.index, tested.to_numpy(), strict=True)}
    per_year = np.array([tested.get(tuple(r), (np.nan, np.nan)) for r in groups[keys].itertuples(index=False,
                                                                                                 name=None)])
    groups["students_pre"] = np.where(np.isnan(per_year[:, 0]), groups["n_pre"], per_year[:, 0])
    groups["students_post"] = np.where(np.isnan(per_year[:, 1]), groups["n_post"], per_year[:, 1])
    position = {tuple(r): i for i, r in enumerate(groups[keys].itertuples(index=False, name=None))}
    codes = [position[tuple(r)] for r in clusters[keys].itertuples(index=False, name=None)]
    return _prepost_students_result(groups, clusters.assign(code=codes), req, keys)


def _no_spread(out: pd.DataFrame) -> np.ndarray:
    """'no_variation' where a difference has no p-value (the t test's standard error is zero: every student or
    unit changed alike); the flag and the 'insufficient' badge follow (compare/finish.py)."""
    diff, p = out["diff"].to_numpy(dtype=float), out["p_value"].to_numpy(dtype=float)
    return np.where(np.isfinite(diff) & np.isnan(p), "no_variation", None)


def _binary_prepost(groups: pd.DataFrame, schools: np.ndarray) -> pd.DataFrame:
    """Binary outcomes: proportions per window, difference in points (Newcombe), Cox index (independent);
    no interval on 3 or fewer schools (the Newcombe and Cox intervals treat the students as independent)."""
    out = groups.copy()
    k_pre = (out["mean_pre"] * out["n_pre"]).round()
    k_post = (out["mean_post"] * out["n_post"]).round()
    diff = stats.proportion_diff(k_post, out["n_post"], k_pre, out["n_pre"])
    cox = stats.cox_index(k_post, out["n_post"], k_pre, out["n_pre"])
    out["test"] = "newcombe"
    out["diff"] = diff["diff_pp"].to_numpy()
    out["diff_ci_low"], out["diff_ci_high"] = diff["diff_ci_low"].to_numpy(), diff["diff_ci_high"].to_numpy()
    out["p_value"] = np.nan
    out["diff_se"], out["df"] = np.nan, np.nan  # Newcombe's score interval: no standard error, no t
    out["effect_size"] = cox["cox_index"].to_numpy()
    out["es_ci_low"], out["es_ci_high"] = cox["cox_ci_low"].to_numpy(), cox["cox_ci_high"].to_numpy()
    out["effect_size_kind"] = "cox"
    out["attrition"] = np.nan
    out["design"] = NAME
    out["note_inference"] = _few_schools(out, schools, np.full(len(out), None, dtype=object))
    out.loc[out["note_inference"].notna(), ["diff_ci_low", "diff_ci_high", "es_ci_low", "es_ci_high"]] = np.nan
    return out


def _prepost_units(con, req: Request, base: str, params: list, keys: list[str], kl: str) -> pd.DataFrame:
    """Aggregate rates per unit: each unit-window mean is one observation (METHODS.md, Designs 1)."""
    def mean_in(period: str) -> str:
        if req.weighted:
            return (f"sum(value * coalesce(n, 0)) FILTER (WHERE period = '{period}') / "
                    f"nullif(sum(coalesce(n, 0)) FILTER (WHERE period = '{period}'), 0)")
        return f"avg(value) FILTER (WHERE period = '{period}')"

    per_unit = f"""WITH b AS ({base}), s AS (
        SELECT unit_id, {kl},
               {mean_in('pre')} AS v_pre, {mean_in('post')} AS v_post,
               list_distinct(list(year) FILTER (WHERE period = 'pre')) AS y_pre,
               list_distinct(list(year) FILTER (WHERE period = 'post')) AS y_post,
               sum(n) FILTER (WHERE period = 'pre')
                 / nullif(count(DISTINCT year) FILTER (WHERE period = 'pre' AND n IS NOT NULL), 0) AS n_pre_students,
               sum(n) FILTER (WHERE period = 'post')
                 / nullif(count(DISTINCT year) FILTER (WHERE period = 'post' AND n IS NOT NULL), 0) AS n_post_students
        FROM b WHERE period IS NOT NULL GROUP BY unit_id, {kl})"""
    groups = fetch(con, f"""{per_unit}
        SELECT {kl}, count(*) AS n_units, count(v_pre) AS n_pre, count(v_post) AS n_post,
               {WINDOW_STATS_SQL}
               sum(n_pre_students) AS students_pre, sum(n_post_students) AS students_post,
               list_sort(list_distinct(flatten(list(y_pre)))) AS pre_years,
               list_sort(list_distinct(flatten(list(y_post)))) AS post_years
        FROM s GROUP BY {kl} ORDER BY {kl}""", params)
    if groups.empty:
        return groups
    paired_rows = groups["n_linked"] >= 2
    paired = stats.paired_from_stats(groups["n_linked"], groups["mean_diff"], groups["sd_diff"], groups["lmean_pre"],
                                     groups["lsd_pre"], groups["lmean_post"], groups["lsd_post"], groups["r"],
                                     level=req.conf_level)
    welch = stats.welch_from_stats(groups["n_post"], groups["mean_post"], groups["sd_post"], groups["n_pre"],
                                   groups["mean_pre"], groups["sd_pre"], level=req.conf_level)
    out = groups[[*keys, "n_units", "n_pre", "n_post", "n_linked", "mean_pre", "mean_post", "students_pre",
                  "students_post", "pre_years", "post_years"]].copy()
    for c in T_COLUMNS:
        out[c] = np.where(paired_rows, paired[STATS_NAME.get(c, c)], welch[STATS_NAME.get(c, c)])
    out["test"] = np.where(paired_rows, "paired_t_units", "welch_t_units")
    if req.kind == "rate":
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["diff"], out["diff_ci_low"], out["diff_ci_high"]
        out["effect_size_kind"] = "pp"
    else:  # unit means of scores: no student-level SD, so no standardised effect
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["diff"], out["diff_ci_low"], out["diff_ci_high"]
        out["effect_size_kind"] = "points"
    out["icc"], out["design_effect"], out["attrition"] = np.nan, np.nan, np.nan
    out["design"] = NAME
    out["note_inference"] = _no_spread(out)
    # no spread of the differences: g stands as a description, its interval (which assumes one) does not
    out.loc[out["note_inference"].notna(), ["es_ci_low", "es_ci_high"]] = np.nan
    return out


