"""Serving the app: HTTP (waitress, a production WSGI server) or Socket Mode.

Over HTTP every request gets an id (logged with each line it causes, and answered as
`X-Request-Id`). A `POST /slack/events` is checked here (bot/web/guard.py), in this order, and
the first refusal ends it: a body over MAX_BODY gets 413, its bytes past the limit never
read; then anything unsigned, badly signed or stale (over five minutes) gets 401, whatever
its body; only a request Slack signed is parsed, and a wrong content type, an undecodable
or non-object body, or an envelope of the wrong shape gets 400; only then Bolt, which checks
the signature again. Socket Mode, and OAuth's install pages (`GET /slack/install`,
`/slack/oauth_redirect`, which Slack does not sign), do not come this way. No response ever
carries a stack trace.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.logs import REQUEST_ID
from bot.web.guard import Refused, authenticate, parse, verifier

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything larger is refused
EVENTS = "/slack/events"
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")  # a proxy's X-Request-Id is kept if it is sane
Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def request_id(environ: Environ) -> str:
    """The proxy's request id when it looks like one, else a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex[:16]


def _answer(start: StartResponse, status: int, body: dict[str, str]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}.get(status, "")
    start(f"{status} {reason}".rstrip(), [("Content-Type", "application/json")])
    return [data]


def _read_body(environ: Environ) -> bytes:
    """The whole body, at most MAX_BODY bytes; Refused(413) when it is larger.

    This comes before the signature, so an oversized body gets 413 signed or not: its
    signature cannot be checked without reading all of it, which is what the limit forbids;
    waitress (serve_http) and most proxies answer 413 before this code runs anyway; and 413
    runs nothing and parses nothing. What is read is bounded: by Content-Length, else
    MAX_BODY + 1 bytes."""
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text.isdigit() and int(length_text) > MAX_BODY:
        raise Refused(413, "the body is too large")
    wanted = int(length_text) if length_text.isdigit() else MAX_BODY + 1
    body = environ["wsgi.input"].read(wanted) if "wsgi.input" in environ else b""
    if len(body) > MAX_BODY:
        raise Refused(413, "the body is too large")
    return body


def _headers(environ: Environ) -> dict[str, str]:
    return {
        key[5:].lower().replace("_", "-"): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }


def _events(
    slack: SlackRequestHandler,
    verify: SignatureVerifier | None,
    environ: Environ,
    start: StartResponse,
) -> Iterable[bytes]:
    """Check a POST to /slack/events, then hand Bolt the bytes it was checked with."""
    try:
        body = _read_body(environ)  # 413
        authenticate(verify, _headers(environ), body)  # 401: nothing unsigned is parsed
        parse(environ.get("CONTENT_TYPE") or "", body)  # 400
    except Refused as refused:
        logger.info("refused a request to %s: %s (%s)", EVENTS, refused.status, refused.reason)
        return _answer(start, refused.status, {"error": refused.reason})
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return slack(environ, start)


def wsgi_app(
    app: App, ready: Callable[[], bool] = lambda: True
) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """`POST /slack/events` (and in OAuth mode the install pages) to Bolt; here `GET /healthz`
    (alive) and `GET /readyz` (`ready()`: the database answers in a second,
    bot/web/readiness.py)."""
    slack = SlackRequestHandler(app, path=EVENTS)
    # The secret Bolt verifies with (settings.signing_secret, given in bot/app.py), so the
    # two checks cannot disagree; a private attribute, but App has no public one.
    verify = verifier(app._signing_secret)
    if verify is None:
        logger.warning("no signing secret: every POST to %s will get 401", EVENTS)

    def route(environ: Environ, start: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz":
            start("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/readyz":
            up = ready()
            start("200 OK" if up else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"ready" if up else b"not ready: the database did not answer"]
        if path == EVENTS and method == "POST":
            return _events(slack, verify, environ, start)
        return slack(environ, start)  # OAuth's GET pages; anything else is Bolt's 404

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        rid = request_id(environ)
        token = REQUEST_ID.set(rid)
        began, status = time.monotonic(), ["-"]

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, [*headers, ("X-Request-Id", rid)], exc_info)

        try:
            return list(route(environ, start))  # while the request id is set
        except Exception:  # noqa: BLE001 - logged with its traceback; the caller gets no trace
            logger.exception("request to %s failed", environ.get("PATH_INFO"))
            start("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
            return [b"Internal Server Error"]
        finally:
            took = (time.monotonic() - began) * 1000
            logger.info(
                "%s %s %s (%.0f ms)",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                status[0],
                took,
            )
            REQUEST_ID.reset(token)

    return application


def serve_http(app: App, port: int, ready: Callable[[], bool] = lambda: True) -> None:
    """Block serving HTTP on `port` with waitress."""
    from waitress import serve

    logger.info("serving HTTP on port %s (POST %s, GET /healthz, GET /readyz)", port, EVENTS)
    keep_startup_out_of_collections()
    serve(
        wsgi_app(app, ready),
        host="0.0.0.0",
        port=port,
        threads=8,
        max_request_body_size=MAX_BODY,
        ident="leadbot",
    )


def serve_socket_mode(app: App, app_token: str) -> None:
    """Block on a Socket Mode connection (its WebSocket URL comes from SLACK_API_URL too),
    closed when stopped, so nothing more arrives while the process finishes its work."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    logger.info("connecting in Socket Mode")
    handler = SocketModeHandler(app, app_token)
    keep_startup_out_of_collections()
    try:
        handler.start()
    finally:
        handler.close()


def keep_startup_out_of_collections() -> None:
    """Leave what start-up built (imported modules, the app: some 90,000 objects) out of the
    garbage collector's full collections, which otherwise scan it all, pausing every request
    for tens of milliseconds; they now scan only what requests create (`gc.freeze`)."""
    gc.collect()
    gc.freeze()


def stop_on_sigterm() -> None:
    """Make SIGTERM (how process managers stop a service) stop this process as Ctrl-C does:
    a KeyboardInterrupt in the main thread, so that its `finally` clauses run."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
