"""The words of compare()'s coded values — a reliability, a design check (evidence_reasons), a context flag,
an effect unit — written once, for the pages (read through ui/analysis_words.py under the same keys), the
command line (`compare --format table`, analysis/cli_text.py) and any other output that says a code in words.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "es": {
        "unit.hedges_g":
            "DE (g)",
        "unit.pp":
            "pp",
        "unit.points":
            "puntos",
        "unit.cox":
            "índice de Cox",
        "rel.ok":
            "adecuada",
        "rel.low":
            "baja confiabilidad",
        "rel.suppressed":
            "suprimido (menos de 10 estudiantes)",
        "rel.suppressed_short":
            "suprimido",
        "rel.suppressed_complementary":
            "oculto para proteger otra celda (supresión complementaria)",
        "rel.suppressed_short_complementary":
            "oculto",
        "flag.pandemic_years":
            "la ventana incluye 2020 o 2021 (pandemia)",
        "flag.saber_scale_change":
            "Saber 11 cambió de escala en 2014: no se restan puntajes",
        "flag.composition_change":
            "el número de evaluados cambió más de 20 % (composición)",
        "flag.selection_low_baseline":
            "escuelas elegidas con línea de base más baja (selección)",
        "flag.pretrends_differ":
            "las tendencias previas difieren",
        "flag.inference_not_reliable":
            "muy pocas escuelas de un lado: no hay inferencia fiable",
        "flag.no_variation":
            "sin variación dentro de las celdas: no hay inferencia",
        "flag.icc_assumed":
            "ICC supuesto (no se pudo estimar)",
        "reason.no_comparison_group":
            "sin grupo de comparación",
        "reason.too_few_clusters":
            "3 escuelas o menos de un lado",
        "reason.few_clusters":
            "menos de 10 escuelas de un lado",
        "reason.clusters_unknown":
            "número de escuelas desconocido",
        "reason.clustering_not_handled":
            "intervalo sin corrección por escuelas",
        "reason.high_attrition":
            "pérdida de muestra alta",
        "reason.attrition_unknown":
            "pérdida de muestra desconocida",
        "reason.baseline_not_equivalent":
            "grupos no equivalentes al inicio",
        "reason.baseline_not_adjusted":
            "diferencia inicial sin ajustar",
        "reason.baseline_unknown":
            "equivalencia inicial no evaluada",
        "reason.pretrends_differ":
            "tendencias previas distintas",
        "reason.pretrends_not_assessed":
            "tendencias previas no evaluadas (ninguna escuela observada en dos años antes)",
        "reason.all_checks_passed":
            "todos los chequeos se cumplen",
        "reason.no_estimate":
            "sin estimación",
        "reason.no_comparison_units":
            "no hay escuelas de comparación con datos (importe su lista y sus resultados para estimar el "
            "efecto)",
        "reason.no_programme_units":
            "no hay escuelas del programa con datos en estas ventanas",
        "reason.no_pre_data":
            "no hay datos de antes del programa (de sus escuelas o de las de comparación)",
        "reason.no_post_data":
            "no hay datos de después del programa (de sus escuelas o de las de comparación)",
        "reason.no_variation":
            "sin variación: no hay inferencia",
        "rel.adequate":
            "confiabilidad adecuada",
    },
    "en": {
        "unit.hedges_g":
            "SD (g)",
        "unit.pp":
            "pp",
        "unit.points":
            "points",
        "unit.cox":
            "Cox index",
        "rel.ok":
            "adequate",
        "rel.low":
            "low reliability",
        "rel.suppressed":
            "suppressed (fewer than 10 students)",
        "rel.suppressed_short":
            "suppressed",
        "rel.suppressed_complementary":
            "hidden to protect another cell (complementary suppression)",
        "rel.suppressed_short_complementary":
            "hidden",
        "flag.pandemic_years":
            "the window includes 2020 or 2021 (pandemic)",
        "flag.saber_scale_change":
            "Saber 11 changed scale in 2014: scores are not differenced",
        "flag.composition_change":
            "the number tested changed by more than 20% (composition)",
        "flag.selection_low_baseline":
            "schools chosen with a lower baseline (selection)",
        "flag.pretrends_differ":
            "pre-period trends differ",
        "flag.inference_not_reliable":
            "too few schools on one side: no reliable inference",
        "flag.no_variation":
            "no variation within the cells: no inference",
        "flag.icc_assumed":
            "ICC assumed (it could not be estimated)",
        "reason.no_comparison_group":
            "no comparison group",
        "reason.too_few_clusters":
            "3 or fewer schools on a side",
        "reason.few_clusters":
            "fewer than 10 schools on a side",
        "reason.clusters_unknown":
            "number of schools unknown",
        "reason.clustering_not_handled":
            "interval not corrected for schools",
        "reason.high_attrition":
            "high attrition",
        "reason.attrition_unknown":
            "attrition unknown",
        "reason.baseline_not_equivalent":
            "groups not equivalent at baseline",
        "reason.baseline_not_adjusted":
            "baseline difference not adjusted",
        "reason.baseline_unknown":
            "baseline equivalence not assessed",
        "reason.pretrends_differ":
            "pre-trends differ",
        "reason.pretrends_not_assessed":
            "pre-trends not assessed (no school observed in two years before)",
        "reason.all_checks_passed":
            "all checks passed",
        "reason.no_estimate":
            "no estimate",
        "reason.no_comparison_units":
            "no comparison schools with data (import their roster and results to estimate the effect)",
        "reason.no_programme_units":
            "no programme schools with data in these windows",
        "reason.no_pre_data":
            "no data from before the programme (from its schools or the comparison schools)",
        "reason.no_post_data":
            "no data from after the programme (from its schools or the comparison schools)",
        "reason.no_variation":
            "no variation: no inference",
        "rel.adequate":
            "adequate reliability",
    },
}
