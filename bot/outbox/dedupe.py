"""Slack resends an event it thinks we missed (`X-Slack-Retry-Num`): each is handled once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from slack_bolt import BoltContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.runtime.deps import Deps
from storage.models import SeenEvent

logger = logging.getLogger(__name__)

KEEP = timedelta(days=1)  # Slack retries within minutes; a day is ample


def first_time(engine: Engine, *, workspace_id: str, event_id: str, now: datetime) -> bool:
    """Record the event; False when it was recorded before (by any process)."""
    with engine.begin() as connection:
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(SeenEvent)
            .values(workspace_id=workspace_id, event_id=event_id, seen_at=now)
            .on_conflict_do_nothing(index_elements=["workspace_id", "event_id"])
        )
        result = connection.execute(statement, execution_options={"preserve_rowcount": True})
        return result.rowcount == 1


def resent(body: dict, context: BoltContext) -> bool:
    """True for an event handled before (Slack's retry), which is acknowledged and goes no
    further. Its one short transaction ends before any listener runs, so no session outlives
    it. Called by the app's one global middleware (bot/app.py)."""
    event_id = body.get("event_id")
    if body.get("type") != "event_callback" or not event_id:
        return False
    deps: Deps = context["deps"]
    workspace_id = context.team_id or str(body.get("team_id") or "")
    if first_time(deps.engine, workspace_id=workspace_id, event_id=event_id, now=deps.clock()):
        return False
    logger.info("event %s was handled already; acknowledging Slack's retry", event_id)
    return True


def purge_seen(engine: Engine, now: datetime) -> int:
    """Forget events older than a day (the daily job)."""
    with engine.begin() as connection:
        statement = sa.delete(SeenEvent).where(col(SeenEvent.seen_at) < now - KEEP)
        result = connection.execute(statement, execution_options={"preserve_rowcount": True})
        return max(result.rowcount or 0, 0)
