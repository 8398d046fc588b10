"""Holidays and days off: in each team's calendar and each person's zone, nudges move to a
working day (or before the check-in day when the close comes first), reminders never land on
one, a week with no working day is away, and the org file keeps it all round trip."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.checkin import rules as checkins
from bot.digest.summary import days_off_in
from bot.home.gather import gather
from bot.home.views import home_view
from bot.org.config import Holidays, OrgConfig, WorkingHours
from bot.org.export import export_org
from bot.org.schedule import Calendar, moved_for_days_off, next_working_time
from bot.setup.importer import run_import
from storage.models import Checkin, Delivery
from tests.checkin.test_checkin_flow import nudges_to
from tests.conftest import TEAM, seed_org
from tests.org.test_orgfile import problems_of

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOURS = WorkingHours()
BAVARIA = Calendar(Holidays(country="DE", subdivision="BY"))
USA = Calendar(Holidays(country="US"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- the rules, in two countries and two zones -----------------------------------------


def test_working_hours_skip_public_holidays_of_the_teams_country_in_the_persons_zone():
    # Epiphany (Tue 6 January 2026) is a holiday in Bavaria, not in the United States.
    evening = at("2026-01-05T18:00:00+01:00")
    assert next_working_time(evening, BERLIN, HOURS, BAVARIA) == at("2026-01-07T09:00:00+01:00")
    assert next_working_time(evening, BERLIN, HOURS, USA) == at("2026-01-06T09:00:00+01:00")
    # Thanksgiving (Thu 26 November 2026) in New York, not in Bavaria.
    night = at("2026-11-25T20:00:00-05:00")
    assert next_working_time(night, NEW_YORK, HOURS, USA) == at("2026-11-27T09:00:00-05:00")
    assert next_working_time(night, NEW_YORK, HOURS, BAVARIA) == at("2026-11-26T09:00:00-05:00")


def test_a_nudge_on_a_holiday_moves_to_the_next_working_day_at_the_same_local_time():
    thanksgiving = at("2026-11-26T14:00:00-05:00")
    close = at("2026-11-30T10:00:00-05:00")
    assert moved_for_days_off(thanksgiving, close, NEW_YORK, HOURS, USA) == at(
        "2026-11-27T14:00:00-05:00"
    )
    assert moved_for_days_off(thanksgiving, close, NEW_YORK, HOURS, BAVARIA) == thanksgiving


def test_a_nudge_that_would_cross_the_close_moves_to_the_last_working_day_before():
    # Good Friday and Easter Monday 2026 in Germany; the digest closes Monday 10:00.
    good_friday = at("2026-04-03T14:00:00+02:00")
    close = at("2026-04-06T10:00:00+02:00")
    moved = moved_for_days_off(good_friday, close, BERLIN, HOURS, BAVARIA)
    assert moved == at("2026-04-02T14:00:00+02:00")  # Maundy Thursday, same local time


def test_days_off_move_a_nudge_and_dst_keeps_the_local_time():
    # Friday 23 October 2026 is a day off; Berlin leaves summer time on Sunday the 25th.
    off = Calendar(days_off=frozenset({date(2026, 10, 23)}))
    friday = at("2026-10-23T14:00:00+02:00")
    close = at("2026-10-28T10:00:00+01:00")  # a Wednesday digest
    moved = moved_for_days_off(friday, close, BERLIN, HOURS, off)
    assert moved == at("2026-10-26T13:00:00+00:00")  # Monday 14:00 CET, one hour later in UTC
    assert moved.astimezone(BERLIN).hour == 14


def test_a_week_with_no_working_day_has_no_nudge():
    shutdown = Calendar(days_off=frozenset(date(2026, 12, d) for d in range(21, 32)))
    christmas = at("2026-12-25T14:00:00+01:00")
    close = at("2026-12-28T10:00:00+01:00")
    assert moved_for_days_off(christmas, close, BERLIN, HOURS, shutdown) is None


# --- end to end, through the outbox -----------------------------------------------------

ORG = {
    "timezone": "Europe/Berlin",
    "holidays": {"country": "DE", "subdivision": "BY"},
    "days_off": ["2026-11-27"],
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1"]},
        {
            "key": "us",
            "name": "US",
            "manager": "UMGR",
            "members": ["U2"],
            "holidays": {"country": "US"},
            "days_off": ["2026-12-04"],
        },
    ],
}
PEOPLE = [
    {"user_id": "UMGR", "real_name": "Maria Manager", "tz": "Europe/Berlin"},
    {"user_id": "U1", "real_name": "Ana", "tz": "Europe/Berlin"},
    {"user_id": "U2", "real_name": "Ben", "tz": "America/New_York"},
]


def plant(engine, clock, org=ORG) -> None:
    seed_org(engine, org, PEOPLE)
    with Session(engine) as session:
        checkins.replan(session, TEAM, ["U1", "U2", "UMGR"], clock())
        session.commit()


def nudge_due(engine, user_id, label):
    with Session(engine) as session:
        row = session.exec(
            select(Delivery).where(
                Delivery.subject == user_id, Delivery.kind == "nudge", Delivery.period == label
            )
        ).one()
    return row.due_at


def test_a_day_off_on_the_checkin_day_brings_the_nudge_forward_and_opens_the_week(
    engine, clock, sender, slack, requests
):
    clock.set("2026-11-25T12:00:00+00:00")
    plant(engine, clock)
    # Friday 27 is a day off for everyone; Monday 30 at 14:00 is after the 10:00 digest.
    assert nudge_due(engine, "U1", "2026-W48") == at("2026-11-26T14:00:00+01:00")
    # The US team's own holidays replace the organisation's; its days off add to them.
    assert nudge_due(engine, "U2", "2026-W48") == at("2026-11-25T14:00:00-05:00")
    assert nudge_due(engine, "U2", "2026-W49") == at("2026-12-03T14:00:00-05:00")
    clock.set("2026-11-26T13:00:00+00:00")
    sender.drain()
    assert len(nudges_to(slack, "U1")) == 1
    requests.action("checkin_open", "2026-W48", user="U1")
    assert slack.of("views.open")[-1].params["view"]["callback_id"] == "checkin_modal"


def test_a_week_with_no_working_day_sends_nothing_and_counts_as_away(engine, clock, sender, slack):
    shutdown = {**ORG, "days_off": [f"2026-11-{d}" for d in range(23, 31)]}
    plant(engine, clock, shutdown)
    clock.set("2026-11-27T13:00:00+00:00")
    sender.drain()
    assert nudges_to(slack, "U1") == []
    with Session(engine) as session:
        [week] = session.exec(select(Checkin).where(Checkin.user_id == "U1")).all()
        home = home_view(gather(session, TEAM, "U1", clock()), raise_action="r", check_action="c")
    assert week.status == "away"
    text = json.dumps(home, ensure_ascii=False)
    assert "Holidays and days off all week" in text and "Check in anyway" in text


def test_the_digest_says_a_holiday_week_in_one_line(engine, clock, sender, slack):
    plant(engine, clock)
    config = OrgConfig.model_validate(ORG)
    assert days_off_in(config, "platform", "2026-W48") == 1
    assert days_off_in(config, "us", "2026-W48") == 2  # Thanksgiving, and the org's day off
    clock.set("2026-11-30T09:00:00+00:00")
    sender.drain()
    digest = [c for c in slack.of("chat.postMessage") if c.params["channel"] == "UMGR"]
    text = json.dumps([c.params["blocks"] for c in digest], ensure_ascii=False)
    assert "a holiday week (days off: 1)" in text


# --- the org file ---------------------------------------------------------------------


@pytest.fixture
def client(slack) -> WebClient:
    for user_id in ("U0MANAGER", "U01"):
        slack.add_user(user_id)
    return WebClient(token="xoxb-test-token", base_url=slack.url)


FILE = """\
timezone: Europe/Berlin
teams:
  - key: platform
    name: Platform
    manager: U0MANAGER
    members: [U01]
    holidays: {country: US, subdivision: NY}
    days_off: [2026-12-31]
