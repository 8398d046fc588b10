"""Scaling out: three sender processes on one PostgreSQL, leases, and the due-work query plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.org.plan import plan_for
from bot.outbox.sender import LEASE
from storage import queries
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Delivery
from tests.conftest import TEAM, seed_org
from tests.fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BEFORE = "2026-11-26T12:00:00+00:00"  # Thursday
NUDGE = "2026-11-27T13:00:00+00:00"  # Fri 14:00 Berlin, when W48 opens


def big_org(teams: int, size: int = 10) -> tuple[dict, list[dict]]:
    """`teams` teams of a manager and `size - 1` members, all in Berlin."""
    config = {
        "timezone": "Europe/Berlin",
        "teams": [
            {
                "key": f"t{i}",
                "name": f"Team {i}",
                "manager": f"UM{i:04d}",
                "members": [f"U{i:04d}X{j}" for j in range(size - 1)],
            }
            for i in range(teams)
        ],
    }
    people = [
        {"user_id": user, "tz": "Europe/Berlin"}
        for team in config["teams"]
        for user in (team["manager"], *team["members"])
    ]
    return config, people


def due_nudges(engine: Engine, people: list[dict], clock) -> int:
    """Everyone's W48 nudge, exactly as planning makes it (all share one zone and schedule)."""
    with Session(engine) as session:
        plan = plan_for(session, TEAM, people[0]["user_id"])
        assert plan is not None
        this = plan.upcoming(clock.set(BEFORE))
        rows = [
            Delivery(
                workspace_id=TEAM,
                subject=p["user_id"],
                kind=checkins.NUDGE,
                period=this.label,
                channel=p["user_id"],
                due_at=this.opens_at,
                expires_at=this.closes_at,
            )
            for p in people
        ]
        made = queries.insert_deliveries(session=session, rows=rows)
        session.commit()
        return made


@pytest.fixture
def pg(database_url: str) -> Iterator[tuple[Engine, str]]:
    """A schema of its own on PostgreSQL (skipped only when PostgreSQL is unreachable)."""
    base = database_url if database_url.startswith("postgresql") else PG_URL
    schema = f"scale_{os.getpid()}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except OperationalError:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {base}")
    url = f"{base}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    yield engine, url
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def threaded_slack() -> Iterator[FakeSlack]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    fake = FakeSlack(server)
    yield fake
    server.clear()
    server.stop()
    fake.assert_accepted()


def start_sender(url: str, api_url: str, now: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scale_sender", url, api_url, now],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_three_sender_processes_send_each_of_3000_nudges_exactly_once(pg, clock, threaded_slack):
    engine, url = pg
    config, people = big_org(30, 100)
    seed_org(engine, config, people)
    assert due_nudges(engine, people, clock) == 3_000
    with engine.begin() as connection:  # as autovacuum would soon after a bulk load
        connection.execute(sa.text("ANALYZE"))

    senders = [start_sender(url, threaded_slack.url, NUDGE) for _ in range(3)]
    for sender in senders:  # all three are up before any starts, so they race for real
        assert sender.stdout is not None and sender.stdout.readline().strip() == "ready"
    for sender in senders:
        assert sender.stdin is not None
        sender.stdin.write("go\n")
        sender.stdin.flush()
    handled = []
    for sender in senders:
        out, _ = sender.communicate(timeout=300)
        assert sender.returncode == 0
        handled.append(json.loads(out.strip().splitlines()[-1])["handled"])

    posts = Counter(c.params["channel"] for c in threaded_slack.of("chat.postMessage"))
    assert posts == Counter({p["user_id"]: 1 for p in people})  # each person exactly once
    with Session(engine) as session:
        rows = list(session.exec(select(Delivery).where(Delivery.kind == checkins.NUDGE)))
    sent = [row for row in rows if row.period == "2026-W48"]
    assert len(sent) == 3_000 and {row.status for row in sent} == {"sent"}
    assert len({row.ts for row in sent}) == 3_000 and all(row.ts for row in sent)
    assert sum(handled) == 3_000 and all(count > 0 for count in handled), handled


def test_a_claim_left_by_a_killed_process_is_taken_over_once_its_lease_expires(
    engine, clock, sender, slack
):
    config, people = big_org(1)
    seed_org(engine, config, people[:3])
    config["teams"][0]["members"] = config["teams"][0]["members"][:2]
    due_nudges(engine, people[:3], clock)
    now = clock.set(NUDGE)
    dead, alive = people[1]["user_id"], people[2]["user_id"]
    with Session(engine) as session:  # two claims: one whose process died, one still working
        for user, lease_until in ((dead, now - timedelta(seconds=1)), (alive, now + LEASE)):
            row = queries.get_delivery(
                session=session, workspace_id=TEAM, subject=user, kind="nudge", period="2026-W48"
            )
            row.status, row.lease_until, row.attempts = "sending", lease_until, 1
            session.add(row)
        session.commit()

    sender.drain()
    sent_to = Counter(c.params["channel"] for c in slack.of("chat.postMessage"))
    assert sent_to == Counter({people[0]["user_id"]: 1, dead: 1})  # the live claim is left alone

    clock.set((now + LEASE).isoformat())
    sender.drain()
    sender.drain()
    sent_to = Counter(c.params["channel"] for c in slack.of("chat.postMessage"))
    assert sent_to == Counter({p["user_id"]: 1 for p in people[:3]})
    with Session(engine) as session:
        statuses = {
            row.subject: (row.status, row.attempts)
            for row in session.exec(select(Delivery).where(Delivery.kind == "nudge"))
            if row.period == "2026-W48"
        }
    assert statuses[dead] == ("sent", 2) and statuses[alive] == ("sent", 2)


def plan_text(engine: Engine, clock) -> str:
    statement = queries.due_candidates(now=clock(), limit=50)
    with engine.connect() as connection:
        compiled = statement.compile(connection)
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params.values())
            )
            return "\n".join(str(row[-1]) for row in rows)
        connection.execute(sa.text("ANALYZE delivery"))
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        return "\n".join(row[0] for row in rows)


def test_finding_due_work_is_an_index_range_on_status_and_due_time(engine, clock):
    now = clock()
    rows = [
        {
            "workspace_id": TEAM,
            "subject": f"U{i}",
            "kind": "nudge",
            "period": "2026-W48",
            "channel": f"U{i}",
            "due_at": now + timedelta(minutes=i - 20),
            "expires_at": now + timedelta(days=3),
            "status": "pending" if i % 4 == 0 else "sent",
            "created_at": now,
        }
        for i in range(5_000)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(Delivery), rows)
    text = plan_text(engine, clock)
    if engine.dialect.name == "sqlite":
        assert "USING INDEX ix_delivery_due (status=? AND due_at<?)" in text, text
    else:
        assert "Index Scan on ix_delivery_due" in text or "Index Cond" in text, text
        assert "Seq Scan" not in text, text
    with Session(engine) as session:
        claimed = queries.claim_due(session=session, now=now, lease=LEASE, limit=50, claimer="test")
    assert [row.subject for row in claimed] == [f"U{i}" for i in range(0, 21, 4)]
