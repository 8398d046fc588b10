"""Per-person limits that keep no lasting link to the person (DESIGN 4).

A person is counted under `hmac(sha256, key, "workspace:user:day")`, where `key` is random,
made fresh each UTC day, and lives only in this process's memory: it is never stored or
logged, and when the day turns it is dropped with every count. Several processes each count
on their own (an honest limit, said in the README).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

CONCERNS_PER_DAY = 3
FOLLOWUPS_PER_DAY = 5
WRONG_CODES_PER_HOUR = 5


class Throttle:
    """At most `limit` events per person in `window` (None: the current UTC day)."""

    def __init__(self, limit: int, window: timedelta | None = None) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._day: date | None = None
        self._key = b""
        self._events: dict[bytes, list[datetime]] = {}

    def _token(self, workspace_id: str, user_id: str, now: datetime) -> bytes:
        day = now.astimezone(UTC).date()
        if day != self._day:
            # A new day: a new key, and yesterday's counts can no longer be told apart.
            self._day, self._key = day, secrets.token_bytes(32)
            self._events.clear()
        message = f"{workspace_id}:{user_id}:{day.isoformat()}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def _recent(self, token: bytes, now: datetime) -> list[datetime]:
        events = self._events.get(token, [])
        if self.window is not None:
            events = [when for when in events if when > now - self.window]
        return events

    def allows(self, workspace_id: str, user_id: str, now: datetime) -> bool:
        """Whether one more event is within the limit."""
        with self._lock:
            token = self._token(workspace_id, user_id, now)
            return len(self._recent(token, now)) < self.limit

    def record(self, workspace_id: str, user_id: str, now: datetime) -> None:
        """Count one event for the person."""
        with self._lock:
            token = self._token(workspace_id, user_id, now)
            self._events[token] = [*self._recent(token, now), now]


@dataclass
class Limits:
    """The concern surface's limits, one set per app (so per process)."""

    concerns: Throttle = field(default_factory=lambda: Throttle(CONCERNS_PER_DAY))
    followups: Throttle = field(default_factory=lambda: Throttle(FOLLOWUPS_PER_DAY))
    wrong_codes: Throttle = field(
        default_factory=lambda: Throttle(WRONG_CODES_PER_HOUR, timedelta(hours=1))
    )
