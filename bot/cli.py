"""The `drumbeat` command: run the bot (or its sandbox), print the Slack manifest, import and look after the org."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.core.words.figures import plural
from bot.progress import Every, Stopwatch, progress_log, seconds, shown_on_stderr
from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, configure_logging, load_settings
from bot.org_cli import add_org_commands, org_command
from bot.pipeline_cli import add_pipeline_commands, pipeline_command
from bot.startup import explain
from messages.library import ContentPackError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.core.org import ImportReport
    from schedules.outbox import DispatchReport

log = logging.getLogger("drumbeat")
PROGRESS = progress_log("cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drumbeat", description="Drumbeat: strategy messages, pulse checks and summaries in Slack.")
    parser.add_argument("--env-file", help="settings file read before the environment (default: .env, if there is one)")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="connect to Slack (or start the sandbox when no Slack credentials are set)")
    run.add_argument("--sandbox", action="store_true", help="start the sandbox even if Slack credentials are set")
    sandbox = sub.add_parser("sandbox", help="the bot wired to a built-in Slack emulator with a demo organisation")
    sandbox.add_argument("--database", default="drumbeat-sandbox.db", help="SQLite file for the sandbox (recreated)")
    sandbox.add_argument("--teams", action="store_true", help="play the demo in a built-in Microsoft Teams tenant")
    sandbox.add_argument("--web", action="store_true", help="serve the sandbox as a web page on 127.0.0.1 (Slack and Teams; --teams opens on Teams)")
    sandbox.add_argument("--port", type=_port, help="the web page's port (default DRUMBEAT_SANDBOX_PORT, 8765)")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest to paste into api.slack.com/apps")
    manifest.add_argument("--request-url", help="HTTP mode: the public https URL of POST /slack/events (default: Socket Mode)")
    manifest.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    manifest.add_argument("--teams", action="store_true",
                          help="write the Microsoft Teams app package (manifest.json + icons, zipped) instead")
    manifest.add_argument("--out", default="drumbeat-teams.zip", help="--teams: where to write the package")
    manifest.add_argument("--website-url", help="--teams: your page about Drumbeat (default: TEAMS_PUBLIC_URL)")
    manifest.add_argument("--privacy-url", help="--teams: your privacy statement (default: the website URL)")
    manifest.add_argument("--terms-url", help="--teams: your terms of use (default: the website URL)")
    org = sub.add_parser("org", help="the people directory").add_subparsers(dest="org_command", required=True)
    org_import = org.add_parser("import", help="import people from CSV: slack_id (or teams_id, or platform,platform_user_id),"
                                                       "email,name,role,team,manager_slack_id (...)")
    org_import.add_argument("file", type=Path)
    org.add_parser("sync", help="read the chat platforms' directories now (time zones, who left, managers from Entra), "
                                "as the daily job does")
    add_org_commands(org)
    add_pipeline_commands(sub)
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
        if args.org_command == "import":
            return _org_import(settings, args.file)
        return _org_sync(settings) if args.org_command == "sync" else org_command(settings, args)
    if command == "pipeline":
        return pipeline_command(settings, args)
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

            return run_web_sandbox(settings, database=database, port=args.port or settings.sandbox_port,
                                   teams_first=getattr(args, "teams", False))
        platform = {"teams": True} if getattr(args, "teams", False) else {}  # Slack's sandbox is the default
        return run_sandbox(settings, database=database, **platform)
    return _run(settings)


def sandbox_database_note(settings: Settings, database: str) -> str | None:
    """The sandbox builds its demo in a file of its own; someone who set DATABASE_URL should hear it is unused."""
    if settings.database_url == DEFAULT_DATABASE_URL:
        return None
    return (f"the sandbox uses its own SQLite file {database} (recreated each time), not DATABASE_URL; "
            "DATABASE_URL is used by `drumbeat run` once Slack credentials are set")


def _manifest(settings: Settings, args: argparse.Namespace) -> int:
    if args.teams:
        return _teams_package(settings, args)
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


def _teams_package(settings: Settings, args: argparse.Namespace) -> int:
    """The Teams app package, checked against the manifest's published rules before it is written."""
    from bot.teams.manifest import build_manifest, build_package
    from bot.teams.manifest_rules import ManifestError

    teams = settings.teams
    website = args.website_url or teams.public_url
    if not teams.app_id or not website:
        print("drumbeat: the Teams package needs TEAMS_APP_ID (the Azure bot's Microsoft App ID) and a website: set "
              "TEAMS_PUBLIC_URL (where Teams reaches Drumbeat) or pass --website-url", file=sys.stderr)
        return 2
    try:
        manifest = build_manifest(app_id=teams.app_id, public_url=teams.public_url, website_url=website,
                                  privacy_url=args.privacy_url, terms_url=args.terms_url)
        package = build_package(manifest)
    except ManifestError as problem:
        print(f"drumbeat: {problem}", file=sys.stderr)
        return 2
    Path(args.out).write_bytes(package)
    domains = ", ".join(manifest["validDomains"]) or "none (set TEAMS_PUBLIC_URL for the summary's chart and CSV)"
    print(f"Wrote {args.out}: Teams app {manifest['name']['short']} {manifest['version']} (manifest "
          f"{manifest['manifestVersion']}), bot {teams.app_id}, personal scope, valid domains: {domains}.\n"
          "Upload it in the Teams admin center (Teams apps > Manage apps > Upload new app), or in Teams under "
          "Apps > Manage your apps > Upload an app.")
    return 0


