"""Pure rules of time: periods, zones, DST, working hours, and how long a pause lasts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.checkin.pause import PauseError, pause_end
from bot.org.config import At, Schedule, WorkingHours
from bot.org.schedule import (
    current_period,
    last_closed_period,
    local_to_utc,
    next_working_time,
    opening_problems,
    period,
    period_label,
    shift_label,
    upcoming_period,
    week_start,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
SYDNEY = ZoneInfo("Australia/Sydney")
HONOLULU = ZoneInfo("Pacific/Honolulu")
DEFAULT = Schedule()  # check-in fri 14:00, digest mon 10:00
HOURS = WorkingHours()  # mon–fri 09:00–17:00


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- periods --------------------------------------------------------------------------


def test_a_period_is_labelled_by_the_iso_week_it_opens_in():
    assert period_label(date(2026, 11, 27)) == "2026-W48"
    assert period_label(date(2027, 1, 1)) == "2026-W53"  # a Friday that belongs to 2026
    assert period_label(date(2027, 1, 4)) == "2027-W01"
    assert week_start("2026-W48") == date(2026, 11, 23)
    assert shift_label("2026-W53", 1) == "2027-W01"
    assert shift_label("2027-W01", -1) == "2026-W53"


def test_a_malformed_period_label_is_refused():
    with pytest.raises(ValueError, match="not a period"):
        week_start("2026-48")


def test_the_default_period_opens_friday_1400_local_and_closes_monday_1000_for_the_manager():
    berlin = period("2026-W48", DEFAULT, BERLIN, BERLIN)
    assert berlin.opens_at == utc("2026-11-27T13:00")  # Fri 14:00 CET
    assert berlin.closes_at == utc("2026-11-30T09:00")  # Mon 10:00 CET
    new_york = period("2026-W48", DEFAULT, NEW_YORK, BERLIN)
    assert new_york.opens_at == utc("2026-11-27T19:00")  # Fri 14:00 EST
    assert new_york.closes_at == berlin.closes_at  # one close for the whole team
    sydney = period("2026-W48", DEFAULT, SYDNEY, BERLIN)
    assert sydney.opens_at == utc("2026-11-27T03:00")  # Fri 14:00 AEDT
    assert sydney.closes_at == berlin.closes_at


def test_a_period_is_open_from_its_opening_up_to_but_not_at_its_close():
    this = period("2026-W48", DEFAULT, BERLIN, BERLIN)
    assert not this.is_open(utc("2026-11-27T12:59"))
    assert this.is_open(utc("2026-11-27T13:00"))
    assert this.is_open(utc("2026-11-30T08:59"))
    assert not this.is_open(utc("2026-11-30T09:00"))


def test_current_upcoming_and_last_closed_periods_follow_the_clock():
    wednesday = utc("2026-11-25T12:00")
    assert current_period(wednesday, DEFAULT, BERLIN, BERLIN) is None
    assert upcoming_period(wednesday, DEFAULT, BERLIN, BERLIN).label == "2026-W48"
    assert last_closed_period(wednesday, DEFAULT, BERLIN, BERLIN).label == "2026-W47"
    saturday = utc("2026-11-28T12:00")
    assert current_period(saturday, DEFAULT, BERLIN, BERLIN).label == "2026-W48"
    assert upcoming_period(saturday, DEFAULT, BERLIN, BERLIN).label == "2026-W48"
    monday_after_close = utc("2026-11-30T09:00")
    assert current_period(monday_after_close, DEFAULT, BERLIN, BERLIN) is None
    assert upcoming_period(monday_after_close, DEFAULT, BERLIN, BERLIN).label == "2026-W49"
    assert last_closed_period(monday_after_close, DEFAULT, BERLIN, BERLIN).label == "2026-W48"


def test_a_period_that_opens_on_monday_closes_at_the_following_digest():
    weekly = Schedule(checkin=At(day="mon", time="11:00"), digest=At(day="mon", time="10:00"))
    this = period("2026-W48", weekly, BERLIN, BERLIN)
    assert this.opens_at == utc("2026-11-23T10:00")
    assert this.closes_at == utc("2026-11-30T09:00")


# --- zones and DST --------------------------------------------------------------------


def test_a_local_time_in_the_spring_gap_moves_forward_by_the_gap():
    # 02:30 does not exist in Berlin on 2027-03-28: it becomes 03:30 CEST.
    instant = local_to_utc(date(2027, 3, 28), time(2, 30), BERLIN)
    assert instant == utc("2027-03-28T01:30")
    local = instant.astimezone(BERLIN)
    assert (local.hour, local.minute, local.tzname()) == (3, 30, "CEST")


def test_a_repeated_local_time_in_the_autumn_fold_is_its_first_occurrence():
    # 02:30 happens twice in Berlin on 2026-10-25; the first is still CEST.
    instant = local_to_utc(date(2026, 10, 25), time(2, 30), BERLIN)
    assert instant == utc("2026-10-25T00:30")
    assert instant.astimezone(BERLIN).tzname() == "CEST"


def test_nine_oclock_local_stays_nine_oclock_local_across_dst():
    before = local_to_utc(date(2027, 3, 26), time(9, 0), BERLIN)
    after = local_to_utc(date(2027, 3, 29), time(9, 0), BERLIN)
    assert (before, after) == (utc("2027-03-26T08:00"), utc("2027-03-29T07:00"))
    saturday = utc("2027-03-27T12:00")
    assert next_working_time(saturday, BERLIN, HOURS) == after
    assert next_working_time(after, BERLIN, HOURS).astimezone(BERLIN).hour == 9


def test_the_checkin_stays_at_1400_local_in_every_zone_across_a_year_of_dst():
    for zone in (BERLIN, NEW_YORK, KOLKATA, SYDNEY):
        for weeks in range(53):
            label = period_label(date(2026, 9, 4) + timedelta(weeks=weeks))
            opens = period(label, DEFAULT, zone, BERLIN).opens_at.astimezone(zone)
            assert (opens.weekday(), opens.hour, opens.minute) == (4, 14, 0), (zone, label)


def test_the_close_stays_at_monday_1000_in_the_managers_zone_across_dst():
    autumn = period("2026-W43", DEFAULT, BERLIN, BERLIN).closes_at  # closes Mon Oct 26, CET
    spring = period("2027-W12", DEFAULT, BERLIN, BERLIN).closes_at  # closes Mon Mar 29, CEST
    assert autumn == utc("2026-10-26T09:00")
    assert spring == utc("2027-03-29T08:00")


# --- working hours --------------------------------------------------------------------


def test_a_time_inside_working_hours_stays_as_it_is():
    tuesday_noon = utc("2026-11-24T11:00")  # 12:00 Berlin
    assert next_working_time(tuesday_noon, BERLIN, HOURS) == tuesday_noon


def test_a_time_before_the_working_day_waits_for_nine():
    early = utc("2026-11-24T06:00")  # 07:00 Berlin
    assert next_working_time(early, BERLIN, HOURS) == utc("2026-11-24T08:00")


def test_an_evening_waits_for_the_next_morning_at_nine():
    evening = utc("2026-11-24T18:00")  # Tue 19:00 Berlin
    assert next_working_time(evening, BERLIN, HOURS) == utc("2026-11-25T08:00")


def test_five_oclock_sharp_is_already_after_hours():
    five = utc("2026-11-24T16:00")  # 17:00 Berlin
    assert next_working_time(five, BERLIN, HOURS) == utc("2026-11-25T08:00")


def test_a_friday_evening_waits_for_monday_at_nine():
    friday_evening = utc("2026-11-27T17:00")  # Fri 18:00 Berlin
    assert next_working_time(friday_evening, BERLIN, HOURS) == utc("2026-11-30T08:00")


def test_working_hours_are_read_in_the_persons_own_zone():
    friday_evening_new_york = utc("2026-11-27T23:00")  # Fri 18:00 EST
    monday = next_working_time(friday_evening_new_york, NEW_YORK, HOURS)
    assert monday == utc("2026-11-30T14:00")  # Mon 09:00 EST


def test_custom_working_days_and_hours_are_respected():
    sun_to_thu = WorkingHours(days=["sun", "mon", "tue", "wed", "thu"], start="08:00", end="16:00")
    friday = utc("2026-11-27T10:00")  # Fri 11:00 Berlin: not a working day
    assert next_working_time(friday, BERLIN, sun_to_thu) == utc("2026-11-29T07:00")  # Sun 08:00
    sunday_afternoon = utc("2026-11-29T14:00")  # Sun 15:00 Berlin
    assert next_working_time(sunday_afternoon, BERLIN, sun_to_thu) == sunday_afternoon


# --- refusing a schedule ----------------------------------------------------------------


def test_the_default_schedule_opens_before_the_close_in_every_zone():
    zones = {BERLIN, NEW_YORK, KOLKATA, SYDNEY, HONOLULU}
    assert opening_problems(DEFAULT, BERLIN, zones, date(2026, 11, 1)) == []


def test_a_zone_whose_checkin_would_open_after_the_digest_is_refused():
    tight = Schedule(checkin=At(day="mon", time="08:00"), digest=At(day="mon", time="10:00"))
    problems = opening_problems(tight, BERLIN, {BERLIN, NEW_YORK, KOLKATA}, date(2026, 11, 1))
    assert problems == [NEW_YORK]  # Mon 08:00 in New York is after Mon 10:00 in Berlin


# --- pauses ---------------------------------------------------------------------------

NOW = utc("2026-11-27T12:00")


def test_a_pause_of_two_weeks_ends_fourteen_days_later():
    assert pause_end("2w", NOW, BERLIN) == NOW + timedelta(days=14)


def test_a_pause_of_three_days_ends_three_days_later():
    assert pause_end(" 3D ", NOW, BERLIN) == NOW + timedelta(days=3)


def test_a_pause_until_a_date_ends_at_the_start_of_that_local_day():
    assert pause_end("until 2027-01-06", NOW, BERLIN) == utc("2027-01-05T23:00")
    assert pause_end("until 2027-01-06", NOW, NEW_YORK) == utc("2027-01-06T05:00")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("5h", "counted in days"),
        ("until 2020-01-01", "already passed"),
        ("until 2027-13-01", "2027-13-01 is not a date"),
        ("banana", "not a duration"),
        ("53w", "at most a year"),
        ("until 2028-01-01", "at most a year"),
    ],
)
def test_a_pause_that_cannot_be_read_says_why(spec, reason):
    with pytest.raises(PauseError, match=reason):
        pause_end(spec, NOW, BERLIN)
