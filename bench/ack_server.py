"""One process of the ack-latency bench, on the same stack as leadbot (bot.web.server.serve_http).

`python -m bench.ack_server KIND DATABASE_URL SLACK_API_URL PORT`, where KIND is
- `web`: leadbot as `python -m bot web` serves it (acknowledges, and its handoff thread writes
  the answers to the inbox);
- `worker`: the worker's inbox job (`bot.runtime.inbox.drain`, every second, as the scheduler runs
it),
  which stores those answers; its other jobs are left out so that no fan-out of nudges runs
  during the measurement (PORT is ignored);
- `one`: leadbot as `python -m bot` serves it (acknowledges, then stores in the same process);
- `minimal`: a Bolt app that only acks `/concern` and opens the same modal, and acks the
  check-in modal's submission, with as many listener threads as leadbot (DATABASE_URL is
  ignored).
"""

from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.app import create_app, web_client
from bot.cli import yield_to_web
from bot.concerns.rules import Draft
from bot.concerns.views import compose_modal
from bot.logs import LISTENER_THREADS
from bot.outbox.tokens import client_factory
from bot.runtime import inbox
from bot.runtime.deps import Deps, utcnow
from bot.runtime.inbox import Handoff
from bot.settings import Settings
from bot.web.server import serve_http, stop_on_sigterm
from handlers import inbox_handlers
from storage.engine import make_engine

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CHECKIN_MODAL = "checkin_modal"


def deps_for(url: str, api_url: str, *, web_only: bool) -> Deps:
    settings = Settings(
        bot_token=TOKEN, signing_secret=SECRET, slack_api_url=api_url, database_url=url
    )
    engine = make_engine(url)
    return Deps(settings=settings, engine=engine, handoff=Handoff(engine) if web_only else None)


def minimal_app(api_url: str, listener_executor: Executor | None = None) -> App:
    """On leadbot's stack: its listener pool's size too, not Bolt's default of 5 threads."""
    app = App(
        signing_secret=SECRET,
        client=web_client(TOKEN, api_url),
        token_verification_enabled=False,
        listener_executor=listener_executor or ThreadPoolExecutor(LISTENER_THREADS),
    )
    view = compose_modal(Draft("", "", ""))

    @app.command("/concern")
    def concern(ack: Ack, command: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)

    @app.view(CHECKIN_MODAL)
    def submitted(ack: Ack) -> None:
        ack()

    return app


def work(deps: Deps) -> None:
    """The inbox job, every second, with the worker's own (paced, retrying) clients."""
    client_for = client_factory(deps.settings, deps.engine)
    handlers = inbox_handlers()
    while True:
        inbox.drain(deps.engine, handlers, client_for, utcnow)
        threading.Event().wait(1.0)


def main(argv: list[str]) -> int:
    kind, url, api_url, port = argv
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a deep queue is the point
    if kind == "worker":
        yield_to_web()  # as `python -m bot worker` does
        work(deps_for(url, api_url, web_only=False))
        return 0
    if kind == "minimal":
        serve_http(minimal_app(api_url), int(port))
        return 0
    deps = deps_for(url, api_url, web_only=kind == "web")
    stop_on_sigterm()  # as in `python -m bot web`: what was acknowledged is written first
    try:
        serve_http(create_app(deps), int(port))
    finally:
        if deps.handoff is not None:
            deps.handoff.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
