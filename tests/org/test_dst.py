"""Weeks of frozen time across DST changes: nudges at 14:00 local, reminders in working hours.

The sender runs on the real clock (`bot.runtime.deps.utcnow`), which freezegun freezes; the test
steps that clock in 30-minute steps and drains the outbox at every step, so each message
arrives at the first step at or after its due time. Every due time in these scenarios is on
the half hour (Kolkata is UTC+05:30), so a message that is on time arrives exactly on time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.outbox.sender import Sender
from bot.runtime.deps import utcnow
from storage.models import Delivery
from tests.conftest import TEAM, seed_org

ZONES = {
    "UMGR": "Europe/Berlin",
    "UNYC": "America/New_York",
    "UBER": "Europe/Berlin",
    "UKOL": "Asia/Kolkata",
    "USYD": "Australia/Sydney",
}
ORG = {
    "timezone": "Europe/Berlin",
    "teams": [
        {
            "key": "world",
            "name": "World",
            "manager": "UMGR",
            "members": ["UNYC", "UBER", "UKOL", "USYD"],
        }
    ],
}
PEOPLE = [{"user_id": user, "real_name": user, "tz": tz} for user, tz in ZONES.items()]
STEP = timedelta(minutes=30)
CHECKIN = (checkins.NUDGE, checkins.REMINDER)


@dataclass(frozen=True)
class Arrival:
    at: datetime
    user: str
    kind: str
    period: str

    @property
    def local(self) -> datetime:
        return self.at.astimezone(ZoneInfo(ZONES[self.user]))


@pytest.fixture
def arrivals_log(slack):
    """chat.postMessage answers with a unique ts and remembers the frozen time it arrived."""
    log: list[tuple[datetime, str, str]] = []
    counter = itertools.count(1)

    def post(params):
        ts = f"1800000000.{next(counter):06d}"
        log.append((datetime.now(UTC), str(params["channel"]), ts))
        return {"ok": True, "channel": "D" + str(params["channel"])[1:], "ts": ts}

    slack.on["chat.postMessage"] = post
    return log


def run_weeks(engine, app, log, start: str, end: str) -> list[Arrival]:
    """Plan at `start`, then drain every 30 minutes up to `end`; what arrived, with its kind."""
    seed_org(engine, ORG, PEOPLE)
    sender = Sender(engine, lambda _workspace: app.client, utcnow)
    stop = datetime.fromisoformat(end)
    with freeze_time(start, tick=False) as frozen:
        with Session(engine) as session:
            checkins.replan(session, TEAM, list(ZONES), utcnow())
            session.commit()
        while utcnow() < stop:
            sender.drain()
            frozen.tick(STEP)
    with Session(engine) as session:
        rows = {row.ts: row for row in session.exec(select(Delivery).where(Delivery.ts != None))}  # noqa: E711
    arrivals = []
    for at, channel, ts in log:
        row = rows[ts]
        assert row.channel == channel and row.status == "sent" and row.sent_at == at
        arrivals.append(Arrival(at, row.subject, row.kind, row.period))
    return arrivals


def of(arrivals: list[Arrival], user: str, kind: str) -> list[Arrival]:
    return [a for a in arrivals if a.user == user and a.kind == kind]


def assert_nudges_on_friday_1400_local(arrivals: list[Arrival], fridays: int) -> None:
    for user in ZONES:
        nudges = of(arrivals, user, checkins.NUDGE)
        periods = [n.period for n in nudges]
        assert len(nudges) == fridays, (user, periods)
        assert len(set(periods)) == len(periods), (user, periods)  # one per ISO week
        for nudge in nudges:
            local = nudge.local
            assert (local.strftime("%a"), local.hour, local.minute) == ("Fri", 14, 0), (
                user,
                nudge.period,
                local.isoformat(),
            )
            year, week, _ = local.isocalendar()
            assert nudge.period == f"{year}-W{week:02d}"


def assert_reminders_once_on_monday_morning(arrivals: list[Arrival], fridays: int) -> None:
    for user in ZONES:
        reminders = of(arrivals, user, checkins.REMINDER)
        nudged = {n.period for n in of(arrivals, user, checkins.NUDGE)}
        if user == "UNYC":
            # Monday 09:00 in New York is after the Monday 10:00 Berlin close: no reminder.
            assert reminders == []
            continue
        assert len(reminders) == fridays, user
        assert {r.period for r in reminders} == nudged  # once per period
        for reminder in reminders:
            local = reminder.local
            assert local.weekday() < 5 and 9 <= local.hour < 17, (user, local.isoformat())
            assert (local.strftime("%a"), local.hour, local.minute) == ("Mon", 9, 0)


def test_autumn_dst_changes_keep_nudges_at_1400_local_and_reminders_in_working_hours(
    engine, app, slack, arrivals_log
):
    # Sydney springs forward Oct 4, Europe falls back Oct 25, the US falls back Nov 1.
    arrivals = run_weeks(
        engine, app, arrivals_log, "2026-10-01T00:00:00+00:00", "2026-11-12T00:00:00+00:00"
    )
    assert_nudges_on_friday_1400_local(arrivals, fridays=6)
    assert_reminders_once_on_monday_morning(arrivals, fridays=6)
    assert len(slack.of("chat.postMessage")) == len(arrivals)  # each one a stored row
    assert len([a for a in arrivals if a.kind in CHECKIN]) == 6 * 5 + 6 * 4


def test_spring_dst_changes_keep_nudges_at_1400_local_and_reminders_in_working_hours(
    engine, app, slack, arrivals_log
):
    # The US springs forward Mar 14, Europe Mar 28, Sydney falls back Apr 4.
    arrivals = run_weeks(
        engine, app, arrivals_log, "2027-03-04T00:00:00+00:00", "2027-04-09T00:00:00+00:00"
    )
    assert_nudges_on_friday_1400_local(arrivals, fridays=5)
    assert_reminders_once_on_monday_morning(arrivals, fridays=5)
    assert len(slack.of("chat.postMessage")) == len(arrivals)  # each one a stored row
    assert len([a for a in arrivals if a.kind in CHECKIN]) == 5 * 5 + 5 * 4


def test_across_the_autumn_change_the_utc_instant_of_a_berlin_nudge_moves_by_an_hour(
    engine, app, arrivals_log
):
    arrivals = run_weeks(
        engine, app, arrivals_log, "2026-10-22T00:00:00+00:00", "2026-11-02T00:00:00+00:00"
    )
    berlin = [a.at for a in of(arrivals, "UBER", checkins.NUDGE)]
    assert berlin == [
        datetime(2026, 10, 23, 12, 0, tzinfo=UTC),  # 14:00 CEST
        datetime(2026, 10, 30, 13, 0, tzinfo=UTC),  # 14:00 CET
    ]
