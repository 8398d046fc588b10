"""Due-work tick: how long the sender takes to find (and claim) what is due, as the org grows.

Each person has a realistic outbox: four past weeks of sent nudges and reminders, and their
next two nudges pending in the future. 100 people's nudges are due now. The tick is
`claim_due` (the indexed candidate query plus the claim), timed 30 times; between runs the
claimed rows are put back. The idle tick (nothing due, most ticks) is timed too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bench.common import WORKSPACE, analyze, database
from bot.outbox.sender import LEASE
from storage import queries
from storage.models import Delivery, Person

SIZES = (1_000, 10_000, 100_000)
DUE = 100
REPEAT = 30
NOW = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def label(week: int) -> str:
    return f"2026-W{week:02d}"


def rows_for(index: int, user: str) -> list[dict[str, Any]]:
    """One person's outbox: history, and what is coming (due now for the first `DUE`)."""
    rows = []
    for back in range(4, 0, -1):
        sent = NOW - timedelta(weeks=back)
        for kind, at, status in (
            ("nudge", sent, "sent"),
            ("reminder", sent + timedelta(hours=4), "sent" if index % 3 else "cancelled"),
        ):
            rows.append(_row(user, kind, label(48 - back), at, status, sent_at=at))
    first = (
        NOW - timedelta(minutes=1) if index < DUE else NOW + timedelta(days=1, minutes=index % 600)
    )
    rows.append(_row(user, "nudge", label(48), first, "pending"))
    rows.append(_row(user, "nudge", label(49), first + timedelta(weeks=1), "pending"))
    return rows


def _row(
    user: str, kind: str, period: str, due: datetime, status: str, sent_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "workspace_id": WORKSPACE,
        "subject": user,
        "kind": kind,
        "period": period,
        "channel": user,
        "due_at": due,
        "expires_at": due + timedelta(days=3),
        "status": status,
        "sent_at": sent_at,
        "ts": "1800000000.000001" if status == "sent" else None,
        "created_at": due - timedelta(days=7),
    }


def seed(engine: Engine, people: int) -> int:
    users = [f"U{i:06d}" for i in range(people)]
    made = 0
    with engine.begin() as connection:
        for start in range(0, people, 5_000):
            chunk = users[start : start + 5_000]
            connection.execute(
                sa.insert(Person),
                [{"workspace_id": WORKSPACE, "user_id": u, "synced_at": NOW} for u in chunk],
            )
            rows = [row for i, u in enumerate(chunk, start) for row in rows_for(i, u)]
            connection.execute(sa.insert(Delivery), rows)
            made += len(rows)
    analyze(engine)
    return made


def put_back(engine: Engine, ids: list[int]) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(Delivery)
            .where(col(Delivery.id).in_(ids))
            .values(status="pending", lease_until=None, attempts=0)
        )


def measure(engine: Engine) -> dict[str, float]:
    lease = LEASE
    claims, finds, idles = [], [], []
    for _ in range(REPEAT):
        with Session(engine) as session:
            start = time.perf_counter()
            session.exec(queries.due_candidates(now=NOW, limit=DUE)).all()
            finds.append(time.perf_counter() - start)
            session.rollback()
        with Session(engine) as session:
            start = time.perf_counter()
            claimed = queries.claim_due(
                session=session, now=NOW, lease=lease, limit=DUE, claimer="bench"
            )
            claims.append(time.perf_counter() - start)
        assert len(claimed) == DUE, len(claimed)
        put_back(engine, [row.id for row in claimed if row.id is not None])
        with Session(engine) as session:
            start = time.perf_counter()
            queries.claim_due(
                session=session,
                now=NOW - timedelta(hours=1),
                lease=lease,
                limit=DUE,
                claimer="bench",
            )
            idles.append(time.perf_counter() - start)
    ms = lambda values, q=0.5: round(sorted(values)[int(len(values) * q)] * 1000, 2)  # noqa: E731
    return {
        "claim_ms_median": ms(claims),
        "claim_ms_p90": ms(claims, 0.9),
        "find_ms_median": ms(finds),
        "idle_tick_ms_median": ms(idles),
    }


def run(db: str) -> dict[str, Any]:
    """The figures for each size on one database."""
    result: dict[str, Any] = {}
    for people in SIZES:
        with database(db, f"tick{people}") as (engine, _url):
            rows = seed(engine, people)
            figures = measure(engine)
        result[str(people)] = {"people": people, "outbox_rows": rows, **figures}
        print(f"  tick {db} {people:>7} people: {figures}", flush=True)
    small, large = result[str(SIZES[0])], result[str(SIZES[-1])]
    result["ratio_100k_to_1k"] = round(large["claim_ms_median"] / small["claim_ms_median"], 2)
    result["target_met"] = large["claim_ms_median"] <= 50 and result["ratio_100k_to_1k"] <= 2
    return result
