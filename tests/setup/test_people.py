"""People sync: paged users.list into Person rows, and re-planning whose zone moved."""

from __future__ import annotations

from datetime import datetime

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.setup.people import fetch_people, sync_people, upsert_user
from storage import queries
from storage.models import Delivery, Person
from tests.conftest import TEAM, FakeClock, seed_org
from tests.fakeslack import FakeSlack


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test-token", base_url=slack.url)


def test_users_list_is_read_page_by_page_following_the_cursor(
    slack: FakeSlack, client: WebClient
) -> None:
    for index in range(5):
        slack.add_user(f"U0{index}")
    people = fetch_people(client, TEAM)
    assert [user["id"] for user in people] == ["U00", "U01", "U02", "U03", "U04"]
    calls = slack.of("users.list")
    assert len(calls) == 3
    assert [call.params.get("cursor") for call in calls] == [None, "2", "4"]
    assert all(call.params["limit"] == "200" for call in calls)


def test_people_of_other_organisations_are_left_out(slack: FakeSlack, client: WebClient) -> None:
    slack.add_user("U01")
    slack.add_user("UGUEST", team_id="T0OTHER")
    assert [user["id"] for user in fetch_people(client, TEAM)] == ["U01"]


def test_a_user_is_stored_with_names_email_zone_and_flags(
    session: Session, slack: FakeSlack, clock: FakeClock
) -> None:
    user = slack.add_user(
        "U01", tz="Asia/Tokyo", real_name="Top Level", email="a@example.com", is_owner=True
    )
    user["profile"]["real_name"] = "Ada Lovelace"
    assert upsert_user(session, TEAM, user, clock()) is True
    person = queries.get_person(session=session, workspace_id=TEAM, user_id="U01")
    assert person is not None
    assert (person.name, person.real_name, person.email) == ("u01", "Ada Lovelace", "a@example.com")
    assert (person.tz, person.deleted, person.is_bot, person.is_admin) == (
        "Asia/Tokyo",
        False,
        False,
        True,
    )


def test_bots_slackbot_and_deactivated_people_are_stored_as_such(
    session: Session, slack: FakeSlack, client: WebClient, clock: FakeClock
) -> None:
    slack.add_user("U0BOT", is_bot=True)
    slack.add_user("USLACKBOT")
    slack.add_user("U0GONE", deleted=True)
    assert sync_people(session, client, TEAM, clock()) == 3
    people = queries.people_by_id(session=session, workspace_id=TEAM)
    assert people["U0BOT"].is_bot and people["USLACKBOT"].is_bot
    assert people["U0GONE"].deleted and not people["U0GONE"].is_bot


def test_only_a_new_zone_or_a_deactivation_counts_as_a_schedule_change(
    session: Session, slack: FakeSlack, clock: FakeClock
) -> None:
    user = slack.add_user("U01")
    upsert_user(session, TEAM, user, clock())
    assert upsert_user(session, TEAM, user, clock()) is False
    assert upsert_user(session, TEAM, {**user, "real_name": "New Name"}, clock()) is False
    assert upsert_user(session, TEAM, {**user, "tz": "America/Chicago"}, clock()) is True
    assert (
        upsert_user(session, TEAM, {**user, "tz": "America/Chicago", "deleted": True}, clock())
        is True
    )


def test_a_second_sync_with_nothing_new_writes_nothing(
    session: Session, slack: FakeSlack, client: WebClient, clock: FakeClock
) -> None:
    slack.add_user("U01")
    sync_people(session, client, TEAM, clock())
    before = queries.get_person(session=session, workspace_id=TEAM, user_id="U01")
    assert before is not None
    synced = before.synced_at
    clock.set("2026-11-28T12:00:00+00:00")
    sync_people(session, client, TEAM, clock())
    session.expire_all()
    assert session.exec(select(Person)).one().synced_at == synced


def test_a_person_whose_zone_changed_gets_their_nudge_moved(
    engine: object, session: Session, slack: FakeSlack, client: WebClient, clock: FakeClock
) -> None:
    seed_org(
        engine,
        {"teams": [{"key": "t", "name": "T", "manager": "U0M", "members": ["U01"]}]},
        [{"user_id": "U0M", "tz": "Europe/Berlin"}, {"user_id": "U01", "tz": "Europe/Berlin"}],
    )
    slack.add_user("U0M")
    member = slack.add_user("U01")
    sync_people(session, client, TEAM, clock())
    assert nudge_due(session, "U01") == []  # nothing moved, so nothing was re-planned
    member["tz"] = "Asia/Tokyo"
    sync_people(session, client, TEAM, clock())
    # Friday 14:00 in Tokyo is 05:00 UTC: this week's period is open already, so it is due now.
    assert nudge_due(session, "U01") == [
        datetime.fromisoformat("2026-11-27T05:00:00+00:00"),
        datetime.fromisoformat("2026-12-04T05:00:00+00:00"),
    ]


def nudge_due(session: Session, user_id: str) -> list[datetime]:
    rows = session.exec(
        select(Delivery).where(
            Delivery.subject == user_id, Delivery.kind == "nudge", Delivery.status == "pending"
        )
    )
    return sorted(row.due_at for row in rows)