def _org_import(settings: Settings, path: Path) -> int:
    """Check the whole file, write it in one transaction, then sync the directory; a line per stage on stderr
    (and every few seconds while people are written), the closing count on stdout."""
    from bot.core.errors import BadInput
    from bot.core.org import import_org, parse_org_csv
    from bot.platforms import USER_ID_FORMATS
    from storage.db import make_engine, session_scope

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        print(f"drumbeat: no such file: {path}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as error:
        print(f"drumbeat: {path} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8", file=sys.stderr)
        return 2
    watch = Stopwatch()
    with shown_on_stderr():
        engine = make_engine(settings.database_url)
        try:
            upgrade_telling(engine)  # first: a database that cannot be reached is the one line said (bot.startup)
            PROGRESS.info("Checking %s ...", path)
            rows = parse_org_csv(text, formats=USER_ID_FORMATS)
            PROGRESS.info("Checked %s: no problems", plural(len(rows), "row"))
            PROGRESS.info("Writing %s ...", plural(len(rows), "person", "people"))
            every = Every(PROGRESS)
            with session_scope(engine) as session:
                report = import_org(session, rows, on_row=lambda done, total: every(
                    "... %s of %s written", f"{done:,}", plural(total, "person", "people")))
        except BadInput as error:
            print(f"drumbeat: {path}: {error}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
        print(f"Imported {path}: {plural(len(rows), 'person', 'people')} ({report.summary()}) in {watch.took()}.")
        _sync_after_import(settings, report)
    return 0


def _sync_after_import(settings: Settings, report: ImportReport) -> None:
    """Time zones come from the platforms' directories: sync them now (not at the next daily run) when a
    platform is configured, then say how many of the people imported still have no time zone."""
    from bot.core.org import count_without_zone
    from bot.core.words.zones import import_zones_note

    without_zone, synced = report.without_zone, False
    if settings.has_platform_credentials:
        try:
            without_zone = _sync_directory(settings, lambda session: count_without_zone(session, report.person_ids))
            synced = True
        except Exception as error:  # noqa: BLE001 - the import stands whatever went wrong; say what did
            print(f"drumbeat: the import is saved, but the directory sync failed: {error}", file=sys.stderr)
    note = import_zones_note(without_zone, synced=synced)
    if note:
        print(note)


def _org_sync(settings: Settings) -> int:
    """`drumbeat org sync`: every configured platform's directory now, as the daily job does."""
    from bot.core.org import count_without_zone_all

    if not settings.has_platform_credentials:
        return _no_platform("there is no directory to sync")
    _require_configured(settings)
    with shown_on_stderr():
        without_zone = _sync_directory(settings, count_without_zone_all)
    if without_zone:
        print(f"{plural(without_zone, 'active person', 'active people')} still without a time zone (messages reach "
              "them at UTC times).")
    return 0


def _no_platform(consequence: str) -> int:
    print(f"drumbeat: no chat platform is configured (set SLACK_BOT_TOKEN or TEAMS_APP_ID), so {consequence}",
          file=sys.stderr)
    return 2


def _sync_directory(settings: Settings, then: Callable[[Session], int]) -> int:
    """Sync the directories (behind a sync a running instance has under way), print the closing count; returns
    what `then` counts afterwards in the same database."""
    from bot.app import Drumbeat

    watch = Stopwatch()
    PROGRESS.info("Syncing the directory ...")
    drumbeat = Drumbeat(settings)
    try:
        changed = drumbeat.sync_directory(wait=True, progress=PROGRESS.info)
        with drumbeat.services.unit_of_work() as session:
            counted = then(session)
    finally:
        drumbeat.close()
    print(f"Synced the directory: {plural(changed, 'person', 'people')} updated (time zones, deactivations) "
          f"in {watch.took()}.")
    return counted


def upgrade_telling(engine: Engine) -> int:
    """Apply the migrations the database lacks, a line for each on stderr (under `shown_on_stderr`); how many."""
    from storage.migrate import pending_revisions, script_head, stored_revision, upgrade

    with engine.connect():  # a database that cannot be reached fails here, before any line (bot.startup explains)
        pass
    head = script_head()
    if head is not None and stored_revision(engine) == head:
        return 0
    pending = pending_revisions(engine)
    if pending:
        PROGRESS.info("Database: %s to apply (%s -> %s) ...", plural(len(pending), "migration"),
                      stored_revision(engine) or "empty", pending[-1])
    count = [0]

    def applied(revision: str, doc: str, took: float) -> None:
        count[0] += 1
        PROGRESS.info("  [%s/%s] %s%s (%s)", count[0], len(pending) or "?", revision, f": {doc}" if doc else "",
                      seconds(took))

    upgrade(engine, on_step=applied)
    return count[0]


def _db_upgrade(settings: Settings) -> int:
    from storage.db import make_engine
    from storage.migrate import current_revision

    watch = Stopwatch()
    engine = make_engine(settings.database_url)
    try:
        with shown_on_stderr():
            applied = upgrade_telling(engine)
        done = (f"{plural(applied, 'migration')} applied in {watch.took()}" if applied else "nothing to apply")
        print(f"Database is at revision {current_revision(engine)}. ({done})")
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
        if settings.work_process:
            drumbeat.start_work_process()
        drumbeat.start_scheduler()
        drumbeat.connect()
        # The platforms' webhooks, and /healthz: served in Socket Mode too (then it is the only route, and says
        # whether the WebSocket is connected), so balancers and Docker's HEALTHCHECK work the same in both modes.
        drumbeat.serve_http(host=settings.host, port=settings.port, background=True)
        shutdown.event.wait()
    finally:
        drumbeat.close()
    log.info("drumbeat stopped")
    return 0


def _dispatch(settings: Settings, *, until_idle: bool) -> int:
    """A worker process: materialise and send, forever (until SIGTERM or SIGINT) or until the queue is empty.
    With --until-idle it says how far it got every few seconds (stderr) and what it did at the end (stdout)."""
    from bot.app import Drumbeat
    from bot.lifecycle import Shutdown, dispatch_until_stopped

    if not settings.has_platform_credentials:  # it would wait forever with nowhere to send (the sandbox has its own)
        return _no_platform("there is nowhere to send (`drumbeat sandbox` tries Drumbeat without one)")
    _require_configured(settings)
    shutdown = Shutdown(settings.shutdown_seconds).install()
    watch = Stopwatch()
    with shown_on_stderr() if until_idle else nullcontext():
        drumbeat = Drumbeat(settings)
        shutdown.on_stop(drumbeat.dispatcher.stop)
        try:
            if until_idle:
                queue = drumbeat.queue()
                PROGRESS.info("Outbox: %s due now, %s later; sending ...", f"{queue.waiting:,}", f"{queue.later:,}")
            every = Every(PROGRESS)

            def tell(so_far: DispatchReport) -> None:  # the queue is counted only when a line is due
                if every.ready():
                    PROGRESS.info("... %s", _dispatched(so_far, drumbeat.queue().waiting))

            total = dispatch_until_stopped(drumbeat.tick, drumbeat.has_due, shutdown.event,
                                           interval=settings.dispatch_interval_seconds, until_idle=until_idle,
                                           on_tick=tell)
            if until_idle:
                queue = drumbeat.queue()
                print(f"Dispatched in {watch.took()}: {_dispatched(total, queue.waiting)}"
                      + (f"; {queue.later:,} queued for later (next at {queue.next_due:%Y-%m-%d %H:%M} UTC)"
                         if queue.later and queue.next_due else "") + ".")
        finally:
            drumbeat.close()
    log.info("dispatcher stopped")
    return 0


def _dispatched(total: DispatchReport, waiting: int) -> str:
    found = f", {total.recovered:,} found already delivered" if total.recovered else ""
    return f"sent {total.sent:,}, failed {total.failed:,}, waiting {waiting:,}{found}"
