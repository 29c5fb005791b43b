"""Diseño del piloto, steps 3 and 4: the random assignment (analysis.pilot.assign) previewed with a public seed
chosen first, its balance table in words, the roster and record downloads, and the pre-analysis plan."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from analysis.catalog import INDICATOR_BY_CODE
from analysis.pilot import assign as pilot_assign
from analysis.pilot import frame as pilot_frame
from analysis.pilot import plan as pilot_plan
from analysis.pilot import register as pilot_register
from ui import access, messages
from ui import format as fmt
from ui.db import cursor, db_path
from ui.i18n import current_language, number, t
from ui.loaders import TTL, _signature
from ui.pilot_power import Design
from ui.pilot_view import Frame, value_label, zone_label

STRATA_FIELDS = ("department", "municipality", "zone")
PLAN_KINDS = ("score", "index", "rate", "binary")
BALANCED, ADJUST = 0.05, 0.25  # WWC: |SMD| <= 0.05 satisfied, up to 0.25 needs statistical adjustment


def strata_labels() -> dict[str, str]:
    return {f: t(f"field.{f}").capitalize() for f in STRATA_FIELDS}


def strata_fields(chosen: list[str]) -> tuple[str, ...]:
    """The chosen strata in a fixed order (the draw never depends on the order of clicks), a municipality
    always within its department: Guatemala has municipalities of the same name in two departments (La
    Libertad, San José...), which stratifying by name alone would merge."""
    wanted = set(chosen) | ({"department"} if "municipality" in chosen else set())
    return tuple(f for f in STRATA_FIELDS if f in wanted)


def options(strata: list[str], design: Design, treated: int | None, seed: int, program: str,
            lab_type: str | None, start_year: int | None, where: str | None) -> pilot_assign.Options:
    """The draw's options: the share of step 2 unless a number of treated schools is given."""
    return pilot_assign.Options(seed=seed, strata=strata_fields(strata),
                                treated_share=None if treated else design.treated_share, treated=treated or None,
                                program=program or "MiLab", lab_type=lab_type or None, start_year=start_year,
                                where=where)


@st.cache_data(max_entries=8, show_spinner=False)
def draw(schools: pd.DataFrame, opts: pilot_assign.Options, sha256: str, file_name: str) -> pilot_assign.Assignment:
    """The core's assignment (the same frame, options and seed give the same bytes, so caching is safe)."""
    return pilot_assign.assign(schools, opts, frame_sha256=sha256, frame_file=file_name)


def run(frame: Frame, opts: pilot_assign.Options) -> pilot_assign.Assignment | None:
    """The preview, or None with the reason shown (a stratum too small, a number too large...)."""
    try:
        return draw(frame.schools, opts, frame.sha256, frame.file_name)
    except ValueError as exc:
        st.warning(t("pilot.assign.error", reason=fmt.md(str(exc))), icon=":material/warning:")
        return None


def stratum_label(stratum: str, strata: tuple[str, ...]) -> str:
    """'Quiché / rural' with the zone in words ('Quiché / Rural'); 'all' -> 'Todas las escuelas'."""
    if not strata:
        return t("pilot.assign.all_schools")
    parts = stratum.split(" / ")
    return " / ".join(zone_label(p) if f == "zone" else t("pilot.none").capitalize() if p == pilot_assign.MISSING
                      else p for f, p in zip(strata, parts, strict=False))


def strata_table(result: pilot_assign.Assignment) -> pd.DataFrame:
    """Schools, treated and comparison per stratum, headers in words."""
    strata = tuple(result.record["options"]["strata"])
    rows = [{t("pilot.col.stratum"): stratum_label(s["stratum"], strata), t("pilot.col.schools"): s["schools"],
             t("pilot.col.treated"): s["treated"], t("pilot.col.comparison"): s["schools"] - s["treated"]}
            for s in result.record["strata"]]
    return pd.DataFrame(rows)


def smd_words(smd: float) -> str:
    """A standardised difference in words, by the WWC thresholds."""
    if fmt.is_missing(smd):
        return t("pilot.balance.undefined")
    if abs(smd) <= BALANCED:
        return t("pilot.balance.ok")
    return t("pilot.balance.adjust") if abs(smd) <= ADJUST else t("pilot.balance.large")


