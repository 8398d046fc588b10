"""A local Slack Web API that enforces rate limits like Slack: 429 + Retry-After, and 1% 500s.

Each method has a token bucket at its tier's rate (chat.postMessage: 20 a second with short
bursts). A call over the limit gets 429 with `Retry-After` (whole seconds until a token is
back) and costs nothing; a call within it takes a token and, 1% of the time, fails with 500.
Every accepted chat.postMessage is recorded with its wall-clock time. `GET /stats` reports.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

# Slack's tiers a minute, as buckets (rate a second, burst); the sender's pacer is set
# independently in bot/outbox/pacer.py, so this table is the "real Slack" it has to live with.
TIER = {1: (1 / 60, 2), 2: (20 / 60, 5), 3: (50 / 60, 12), 4: (100 / 60, 25)}
METHOD_TIER = {
    "auth.test": 4,
    "chat.update": 3,
    "conversations.open": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.update": 4,
}
POST_RATE, POST_BURST = 20.0, 20


class Bucket:
    """Tokens refilled continuously at `rate` up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is back."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Stats:
    calls: Counter = field(default_factory=Counter)
    limited: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    posts: Counter = field(default_factory=Counter)  # accepted chat.postMessage per channel
    post_times: list[float] = field(default_factory=list)  # wall clock of each accepted post


class EnforcingSlack:
    """The fake's state and answers; thread-safe."""

    def __init__(
        self,
        users: list[dict[str, Any]] | None = None,
        *,
        post_rate: float = POST_RATE,
        post_burst: int = POST_BURST,
        fail_rate: float = 0.01,
        seed: int = 7,
        team_id: str = "T0BENCH",
        enforce: bool = True,
    ) -> None:
        self.users = users or []
        self.enforce = enforce
        self.views: dict[str, dict] = {}  # the last view opened, by callback_id
        self.fail_rate = fail_rate
        self.team_id = team_id
        self.post = (post_rate, post_burst)
        self.stats = Stats()
        self._buckets: dict[str, Bucket] = {}
        self._random = random.Random(seed)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], dict]:
        with self._lock:
            self.stats.calls[method] += 1
            bucket = self._buckets.get(method)
            if bucket is None:
                rate, burst = self.post if method == "chat.postMessage" else self._tier(method)
                bucket = self._buckets[method] = Bucket(rate, burst)
            wait = bucket.take() if self.enforce else 0.0
            if wait > 0:
                self.stats.limited[method] += 1
                retry = str(max(1, math.ceil(wait)))
                return 429, {"Retry-After": retry}, {"ok": False, "error": "ratelimited"}
            if self._random.random() < self.fail_rate:
                self.stats.failed[method] += 1
                return 500, {}, {"ok": False, "error": "internal_error"}
            return 200, {}, self._ok(method, params)

    def _tier(self, method: str) -> tuple[float, int]:
        return TIER[METHOD_TIER.get(method, 3)]

    def _ok(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            self.stats.posts[channel] += 1
            self.stats.post_times.append(time.time())
            dm = "D" + channel[1:] if channel.startswith("U") else channel
            return {"ok": True, "channel": dm, "ts": f"1800000000.{next(self._ts):06d}"}
        if method == "users.list":
            start = int(params.get("cursor") or 0)
            limit = min(int(params.get("limit") or 200), 1000)
            end = start + limit
            more = end < len(self.users)
            return {
                "ok": True,
                "members": self.users[start:end],
                "response_metadata": {"next_cursor": str(end) if more else ""},
            }
        if method == "auth.test":
            return {"ok": True, "team_id": self.team_id, "user_id": "UBOT", "bot_id": "BBOT"}
        if method.startswith("views."):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            self.views[str(view.get("callback_id"))] = view
            return {"ok": True, "view": {"id": "VBENCH", **view}}
        return {"ok": True}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.stats.calls),
                "limited": dict(self.stats.limited),
                "failed": dict(self.stats.failed),
                "posts": dict(self.stats.posts),
                "post_times": list(self.stats.post_times),
                "views": dict(self.views),
            }


def _handler(slack: EnforcingSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            method = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
            if "json" in (self.headers.get("Content-Type") or ""):
                params = json.loads(body) if body else {}
            else:
                params = dict(parse_qsl(body))
            status, headers, answer = slack.answer(method, params)
            self._send(status, headers, answer)

        def do_GET(self) -> None:  # noqa: N802
            snapshot = slack.snapshot()
            snapshot.pop("post_times")
            self._send(200, {}, snapshot)

        def _send(self, status: int, headers: dict[str, str], answer: dict) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


class Server:
    """The fake on a loopback port, served by threads of this process."""

    def __init__(self, slack: EnforcingSlack, port: int = 0) -> None:
        self.slack = slack
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(slack))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_in_process(pipe: Any, enforce: bool) -> None:
    """For multiprocessing: serve a fake (no failures unless `enforce`) and send its URL."""
    slack = EnforcingSlack(enforce=enforce, fail_rate=0.01 if enforce else 0.0)
    with Server(slack) as server:
        pipe.send(server.url)
        pipe.recv()  # until told to stop
