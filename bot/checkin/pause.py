"""`/leadership pause 2w | 3d | until 2027-01-06`: when a pause ends."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.org.config import parse_duration
from bot.org.schedule import local_to_utc

LONGEST = timedelta(days=366)
_UNTIL = re.compile(r"^until\s+(\d{4}-\d{2}-\d{2})$")


class PauseError(ValueError):
    """The pause could not be understood; the message says how to write it."""


def pause_end(spec: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a pause ends: after a duration, or at the start of a local date."""
    spec = " ".join(spec.lower().split())
    match = _UNTIL.match(spec)
    if match:
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError as error:
            raise PauseError(f"{match.group(1)} is not a date") from error
        end = local_to_utc(day, time(0, 0), zone)
    else:
        try:
            length = parse_duration(spec)
        except ValueError as error:
            raise PauseError(str(error)) from error
        if length < timedelta(days=1) or spec.endswith(("h", "m")):
            raise PauseError("pauses are counted in days (3d) or weeks (2w)")
        end = now + length
    if end <= now:
        raise PauseError("that date has already passed")
    if end - now > LONGEST:
        raise PauseError("a pause can last at most a year")
    return end
