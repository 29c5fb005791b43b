"""The sampling frame (schools eligible for the pilot) and design values observed in the database.

This is the only module of `analysis.pilot` that opens the database (`open_db`) or borrows the importer's
normalisation (department, municipality and zone as an import would store them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis.catalog import INDICATOR_BY_CODE
from analysis.db.connect import open_db
from analysis.importer.normalise import GT_SCHOOL, fold_name, unit_rows, zone_code

FRAME_COLUMNS = ["country", "unit_type", "unit_code", "name", "department", "department_code", "municipality",
                 "municipality_code", "zone", "sector", "level", "status"]
# directory columns (folded) kept as frame columns; any numeric enrolment column is kept as `enrolment`
_DIRECTORY = {"codigo": "unit_code", "establecimiento": "name", "departamento": "department",
              "municipio": "municipality", "area": "zone", "sector": "sector", "nivel": "level", "status": "status"}
_ENROLMENT = ("matricula", "inscritos", "alumnos", "estudiantes", "enrolment", "enrollment")


def connect(db: str | Path | None) -> duckdb.DuckDBPyConnection:
    """The published database, read-only."""
    return open_db(db)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (the frame file named in the assignment record)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_text_table(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(path, dtype=str, sep=None, engine="python", encoding=encoding,
                               keep_default_na=False, skip_blank_lines=True)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path}: cannot read the file as UTF-8 or Windows-1252 text")


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a frame's canonical CSV (UTF-8, '\\n'): the identity of a frame read from the database."""
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def frame_from_directory(path: str | Path) -> pd.DataFrame:
    """Schools of a MINEDUC directory file (`establecimientos.csv` layout: CODIGO DD-MM-NNNN-NN,
    DEPARTAMENTO, MUNICIPIO, AREA, SECTOR, NIVEL, STATUS ...), one row per school code, sorted by code.

    Department, municipality and zone are normalised as the importer stores them in `units`.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"frame file {path} does not exist")
    raw = _read_text_table(path) if path.suffix.lower() != ".xlsx" else pd.read_excel(path, dtype=str)
    folded = {fold_name(c).replace(" ", "_"): c for c in raw.columns}
    if "codigo" not in folded or "departamento" not in folded:
        raise ValueError(f"{path.name}: not a MINEDUC school directory (needs CODIGO and DEPARTAMENTO columns; "
                         f"found {', '.join(map(str, raw.columns[:8]))})")
    frame = pd.DataFrame({new: raw[folded[old]].astype(str).str.strip() if old in folded else None
                          for old, new in _DIRECTORY.items()})
    enrol = next((folded[k] for k in folded if k.startswith(_ENROLMENT)), None)
    if enrol is not None:
        frame["enrolment"] = pd.to_numeric(raw[enrol].str.replace(r"[\s.,](?=\d{3}\b)", "", regex=True),
                                           errors="coerce")
    frame = frame[frame["unit_code"].str.upper().str.match(GT_SCHOOL.pattern)].copy()
    frame["unit_code"] = frame["unit_code"].str.upper()
    frame = frame.sort_values("unit_code", kind="stable").drop_duplicates("unit_code", keep="first")
    units = [unit_rows(c, "GT", "school", name=n, department=d, municipality=m, zone=zone_code(z))[0]
             for c, n, d, m, z in zip(frame["unit_code"], frame["name"], frame["department"],
                                      frame["municipality"], frame["zone"], strict=True)]
    frame["department"] = [u["department"] for u in units]
    frame["municipality"] = [u["municipality"] for u in units]
    frame["zone"] = [u["zone"] for u in units]
    frame["municipality_code"] = [u["parent_id"].split("-", 1)[1] if u["parent_id"] else None for u in units]
    frame["department_code"] = frame["municipality_code"].str[:2]
    frame["country"], frame["unit_type"] = "GT", "school"
    for col in ("sector", "level", "status"):
        frame[col] = frame[col].str.lower().replace("", None)
    extra = [c for c in frame.columns if c not in FRAME_COLUMNS]
    return frame[FRAME_COLUMNS + extra].reset_index(drop=True)


def frame_from_db(con: duckdb.DuckDBPyConnection, country: str = "GT", baseline: str | None = None) -> pd.DataFrame:
    """Schools of the database's `units` table (with their directory attributes sector, level/nivel, status),
    the students observed per school and, with ``baseline`` (an indicator code), its school mean in the
    school's first year and wave with data. Sorted by code."""
    units = con.execute(
        "SELECT country, unit_type, code AS unit_code, name, department, municipality, "
        "split_part(parent_id, '-', 2) || CASE WHEN country = 'GT' THEN '-' || split_part(parent_id, '-', 3) "
        "ELSE '' END AS municipality_code, zone, unit_id FROM units "
        "WHERE unit_type = 'school' AND country = ? ORDER BY code", [country]).df()
    if units.empty:
        raise ValueError(f"the database has no schools of country {country}: import the school directory first")
    units["department_code"] = units["municipality_code"].str[:2]
    attrs = con.execute("SELECT unit_id, lower(name) AS name, lower(value) AS value FROM unit_attributes "
                        "WHERE name IN ('sector', 'nivel', 'level', 'status')").df()
    attrs["name"] = attrs["name"].replace({"nivel": "level"})
    wide = attrs.drop_duplicates(["unit_id", "name"]).pivot(index="unit_id", columns="name", values="value")
    units = units.merge(wide, how="left", left_on="unit_id", right_index=True)
    for col in ("sector", "level", "status"):
        if col not in units:
            units[col] = None
    counts = con.execute("SELECT unit_id, count(DISTINCT student_key) AS students_observed FROM observations "
                         "WHERE student_key IS NOT NULL GROUP BY unit_id").df()
    units = units.merge(counts, how="left", on="unit_id")
    units["students_observed"] = units["students_observed"].fillna(0).astype(int)
    if baseline:
        base = con.execute(
            "WITH cells AS (SELECT unit_id, year, wave, avg(value) AS mean, "
            "row_number() OVER (PARTITION BY unit_id ORDER BY year, wave) AS k FROM observations "
            "WHERE indicator = ? AND level = 'all' GROUP BY unit_id, year, wave) "
            "SELECT unit_id, mean AS baseline FROM cells WHERE k = 1", [baseline]).df()
        units = units.merge(base, how="left", on="unit_id")
    extra = [c for c in units.columns if c not in FRAME_COLUMNS and c != "unit_id"]
    return units[FRAME_COLUMNS + extra].sort_values("unit_code", kind="stable").reset_index(drop=True)


