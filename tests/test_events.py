"""Slack's event retries (`X-Slack-Retry-Num`) are acknowledged and never processed twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.outbox import dedupe
from bot.outbox.jobs import build_scheduler
from handlers import inbox_handlers
from storage.models import SeenEvent
from tests.conftest import TEAM, seed_org

ORG = {
    "timezone": "Europe/Berlin",
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1"]}],
}
PEOPLE = [{"user_id": "UMGR", "tz": "Europe/Berlin"}, {"user_id": "U1", "tz": "Europe/Berlin"}]
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


def home_opened(user: str, ts: str = "1700000000.1") -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": ts}


def test_an_event_resent_by_slack_publishes_the_home_tab_once(org, slack, requests):
    assert requests.event(home_opened("U1")).status == 200
    assert requests.event(home_opened("U1"), headers=RETRY).status == 200
    assert len(slack.of("views.publish")) == 1


def test_a_new_event_of_the_same_kind_is_processed_again(org, slack, requests):
    requests.event(home_opened("U1", "1700000000.1"))
    requests.event(home_opened("U1", "1700000000.2"))
    assert len(slack.of("views.publish")) == 2


def test_an_event_id_is_recorded_once_per_workspace(engine, clock):
    now = clock()
    assert dedupe.first_time(engine, workspace_id=TEAM, event_id="Ev1", now=now)
    assert not dedupe.first_time(engine, workspace_id=TEAM, event_id="Ev1", now=now)
    assert dedupe.first_time(engine, workspace_id="T0OTHER", event_id="Ev1", now=now)


def test_the_daily_job_forgets_events_older_than_a_day(engine, clock):
    now = clock()
    dedupe.first_time(engine, workspace_id=TEAM, event_id="EvOld", now=now - timedelta(hours=25))
    dedupe.first_time(engine, workspace_id=TEAM, event_id="EvNew", now=now - timedelta(hours=23))
    assert dedupe.purge_seen(engine, now) == 1
    with Session(engine) as session:
        assert list(session.exec(select(SeenEvent.event_id))) == ["EvNew"]


def test_the_purge_is_a_daily_scheduled_job(deps, sender, app):
    scheduler = build_scheduler(deps, sender, lambda _workspace: app.client, inbox_handlers())
    job = scheduler.get_job("seen-events")
    assert job is not None and job.trigger.interval == timedelta(days=1)
