"""Logros y pendientes: every programme x indicator result (DiD) put in words and sorted by status; where the
programme has a randomised trial of the indicator, the trial's result is said beside it (:func:`trial_line`)."""

from __future__ import annotations

import pandas as pd

from analysis import plain_language
from analysis.periods import programme_order
from ui import format as fmt
from ui import territory_verdicts
from ui.i18n import catalogue, current_language, t
from ui.loaders import Outcome, indicators, programme_results, trial_results

DOMAINS = ("learning", "motivation", "retention")


def indicator_list() -> list[str]:
    """Scores, indices and rates with a direction (higher or lower is better): the things to achieve."""
    frame = indicators()
    keep = frame[frame["domain"].isin(DOMAINS) & frame["kind"].isin(["score", "index", "rate"])
                 & frame["higher_is_better"].notna()]
    order = {d: i for i, d in enumerate(DOMAINS)}
    keep = keep.assign(_o=keep["domain"].map(order)).sort_values(["_o", "code"])
    return list(keep["code"])


def trial_rows(code: str) -> dict[tuple[str, str], dict]:
    """(programme, country) -> the randomised trial's row of ``code`` (compare(design="rct")); {} without a trial."""
    frame = trial_results(code)
    if frame is None:
        return {}
    rows = frame[frame["program"] != "comparison"]
    return {(r["program"], r["country"]): r for r in rows.to_dict("records")}


def trial_line(row: dict, code: str, did_windows: tuple[str, str] | None = None) -> str:
    """The trial's result in one Markdown line, labelled as the trial, with its verdict (the rules of Logros) and its
    design strength, and why it can differ from the DiD shown beside it (another cohort, other years)."""
    hib = indicators().set_index("code").loc[code, "higher_is_better"] if code in set(indicators()["code"]) else None
    hib = None if fmt.is_missing(hib) else bool(hib)
    f = plain_language.finding(row, code, hib)
    d = fmt.decimals_for(f.kind)
    pre, post = fmt.window(row.get("pre_window")), fmt.window(row.get("post_window"))
    line = t("achievements.trial", pre=pre, post=post, effect=fmt.signed(f.effect, d), unit=fmt.unit(f.kind),
             ci=t("fmt.ci95", interval=fmt.interval(f.low, f.high, d)), verdict=t(f"verdict.{f.status}"),
             strength=t("evidence.badge", level=fmt.evidence_text(row.get("evidence"))))
    if did_windows and all(did_windows) and (pre, post) != tuple(did_windows):
        line += " " + t("achievements.trial_differs", trial=f"{pre} → {post}",
                         did=f"{did_windows[0]} → {did_windows[1]}")
    return line


STATUSES = ("achieved", "not_achieved", "not_enough")


def counts(items: list[dict]) -> dict[str, int]:
    """How many findings have each status (the Logros page's counts, also shown on Inicio)."""
    return {s: sum(1 for i in items if i["finding"].status == s) for s in STATUSES}


def counts_text(items: list[dict]) -> str:
    """'Logrado: 5 · No logrado: 0 · Evidencia aún insuficiente: 9' in the page's language."""
    return " · ".join(f"{t(f'verdict.{s}')}: {n}" for s, n in counts(items).items())


def findings(program: str | None = None) -> tuple[list[dict], list[str], int]:
    """(items, compare errors, failures): one item per programme x indicator with its sentence."""
    info = indicators().set_index("code")
    lang = current_language()
    templates = {**catalogue("es"), **catalogue(lang)} if lang != "es" else catalogue("es")
    items, errors, failed = [], [], 0
    for code in indicator_list():
        outcome = programme_results(code, "did")
        errors += outcome.errors
        failed += outcome.failed
        if not outcome.ok:
            continue
        frame = outcome.frame[outcome.frame["program"] != "comparison"]
        if program:
            frame = frame[frame["program"] == program]
        hib = info.loc[code, "higher_is_better"]
        hib = None if fmt.is_missing(hib) else bool(hib)
        label = fmt.indicator_label(code, indicators())
        trials = trial_rows(code)
        for row in frame.to_dict("records"):
            f = plain_language.finding(row, code, hib)
            names = {"program": f"{row['program']} ({fmt.country(row['country'])})", "indicator": label}
            items.append({
                "finding": f, "program": row["program"], "country": row["country"], "indicator": code,
                "domain": info.loc[code, "domain"],
                "sentence": plain_language.sentence(f, templates, fmt.minus, names),
                # for st.markdown: the template's own emphasis kept, the names from the data escaped
                "sentence_md": plain_language.sentence(f, templates, fmt.minus,
                                                       {k: fmt.md(v) for k, v in names.items()}),
                "evidence": row.get("evidence"), "reasons": row.get("evidence_reasons"),
                "flags": row.get("flags"), "reliability": row.get("reliability"),
                "windows": (fmt.window(row.get("pre_window")), fmt.window(row.get("post_window"))),
            })
            trial = trials.get((row["program"], row["country"]))
            items[-1]["trial"] = trial_line(trial, code, items[-1]["windows"]) if trial else None
    order = {p: i for i, p in enumerate(programme_order(i["program"] for i in items))}
    items.sort(key=lambda i: (order.get(i["program"], 99), DOMAINS.index(i["domain"]), i["indicator"]))
    return items, list(dict.fromkeys(errors)), failed


def table(items: list[dict]) -> pd.DataFrame:
    """The numbers behind the sentences (for the expander and the tests)."""
    rows = []
    for i in items:
        f = i["finding"]
        rows.append({"status": t(f"verdict.{f.status}"), "program": i["program"],
                     "country": fmt.country(i["country"]), "indicator": i["indicator"], "effect_size": f.effect,
                     "es_ci_low": f.low, "es_ci_high": f.high, "effect_size_kind": fmt.unit(f.kind),
                     "months_progress": f.months, "evidence": fmt.evidence_text(i["evidence"]),
                     "reliability": fmt.reliability(i["reliability"]) or t("rel.ok"),
                     "sentence": i["sentence"]})
    return pd.DataFrame(rows).rename(columns=lambda c: t(f"col.{c}"))


def where_lines(items: list[dict], program: str | None = None, level: str = "department") -> list[str]:
    """'Where did it work?': for each indicator of ``items``, the per-territory verdict of every programme
    (each by its own estimate, :mod:`ui.territory_verdicts`), one Markdown line per programme x indicator."""
    lines = []
    for code in dict.fromkeys(i["indicator"] for i in items):
        outcome = programme_results(code, "did", level)
        label = fmt.md(fmt.indicator_label(code, indicators()))
        if not outcome.ok:
            lines.append(f"{label}: {t('achievements.where_none')}")
            continue
        frame = outcome.frame[outcome.frame["program"] != "comparison"]
        if program:
            frame = frame[frame["program"] == program]
        table = territory_verdicts.build(code, level, "did", Outcome(frame, outcome.errors, outcome.failed), program)
        found = territory_verdicts.summary_lines(table, level) if table is not None and not table.empty else []
        lines += [t("achievements.where_line", indicator=label, verdict=line) for line in found] or \
            [f"{label}: {t('achievements.where_none')}"]
    return lines