def balance_table(result: pilot_assign.Assignment) -> pd.DataFrame:
    """Treated vs comparison: shares (%) of each category and means of numbers, the difference in words."""
    rows = []
    for r in result.balance.itertuples():
        share = r.level is not None and not fmt.is_missing(r.level)
        if r.variable == "zone":
            level = zone_label(r.level)
        elif share:
            level = value_label(r.variable, str(r.level))
        else:
            level = "—"
        scale = 100 if share else 1
        rows.append({"variable": t(f"pilot.balance.var.{r.variable}"), "level": level,
                     "treated": float(r.mean_treated) * scale, "comparison": float(r.mean_comparison) * scale,
                     "smd": float(r.smd), "verdict": smd_words(r.smd)})
    out = pd.DataFrame(rows, columns=["variable", "level", "treated", "comparison", "smd", "verdict"])
    out[["treated", "comparison", "smd"]] = out[["treated", "comparison", "smd"]].astype(float).round(3)
    return out.rename(columns=lambda c: t(f"pilot.balance.col.{c}"))


def balance_summary(result: pilot_assign.Assignment) -> str:
    smd = result.balance["smd"].abs()
    return t("pilot.balance.summary", rows=number(len(smd)), ok=number(int((smd <= BALANCED).sum())),
             adjust=number(int(((smd > BALANCED) & (smd <= ADJUST)).sum())), large=number(int((smd > ADJUST).sum())))


def record_json(result: pilot_assign.Assignment) -> bytes:
    """The assignment record as the command line writes it (`--record-out`)."""
    return (json.dumps(result.record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def can_register() -> bool:
    """Registering is an admin action (an open local install, or a signed-in admin), like an import."""
    return access.can("import")


def active_registration(program: str) -> dict | None:
    """The programme's active registered assignment (id and record), or None."""
    found = pilot_register.active(db_path(), program)
    return found[0] if found else None


def register(result: pilot_assign.Assignment) -> tuple[bool, str]:
    """Register the draw (checked again here, where it runs: the role, and no active registration of the
    programme); the sentence to show."""
    denied = access.require("import")
    if denied:
        return False, denied
    try:
        summary = pilot_register.register(db_path(), result, role=access.role(), actor=access.actor())
    except (ValueError, OSError) as exc:
        return False, t("pilot.assign.register_failed", reason=messages.reason(exc))  # in the page's language
    st.cache_data.clear()  # the database changed: every cached read is stale
    return True, t("pilot.assign.registered", id=summary["import_id"], seed=result.record["seed"])


# --- step 4: the pre-analysis plan ---------------------------------------------------------------------------

def plan_options() -> dict[str, str]:
    """Indicators of the catalogue a pilot can be judged on (with a direction), code -> name."""
    english = current_language() == "en"
    return {code: ind.label_en if english else ind.label_es for code, ind in INDICATOR_BY_CODE.items()
            if ind.kind in PLAN_KINDS and ind.higher_is_better is not None and ind.domain != "context"}


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _observed(signature: tuple[int, int] | None, code: str, country: str) -> dict:
    with cursor() as cur:
        return pilot_frame.observed_values(cur, code, country)


def observed_values(codes: list[str], record: dict) -> dict[str, dict]:
    """ICC, R², SD and mean observed in the database per indicator (read now, in the page run: the plan
    itself is built on click, outside it)."""
    return {code: _observed(_signature(), code, record.get("country") or "GT") for code in codes}


def indicator_powers(codes: list[str], record: dict, design: Design,
                     seen_by_code: dict[str, dict]) -> list[pilot_plan.IndicatorPower]:
    """Each indicator's MDES for the drawn schools: students, α and power of step 2; ICC and R² observed in
    the database for that indicator (else the defaults), as `python -m analysis pilot plan` does."""
    powers = []
    for code in codes:
        seen = seen_by_code.get(code, {})
        base = seen.get("mean") if INDICATOR_BY_CODE[code].kind == "binary" else None
        base = base if base is not None and 0 < base < 1 else None
        powers.append(pilot_plan.indicator_power(
            code, record, students=design.students, icc=seen.get("icc"), icc_source=seen.get("icc_from"),
            sd_from=seen.get("sd_from"),
            r2_students=seen.get("r2_students", 0.0), r2_schools=seen.get("r2_schools", 0.0), alpha=design.alpha,
            power=design.power, sd=None if base is not None else seen.get("sd"), base_rate=base))
    return powers


def plan_text(codes: list[str], record: dict, design: Design, seen: dict[str, dict], kind: str, lang: str) -> str:
    """The plan in the page's language, 'md' or 'html'."""
    return pilot_plan.render(record, indicator_powers(codes, record, design, seen), kind, (lang,))
