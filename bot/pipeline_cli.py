"""`drumbeat pipeline import FILE.csv`: the thin command-line end of `bot.core.pipeline_import`.

Progress lines and a closing count on stdout; a refused file is its problems on stderr and exit code 1 (as
`org import`), a bad option or an unreadable file one line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

from bot.core.errors import BadInput
from bot.core.pipeline_presets import FIELDS, PRESETS
from bot.settings import Settings


def add_pipeline_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pipeline = sub.add_parser("pipeline", help="deals from your CRM, to measure on-strategy business")
    commands = pipeline.add_subparsers(dest="pipeline_command", required=True)
    importing = commands.add_parser("import", help="import a CRM export of opportunities / deals (CSV)")
    importing.add_argument("file", type=Path)
    importing.add_argument("--preset", choices=sorted(PRESETS), help="the export's own column names")
    importing.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                           help=f"which column holds a field (repeatable); fields: {', '.join(FIELDS)}")
    importing.add_argument("--rates", type=Path, help="CSV of currency,rate into DRUMBEAT_PIPELINE_CURRENCY")
    importing.add_argument("--source", help="name of the CRM the record ids belong to (default: the preset, or csv)")
    importing.add_argument("--day-first", action="store_true", help="dates are DD/MM/YYYY (default MM/DD/YYYY)")
    commands.add_parser("pull", help="pull what changed in the CRM now (HUBSPOT_ACCESS_TOKEN), as the schedule does")


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"no such {what}: {path}") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder; name the {what}") from None
    except UnicodeDecodeError as error:
        raise BadInput(f"{path} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8") from None


def pipeline_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.pipeline_command == "pull":
        return _pull(settings)
    return _import(settings, args)


def _pull(settings: Settings) -> int:
    """One pull now, in one transaction: what changed, or why nothing was imported (exit code 1)."""
    from bot.core.pipeline_import import ImportOptions
    from bot.core.pipeline_pull import pull_deals
    from bot.crm.sources import crm_source
    from bot.org_cli import _run as run_in_session
    from storage.models import utcnow

    source = crm_source(settings)
    if source is None:
        print("drumbeat: no CRM to pull from: set HUBSPOT_ACCESS_TOKEN (see .env.example)", file=sys.stderr)
        return 2
    options = ImportOptions(currency=settings.pipeline_currency)
    try:
        outcome = run_in_session(settings, lambda session: pull_deals(session, source, options=options, now=utcnow()))
    except Exception as problem:  # noqa: BLE001 - the CRM's refusal (a token, the network) said in one line
        print(f"drumbeat: pulling from {source.name} failed: {problem}", file=sys.stderr)
        return 1
    if isinstance(outcome, BadInput):
        print(f"drumbeat: {source.name}: {outcome}", file=sys.stderr)
        return 1
    print(f"Pulled from {source.name}: {outcome.report.summary() if outcome.report else 'nothing changed'}.")
    return 0


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.pipeline_import import ImportOptions, import_pipeline, parse_rates
    from bot.core.pipeline_presets import parse_maps
    from bot.org_cli import _run as run_in_session  # one transaction, migrations first, BadInput returned

    try:
        text = _read(args.file, "file")
        rates: dict[str, Decimal] = parse_rates(_read(args.rates, "rates file")) if args.rates else {}
        options = ImportOptions(preset=args.preset, maps=parse_maps(args.map), source=args.source, rates=rates,
                                currency=settings.pipeline_currency, day_first=args.day_first)
    except BadInput as error:
        print(f"drumbeat: {error}", file=sys.stderr)
        return 2
    report = run_in_session(settings, lambda session: import_pipeline(
        session, text, options, progress=lambda line: print(f"{args.file}: {line}", flush=True)))
    if isinstance(report, BadInput):
        print(f"drumbeat: {args.file}: {report}", file=sys.stderr)
        return 1
    print(f"Imported {args.file}: {report.summary()}.")
    return 0
