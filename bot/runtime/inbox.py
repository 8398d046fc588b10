"""The inbox: answers a listener has acknowledged and handed on, until they are stored.

A check-in submission is acknowledged as soon as it is valid, and its answer is written here.
In `python -m bot` the listener writes it in one short insert and then stores it itself. A
process that only acknowledges (`python -m bot web`) gives it to its Handoff instead, whose one
thread writes what is waiting in groups, so no listener thread waits on the database; the
scheduler's inbox job drains the inbox every second, in whichever process runs it.

A row is taken with a conditional update, so one handler at a time has it; a row whose handler
died is taken again after TAKE. Handlers are idempotent (a retried row stores the same answer
again), and a row is deleted only once its handler has finished.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.outage import Outage, database_unavailable, why
from storage.models import Inbox

logger = logging.getLogger(__name__)

TAKE = timedelta(minutes=1)  # how long a handler has a row before another may take it
GIVE_UP = 5  # attempts; the row then stays, logged, for someone to look at
BATCH = 100
GATHER = 0.05  # seconds the handoff waits for more rows to write with the first, in one commit
_TABLE = Inbox.__table__  # type: ignore[attr-defined]

# What a kind of row does: (engine, the workspace's client, the row, now).
Handler = Callable[[Engine, WebClient, Inbox, datetime], None]


def _values(
    workspace_id: str, user_id: str, kind: str, body: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "kind": kind,
        "body": body,
        "received_at": now,
        "attempts": 0,
    }


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
    for every check-in, where ORM bookkeeping would double its cost."""
    values = _values(workspace_id, user_id, kind, body, now)
    with engine.begin() as connection:
        return int(connection.execute(_TABLE.insert().returning(_TABLE.c.id), values).scalar_one())


@dataclass(frozen=True)
class _Pending:
    values: dict[str, Any]
    lost: Callable[[], None]  # tells the person, should the row never be written


class Handoff:
    """Writes rows from one thread, in groups, for a process that only acknowledges.

    A listener calls `put` and is done: it never waits on the database, so under load no ack
    waits for a listener thread held by SQLite's write lock. The thread gathers what arrives
    within GATHER of a first row and writes it in one transaction: with an answer every 2 ms,
    a row written alone cost 0.5 ms of CPU and one gathered 0.19 ms (on SQLite, here), and
    the worker takes the rows only every second anyway. A row that can't be written is
    logged and given to its `lost`, so the person hears: the whole group when the database
    fails (it is down, or locked past its timeout), only the bad row when the database refuses
    one. `close` (at shutdown) writes what is waiting; a row put after it is written at once."""

    def __init__(self, engine: Engine, outage: Outage | None = None) -> None:
        self._engine = engine
        self._outage = (
            outage  # when given, a failing database is its few lines (bot/runtime/outage.py)
        )
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._closed = False
        self._unwritten = 0
        self._changed = threading.Condition()  # over _closed and _unwritten
        self._thread = threading.Thread(target=self._run, name="inbox-handoff", daemon=True)
        self._thread.start()

    def put(
        self,
        *,
        workspace_id: str,
        user_id: str,
        kind: str,
        body: dict[str, Any],
        now: datetime,
        lost: Callable[[], None],
    ) -> None:
        pending = _Pending(_values(workspace_id, user_id, kind, body, now), lost)
        with self._changed:
            if not self._closed:  # nothing is ever queued behind close()'s end mark
                self._unwritten += 1
                self._queue.put(pending)
                return
        self._write([pending])

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row put so far is written (or given to its `lost`); whether that
        happened within `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unwritten == 0, timeout)

    def close(self) -> None:
        """Write what is waiting and stop the thread; a second Ctrl-C or SIGTERM meanwhile
        does not cut the writing short (`kill -9` does, and loses what was waiting)."""
        with self._changed:
            if not self._closed:
                self._closed = True
                self._queue.put(None)
        while self._thread.is_alive():
            try:
                self._thread.join()
            except KeyboardInterrupt:
                logger.warning("stopping once %d handed-on rows are written", self._unwritten)

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            until = time.monotonic() + GATHER
            while len(group) < BATCH and group[-1] is not None:
                try:
                    group.append(self._queue.get(timeout=max(until - time.monotonic(), 0)))
                except queue.Empty:
                    break
            rows = [pending for pending in group if pending is not None]
            try:
                self._write(rows)
            finally:
                with self._changed:
                    self._unwritten -= len(rows)
                    self._changed.notify_all()
            if len(rows) < len(group):  # close()'s end mark, the last thing queued
                return

    def _write(self, group: list[_Pending]) -> None:
        if not group:
            return
        try:
            with self._engine.begin() as connection:
                connection.execute(_TABLE.insert(), [pending.values for pending in group])
            if self._outage is not None:
                self._outage.recovered(datetime.now(UTC))
            return
        except sa.exc.OperationalError as error:  # the database failed: every row shares its fate
            if self._outage is not None:
                self._outage.failed("inbox hand-off", datetime.now(UTC), why(error))
            else:
                logger.exception("could not hand %d rows on to be stored", len(group))
        except Exception:  # noqa: BLE001 - the database or its driver refused a row: keep going
            if len(group) > 1:  # one at a time, so that only the bad row is lost
                for pending in group:
                    self._write([pending])
                return
            logger.exception("could not hand a %s on to be stored", group[0].values["kind"])
        for pending in group:
            try:
                pending.lost()
            except Exception:  # noqa: BLE001 - nothing more can be done than saying so
                logger.exception(
                    "could not tell someone a %s was not saved", pending.values["kind"]
                )


_TAKE = (  # built once: it runs for every answer (see storage.queries)
    sa.update(Inbox)
    .where(
        col(Inbox.id) == sa.bindparam("row_id"),
        col(Inbox.attempts) < GIVE_UP,
        sa.or_(col(Inbox.taken_until).is_(None), col(Inbox.taken_until) <= sa.bindparam("now")),
    )
    .values(taken_until=sa.bindparam("until"), attempts=col(Inbox.attempts) + 1)
    .returning(Inbox)  # the row as taken, in the same statement
)
_DONE = _TABLE.delete().where(_TABLE.c.id == sa.bindparam("row_id"))


def _take(engine: Engine, row_id: int, now: datetime) -> Inbox | None:
    """The row, taken for this handler; None when another has it (or it is done)."""
    with Session(engine, expire_on_commit=False) as session:
        row = session.scalars(
            _TAKE,
            {"row_id": row_id, "now": now, "until": now + TAKE},
            execution_options={"synchronize_session": False},
        ).first()
        session.commit()
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
    except Exception as error:
        if not database_unavailable(
            error
        ):  # else the job's outage lines say it (bot/outbox/jobs.py)
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
        connection.execute(_DONE, {"row_id": row_id})
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
        except Exception as error:  # noqa: BLE001 - logged by handle; retried after TAKE
            if database_unavailable(error):
                raise  # the others would fail alike: the job's outage lines say so
            continue
    return handled