def parse_where(text: str | None) -> dict[str, list[str]]:
    """'zone=rural,department=Quiché|Sololá' -> {'zone': ['rural'], 'department': ['Quiché', 'Sololá']}."""
    if not text:
        return {}
    out: dict[str, list[str]] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"--where: '{part.strip()}' is not FIELD=VALUE (e.g. zone=rural,department=Quiché)")
        key, value = (s.strip() for s in part.split("=", 1))
        out.setdefault(key.lower(), []).extend(v.strip() for v in value.split("|") if v.strip())
    return out


def apply_where(frame: pd.DataFrame, where: dict[str, list[str]] | str | None) -> pd.DataFrame:
    """Keep the schools matching every condition: values compared accent- and case-insensitively;
    department and municipality also by code ('14', '14-01'); zone also in Spanish ('rural', 'urbana')."""
    conditions = parse_where(where) if isinstance(where, str) or where is None else where
    keep = np.ones(len(frame), dtype=bool)
    for key, values in conditions.items():
        if key not in frame.columns:
            fields = ", ".join(c for c in frame.columns if frame[c].dtype == object)
            raise ValueError(f"--where: the frame has no field '{key}' (fields: {fields})")
        wanted = {fold_name(v) for v in values} | {fold_name(zone_code(v)) for v in values if zone_code(v)}
        match = frame[key].map(lambda x: fold_name(x) if isinstance(x, str) else "").isin(wanted).to_numpy().copy()
        if key in ("department", "municipality"):
            codes = frame[f"{key}_code"].fillna("")
            match = match | codes.isin(values).to_numpy() | codes.isin([v.zfill(2) for v in values]).to_numpy()
        if not match.any():
            seen = sorted({str(x) for x in frame.loc[keep, key].dropna()})[:12]
            raise ValueError(f"--where: no school has {key} = {'|'.join(values)} "
                             f"(values present: {', '.join(seen) or 'none'})")
        keep &= match
    return frame[keep].reset_index(drop=True)


