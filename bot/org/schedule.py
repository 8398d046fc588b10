"""When things happen: periods, nudges and working hours, in each person's own zone.

Every function is pure: it takes `now` (aware UTC) and returns aware UTC datetimes.
Local times are resolved with zoneinfo at fold=0, which moves a time that falls in a
DST gap forward by the gap and picks the first of two repeated times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.org.config import WEEKDAYS, At, Holidays, Schedule, WorkingHours

_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in `zone` (gap → forward, fold → first)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def period_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    match = _LABEL.match(label)
    if not match:
        raise ValueError(f"{label!r} is not a period like 2026-W49")
    return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)


def shift_label(label: str, weeks: int) -> str:
    return period_label(week_start(label) + timedelta(weeks=weeks))


def _weekday_in(label: str, at: At) -> date:
    return week_start(label) + timedelta(days=WEEKDAYS.index(at.day))


@dataclass(frozen=True)
class Period:
    """One week of a team for one person: opens in their zone, closes in the manager's."""

    label: str
    opens_at: datetime
    closes_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def period_opens(label: str, schedule: Schedule, zone: ZoneInfo) -> datetime:
    return local_to_utc(_weekday_in(label, schedule.checkin), schedule.checkin.time, zone)


def period_closes(label: str, schedule: Schedule, manager_zone: ZoneInfo) -> datetime:
    """The first digest time, in the manager's zone, after the period opens there."""
    reference = period_opens(label, schedule, manager_zone)
    for weeks in (0, 1):
        day = _weekday_in(shift_label(label, weeks), schedule.digest)
        close = local_to_utc(day, schedule.digest.time, manager_zone)
        if close > reference:
            return close
    raise AssertionError("a digest time always follows within two weeks")


def period(label: str, schedule: Schedule, zone: ZoneInfo, manager_zone: ZoneInfo) -> Period:
    return Period(
        label, period_opens(label, schedule, zone), period_closes(label, schedule, manager_zone)
    )


def periods_around(
    now: datetime, schedule: Schedule, zone: ZoneInfo, manager_zone: ZoneInfo
) -> list[Period]:
    """The periods from last week to two weeks ahead of `now`, in order."""
    label = period_label(now.astimezone(zone).date())
    return [period(shift_label(label, k), schedule, zone, manager_zone) for k in range(-2, 3)]


def current_period(
    now: datetime, schedule: Schedule, zone: ZoneInfo, manager_zone: ZoneInfo
) -> Period | None:
    """The period open for this person at `now`, if any."""
    return next(
        (p for p in periods_around(now, schedule, zone, manager_zone) if p.is_open(now)), None
    )


def upcoming_period(
    now: datetime, schedule: Schedule, zone: ZoneInfo, manager_zone: ZoneInfo
) -> Period:
    """The earliest period that has not closed yet (open now, or the next to open)."""
    return next(p for p in periods_around(now, schedule, zone, manager_zone) if p.closes_at > now)


def last_closed_period(
    now: datetime, schedule: Schedule, zone: ZoneInfo, manager_zone: ZoneInfo
) -> Period:
    return [p for p in periods_around(now, schedule, zone, manager_zone) if p.closes_at <= now][-1]


@dataclass(frozen=True)
class Calendar:
    """A team's days nobody works: a country's public holidays, and the organisation's days off."""

    holidays: Holidays | None = None
    days_off: frozenset[date] = field(default_factory=frozenset)

    def is_off(self, day: date) -> bool:
        if day in self.days_off:
            return True
        if self.holidays is None:
            return False
        return day in _public_holidays(self.holidays.country, self.holidays.subdivision, day.year)


NO_CALENDAR = Calendar()


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays  # the package loads its countries lazily; only calendars need it

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_working_day(day: date, hours: WorkingHours, calendar: Calendar = NO_CALENDAR) -> bool:
    return WEEKDAYS[day.weekday()] in hours.days and not calendar.is_off(day)


def next_working_time(
    when: datetime, zone: ZoneInfo, hours: WorkingHours, calendar: Calendar = NO_CALENDAR
) -> datetime:
    """`when` if it falls inside working hours in `zone`, else the next working morning
    (holidays and days off of `calendar` are no working days)."""
    local = when.astimezone(zone)
    for offset in range(400):
        day = local.date() + timedelta(days=offset)
        if not is_working_day(day, hours, calendar):
            continue
        start = local_to_utc(day, hours.start, zone)
        end = local_to_utc(day, hours.end, zone)
        if when < start:
            return start
        if when < end:
            return when
    raise ValueError("no working day within a year: the calendar leaves none")


def moved_for_days_off(
    due: datetime, closes: datetime, zone: ZoneInfo, hours: WorkingHours, calendar: Calendar
) -> datetime | None:
    """A nudge due on a holiday or day off (in `zone`): the next working day at the same local
    time, or when that is at or after `closes`, the last working day before at that time; None
    when the week has no working day left for it."""
    local = due.astimezone(zone)
    if not calendar.is_off(local.date()):
        return due
    for step in (1, -1):
        for offset in range(1, 8):
            day = local.date() + timedelta(days=step * offset)
            if not is_working_day(day, hours, calendar):
                continue
            moved = local_to_utc(day, local.time().replace(tzinfo=None), zone)
            if step == 1 and moved >= closes:
                break
            if step == -1 and moved <= due - timedelta(days=7):
                break
            return moved
    return None


def opening_problems(
    schedule: Schedule, manager_zone: ZoneInfo, zones: set[ZoneInfo], start: date
) -> list[ZoneInfo]:
    """Zones whose check-in would open at or after the team's digest, in any week of a year."""
    bad: list[ZoneInfo] = []
    for zone in sorted(zones, key=str):
        for weeks in range(0, 53, 1):
            label = period_label(start + timedelta(weeks=weeks))
            if period_opens(label, schedule, zone) >= period_closes(label, schedule, manager_zone):
                bad.append(zone)
                break
    return bad
