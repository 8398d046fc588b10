"""Readiness: whether this process can do its work now, that is, whether its database answers.

`/healthz` says the process is alive; `/readyz` (bot/web/server.py) says whether it is ready: 503
when the database does not answer `SELECT 1` within a second, else 200, for load balancers
and orchestrators to route around a process that would fail. In Socket Mode there is no HTTP
to ask, so the same check runs every few seconds and its result is logged when it changes.

A probe runs in a thread of its own, so the answer never waits more than the second, whatever
the driver does (a connection to an unreachable host can block far longer); while one hangs,
later checks wait on it rather than start another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.runtime.outage import Outage, database_unavailable, why

logger = logging.getLogger(__name__)

TIMEOUT = 1.0  # seconds the database has to answer
WATCH_EVERY = 10.0  # seconds between checks in Socket Mode


class _Probe:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.ready = False


class Readiness:
    """Callable: whether the database answered within `timeout` seconds. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        outage: Outage,
        clock: Callable[[], datetime],
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        self.engine = engine
        self.outage = outage
        self.clock = clock
        self.timeout = timeout
        self.last: bool | None = None  # what `log_change` said last
        self._probe: _Probe | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            probe = self._probe
            if probe is None or probe.done.is_set():
                probe = self._probe = _Probe()
                threading.Thread(
                    target=self._run, args=(probe,), name="readiness", daemon=True
                ).start()
        if probe.done.wait(self.timeout):
            return probe.ready
        self.outage.failed("readiness", self.clock(), f"no answer within {self.timeout:g} s")
        return False

    def _run(self, probe: _Probe) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            probe.ready = True
            self.outage.recovered(self.clock())
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            if database_unavailable(error):
                self.outage.failed("readiness", self.clock(), why(error))
            else:
                logger.warning("readiness: the database check failed (%s)", why(error))
        finally:
            probe.done.set()

    def log_change(self) -> bool:
        """Check, and log the result when it differs from the last one (Socket Mode)."""
        ready = self()
        if ready != self.last:
            if ready:
                logger.info("ready: the database answers")
            else:
                logger.warning("not ready: the database did not answer within %g s", self.timeout)
            self.last = ready
        return ready

    def watch(self, every: float = WATCH_EVERY) -> threading.Event:
        """Check every `every` seconds in a thread, logging changes; set the event to stop."""
        stop = threading.Event()

        def loop() -> None:
            self.log_change()
            while not stop.wait(every):
                self.log_change()

        threading.Thread(target=loop, name="readiness-watch", daemon=True).start()
        return stop
