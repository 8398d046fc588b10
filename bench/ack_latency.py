"""Ack latency: `/concern` and a check-in `view_submission`, leadbot against a minimal Bolt app.

All serve on the same stack (waitress through bot.web.server.serve_http, 8 threads) in their own
processes, in the same run, against one fake Slack (no limits: the latency is ours, not its):
- `leadbot`: the web process of the web/worker split (`python -m bot web`), with a worker
  process storing the answers it hands on;
- `leadbot_one_process`: leadbot serving and storing in one process (`python -m bot`);
- `minimal`: a Bolt app that only acks (and opens the same modal for `/concern`), with as many
  listener threads as leadbot;
- `minimal_again`: the same minimal app once more, as a control: its ratio to `minimal` is
  what the measurement's own noise makes of two equal apps in that run.
leadbot has an org of 1,000 teams / 10,000 people on SQLite with the week's check-in open.
Each kind of request goes in rounds that alternate between the apps, 32 at a time, each from a
different person, signed like Slack signs them; the latency is from sending the request to
reading the whole response. Between phases everything settles: Slack hears nothing more and
every handed-on answer is stored, so no app's leftovers run into another's timings. This
process collects no garbage while it times, so its own pauses are not timed as the servers'.
"""

from __future__ import annotations

import gc
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from slack_bolt.request import BoltRequest
from sqlalchemy.engine import Engine

from bench.ack_server import SECRET, deps_for, minimal_app
from bench.common import ROOT, WORKSPACE, database, org_config, people_of, seed_org
from bench.fakeslack import serve_in_process
from bench.fanout import midday_zone
from bot.app import create_app
from bot.standin.requests import signature
from bot.standin.serve import InlineExecutor as Inline
from storage.models import Checkin, Inbox

ROUNDS, WARMUP = 4, 64
OBJECTIVES = [{"key": f"o{i}", "title": f"Objective {i}"} for i in range(3)]


def open_schedule(now: datetime, zone: str) -> dict[str, Any]:
    """A schedule whose check-in opened an hour ago today and closes in three days."""
    local = now.astimezone(ZoneInfo(zone)) - timedelta(hours=1)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {
        "checkin": {"day": days[local.weekday()], "time": f"{local:%H}:00"},
        "digest": {"day": days[(local.weekday() + 3) % 7], "time": "10:00"},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signed(body: str, content_type: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(body, timestamp, SECRET),
    }


def command_body(user: str, command: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": WORKSPACE,
            "team_domain": "bench",
            "channel_id": "D0BENCH",
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": "",
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": f"trigger-{user}",
        }
    )


def submission_body(user: str, view: dict[str, Any]) -> str:
    values = {
        "moved": {"value": {"type": "plain_text_input", "value": "Shipped the importer"}},
        "learned": {"value": {"type": "plain_text_input", "value": "YAML is tricky"}},
        "blocked": {"value": {"type": "plain_text_input", "value": ""}},
        "energy": {"value": {"type": "static_select", "selected_option": {"value": "4"}}},
        "objective": {"value": {"type": "static_select", "selected_option": {"value": "o1"}}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": WORKSPACE, "domain": "bench"},
        "user": {"id": user, "username": user.lower(), "team_id": WORKSPACE},
        "api_app_id": "A0BENCH",
        "token": "legacy",
        "trigger_id": f"trigger-{user}",
        "view": {**view, "id": "VBENCH", "team_id": WORKSPACE, "state": {"values": values}},
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


class Load:
    """Posts bodies to one server, `concurrency` at a time, each thread on its own connection."""

    def __init__(self, port: int, concurrency: int) -> None:
        self.port = port
        self.pool = ThreadPoolExecutor(concurrency)
        self.local = threading.local()

    def _post(self, body: str) -> float:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30
            )
        headers = signed(body, "application/x-www-form-urlencoded")
        start = time.perf_counter()
        connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} from port {self.port}")
        return elapsed

    def run(self, bodies: list[str]) -> list[float]:
        return list(self.pool.map(self._post, bodies))


def wait_healthy(port: int) -> None:
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


def stats(api_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(api_url.replace("/api/", "/stats"), timeout=5) as response:
        return json.loads(response.read())


def settle(api_url: str, waiting: Callable[[], int]) -> None:
    """Wait until the servers' after-ack work is done: Slack sees no new call for 0.5 s and no
    answer is waiting in the inbox, so one phase's leftovers never run into the next's timings."""
    last, still = -1, 0
    while still < 5:
        time.sleep(0.1)
        total = sum(stats(api_url)["calls"].values())
        still = still + 1 if total == last and waiting() == 0 else 0
        last = total


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 1)


APPS = {  # name: KIND
    "leadbot": "web",
    "leadbot_one_process": "one",
    "minimal": "minimal",
    "minimal_again": "minimal",
}


