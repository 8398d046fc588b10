"""One server of the ack-latency bench, on the same stack as leadbot (bot.server.serve_http).

`python -m bench.ack_server real DATABASE_URL SLACK_API_URL PORT` serves leadbot itself;
`... minimal - SLACK_API_URL PORT` a Bolt app that only acks `/concern` and opens the same
modal, and acks the check-in modal's submission.
"""

from __future__ import annotations

import logging
import sys

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.app import create_app, web_client
from bot.concerns import Draft
from bot.deps import Deps
from bot.server import serve_http
from bot.settings import Settings
from bot.views.concern import compose_modal
from storage.engine import make_engine

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CHECKIN_MODAL = "checkin_modal"


def real_app(url: str, api_url: str) -> App:
    settings = Settings(
        bot_token=TOKEN, signing_secret=SECRET, slack_api_url=api_url, database_url=url
    )
    return create_app(Deps(settings=settings, engine=make_engine(url)))


def minimal_app(api_url: str) -> App:
    app = App(
        signing_secret=SECRET,
        client=web_client(TOKEN, api_url),
        token_verification_enabled=False,
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


def main(argv: list[str]) -> int:
    kind, url, api_url, port = argv
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a deep queue is the point
    app = real_app(url, api_url) if kind == "real" else minimal_app(api_url)
    serve_http(app, int(port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
