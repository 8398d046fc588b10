"""Time away, from Slack itself: the status kept from Slack, nudges that wait or give way,
the away week in App Home and in the digest (a team figure, never a name)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.checkin.away import is_away
from bot.digest.summary import History
from bot.home.gather import gather
from bot.home.views import home_view
from bot.org.config import Away
from bot.setup.people import upsert_user
from storage.models import Checkin, Delivery, Person
from tests.checkin.test_checkin_flow import answer_values, nudges_to
from tests.conftest import TEAM, seed_org

ORG = {
    "timezone": "Europe/Berlin",
    "objectives": [{"key": "eu-launch", "title": "Launch in the EU"}],
    "teams": [{"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2"]}],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "Europe/Berlin"},
]
OPENS = "2026-11-27T13:00:00+00:00"  # Friday 14:00 in Berlin; 2026-W48 closes Mon 09:00 UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def plant(engine, clock, **status) -> None:
    people = [dict(p, **status) if p["user_id"] == "U1" else p for p in PEOPLE]
    seed_org(engine, ORG, people)
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1", "U2", "UMGR"], clock())
        session.commit()


def rows_of(engine, model, **where):
    with Session(engine) as session:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return list(session.exec(query))


def person(**status) -> Person:
    return Person(workspace_id=TEAM, user_id="U1", **status)


# --- the status, kept from Slack ------------------------------------------------------


def test_a_status_change_is_kept_from_user_change_without_another_api_call(
    engine, clock, slack, requests
):
    plant(engine, clock)
    user = {
        "id": "U1",
        "team_id": TEAM,
        "name": "ana",
        "tz": "Europe/Berlin",
        "profile": {
            "real_name": "Ana",
            "status_text": "Urlaub",
            "status_emoji": ":palm_tree:",
            "status_expiration": 1796083200,  # 2026-12-01 00:00 UTC
        },
    }
    assert requests.event({"type": "user_change", "user": user, "event_ts": "1.2"}).status == 200
    [ana] = rows_of(engine, Person, user_id="U1")
    assert (ana.status_text, ana.status_emoji) == ("Urlaub", ":palm_tree:")
    assert ana.status_expires_at == at("2026-12-01T00:00:00+00:00")
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []


def test_a_status_without_expiry_is_kept_as_never_expiring(session, clock):
    user = {"id": "U9", "team_id": TEAM, "profile": {"status_text": "OOO", "status_expiration": 0}}
    upsert_user(session, TEAM, user, clock())
    stored = session.exec(select(Person).where(Person.user_id == "U9")).one()
    assert stored.status_text == "OOO" and stored.status_expires_at is None


# --- who is away ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("emoji", "text", "away"),
    [
        (":palm_tree:", "", True),
        (":face_with_thermometer:", "", True),
        (":coffee:", "", False),
        ("", "On holidays in Spain", True),
        ("", "OOO until Monday", True),
        ("", "Urlaub bis 3.12.", True),
        ("", "Parental leave", True),
        ("", "In a meeting", False),
        ("", "voodoo rehearsal", False),
    ],
)
def test_away_is_read_from_the_status_emoji_or_its_words(emoji, text, away, clock):
    status = person(status_emoji=emoji, status_text=text)
    assert is_away(status, Away(), clock()) is away


def test_an_expired_status_is_not_away_and_the_lists_can_be_changed(clock):
    gone = person(status_emoji=":palm_tree:", status_expires_at=at("2026-11-27T11:00:00+00:00"))
    assert not is_away(gone, Away(), clock())
    own = Away(emoji=["surfer"], words=["Sabbatical"])
    assert is_away(person(status_emoji=":surfer:"), own, clock())
    assert is_away(person(status_text="sabbatical"), own, clock())
    assert not is_away(person(status_emoji=":palm_tree:"), own, clock())


# --- nudges ------------------------------------------------------------------------------


def test_away_by_emoji_all_week_sends_no_nudge_no_reminder_and_records_the_week_as_away(
    engine, clock, sender, slack
):
    plant(engine, clock, status_emoji=":palm_tree:")
    clock.set(OPENS)
    sender.drain()
    assert nudges_to(slack, "U1") == [] and len(nudges_to(slack, "U2")) == 1
    [week] = rows_of(engine, Checkin, user_id="U1")
    assert (week.period, week.status, week.team_key) == ("2026-W48", "away", "platform")
    clock.set("2026-11-30T08:00:00+00:00")  # Monday morning: when Ben's reminder goes
    sender.drain()
    assert nudges_to(slack, "U1") == [] and len(nudges_to(slack, "U2")) == 2
    pending = rows_of(engine, Delivery, subject="U1", period="2026-W48", status="pending")
    assert pending == []


def test_away_by_words_with_a_status_expiring_after_the_close_is_an_away_week(
    engine, clock, sender, slack
):
    plant(
        engine,
        clock,
        status_text="Out of office",
        status_expires_at=at("2026-11-30T12:00:00+00:00"),  # Monday, after the 09:00 UTC close
    )
    clock.set(OPENS)
    sender.drain()
    assert nudges_to(slack, "U1") == []
    [week] = rows_of(engine, Checkin, user_id="U1")
    assert week.status == "away"


def test_a_status_expiring_before_the_close_moves_the_nudge_to_the_first_working_morning(
    engine, clock, sender, slack
):
    plant(
        engine,
        clock,
        status_emoji=":airplane:",
        status_expires_at=at("2026-11-28T22:00:00+00:00"),  # Saturday night
    )
    clock.set(OPENS)
    sender.drain()
    assert nudges_to(slack, "U1") == []
    assert rows_of(engine, Checkin, user_id="U1") == []
    [nudge] = rows_of(engine, Delivery, subject="U1", kind="nudge", period="2026-W48")
    assert nudge.status == "pending"
    assert nudge.due_at == at("2026-11-30T08:00:00+00:00")  # Monday 09:00 in Berlin
    clock.set("2026-11-30T08:00:00+00:00")
    sender.drain()
    assert len(nudges_to(slack, "U1")) == 1


def test_check_in_anyway_from_app_home_opens_the_modal_and_stores_the_answer(
    engine, clock, sender, slack, requests
):
    plant(engine, clock, status_emoji=":baby:")
    clock.set(OPENS)
    sender.drain()
    with Session(engine) as session:
        view = home_view(gather(session, TEAM, "U1", clock()), raise_action="r", check_action="c")
    text = json.dumps(view, ensure_ascii=False)
    assert "Away (from your Slack status) — no check-in this week" in text
    assert "Check in anyway" in text
    requests.home_action("checkin_open", "2026-W48", user="U1")
    modal = slack.of("views.open")[-1].params["view"]
    assert modal["callback_id"] == "checkin_modal"
    requests.submit(modal, answer_values(), user="U1")
    [week] = rows_of(engine, Checkin, user_id="U1")
    assert week.status == "answered" and week.moved and not week.late


# --- the digest ---------------------------------------------------------------------------


def test_the_digest_counts_away_as_a_team_figure_without_names(engine, clock, sender, slack):
    plant(engine, clock, status_emoji=":face_with_thermometer:")
    clock.set(OPENS)
    sender.drain()
    clock.set("2026-11-30T09:00:00+00:00")  # the close: Maria's digest
    sender.drain()
    digest = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"]
    text = json.dumps([c.params["blocks"] for c in digest], ensure_ascii=False)
    assert "0 of 1 checked in; 1 away." in text
    assert "Ana" not in text and "thermometer" not in text


def test_an_away_week_neither_counts_against_participation_nor_toward_not_heard_from(engine, clock):
    plant(engine, clock)
    with Session(engine) as session:
        for label in ("2026-W45", "2026-W46", "2026-W47"):
            session.add(
                Delivery(
                    workspace_id=TEAM,
                    subject="U1",
                    kind="nudge",
                    period=label,
                    channel="U1",
                    status="sent",
                    due_at=clock(),
                    expires_at=clock(),
                )
            )
        session.add(
            Checkin(
                workspace_id=TEAM,
                user_id="U1",
                period="2026-W46",
                team_key="platform",
                status="away",
            )
        )
        session.commit()
        history = History(session, TEAM, ["U1"], "2026-W47", 12)
        assert history.figure("2026-W46").expected == 0
        assert history.figure("2026-W47").expected == 1
        [quiet] = history.quiet(["U1"], {"U1": "Ana"})
        assert quiet.weeks == 2  # W45 and W47: the away week between is no silence


# --- reflections ---------------------------------------------------------------------------


def strategy_row(engine, user_id: str) -> Delivery:
    """The person's first reflection invitation (a later cycle's may be planned beside it)."""
    rows = rows_of(engine, Delivery, subject=user_id, kind="strategy")
    return min(rows, key=lambda row: row.id)


def test_a_reflection_waits_while_its_person_is_away_and_goes_once_they_are_back(
    engine, clock, sender, slack
):
    plant(engine, clock, status_text="Sick")
    due = strategy_row(engine, "U1").due_at
    clock.now = due
    sender.drain()
    assert nudges_to(slack, "U1") == []
    waiting = strategy_row(engine, "U1")
    assert waiting.status == "pending" and waiting.due_at > due  # looked at again a day on
    assert waiting.due_at == due + timedelta(days=1)  # a working day later, same local time
    with Session(engine) as session:
        ana = session.exec(select(Person).where(Person.user_id == "U1")).one()
        ana.status_text = ""
        session.add(ana)
        session.commit()
    clock.now = waiting.due_at
    sender.drain()
    assert "reflection" in json.dumps(nudges_to(slack, "U1")[-1].params).lower()


def test_a_status_cleared_early_brings_the_waiting_nudge_forward(
    engine, clock, sender, slack, requests
):
    plant(
        engine,
        clock,
        status_emoji=":airplane:",
        status_expires_at=at("2026-11-28T22:00:00+00:00"),
    )
    clock.set(OPENS)
    sender.drain()
    assert nudges_to(slack, "U1") == []
    clock.set("2026-11-27T15:00:00+00:00")  # back early, Friday 16:00 in Berlin
    user = {"id": "U1", "team_id": TEAM, "name": "ana", "tz": "Europe/Berlin"}
    user["profile"] = {"real_name": "Ana", "status_text": "", "status_emoji": ""}
    assert requests.event({"type": "user_change", "user": user, "event_ts": "1.3"}).status == 200
    [nudge] = rows_of(engine, Delivery, subject="U1", kind="nudge", period="2026-W48")
    assert nudge.due_at == at("2026-11-27T15:00:00+00:00")
    sender.drain()
    assert len(nudges_to(slack, "U1")) == 1
