"""Design ``did``: difference-in-differences against comparison schools of the same country and years
(METHODS.md, Designs 2).

y = a + b·treated + c·post + d·treated·post on unit-period means, d the estimate; standard errors
clustered on the unit with a wild cluster bootstrap when clusters are few; pre-trends, baseline
equivalence and attrition checks; staggered adoption compared one start-year cohort at a time. The schools of
a randomised trial (a randomisation block, ``rct.STRATUM``, from an import that assigned schools to a programme)
are left out: the ``rct`` design analyses them, and pooling them with observational cohorts mixes schools whose
windows are other years (the row's note says how many were left out).
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from analysis import fields, stats
from analysis.compare.finish import finish
from analysis.compare.rct import STRATUM
from analysis.compare.request import UNIT_PROGRAM_CTE, CompareError, Evidence, Request, Window, remembered, sufficient
from analysis.compare.sql import (
    empty_reason,
    fetch,
    group_cols,
    observations_sql,
    rename_groups,
    result_keys,
    unit_groups_sql,
)

NAME = "did"
LABEL = ("diferencias en diferencias con escuelas de comparación",
         "difference-in-differences against comparison schools")
OPTIONS = ("icc",)  # the ICC of the WWC clustering correction (default per indicator domain)
COMPARISON = True  # the comparison units are read beside the programme's
SELECTOR_RANK = 0  # the pages list designs with a comparison group first
EVIDENCE = Evidence(design=NAME, treated="n_treated", comparison="n_comparison", estimate="estimate",
                    baseline="baseline_equivalence", pretrends="pretrend_significant")
KEY_COLUMNS = ("start_year_cohort",)  # only when adoption is staggered
COLUMNS = (
    "design", "estimate", "se", "ci_low", "ci_high", "p_value", "q_value", "wild_p_value", "n_clusters",
    "n_treated", "n_comparison", "mean_treated_pre", "mean_treated_post", "mean_comparison_pre",
    "mean_comparison_post", "inference_reliable", "effect_size", "effect_size_kind", "es_ci_low", "es_ci_high",
    "improvement_index", "months_progress", "p_value_naive", "p_value_icc_corrected", "icc", "icc_source",
    "pretrend_diff", "pretrend_ci_low", "pretrend_ci_high", "pretrend_p", "pretrend_significant", "baseline_g",
    "baseline_equivalence", "attrition", "differential_attrition", "attrition_rating", "reliability",
    "suppression_reason", "flags",
    "evidence", "evidence_reasons", "pre_window", "post_window", "note",
)
COLUMN_NOTE = ""
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "start_year_cohort": ("Cohorte por año de inicio (adopción escalonada: cada cohorte por separado)",
                          "Start-year cohort (staggered adoption: each cohort separately)"),
    "estimate": ("Estimación de diferencias en diferencias (unidad del indicador)",
                 "Difference-in-differences estimate (indicator's unit)"),
    "se": ("Error estándar agrupado por unidad", "Standard error clustered on the unit"),
    "wild_p_value": ("Valor p del bootstrap salvaje por conglomerados (pocos conglomerados); "
                     "con 9.999 réplicas al azar, 0,0001 = 1/(B + 1) es su piso: una cota (p de 0,0001 o menos), "
                     "no un valor",
                     "Wild cluster bootstrap p-value (few clusters); "
                     "with 9,999 random draws, 0.0001 = 1/(B + 1) is its floor: a bound (p of 0.0001 or less), "
                     "not a value"),
    "n_clusters": ("Conglomerados (unidades) en total", "Clusters (units) in total"),
    "n_treated": ("Unidades del programa", "Programme units"),
    "n_comparison": ("Unidades de comparación", "Comparison units"),
    "mean_treated_pre": ("Media del programa antes", "Programme mean before"),
    "mean_comparison_pre": ("Media de comparación antes", "Comparison mean before"),
    "inference_reliable": ("Falso con 3 o menos conglomerados de un lado: sin inferencia fiable",
                           "False with 3 or fewer clusters on a side: no reliable inference"),
    "p_value_naive": ("Valor p ingenuo a nivel de estudiante", "Naive student-level p-value"),
    "p_value_icc_corrected": ("Valor p con la corrección por conglomerados de la WWC (ICC)",
                              "p-value with the WWC clustering correction (ICC)"),
    "icc_source": ("Origen del ICC: estimated (estimado en la línea de base), given (dado) o default (valor por "
                   "omisión de METHODS, cuando no se puede estimar)",
                   "Where the ICC comes from: estimated (at baseline), given, or default (the METHODS default, when "
                   "it cannot be estimated)"),
    "pretrend_diff": ("Diferencia de pendientes previas (programa − comparación)",
                      "Difference in pre-period slopes (programme − comparison)"),
    "pretrend_ci_low": ("Límite inferior del IC de la diferencia de pendientes previas",
                        "Pre-trend difference: lower CI bound"),
    "pretrend_ci_high": ("Límite superior del IC de la diferencia de pendientes previas",
                         "Pre-trend difference: upper CI bound"),
    "pretrend_p": ("Valor p de la diferencia de pendientes previas", "p-value of the pre-trend difference"),
    "pretrend_significant": ("Verdadero si las tendencias previas difieren", "True when pre-period trends differ"),
    "note": ("Nota (p. ej., sin unidades de comparación en el país, o cuántas escuelas de un ensayo aleatorizado se "
             "dejaron fuera)",
             "Note (e.g. no comparison units in the country, or how many schools of a randomised trial were left out)"),
}
METHODS = {
    "es": "**did**: y = a + b·programa + c·después + d·programa·después sobre observaciones unidad-periodo; "
          "d es la estimación. Errores estándar agrupados por unidad (CR1, el ajuste cov_type=\"cluster\" de "
          "statsmodels reproducido en numpy), t con G−1 grados de libertad; bootstrap salvaje restringido con "
          "pocos conglomerados; con 3 o menos conglomerados de un lado no se reporta inferencia. Comparación en el "
          "mismo país y los mismos años. "
          "El ICC de la corrección de la WWC se estima en la línea de base (ANOVA de una vía entre escuelas); "
          "donde el bootstrap salvaje es la inferencia, los valores q (Benjamini-Hochberg) se calculan con su "
          "valor p. Un resultado sin variación dentro de las celdas no tiene inferencia. Las escuelas de un ensayo "
          "aleatorizado quedan fuera (las analiza el diseño rct). Tendencias previas: diferencia de pendientes "
          "dentro de cada escuela (efectos fijos de escuela, escuelas con dos o más años previos); sin ellas, no "
          "evaluadas.",
    "en": "**did**: y = a + b·treated + c·post + d·treated·post over unit-period observations; d is the "
          "estimate. Standard errors clustered on the unit (CR1: statsmodels' cov_type=\"cluster\" fit, reproduced "
          "in numpy), t with G−1 "
          "degrees of freedom; restricted wild cluster bootstrap with few clusters; with 3 or fewer clusters on "
          "a side no inference is reported. Comparison units of the same country and calendar years. The ICC "
          "of the WWC correction is estimated at baseline (one-way ANOVA across schools); where the wild "
          "bootstrap is the inference, BH q-values are computed from its p-value. An outcome with no variation "
          "within the cells gets no inference. The schools of a randomised trial are left out (design rct analyses "
          "them). Pre-trends: the difference in slopes within schools (school fixed effects, schools with two or "
          "more pre years); without such schools, not assessed.",
}
NO_COMPARISON = "no comparison units in this country"  # a row's note (analysis/row_notes.py says it in words)
_ALONE = {"design": NAME, "n_comparison": 0, "note": NO_COMPARISON}  # a programme's one row without its cells
# what a row says of an inference: left empty on a programme's rows without comparison schools (they have none)
_INFERENCE_FACTS = frozenset(("inference_reliable", "note_inference", "icc", "icc_source", "design_effect",
                              "p_value_naive", "p_value_icc_corrected"))
# the units of a randomised trial, programme or comparison (as analysis/compare/rct.py recognises them):
# a randomisation block given by an import that assigned schools to a programme
TRIAL_UNITS_SQL = f"""SELECT unit_id FROM unit_attributes WHERE name = '{STRATUM}'
    AND import_id IN (SELECT import_id FROM assignments WHERE program <> 'comparison')"""
SUMMARY_COLUMNS = ("effect_size", "effect_size_kind", "es_ci_low", "es_ci_high", "months_progress", "estimate",
                   "ci_low", "ci_high", "p_value", "q_value", "wild_p_value", "n_treated", "n_comparison",
                   "reliability", "evidence", "evidence_reasons", "flags", "pre_window", "post_window")


def check_grouping(by: list[str]) -> None:
    """A DiD by school has one programme school against the comparison group: refused."""
    if "school" in by:
        raise CompareError("a DiD by school puts one programme school against the comparison group: no reliable "
                           "inference is possible; use design prepost by school, or DiD by lab_type or department")


def run(con: duckdb.DuckDBPyConnection, req: Request, icc: float | None = None) -> pd.DataFrame:
    """DiD results, one row per programme x country (x start-year cohort) x group, finished."""
    frame = _rows(con, req, lambda part: _did_stats(part, req, icc))
    cohort_keys = [c for c in KEY_COLUMNS if c in frame]
    frame = finish(frame, req, [*result_keys(req), *cohort_keys], EVIDENCE)
    cols = [*result_keys(req), *cohort_keys, *COLUMNS, "pre_years", "post_years"]
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    return frame[cols].reset_index(drop=True)


def counts(con: duckdb.DuckDBPyConnection, req: Request) -> pd.DataFrame:
    """The rows of :func:`run` before suppression with only what disclosure control reads (keys, the four
    student cells, the windows' years), in the same order: no fit, bootstrap or check is run
    (analysis/compare/linked.py protects coarser views from their counts alone)."""
    return _rows(con, req, _did_counts).assign(reliability="ok")


def _rows(con: duckdb.DuckDBPyConnection, req: Request, stats_of) -> pd.DataFrame:
    """One row per programme x country (x start-year cohort) x group: keys, note and ``stats_of(cells)``."""
    programs = fetch(con, f"""SELECT DISTINCT a.program, u.country, a.start_year,
        a.unit_id IN ({TRIAL_UNITS_SQL}) AS trial FROM assignments a
        JOIN units u USING (unit_id) WHERE a.program <> 'comparison'""", [])
    if req.program is not None:
        programs = programs[programs["program"] == req.program]
    if programs.empty:
        raise CompareError("no programme units in the roster: import a roster with programme and comparison units")
    comparison_countries = set(fetch(con, """SELECT DISTINCT u.country FROM assignments a JOIN units u USING (unit_id)
        WHERE a.program = 'comparison'""", [])["country"])
    trial = _trial_counts(con, req) if programs["trial"].any() else None
    # windows shared by every programme (given, or waves): one scan of the observations for all of them
    shared = _did_cells(con, req, None, None, None) if (req.pre is not None or req.uses_waves) else None
    rows = []
    for (prog, country), everyone in programs.groupby(["program", "country"], sort=True):
        left_out = _trial_note(trial, prog, country)
        part = everyone[~everyone["trial"].astype(bool)]
        starts = sorted({int(s) for s in part["start_year"].dropna()})
        # no comparison school in the country: the programme's own cells give one row per group, its schools
        # counted and no estimate; with nothing to count them from (trial schools only, no start year), one row
        alone = country not in comparison_countries
        if alone and (part.empty or not (starts or req.pre is not None or req.uses_waves)):
            rows.append(dict(_ALONE, program=prog, country=country))
            continue
        if alone:
            left_out = "; ".join(n for n in (NO_COMPARISON, left_out) if n)
        if part.empty:  # only trial schools: the rct design answers, an observational DiD has no one to compare
            rows.append({"program": prog, "country": country, "design": NAME,
                         "note": "every programme school is in a randomised trial, so no observational DiD: "
                                 + left_out})
            continue
        if req.pre is not None or req.uses_waves or len(starts) <= 1:
            cohorts = [None]
        else:
            cohorts = starts  # staggered adoption: each start-year cohort separately
        got = [r for cohort in cohorts
               for r in _did_one(con, req, prog, country, cohort, starts, stats_of, shared, left_out)]
        if alone:  # no inference to qualify (reliable, ICC assumed): none is made without comparison schools
            got = [{**r, **dict.fromkeys(_INFERENCE_FACTS & r.keys())} for r in got] or [
                dict(_ALONE, program=prog, country=country)]
        rows.extend(got)
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise CompareError(empty_reason(con, req))
    return frame


def _trial_counts(con, req: Request) -> pd.DataFrame:
    """Trial schools (the units of :data:`TRIAL_UNITS_SQL`) with data of the indicator at the level, by
    assignment (a programme or ``comparison``) and country."""
    return fetch(con, f"""SELECT a.program, u.country, count(DISTINCT a.unit_id) AS n FROM assignments a
        JOIN units u USING (unit_id) WHERE a.unit_id IN ({TRIAL_UNITS_SQL})
        AND a.unit_id IN (SELECT unit_id FROM observations WHERE indicator = ? AND level = ?)
        GROUP BY a.program, u.country""", [req.indicator, req.level])


def _trial_note(trial: pd.DataFrame | None, prog: str, country: str) -> str:
    """How many trial schools with data a programme's DiD in a country leaves out (its own and the comparison
    schools of any trial there; analysis/row_notes.py says it in words), or "" when there are none."""
    def n(program: str) -> int:
        if trial is None:
            return 0
        hit = trial.loc[(trial["program"] == program) & (trial["country"] == country), "n"]
        return int(hit.sum())

    ours, theirs = n(prog), n("comparison")
    if ours + theirs == 0:
        return ""
    return (f"{ours + theirs} schools of a randomised trial left out ({ours} programme, {theirs} comparison): "
            "the trial design analyses them")


def _did_windows(req: Request, cohort: int | None, starts: list[int]) -> tuple[Window | None, Window | None, str]:
    if req.pre is not None:
        return req.pre, req.post, ""
    if req.uses_waves:
        return None, None, ""
    start = cohort if cohort is not None else (starts[0] if starts else None)
    if start is None:
        raise CompareError("the programme units have no start year: pass --pre and --post windows")
    note = f"windows aligned on start year {start}: pre < {start} <= post"
    if cohort is not None:
        note = f"staggered adoption: start-year cohort {cohort} compared separately; " + note
    return Window("years", (1900, start - 1)), Window("years", (start, 2100)), note


def _did_cells(con, req: Request, prog: str | None, country: str | None, cohort: int | None,
               windows: tuple[Window | None, Window | None] | None = None) -> pd.DataFrame:
    """Unit x year x period cells (mean, weight, variance, distinct students) of one programme and country,
    or, with ``prog`` None, of every unit with its programme and country (windows shared by all).

    ``unit_id`` comes back as integer codes in the sorted order of the unit ids (clusters are only told apart
    and sorted: the same fits and bootstrap draws, without strings in every groupby). Groups that are
    columns of the units (department, zone, ...) are attached per unit to the cells without groups, which
    are the same cells (a unit lies in one of each): so the DiDs of one indicator and windows overall, by
    department and by zone share one query (``req.memo``)."""
    pre_w, post_w = windows if windows else (req.pre, req.post)
    sub = Request(**{**req.__dict__, "pre": pre_w, "post": post_w, "program": prog, "design": NAME})
    columns = _unit_columns(list(req.by), req)
    if columns is None:
        return _coded(_cells_query(con, sub, prog, country, cohort))[0]
    bare, ids = _memoised(req, ("did cells", prog, country, cohort, pre_w, post_w),
                          lambda: _coded(_cells_query(con, replace(sub, by=[], attributes=[]), prog, country,
                                                      cohort)))
    if not columns:
        return bare
    lookup = _memoised(req, ("unit columns", *columns), lambda: fetch(
        con, f"SELECT unit_id, {', '.join(f'{c} AS g{i}' for i, c in enumerate(columns))} FROM units", []))
    at = pd.Index(lookup["unit_id"]).get_indexer(ids)[bare["unit_id"].to_numpy()]
    cells = bare.copy()
    for i in range(len(columns)):
        cells.insert(1 + i, f"g{i}", pd.Series(lookup[f"g{i}"].array.take(at), index=cells.index))
    return cells


def _unit_columns(by: list[str], req: Request) -> list[str] | None:
    """The units' column of every group field when each is one (``u.department`` -> department), else None."""
    sqls = [fields.GROUP_FIELDS[f] if f not in req.attributes else "" for f in by]
    if not all(s.startswith("u.") for s in sqls):
        return None
    return [s[2:] for s in sqls]