away:
  emoji: [palm_tree, ":surfer:"]
  words: [vacation, Sabbatical]
holidays: {country: DE, subdivision: BY}
days_off: [2026-12-24]
"""


def test_away_words_and_holidays_round_trip_through_the_org_file(tmp_path, session, client, clock):
    def imported(path: Path, text: str) -> str:
        path.write_text(text, encoding="utf-8")
        out = io.StringIO()
        assert (
            run_import(path, yes=False, session=session, client=client, now=clock(), out=out) == 0
        )
        return out.getvalue()

    imported(tmp_path / "org.yml", FILE)
    text = export_org(session, TEAM)
    data = yaml.safe_load(text)
    assert data["away"] == {
        "emoji": [":palm_tree:", ":surfer:"],
        "words": ["vacation", "Sabbatical"],
    }
    assert data["holidays"] == {"country": "DE", "subdivision": "BY"}
    assert data["days_off"] == ["2026-12-24"]
    assert data["teams"][0]["holidays"] == {"country": "US", "subdivision": "NY"}
    assert data["teams"][0]["days_off"] == ["2026-12-31"]
    assert imported(tmp_path / "exported.yml", text) == "No changes.\n"
    changed = imported(tmp_path / "changed.yml", text.replace("Sabbatical", "Sabbatical, OOO"))
    assert "away.words" in changed


def test_bad_away_and_holiday_values_are_refused_naming_the_key():
    head = "teams: [{key: a, name: A, manager: U1}]\n"
    [emoji] = problems_of(head + "away: {emoji: ['not an emoji!']}\n")
    assert "away.emoji" in emoji and "emoji name" in emoji
    [words] = problems_of(head + "away: {words: ['']}\n")
    assert "away.words" in words
    [country] = problems_of(head + "holidays: {country: XX}\n")
    assert "holidays" in country and "XX" in country
    [subdivision] = problems_of(head + "holidays: {country: DE, subdivision: ZZ}\n")
    assert "ZZ" in subdivision and "BY" in subdivision
    [day] = problems_of(head + "days_off: [2026-13-01]\n")
    assert "days_off" in day
    [team] = problems_of(
        "teams: [{key: a, name: A, manager: U1, holidays: {country: FR, region: x}}]\n"
    )
    assert "teams" in team and "region" in team
