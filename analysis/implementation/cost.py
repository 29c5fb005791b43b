"""Cost per student reached and cost per 0.1 SD gained, from a cost file and exchange rates the user gives.

The cost file has one row per programme × lab type × item: ``program, lab_type, item, amount, currency,
price_year`` where ``item`` is ``installation`` (one-off, per lab), ``running`` (per lab per year) or
``training`` (one-off, per lab: the training of that lab's teachers). Ingredients are costed as in Levin
et al. (2018, *Economic Evaluation in Education*): one-off costs are spread evenly over the horizon (three
years by default, as the EEF Toolkit's cost rating does), giving a cost per student per year
``(labs × (installation + training) / H + labs × running) / students reached per year``.

Cost-effectiveness divides that cost by the gain: cost per 0.1 SD = cost per student per year ×
exposure years / (g / 0.1). Costs are taken as known (no sampling error), so the interval is the effect
size's interval inverted, ``[C / (10·g_high), C / (10·g_low)]`` — exact wherever g's interval is (a
monotone function of a confidence interval keeps its coverage; Fieller 1954 with a known numerator) — and
it exists only when that interval lies above zero: a gain not distinguishable from zero has no finite
cost per gain. No exchange rate is fetched: the user supplies units per US dollar for every currency used.

EEF cost bands (Toolkit guidance, cost per pupil per year averaged over three years, GBP): very low
< £80, low ≤ £200, moderate ≤ £700, high ≤ £1,200, very high above — shown when a GBP rate is given.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.db.connect import cursor
from analysis.db.sql import UNIT_PROGRAM_CTE

ITEMS = ("installation", "running", "training")
CURRENCIES = ("COP", "GTQ", "USD")
COLUMNS = ("program", "lab_type", "item", "amount", "currency", "price_year")
DEFAULT_HORIZON_YEARS = 3
#: the only effect size in standard deviations (compare()'s effect_size_kind): cost per 0.1 SD needs it
SD_KIND = "hedges_g"
#: EEF Toolkit cost bands, GBP per pupil per year: (upper bound, band code); above the last is very_high.
EEF_BANDS: tuple[tuple[float, str], ...] = ((80.0, "very_low"), (200.0, "low"), (700.0, "moderate"),
                                            (1200.0, "high"))
#: Spanish column names a ministry's file may use, mapped to the canonical ones.
ALIASES = {"programa": "program", "tipo_laboratorio": "lab_type", "tipo_de_laboratorio": "lab_type",
           "rubro": "item", "concepto": "item", "monto": "amount", "valor": "amount", "moneda": "currency",
           "anio_precios": "price_year", "año_precios": "price_year", "ano_precios": "price_year"}
ITEM_ALIASES = {"instalacion": "installation", "instalación": "installation", "funcionamiento": "running",
                "operacion": "running", "operación": "running", "formacion": "training",
                "formación": "training", "capacitacion": "training", "capacitación": "training"}


class CostError(ValueError):
    """A cost file or request that cannot be costed. ``code`` and ``params`` let the pages translate it;
    ``row`` and ``column`` locate the cell (1-based data row, as a spreadsheet shows it after the header)."""

    def __init__(self, code: str, message: str, row: int | None = None, column: str | None = None,
                 **params: Any):
        super().__init__(message)
        self.code, self.row, self.column, self.params = code, row, column, params


@dataclass(frozen=True)
class CostResult:
    """Cost of one programme in ``currency``; ``reason`` says why cost per 0.1 SD has no value or interval.

    ``reason`` codes: 'no_effect_size', 'no_effect_interval' (g has no interval), 'gain_not_distinguishable'
    (g's interval reaches zero or below), 'no_gain' (g ≤ 0), 'no_students'; from :func:`cost_report` also
    'effect_not_in_sd' (the indicator's effect is in points, percentage points or months, not SD) and
    'several_cohorts' (one effect per start-year cohort, none for the programme); None when everything exists.
    """

    program: str
    currency: str
    horizon_years: int
    labs: int
    students_per_year: float
    total_cost: float
    cost_per_student_year: float
    effect_size: float
    effect_ci_low: float
    effect_ci_high: float
    cost_per_01sd: float
    cost_per_01sd_low: float
    cost_per_01sd_high: float
    eef_band: str | None
    price_years: tuple[int, ...]
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["price_years"] = ", ".join(str(y) for y in self.price_years)
        return out


def _norm(text: Any) -> str:
    return str(text).strip().lower().replace(" ", "_")


def read_cost_file(path: str | Path) -> pd.DataFrame:
    """The cost file (CSV or XLSX) as canonical columns; CostError naming row, column and reason otherwise."""
    path = Path(path)
    return read_cost_bytes(path.read_bytes(), path.name)


def read_cost_bytes(data: bytes, name: str) -> pd.DataFrame:
    """A cost file's bytes (``name`` tells XLSX from CSV) as canonical columns. A CSV saved by a Spanish
    spreadsheet in Windows-1252 is read as such; a file that is not a table (empty, binary, a broken
    workbook) is a CostError ``cost_unreadable``, never a traceback."""
    try:
        if name.lower().endswith((".xlsx", ".xlsm")):
            raw = pd.read_excel(io.BytesIO(data), dtype=str)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
            if "\x00" in text:
                raise ValueError("binary content")
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    except (ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        raise CostError("cost_unreadable", f"{name} cannot be read as a CSV or XLSX table ({exc})") from exc
    return parse_costs(raw)


def parse_costs(raw: pd.DataFrame) -> pd.DataFrame:
    """Validate a raw cost table: every cell checked, the first bad one reported (nothing partial)."""
    frame = raw.rename(columns={c: ALIASES.get(_norm(c), _norm(c)) for c in raw.columns})
    missing = [c for c in COLUMNS if c not in frame.columns and c != "lab_type"]
    if missing:
        raise CostError("cost_missing_columns", f"the cost file lacks the columns {', '.join(missing)}",
                        columns=", ".join(missing))
    if "lab_type" not in frame.columns:
        frame["lab_type"] = ""
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        item = ITEM_ALIASES.get(_norm(record["item"]), _norm(record["item"]))
        if item not in ITEMS:
            raise CostError("cost_bad_item", f"row {number}: item must be one of {', '.join(ITEMS)}, "
                            f"not '{record['item']}'", row=number, column="item", value=str(record["item"]))
        amount_text = str(record["amount"]).strip().replace(" ", "")
        try:
            amount = float(amount_text)
        except ValueError:
            amount = float("nan")
        if not math.isfinite(amount) or amount < 0:
            raise CostError("cost_bad_amount", f"row {number}: amount must be a number ≥ 0, not "
                            f"'{record['amount']}'", row=number, column="amount", value=str(record["amount"]))
        currency = str(record["currency"]).strip().upper()
        if not currency.isalpha() or len(currency) != 3:
            raise CostError("cost_bad_currency", f"row {number}: currency must be a 3-letter code such as "
                            f"COP, GTQ or USD, not '{record['currency']}'", row=number, column="currency",
                            value=str(record["currency"]))
        try:
            year = int(float(str(record["price_year"]).strip()))
        except ValueError:
            year = 0
        if not 1990 <= year <= 2100:
            raise CostError("cost_bad_year", f"row {number}: price_year must be a year, not "
                            f"'{record['price_year']}'", row=number, column="price_year",
                            value=str(record["price_year"]))
        program = str(record["program"]).strip()
        if not program:
            raise CostError("cost_bad_program", f"row {number}: program is empty", row=number, column="program",
                            value="")
        lab_type = "" if pd.isna(record["lab_type"]) else str(record["lab_type"]).strip()
        rows.append({"program": program, "lab_type": lab_type, "item": item, "amount": amount,
                     "currency": currency, "price_year": year})
    if not rows:
        raise CostError("cost_empty", "the cost file has no rows")
    out = pd.DataFrame(rows)
    duplicated = out.duplicated(["program", "lab_type", "item"], keep="first")
    if duplicated.any():
        number = int(duplicated.to_numpy().nonzero()[0][0]) + 1
        raise CostError("cost_duplicate", f"row {number}: the same programme, lab type and item appear twice",
                        row=number, column="item", value=str(out.loc[number - 1, "item"]))
    return out


def parse_rates(pairs: list[str] | dict[str, float]) -> dict[str, float]:
    """Exchange rates as units of each currency per US dollar (``["COP=3900", "GTQ=7.75"]`` or a dict)."""
    items = pairs.items() if isinstance(pairs, dict) else (p.split("=", 1) for p in pairs if "=" in p)
    rates = {"USD": 1.0}
    for code, value in items:
        code = str(code).strip().upper()
        try:
            rate = float(str(value).strip().replace(",", "."))
        except ValueError:
            rate = float("nan")
        if not math.isfinite(rate) or rate <= 0:
            raise CostError("cost_bad_rate", f"the exchange rate for {code} must be a positive number",
                            currency=code)
        rates[code] = rate
    return rates


def convert(amount: float, currency: str, target: str, rates: dict[str, float]) -> float:
    """``amount`` in ``currency`` expressed in ``target`` through the US dollar."""
    for code in (currency, target):
        if code not in rates:
            raise CostError("cost_missing_rate", f"no exchange rate given for {code} (units per US dollar)",
                            currency=code)
    return amount / rates[currency] * rates[target]


def eef_band(cost_per_pupil_year_gbp: float) -> str | None:
    """The EEF Toolkit cost band of a cost per pupil per year in GBP (None when it is not a number)."""
    if not math.isfinite(cost_per_pupil_year_gbp):
        return None
    if cost_per_pupil_year_gbp < EEF_BANDS[0][0]:  # "less than £80"; the others are "up to"
        return EEF_BANDS[0][1]
    for upper, band in EEF_BANDS[1:]:
        if cost_per_pupil_year_gbp <= upper:
            return band
    return "very_high"


def programme_cost(costs: pd.DataFrame, program: str, labs_by_type: dict[str, int], rates: dict[str, float],
                   currency: str, horizon_years: int = DEFAULT_HORIZON_YEARS) -> float:
    """Total cost of ``program`` over the horizon in ``currency``: labs × (installation + training) + labs ×
    running × horizon. A row with an empty lab type applies to every lab of the programme."""
    if horizon_years < 1:
        raise CostError("cost_bad_horizon", "the horizon must be at least one year", years=horizon_years)
    rows = costs[costs["program"] == program]
    if rows.empty:
        raise CostError("cost_no_program", f"the cost file has no rows for {program}", program=program)
    total = 0.0
    all_labs = sum(labs_by_type.values())
    for record in rows.to_dict("records"):
        labs = all_labs if not record["lab_type"] else labs_by_type.get(record["lab_type"], 0)
        amount = convert(record["amount"], record["currency"], currency, rates) * labs
        total += amount * (horizon_years if record["item"] == "running" else 1)
    return total


def cost_effectiveness(program: str, total_cost: float, labs: int, students_per_year: float, currency: str,
                       horizon_years: int, effect_size: float, effect_ci_low: float, effect_ci_high: float,
                       rates: dict[str, float], price_years: tuple[int, ...] = (),
                       exposure_years: float = 1.0) -> CostResult:
    """Cost per student per year and cost per 0.1 SD gained with its inverted interval (module docstring)."""
    nan = float("nan")
    if not students_per_year or not math.isfinite(students_per_year) or students_per_year <= 0:
        per_student = nan
        reason: str | None = "no_students"
    else:
        per_student = total_cost / horizon_years / students_per_year
        reason = None
    band = None
    if "GBP" in rates and math.isfinite(per_student):
        band = eef_band(convert(per_student, currency, "GBP", rates))
    per_gain = low = high = nan
    if reason is None:
        if effect_size is None or not math.isfinite(effect_size):
            reason = "no_effect_size"
        elif effect_size <= 0:
            reason = "no_gain"
        else:
            per_gain = per_student * exposure_years / (effect_size / 0.1)
            if not (math.isfinite(effect_ci_low) and math.isfinite(effect_ci_high)):
                reason = "no_effect_interval"
            elif effect_ci_low <= 0:
                reason = "gain_not_distinguishable"
            else:
                low = per_student * exposure_years / (effect_ci_high / 0.1)
                high = per_student * exposure_years / (effect_ci_low / 0.1)
    return CostResult(program, currency, horizon_years, labs, float(students_per_year or nan), total_cost,
                      per_student, effect_size, effect_ci_low, effect_ci_high, per_gain, low, high, band,
                      tuple(sorted(set(price_years))), reason)


# ----------------------------------------------------------------------------- from the database

LABS_SQL = """
SELECT coalesce(a.lab_type, '') AS lab_type, count(DISTINCT a.unit_id) AS labs
FROM assignments a JOIN units u USING (unit_id)
WHERE a.program = ? AND u.unit_type = 'school'
GROUP BY ALL ORDER BY 1
"""

# Students reached per school and year: distinct pseudonymised students where student rows exist, else the
# largest denominator of the school's aggregate rates that year (its enrolment); summed over the
# programme's schools, per year from the programme's start on.
STUDENTS_SQL = f"""
WITH {UNIT_PROGRAM_CTE},
prog AS (SELECT unit_id, start_year FROM up WHERE program = ?),
student_year AS (
    SELECT o.unit_id, o.year, count(DISTINCT o.student_key) AS students
    FROM observations o JOIN prog USING (unit_id) WHERE o.student_key IS NOT NULL GROUP BY ALL),
aggregate_year AS (
    SELECT o.unit_id, o.year, max(o.n) AS students
    FROM observations o JOIN prog USING (unit_id) WHERE o.student_key IS NULL AND o.n IS NOT NULL
    GROUP BY ALL),
school_year AS (
    SELECT unit_id, year, coalesce(s.students, g.students) AS students
    FROM student_year s FULL JOIN aggregate_year g USING (unit_id, year))
SELECT sy.year, sum(sy.students) AS students, bool_or(sy.year >= p.start_year) AS after_start
FROM school_year sy JOIN prog p USING (unit_id)
GROUP BY sy.year ORDER BY sy.year
"""


def labs_by_type(con: Any, program: str) -> dict[str, int]:
    """Number of schools with a lab of each type in ``program`` (the roster's assignments)."""
    rows = cursor(con).execute(LABS_SQL, [program]).fetchall()
    return {lab_type: int(labs) for lab_type, labs in rows}


def students_per_year(con: Any, program: str) -> float:
    """Mean students reached per year by ``program``'s schools, over the years from its start (all years
    when none is after the start); NaN when the database holds none."""
    frame = cursor(con).execute(STUDENTS_SQL, [program]).df()
    if frame.empty:
        return float("nan")
    after = frame[frame["after_start"].fillna(False).astype(bool)]
    chosen = after if not after.empty else frame
    return float(chosen["students"].astype(float).mean())


def cost_report(con: Any, costs: pd.DataFrame, rates: dict[str, float], currency: str, indicator: str,
                design: str = "did", horizon_years: int = DEFAULT_HORIZON_YEARS, exposure_years: float = 1.0,
                students: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per programme of the cost file: labs, students reached, cost per student per year, the
    programme's effect size on ``indicator`` (compare(), all students) and cost per 0.1 SD with its interval.

    ``students`` overrides the students reached per year of a programme (e.g. from enrolment records)."""
    from analysis.compare import CompareError, compare

    currency = currency.upper()
    if currency not in rates:
        raise CostError("cost_missing_rate", f"no exchange rate given for {currency} (units per US dollar)",
                        currency=currency)
    rows = []
    for program in sorted(costs["program"].unique()):
        labs = labs_by_type(con, program)
        if not labs:
            raise CostError("cost_unknown_program", f"{program} has no schools in the roster", program=program)
        total = programme_cost(costs, program, labs, rates, currency, horizon_years)
        reach = (students or {}).get(program, students_per_year(con, program))
        effect = low = high = float("nan")
        try:
            result = compare(con, indicator, design=design, program=program)
        except CompareError:
            result = pd.DataFrame()
        if "program" in result:
            result = result[result["program"] == program]
        why_no_effect = None
        if len(result) > 1:  # one row per start-year cohort: no single effect to cost
            why_no_effect = "several_cohorts"
        elif len(result) == 1 and result["effect_size_kind"].iloc[0] != SD_KIND:
            why_no_effect = "effect_not_in_sd"  # points, percentage points, months: not a gain in SD
        elif len(result) == 1:
            first = result.iloc[0]
            effect, low, high = (float(first.get(c, float("nan")) if pd.notna(first.get(c)) else float("nan"))
                                 for c in ("effect_size", "es_ci_low", "es_ci_high"))
        price_years = tuple(int(y) for y in costs.loc[costs["program"] == program, "price_year"])
        outcome = cost_effectiveness(program, total, sum(labs.values()), reach, currency, horizon_years, effect,
                                     low, high, rates, price_years, exposure_years)
        if why_no_effect and outcome.reason == "no_effect_size":
            outcome = replace(outcome, reason=why_no_effect)
        rows.append({**outcome.as_dict(), "indicator": indicator, "design": design})
    return pd.DataFrame(rows)
