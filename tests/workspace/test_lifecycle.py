"""Uninstall, reinstall, erase after the grace period, retention, and people who change."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.outbox.jobs import refresh_people_and_plans
from bot.workspace import lifecycle, retention
from bot.workspace.oauth import installation_store
from handlers.lifecycle import CHECK_AGAIN
from storage.models import Checkin, Delivery, Person, Uninstall
from tests.conftest import TEAM, seed_org
from tests.tenancy_kit import (
    ONE,
    TOKENS,
    TWO,
    dump,
    install,
)

ORG = {
    "timezone": "Europe/Berlin",
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "Europe/Berlin"},
]
NUDGE_TIME = "2026-11-27T13:00:00+00:00"  # Friday 14:00 in Berlin


@pytest.fixture
def two_installed(engine, clock, oauth_settings):
    for team in (ONE, TWO):
        seed_org(engine, ORG, PEOPLE, workspace_id=team)
        install(oauth_settings, engine, team)
        with Session(engine) as session:
            checkins.replan(session, team, ["U1", "U2", "UMGR"], clock())
            session.commit()


def nudged(slack, token: str) -> list[str]:
    return [c.params["channel"] for c in slack.of("chat.postMessage") if c.token == token]


def rows_of(engine, workspace_id: str) -> int:
    """How many rows anywhere belong to the workspace."""
    return dump(engine).count(f'"{workspace_id}"')


# --- uninstall -------------------------------------------------------------------------


def test_app_uninstalled_stops_all_sending_at_once_and_deletes_the_tokens(
    two_installed, tenants, slack, clock, engine, oauth_settings, oauth_sender
):
    assert tenants[ONE].event({"type": "app_uninstalled"}).status == 200
    clock.set(NUDGE_TIME)
    oauth_sender.drain()
    assert nudged(slack, TOKENS[ONE]) == []
    assert sorted(nudged(slack, TOKENS[TWO])) == ["U1", "U2", "UMGR"]  # the other goes on
    store = installation_store(oauth_settings, engine)
    assert store.find_bot(enterprise_id=None, team_id=ONE) is None
    assert store.find_bot(enterprise_id=None, team_id=TWO) is not None
    with Session(engine) as session:
        statuses = set(session.exec(select(Delivery.status).where(Delivery.workspace_id == ONE)))
    assert statuses == {"cancelled"}


def test_tokens_revoked_for_the_bot_is_an_uninstall_and_for_users_only_is_nothing(
    two_installed, tenants, engine
):
    tenants[TWO].event({"type": "tokens_revoked", "tokens": {"oauth": ["U1"]}})
    with Session(engine) as session:
        assert not lifecycle.is_uninstalled(session, TWO)
    tenants[TWO].event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})
    with Session(engine) as session:
        assert lifecycle.is_uninstalled(session, TWO) and not lifecycle.is_uninstalled(session, ONE)


def test_a_message_claimed_after_the_uninstall_is_cancelled_not_sent(engine, clock, slack, sender):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1"], clock())
        session.commit()
    lifecycle.uninstall(engine, TEAM, clock())
    with Session(engine) as session:  # e.g. a row another process planned just before
        session.exec(select(Delivery)).first().status = "pending"
        session.commit()
    clock.set(NUDGE_TIME)
    sender.drain()
    assert slack.of("chat.postMessage") == []


def test_the_daily_people_job_skips_an_uninstalled_workspace(
    two_installed, oauth_deps, slack, clock
):
    lifecycle.uninstall(oauth_deps.engine, ONE, clock())
    refresh_people_and_plans(
        oauth_deps, lambda team: WebClient(token=TOKENS[team], base_url=slack.url)
    )
    assert {call.token for call in slack.of("users.list")} == {TOKENS[TWO]}


def test_data_is_erased_after_the_grace_period_and_not_before(two_installed, engine, clock):
    lifecycle.uninstall(engine, ONE, clock())
    with Session(engine) as session:
        session.add(
            Checkin(
                workspace_id=ONE,
                user_id="U1",
                period="2026-W48",
                team_key="platform",
                status="answered",
                moved="gone soon",
            )
        )
        session.commit()
    assert retention.erase_uninstalled(engine, clock() + timedelta(days=29)) == []
    assert rows_of(engine, ONE) > 0
    assert retention.erase_uninstalled(engine, clock() + timedelta(days=30)) == [ONE]
    assert rows_of(engine, ONE) == 0 and "gone soon" not in dump(engine)
    assert rows_of(engine, TWO) > 0


def test_the_grace_period_is_the_workspaces_own(engine, clock):
    seed_org(engine, {**ORG, "retention": {"after_uninstall_days": 3}}, PEOPLE)
    lifecycle.uninstall(engine, TEAM, clock())
    assert retention.erase_uninstalled(engine, clock() + timedelta(days=3)) == [TEAM]


def test_a_reinstall_keeps_the_data_and_resumes_sending(
    two_installed, tenants, engine, clock, oauth_settings, oauth_sender, slack, oauth_app
):
    tenants[ONE].event({"type": "app_uninstalled"})
    store = oauth_app.installation_store  # the one the OAuth flow saves into
    install(oauth_settings, engine, ONE, token="xoxb-one-again-3333", store=store)
    with Session(engine) as session:
        assert session.get(Uninstall, ONE) is None
    assert retention.erase_uninstalled(engine, clock() + timedelta(days=90)) == []
    clock.set(NUDGE_TIME)
    oauth_sender.drain()
    assert sorted(nudged(slack, "xoxb-one-again-3333")) == ["U1", "U2", "UMGR"]


def test_with_one_workspace_a_request_after_an_uninstall_means_it_is_back(
    engine, clock, requests, slack
):
    seed_org(engine, ORG, PEOPLE)
    requests.event({"type": "app_uninstalled"})
    with Session(engine) as session:
        assert lifecycle.is_uninstalled(session, TEAM)
    requests.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
    with Session(engine) as session:
        assert not lifecycle.is_uninstalled(session, TEAM)
        pending = session.exec(select(Delivery).where(Delivery.status == "pending")).all()
    assert {row.subject for row in pending if row.kind == "nudge"} == {"U1", "U2", "UMGR"}


def home_opened(ts: str) -> dict:
    """A new app_home_opened event each time (a repeated one would be skipped as a retry)."""
    return {"type": "app_home_opened", "user": "U1", "tab": "home", "event_ts": ts}


def test_an_uninstall_by_another_process_is_noticed_within_a_minute(engine, clock, requests, slack):
    seed_org(engine, ORG, PEOPLE)
    requests.event(home_opened("1"))  # seen installed
    lifecycle.uninstall(engine, TEAM, clock())  # another process handled app_uninstalled
    requests.event(home_opened("2"))
    with Session(engine) as session:  # within the minute this process doesn't ask again
        assert lifecycle.is_uninstalled(session, TEAM)
    clock.now += timedelta(seconds=CHECK_AGAIN + 1)
    requests.event(home_opened("3"))
    with Session(engine) as session:  # it asks, and a request from the workspace means it's back
        assert not lifecycle.is_uninstalled(session, TEAM)


# --- people change ---------------------------------------------------------------------


def user(user_id: str, **changes: object) -> dict:
    return {
        "id": user_id,
        "team_id": TEAM,
        "name": user_id.lower(),
        "real_name": user_id,
        "deleted": False,
        "is_bot": False,
        "tz": "Europe/Berlin",
        "profile": {},
        **changes,
    }


def test_a_deactivated_person_stops_getting_nudges_at_once(engine, clock, requests, sender, slack):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1", "U2"], clock())
        session.commit()
    requests.event({"type": "user_change", "user": user("U1", deleted=True)})
    clock.set(NUDGE_TIME)
    sender.drain()
    assert [c.params["channel"] for c in slack.of("chat.postMessage")] == ["U2"]


def test_a_changed_time_zone_moves_the_schedule(engine, clock, requests):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1"], clock())
        session.commit()
    requests.event({"type": "user_change", "user": user("U1", tz="America/New_York")})
    with Session(engine) as session:
        due = session.exec(
            select(Delivery.due_at).where(
                Delivery.subject == "U1", Delivery.kind == "nudge", Delivery.status == "pending"
            )
        ).all()
    assert datetime.fromisoformat("2026-11-27T19:00:00+00:00") in due  # 14:00 in New York


def test_team_join_stores_the_new_person_and_ignores_other_organisations(engine, requests):
    seed_org(engine, ORG, PEOPLE)
    requests.event({"type": "team_join", "user": user("U9", tz="Asia/Tokyo")})
    requests.event({"type": "team_join", "user": user("UGUEST", team_id="T0OTHER")})
    with Session(engine) as session:
        ids = set(session.exec(select(Person.user_id)))
    assert "U9" in ids and "UGUEST" not in ids