def _memoised(req: Request, key: tuple, make):
    """``make()``, kept in ``req.memo`` (when the caller gave compare() one) under ``key`` and the indicator's
    identity; see :func:`~analysis.compare.request.remembered`."""
    return remembered(req.memo, (req.indicator, req.level, req.weighted, *key), make)


def _coded(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """``cells`` with ``unit_id`` as integer codes in sorted order, and the unit ids they stand for."""
    codes, ids = pd.factorize(cells["unit_id"], sort=True)
    # the programme and country of every unit, read only to select a programme's cells: categories
    # (a selection on 400,000 strings per programme and call cost more than the fits)
    labels = {c: cells[c].astype("category") for c in ("program", "country") if c in cells}
    return cells.assign(unit_id=codes.astype(np.int64), **labels), ids


def _cells_query(con, sub: Request, prog: str | None, country: str | None, cohort: int | None) -> pd.DataFrame:
    """The cells of :func:`_did_cells` from one query (groups included), unit ids as text."""
    filters, fparams = "", []
    if country is not None:
        filters, fparams = " AND country = ?", [country]
    if cohort is not None:
        filters += " AND (program = 'comparison' OR start_year = ?)"
        fparams.append(cohort)
    filters += f" AND unit_id NOT IN ({TRIAL_UNITS_SQL})"  # the rct design analyses the trial's schools
    shared = "any_value(program) AS program, any_value(country) AS country," if prog is None else ""
    derived_cells = _did_cells_derived_sql(sub)
    if derived_cells is not None:  # one precomputed row per cell (analysis.db.sufficient)
        base, params, gcols = derived_cells
        values = "any_value(mean) AS y, any_value(rows) AS w, any_value(var) AS v, any_value(students) AS students"
    else:
        base, params, names = observations_sql(sub)
        gcols = group_cols(names)
        value = ("sum(value * coalesce(n, 0)) / nullif(sum(coalesce(n, 0)), 0)"
                 if (sub.weighted and not sub.student_level) else "avg(value)")
        weight = "count(*)" if sub.student_level else "sum(n)"
        # the within-cell variance and distinct students only mean something for student rows; for unit
        # rows (one per unit-year) a per-cell distinct count was a third of the query (328,000 cells at 10 M)
        spread = ("var_samp(value) AS v, count(DISTINCT student_key) AS students" if sub.student_level
                  else "CAST(NULL AS DOUBLE) AS v, 0 AS students")
        values = f"{value} AS y, {weight} AS w, {spread}"
    return fetch(con, f"""WITH b AS ({base})
        SELECT unit_id, {', '.join(f'any_value({g}) AS {g}' for g in gcols) + ',' if gcols else ''} {shared}
               (program <> 'comparison')::INTEGER AS treated, (period = 'post')::INTEGER AS post, year, {values}
        FROM b WHERE period IS NOT NULL {filters}
        GROUP BY unit_id, {', '.join(gcols) + ',' if gcols else ''} treated, post, year""", [*params, *fparams])


def _did_cells_derived_sql(req: Request) -> tuple[str, list, list[str]] | None:
    """The rows of a DiD's cells read from ``derived_student_cells`` (one row per unit x year x wave
    period, distinct students counted at write time), or None when the request needs the raw rows.

    Exact when a cell of the request is one derived row: the default wave windows, or year windows on an
    indicator without waves (a cell is then a unit-year). Year windows on wave data would merge a
    unit-year's pre and post waves, whose distinct students cannot be added, so they take the raw route.
    """
    groups = unit_groups_sql(req, "d.unit_id")
    if not req.derived or groups is None:
        return None
    if req.pre is None and req.uses_waves:
        period, pparams = "d.period", []
    elif req.pre is not None and not req.uses_waves and req.pre.kind == req.post.kind == "years":
        period, pparams = ("CASE WHEN d.year BETWEEN ? AND ? THEN 'pre' WHEN d.year BETWEEN ? AND ? THEN 'post' END",
                           [*req.pre.years, *req.post.years])
    else:
        return None
    where, wparams = "", []
    if req.program is not None:
        where, wparams = " AND up.program IN (?, 'comparison')", [req.program]
    sql = f"""WITH {UNIT_PROGRAM_CTE}
SELECT d.unit_id, d.year, d.rows, d.mean, d.var, d.students, up.program, u.country, up.start_year,
       {period} AS period{''.join(', ' + g for g in groups)}
FROM {sufficient.CELLS_TABLE} d JOIN units u ON u.unit_id = d.unit_id JOIN up ON up.unit_id = d.unit_id
WHERE d.indicator = ? AND d.level = ?{where}"""
    return sql, [*pparams, req.indicator, req.level, *wparams], group_cols(list(req.by))


def _did_one(con, req: Request, prog: str, country: str, cohort: int | None, starts: list[int], stats_of,
             shared: pd.DataFrame | None = None, left_out: str = "") -> list[dict]:
    pre_w, post_w, note = _did_windows(req, cohort, starts)
    note = "; ".join(n for n in (note, left_out) if n)
    names = list(req.by)
    gcols = group_cols(names)
    if shared is not None and cohort is None:
        mine = shared["program"].isin([prog, "comparison"]) & (shared["country"] == country)
        cells = shared[mine].drop(columns=["program", "country"]).reset_index(drop=True)
    else:
        cells = _did_cells(con, req, prog, country, cohort, (pre_w, post_w))
    out = []
    if cells.empty:
        return out
    # programme attributes (lab type, start year) describe programme units only: each of their groups is
    # compared with all the comparison units, which have none
    prog_fields = [g for g, name in zip(gcols, names, strict=True)
                   if name not in req.attributes and fields.field(name).level == "programme"]
    if prog_fields:
        treated_cells = cells[cells["treated"] == 1]
        combos = treated_cells[prog_fields].drop_duplicates()
        comparison = cells[cells["treated"] == 0].drop(columns=prog_fields).merge(combos, how="cross")
        cells = pd.concat([treated_cells, comparison[cells.columns]], ignore_index=True)
    groups = cells.groupby(gcols, dropna=False, sort=True) if gcols else [((), cells)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = {"program": prog, "country": country, "design": NAME, "note": note}
        if cohort is not None:
            row["start_year_cohort"] = cohort
        row.update({g: k for g, k in zip(gcols, key, strict=False)})
        row.update(stats_of(part))
        out.append(row)
    return [rename_groups(pd.DataFrame([r]), names).iloc[0].to_dict() for r in out]


def _did_stats(cells: pd.DataFrame, req: Request, icc_override: float | None) -> dict:
    """DiD on unit-period means (student data: weighted by students, which reproduces the student-level
    estimate and its cluster-robust score), pre-trends on unit-year means, baseline and attrition checks."""
    # vectorised (a Python function per unit-period made this the slowest step: ~4 ms per unit)
    w0 = cells["w"].fillna(0).astype(float)
    period = (cells.assign(_w=w0, _wy=w0 * cells["y"])
              .groupby(["unit_id", "treated", "post"], as_index=False)
              .agg(_wy=("_wy", "sum"), w=("_w", "sum"), _ymean=("y", "mean"), students=("students", "sum"),
                   v=("v", "mean")))
    with np.errstate(divide="ignore", invalid="ignore"):
        period.insert(3, "y", np.where(period["w"] > 0, period["_wy"] / period["w"], period["_ymean"]))
    period = period.drop(columns=["_wy", "_ymean"])
    use_weights = req.student_level or req.weighted
    res = stats.did_ols(period, "y", "treated", "post", "unit_id", "w" if use_weights else None,
                        level=req.conf_level)
    d = res.as_dict()
    out = {k: d[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "wild_p_value", "n_clusters",
                             "mean_treated_pre", "mean_treated_post", "mean_comparison_pre", "mean_comparison_post",
                             "inference_reliable")}
    out["n_treated"], out["n_comparison"] = d["n_treated_clusters"], d["n_comparison_clusters"]
    # why a row has no inference: too few clusters on a side, or an outcome that does not vary in the cells
    out["note_inference"] = {"too_few_clusters": "inference_not_reliable",
                             "no_variation": "no_variation"}.get(d.get("reason"))
    pre_years = [int(y) for y in np.unique(cells.loc[cells["post"] == 0, "year"].dropna().to_numpy())]
    post_years = [int(y) for y in np.unique(cells.loc[cells["post"] == 1, "year"].dropna().to_numpy())]
    out["pre_years"], out["post_years"] = pre_years, post_years
    out["pre_window"] = f"{pre_years[0]}-{pre_years[-1]}" if pre_years else ""
    out["post_window"] = f"{post_years[0]}-{post_years[-1]}" if post_years else ""
    # pre-trends on unit-year means of the pre period
    pre = cells[cells["post"] == 0]
    if len(pre_years) >= 2:
        pt = stats.pretrend_check(pre, "y", "treated", "year", "unit_id", "w" if use_weights else None,
                                  level=req.conf_level).as_dict()
        out.update(pretrend_diff=pt["slope_diff"], pretrend_ci_low=pt["ci_low"], pretrend_ci_high=pt["ci_high"],
                   pretrend_p=pt["p_value"], pretrend_significant=pt["significant"])
    else:
        out.update(pretrend_diff=np.nan, pretrend_ci_low=np.nan, pretrend_ci_high=np.nan, pretrend_p=np.nan,
                   pretrend_significant=None)
    n_pre_students = period.loc[(period["treated"] == 1) & (period["post"] == 0), "students"].sum()
    out["n_students"] = int(period["students"].sum()) if req.student_level else np.nan
    cell_students = period.groupby(["treated", "post"])["students"].sum().reindex(
        pd.MultiIndex.from_product([[0, 1], [0, 1]]), fill_value=0)
    out["min_cell_students"] = int(cell_students.min()) if req.student_level else np.nan
    if req.student_level:  # the four cells of students, each suppressed on its own (compare/suppression.py)
        for (arm, when), name in {(1, 0): "treated_pre", (1, 1): "treated_post", (0, 0): "comparison_pre",
                                  (0, 1): "comparison_post"}.items():
            out[f"cell_{name}"] = int(cell_students.loc[(arm, when)])
    if req.student_level and req.kind != "binary":
        # standardise by the student SD pooled over the four cells (WWC): within-unit variance + between
        pooled_var = _pooled_student_var(cells)
        sd = float(np.sqrt(pooled_var)) if pooled_var > 0 else np.nan
        n_t = period.loc[period["treated"] == 1, "students"].sum() / 2
        n_c = period.loc[period["treated"] == 0, "students"].sum() / 2
        omega = float(stats.small_sample_correction(n_t + n_c))
        g = omega * out["estimate"] / sd if sd == sd else np.nan
        out["effect_size"] = g
        out["effect_size_kind"] = "hedges_g"
        scale = omega / sd if sd == sd else np.nan
        out["es_ci_low"] = out["ci_low"] * scale
        out["es_ci_high"] = out["ci_high"] * scale
        # baseline equivalence at pre: g of treated vs comparison
        tp = period[(period["post"] == 0)]
        t1, t0 = tp["treated"] == 1, tp["treated"] == 0
        mt = np.average(tp.loc[t1, "y"], weights=tp.loc[t1, "w"]) if t1.any() else np.nan
        mc = np.average(tp.loc[t0, "y"], weights=tp.loc[t0, "w"]) if t0.any() else np.nan
        out["baseline_g"] = omega * (mt - mc) / sd if sd == sd else np.nan
        out["baseline_equivalence"] = (stats.baseline_equivalence(out["baseline_g"])
                                       if out["baseline_g"] == out["baseline_g"] else None)
        # WWC clustering correction of the naive student-level t (two-arm comparison)
        m = n_t * 2 / max(out["n_treated"], 1) if out["n_treated"] else np.nan
        rho, out["icc_source"] = _icc(cells, req, icc_override)
        if out["inference_reliable"]:
            t_naive = float(stats.t_from_g(g, n_t, n_c)) if g == g else np.nan
            corr = stats.wwc_cluster_correction(t_naive, n_t + n_c, m, rho)
            corr_row = corr.iloc[0] if isinstance(corr, pd.DataFrame) else corr
            out["p_value_naive"] = float(corr_row["p_value"])
            out["p_value_icc_corrected"] = float(corr_row["p_value_adjusted"])
        else:  # docs/METHODS.md: no p-value of any kind without reliable inference
            out["p_value_naive"] = out["p_value_icc_corrected"] = np.nan
        out["icc"] = rho
        # attrition: share of pre students missing at post, per arm
        att = {}
        for arm in (0, 1):
            n0 = period.loc[(period["treated"] == arm) & (period["post"] == 0), "students"].sum()
            n1 = period.loc[(period["treated"] == arm) & (period["post"] == 1), "students"].sum()
            att[arm] = max(0.0, 1 - n1 / n0) if n0 else np.nan
        overall_n0 = n_pre_students + period.loc[(period["treated"] == 0) & (period["post"] == 0), "students"].sum()
        overall_n1 = period.loc[period["post"] == 1, "students"].sum()
        overall = max(0.0, 1 - overall_n1 / overall_n0) if overall_n0 else np.nan
        out["attrition"] = overall
        out["differential_attrition"] = abs(att[1] - att[0]) if att[0] == att[0] and att[1] == att[1] else np.nan
        out["attrition_rating"] = (stats.attrition_rating(overall * 100, out["differential_attrition"] * 100)
                                   if overall == overall else None)
    elif req.kind == "rate":
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["estimate"], out["ci_low"], out["ci_high"]
        out["effect_size_kind"] = "pp"
        out["attrition_rating"] = "not_applicable"
    elif req.kind == "binary":
        out["effect_size"] = out["estimate"] * 100
        out["es_ci_low"], out["es_ci_high"] = out["ci_low"] * 100, out["ci_high"] * 100
        out["effect_size_kind"] = "pp"
    else:
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["estimate"], out["ci_low"], out["ci_high"]
        out["effect_size_kind"] = "points"
    return out


def _did_counts(cells: pd.DataFrame) -> dict:
    """What :func:`_did_stats` reports of a group's student cells, and nothing else: the students of each arm
    and window (distinct students per unit-year, summed as ``period`` sums them) and the windows' years."""
    students = pd.to_numeric(cells["students"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    treated = pd.to_numeric(cells["treated"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    post = pd.to_numeric(cells["post"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    counted = cells["unit_id"].notna().to_numpy() & ~np.isnan(treated) & ~np.isnan(post)  # period's groupby keys
    out: dict = {}
    for side in ("pre", "post"):
        years = cells.loc[post == (side == "post"), "year"].dropna().to_numpy()
        out[f"{side}_years"] = [int(y) for y in np.unique(years)]
    for (arm, when), name in {(1, 0): "treated_pre", (1, 1): "treated_post", (0, 0): "comparison_pre",
                              (0, 1): "comparison_post"}.items():
        out[f"cell_{name}"] = int(np.nansum(students[counted & (treated == arm) & (post == when)]))
    return out


def baseline_icc(cells: pd.DataFrame) -> float:
    """ICC(1) of the outcome across schools at baseline: the pre-period cells of every school (programme and
    comparison) pooled into one mean and sample variance per school, then the one-way ANOVA estimator
    (``stats.icc_from_summary``; Shrout & Fleiss 1979). NaN when it cannot be estimated."""
    pre = cells[cells["post"] == 0]
    if pre.empty:
        return float("nan")
    n = pre["w"].fillna(0).astype(float)
    y = pre["y"].astype(float)
    parts = pd.DataFrame({"unit_id": pre["unit_id"], "n": n, "ny": n * y, "nyy": n * y * y,
                          "ss": (n - 1).clip(lower=0) * pre["v"].fillna(0).astype(float)})
    per = parts.groupby("unit_id")[["n", "ny", "nyy", "ss"]].sum()
    per = per[per["n"] > 0]
    mean = per["ny"] / per["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (per["ss"] + (per["nyy"] - per["n"] * mean ** 2).clip(lower=0)) / (per["n"] - 1)
    return float(stats.icc_from_summary(per["n"].to_numpy(), mean.to_numpy(), var.to_numpy()))


def _icc(cells: pd.DataFrame, req: Request, given: float | None) -> tuple[float, str]:
    """(ICC, where it comes from): the one asked for, else estimated at baseline, else the documented default
    for the indicator's domain (docs/METHODS.md), which the row then flags."""
    if given is not None:
        return given, "given"
    estimated = baseline_icc(cells)
    if estimated == estimated:
        return estimated, "estimated"
    return (stats.ICC_ACHIEVEMENT if req.domain == "learning" else stats.ICC_OTHER), "default"


def _pooled_student_var(cells: pd.DataFrame) -> float:
    """Student-level variance pooled over the four treatment x period cells (within + between units)."""
    total = 0.0
    dof = 0.0
    for _, c in cells.groupby(["treated", "post"]):
        n = c["w"].fillna(0).to_numpy(dtype=float)
        y = c["y"].to_numpy(dtype=float)
        v = np.nan_to_num(c["v"].to_numpy(dtype=float))
        big_n = n.sum()
        if big_n < 2:
            continue
        mean = np.sum(n * y) / big_n
        ss = np.sum((n - 1).clip(min=0) * v) + np.sum(n * (y - mean) ** 2)
        total += ss
        dof += big_n - 1
    return total / dof if dof > 0 else np.nan

