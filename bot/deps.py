"""What listeners and jobs need, passed in explicitly (never read from globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.settings import Settings

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real clock: aware UTC (freezegun freezes it in tests)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: Engine
    clock: Clock = utcnow
    # True in a process that only serves Slack (`python -m bot web`): listeners acknowledge
    # and hand work on through the inbox, and a worker does it.
    web_only: bool = False
