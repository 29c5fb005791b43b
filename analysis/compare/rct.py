"""Design ``rct``: a cluster-randomised trial analysed by intention to treat (METHODS.md, "Randomised trial").

Trial schools are those with a randomisation block: the unit attribute ``stratum`` that a registered
assignment (``pilot assign --register``) or a roster's ``stratum`` column records. Schools are compared by
their assignment (programme or ``comparison``), whatever happened later: student-level ANCOVA of the post
score on assignment, the student's baseline score and block fixed effects, errors clustered by school
(``stats.rct_ancova``); yearly school rates the same at school level (one row per school, HC1). Where the
roster records ``lab_operating`` (yes/no) for every assigned school, the complier average causal effect
(assignment as the instrument for an operating lab) is given beside the ITT in the ``cace*`` columns.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analysis import fields, stats
from analysis.compare.finish import finish
from analysis.compare.request import CompareError, Evidence, Request, Window
from analysis.compare.sql import empty_reason, fetch, group_cols, observations_sql, rename_groups, result_keys
from analysis.periods import wave_period_sql

NAME = "rct"
LABEL = ("ensayo aleatorizado por escuelas (intención de tratar)",
         "school-randomised trial (intention to treat)")
OPTIONS = ("icc",)  # the ICC of the WWC cluster correction of g (default: estimated at baseline)
COMPARISON = True
SELECTOR_RANK = 0  # a comparison design: listed after did (registered first), before prepost
EVIDENCE = Evidence(design=NAME, treated="n_treated", comparison="n_comparison", estimate="estimate",
                    baseline="baseline_equivalence")
KEY_COLUMNS = ()
STRATUM = "stratum"  # unit attribute: the randomisation block
OPERATING = "lab_operating"  # unit attribute: yes/no, the school has an operating lab
YES = ("yes", "si", "sí", "true", "1", "y", "s")
NO = ("no", "false", "0", "n")
COLUMNS = (
    "design", "estimate", "se", "ci_low", "ci_high", "p_value", "q_value", "wild_p_value", "n_clusters",
    "n_treated", "n_comparison", "n_blocks", "baseline_adjusted", "mean_treated_post", "mean_comparison_post",
    "inference_reliable", "effect_size", "effect_size_kind", "es_ci_low", "es_ci_high", "improvement_index",
    "months_progress", "icc", "icc_source", "compliance", "cace", "cace_se", "cace_ci_low", "cace_ci_high",
    "cace_p_value", "cace_note", "baseline_g", "baseline_equivalence", "attrition", "differential_attrition",
    "attrition_rating", "reliability", "suppression_reason", "flags", "evidence", "evidence_reasons", "pre_window",
    "post_window", "note",
)
SUPPRESSED_TOO = ("compliance", "cace", "cace_se", "cace_ci_low", "cace_ci_high", "cace_p_value", "icc",
                  "differential_attrition")
COLUMN_NOTE = ""
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "estimate": ("Efecto de la asignación (intención de tratar), ajustado por la línea de base y los bloques "
                 "(unidad del indicador)",
                 "Effect of assignment (intention to treat), adjusted for baseline and blocks (indicator's unit)"),
    "se": ("Error estándar agrupado por escuela (CRV1)", "Standard error clustered by school (CRV1)"),
    "wild_p_value": ("Valor p del bootstrap salvaje por conglomerados (menos de 30 escuelas en un grupo); "
                     "con 9.999 réplicas al azar, 0,0001 = 1/(B + 1) es su piso: una cota (p de 0,0001 o menos), "
                     "no un valor",
                     "Wild cluster bootstrap p-value (fewer than 30 schools in an arm); "
                     "with 9,999 random draws, 0.0001 = 1/(B + 1) is its floor: a bound (p of 0.0001 or less), "
                     "not a value"),
    "n_clusters": ("Escuelas del ensayo con datos después", "Trial schools with data after"),
    "n_treated": ("Escuelas asignadas al programa", "Schools assigned to the programme"),
    "n_comparison": ("Escuelas asignadas a comparación", "Schools assigned to comparison"),
    "n_blocks": ("Bloques (estratos) de la aleatorización", "Randomisation blocks (strata)"),
    "baseline_adjusted": ("Verdadero si el modelo ajusta por la puntuación de línea de base",
                          "True when the model adjusts for the baseline score"),
    "inference_reliable": ("Falso con 3 o menos escuelas en un grupo: sin inferencia fiable",
                           "False with 3 or fewer schools in an arm: no reliable inference"),
    "icc_source": ("Origen del ICC de la corrección de g: estimated (línea de base), given o default",
                   "Where the ICC of g's correction comes from: estimated (baseline), given or default"),
    "compliance": ("Diferencia en la proporción con laboratorio funcionando (asignadas − comparación), ajustada",
                   "Difference in the share with an operating lab (assigned − comparison), adjusted"),
    "cace": ("Efecto promedio en quienes cumplen (CACE: asignación como instrumento del laboratorio "
             "funcionando; unidad del indicador)",
             "Complier average causal effect (CACE: assignment as the instrument for an operating lab; "
             "indicator's unit)"),
    "cace_se": ("Error estándar del CACE (2SLS, agrupado por escuela)", "CACE standard error (2SLS, clustered)"),
    "cace_ci_low": ("Límite inferior del IC del CACE", "CACE: lower CI bound"),
    "cace_ci_high": ("Límite superior del IC del CACE", "CACE: upper CI bound"),
    "cace_p_value": ("Valor p del CACE", "CACE p-value"),
    "cace_note": ("Por qué no hay CACE: not_recorded (sin lab_operating en la nómina), no_first_stage, …",
                  "Why there is no CACE: not_recorded (no lab_operating in the roster), no_first_stage, …"),
    "note": ("Nota (p. ej., ventanas usadas)", "Note (e.g. the windows used)"),
}
METHODS = {
    "es": "**rct**: ensayo aleatorizado por escuelas, por intención de tratar (según la asignación). ANCOVA a nivel "
          "de estudiante: puntuación después = a + b·asignada + c·línea de base + efectos fijos de bloque; b es "
          "la estimación. Errores agrupados por escuela (CRV1), t con G−1 grados de libertad; bootstrap salvaje "
          "restringido con menos de 30 escuelas en un grupo; con 3 o menos, sin inferencia. Tasas anuales por "
          "escuela: el mismo modelo con una fila por escuela (HC1). g de Hedges con la corrección por "
          "conglomerados de la WWC; índice de Cox para resultados binarios. Con lab_operating en la nómina, "
          "también el efecto en quienes cumplen (CACE, 2SLS con la asignación como instrumento).",
    "en": "**rct**: school-randomised trial, by intention to treat (as assigned). Student-level ANCOVA: post "
          "score = a + b·assigned + c·baseline + block fixed effects; b is the estimate. Errors clustered by "
          "school (CRV1), t with G−1 degrees of freedom; restricted wild cluster bootstrap with fewer than 30 "
          "schools in an arm; with 3 or fewer, no inference. Yearly school rates: the same model with one row "
          "per school (HC1). Hedges' g with the WWC clustering correction; Cox index for binary outcomes. With "
          "lab_operating in the roster, also the complier average causal effect (CACE, 2SLS with assignment as "
          "the instrument).",
}
SUMMARY_COLUMNS = ("effect_size", "effect_size_kind", "es_ci_low", "es_ci_high", "months_progress", "estimate",
                   "ci_low", "ci_high", "p_value", "q_value", "wild_p_value", "n_treated", "n_comparison", "cace",
                   "cace_ci_low", "cace_ci_high", "reliability", "evidence", "evidence_reasons", "flags",
                   "pre_window", "post_window")


def check_grouping(by: list[str]) -> None:
    """Randomisation compares assigned schools: not by school, nor by a programme attribute (lab type, start
    year), which comparison schools do not have."""
    if "school" in by:
        raise CompareError("a randomised trial by school puts one school against the comparison group: use "
                           "design rct by department or by a student attribute")
    programme = [b for b in by if (f := fields.field(b)) is not None and f.level == "programme"]
    if programme:
        raise CompareError(f"comparison schools have no {', '.join(programme)}: a randomised comparison by it "
                           "is not randomised; ask for the whole trial or by a school or student field")


def trial_sql(req: Request) -> tuple[str, list, list[str]]:
    """One row per student (student data) or per school (rates) of the programme's trial schools
    (``req.program`` set): post mean ``y``, baseline mean ``x``, weight ``w``, with the school's programme,
    country, block and lab status."""
    base, params, names = observations_sql(req)
    gcols = group_cols(names)
    gsel = "".join(f", any_value({g}) AS {g}" for g in gcols)
    ggroup = "".join(f", {g}" for g in gcols)
    # the trial's schools: those whose block came from an import that assigned schools to the programme (its
    # registration or roster), so the comparison schools of another programme's trial are never pooled in
    attrs = f"""tr AS (SELECT unit_id, min(value) AS stratum FROM unit_attributes WHERE name = '{STRATUM}'
                       AND import_id IN (SELECT import_id FROM assignments WHERE program = ?)
                       GROUP BY unit_id),
               op AS (SELECT unit_id, lower(trim(min(value))) AS operating FROM unit_attributes
                       WHERE name = '{OPERATING}' GROUP BY unit_id)"""
    if req.student_level:
        sql = f"""WITH b AS ({base}), {attrs}
        SELECT b.unit_id, any_value(program) AS program, any_value(country) AS country,
               any_value(start_year) AS start_year{gsel}, avg(value) FILTER (WHERE period = 'post') AS y,
               avg(value) FILTER (WHERE period = 'pre') AS x, 1.0 AS w,
               list(DISTINCT year) FILTER (WHERE period = 'pre') AS pre_y,
               list(DISTINCT year) FILTER (WHERE period = 'post') AS post_y
        FROM b JOIN tr USING (unit_id) WHERE period IS NOT NULL
        GROUP BY b.unit_id, b.student_key{ggroup}"""
    else:
        value = ("sum(value * coalesce(n, 0)) FILTER (WHERE period = '{p}') / nullif(sum(coalesce(n, 0)) "
                 "FILTER (WHERE period = '{p}'), 0)" if req.weighted else "avg(value) FILTER (WHERE period = '{p}')")
        sql = f"""WITH b AS ({base}), {attrs}
        SELECT b.unit_id, any_value(program) AS program, any_value(country) AS country,
               any_value(start_year) AS start_year{gsel}, {value.format(p='post')} AS y, {value.format(p='pre')} AS x,
               {'coalesce(sum(n) FILTER (WHERE period = ' + "'post'" + '), 0)' if req.weighted else '1.0'} AS w,
               list(DISTINCT year) FILTER (WHERE period = 'pre') AS pre_y,
               list(DISTINCT year) FILTER (WHERE period = 'post') AS post_y
        FROM b JOIN tr USING (unit_id) WHERE period IS NOT NULL
        GROUP BY b.unit_id{ggroup}"""
    sql = f"""WITH rows AS ({sql}), {attrs}
    SELECT rows.*, tr.stratum, op.operating FROM rows JOIN tr USING (unit_id) LEFT JOIN op USING (unit_id)"""
    return sql, [*params, req.program, req.program], names


def run(con: duckdb.DuckDBPyConnection, req: Request, icc: float | None = None) -> pd.DataFrame:
    """Intention-to-treat results (and CACE), one row per programme x country x group, finished."""
    frame = _rows(con, req, lambda part, prog: _trial_stats(part, req, prog, icc))
    frame = finish(frame, req, result_keys(req), EVIDENCE)
    hidden = frame["reliability"].eq("suppressed").to_numpy()
    if hidden.any():  # a cell under the minimum shows no value: the columns finish() does not know as well
        for c in SUPPRESSED_TOO:
            frame[c] = frame[c].astype(float)
            frame.loc[hidden, c] = np.nan
    # a baseline difference under randomisation is chance, adjusted for by the ANCOVA: not selection
    frame["flags"] = frame["flags"].map(
        lambda f: ", ".join(x for x in str(f).split(", ") if x and x != "selection_low_baseline"))
    cols = [*result_keys(req), *COLUMNS, "pre_years", "post_years"]
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    return frame[cols].reset_index(drop=True)


def counts(con: duckdb.DuckDBPyConnection, req: Request) -> pd.DataFrame:
    """The rows of :func:`run` before suppression with only what disclosure control reads (keys and the
    smaller arm's students), in the same order: no model is fitted (analysis/compare/linked.py protects
    coarser views from their counts alone)."""
    return _rows(con, req, _trial_counts).assign(reliability="ok")


def _rows(con: duckdb.DuckDBPyConnection, req: Request, stats_of) -> pd.DataFrame:
    """One row per programme x country x group: keys, note and ``stats_of(part, programme)``."""
    trial = fetch(con, f"""SELECT DISTINCT a.program, u.country, min(a.start_year) OVER (PARTITION BY a.program,
        u.country) AS start_year FROM assignments a JOIN units u USING (unit_id)
        JOIN unit_attributes t ON t.unit_id = a.unit_id AND t.name = '{STRATUM}'
        WHERE a.program <> 'comparison'""", [])
    if req.program is not None:
        trial = trial[trial["program"] == req.program]
    if trial.empty:
        raise CompareError("no randomised assignment: register one (python -m analysis pilot assign ... --register) "
                           "or import a roster with a 'stratum' column for the programme and comparison schools")
    rows = []
    for (prog, country), part in trial.groupby(["program", "country"], sort=True):
        start = part["start_year"].dropna()
        rows.extend(_trial_rows(con, req, prog, country, int(start.iloc[0]) if len(start) else None, stats_of))
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise CompareError(empty_reason(con, req))
    return frame


def _trial_counts(part: pd.DataFrame, prog: str) -> dict:
    """What :func:`_trial_stats` reports of a group's students, and nothing else: the smaller arm's
    students with a post value."""
    z = (part["program"] == prog).to_numpy(dtype=float)[part["y"].notna().to_numpy()]
    return {"min_cell_students": int(min((z == 1).sum(), (z == 0).sum()))}


def _trial_rows(con, req: Request, prog: str, country: str, start: int | None, stats_of) -> list[dict]:
    pre_w, post_w, note = req.pre, req.post, ""
    if pre_w is None and not req.uses_waves:
        if start is None:
            pre_w, post_w = _wave_windows(con, prog, country)
            note = f"windows on the trial's baseline and endline waves: pre {pre_w.label()}, post {post_w.label()}"
        else:
            pre_w, post_w = Window("years", (1900, start - 1)), Window("years", (start, 2100))
            note = f"windows on the start year {start}: pre < {start} <= post"
    sub = Request(**{**req.__dict__, "pre": pre_w, "post": post_w, "program": prog, "design": NAME})
    sql, params, names = trial_sql(sub)
    data = fetch(con, sql, params)
    data = data[(data["country"] == country) & data["program"].isin([prog, "comparison"])]
    if data.empty:
        return []
    gcols = group_cols(names)
    out = []
    groups = data.groupby(gcols, dropna=False, sort=True) if gcols else [((), data)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = {"program": prog, "country": country, "design": NAME, "note": note}
        row.update(dict(zip(gcols, key, strict=False)))
        row.update(stats_of(part.reset_index(drop=True), prog))
        out.append(row)
    return [rename_groups(pd.DataFrame([r]), names).iloc[0].to_dict() for r in out]


def _wave_windows(con, prog: str, country: str) -> tuple[Window, Window]:
    """The years of the trial's own baseline and endline waves (its schools' observations in waves pre/baseline
    and post/endline, any indicator): a yearly indicator of a trial without a start year is read on them, the
    design's rule of windows (docs/METHODS.md "Designs" 4). Refused when the trial has no such waves, or when
    they do not put every baseline year before every endline year."""
    years = fetch(con, f"""SELECT {wave_period_sql("o.wave")} AS period, min(o.year) AS first, max(o.year) AS last
        FROM observations o JOIN units u ON u.unit_id = o.unit_id
        WHERE u.country = ? AND o.year IS NOT NULL AND o.unit_id IN (SELECT unit_id FROM unit_attributes
              WHERE name = '{STRATUM}' AND import_id IN (SELECT import_id FROM assignments WHERE program = ?))
        GROUP BY 1""", [country, prog]).dropna(subset=["period"]).set_index("period")
    if not {"pre", "post"} <= set(years.index) or years.loc["pre", "last"] >= years.loc["post", "first"]:
        raise CompareError("the trial's programme schools have no start year: pass --pre and --post windows")
    return (Window("years", (int(years.loc["pre", "first"]), int(years.loc["pre", "last"]))),
            Window("years", (int(years.loc["post", "first"]), int(years.loc["post", "last"]))))


def _received(part: pd.DataFrame, assigned: np.ndarray) -> np.ndarray | None:
    """1 where the school has an operating lab: the roster's lab_operating, comparison schools without a
    value counting as 0; None unless every assigned school has a yes/no value."""
    status = part["operating"].astype(object)
    yes, no = status.isin(YES).to_numpy(), status.isin(NO).to_numpy()
    if not (yes | no)[assigned == 1].all():
        return None
    return yes.astype(float)


def _years(part: pd.DataFrame, column: str) -> list[int]:
    years = set()
    for v in part[column]:
        if isinstance(v, list | tuple | np.ndarray):
            years.update(int(y) for y in v if y is not None)
    return sorted(years)


def _trial_stats(part: pd.DataFrame, req: Request, prog: str, icc: float | None) -> dict:
    """ITT, CACE, effect size, baseline, attrition of one group of a trial."""
    pre_years, post_years = _years(part, "pre_y"), _years(part, "post_y")
    out: dict = {"pre_years": pre_years, "post_years": post_years,
                 "pre_window": f"{pre_years[0]}-{pre_years[-1]}" if pre_years else "",
                 "post_window": f"{post_years[0]}-{post_years[-1]}" if post_years else ""}
    z_all = (part["program"] == prog).to_numpy(dtype=float)
    has_post = part["y"].notna().to_numpy()
    post = part[has_post].reset_index(drop=True)
    z = z_all[has_post]
    x = post["x"].to_numpy(dtype=float)
    missing = np.isnan(x)
    if missing.all():
        baseline = None
    elif missing.any():  # missing-indicator method: valid under randomisation (White & Thompson 2005)
        baseline = np.column_stack([np.where(missing, np.nanmean(x), x), missing.astype(float)])
    else:
        baseline = x
    received = _received(post, z) if len(post) else None
    weights = post["w"].to_numpy(dtype=float) if req.weighted and not req.student_level else None
    res = stats.rct_ancova(post["y"], z, post["unit_id"], baseline=baseline, blocks=post["stratum"],
                           received=received, weights=weights, level=req.conf_level).as_dict()
    for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "wild_p_value", "n_clusters", "n_blocks",
              "baseline_adjusted", "inference_reliable", "compliance", "cace", "cace_se", "cace_ci_low",
              "cace_ci_high", "cace_p_value"):
        out[k] = res[k]
    out["cace_note"] = res["cace_reason"]
    out["n_treated"], out["n_comparison"] = res["n_treated_clusters"], res["n_comparison_clusters"]
    out["note_inference"] = {"too_few_clusters": "inference_not_reliable", "no_variation": "no_variation"}.get(
        res["reason"])
    yt, yc = post.loc[z == 1, "y"], post.loc[z == 0, "y"]
    out["mean_treated_post"] = float(yt.mean()) if len(yt) else np.nan
    out["mean_comparison_post"] = float(yc.mean()) if len(yc) else np.nan
    n_students = len(post) if req.student_level else np.nan
    out["n_students"] = n_students
    out["min_cell_students"] = int(min((z == 1).sum(), (z == 0).sum())) if req.student_level else np.nan
    if req.student_level and req.kind != "binary":
        _student_effect(out, part, post, z, z_all, req, icc)
    elif req.kind == "binary":
        _cox(out, req)
    else:
        out["effect_size"], out["es_ci_low"], out["es_ci_high"] = out["estimate"], out["ci_low"], out["ci_high"]
        out["effect_size_kind"] = "pp" if req.kind == "rate" else "points"
        out["attrition_rating"] = "not_applicable" if req.kind == "rate" else None
    if req.student_level:
        _attrition(out, part, z_all)
    return out


def _student_effect(out: dict, part: pd.DataFrame, post: pd.DataFrame, z: np.ndarray, z_all: np.ndarray,
                    req: Request, icc: float | None) -> None:
    """Hedges' g of the adjusted difference with the WWC cluster correction (WWC Procedures Handbook v4.1
    supplement / v5.0, after Hedges 2007): g = ω·b/S·√(1 − 2(m − 1)ρ/(N − 2)), S the post SD pooled within
    arms, m students per school, ρ the baseline ICC; the baseline g of the pre scores."""
    y = post["y"].to_numpy(dtype=float)
    n_t, n_c = int((z == 1).sum()), int((z == 0).sum())
    big_n = n_t + n_c
    sd = float(stats.pooled_sd(n_t, n_c, np.std(y[z == 1], ddof=1), np.std(y[z == 0], ddof=1))) \
        if min(n_t, n_c) > 1 else np.nan
    omega = float(stats.small_sample_correction(big_n))
    rho, out["icc_source"] = _icc(part, req, icc)
    out["icc"] = rho
    m = big_n / max(out["n_clusters"], 1)
    gamma = 1 - 2 * (m - 1) * rho / (big_n - 2) if big_n > 2 else np.nan
    scale = omega / sd * np.sqrt(gamma) if sd == sd and sd > 0 and gamma == gamma and gamma > 0 else np.nan
    out["effect_size"] = out["estimate"] * scale
    out["es_ci_low"], out["es_ci_high"] = out["ci_low"] * scale, out["ci_high"] * scale
    out["effect_size_kind"] = "hedges_g"
    pre = part["x"].to_numpy(dtype=float)
    t_pre, c_pre = pre[(z_all == 1) & ~np.isnan(pre)], pre[(z_all == 0) & ~np.isnan(pre)]
    if len(t_pre) > 1 and len(c_pre) > 1:
        g = stats.hedges_g(len(t_pre), len(c_pre), t_pre.mean(), c_pre.mean(), t_pre.std(ddof=1),
                           c_pre.std(ddof=1))
        out["baseline_g"] = float(g)
        out["baseline_equivalence"] = stats.baseline_equivalence(out["baseline_g"])
    else:
        out["baseline_g"], out["baseline_equivalence"] = np.nan, None


def _icc(part: pd.DataFrame, req: Request, given: float | None) -> tuple[float, str]:
    """The ICC asked for, else ICC(1) of the baseline scores across the trial's schools, else the default."""
    if given is not None:
        return given, "given"
    pre = part.dropna(subset=["x"]).groupby("unit_id")["x"].agg(["size", "mean", "var"])
    estimated = float(stats.icc_from_summary(pre["size"], pre["mean"], pre["var"])) if len(pre) > 1 else np.nan
    if estimated == estimated:
        return estimated, "estimated"
    return (stats.ICC_ACHIEVEMENT if req.domain == "learning" else stats.ICC_OTHER), "default"


