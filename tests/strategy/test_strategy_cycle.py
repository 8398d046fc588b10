"""Who has reflected in the current strategy cycle is not invited again in it; a re-ask after an
objective changed asks again on purpose, until the person has reflected since the change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.org.config import OrgConfig
from bot.org.plan import Plan
from bot.outbox.sender import Sender
from bot.strategy import rules as strategy
from storage.models import Delivery, Person, Team
from tests.conftest import TEAM, seed_org
from tests.strategy.test_strategy import ORG, PEOPLE, reflection_values, strategy_rows

# Every 4 weeks on Tuesday at 10:00, counted on ISO weeks: 2026-W51 (Monday 14 December) starts
# a cycle; 2026-W49 (Tuesday 1 December) lies in the one before (W47 to W50).
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30, U1's zone
FIRST = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # Tuesday 1 December, 10:00 in Kolkata
CYCLE_DAY = datetime(2026, 12, 15, 4, 30, tzinfo=UTC)  # Tuesday 15 December, 10:00 in Kolkata
NEXT_CYCLE_DAY = datetime(2027, 1, 12, 4, 30, tzinfo=UTC)
WALL = "2027-12-01T09:00:00+00:00"


def plan_in(zone: ZoneInfo) -> Plan:
    """U1's plan under ORG, without a database."""
    return Plan(
        person=Person(workspace_id=TEAM, user_id="U1", tz=str(zone)),
        team=Team(workspace_id=TEAM, key="platform", name="Platform", manager_id="UMGR"),
        manager_id="UMGR",
        config=OrgConfig.model_validate(ORG),
        zone=zone,
        manager_zone=ZoneInfo("Europe/Berlin"),
    )


def invitation(kind: str, planned: str) -> Delivery:
    return Delivery(kind=kind, created_at=datetime.fromisoformat(planned))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_cycle_is_n_iso_weeks_from_a_strategy_week_in_the_persons_own_zone():
    kolkata, berlin = plan_in(KOLKATA), plan_in(ZoneInfo("Europe/Berlin"))
    monday_in_kolkata = at("2026-12-13T19:00:00+00:00")  # 00:30 Monday there, Sunday in Berlin
    assert strategy.cycle_of(kolkata, monday_in_kolkata) == strategy.cycle_of(kolkata, CYCLE_DAY)
    assert strategy.cycle_of(berlin, monday_in_kolkata) == strategy.cycle_of(berlin, FIRST)
    assert strategy.cycle_of(kolkata, FIRST) + 1 == strategy.cycle_of(kolkata, CYCLE_DAY)
    last_day = at("2027-01-10T18:00:00+00:00")  # Sunday 23:30 in Kolkata, before W03 starts
    assert strategy.cycle_of(kolkata, last_day) == strategy.cycle_of(kolkata, CYCLE_DAY)
    assert strategy.cycle_of(kolkata, NEXT_CYCLE_DAY) == strategy.cycle_of(kolkata, CYCLE_DAY) + 1


@pytest.mark.parametrize(
    "planned",
    [
        "2026-12-01T04:30:00+00:00",  # after the last invitation was sent, before the reflection
        "2026-12-14T06:00:00+00:00",  # re-planned after the reflection (a zone or team change)
    ],
)
def test_a_cycles_invitation_is_moot_once_they_reflected_in_it_however_it_was_planned(planned):
    plan, row = plan_in(KOLKATA), invitation(strategy.STRATEGY, planned)
    reflected = at("2026-12-14T05:00:00+00:00")  # Monday of the strategy week, in Kolkata
    assert strategy.moot(plan, row, reflected, CYCLE_DAY) is not None
    assert strategy.moot(plan, row, reflected, at("2026-12-18T09:00:00+00:00")) is not None
    assert strategy.moot(plan, row, None, CYCLE_DAY) is None  # never reflected


