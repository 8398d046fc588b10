"""A workspace's install lifecycle: uninstalled (nothing more is sent), reinstalled (resumed)."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.checkin import rules as checkins
from storage import queries
from storage.models import Delivery, Uninstall

logger = logging.getLogger(__name__)

UNINSTALLED = "workspace uninstalled"  # the reason recorded on the rows it cancelled


def is_uninstalled(session: Session, workspace_id: str) -> bool:
    """Whether the workspace removed leadbot (and has not reinstalled it)."""
    return session.get(Uninstall, workspace_id) is not None


def uninstall(engine: Engine, workspace_id: str, now: datetime) -> int:
    """Stop everything for the workspace at once; return how many pending messages were cancelled.

    The first uninstall's time stands (a repeated event does not push the erase back).
    """
    with Session(engine) as session:
        if session.get(Uninstall, workspace_id) is None:
            session.add(Uninstall(workspace_id=workspace_id, uninstalled_at=now))
        cancelled = session.execute(
            sa.update(Delivery)
            .where(col(Delivery.workspace_id) == workspace_id, col(Delivery.status) == "pending")
            .values(status="cancelled", last_error=UNINSTALLED),
            execution_options={"preserve_rowcount": True},
        ).rowcount
        session.commit()
    logger.info("workspace %s uninstalled leadbot: %d messages cancelled", workspace_id, cancelled)
    return max(cancelled or 0, 0)


def reinstalled(engine: Engine, workspace_id: str, now: datetime) -> bool:
    """Resume a workspace that had uninstalled: nothing is erased, its schedule is planned again.

    Returns whether it had been uninstalled.
    """
    with Session(engine) as session:
        mark = session.get(Uninstall, workspace_id)
        if mark is None:
            return False
        session.delete(mark)
        # What the uninstall cancelled and is still in time goes back to being planned.
        session.execute(
            sa.delete(Delivery).where(
                col(Delivery.workspace_id) == workspace_id,
                col(Delivery.status) == "cancelled",
                col(Delivery.last_error) == UNINSTALLED,
                col(Delivery.expires_at) > now,
            )
        )
        session.flush()
        people = queries.team_people(session=session, workspace_id=workspace_id)
        checkins.replan(session, workspace_id, people, now)
        session.commit()
    logger.info("workspace %s reinstalled leadbot; its schedule is planned again", workspace_id)
    return True