# --- design values observed in the database -------------------------------------------------------------

def _describe(country: str, indicator: str, schools: int, students: int, years: str) -> str:
    label = INDICATOR_BY_CODE[indicator].label_en if indicator in INDICATOR_BY_CODE else indicator
    place = {"CO": "Colombia", "GT": "Guatemala"}.get(country, country)
    return (f"{label} ({indicator}) in {place}: {students:,} students in {schools:,} schools, {years}, "
            "from the LabLens database")


# Which rows a design value may come from: a pre-analysis plan never looks at outcomes measured after a treatment
# began (METHODS.md "Pilot design: design values from before any treatment"). In order of preference: baseline
# waves, years before the country's first programme start, comparison schools.
PRE_WAVES = ("baseline", "pre")
POST_WAVES = ("endline", "post")
BASES = ("baseline", "before_start", "comparison")
_PROGRAMME = "SELECT unit_id FROM assignments WHERE program <> 'comparison'"
_UNTREATED = {
    "baseline": "coalesce(o.wave, '') IN ('baseline', 'pre')",
    # every school untreated: a year before the country's first programme start (schools whose programme has
    # no start year recorded are left out: their start is unknown), and not an after-treatment wave
    "before_start": "coalesce(o.wave, '') NOT IN ('endline', 'post') AND o.year < (SELECT min(a.start_year) "
                    "FROM assignments a JOIN units v USING (unit_id) WHERE a.program <> 'comparison' "
                    "AND v.country = u.country) AND o.unit_id NOT IN (SELECT unit_id FROM assignments "
                    "WHERE program <> 'comparison' AND start_year IS NULL)",
    "comparison": f"o.unit_id NOT IN ({_PROGRAMME})",
}


