"""Diseño del piloto, step 1: the sampling frame (database schools or an uploaded MINEDUC directory),
its URL-bound filters, counts per department and municipality, and the chart of schools per department."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis import figures
from analysis.pilot import frame as pilot_frame
from analysis.pilot.assign import MISSING
from ui import format as fmt
from ui.charts import Chart, lang, show
from ui.db import cursor, db_path
from ui.filters import pick_many
from ui.i18n import catalogue, current_language, number, t
from ui.loaders import TTL, _signature, sql
from ui.pilot_inputs import choice
from ui.tables import table

UPLOAD_LIMIT_MB = 50
# Okabe–Ito, never the programme colours (MiLab is orange): bluish green for rural, sky blue for urban
ZONE_COLORS = {"rural": "#009E73", "urban": "#56B4E9", "none": "#999999"}


@dataclass
class Frame:
    """The eligible schools after the filters, and what the assignment record says about them."""

    schools: pd.DataFrame
    source: str  # "db_GT" | "db_CO" | "file"
    file_name: str
    sha256: str
    where: str | None

    @property
    def country(self) -> str:
        return self.source[3:] if self.source.startswith("db_") else "GT"


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _db_frame(signature: tuple[int, int] | None, country: str) -> pd.DataFrame:
    with cursor() as cur:
        return pilot_frame.frame_from_db(cur, country=country)


@st.cache_data(max_entries=2, show_spinner=False)
def _file_frame(digest: str, name: str, _data: bytes) -> pd.DataFrame:
    """A MINEDUC directory read from an upload (kept in memory, in a temporary file while it is parsed)."""
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"directory{suffix}"
        path.write_bytes(_data)
        return pilot_frame.frame_from_directory(path)


def db_countries() -> list[str]:
    """Countries with schools in the database (Guatemala first: MiLab's pilot)."""
    found = set(sql("SELECT DISTINCT country FROM units WHERE unit_type = 'school'")["country"])
    return [c for c in ("GT", "CO") if c in found]


def source_labels() -> dict[str, str]:
    labels = {f"db_{c}": t("pilot.source.db", country=fmt.country(c)) for c in db_countries()}
    labels["file"] = t("pilot.source.file")
    return labels


def load(source: str) -> tuple[pd.DataFrame | None, str, str | None]:
    """(schools, file name, sha256) of the chosen source; (None, '', None) while no file is uploaded."""
    if source.startswith("db_"):
        schools = _db_frame(_signature(), source[3:])
        return schools, t("pilot.source.db_file", file=db_path().name), None
    st.caption(t("pilot.upload_help", limit=UPLOAD_LIMIT_MB))
    upload = st.file_uploader(t("pilot.upload_label"), type=["csv", "txt", "xlsx"], key="pilot-frame-upload",
                              max_upload_size=UPLOAD_LIMIT_MB)
    if upload is None:
        return None, "", None
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        return _file_frame(digest, upload.name, data), upload.name, digest
    except ValueError as exc:
        st.error(t("pilot.upload_error", reason=fmt.md(str(exc))))  # it may quote the file's own text
        return None, "", None


def value_label(field: str, value: str) -> str:
    """A directory category in words ('oficial' -> 'Oficial (público)'; no value -> 'Sin dato'); unknown values
    as written."""
    if value == MISSING:
        return t("pilot.none").capitalize()
    key = f"pilot.value.{field}.{value.replace(' ', '_')}"
    return catalogue(current_language()).get(key) or value[:1].upper() + value[1:]


def zone_label(value: object) -> str:
    return t(f"zone.{value}").capitalize() if value in ("rural", "urban") else t("pilot.none")


def filters(schools: pd.DataFrame) -> dict[str, list[str]]:
    """The URL-bound filters; returns the conditions for `analysis.pilot.frame.apply_where`."""
    where: dict[str, list[str]] = {}
    c1, c2 = st.columns(2)
    departments = sorted(schools["department"].dropna().unique())
    chosen = pick_many("pilot.filter.department", departments, key="departamento", container=c1,
                       placeholder_key="pilot.filter.all_departments")
    if chosen:
        where["department"] = chosen
    pool = schools[schools["department"].isin(chosen)] if chosen else schools
    munis = pool.dropna(subset=["municipality"]).drop_duplicates("municipality_code")
    names = {f"{m} ({d})": code for m, d, code in sorted(zip(munis["municipality"], munis["department"],
                                                              munis["municipality_code"], strict=True))}
    picked = pick_many("pilot.filter.municipality", list(names), key="municipio", container=c2,
                       placeholder_key="pilot.filter.all_municipalities")
    if picked:
        where["municipality"] = [names[p] for p in picked]
    specs = [("zone", "zona", {z: zone_label(z) for z in ("rural", "urban") if (schools["zone"] == z).any()})]
    for field, key in (("sector", "sector"), ("level", "nivel"), ("status", "estado")):
        values = sorted(schools[field].dropna().unique()) if field in schools else []
        specs.append((field, key, {v: value_label(field, v) for v in values}))
    specs = [s for s in specs if len(s[2]) >= 2]
    for i, (field, key, labels) in enumerate(specs):
        if i % 2 == 0:
            row = st.columns(2)
        value = choice(t(f"pilot.filter.{field}"), labels, key=key, container=row[i % 2],
                       placeholder=t(f"pilot.filter.all_{field}"))
        if value:
            where[field] = [value]
    return where


def where_text(where: dict[str, list[str]]) -> str | None:
    """The filters as `--where` text (recorded with the assignment), e.g. 'department=Quiché,zone=rural'."""
    return ",".join(f"{k}={'|'.join(v)}" for k, v in where.items()) or None


def apply(schools: pd.DataFrame, where: dict[str, list[str]]) -> pd.DataFrame | None:
    """The schools matching every filter, or None (with a message) when none does."""
    try:
        return pilot_frame.apply_where(schools, where)
    except ValueError:
        st.info(t("pilot.frame_empty"), icon=":material/filter_alt_off:")
        return None


def counts(schools: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Schools, rural and urban per group, largest first, headers in words."""
    data = schools.assign(rural=schools["zone"].eq("rural"), urban=schools["zone"].eq("urban"))
    out = (data.groupby(by, dropna=False).agg(schools=("unit_code", "size"), rural=("rural", "sum"),
                                              urban=("urban", "sum")).reset_index())
    out = out.sort_values(["schools", *by], ascending=[False] + [True] * len(by), kind="stable")
    names = {"department": t("col.department"), "municipality": t("col.municipality"),
             "schools": t("pilot.col.schools"), "rural": t("pilot.col.rural"), "urban": t("pilot.col.urban")}
    return out.astype({c: int for c in ("schools", "rural", "urban")}).rename(columns=names)


def school_list(schools: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """The drawn roster with each school's name and place, programme schools first, headers in words."""
    names = schools.set_index("unit_code")[["name", "department", "municipality", "zone"]]
    out = roster[["unit_code", "program"]].join(names, on="unit_code")
    out = out.assign(_last=out["program"].eq("comparison")).sort_values(["_last", "unit_code"], kind="stable")
    out["zone"] = out["zone"].map(zone_label)
    out["program"] = out["program"].map(fmt.programme)
    columns = {"unit_code": t("pilot.col.code"), "name": t("pilot.col.name"), "department": t("col.department"),
               "municipality": t("col.municipality"), "zone": t("col.zone"), "program": t("pilot.col.group")}
    return out[list(columns)].rename(columns=columns)


def summary(schools: pd.DataFrame) -> str:
    rural = int(schools["zone"].eq("rural").sum())
    return t("pilot.frame_summary", schools=number(len(schools)), departments=number(schools["department"].nunique()),
             municipalities=number(schools["municipality_code"].nunique()), rural=number(rural),
             share=number(100 * rural / len(schools)))


def department_chart(schools: pd.DataFrame) -> Chart:
    """Horizontal bars: schools per department, rural and urban stacked (largest department on top)."""
    table = counts(schools, ["department"])
    dept, total = table.columns[0], table.columns[1]
    ordered = table.iloc[::-1]
    fig = go.Figure()
    for zone, column in (("rural", table.columns[2]), ("urban", table.columns[3])):
        fig.add_trace(go.Bar(y=ordered[dept], x=ordered[column], orientation="h", name=zone_label(zone),
                             marker={"color": ZONE_COLORS[zone]},
                             hovertemplate="%{y}: %{x} " + zone_label(zone).lower() + "<extra></extra>"))
    figures.style(fig, lang(), height=max(260, 110 + 24 * len(table)))
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"}, yaxis={"automargin": True},
                      margin={"t": 50},
                      xaxis={"title": {"text": t("pilot.col.schools")}, "tickformat": ",d",
                             "dtick": 1 if int(table[total].max()) <= 8 else None})
    top = table.iloc[0]
    text = t("pilot.chart.departments_summary", departments=number(len(table)), top=top[dept],
             n=number(int(top[total])), total=number(len(schools)))
    return Chart(fig, alt=t("pilot.chart.departments_alt", departments=number(len(table))), summary=text,
                 table=table)


def frame_step() -> Frame | None:
    """Step 1 drawn: source, filters, summary, chart and counts; the eligible schools or None."""
    sources = source_labels()
    source = choice(t("pilot.source"), sources, key="fuente", default=next(iter(sources)), radio=True)
    schools, file_name, sha256 = load(source)
    if schools is None:
        return None
    where = filters(schools)
    eligible = apply(schools, where)
    if eligible is None:
        return None
    st.markdown(summary(eligible))
    show(department_chart(eligible), key="pilot-departments")
    st.markdown(f"**{t('pilot.counts_title')}**")
    table(counts(eligible, ["department", "municipality"]))
    return Frame(eligible, source, file_name, sha256 or pilot_frame.frame_digest(eligible), where_text(where))
