"""What listeners and jobs need, passed in explicitly (never read from globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.runtime.inbox import Handoff
from bot.runtime.outage import Outages
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
    # In a process that only serves Slack (`python -m bot web`): listeners acknowledge and
    # hand work on to the inbox through it, and a worker does the work. None: they do it too.
    handoff: Handoff | None = None
    # What the process knows of the database's and Slack's outages (bot/runtime/outage.py).
    outages: Outages = field(default_factory=Outages)
