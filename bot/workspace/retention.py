"""The daily data lifecycle: old answers and concerns purged, uninstalled workspaces erased."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, col, select

import storage.slack_tables  # noqa: F401 - the installation tables are erased with the rest
from bot.org.config import Retention
from bot.org.plan import load_config
from storage.models import (
    Checkin,
    Concern,
    ConcernNote,
    Inbox,
    QuestionSet,
    RaisedBlocker,
    Reflection,
    TeamEnergy,
    Uninstall,
    Workspace,
)

logger = logging.getLogger(__name__)


@dataclass
class Purged:
    checkins: int = 0
    reflections: int = 0
    concerns: int = 0

    def add(self, other: Purged) -> None:
        self.checkins += other.checkins
        self.reflections += other.reflections
        self.concerns += other.concerns


def retention_of(session: Session, workspace_id: str) -> Retention:
    """The workspace's retention, or the defaults when it has no configuration."""
    config = load_config(session, workspace_id)
    return config.retention if config is not None else Retention()


def _workspace_ids(session: Session) -> list[str]:
    ids = set(session.exec(select(Workspace.id)))
    for model in (Checkin, Reflection, Concern):
        ids |= set(session.exec(select(model.workspace_id).distinct()))
    return sorted(ids)


def _count(connection: Session | Connection, statement: sa.Executable) -> int:
    result = connection.execute(statement, execution_options={"preserve_rowcount": True})
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def purge_old(engine: Engine, now: datetime) -> Purged:
    """Delete answers and reflections older than `answers_days`, concerns older than
    `concerns_days` (with their threads), each workspace by its own retention."""
    total = Purged()
    with Session(engine) as session:
        for workspace_id in _workspace_ids(session):
            purged = _purge(session, workspace_id, retention_of(session, workspace_id), now)
            session.commit()
            if purged != Purged():
                logger.info("retention in %s purged %s", workspace_id, purged)
            total.add(purged)
    return total


def _purge(session: Session, workspace_id: str, keep: Retention, now: datetime) -> Purged:
    answers_before = now - timedelta(days=keep.answers_days)
    old = sa.and_(
        col(Concern.workspace_id) == workspace_id,
        col(Concern.created_on) < (now - timedelta(days=keep.concerns_days)).date(),
    )
    threads = sa.delete(ConcernNote).where(
        col(ConcernNote.concern_id).in_(select(Concern.id).where(old))
    )
    _count(session, threads)
    given_up = sa.and_(  # answers the inbox could not store, kept no longer than answers
        col(Inbox.workspace_id) == workspace_id, col(Inbox.received_at) < answers_before
    )
    _count(session, sa.delete(Inbox).where(given_up))
    _count(session, _older(TeamEnergy, workspace_id, answers_before))  # kept no longer either
    _count(session, _older(RaisedBlocker, workspace_id, answers_before))  # a check-in's words
    _count(session, _older(QuestionSet, workspace_id, answers_before))  # what they answered
    return Purged(
        checkins=_count(session, _older(Checkin, workspace_id, answers_before)),
        reflections=_count(session, _older(Reflection, workspace_id, answers_before)),
        concerns=_count(session, sa.delete(Concern).where(old)),
    )


def _older(
    model: type[Checkin]
    | type[Reflection]
    | type[TeamEnergy]
    | type[RaisedBlocker]
    | type[QuestionSet],
    workspace_id: str,
    before: datetime,
) -> sa.Delete:
    return sa.delete(model).where(
        col(model.workspace_id) == workspace_id, col(model.created_at) < before
    )


def erase_uninstalled(engine: Engine, now: datetime) -> list[str]:
    """Erase every workspace uninstalled longer ago than its `after_uninstall_days`."""
    with Session(engine) as session:
        due = [
            mark.workspace_id
            for mark in session.exec(select(Uninstall))
            if mark.uninstalled_at
            + timedelta(days=retention_of(session, mark.workspace_id).after_uninstall_days)
            <= now
        ]
    for workspace_id in due:
        erase_workspace(engine, workspace_id)
    return due


def erase_workspace(engine: Engine, workspace_id: str) -> int:
    """Delete every row of the workspace in every table, in one transaction."""
    deleted = 0
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):  # children before parents
            column = workspace_column(table)
            if column is not None:
                deleted += _count(connection, sa.delete(table).where(column == workspace_id))
    logger.info("erased workspace %s (%d rows), after its uninstall", workspace_id, deleted)
    return deleted


def workspace_column(table: sa.Table) -> sa.Column | None:
    """The column that names a row's workspace, if the table has one."""
    if "workspace_id" in table.c:
        return table.c.workspace_id
    if table.name == Workspace.__tablename__:
        return table.c.id
    if "team_id" in table.c:  # slack_sdk's installation tables
        return table.c.team_id
    return None


def daily(engine: Engine, now: datetime) -> None:
    """The daily job: purge by retention, then erase what was uninstalled long enough."""
    purge_old(engine, now)
    erase_uninstalled(engine, now)
