"""LabLens statistical core: pure, vectorised functions with no I/O and no Streamlit.

One module per family (pingouin style): :mod:`.effect_sizes`, :mod:`.rates`, :mod:`.scales`,
:mod:`.prepost`, :mod:`.did`, :mod:`.trial`, :mod:`.clustering`, :mod:`.evidence`, :mod:`.multiple`,
:mod:`.pooling`. Every method follows docs/METHODS.md (What Works Clearinghouse Procedures Handbook v4.1/v5.0,
Hedges 2007, Becker 1988, Morris & DeShon 2002, Feldt 1965, Benjamini & Hochberg 1995, Cameron, Gelbach & Miller
2008, Webb 2014, Efron & Morris 1975, Morris 1983, EEF Toolkit). Functions over groups take arrays (one
element per group, as aggregated in DuckDB) and return arrays or tidy DataFrames with stable snake_case columns.
"""

from .clustering import (
    ICC_ACHIEVEMENT,
    ICC_OTHER,
    icc_design_effect_by_group,
    icc_from_summary,
    icc_oneway,
    t_from_g,
    wwc_cluster_correction,
)
from .did import (
    DEFAULT_SEED,
    DidResult,
    PretrendResult,
    WildBootstrapResult,
    bootstrap_weights,
    did_ols,
    pretrend_check,
    wild_cluster_bootstrap,
    wild_cluster_bootstrap_p,
)
from .effect_sizes import (
    cluster_adjusted_var,
    cox_index,
    design_effect,
    eef_label,
    eef_months,
    hedges_g,
    hedges_g_var,
    improvement_index,
    independent_effect_sizes,
    normal_ci,
    pooled_sd,
    prepost_g,
    prepost_g_var,
    small_sample_correction,
)
from .evidence import (
    EvidenceFacts,
    attrition_boundary,
    attrition_rates,
    attrition_rating,
    baseline_equivalence,
    evidence_badge,
)
from .multiple import bh_qvalues
from .pooling import PoolingResult, partial_pool, pool_arrays
from .prepost import (
    few_clusters,
    paired_from_stats,
    prepost_table,
    welch_from_stats,
    wilcoxon_signed_rank,
)
from .rates import proportion_diff, wilson_ci
from .scales import (
    ALPHA_WARNING,
    cronbach_alpha,
    cronbach_alpha_from_variances,
    feldt_ci,
    motivation_index,
    reverse_code,
    scale_reliability,
)
from .trial import TrialResult, rct_ancova

__all__ = [
    "ALPHA_WARNING",
    "DEFAULT_SEED",
    "ICC_ACHIEVEMENT",
    "ICC_OTHER",
    "DidResult",
    "EvidenceFacts",
    "PoolingResult",
    "PretrendResult",
    "TrialResult",
    "WildBootstrapResult",
    "attrition_boundary",
    "attrition_rates",
    "attrition_rating",
    "baseline_equivalence",
    "bh_qvalues",
    "bootstrap_weights",
    "cluster_adjusted_var",
    "cox_index",
    "cronbach_alpha",
    "cronbach_alpha_from_variances",
    "design_effect",
    "did_ols",
    "eef_label",
    "eef_months",
    "evidence_badge",
    "feldt_ci",
    "few_clusters",
    "hedges_g",
    "hedges_g_var",
    "icc_design_effect_by_group",
    "icc_from_summary",
    "icc_oneway",
    "improvement_index",
    "independent_effect_sizes",
    "motivation_index",
    "normal_ci",
    "paired_from_stats",
    "partial_pool",
    "pool_arrays",
    "pooled_sd",
    "prepost_g",
    "prepost_g_var",
    "prepost_table",
    "pretrend_check",
    "proportion_diff",
    "rct_ancova",
    "reverse_code",
    "scale_reliability",
    "small_sample_correction",
    "t_from_g",
    "welch_from_stats",
    "wilcoxon_signed_rank",
    "wild_cluster_bootstrap",
    "wild_cluster_bootstrap_p",
    "wilson_ci",
    "wwc_cluster_correction",
]
