"""Slack's end of Socket Mode (https://api.slack.com/apis/socket-mode) on a loopback port, the
envelopes it carries, and `python -m bot` run against it as a process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.conftest import TEAM
from tests.fakeslack import trigger_id

ACK_WITHIN = 3.0  # seconds: Slack's limit for acknowledging an envelope
STOP_WITHIN = 15.0  # seconds after SIGTERM, as in HTTP mode
START_WITHIN = 60.0  # a cold start (imports, migrations) on a loaded two-core machine
WORK_WITHIN = 20.0  # for what a listener does after its ack (a Web API call)
WAKE = 0.05  # how often a wait also looks at the fake Web API and whether leadbot still runs
T = TypeVar("T")


@dataclass
class Ack:
    message: dict[str, Any]
    took: float  # seconds from the envelope being sent to its ack arriving
    connection: int  # the connection it came on: 1 for the first


class SocketModeServer:
    """`hello` on each new connection, envelopes sent on the newest one, and every ack recorded
    by its envelope id with how long it took. `changed` is notified whenever any of it moves."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.connections: list[ServerConnection] = []
        self.closed: set[int] = set()  # the connections that have ended, by number
        self.acks: dict[str, Ack] = {}
        self._sent: dict[str, float] = {}
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, ticket: int) -> str:
        """What `apps.connections.open` answers: a new ticket each time, as Slack's URLs have."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id=A0APP"

    def ticket(self, number: int) -> str:
        """The ticket connection `number` was opened with."""
        return self.connections[number - 1].request.path.partition("ticket=")[2].split("&")[0]

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(json.dumps(HELLO))  # Slack's first message on every connection
        with self.changed:
            self.connections.append(connection)
            number = len(self.connections)
            self.changed.notify_all()
        try:
            for text in connection:
                message = json.loads(text)
                envelope_id = message.get("envelope_id")
                with self.changed:
                    took = time.monotonic() - self._sent.get(envelope_id, float("-inf"))
                    self.acks[envelope_id] = Ack(message, took, number)
                    self.changed.notify_all()
        except ConnectionClosed:
            pass  # slack_sdk drops a connection without a closing handshake
        finally:
            with self.changed:
                self.closed.add(number)
                self.changed.notify_all()

    def send(self, message: dict[str, Any]) -> None:
        """Send on the newest connection (an envelope, or one of Slack's own messages)."""
        with self.changed:
            connection = self.connections[-1]
            if "envelope_id" in message:
                self._sent[message["envelope_id"]] = time.monotonic()
        connection.send(json.dumps(message))

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)


class Leadbot:
    """`python -m bot` as a process, its output in a file, and waits that fail showing it."""

    def __init__(self, env: dict[str, str], cwd: Path, server: SocketModeServer) -> None:
        self.server = server
        self.log_path = cwd / "leadbot.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=cwd, env=env, stdout=log, stderr=log
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, found: Callable[[], T], what: str, timeout: float = WORK_WITHIN) -> T:
        """What `found()` gives once it gives something. Woken by the WebSocket server, and every
        WAKE seconds to look again at the fake Web API (which has nothing to wait on) and to
        fail at once if leadbot has ended."""
        deadline = time.monotonic() + timeout
        with self.server.changed:
            while not (value := found()):
                if self.process.poll() is not None:
                    ended = self.process.returncode
                    pytest.fail(f"leadbot ended ({ended}) before {what}:\n{self.log()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {what} within {timeout:.0f} s:\n{self.log()}")
                self.server.changed.wait(min(left, WAKE))
        return value

    def connected(self, number: int) -> None:
        """Wait for the `number`th connection (its `hello` sent)."""
        connections = self.server.connections
        self.wait(lambda: len(connections) >= number, f"connection {number}", START_WITHIN)

    def exchange(self, envelope: dict[str, Any]) -> Ack:
        """Send an envelope; its ack, which must come within Slack's three seconds."""
        envelope_id = envelope["envelope_id"]
        self.server.send(envelope)
        ack = self.wait(lambda: self.server.acks.get(envelope_id), f"ack of {envelope['type']}")
        assert ack.took < ACK_WITHIN, f"{envelope['type']} acked after {ack.took:.2f} s"
        assert set(ack.message) <= {"envelope_id", "payload"}, ack.message
        return ack

    def stop(self) -> float:
        """SIGTERM, as a process manager stops a service; how long leadbot took to end."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_WITHIN)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"leadbot still ran {STOP_WITHIN:.0f} s after SIGTERM:\n{self.log()}")
        return time.monotonic() - began


HELLO = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-test", "approximate_connection_time": 18060},
    "connection_info": {"app_id": "A0APP"},
}
REFRESH_REQUESTED = {
    "type": "disconnect",
    "reason": "refresh_requested",
    "debug_info": {"host": "applink-test"},
}


def envelope(kind: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"envelope_id": str(uuid.uuid4()), "type": kind, "payload": payload, **extra}


def command(name: str, user: str, response_url: str, text: str = "") -> dict[str, Any]:
    """A slash command as Socket Mode carries it: the fields sent over HTTP, as JSON."""
    payload = {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "acme",
        "channel_id": "D0CHAN",
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": user.lower(),
        "command": name,
        "text": text,
        "api_app_id": "A0APP",
        "is_enterprise_install": "false",
        "response_url": f"{response_url}/commands/{user}",
        "trigger_id": trigger_id(),
    }
    return envelope("slash_commands", payload, accepts_response_payload=True)


def submission(view: dict[str, Any], values: dict[str, Any], user: str) -> dict[str, Any]:
    """A modal's view_submission, whose ack may carry a `response_action`."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": trigger_id(),
        "view": {
            **view,
            "id": "V0001",
            "team_id": TEAM,
            "state": {"values": values},
            "hash": "h",
            "app_id": "A0APP",
        },
        "response_urls": [],
    }
    return envelope("interactive", payload, accepts_response_payload=True)


def home_opened(user: str) -> dict[str, Any]:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    payload = {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
    }
    return envelope(
        "events_api", payload, accepts_response_payload=False, retry_attempt=0, retry_reason=""
    )
