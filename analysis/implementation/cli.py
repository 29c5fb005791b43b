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
        where = f" (row {exc.row}, column {exc.column})" if getattr(exc, "row", None) else ""
        print(f"error: {exc}{where}", file=sys.stderr)
        return 1
    _emit(report, args.json)
    return 0
