"""Fixtures: a fresh database per test, a fake Slack over HTTP, the app served over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from slack_bolt import App
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.app import create_app
from bot.org.config import OrgConfig
from bot.outbox.sender import Sender
from bot.runtime.deps import Deps
from bot.settings import Settings
from bot.standin.serve import InlineExecutor, LoopbackServer
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Membership, Objective, Person, Team, Workspace
from tests.fakeslack import FakeSlack
from tests.slackreq import SECRET, SlackRequests

TEAM = "T0001"


class FakeClock:
    """A clock the test moves by hand (the app reads it through Deps.clock)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> datetime:
        self.now = datetime.fromisoformat(text).astimezone(UTC)
        return self.now


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'leadbot.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


class DatabaseOutage:
    """The database failing on demand, as an unreachable one does: every statement on the
    engine raises the driver's own OperationalError (SQLite's or psycopg's), which SQLAlchemy
    wraps as it would a real one, until `end()`. `start(after=n)` lets n statements through
    first, to fail in the middle of a piece of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.active = False
        self.after = 0
        sa.event.listen(engine, "before_cursor_execute", self._execute)

    def start(self, *, after: int = 0) -> None:
        self.active, self.after = True, after

    def end(self) -> None:
        self.active = False

    def _execute(self, *_: Any) -> None:
        if not self.active:
            return
        if self.after > 0:
            self.after -= 1
            return
        raise self.engine.dialect.loaded_dbapi.OperationalError(
            "connection to server failed: Connection refused (a test's outage)"
        )


@pytest.fixture
def outage(engine: Engine) -> DatabaseOutage:
    return DatabaseOutage(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))


@pytest.fixture
def slack(httpserver: HTTPServer) -> Iterator[FakeSlack]:
    """The fake Slack Web API; a test fails if it sent anything Slack would refuse."""
    fake = FakeSlack(httpserver)
    yield fake
    fake.assert_accepted()


@pytest.fixture
def settings(slack: FakeSlack, database_url: str) -> Settings:
    return Settings(
        bot_token="xoxb-test-token",
        signing_secret=SECRET,
        slack_api_url=slack.url,
        database_url=database_url,
    )


@pytest.fixture
def deps(settings: Settings, engine: Engine, clock: FakeClock) -> Deps:
    return Deps(settings=settings, engine=engine, clock=clock)


@pytest.fixture
def app(deps: Deps) -> App:
    return create_app(deps, listener_executor=InlineExecutor())


@pytest.fixture
def requests(app: App, slack: FakeSlack) -> Iterator[SlackRequests]:
    """Signed requests posted to the app served by waitress on a loopback port."""
    server = LoopbackServer(app)
    yield SlackRequests(server.url, team_id=TEAM, response_url=slack.response_url)
    server.stop()


@pytest.fixture
def sender(deps: Deps, app: App) -> Sender:
    return Sender(deps.engine, lambda _workspace: app.client, deps.clock)


def seed_org(
    engine: Engine, config: dict[str, Any], people: list[dict[str, Any]], workspace_id: str = TEAM
) -> OrgConfig:
    """Store a validated org and its people directly (the importer is tested on its own)."""
    org = OrgConfig.model_validate(config)
    with Session(engine) as session:
        session.add(Workspace(id=workspace_id, name="Acme", config=org.model_dump(mode="json")))
        for person in people:
            session.add(Person(workspace_id=workspace_id, **person))
        for position, team in enumerate(org.teams):
            session.add(
                Team(
                    workspace_id=workspace_id,
                    key=team.key,
                    name=team.name,
                    manager_id=team.manager,
                    parent_key=team.parent,
                    position=position,
                    schedule=team.schedule.model_dump(mode="json") if team.schedule else None,
                )
            )
            for index, member in enumerate(team.members):
                session.add(
                    Membership(
                        workspace_id=workspace_id, team_key=team.key, user_id=member, position=index
                    )
                )
        for position, objective in enumerate(org.objectives):
            session.add(
                Objective(workspace_id=workspace_id, position=position, **objective.model_dump())
            )
        session.commit()
    return org


# leadbot as a distributed app (OAuth, two workspaces): its fixtures, for every test module.
from tests.tenancy_kit import (  # noqa: E402, F401
    oauth_app,
    oauth_deps,
    oauth_sender,
    oauth_server,
    oauth_settings,
    tenants,
)