def run(requests: int = 2_000, concurrency: int = 32) -> dict[str, Any]:
    """The figures for both kinds of request, leadbot (both ways) against the minimal app."""
    zone = midday_zone(datetime.now(UTC))
    config = org_config(1_000, 10, timezone=zone, objectives=OBJECTIVES)
    config["schedule"] = open_schedule(datetime.now(UTC), zone)
    users = people_of(config)
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    fake = spawn.Process(target=serve_in_process, args=(theirs, False), daemon=True)
    fake.start()
    api_url = ours.recv()
    processes: list[subprocess.Popen] = []
    try:
        with database("sqlite", "ack") as (engine, url):
            seed_org(engine, config, zone)
            ports = {name: free_port() for name in APPS}
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            with tempfile.TemporaryDirectory() as folder:
                starts = [(kind, str(ports[name])) for name, kind in APPS.items()]
                for kind, port in [*starts, ("worker", "0")]:
                    processes.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "bench.ack_server", kind, url, api_url, port],
                            cwd=folder,
                            env=env,
                        )
                    )
                for port in ports.values():
                    wait_healthy(port)
                with collector_paused():
                    figures = measure(ports, users, api_url, requests, concurrency, engine)
                figures["cpu_ms_per_request"] = cpu_per_request(url, api_url, users, engine)
                settle(api_url, lambda: count(engine, Inbox))  # the worker stores the last
                figures["answers_stored"] = count(engine, Checkin)
                figures["answers_waiting"] = count(engine, Inbox)
                return figures
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        ours.send("stop")
        fake.join(timeout=10)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in this, the measuring, process while it times, as `timeit` does.
    A full collection of its some 126,000 objects (the seeded org among them) took up to 68 ms
    and stalled all 32 requests in flight, which were then timed as that long: one such pause
    could set the p99 of whichever app it fell on (one run measured two)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


CPU_REQUESTS = 300


def cpu_per_request(
    url: str, api_url: str, users: list[str], engine: Engine
) -> dict[str, dict[str, float]]:
    """Mean CPU ms each app spends on a request, its after-ack work included: the apps built
    in this process with listeners run inline, 300 signed requests each (after 64 to warm up)
    through `app.dispatch`, and the web process's handoff thread until it has written them
    all; the fake Slack's work is in its own process, so not counted."""
    web = deps_for(url, api_url, web_only=True)
    apps = {
        "leadbot": create_app(web, listener_executor=Inline()),
        "leadbot_one_process": create_app(
            deps_for(url, api_url, web_only=False), listener_executor=Inline()
        ),
        "minimal": minimal_app(api_url, listener_executor=Inline()),
    }
    view = stats(api_url)["views"]["checkin_modal"]
    members = [u for u in users if not u.startswith("UM")]
    each = CPU_REQUESTS + WARMUP  # people of their own for each app: no two store one answer
    kinds = {
        "concern_command": lambda user: command_body(user, "/concern"),
        "checkin_submission": lambda user: submission_body(user, view),
    }
    content = "application/x-www-form-urlencoded"
    result: dict[str, dict[str, float]] = {}
    for kind, make in kinds.items():
        result[kind] = {}
        for number, (name, app) in enumerate(apps.items(), start=1):
            mine = members[-number * each : len(members) - (number - 1) * each]
            warm, timed = mine[:WARMUP], mine[WARMUP:]
            for group in (warm, timed):
                prepared = [(body, signed(body, content)) for body in map(make, group)]
                start = time.process_time()
                for body, headers in prepared:
                    response = app.dispatch(BoltRequest(body=body, headers=headers))
                    assert response.status == 200, (name, response.status, response.body)
                if web.handoff is not None:
                    web.handoff.flush()  # its thread's writes are the request's work too
                spent = time.process_time() - start
            result[kind][name] = round(spent * 1000 / len(timed), 3)
    return result


def measure(
    ports: dict[str, int],
    users: list[str],
    api_url: str,
    requests: int,
    concurrency: int,
    engine: Engine,
) -> dict[str, Any]:
    loads = {name: Load(port, concurrency) for name, port in ports.items()}
    quiet = lambda: settle(api_url, lambda: count(engine, Inbox))  # noqa: E731
    loads["leadbot"].run([command_body(users[-1], "/checkin")])
    quiet()  # the modal is opened after the ack
    view = stats(api_url)["views"]["checkin_modal"]
    members = [u for u in users if not u.startswith("UM")]
    warm, measured = members[:WARMUP], members[WARMUP : WARMUP + requests]
    kinds = {
        "concern_command": lambda user: command_body(user, "/concern"),
        "checkin_submission": lambda user: submission_body(user, view),
    }
    latencies: dict[str, dict[str, list[float]]] = {k: {n: [] for n in loads} for k in kinds}
    for make in kinds.values():
        for load in loads.values():
            load.run([make(user) for user in warm])
            quiet()
    size = requests // ROUNDS
    for round_ in range(ROUNDS):
        batch = measured[round_ * size : (round_ + 1) * size]
        for kind, make in kinds.items():
            for name, load in loads.items():
                latencies[kind][name] += load.run([make(user) for user in batch])
                quiet()
    figures: dict[str, Any] = {}
    for kind, by_app in latencies.items():
        row: dict[str, Any] = {
            name: {
                "requests": len(values),
                "p50_ms": percentile(values, 0.5),
                "p99_ms": percentile(values, 0.99),
            }
            for name, values in by_app.items()
        }
        for name in ("leadbot", "leadbot_one_process", "minimal_again"):
            row[name]["p99_ratio"] = round(row[name]["p99_ms"] / row["minimal"]["p99_ms"], 2)
        ratio = row["leadbot"]["p99_ratio"]
        control = row["minimal_again"]["p99_ratio"]
        figures[kind] = {**row, "p99_ratio": ratio, "target_met": ratio <= 1.3, "control": control}
    figures["slack_calls"] = stats(api_url)["calls"]
    return figures
