"""Socket Mode, the README's default way to run, driven from outside: `python -m bot` with
SLACK_APP_TOKEN set, against a local WebSocket server that speaks Slack's Socket Mode protocol
(tests/socket_kit.py) and the fake Web API, whose `apps.connections.open` hands out that
server's URL. Nothing of Bolt or slack_sdk is replaced."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.checkin import views as checkin_views
from bot.concerns import views as concern_views
from bot.standin.blockkit import check_response_action
from storage.models import Concern
from tests.concern_kit import ORG, PEOPLE, WRITER, code_in, compose_values
from tests.conftest import seed_org
from tests.fakeslack import Call, FakeSlack
from tests.socket_kit import (
    REFRESH_REQUESTED,
    STOP_WITHIN,
    Leadbot,
    SocketModeServer,
    command,
    home_opened,
    submission,
)

APP_TOKEN = "xapp-1-A0APP-1-socket-mode-test"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def open_now() -> dict[str, Any]:
    """A schedule whose check-in is open whenever the test runs (leadbot runs on the real clock):
    it opened yesterday and closes the day after tomorrow, at 04:00 (the earliest allowed)."""
    today = datetime.now(ZoneInfo(ORG["timezone"])).date()
    day = lambda offset: WEEKDAYS[(today + timedelta(days=offset)).weekday()]  # noqa: E731
    return {
        "checkin": {"day": day(-1), "time": "04:00"},
        "digest": {"day": day(2), "time": "04:00"},
    }


def opened(slack: FakeSlack, trigger: dict[str, Any]) -> Call | None:
    """The views.open call made with this envelope's trigger_id, once it is made."""
    trigger_id = trigger["payload"]["trigger_id"]
    calls = [c for c in slack.of("views.open") if c.params.get("trigger_id") == trigger_id]
    return calls[0] if calls else None


@pytest.fixture
def server() -> Iterator[SocketModeServer]:
    server = SocketModeServer()
    yield server
    server.stop()


@pytest.fixture
def leadbot(
    server: SocketModeServer, slack: FakeSlack, engine: Engine, tmp_path: Path
) -> Iterator[Leadbot]:
    """leadbot started as the README says (`python -m bot`, SLACK_APP_TOKEN set), its org stored."""
    seed_org(engine, {**ORG, "schedule": open_now()}, PEOPLE)
    tickets = itertools.count(1)
    slack.on["apps.connections.open"] = lambda _: {"ok": True, "url": server.url(next(tickets))}
    env = {
        "PATH": os.environ["PATH"],
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "LOG_LEVEL": "INFO",
    }
    leadbot = Leadbot(env, tmp_path, server)
    yield leadbot
    if leadbot.process.poll() is None:
        leadbot.stop()


def test_socket_mode_serves_commands_a_submission_and_an_event_and_reconnects_on_refresh(
    leadbot, server, slack, engine
):
    leadbot.connected(1)
    assert [call.token for call in slack.of("apps.connections.open")] == [APP_TOKEN]

    # /concern opens the compose modal; its submission is answered in the ack's payload
    concern = command("/concern", WRITER, slack.response_url)
    assert leadbot.exchange(concern).message == {"envelope_id": concern["envelope_id"]}
    compose = leadbot.wait(lambda: opened(slack, concern), "views.open for /concern")
    assert compose.params["view"]["callback_id"] == concern_views.COMPOSE
    answer = leadbot.exchange(submission(compose.params["view"], compose_values(), WRITER))
    assert answer.message["payload"]["response_action"] == "update"
    assert check_response_action(answer.message["payload"], compose.params["view"]) == []
    code_in(answer.message["payload"]["view"])  # the receipt, with the follow-up code
    with Session(engine) as session:
        assert len(session.exec(select(Concern)).all()) == 1

    # /checkin opens this week's check-in
    checkin = command("/checkin", WRITER, slack.response_url)
    leadbot.exchange(checkin)
    modal = leadbot.wait(lambda: opened(slack, checkin), "views.open for /checkin")
    assert modal.params["view"]["callback_id"] == checkin_views.MODAL

    # app_home_opened publishes the Home tab
    leadbot.exchange(home_opened(WRITER))
    [home] = leadbot.wait(lambda: slack.of("views.publish"), "views.publish")
    assert home.params["user_id"] == WRITER and home.params["view"]["type"] == "home"

    # Slack asks for a refresh: leadbot asks for a new URL, connects to it, drops the old one.
    # (slack_sdk reads the new connection only once the old one is closed, which waits for
    # that one's pending read to time out: up to 3 s, so the next envelope waits for that.)
    server.send(REFRESH_REQUESTED)
    leadbot.wait(lambda: len(server.connections) == 2 and 1 in server.closed, "reconnection")
    assert [call.token for call in slack.of("apps.connections.open")] == [APP_TOKEN] * 2
    assert [server.ticket(1), server.ticket(2)] == ["1", "2"]

    # and keeps working on the new one
    assert leadbot.exchange(home_opened(WRITER)).connection == 2
    leadbot.wait(lambda: len(slack.of("views.publish")) == 2, "views.publish after reconnecting")
    assert "Traceback" not in leadbot.log()


def test_sigterm_stops_socket_mode_within_15_seconds_without_a_traceback(leadbot, server, slack):
    leadbot.connected(1)
    leadbot.exchange(home_opened(WRITER))
    leadbot.wait(lambda: slack.of("views.publish"), "views.publish")

    took = leadbot.stop()

    assert leadbot.process.returncode == 0, leadbot.log()
    assert took < STOP_WITHIN
    assert "Traceback" not in leadbot.log()
    with server.changed:  # the connection is closed, not left to time out
        assert server.changed.wait_for(lambda: server.closed == {1}, timeout=5)
