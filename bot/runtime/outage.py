"""Outages of what leadbot depends on (the database, Slack's Web API), logged as a few lines.

While the database is away the inbox job fails every second and the outbox job every tick;
logging each failure with its traceback buries everything else. An `Outage` turns them into
three kinds of line: one ERROR when it starts (naming what failed and why), at most one
WARNING a minute per job while it lasts (saying for how long), and one INFO when it is back.
Whoever notices a failure calls `failed`; whoever proves it works again calls `recovered`.
Times come from the caller (the injectable clock), so tests freeze them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

logger = logging.getLogger(__name__)

WARN_EVERY = timedelta(minutes=1)  # per job, while an outage lasts
Note = Callable[[], str] | None  # more for a line, asked for only when one is written
_UNAVAILABLE = (
    sa.exc.OperationalError,  # down, unreachable, locked past its timeout, disk full
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,  # no connection free in the pool in time
)


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database can't be used now, rather than refusing a statement."""
    if isinstance(error, _UNAVAILABLE):
        return True
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


def why(error: BaseException) -> str:
    """What failed, for an operator: the error's type and the driver's first line. Never the
    statement or its parameters (they could hold someone's words)."""
    original = getattr(error, "orig", None) or error  # the driver's, without SQL or parameters
    first = (str(original).strip().splitlines() or [""])[0][:160]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def for_how_long(took: timedelta) -> str:
    """`45 s`, `3 min 5 s`, `2 h 10 min`."""
    seconds = max(0, int(took.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


class Outage:
    """One dependency's state (up, or down since when) and the lines that say so. Thread-safe:
    the scheduler's jobs and the listeners report from their own threads."""

    def __init__(self, what: str, *, every: timedelta = WARN_EVERY) -> None:
        self.what = what
        self.every = every
        self.since: datetime | None = None
        self._warned: dict[str, datetime] = {}  # job → its last WARNING in this outage
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, job: str, now: datetime, reason: str, note: Note = None) -> None:
        """`job` could not use it: an ERROR if it was up, else a WARNING at most once a minute
        per job (the first one a minute into the outage). `note` adds to the line (a count,
        say); it is asked for only when a line is written."""
        with self._lock:
            if self.since is None:
                self.since, self._warned = now, {}
                took = None
            else:
                last = self._warned.get(job, self.since)
                if now - last < self.every:
                    return
                self._warned[job] = now
                took = for_how_long(now - self.since)
        if took is None:
            logger.error(
                "%s is unavailable (%s), noticed by %s%s", self.what, reason, job, _noted(note)
            )
        else:
            logger.warning(
                "%s still unavailable after %s (%s: %s)%s",
                self.what,
                took,
                job,
                reason,
                _noted(note),
            )

    def recovered(self, now: datetime, note: Note = None) -> None:
        """It worked again: one INFO with how long it was away (nothing when it was up)."""
        if self.since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self.since is None:
                return
            took, self.since = for_how_long(now - self.since), None
        logger.info("%s is back after %s%s", self.what, took, _noted(note))


def _noted(note: Note) -> str:
    if note is None:
        return ""
    try:
        return note()
    except Exception as error:  # noqa: BLE001 - the line matters more than its detail
        return f" (could not count: {type(error).__name__})"


@dataclass(frozen=True)
class Outages:
    """The process's outages, shared by its jobs, listeners, sender and readiness check."""

    database: Outage = field(default_factory=lambda: Outage("the database"))
    slack: Outage = field(default_factory=lambda: Outage("Slack's Web API"))
