"""Words the analysis says once, under the keys the pages ask for (``t()`` of ui/i18n.py reads them here).

Some texts are needed both by the command line, the evidence pack or the importer's summary and by the pages. They
are written once, in the analysis catalogue that owns them, and are not in ui/locales:

- ``level.*`` and ``wave.*``: a school level and a measurement wave (analysis/import_text.py ``WORDS``);
- ``kind.*`` and ``measure.*``: an indicator's kind and unit (analysis/catalog.py ``KIND_WORDS``, ``UNIT_WORDS``;
  also read by the pre-analysis plan);
- ``impl.cost_*``: why a cost file cannot be used (analysis/cli_text.py ``COST``), with a capital first letter as a
  sentence on the Implementación page;
- ``data.demo_source``: the demo import's description, and the import history's column names (``col.import_id``,
  ``col.source_name``, …) and statuses (``import.status.*``) (analysis/cli_text.py ``IMPORTS``, ``IMPORT_STATUS``);
- ``col.row_number``, ``col.column_name``, ``col.raw_value``, ``col.reason``: the columns of an import's rejects
  (analysis/reasons.py, the rejects report's), capitalised as headers;
- ``verdict.<status>``: the verdict words of a result or a territory (analysis/plain_language.py ``VERDICTS``), shared
  by Logros, Regiones and the evidence pack's brief;
- ``plain.pretrend``: what a significant pre-trend check means, after a finding's sentence (analysis/plain_language.py
  ``PRETREND``), shared by Logros and the evidence pack's brief;
- ``evidence.badge`` and ``evidence.<level>``: the design-strength badge (analysis/plain_language.py
  ``DESIGN_STRENGTH``), on the pages and on every finding of the brief;
- ``rel.*``, ``reason.*``, ``flag.*``, ``unit.*``: the words of compare()'s coded values (a reliability, a design
  check, a context flag, an effect unit; analysis/code_words.py), also said by ``compare --format table``;
- ``col.<column>``: the short name of each compare() output column (analysis/compare/columns.py ``LABELS``, the
  column registry).

tests/app/test_i18n.py checks that no key of ui/locales repeats one of these.
"""

from __future__ import annotations

from analysis import catalog, cli_text, code_words, import_text, plain_language, reasons
from analysis.compare.columns import LABELS


def _sentence(key: str, text: str) -> str:
    return text if key == "cost_where" else text[:1].upper() + text[1:]


def words(lang: str) -> dict[str, str]:
    """Every key -> text the analysis supplies to the pages, in ``lang`` ("es" or "en")."""
    out = dict(import_text.WORDS[lang])
    out |= {f"kind.{kind}": text for kind, text in catalog.KIND_WORDS[lang].items()}
    out |= {f"measure.{unit}": text for unit, text in catalog.UNIT_WORDS[lang].items()}
    out |= {f"impl.{key}": _sentence(key, text) for key, text in cli_text.COST[lang].items()}
    out["data.demo_source"] = cli_text.TEXTS[lang]["demo_source"]
    out |= {f"col.{column}": _sentence(column, text) for column, text in cli_text.IMPORTS[lang].items()}
    out |= {f"import.status.{status}": text for status, text in cli_text.IMPORT_STATUS[lang].items()}
    out |= {key: _sentence(key, text) for key, text in reasons.TEXTS[lang].items() if key.startswith("col.")}
    out |= {f"col.{name}": label[lang == "en"] for name, label in LABELS.items()}
    out |= {f"verdict.{status}": text for status, text in plain_language.VERDICTS[lang].items()}
    out |= code_words.WORDS[lang]
    out["plain.pretrend"] = plain_language.PRETREND[lang]
    out |= {f"evidence.{key}": text for key, text in plain_language.DESIGN_STRENGTH[lang].items()}
    return out