def test_a_reflection_in_the_cycle_before_does_not_make_this_cycles_invitation_moot():
    plan = plan_in(KOLKATA)
    row = invitation(strategy.STRATEGY, "2026-12-01T04:30:00+00:00")  # planned as the last went
    answered_the_last = at("2026-12-01T06:00:00+00:00")  # after this one was planned
    assert strategy.moot(plan, row, answered_the_last, CYCLE_DAY) is None
    sunday_night = at("2026-12-13T18:00:00+00:00")  # 23:30 Sunday in Kolkata: the cycle before
    assert strategy.moot(plan, row, sunday_night, CYCLE_DAY) is None


def test_a_reask_asks_again_even_in_a_cycle_they_reflected_in_until_they_reflect_after_it():
    plan = plan_in(KOLKATA)
    row = invitation(strategy.REASK, "2026-12-16T10:00:00+00:00")  # the objective changed then
    due = at("2026-12-17T03:30:00+00:00")  # the next working morning in Kolkata
    earlier_this_cycle = at("2026-12-15T06:00:00+00:00")
    assert strategy.moot(plan, row, earlier_this_cycle, due) is None
    after_the_change = at("2026-12-16T11:00:00+00:00")
    assert strategy.moot(plan, row, after_the_change, due) is not None


@pytest.fixture
def org(engine):
    seed_org(engine, ORG, PEOPLE)


def test_invitations_record_when_the_apps_clock_planned_them_not_the_wall_clock(org, engine):
    """The demo plays a week on a simulated clock while the wall clock is elsewhere; a re-ask is
    moot from a reflection after its change, so its row must carry the app's time of planning."""
    planned = at("2026-11-30T12:00:00+00:00")
    change = [strategy.ObjectiveChange("eu-launch", "Launch in Europe", "added")]
    with freeze_time("2027-06-01 09:00:00"), Session(engine) as session:
        checkins.replan(session, TEAM, ["U1"], planned)
        strategy.reask(session, TEAM, change, {"U1"}, planned)
        session.commit()
    rows = strategy_rows(engine, "U1")
    assert {row.kind for row in rows} == {strategy.STRATEGY, strategy.REASK}
    assert {row.created_at for row in rows} == {planned}


# The app's own clock (FakeClock) drives requests and the sender; the wall clock is frozen to
# the same moment wherever leadbot plans rows, as it is in production (Deps.clock is utcnow).


def run_at(clock, text: str, wall: str | None = None):
    clock.set(text)
    return freeze_time(wall or text)


def drain(engine, app, clock, text: str, wall: str | None = None) -> None:
    with run_at(clock, text, wall):
        Sender(engine, lambda _w: app.client, clock).drain()


def replan(engine, clock, text: str, user_id: str = "U1", wall: str | None = None) -> None:
    with run_at(clock, text, wall), Session(engine) as session:
        checkins.replan(session, TEAM, [user_id], clock())
        session.commit()


def reflect(clock, slack, requests, text: str, user_id: str = "U1", keys=("eu-launch",)) -> None:
    clock.set(text)
    requests.action("strategy_open", "home", user=user_id)
    view = slack.of("views.open")[-1].params["view"]
    assert requests.submit(view, reflection_values(list(keys)), user=user_id).status == 200


def invitations(slack, user_id: str = "U1") -> list[str]:
    """Each reflection DM the person got: "ask" for a cycle's, "reask" after a change."""
    found = []
    for call in slack.of("chat.postMessage"):
        blocks = json.dumps(call.params.get("blocks") or [])
        if call.params["channel"] == user_id and "reflect" in blocks:
            found.append("reask" if "Our objectives changed" in blocks else "ask")
    return found


def test_who_reflects_before_their_invitation_is_not_invited_in_that_cycle(
    org, engine, clock, app, slack, requests
):
    """The demo's story: Ana reflects on Tuesday morning, before her first invitation at 10:00,
    and must not be invited on Friday; the next cycle's invitation still comes. The demo plays
    its week on a simulated clock while the wall clock is elsewhere (here, a year on)."""
    replan(engine, clock, "2026-11-30T12:00:00+00:00", wall=WALL)
    reflect(clock, slack, requests, "2026-12-01T03:00:00+00:00")  # 08:30 in Kolkata
    drain(engine, app, clock, "2026-12-01T04:30:00+00:00", wall=WALL)
    drain(engine, app, clock, "2026-12-04T14:00:00+00:00", wall=WALL)
    assert invitations(slack) == []
    [pending] = [row for row in strategy_rows(engine, "U1") if row.status == "pending"]
    assert pending.due_at == CYCLE_DAY
    drain(engine, app, clock, "2026-12-15T04:30:00+00:00")
    assert invitations(slack) == ["ask"]


