"""`python -m bot [run | web | worker | import FILE | export-org | digest | manifest | db …]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from slack_sdk import WebClient
from sqlmodel import Session

from bot.logs import configure_logging, setup_logging
from bot.outbox.pacer import POST_MESSAGE, Pacer, Rate, paced_client
from bot.outbox.tokens import client_factory, import_client
from bot.runtime.deps import Deps, utcnow
from bot.runtime.inbox import Handoff
from bot.runtime.outage import Outages
from bot.settings import Settings, SettingsError, load_settings
from bot.workspace.export import add_export_parser, export_data
from storage.engine import make_engine
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

WORKER_NICE = 10  # how much a worker lowers its CPU priority (see `yield_to_web`)
STOP_GRACE = 10.0  # seconds the jobs still running get to finish once leadbot is stopped


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m bot", description="leadbot, a leadership system in Slack."
    )
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="serve Slack and do the scheduled work (the default)")
    commands.add_parser("web", help="only serve Slack: acknowledge and hand work to a worker")
    commands.add_parser("worker", help="only do the scheduled and handed-on work (no serving)")
    imports = commands.add_parser("import", help="import an org file (teams, objectives, schedule)")
    imports.add_argument("file")
    imports.add_argument(
        "--yes", action="store_true", help="allow removing teams, members, objectives"
    )
    export = commands.add_parser(
        "export-org", help="write the stored configuration as an org file (YAML)"
    )
    export.add_argument("--out", help="write to this file instead of standard output")
    export.add_argument("--workspace", help="the workspace id (T…) when several are stored")
    manifest = commands.add_parser("manifest", help="print the Slack app manifest")
    manifest.add_argument(
        "--url", help="public https URL: prints the HTTP (not Socket Mode) variant"
    )
    digest = commands.add_parser(
        "digest", help="print a team's or the leadership digest without sending it"
    )
    which = digest.add_mutually_exclusive_group(required=True)
    which.add_argument("--team", help="the team key")
    which.add_argument(
        "--leadership", action="store_true", help="the leadership digest (team figures)"
    )
    digest.add_argument("--period", help="like 2026-W49 (default: the last closed week)")
    digest.add_argument("--json", action="store_true", help="Block Kit JSON instead of text")
    digest.add_argument("--charts", type=Path, metavar="DIR", help="also write its charts (PNG)")
    digest.add_argument("--workspace", help="the workspace id (T…) when several are stored")
    demo = commands.add_parser("demo", help="play one week against a local stand-in of Slack")
    demo.add_argument("--charts", type=Path, metavar="DIR", help="keep the digests' charts here")
    add_export_parser(commands)
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    return root


def sender_client(settings: Settings, pacer: Pacer | None = None) -> WebClient:
    """The outbox sender's client: it alone retries (429, 5xx, connection), behind a pacer."""
    rate = Rate(settings.send_rate, POST_MESSAGE.burst)
    return paced_client(
        settings.bot_token, settings.slack_api_url, pacer or Pacer(post_message=rate)
    )


def leave_bolt_no_token(settings: Settings) -> None:
    """In OAuth mode SLACK_BOT_TOKEN is not used (each workspace's token comes from its install)
    and .env leaves it empty; it is taken out of the environment, before any thread starts,
    because Bolt reads it there on its own and, even empty, warns at every start that it is
    ignored (bot/app.py gives Bolt the token in single-workspace mode)."""
    if settings.oauth and os.environ.pop("SLACK_BOT_TOKEN", None):
        logger.info("SLACK_BOT_TOKEN is not used in OAuth mode: tokens come from installations")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    if command == "manifest":
        from bot.workspace.manifest import dump, http_manifest, load_manifest

        try:
            print(dump(http_manifest(args.url) if args.url else load_manifest()), end="")
        except ValueError as error:
            print(f"manifest: {error}", file=sys.stderr)
            return 2
        return 0
    if command == "demo":
        from bot.demo import run_demo

        setup_logging("WARNING")
        return run_demo(sys.stdout, charts=args.charts)
    try:
        settings = load_settings(
            os.environ, require_slack=command not in ("db", "export-org", "digest", "export")
        )
    except SettingsError as error:
        print(
            "leadbot can't start; please fix these settings (in .env or the environment):",
            file=sys.stderr,
        )
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    configure_logging(settings)
    leave_bolt_no_token(settings)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    if command == "db":
        print("Database is up to date.")
        return 0
    if command == "import":
        return import_file(settings, engine, args.file, yes=args.yes)
    if command == "export-org":
        return export_file(engine, args.out, args.workspace)
    if command == "export":
        return export_data(engine, args.out, args.workspace, err=sys.stderr)
    if command == "digest":
        from bot.digest.cli import print_digest

        return print_digest(
            engine,
            args.team,
            args.period,
            as_json=args.json,
            workspace=args.workspace,
            now=utcnow(),
            charts_dir=args.charts,
        )
    outages = Outages()
    handoff = Handoff(engine, outages.database) if command == "web" else None
    deps = Deps(settings=settings, engine=engine, handoff=handoff, outages=outages)
    return run(deps, serve=command != "worker", work=command != "web")


