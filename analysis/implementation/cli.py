"""`python -m analysis cost` and `python -m analysis dose`: implementation analyses (registered in analysis/cli.py).

Errors print one line starting with `error:` on stderr and exit 1, like every LabLens command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="published database file (default $LABLENS_DB or data/lablens.duckdb)")
    p.add_argument("--json", action="store_true", help="print JSON records instead of a table")


def add_parsers(sub) -> None:
    """Add `cost` and `dose` to the main parser's subparsers."""
    p = sub.add_parser("cost", help="cost per student reached and per 0.1 SD gained, from a cost file")
    p.add_argument("--costs", required=True, help="CSV/XLSX: program, lab_type, item, amount, currency, price_year")
    p.add_argument("--rate", action="append", default=[], metavar="CUR=UNITS_PER_USD",
                   help="exchange rate, units of a currency per US dollar (repeat: --rate COP=3900 --rate GTQ=7.75;"
                        " add GBP=… for the EEF cost band)")
    p.add_argument("--currency", default="USD", help="currency of the results: COP, GTQ or USD (USD)")
    p.add_argument("--indicator", default="score_math", help="indicator whose effect size the gain uses")
    p.add_argument("--design", default="did", help="design of the effect size (did)")
    p.add_argument("--horizon", type=int, default=3, help="years one-off costs are spread over (3, as EEF)")
    p.add_argument("--exposure-years", type=float, default=1.0, help="years of programme behind the gain (1)")
    _db_option(p)
    p.set_defaults(func=run_cost)

    p = sub.add_parser("dose", help="dose and response across a programme's schools (an association)")
    p.add_argument("--program", required=True, help="programme whose schools are compared (e.g. MiLab)")
    p.add_argument("--indicator", default="score_math", help="outcome: each school's pre/post change")
    p.add_argument("--dose", default="lab_hours_per_term",
                   choices=("lab_hours_per_term", "training_hours_per_teacher", "months_operating"))
    p.add_argument("--groups", type=int, default=3, help="dose groups compared (3: thirds)")
    p.add_argument("--schools-out", help="write the per-school dose and change (CSV) here")
    _db_option(p)
    p.set_defaults(func=run_dose)


def _database(args: argparse.Namespace):
    from analysis.db.connect import default_db_path, open_db

    return open_db(Path(args.db) if args.db else default_db_path())


def _emit(frame, as_json: bool) -> None:
    if as_json:
        print(json.dumps(json.loads(frame.to_json(orient="records")), ensure_ascii=False, indent=2))
    else:
        print(frame.to_string(index=False))


def run_cost(args: argparse.Namespace) -> int:
    from analysis.implementation.cost import CostError, cost_report, parse_rates, read_cost_file

    try:
        costs = read_cost_file(args.costs)
        rates = parse_rates(args.rate)
        con = _database(args)
        try:
            report = cost_report(con, costs, rates, args.currency, args.indicator, args.design, args.horizon,
                                 args.exposure_years)
        finally:
            con.close()
    except (CostError, FileNotFoundError) as exc:
        where = f" (column {exc.column})" if getattr(exc, "column", None) else ""  # the message names the row
        print(f"error: {exc}{where}", file=sys.stderr)
        return 1
    _emit(report, args.json)
    return 0


def run_dose(args: argparse.Namespace) -> int:
    from analysis.compare import CompareError
    from analysis.implementation.dose import dose_analysis
    from analysis.safe_export import csv_bytes

    con = _database(args)
    try:
        result = dose_analysis(con, args.program, args.indicator, args.dose, args.groups)
    except CompareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    if args.schools_out:
        Path(args.schools_out).write_bytes(csv_bytes(result.schools[["unit_id", "name", "dose", "change", "n_linked"]]))
    summary = result.summary_row()
    if args.json:
        out = {**summary, "groups": json.loads(result.groups.to_json(orient="records"))}
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0
    fit = result.fit
    print(f"{args.program} · {args.indicator} · dose {args.dose} (an association, not an effect)")
    if fit.reason:
        print(f"  no inference ({fit.n_schools} schools): {fit.reason}")
    else:
        print(f"  slope {fit.slope:+.4f} per unit of dose (95% CI {fit.ci_low:+.4f} to {fit.ci_high:+.4f}, "
              f"HC2, p = {fit.p_value:.3g}, {fit.n_schools} schools, years {result.first_year}-{result.last_year})")
        z = result.standardized()
        if result.student_sd > 0:
            print(f"  in student SDs (SD {result.student_sd:.3g}): slope {z['slope_sd']:+.5f} per unit of dose "
                  f"(95% CI {z['ci_low_sd']:+.5f} to {z['ci_high_sd']:+.5f}); raw points are each test's own scale")
        else:
            print("  no student SD for this indicator: raw points only, not comparable across programmes")
    if not result.groups.empty:
        print(result.groups.to_string(index=False))
    return 0


def pack_files(con, codes: list[str], design: str, costs_path: str | None, rate_pairs: list[str],
               currency: str) -> dict:
    """implementation.csv, dose_response.csv and (with a cost file) cost.csv for `export`'s evidence pack
    (analysis.evidence.implementation). A cost file or rate that cannot be used raises CostError, naming the
    row and column."""
    from analysis.evidence.implementation import implementation_tables
    from analysis.implementation.cost import CostError, parse_rates, read_cost_file

    try:
        costs = read_cost_file(costs_path) if costs_path else None
        rates = parse_rates(rate_pairs) if costs_path else None
    except CostError as exc:
        where = f" (column {exc.column})" if exc.column else ""  # the message names the row
        raise CostError(exc.code, f"{exc}{where}", exc.row, exc.column, **exc.params) from exc
    return implementation_tables(con, tuple(codes), design, costs, rates, currency)
