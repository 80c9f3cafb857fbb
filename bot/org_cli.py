"""`drumbeat org list | export | move | remove`: thin command-line ends of `bot.core.org_admin` and `org_remove`.

Each prints one line per outcome and a closing count on stdout; anything refused is one line on stderr and exit
code 2 (as `org import` and the start-up failures do); a destructive action asks first unless given `--yes`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session

from bot.core.errors import BadInput
from bot.settings import Settings

T = TypeVar("T")


def add_org_commands(org: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    listing = org.add_parser("list", help="everyone, with role, team, manager, time zone, active, accounts")
    listing.add_argument("--team", help="only this team's people")
    listing.add_argument("--role", help="only this role: rep, manager, leader, admin")
    listing.add_argument("--format", choices=("table", "csv"), default="table")
    export = org.add_parser("export", help="write the active directory as a CSV `org import` reads")
    export.add_argument("file", type=Path)
    move = org.add_parser("move", help="put a person in another team or under another manager")
    move.add_argument("person", help="an email or a platform user id")
    move.add_argument("--team", help="their new team")
    move.add_argument("--manager", help="their new manager (email or platform user id)")
    move.add_argument("--reports-to", help="hand this person's own reports to this manager")
    remove = org.add_parser("remove", help="deactivate a person (no more DMs); --erase deletes their data")
    remove.add_argument("person", help="an email or a platform user id")
    remove.add_argument("--erase", action="store_true", help="delete what identifies them (anonymous feedback stays "
                                                              "anonymous)")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _refused(error: BadInput) -> int:
    print(f"drumbeat: {error}", file=sys.stderr)
    return 2


def _run(settings: Settings, work: Callable[[Session], T]) -> T | BadInput:
    try:
        with _session(settings) as session:
            return work(session)
    except BadInput as error:
        return error


def org_command(settings: Settings, args: argparse.Namespace) -> int:
    handler = {"list": _list, "export": _export, "move": _move, "remove": _remove}[args.org_command]
    return handler(settings, args)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.org_admin import format_people, list_people

    rows = _run(settings, lambda session: list_people(session, team=args.team, role=args.role))
    if isinstance(rows, BadInput):
        return _refused(rows)
    sys.stdout.write(format_people(rows, fmt=args.format))
    if args.format == "table":
        active = sum(1 for row in rows if row.active)
        print(f"{len(rows)} {'person' if len(rows) == 1 else 'people'} ({active} active).")
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.org_admin import export_org_csv
    from bot.platforms import USER_ID_FORMATS

    if args.file.is_dir():
        return _refused(BadInput(f"{args.file} is a folder; name the CSV file to write"))
    report = _run(settings, lambda session: export_org_csv(session, list(USER_ID_FORMATS)))
    if isinstance(report, BadInput):
        return _refused(report)
    try:
        args.file.write_text(report.text, encoding="utf-8")
    except OSError as error:
        return _refused(BadInput(f"cannot write {args.file}: {error.strerror or error}"))
    for line in report.left_out:
        print(line)
    print(f"Exported {report.exported} active {'person' if report.exported == 1 else 'people'} to {args.file}"
          + (f" ({len(report.left_out)} note(s) above)" if report.left_out else "") + ".")
    return 0


def _move(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.org_admin import move_person

    if args.team is None and args.manager is None and args.reports_to is None:
        return _refused(BadInput("say what changes: --team, --manager and/or --reports-to"))
    outcome = _run(settings, lambda session: move_person(session, args.person, team=args.team, manager=args.manager,
                                                         reports_to=args.reports_to))
    if isinstance(outcome, BadInput):
        return _refused(outcome)
    for line in outcome.lines:
        print(line)
    print(f"Moved: {outcome.changed} {'change' if outcome.changed == 1 else 'changes'}.")
    return 0


def _remove(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core.org_remove import deactivate, erase, removal_target

    target = _run(settings, lambda session: removal_target(session, args.person, erase=args.erase))
    if isinstance(target, BadInput):
        return _refused(target)
    what = ("erase everything that identifies" if args.erase else "deactivate (no more DMs; history kept)")
    if not args.yes and not _confirm(f"{what.capitalize()} {target.name} (id {target.id})? [y/N] "):
        print("Nothing changed.")
        return 1

    def work(session: Session) -> list[str]:
        person = removal_target(session, args.person, erase=args.erase)  # again: in this transaction
        return (erase if args.erase else deactivate)(session, person).lines()

    lines = _run(settings, work)
    if isinstance(lines, BadInput):
        return _refused(lines)
    for line in lines:
        print(line)
    print(f"Removed: 1 {'erased' if args.erase else 'deactivated'}.")
    return 0


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        print("\ndrumbeat: no answer (pass --yes to confirm without a prompt)", file=sys.stderr)
        return False