def import_file(settings: Settings, engine: object, path: str, *, yes: bool) -> int:
    from bot.setup.importer import run_import

    client = import_client(settings, engine, path)  # type: ignore[arg-type]
    with Session(engine) as session:  # type: ignore[arg-type]
        return run_import(
            path,
            yes=yes,
            session=session,
            client=client,
            now=utcnow(),
            out=sys.stdout,
            err=sys.stderr,
        )


def export_file(engine: object, out: str | None, workspace: str | None) -> int:
    """Print (or write to `out`) the stored configuration as an org file; 1 when there is none."""
    from bot.org.export import ExportError, choose_workspace, export_org

    with Session(engine) as session:  # type: ignore[arg-type]
        try:
            text = export_org(session, choose_workspace(session, workspace))
        except ExportError as error:
            print(f"export-org: {error}", file=sys.stderr)
            return 1
    if out is None:
        print(text, end="")
        return 0
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"export-org: cannot write {out} ({error})", file=sys.stderr)
        return 1
    print(f"Wrote {out}.", file=sys.stderr)
    return 0


def stop_jobs(scheduler: BaseScheduler, grace: float = STOP_GRACE) -> None:
    """Start no more jobs, and give the running ones (a long sync, a sender waiting on Slack's
    limits) `grace` seconds. Past that, end the process without them
    rather than keep a process manager waiting: nothing is lost, since a message they had
    claimed is taken over when its lease lapses, as after a crash, and jobs are idempotent."""
    stopping = threading.Thread(target=scheduler.shutdown, name="stopping", daemon=True)
    stopping.start()  # shutdown() waits for the running jobs
    stopping.join(grace)
    if stopping.is_alive():
        logger.warning(
            "stopped without waiting longer for running jobs; "
            "what they had claimed is taken over when its lease lapses"
        )
        logging.shutdown()  # os._exit skips the interpreter's own exit, and its flushing
        os._exit(0)


def yield_to_web() -> None:
    """Lower this worker's CPU priority, so that on a host it shares with a web process it
    takes the CPU the acknowledgements leave: they must reach Slack within three seconds,
    while the worker's work can wait a few. Alone on its host, it runs at full speed."""
    try:
        os.nice(WORKER_NICE)
    except OSError as error:
        logger.warning("worker: could not lower its CPU priority (%s)", error)


def run(deps: Deps, *, serve: bool = True, work: bool = True) -> int:
    """Serve Slack (unless a worker) and run the scheduler (unless web only) until stopped
    (Ctrl-C or SIGTERM: then what the web process handed on is written before it exits)."""
    from bot.app import create_app
    from bot.outbox.jobs import build_scheduler
    from bot.outbox.sender import Sender
    from bot.web.readiness import Readiness
    from bot.web.server import serve_http, serve_socket_mode, stop_on_sigterm
    from handlers import inbox_handlers

    settings = deps.settings
    scheduler = None
    stop_on_sigterm()
    if not serve:
        yield_to_web()  # before any thread starts: Linux keeps the priority per thread
    try:
        app = create_app(deps)
        client_for = client_factory(settings, deps.engine)  # OAuth: each workspace's token
        if work:
            sender = Sender(deps.engine, client_for, deps.clock, outages=deps.outages)
            scheduler = build_scheduler(deps, sender, client_for, inbox_handlers())
            scheduler.start()
        else:
            logger.info("web: serving Slack only; `python -m bot worker` stores what it hands on")
        ready = Readiness(deps.engine, deps.outages.database, deps.clock)
        if not serve:
            logger.info("worker: scheduled and handed-on work only")
            threading.Event().wait()
        elif settings.app_token:
            ready.watch()  # no HTTP to ask: readiness is logged when it changes
            serve_socket_mode(app, settings.app_token)
        else:
            serve_http(app, settings.port, ready)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (stop_on_sigterm): a normal stop
        return 0
    finally:
        logger.info("stopping")
        if deps.handoff is not None:
            deps.handoff.close()
        if scheduler is not None:
            stop_jobs(scheduler)
    return 0
