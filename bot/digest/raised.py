"""Blockers raised to leadership: a manager hands a blocker from their digest up to the
leadership group, a leader answers (on it, resolved, won't act and why), and the manager
and, when they were told, the person hear back.

Who may do what is decided by what was recorded: only the manager a check-in was written to
may raise its blocker, and only the leaders of the day it was raised may read and answer it.
The leadership digest shows it without the person's name: the team, the manager who raised
it, the manager's note, the blocker's words and its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.org.config import OrgConfig
from storage import queries
from storage.models import Checkin, RaisedBlocker

OPEN, ON_IT, RESOLVED, WONT_ACT = "open", "on_it", "resolved", "wont_act"
ANSWERS = (ON_IT, RESOLVED, WONT_ACT)
STILL_OPEN = (OPEN, ON_IT)  # carried over into every leadership digest until closed
NOTE_LIMIT = 1000
ANSWER_LIMIT = 2000


def raisable(session: Session, workspace_id: str, user_id: str, checkin_ref: str) -> Checkin | None:
    """The check-in whose blocker `user_id` may raise: one written to them, with a blocker."""
    row = queries.checkin_by_ref(session=session, workspace_id=workspace_id, ref=checkin_ref)
    if row is None or row.manager_id != user_id or not row.blocked:
        return None
    return row


def raised_for(session: Session, workspace_id: str, checkin_refs: list[str]) -> set[str]:
    """Which of these check-ins' blockers are raised already."""
    if not checkin_refs:
        return set()
    return set(
        session.exec(
            select(RaisedBlocker.checkin_ref).where(
                RaisedBlocker.workspace_id == workspace_id,
                col(RaisedBlocker.checkin_ref).in_(checkin_refs),
            )
        )
    )


def raise_blocker(
    session: Session,
    config: OrgConfig,
    checkin: Checkin,
    *,
    team_name: str,
    objective_key: str | None,
    note: str | None,
    tell: bool,
    now: datetime,
) -> tuple[RaisedBlocker, bool]:
    """Raise the check-in's blocker (once: a second raise returns the first); whether it is
    new. The readers are today's leaders, recorded. Commits."""
    existing = _by_checkin(session, checkin.workspace_id, checkin.ref)
    if existing is not None:
        return existing, False
    row = RaisedBlocker(
        workspace_id=checkin.workspace_id,
        checkin_ref=checkin.ref,
        period=checkin.period,
        team_key=checkin.team_key or "",
        team_name=team_name,
        manager_id=checkin.manager_id or "",
        user_id=checkin.user_id,
        words=checkin.blocked,
        objective_key=objective_key,
        note=note or None,
        tell=tell,
        leaders=sorted(config.leaders),
        created_at=now,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the unique key: another click raised it a moment before
        session.rollback()
        raced = _by_checkin(session, checkin.workspace_id, checkin.ref)
        if raced is None:
            raise
        return raced, False
    session.refresh(row)
    return row, True


def _by_checkin(session: Session, workspace_id: str, checkin_ref: str) -> RaisedBlocker | None:
    return session.exec(
        select(RaisedBlocker).where(
            RaisedBlocker.workspace_id == workspace_id, RaisedBlocker.checkin_ref == checkin_ref
        )
    ).first()


def answerable(session: Session, workspace_id: str, user_id: str, ref: str) -> RaisedBlocker | None:
    """The raised blocker `user_id` may read and answer: they were a leader when it was raised."""
    row = session.exec(
        select(RaisedBlocker).where(
            RaisedBlocker.workspace_id == workspace_id, RaisedBlocker.ref == ref
        )
    ).first()
    if row is None or user_id not in row.leaders:
        return None
    return row


def answer(
    session: Session, row: RaisedBlocker, leader_id: str, status: str, text: str, now: datetime
) -> RaisedBlocker:
    """Record a leader's answer; a closed one (resolved, won't act) shows once more, under
    "you said, we did", in the next leadership digest. Commits."""
    row.status = status
    row.answer = text or None
    row.answered_by = leader_id
    row.answered_at = now
    row.closed_in = None
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


@dataclass(frozen=True)
class ForLeaders:
    open: list[RaisedBlocker]  # still open, oldest first
    closed: list[RaisedBlocker]  # closed since the last leadership digest: shown once


def for_leadership(session: Session, workspace_id: str, period: str) -> ForLeaders:
    """What the leadership digest of `period` shows: every open raised blocker, and those
    closed and not shown closed yet (or shown closed in this same period, for a resend)."""
    rows = session.exec(
        select(RaisedBlocker)
        .where(RaisedBlocker.workspace_id == workspace_id)
        .order_by(col(RaisedBlocker.created_at), col(RaisedBlocker.ref))
    ).all()
    return ForLeaders(
        [r for r in rows if r.status in STILL_OPEN],
        [r for r in rows if r.status not in STILL_OPEN and r.closed_in in (None, period)],
    )


def mark_shown(session: Session, closed: list[RaisedBlocker], period: str) -> None:
    """The closed ones a sent leadership digest showed: not shown again."""
    for row in closed:
        row.closed_in = period
        session.add(row)


def weeks_old(row: RaisedBlocker, now: datetime) -> int:
    return max(0, (now - row.created_at).days // 7)
