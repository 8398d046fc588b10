"""Fan-out: everyone due at the same local time, sent by `python -m bot worker` through a fake
Slack that enforces its limits (429 + Retry-After) and fails 1% of calls with 500.

The worker runs on the real clock: the org's check-in time is set a minute or two ahead, in a
zone where that is mid-day. Rates and lateness are wall time at the fake. The second variant
kills the worker with SIGKILL twice mid-run and starts it again each time.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench.common import (
    ROOT,
    WORKSPACE,
    database,
    org_config,
    people_of,
    seed_org,
    slack_user,
)
from bench.fakeslack import POST_RATE, EnforcingSlack, Server
from bot.org.plan import plan_for
from storage import queries
from storage.models import Delivery

LEAD = 75  # seconds from the start of seeding to the check-in time (at least)
TIMEOUT = 30 * 60
IDLE = 2.0  # a pause between posts longer than this counts as idle (waiting for a lease)


def midday_zone(now: datetime) -> str:
    """An Etc/GMT zone in which it is between 10:00 and 16:00 now."""
    for offset in range(-12, 15):
        if 10 <= (now.hour + offset) % 24 < 16:
            return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    raise AssertionError("unreachable: some zone is always at mid-day")


def schedule_at(due_local: datetime) -> dict[str, Any]:
    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    closes = due_local + timedelta(days=3)
    return {
        "checkin": {"day": weekdays[due_local.weekday()], "time": f"{due_local:%H:%M}"},
        "digest": {"day": weekdays[closes.weekday()], "time": "10:00"},
    }


def plant_nudges(engine: Engine, people: list[str], now: datetime) -> datetime:
    """Everyone's next nudge, as planning makes it; returns its due time (UTC)."""
    with Session(engine) as session:
        plan = plan_for(session, WORKSPACE, people[0])
        assert plan is not None
        this = plan.upcoming(now)
        rows = [
            Delivery(
                workspace_id=WORKSPACE,
                subject=user,
                kind="nudge",
                period=this.label,
                channel=user,
                due_at=this.opens_at,
                expires_at=this.closes_at,
            )
            for user in people
        ]
        for start in range(0, len(rows), 2_000):
            queries.insert_deliveries(session=session, rows=rows[start : start + 2_000])
        session.commit()
        return this.opens_at


def statuses(engine: Engine, due: datetime) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Delivery.status, sa.func.count())
            .where(Delivery.kind == "nudge", Delivery.due_at == due)
            .group_by(Delivery.status)
        )
        return {str(status): int(count) for status, count in rows.all()}


def unrecorded(engine: Engine, due: datetime) -> int:
    """Sent rows without Slack's ts (there should be none)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).where(
                    Delivery.kind == "nudge",
                    Delivery.due_at == due,
                    Delivery.status == "sent",
                    Delivery.ts.is_(None),  # type: ignore[union-attr]
                )
            ).scalar_one()
        )


class Worker:
    """`python -m bot worker`, started and killed like a process manager would."""

    def __init__(self, url: str, api_url: str, folder: str) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench",
            "SLACK_API_URL": api_url,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
        }
        self.env.pop("SLACK_APP_TOKEN", None)
        self.folder = folder
        self.log = Path(folder) / "worker.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                cwd=self.folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def run(people_count: int = 10_000, *, kills: int = 0, db: str = "postgresql") -> dict[str, Any]:
    """One fan-out; the figures."""
    teams = max(1, people_count // 10)
    started = datetime.now(UTC)
    zone = midday_zone(started)
    local = (started + timedelta(seconds=LEAD)).astimezone(ZoneInfo(zone))
    due_local = (local + timedelta(minutes=1)).replace(second=0, microsecond=0)
    config = org_config(teams, 10, timezone=zone, schedule=schedule_at(due_local))
    people = people_of(config)
    with database(db, f"fanout{kills}") as (engine, url):
        seed_org(engine, config, zone)
        due = plant_nudges(engine, people, started)
        assert abs((due - due_local).total_seconds()) < 1, (due, due_local)
        fake = EnforcingSlack([slack_user(user, zone) for user in people], team_id=WORKSPACE)
        with Server(fake) as server, tempfile.TemporaryDirectory(prefix="bench-worker-") as folder:
            worker = Worker(url, server.url, folder)
            worker.start()
            kill_times = watch(engine, fake, worker, due, people_count, kills)
            worker.stop()
            log_tail = worker.log.read_text()[-2000:]
        final = statuses(engine, due)
        missing_ts = unrecorded(engine, due)
    return figures(fake, people, due, kill_times, final, missing_ts, db, log_tail)


def watch(
    engine: Engine, fake: EnforcingSlack, worker: Worker, due: datetime, total: int, kills: int
) -> list[float]:
    """Wait until every nudge is finished, killing and restarting the worker on the way."""
    marks = [math.ceil(total * k / (kills + 1)) for k in range(1, kills + 1)]
    kill_times: list[float] = []
    deadline = due.timestamp() + TIMEOUT
    while time.time() < deadline:
        time.sleep(1)
        accepted = len(fake.stats.post_times)
        if marks and accepted >= marks[0]:
            marks.pop(0)
            worker.kill()
            kill_times.append(time.time())
            print(f"  killed the worker (SIGKILL) after {accepted} posts; restarting", flush=True)
            worker.start()
        if int(time.time()) % 5 == 0:
            now = statuses(engine, due)
            if not now.get("pending") and not now.get("sending") and not marks:
                return kill_times
            print(f"  {accepted} posted, rows {now}", flush=True)
    return kill_times


def figures(
    fake: EnforcingSlack,
    people: list[str],
    due: datetime,
    kill_times: list[float],
    final: dict[str, int],
    missing_ts: int,
    db: str,
    log_tail: str,
) -> dict[str, Any]:
    snap = fake.snapshot()
    posts, times = snap["posts"], sorted(snap["post_times"])
    reached = sum(1 for user in people if posts.get(user, 0) >= 1)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    idle = sum(gap for gap in gaps if gap > IDLE)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    busy_rate = (len(times) - 1) / (span - idle) if span - idle > 0 else 0.0
    late = [t - due.timestamp() for t in times]
    result = {
        "db": db,
        "people": len(people),
        "enforced_rate": POST_RATE,
        "achieved_rate": round(rate, 2),
        "rate_ratio": round(rate / POST_RATE, 3),
        "rate_ratio_excluding_idle": round(busy_rate / POST_RATE, 3),
        "idle_seconds": round(idle, 1),
        "duplicates": sum(max(0, posts.get(user, 0) - 1) for user in people),
        "losses": len(people) - reached,
        "first_after_due_s": round(late[0], 1) if late else None,
        "last_after_due_s": round(late[-1], 1) if late else None,
        "p50_after_due_s": round(late[len(late) // 2], 1) if late else None,
        "within_15_minutes": bool(late) and late[-1] <= 15 * 60,
        "kills": len(kill_times),
        "kills_after_due_s": [round(t - due.timestamp(), 1) for t in kill_times],
        "rows": final,
        "sent_rows_without_ts": missing_ts,
        "slack_429": snap["limited"],
        "slack_500": snap["failed"],
        "slack_calls": snap["calls"],
    }
    if result["losses"] or missing_ts:
        result["worker_log_tail"] = log_tail
    return result