def _cox(out: dict, req: Request) -> None:
    """Cox index ln(OR)/1.65 of the adjusted difference: the comparison's post share p_c against
    p_c + b (WWC); its interval maps the estimate's (the transform is monotone). Undefined outside (0, 1)."""
    p_c = out["mean_comparison_post"]

    def cox(diff: float) -> float:
        p_t = p_c + diff
        if not (0 < p_c < 1 and 0 < p_t < 1):
            return np.nan
        return float((np.log(p_t / (1 - p_t)) - np.log(p_c / (1 - p_c))) / 1.65)

    out["effect_size"] = cox(out["estimate"]) if out["estimate"] == out["estimate"] else np.nan
    out["es_ci_low"] = cox(out["ci_low"]) if out["ci_low"] == out["ci_low"] else np.nan
    out["es_ci_high"] = cox(out["ci_high"]) if out["ci_high"] == out["ci_high"] else np.nan
    out["effect_size_kind"] = "cox"


def _attrition(out: dict, part: pd.DataFrame, z_all: np.ndarray) -> None:
    """Share of the baseline students missing after, overall and per arm, rated by the WWC cautious boundary."""
    at_pre = part["x"].notna().to_numpy()
    if not at_pre.any():
        out["attrition"] = out["differential_attrition"] = np.nan
        out.setdefault("attrition_rating", None)
        return
    kept = part["y"].notna().to_numpy()
    arm = {a: 1 - (at_pre & kept & (z_all == a)).sum() / (at_pre & (z_all == a)).sum()
           if (at_pre & (z_all == a)).any() else np.nan for a in (0, 1)}
    overall = 1 - (at_pre & kept).sum() / at_pre.sum()
    out["attrition"] = float(overall)
    out["differential_attrition"] = float(abs(arm[1] - arm[0]))
    out["attrition_rating"] = stats.attrition_rating(overall * 100, out["differential_attrition"] * 100) \
        if out["differential_attrition"] == out["differential_attrition"] else None
