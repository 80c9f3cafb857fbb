"""The `drumbeat` command: run the bot (or its sandbox), print the Slack manifest, import and look after the org."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, configure_logging, load_settings
from bot.org_cli import add_org_commands, org_command
from bot.startup import explain
from messages.library import ContentPackError

if TYPE_CHECKING:
    from bot.core.org import ImportReport

log = logging.getLogger("drumbeat")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drumbeat", description="Drumbeat: strategy messages, pulse checks and summaries in Slack.")
    parser.add_argument("--env-file", help="settings file read before the environment (default: .env, if there is one)")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="connect to Slack (or start the sandbox when no Slack credentials are set)")
    run.add_argument("--sandbox", action="store_true", help="start the sandbox even if Slack credentials are set")
    sandbox = sub.add_parser("sandbox", help="the bot wired to a built-in Slack emulator with a demo organisation")
    sandbox.add_argument("--database", default="drumbeat-sandbox.db", help="SQLite file for the sandbox (recreated)")
    sandbox.add_argument("--web", action="store_true", help="serve the sandbox as a web page on 127.0.0.1")
    sandbox.add_argument("--port", type=_port, help="the web page's port (default DRUMBEAT_SANDBOX_PORT, 8765)")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest to paste into api.slack.com/apps")
    manifest.add_argument("--request-url", help="HTTP mode: the public https URL of POST /slack/events (default: Socket Mode)")
    manifest.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    org = sub.add_parser("org", help="the people directory").add_subparsers(dest="org_command", required=True)
    org_import = org.add_parser("import", help="import people from CSV: slack_id (or teams_id, or platform,platform_user_id),"
                                                       "email,name,role,team,manager_slack_id (...)")
    org_import.add_argument("file", type=Path)
    add_org_commands(org)
    dispatch = sub.add_parser("dispatch", help="run only the scheduler and outbox (no Slack requests served)")
    dispatch.add_argument("--until-idle", action="store_true", help="exit once nothing due now is left to send")
    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply database migrations (also done at every start)")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(_env_file(args.env_file))
    except SettingsError as error:
        print(f"drumbeat: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return _command(settings, args)
    except SettingsError as error:
        print(f"drumbeat: {error}", file=sys.stderr)
        return 2
    except ContentPackError as error:
        print(f"drumbeat: a content pack has problems; nothing was loaded.\n{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ndrumbeat: stopped.", file=sys.stderr)
        return 130
    except Exception as error:
        problem = explain(error, settings)
        if problem is None:
            raise  # not a start-up failure we know: a bug, whose traceback is for whoever fixes it
        print(f"drumbeat: {problem}", file=sys.stderr)
        return 2


def _env_file(given: str | None) -> str:
    """The default .env is read if it is there; a file named on the command line must be there."""
    if given is None:
        return ".env"
    path = Path(given)
    if not path.exists():
        raise SettingsError(f"--env-file {given}: no such file (leave the option out to read ./.env if present)")
    if path.is_dir():
        raise SettingsError(f"--env-file {given} is a folder, not a settings file")
    return given


def _command(settings: Settings, args: argparse.Namespace) -> int:
    command = args.command or "run"
    if command == "manifest":
        return _manifest(settings, args)
    if command == "org":
        return _org_import(settings, args.file) if args.org_command == "import" else org_command(settings, args)
    if command == "db":
        return _db_upgrade(settings)
    if command == "dispatch":
        return _dispatch(settings, until_idle=args.until_idle)
    if command == "sandbox" or (command == "run" and (getattr(args, "sandbox", False) or not settings.has_platform_credentials)):
        from bot.sandbox import run_sandbox

        database = getattr(args, "database", "drumbeat-sandbox.db")
        note = sandbox_database_note(settings, database)
        if note:
            print(f"drumbeat: {note}", file=sys.stderr)
        if getattr(args, "web", False):
            from bot.web_sandbox.server import run_web_sandbox

            return run_web_sandbox(settings, database=database, port=args.port or settings.sandbox_port)
        return run_sandbox(settings, database=database)
    return _run(settings)


def sandbox_database_note(settings: Settings, database: str) -> str | None:
    """The sandbox builds its demo in a file of its own; someone who set DATABASE_URL should hear it is unused."""
    if settings.database_url == DEFAULT_DATABASE_URL:
        return None
    return (f"the sandbox uses its own SQLite file {database} (recreated each time), not DATABASE_URL; "
            "DATABASE_URL is used by `drumbeat run` once Slack credentials are set")


def _manifest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.slack.manifest import build_manifest, request_url_problem

    if args.request_url is not None and (problem := request_url_problem(args.request_url)):
        print(f"drumbeat: {problem}", file=sys.stderr)
        return 2
    manifest = build_manifest(command=settings.command, request_url=args.request_url)
    if args.json:
        print(json.dumps(manifest, indent=2))
    else:
        print(yaml.safe_dump(manifest, sort_keys=False), end="")
    return 0


def _org_import(settings: Settings, path: Path) -> int:
    from bot.core.errors import BadInput
    from bot.core.org import import_org_csv
    from bot.platforms import USER_ID_FORMATS
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        print(f"drumbeat: no such file: {path}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as error:
        print(f"drumbeat: {path} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            report = import_org_csv(session, text, formats=USER_ID_FORMATS)
    except BadInput as error:
        print(f"drumbeat: {path}: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Imported {path}: {report.summary()}.")
    _sync_after_import(settings, report)
    return 0


def _sync_after_import(settings: Settings, report: ImportReport) -> None:
    """Time zones come from the platforms' directories: sync them now (not at the next daily run) when a
    platform is configured, then say how many of the people imported still have no time zone."""
    from bot.core.org import count_without_zone
    from bot.core.words.zones import import_zones_note

    without_zone, synced = report.without_zone, False
    if settings.has_platform_credentials:
        from bot.app import Drumbeat

        try:
            drumbeat = Drumbeat(settings)
            try:
                changed = drumbeat.sync_directory(wait=True)  # behind a sync a running instance has under way
                with drumbeat.services.unit_of_work() as session:
                    without_zone = count_without_zone(session, report.person_ids)
            finally:
                drumbeat.close()
            synced = True
            print(f"Synced the directory: {changed} {'person' if changed == 1 else 'people'} updated "
                  "(time zones, deactivations).")
        except Exception as error:  # noqa: BLE001 - the import stands whatever went wrong; say what did
            print(f"drumbeat: the import is saved, but the directory sync failed: {error}", file=sys.stderr)
    note = import_zones_note(without_zone, synced=synced)
    if note:
        print(note)


def _db_upgrade(settings: Settings) -> int:
    from storage.db import make_engine
    from storage.migrate import current_revision, upgrade

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        print(f"Database is at revision {current_revision(engine)}.")
    finally:
        engine.dispose()
    return 0


def _require_configured(settings: Settings) -> None:
    """Each platform that is configured at all must be configured completely (a Teams-only install needs no
    Slack token; a half-configured Slack is refused with the setting it lacks)."""
    for platform in (settings.slack, settings.teams):
        if platform.configured:
            platform.require()


def _run(settings: Settings) -> int:
    """Serve the platforms and run the fixed jobs until SIGTERM or SIGINT."""
    from bot.app import Drumbeat
    from bot.lifecycle import Shutdown

    _require_configured(settings)
    shutdown = Shutdown(settings.shutdown_seconds).install()
    drumbeat = Drumbeat(settings)
    shutdown.on_stop(drumbeat.dispatcher.stop)
    try:
        drumbeat.start_scheduler()
        if not drumbeat.connect():
            drumbeat.serve_http(host=settings.host, port=settings.port, background=True)
        shutdown.event.wait()
    finally:
        drumbeat.close()
    log.info("drumbeat stopped")
    return 0


def _dispatch(settings: Settings, *, until_idle: bool) -> int:
    """A worker process: materialise and send, forever (until SIGTERM or SIGINT) or until the queue is empty."""
    from bot.app import Drumbeat
    from bot.lifecycle import Shutdown, dispatch_until_stopped

    _require_configured(settings)
    shutdown = Shutdown(settings.shutdown_seconds).install()
    drumbeat = Drumbeat(settings)
    shutdown.on_stop(drumbeat.dispatcher.stop)
    try:
        dispatch_until_stopped(drumbeat.tick, drumbeat.has_due, shutdown.event,
                               interval=settings.dispatch_interval_seconds, until_idle=until_idle)
    finally:
        drumbeat.close()
    log.info("dispatcher stopped")
    return 0
