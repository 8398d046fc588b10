"""A normal start logs no warning, in every mode, whatever .env put in the environment."""

from __future__ import annotations

import io
import logging
import signal
from collections.abc import Iterator

import pytest
from slack_bolt import App
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

import bot.cli
import bot.web.server
from bot import logs
from bot.app import LISTENER_TIMEOUT, create_app
from bot.runtime.deps import Deps
from bot.settings import Settings
from bot.standin.serve import InlineExecutor
from tests.tenancy_kit import CLIENT_SECRET, KEY

API_URL = "http://127.0.0.1:9/api/"  # nothing is called while starting
SINGLE = {"SLACK_BOT_TOKEN": "xoxb-from-dotenv", "SLACK_SIGNING_SECRET": "signing-secret"}
SOCKET = {"SLACK_BOT_TOKEN": "xoxb-from-dotenv", "SLACK_APP_TOKEN": "xapp-1-from-dotenv"}
OAUTH = {  # as .env.example is filled in for many workspaces: SLACK_BOT_TOKEN left empty
    "SLACK_BOT_TOKEN": "",
    "SLACK_SIGNING_SECRET": "signing-secret",
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "LEADBOT_ENCRYPTION_KEY": KEY,
}


def warnings(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    "mode",
    [
        {"bot_token": "xoxb-test-token", "signing_secret": "s"},
        {"bot_token": "xoxb-test-token", "signing_secret": None, "app_token": "xapp-1-test"},
    ],
    ids=["http", "socket-mode"],
)
def test_building_the_app_with_a_token_logs_no_warning_whatever_the_environment_holds(
    mode, engine, clock, caplog, monkeypatch
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-dotenv")  # what .env puts there
    settings = Settings(slack_api_url=API_URL, **mode)
    with caplog.at_level(logging.DEBUG):
        app = create_app(Deps(settings, engine, clock), listener_executor=InlineExecutor())
    assert warnings(caplog.records) == []
    assert_listener_client(app, API_URL, settings.bot_token)


def test_building_the_app_for_many_workspaces_logs_no_warning(
    oauth_settings, engine, clock, caplog, monkeypatch
):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)  # as `python -m bot` leaves it
    with caplog.at_level(logging.DEBUG):
        app = create_app(Deps(oauth_settings, engine, clock), listener_executor=InlineExecutor())
    assert warnings(caplog.records) == []
    assert_listener_client(app, oauth_settings.slack_api_url, None)


def assert_listener_client(app: App, url: str, token: str | None) -> None:
    """What every request's client is copied from: our Slack URL, the token, no 429 retry."""
    assert app.client.base_url == url and app.client.timeout == LISTENER_TIMEOUT
    assert app.client.token == token
    assert not any(isinstance(h, RateLimitErrorRetryHandler) for h in app.client.retry_handlers)


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The logging setup and SIGTERM handler `python -m bot` replaces, restored afterwards."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.mark.parametrize("env", [SINGLE, SOCKET, OAUTH], ids=["http", "socket-mode", "oauth"])
def test_a_normal_start_logs_no_warning(env, database_url, kept, monkeypatch):
    stderr = io.StringIO()  # where leadbot's own log handler writes
    monkeypatch.setattr(logs.sys, "stderr", stderr)
    served: list[App] = []
    monkeypatch.setattr(bot.web.server, "serve_http", lambda app, *_: served.append(app))
    monkeypatch.setattr(bot.web.server, "serve_socket_mode", lambda app, _token: served.append(app))
    for name, value in {**env, "DATABASE_URL": database_url, "SLACK_API_URL": API_URL}.items():
        monkeypatch.setenv(name, value)
    assert bot.cli.main(["web"]) == 0  # serves (here: returns at once), without the scheduler
    assert len(served) == 1
    logged = stderr.getvalue()
    assert " WARNING " not in logged and " ERROR " not in logged, logged
    assert " INFO " in logged  # the start was logged, through leadbot's own handler
