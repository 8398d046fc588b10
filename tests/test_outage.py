"""An outage is a few log lines, not thousands; retries after one spread out (issue 21).

Jobs are called by hand on a frozen clock (the scheduler is never started), the database
fails on demand (tests/conftest.py `DatabaseOutage`), Slack through the fake's `on` hooks.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.cli import sender_client
from bot.outbox.jobs import build_scheduler
from bot.outbox.pacer import Pacer, Rate
from bot.outbox.sender import JITTER, Sender, backoff, retry_delay
from bot.runtime.outage import Outage, for_how_long
from handlers import inbox_handlers
from storage.models import Delivery
from tests.conftest import TEAM, seed_org
from tests.outbox.test_pacer import FakeTime

PEOPLE = [{"user_id": "UMGR", "tz": "Europe/Berlin"}] + [
    {"user_id": f"U{i:02d}", "tz": "Europe/Berlin"} for i in range(1, 31)
]
ORG = {
    "timezone": "Europe/Berlin",
    "teams": [
        {
            "key": "platform",
            "name": "Platform",
            "manager": "UMGR",
            "members": [p["user_id"] for p in PEOPLE[1:]],
        }
    ],
}
THURSDAY = "2026-11-26T12:00:00+00:00"
NUDGE_W48 = "2026-11-27T13:00:00+00:00"  # Fri 14:00 Berlin: 31 nudges are due
START = "2026-11-27T13:00:00+00:00"


@pytest.fixture
def org(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    clock.set(THURSDAY)
    with Session(engine) as session:
        checkins.replan(session, TEAM, [p["user_id"] for p in PEOPLE], clock())
        session.commit()


def ours(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[logging.LogRecord]:
    """What leadbot itself logged at `level` and above."""
    return [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= level]


def run_jobs(deps, sender, app, clock, outage, *, seconds: int, down: range) -> None:
    """The scheduler's jobs as its clock would run them, one call per second of `seconds`:
    the inbox every second, the outbox every tick, the heartbeat every 10 s, the daily jobs at
    the start; the database is away during the seconds in `down`."""
    scheduler = build_scheduler(deps, sender, lambda _workspace: app.client, inbox_handlers())
    jobs = {job.id: job for job in scheduler.get_jobs()}  # never started: we are its clock
    start = clock.set(START)
    for second in range(seconds):
        clock.now = start + timedelta(seconds=second)
        (outage.start if second in down else outage.end)()
        for job in jobs.values():
            every = job.trigger.interval.total_seconds()
            if second % every == 0:
                job.func()
    outage.end()


def test_a_minute_without_the_database_is_three_lines_in_the_jobs_log(
    org, deps, sender, app, clock, outage, caplog
):
    with caplog.at_level(logging.DEBUG):
        run_jobs(deps, sender, app, clock, outage, seconds=75, down=range(61))  # 0 s to 60 s

    lines = ours(caplog)
    levels = Counter(r.levelname for r in lines)
    assert levels["ERROR"] == 1 and levels["INFO"] == 1, [r.getMessage() for r in lines]
    [error] = [r for r in lines if r.levelname == "ERROR"]
    assert error.getMessage().startswith("the database is unavailable (OperationalError: ")
    warnings = [r.getMessage() for r in lines if r.levelname == "WARNING"]
    assert sorted(warnings) == [  # a minute in, once for each job that still failed
        "the database still unavailable after 1 min 0 s (job inbox: "
        "OperationalError: connection to server failed: Connection refused (a test's outage))",
        "the database still unavailable after 1 min 0 s (job outbox: "
        "OperationalError: connection to server failed: Connection refused (a test's outage))",
    ]
    [back] = [r.getMessage() for r in lines if r.levelname == "INFO"]
    assert back == "the database is back after 1 min 1 s"
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("bot"))
    assert len(lines) == 4  # against 61 + 4 tracebacks before


def test_a_long_outage_warns_at_most_once_a_minute_per_job_saying_for_how_long(
    org, deps, sender, app, clock, outage, caplog
):
    with caplog.at_level(logging.INFO):
        run_jobs(deps, sender, app, clock, outage, seconds=200, down=range(190))
    warned = Counter(
        r.getMessage().split("(")[1].split(":")[0]
        for r in ours(caplog, logging.WARNING)
        if r.levelname == "WARNING"
    )
    assert warned == {"job inbox": 3, "job outbox": 3}  # at 1, 2 and 3 minutes
    assert [r.getMessage() for r in ours(caplog) if r.levelname == "INFO"] == [
        "the database is back after 3 min 10 s"
    ]


def test_the_outage_lines_on_their_own():
    outage, now = Outage("the thing", every=timedelta(minutes=1)), clock_at(START)
    outage.recovered(now)  # it was never away: nothing to say
    assert not outage.down
    outage.failed("a", now, "gone")
    assert outage.down and outage.since == now
    outage.failed("b", now + timedelta(seconds=59), "gone")
    assert for_how_long(timedelta(hours=2, minutes=5, seconds=7)) == "2 h 5 min"
    assert for_how_long(timedelta(seconds=75)) == "1 min 15 s"


def clock_at(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


# --- Slack failing, seen by the sender -------------------------------------------------------


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pacer(time) -> Pacer:
    return Pacer(clock=time.clock, sleep=time.sleep, post_message=Rate(20, 10))


@pytest.fixture
def paced(engine, clock, settings, pacer, deps) -> Sender:
    client = sender_client(settings, pacer)
    return Sender(engine, lambda _workspace: client, clock, outages=deps.outages)


def test_slack_down_for_17_minutes_is_one_line_when_it_starts_and_one_when_it_is_back(
    org, engine, clock, slack, paced, caplog
):
    slack.on["chat.postMessage"] = lambda _p: {"ok": False, "error": "fatal_error", "_status": 503}
    start = clock.set(NUDGE_W48)
    with caplog.at_level(logging.DEBUG):
        for minute in range(17):
            clock.now = start + timedelta(minutes=minute)
            paced.drain()
        slack.on.pop("chat.postMessage")
        for minute in range(17, 140):
            clock.now = start + timedelta(minutes=minute)
            paced.drain()

    with Session(engine) as session:
        nudges = session.exec(
            select(Delivery).where(Delivery.kind == "nudge", Delivery.period == "2026-W48")
        ).all()
    assert {row.status for row in nudges} == {"sent"} and len(nudges) == 31
    lines = ours(caplog)
    assert [(r.levelname, r.getMessage()) for r in lines if r.levelname != "WARNING"] == [
        (
            "ERROR",
            "Slack's Web API is unavailable (fatal_error), noticed by the sender; "
            "31 deliveries wait",
        ),
        ("INFO", "Slack's Web API is back after 17 min 0 s; 31 deliveries wait"),
    ]
    warnings = [r.getMessage() for r in lines if r.levelname == "WARNING"]
    assert len(warnings) <= 17  # at most one a minute, each with how long and how many wait
    assert all("still unavailable after" in w and "deliveries wait" in w for w in warnings)


def test_retries_of_rows_that_failed_together_spread_and_the_pacer_still_bounds_the_rate(
    org, engine, clock, slack, paced, time
):
    slack.on["chat.postMessage"] = lambda _p: {"ok": False, "error": "fatal_error", "_status": 500}
    failed_at = clock.set(NUDGE_W48)
    paced.drain()
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery).where(Delivery.kind == "nudge", Delivery.period == "2026-W48")
        ).all()
    waits = sorted((row.due_at - failed_at).total_seconds() for row in rows)
    assert len(waits) == 31
    low, high = (
        (backoff(1) * (1 - JITTER)).total_seconds(),
        (backoff(1) * (1 + JITTER)).total_seconds(),
    )
    assert low <= waits[0] and waits[-1] <= high  # each within its backoff ± 20 %
    assert len(set(waits)) == 31 and waits[-1] - waits[0] >= 12  # not all in the same second

    sent_at: list[float] = []

    def accept(params: dict) -> dict:
        sent_at.append(time.now)
        return slack._default("chat.postMessage", params)  # noqa: SLF001 - the fake's own answer

    slack.on["chat.postMessage"] = accept
    clock.set((failed_at + timedelta(seconds=high)).isoformat())  # all due together again
    assert paced.drain() == 31
    assert len(sent_at) == 31
    for i, first in enumerate(sent_at):  # Rate(20, burst 10): no window holds more
        for j in range(i, len(sent_at)):
            assert j - i + 1 <= 10 + 20 * (sent_at[j] - first) + 1e-9


def test_the_jitter_spans_twenty_percent_either_way():
    assert retry_delay(1, 0.0) == timedelta(seconds=48)
    assert retry_delay(1, 0.5) == backoff(1) == timedelta(minutes=1)
    assert retry_delay(3, 0.999999) < timedelta(minutes=4) * 1.2
