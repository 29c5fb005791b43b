"""Every translation key exists in both languages; no page shows a raw key; a word the analysis says
(ui/analysis_words.py) is said there only."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "ui" / "locales"


def _catalogue(lang: str) -> dict:
    """What t() reads: ui/locales and the analysis' words."""
    from ui.i18n import catalogue

    return catalogue(lang)


def _locale(lang: str) -> dict:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def test_no_locale_key_repeats_a_word_of_the_analysis():
    """Level and wave names, cost-file errors, the demo's description and compare()'s column names are written once,
    in the analysis catalogues; ui/locales does not say them a second time."""
    from ui.analysis_words import words

    for lang in ("es", "en"):
        said_twice = sorted(set(_locale(lang)) & set(words(lang)))
        assert not said_twice, said_twice
        assert {"level.primary", "wave.baseline", "impl.cost_bad_amount", "col.p_value"} <= set(_catalogue(lang))


def test_both_languages_have_the_same_keys():
    es, en = _catalogue("es"), _catalogue("en")
    assert set(es) == set(en), {"only_es": sorted(set(es) - set(en)), "only_en": sorted(set(en) - set(es))}


def test_placeholders_match_between_languages():
    es, en = _catalogue("es"), _catalogue("en")
    for key in es:
        assert set(re.findall(r"{(\w+)}", es[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_every_key_used_in_code_exists():
    """Literal t("...") keys in pages/, ui/ and dashboard.py must be in the catalogue."""
    keys = set(_catalogue("es"))
    used = set()
    for path in [ROOT / "dashboard.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no t() calls found: the scan is broken"
    assert used <= keys, sorted(used - keys)


def test_a_count_of_one_is_said_in_the_singular():
    """plural(key, n) says key_one for exactly one ("logrado en 1 de 1 departamento", "0 de 1 docente"), the
    plural otherwise, zero included; every literal plural() key has both forms in both languages."""
    from ui.i18n import plural

    assert plural("impl.training_bar_zero", 1, teachers="1") == "0 de 1 docente"
    assert plural("impl.training_bar_zero", 2, teachers="2") == "0 de 2 docentes"
    assert plural("territory.plural.department", 1) == "departamento"
    assert plural("territory.plural.department", 0) == plural("territory.plural.department", 11) == "departamentos"
    assert plural("impl.use_summary_one", 1, behind="0", target="20").startswith("**0 de 1** escuela ")
    used = set()
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        used |= set(re.findall(r"""\bplural\(\s*f?["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) >= 5, "the scan is broken"
    for lang in ("es", "en"):
        cat = _catalogue(lang)
        assert all(key in cat and f"{key}_one" in cat for key in used), (lang, used)
        assert cat["territory.plural.department_one"] != cat["territory.plural.department"]


def test_codes_translated_dynamically_exist():
    """Keys built at run time (flags, evidence reasons, statuses, units...) exist in both languages."""
    from analysis.compare.finish import FLAGS
    from analysis.plain_language import MISSING_REASONS
    from analysis.stats.evidence import BADGE_LEVELS

    evidence_src = (ROOT / "analysis" / "stats" / "evidence.py").read_text(encoding="utf-8")
    reasons = set(re.findall(r'cap\("\w+", "(\w+)"\)', evidence_src))
    reasons |= {"all_checks_passed", "no_estimate", "no_variation", *MISSING_REASONS}
    flags = set(FLAGS)
    assert len(reasons) >= 10 and len(flags) >= 5, "the scan is broken"
    needed = ({f"reason.{r}" for r in reasons} | {f"flag.{f}" for f in flags}
              | {f"evidence.{b}" for b in BADGE_LEVELS}
              | {f"unit.{k}" for k in ("hedges_g", "pp", "points", "cox")}
              | {f"compare.axis.{k}" for k in ("hedges_g", "pp", "points", "cox")}
              | {f"achievements.{p}.{s}" for p in ("title", "explain")
                 for s in ("achieved", "not_achieved", "not_enough")}
              | {f"verdict.{s}" for s in ("achieved", "not_achieved", "not_enough")}
              | {f"plain.reason.{r}" for r in ("wide", "no_interval", "no_variation", "low", "insufficient",
                                               "no_direction")}
              | {f"eef.{e}" for e in ("none", "low", "moderate", "high", "very_high")}
              | {f"field.{f}" for f in ("lab_type", "sex", "grade", "zone", "department", "municipality",
                                        "authority", "school", "shift", "ethnicity")})
    for lang in ("es", "en"):
        assert needed <= set(_catalogue(lang)), sorted(needed - set(_catalogue(lang)))
