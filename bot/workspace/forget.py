"""Forget me: erase a person's check-ins and reflections, their name in others' answers, and
their words in blockers raised to leadership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.checkin import rules as checkins
from bot.strategy import rules as strategy
from storage import queries
from storage.models import Checkin, Inbox, RaisedBlocker, Reflection

# "Stop my check-ins" pauses until a date nobody reaches; `/leadership resume` undoes it.
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Forgotten:
    checkins: int
    reflections: int
    mentions: int  # others' check-ins that named them under "who helped whom"
    cancelled: int  # messages to them not sent yet


def forget_person(
    session: Session, workspace_id: str, user_id: str, now: datetime, *, stop: bool
) -> Forgotten:
    """Erase what the person wrote and where others named them; with `stop`, no more nudges.

    Digests are built when they are sent, so none sent from now on shows any of it. Commits.
    """
    erased = session.execute(
        sa.delete(Checkin).where(
            col(Checkin.workspace_id) == workspace_id, col(Checkin.user_id) == user_id
        ),
        execution_options={"preserve_rowcount": True},
    ).rowcount
    reflections = session.execute(
        sa.delete(Reflection).where(
            col(Reflection.workspace_id) == workspace_id, col(Reflection.user_id) == user_id
        ),
        execution_options={"preserve_rowcount": True},
    ).rowcount
    session.execute(  # an answer still on its way to being stored goes too
        sa.delete(Inbox).where(
            col(Inbox.workspace_id) == workspace_id, col(Inbox.user_id) == user_id
        )
    )
    mentions = _unmention(session, workspace_id, user_id)
    session.execute(  # a blocker their manager raised keeps its team and note, not their words
        sa.update(RaisedBlocker)
        .where(
            col(RaisedBlocker.workspace_id) == workspace_id,
            col(RaisedBlocker.user_id) == user_id,
        )
        .values(user_id=None, words=None)
    )
    kinds = [checkins.REMINDER, *checkins.SNOOZES]  # "you haven't checked in" makes no sense now
    if stop:
        kinds += [checkins.NUDGE, *strategy.KINDS]
        person = queries.get_person(session=session, workspace_id=workspace_id, user_id=user_id)
        if person is not None:
            person.paused_until = FOREVER
            session.add(person)
    cancelled = queries.cancel_pending(
        session=session, workspace_id=workspace_id, subjects=[user_id], kinds=kinds
    )
    session.commit()
    return Forgotten(max(erased or 0, 0), max(reflections or 0, 0), mentions, cancelled)


def _unmention(session: Session, workspace_id: str, user_id: str) -> int:
    """Take the person out of others' "who helped whom" and their people answers; how many
    answers named them."""
    # A text match narrows the rows on every database; the lists themselves decide.
    mention = f'%"{user_id}"%'
    named = sa.or_(
        sa.cast(col(Checkin.helped_users), sa.String).like(mention),
        sa.cast(col(Checkin.answers), sa.String).like(mention),
    )
    rows = session.exec(select(Checkin).where(Checkin.workspace_id == workspace_id, named))
    changed = 0
    for row in rows:
        helped = [other for other in row.helped_users or [] if other != user_id]
        answers = {
            key: [u for u in given if u != user_id] if isinstance(given, list) else given
            for key, given in (row.answers or {}).items()
        }
        if helped != list(row.helped_users or []) or answers != dict(row.answers or {}):
            row.helped_users, row.answers = helped, answers
            session.add(row)
            changed += 1
    return changed