def has_assignments(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database has the programme table (`assignments`): without it no row is known untreated
    but a baseline wave's."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'assignments'").fetchone()[0])


def observed_icc(con: duckdb.DuckDBPyConnection, indicator: str, basis: str | None = None) -> pd.DataFrame:
    """The ICC of a student-level indicator across schools, per country, year and wave: the one-way ANOVA
    estimator (Donner 1986) (MSB - MSW) / (MSB + (n0 - 1) MSW), n0 = (N - sum n_i²/N) / (k - 1).

    Rows of `observations` with a `student_key`, level 'all'; one row per country x year x wave with at
    least two schools, with `source` saying where the value comes from. ``basis`` (one of `BASES`) keeps
    only rows measured before any treatment of that kind (None: every row, for the listing of `pilot icc`)."""
    where = f" AND {_UNTREATED[basis]}" if basis else ""
    cells = con.execute(
        "SELECT u.country, o.year, coalesce(o.wave, '') AS wave, o.unit_id, count(*) AS n, avg(o.value) AS mean, "
        "coalesce(var_pop(o.value), 0) * count(*) AS ss FROM observations o JOIN units u USING (unit_id) "
        f"WHERE o.indicator = ? AND o.student_key IS NOT NULL AND o.level = 'all'{where} "
        "GROUP BY ALL ORDER BY ALL", [indicator]).df()
    rows = []
    for (country, year, wave), g in cells.groupby(["country", "year", "wave"], sort=True):
        k, n = len(g), g["n"].to_numpy(float)
        total = n.sum()
        if k < 2 or total - k < 1:
            continue
        grand = float((n * g["mean"]).sum() / total)
        msb = float((n * (g["mean"] - grand) ** 2).sum() / (k - 1))
        msw = float(g["ss"].sum() / (total - k))
        n0 = (total - (n ** 2).sum() / total) / (k - 1)
        icc = (msb - msw) / (msb + (n0 - 1) * msw) if msb + (n0 - 1) * msw > 0 else float("nan")
        sd = float(np.sqrt((g["ss"].sum() + (n * (g["mean"] - grand) ** 2).sum()) / (total - 1)))
        label = f"year {int(year)}" + (f", wave {wave}" if wave else "")
        rows.append({"country": country, "indicator": indicator, "year": int(year), "wave": wave or None,
                     "icc": icc, "schools": k, "students": int(total), "mean_students_per_school": total / k,
                     "mean": grand, "sd": sd,
                     "msb": msb, "msw": msw, "n0": n0,
                     "source": _describe(country, indicator, k, int(total), label)
                     + "; one-way ANOVA estimator (Donner 1986)"})
    return pd.DataFrame(rows, columns=["country", "indicator", "year", "wave", "icc", "schools", "students",
                                       "mean_students_per_school", "mean", "sd", "msb", "msw", "n0", "source"])


def observed_school_rates(con: duckdb.DuckDBPyConnection, indicator: str, untreated: bool = False) -> pd.DataFrame:
    """Mean and SD across schools of a yearly school rate (rows without `student_key`), per country and year:
    the SD that turns a school-level MDES into percentage points. ``untreated``: only schools never in a
    programme and years before the country's first programme start."""
    keep = f" AND (o.unit_id NOT IN ({_PROGRAMME}) OR ({_UNTREATED['before_start']}))" if untreated else ""
    rows = con.execute(
        "SELECT u.country, o.year, count(*) AS schools, avg(o.value) AS mean, stddev_samp(o.value) AS sd "
        "FROM observations o JOIN units u USING (unit_id) WHERE o.indicator = ? AND o.student_key IS NULL "
        f"AND o.level = 'all' AND u.unit_type = 'school'{keep} GROUP BY ALL HAVING count(*) >= 2 ORDER BY ALL",
        [indicator]).df()
    rows["indicator"] = indicator
    rows["source"] = [_describe(c, indicator, int(k), 0, f"year {int(y)}").replace(": 0 students in", ":")
                      + "; school rates" for c, y, k in zip(rows["country"], rows["year"], rows["schools"],
                                                              strict=True)]
    return rows[["country", "indicator", "year", "schools", "mean", "sd", "source"]]


def prepost_correlation(con: duckdb.DuckDBPyConnection, indicator: str, untreated: bool = False) -> pd.DataFrame:
    """Pre/post correlation of linked students (same `student_key` and school in a year x wave cell of a country
    and the next cell where those students are seen again): the total correlation r, and the R² a baseline
    explains within schools (r2_students, the squared pooled within-school correlation) and between schools
    (r2_schools, the squared correlation of school means): the R²₁ and R²₂ of the power formulas.
    ``untreated``: only rows of schools never in a programme or of years before the country's first programme
    start (no treated outcome in either wave)."""
    keep = (f" AND (o.unit_id NOT IN ({_PROGRAMME}) OR ({_UNTREATED['before_start']}))" if untreated else "")
    pairs = con.execute(
        "WITH s AS (SELECT u.country, o.year, coalesce(o.wave, '') AS wave, o.unit_id, o.student_key, "
        "avg(o.value) AS value FROM observations o JOIN units u USING (unit_id) "
        f"WHERE o.indicator = ? AND o.student_key IS NOT NULL AND o.level = 'all'{keep} GROUP BY ALL), "
        # every later cell the same student is seen in (same school); each cell is paired with the next one
        # holding linked students (two cohorts measured in the same years, e.g. a programme cohort's 2025 post
        # and a trial's 2025 baseline, are two pairs, not one broken chain)
        "l AS (SELECT a.country, a.year, a.wave, b.year AS year2, b.wave AS wave2, a.unit_id, a.value AS x, "
        "      b.value AS y FROM s a JOIN s b ON b.country = a.country AND b.student_key = a.student_key "
        "      AND b.unit_id = a.unit_id AND (b.year > a.year OR b.year = a.year AND b.wave > a.wave)), "
        "n AS (SELECT country, year, wave, year2, wave2 FROM (SELECT DISTINCT country, year, wave, year2, wave2 "
        "      FROM l) QUALIFY row_number() OVER (PARTITION BY country, year, wave ORDER BY year2, wave2) = 1) "
        "SELECT l.country, l.year, l.wave, l.year2, l.wave2, l.unit_id, l.x, l.y "
        "FROM l JOIN n USING (country, year, wave, year2, wave2) ORDER BY ALL", [indicator]).df()
    rows = []
    for key, g in pairs.groupby(["country", "year", "wave", "year2", "wave2"], sort=True):
        if len(g) < 3 or g["unit_id"].nunique() < 3:
            continue
        country, y1, w1, y2, w2 = key
        r = float(np.corrcoef(g["x"], g["y"])[0, 1])
        means = g.groupby("unit_id")[["x", "y"]].mean()
        dev = g[["x", "y"]] - means.loc[g["unit_id"]].to_numpy()
        within = float(np.corrcoef(dev["x"], dev["y"])[0, 1])
        between = float(np.corrcoef(means["x"], means["y"])[0, 1])
        span = f"{int(y1)}{' ' + w1 if w1 else ''} to {int(y2)}{' ' + w2 if w2 else ''}"
        rows.append({"country": country, "indicator": indicator, "pre": f"{int(y1)} {w1}".strip(),
                     "post": f"{int(y2)} {w2}".strip(), "r": r, "r2_students": within ** 2,
                     "r2_schools": between ** 2, "schools": len(means), "students": len(g),
                     "source": _describe(country, indicator, len(means), len(g), span)
                     + "; students linked across the two waves"})
    return pd.DataFrame(rows, columns=["country", "indicator", "pre", "post", "r", "r2_students", "r2_schools",
                                       "schools", "students", "source"])


def _pick(df: pd.DataFrame, country: str) -> pd.Series | None:
    """The latest row of ``country`` (comma-separated codes), else the latest of any country."""
    mine = df[df["country"].isin(country.split(","))]
    return (mine if len(mine) else df).iloc[-1] if len(df) else None


# an ICC estimated on fewer schools is too unstable to plan with: its standard error, about
# (1 − ρ)(1 + (m − 1)ρ)·√(2 / (m(m − 1)(k − 1))) for k schools of m students (Donner 1986), is 0.09 for ρ = 0.2,
# m = 25 and k = 10, and 0.16 with k = 4 — as large as the ICC itself; the documented default is then safer
MIN_ICC_SCHOOLS = 10


def pretreatment_icc(con: duckdb.DuckDBPyConnection, indicator: str, country: str = "GT") -> dict:
    """The ICC a plan may use: from data before any treatment, the first of `BASES` with an estimate
    (baseline waves, then years before the first programme start, then comparison schools), the latest cell
    of ``country`` else of any country, on at least `MIN_ICC_SCHOOLS` schools. Returns the row's values and
    ``basis``; ``{}`` when no such pre-treatment student data exist (the caller then uses a documented default,
    never post-treatment data)."""
    for basis in BASES:
        if basis != "baseline" and not has_assignments(con):
            break  # without the programme table no school or year can be shown to be untreated
        cells = observed_icc(con, indicator, basis)
        row = _pick(cells[cells["schools"] >= MIN_ICC_SCHOOLS], country)
        if row is not None and np.isfinite(row["icc"]):
            return {"icc": float(row["icc"]), "basis": basis, "country": row["country"], "year": int(row["year"]),
                    "wave": row["wave"], "schools": int(row["schools"]), "students": int(row["students"]),
                    "sd": float(row["sd"]), "mean": float(row["mean"])}
    return {}


def observed_values(con: duckdb.DuckDBPyConnection, indicator: str, country: str = "GT") -> dict:
    """The design values of an indicator a plan or a power calculation can use instead of a guess, each
    from data before any treatment: the ICC of `pretreatment_icc` (``icc`` and ``icc_from``, the cell it
    came from), SD and mean; the pre/post R² and a school rate's SD / mean (``sd_from``) of untreated schools.
    Empty when the database holds none."""
    found: dict = {}
    if seen := pretreatment_icc(con, indicator, country):
        found.update(icc=seen["icc"], icc_from=seen, sd=seen["sd"], mean=seen["mean"])
    if has_assignments(con) and (row := _pick(prepost_correlation(con, indicator, untreated=True),
                                               country)) is not None:
        found.update(r2_students=float(row["r2_students"]), r2_schools=float(row["r2_schools"]),
                     r2_from={"country": row["country"], "pre": row["pre"], "post": row["post"],
                              "schools": int(row["schools"]), "students": int(row["students"])})
    if has_assignments(con) and (row := _pick(observed_school_rates(con, indicator, untreated=True),
                                              country)) is not None:
        found.update(sd=float(row["sd"]), mean=float(row["mean"]),
                     sd_from={"country": row["country"], "year": int(row["year"]), "schools": int(row["schools"])})
    return found
