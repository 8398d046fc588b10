"""`python -m bot [run | import FILE | manifest | db upgrade]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlmodel import Session

from bot.deps import Deps, utcnow
from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings
from storage.engine import make_engine
from storage.migrate import upgrade

logger = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m bot", description="leadbot, a leadership system in Slack."
    )
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="serve Slack (the default)")
    imports = commands.add_parser("import", help="import an org file (teams, objectives, schedule)")
    imports.add_argument("file")
    imports.add_argument(
        "--yes", action="store_true", help="allow removing teams, members, objectives"
    )
    manifest = commands.add_parser("manifest", help="print the Slack app manifest")
    manifest.add_argument(
        "--url", help="public https URL: prints the HTTP (not Socket Mode) variant"
    )
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    return root


def sender_client(settings: Settings) -> WebClient:
    """The outbox sender's client: it alone retries on 429, 5xx and connection errors."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    if command == "manifest":
        from bot.manifest import dump, http_manifest, load_manifest

        try:
            print(dump(http_manifest(args.url) if args.url else load_manifest()), end="")
        except ValueError as error:
            print(f"manifest: {error}", file=sys.stderr)
            return 2
        return 0
    try:
        settings = load_settings(os.environ, require_slack=command != "db")
    except SettingsError as error:
        print(
            "leadbot can't start; please fix these settings (in .env or the environment):",
            file=sys.stderr,
        )
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    if command == "db":
        print("Database is up to date.")
        return 0
    if command == "import":
        return import_file(settings, engine, args.file, yes=args.yes)
    return run(Deps(settings=settings, engine=engine))


def import_file(settings: Settings, engine: object, path: str, *, yes: bool) -> int:
    from bot.importer import run_import

    client = sender_client(settings)
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


def run(deps: Deps) -> int:
    """Serve Slack until stopped, with the outbox sender waking on the scheduler."""
    from bot.app import create_app
    from bot.jobs import build_scheduler
    from bot.sender import Sender
    from bot.server import serve_http, serve_socket_mode

    settings = deps.settings
    app = create_app(deps)
    client = sender_client(settings)
    sender = Sender(deps.engine, lambda _workspace: client, deps.clock)
    scheduler = build_scheduler(deps, sender, lambda _workspace: client)
    scheduler.start()
    try:
        if settings.app_token:
            serve_socket_mode(app, settings.app_token)
        else:
            serve_http(app, settings.port)
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        scheduler.shutdown(wait=False)
    return 0
