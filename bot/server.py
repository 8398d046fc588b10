"""Serving the app: HTTP (waitress, a production WSGI server) or Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused


def wsgi_app(app: App) -> Callable[[dict[str, Any], Callable], Iterable[bytes]]:
    """`POST /slack/events` to Bolt, `GET /healthz` answered here."""
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return application


def serve_http(app: App, port: int) -> None:
    """Block serving HTTP on `port` with waitress."""
    from waitress import serve

    logger.info("serving HTTP on port %s (POST /slack/events, GET /healthz)", port)
    serve(
        wsgi_app(app),
        host="0.0.0.0",
        port=port,
        threads=8,
        max_request_body_size=MAX_BODY,
        ident="leadbot",
    )


def serve_socket_mode(app: App, app_token: str) -> None:
    """Block on a Socket Mode connection (its WebSocket URL comes from SLACK_API_URL too)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    logger.info("connecting in Socket Mode")
    SocketModeHandler(app, app_token).start()