def test_who_reflects_early_in_a_strategy_week_is_not_invited_that_tuesday_even_re_planned(
    org, engine, clock, app, slack, requests
):
    replan(engine, clock, "2026-11-30T12:00:00+00:00")
    drain(engine, app, clock, "2026-12-01T04:30:00+00:00")  # the first invitation, unanswered
    reflect(clock, slack, requests, "2026-12-14T05:00:00+00:00")  # Monday of W51, in Kolkata
    replan(engine, clock, "2026-12-14T06:00:00+00:00")
    drain(engine, app, clock, "2026-12-15T04:30:00+00:00")
    assert invitations(slack) == ["ask"]  # the first one only
    [pending] = [row for row in strategy_rows(engine, "U1") if row.status == "pending"]
    assert pending.due_at == NEXT_CYCLE_DAY


def test_the_sender_drops_an_invitation_for_a_cycle_they_already_reflected_in(
    org, engine, clock, app, slack, requests
):
    """However a row got there (planned by another process just before the reflection, or
    re-planned after it under an older rule), the sender decides it is moot when it is due."""
    replan(engine, clock, "2026-11-30T12:00:00+00:00")
    drain(engine, app, clock, "2026-12-01T04:30:00+00:00")
    reflect(clock, slack, requests, "2026-12-14T05:00:00+00:00")
    with Session(engine) as session:  # the pending invitation, as if re-planned an hour later
        [row] = session.exec(
            select(Delivery).where(Delivery.status == "pending", Delivery.kind == "strategy")
        )
        row.due_at, row.created_at = CYCLE_DAY, at("2026-12-14T06:00:00+00:00")
        session.add(row)
        session.commit()
        stale = row.id
    drain(engine, app, clock, "2026-12-15T04:30:00+00:00")
    assert invitations(slack) == ["ask"]  # the first one only
    [dropped] = [row for row in strategy_rows(engine, "U1") if row.id == stale]
    assert dropped.status == "cancelled" and "reflected in this cycle" in dropped.last_error


def test_answering_every_invitation_still_brings_the_next_cycles(
    org, engine, clock, app, slack, requests
):
    replan(engine, clock, "2026-11-30T12:00:00+00:00")
    for sent, answered in [
        ("2026-12-01T04:30:00+00:00", "2026-12-01T06:00:00+00:00"),
        ("2026-12-15T04:30:00+00:00", "2026-12-15T06:00:00+00:00"),
        ("2027-01-12T04:30:00+00:00", "2027-01-12T06:00:00+00:00"),
    ]:
        drain(engine, app, clock, sent)
        reflect(clock, slack, requests, answered)
    assert invitations(slack) == ["ask", "ask", "ask"]


def test_a_reask_goes_to_who_reflected_before_the_change_not_to_who_reflected_after_it(
    org, engine, clock, app, slack, requests
):
    replan(engine, clock, "2026-11-30T12:00:00+00:00", "U1")
    replan(engine, clock, "2026-11-30T12:00:00+00:00", "U2")
    reflect(clock, slack, requests, "2026-12-01T06:00:00+00:00", "U1")
    reflect(clock, slack, requests, "2026-12-01T16:00:00+00:00", "U2")  # 11:00 in New York
    change = [strategy.ObjectiveChange("hiring", "Hire well", "added")]
    with run_at(clock, "2026-12-02T10:00:00+00:00"), Session(engine) as session:
        strategy.reask(session, TEAM, change, {"U1", "U2"}, clock())
        session.commit()
    reflect(clock, slack, requests, "2026-12-02T11:00:00+00:00", "U2")  # after the change
    drain(engine, app, clock, "2026-12-04T14:00:00+00:00")
    assert invitations(slack, "U1") == ["reask"]  # reflected this cycle, but before the change
    assert invitations(slack, "U2") == []
