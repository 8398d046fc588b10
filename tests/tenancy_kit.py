"""leadbot as a distributed app: OAuth settings, installed workspaces, requests from each."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from slack_bolt import App
from slack_sdk.oauth.installation_store import Installation, InstallationStore
from sqlalchemy.engine import Engine

from bot.app import create_app
from bot.outbox.pacer import Pacer, Rate
from bot.outbox.sender import Sender
from bot.outbox.tokens import client_factory
from bot.runtime.deps import Deps
from bot.settings import Settings
from bot.standin.serve import InlineExecutor, LoopbackServer
from bot.workspace.oauth import installation_store
from tests.conftest import FakeClock
from tests.fakeslack import FakeSlack
from tests.slackreq import SECRET, SlackRequests

KEY = Fernet.generate_key().decode()
CLIENT_SECRET = "oauth-client-secret-never-logged"
ONE, TWO = "T0001", "T0002"
TOKENS = {ONE: "xoxb-one-1111-aaaaaaaaaaaa", TWO: "xoxb-two-2222-bbbbbbbbbbbb"}


@pytest.fixture
def oauth_settings(slack: FakeSlack, database_url: str) -> Settings:
    return Settings(
        bot_token="",
        signing_secret=SECRET,
        slack_api_url=slack.url,
        database_url=database_url,
        client_id="1111.2222",
        client_secret=CLIENT_SECRET,
        encryption_key=KEY,
    )


@pytest.fixture
def oauth_deps(oauth_settings: Settings, engine: Engine, clock: FakeClock) -> Deps:
    return Deps(settings=oauth_settings, engine=engine, clock=clock)


@pytest.fixture
def oauth_app(oauth_deps: Deps) -> App:
    return create_app(oauth_deps, listener_executor=InlineExecutor())


@pytest.fixture
def oauth_server(oauth_app: App) -> Iterator[LoopbackServer]:
    served = LoopbackServer(oauth_app)
    yield served
    served.stop()


@pytest.fixture
def tenants(oauth_server: LoopbackServer, slack: FakeSlack) -> dict[str, SlackRequests]:
    """Signed requests from each of the two workspaces."""
    return {
        team: SlackRequests(oauth_server.url, team_id=team, response_url=slack.response_url)
        for team in (ONE, TWO)
    }


@pytest.fixture
def oauth_sender(oauth_deps: Deps) -> Sender:
    """The outbox sender with each workspace's installed token (and a pacer that never waits)."""
    quick = lambda: Pacer(post_message=Rate(1e6, 1_000), sleep=lambda _s: None)  # noqa: E731
    client_for = client_factory(oauth_deps.settings, oauth_deps.engine, pacer=quick)
    return Sender(oauth_deps.engine, client_for, oauth_deps.clock)


def install(
    settings: Settings,
    engine: Engine,
    team_id: str,
    token: str | None = None,
    store: InstallationStore | None = None,
) -> None:
    """Store an installation as the OAuth flow would (encrypted, through our store, or
    through the app's own `store`, which also resumes a workspace that had uninstalled)."""
    (store or installation_store(settings, engine)).save(
        Installation(
            app_id="A0APP",
            team_id=team_id,
            team_name=f"Team {team_id}",
            bot_token=token or TOKENS[team_id],
            bot_id=f"B{team_id}",
            bot_user_id="UBOT",
            bot_scopes="chat:write,commands",
            user_id="UINSTALLER",
            installed_at=time.time(),
        )
    )


def dump(engine: Engine) -> str:
    """Every row of every table as one string (to look for what must not be stored)."""
    rows: list[Any] = []
    with engine.connect() as connection:
        for name in sa.inspect(connection).get_table_names():
            rows += [list(row) for row in connection.execute(sa.text(f'SELECT * FROM "{name}"'))]
    return json.dumps(rows, default=str)
