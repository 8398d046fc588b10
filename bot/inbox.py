"""The inbox: answers a listener has acknowledged and handed on, until they are stored.

A check-in submission is acknowledged as soon as it is valid, and its answer is written here in
one short insert. The listener then stores it itself, unless its process only acknowledges
(`python -m bot web`); the scheduler's inbox job drains the rest every second, in whichever
process runs it. A row is taken with a conditional update, so one handler at a time has it; a
row whose handler died is taken again after TAKE. Handlers are idempotent (a retried row stores
the same answer again), and a row is deleted only once its handler has finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import Inbox

logger = logging.getLogger(__name__)

TAKE = timedelta(minutes=1)  # how long a handler has a row before another may take it
GIVE_UP = 5  # attempts; the row then stays, logged, for someone to look at
BATCH = 100

# What a kind of row does: (engine, the workspace's client, the row, now).
Handler = Callable[[Engine, WebClient, Inbox, datetime], None]


def put(
    engine: Engine,
    *,
    workspace_id: str,
    user_id: str,
    kind: str,
    body: dict[str, Any],
    now: datetime,
) -> int:
    """Write one row (one insert, one commit); its id. Plain Core on the table: this runs
    for every check-in in the web process, where ORM bookkeeping would double its cost."""
    table = Inbox.__table__  # type: ignore[attr-defined]
    values = {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "kind": kind,
        "body": body,
        "received_at": now,
        "attempts": 0,
    }
    with engine.begin() as connection:
        return int(connection.execute(table.insert().returning(table.c.id), values).scalar_one())


def _take(engine: Engine, row_id: int, now: datetime) -> Inbox | None:
    """The row, taken for this handler; None when another has it (or it is done)."""
    with Session(engine) as session:
        result = session.execute(
            sa.update(Inbox)
            .where(
                col(Inbox.id) == row_id,
                col(Inbox.attempts) < GIVE_UP,
                sa.or_(col(Inbox.taken_until).is_(None), col(Inbox.taken_until) <= now),
            )
            .values(taken_until=now + TAKE, attempts=col(Inbox.attempts) + 1),
            execution_options={"preserve_rowcount": True, "synchronize_session": False},
        )
        session.commit()
        if result.rowcount != 1:
            return None
        row = session.get(Inbox, row_id)
        if row is not None:
            session.expunge(row)
        return row


def handle(
    engine: Engine, row_id: int, handlers: Mapping[str, Handler], client: WebClient, now: datetime
) -> bool:
    """Handle one row unless another handler has it; whether this one did."""
    row = _take(engine, row_id, now)
    if row is None:
        return False
    handler = handlers.get(row.kind)
    if handler is None:
        logger.error("inbox row %s has a kind nobody handles: %s", row_id, row.kind)
        return False
    try:
        handler(engine, client, row, now)
    except Exception:
        level = logging.ERROR if row.attempts >= GIVE_UP else logging.WARNING
        logger.log(
            level,
            "inbox row %s (%s), attempt %d, failed",
            row_id,
            row.kind,
            row.attempts,
            exc_info=True,
        )
        raise
    with engine.begin() as connection:
        connection.execute(sa.delete(Inbox).where(col(Inbox.id) == row_id))
    return True


def drain(
    engine: Engine,
    handlers: Mapping[str, Handler],
    client_for: Callable[[str], WebClient],
    clock: Callable[[], datetime],
) -> int:
    """The inbox job: handle what is waiting (oldest first); how many rows were handled."""
    now = clock()
    with Session(engine) as session:
        waiting = session.exec(
            select(Inbox.id, Inbox.workspace_id)
            .where(
                col(Inbox.attempts) < GIVE_UP,
                sa.or_(col(Inbox.taken_until).is_(None), col(Inbox.taken_until) <= now),
            )
            .order_by(col(Inbox.id))
            .limit(BATCH)
        ).all()
    handled = 0
    for row_id, workspace_id in waiting:
        assert row_id is not None
        try:
            handled += handle(engine, row_id, handlers, client_for(workspace_id), now)
        except Exception:  # noqa: BLE001 - logged by handle; the row is retried after TAKE
            continue
    return handled
