"""`/readyz`: 503 when the database does not answer within a second, else 200; in Socket Mode
the same readiness is logged when it changes (issue 21)."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.standin.serve import LoopbackServer
from bot.web.readiness import Readiness


@pytest.fixture
def readiness(engine, deps) -> Readiness:
    return Readiness(engine, deps.outages.database, deps.clock)


@pytest.fixture
def base(app, readiness) -> Iterator[str]:
    server = LoopbackServer(app, ready=readiness)
    yield server.url.removesuffix("/slack/events")
    server.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_readyz_is_200_while_the_database_answers(base):
    assert get(f"{base}/readyz") == (200, "ready")


def test_readyz_is_503_while_the_database_is_away_and_healthz_stays_200(base, outage, deps, caplog):
    outage.start()
    assert get(f"{base}/readyz") == (503, "not ready: the database did not answer")
    assert get(f"{base}/healthz") == (200, "ok")  # alive all the same: no restart needed
    assert deps.outages.database.down
    outage.end()
    with caplog.at_level(logging.INFO):
        assert get(f"{base}/readyz") == (200, "ready")
    assert "the database is back after" in caplog.text and not deps.outages.database.down


def test_a_database_that_hangs_is_not_ready_after_the_timeout(engine, deps):
    """Waits `timeout` for real: 50 ms here, a second in production."""
    release = threading.Event()

    def hang(*_args) -> None:
        release.wait(10)

    sa.event.listen(engine, "before_cursor_execute", hang)
    try:
        readiness = Readiness(engine, deps.outages.database, deps.clock, timeout=0.05)
        assert readiness() is False
        assert readiness() is False  # the hung probe is waited on, not started again
        assert threading.active_count() < 20
    finally:
        release.set()
        sa.event.remove(engine, "before_cursor_execute", hang)
    assert deps.outages.database.down


def test_in_socket_mode_readiness_is_logged_only_when_it_changes(readiness, outage, caplog):
    with caplog.at_level(logging.INFO, logger="bot.web.readiness"):
        readiness.log_change()
        readiness.log_change()
        outage.start()
        readiness.log_change()
        readiness.log_change()
        outage.end()
        readiness.log_change()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.web.readiness"]
    assert lines == [
        ("INFO", "ready: the database answers"),
        ("WARNING", "not ready: the database did not answer within 1 s"),
        ("INFO", "ready: the database answers"),
    ]
