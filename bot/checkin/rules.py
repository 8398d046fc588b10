"""The check-in rules: planning nudges, answering, skipping, snoozing, late answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.checkin.views import Answer
from bot.digest import delivery as digests
from bot.org.plan import Plan, load_config, plan_for
from bot.org.schedule import (
    Period,
    moved_for_days_off,
    next_working_time,
    period,
    shift_label,
)
from bot.strategy import rules as strategy
from storage import queries
from storage.models import Checkin, Delivery

AWAY = "away"  # a Checkin status: the week counts neither for nor against anyone
NUDGE = "nudge"
REMINDER = "reminder"
SNOOZES = ("snooze-1", "snooze-2")
SNOOZE_FOR = timedelta(hours=2)
CHECKIN_KINDS = (NUDGE, REMINDER, *SNOOZES)


class Window(Enum):
    OPEN = "open"  # answer or edit
    LATE = "late"  # closed, before the next nudge: a first answer is stored as late
    CLOSED = "closed"


def period_of(plan: Plan, label: str) -> Period:
    """The person's period; it opens earlier when its check-in day is a holiday or day off
    and the nudge had to move before it (see nudge_due)."""
    this = period(label, plan.schedule, plan.zone, plan.manager_zone)
    due = nudge_due(plan, this)
    if due is not None and due < this.opens_at:
        return Period(this.label, due, this.closes_at)
    return this


def nudge_due(plan: Plan, this: Period) -> datetime | None:
    """When the period's nudge goes, in the person's team calendar; None when the week has
    no working day for it (then it is an away week)."""
    return moved_for_days_off(
        this.opens_at, this.closes_at, plan.zone, plan.config.working_hours, plan.calendar
    )


def window(plan: Plan, label: str, now: datetime) -> Window:
    """Whether a period can still be answered at `now`, and how."""
    this = period_of(plan, label)
    if this.is_open(now):
        return Window.OPEN
    following = period_of(plan, shift_label(label, 1))
    if this.closes_at <= now < following.opens_at:
        return Window.LATE
    return Window.CLOSED


def window_ends(plan: Plan, label: str, state: Window) -> datetime | None:
    """When `state` ends for the period: its close while open, the next nudge while late."""
    if state is Window.OPEN:
        return period_of(plan, label).closes_at
    if state is Window.LATE:
        return period_of(plan, shift_label(label, 1)).opens_at
    return None


def nudge_row(plan: Plan, this: Period) -> Delivery:
    """The period's nudge; in a week with no working day it stays at the opening, where the
    sender records the week as away (the calendar is read again then)."""
    return plan.dm(NUDGE, this.label, nudge_due(plan, this) or this.opens_at, this.closes_at)


def plan_nudges(session: Session, plan: Plan, now: datetime) -> int:
    """Make sure the next two periods' nudges exist in the outbox (idempotent)."""
    upcoming = plan.upcoming(now)
    following = period_of(plan, shift_label(upcoming.label, 1))
    return queries.insert_deliveries(
        session=session, rows=[nudge_row(plan, upcoming), nudge_row(plan, following)]
    )


def replan(session: Session, workspace_id: str, user_ids: Iterable[str], now: datetime) -> int:
    """Re-plan people after their zone, team or schedule changed: unsent nudges are redone."""
    user_ids = list(user_ids)
    if not user_ids:
        return 0
    session.execute(
        sa.delete(Delivery).where(
            col(Delivery.workspace_id) == workspace_id,
            col(Delivery.subject).in_(user_ids),
            col(Delivery.kind).in_([NUDGE, strategy.STRATEGY]),
            col(Delivery.status) == "pending",
        )
    )
    made = 0
    for user_id in user_ids:
        plan = plan_for(session, workspace_id, user_id)
        if plan is not None:
            made += plan_person(session, plan, now)
    config = load_config(session, workspace_id)
    if config is not None:
        made += digests.plan_leadership_digest(session, config, workspace_id, now)
    return made


def plan_person(session: Session, plan: Plan, now: datetime) -> int:
    """Everything scheduled for one person: nudges, the next reflection, a manager's digest."""
    return (
        plan_nudges(session, plan, now)
        + strategy.plan_reflection(session, plan, now)
        + digests.plan_manager_digest(
            session, plan.config, plan.person.workspace_id, plan.person.user_id, now
        )
    )


def after_nudge(session: Session, plan: Plan, label: str, sent_at: datetime) -> None:
    """Once the nudge is out: one reminder `reminder_after` later, in working hours."""
    this = period_of(plan, label)
    due = next_working_time(
        sent_at + plan.schedule.reminder_after, plan.zone, plan.config.working_hours, plan.calendar
    )
    if due < this.closes_at:
        queries.insert_deliveries(session=session, rows=[_reminder(plan, this, REMINDER, due)])


def _reminder(plan: Plan, this: Period, kind: str, due: datetime) -> Delivery:
    return plan.dm(kind, this.label, due, this.closes_at)


def snooze(session: Session, plan: Plan, label: str, now: datetime) -> datetime | None:
    """Replace the pending reminder with one two hours on; None when none can be set
    (snoozed twice already, or two hours on is past the close)."""
    this = period_of(plan, label)
    rows = queries.deliveries_for(
        session=session,
        workspace_id=plan.person.workspace_id,
        subject=plan.person.user_id,
        period=label,
    )
    used = {row.kind for row in rows}
    kind = next((k for k in SNOOZES if k not in used), None)
    if kind is None:
        return None
    due = next_working_time(now + SNOOZE_FOR, plan.zone, plan.config.working_hours, plan.calendar)
    if due >= this.closes_at:  # too late to move it: the pending reminder, if any, stays
        waiting = [
            r.due_at for r in rows if r.status == "pending" and r.kind in (REMINDER, *SNOOZES)
        ]
        return min(waiting, default=None)
    queries.cancel_pending(
        session=session,
        workspace_id=plan.person.workspace_id,
        subjects=[plan.person.user_id],
        kinds=[REMINDER, *SNOOZES],
        period=label,
    )
    queries.insert_deliveries(session=session, rows=[_reminder(plan, this, kind, due)])
    session.commit()
    return due


def record_answer(
    session: Session,
    plan: Plan,
    label: str,
    answer: Answer,
    *,
    late: bool,
    now: datetime,
    stored: Checkin | None = None,
) -> Checkin:
    """Store (or replace) the person's answer for the period; no reminder follows it.
    `stored` is the period's row when the caller has just read it."""
    row = (
        stored
        or queries.get_checkin(
            session=session,
            workspace_id=plan.person.workspace_id,
            user_id=plan.person.user_id,
            period=label,
        )
        or _new_checkin(plan, label, "answered", now)
    )
    if row.id is None or row.status in ("skipped", AWAY):
        row.late = late  # an edit keeps how the first answer arrived
    row.status = "answered"
    row.moved, row.blocked, row.learned = answer.moved, answer.blocked, answer.learned
    row.energy, row.helped_text = answer.energy, answer.helped_text
    row.helped_users = list(answer.helped_users)
    row.objective_key = answer.objective_key
    row.answers = dict(answer.answers)
    row.updated_at = now
    session.add(row)
    _stop_reminders(session, plan, label)
    session.commit()
    return row


def record_skip(session: Session, plan: Plan, label: str, now: datetime) -> Checkin:
    """A skip counts as heard from; it stops this period's reminders. It never erases an answer."""
    row = queries.get_checkin(
        session=session,
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        period=label,
    )
    if row is None:
        row = _new_checkin(plan, label, "skipped", now)
        session.add(row)
    _stop_reminders(session, plan, label)
    session.commit()
    session.refresh(row)
    return row


def record_away(session: Session, plan: Plan, label: str, now: datetime) -> None:
    """The week is away (Slack status, or no working day): no nudge, no reminder; an answer
    or skip already given stays as it is."""
    stored = queries.get_checkin(
        session=session,
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        period=label,
    )
    if stored is None:
        session.add(_new_checkin(plan, label, AWAY, now))
    _stop_reminders(session, plan, label)
    session.commit()


def _new_checkin(plan: Plan, label: str, status: str, now: datetime) -> Checkin:
    """The person's first row for the period, under their team and manager of now."""
    return Checkin(
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        period=label,
        team_key=plan.team.key,
        manager_id=plan.manager_id,
        status=status,
        created_at=now,
        updated_at=now,
    )


def _stop_reminders(session: Session, plan: Plan, label: str) -> None:
    queries.cancel_pending(
        session=session,
        workspace_id=plan.person.workspace_id,
        subjects=[plan.person.user_id],
        kinds=[NUDGE, REMINDER, *SNOOZES],
        period=label,
    )


def last_blocker(session: Session, plan: Plan, label: str) -> str | None:
    """What the person said was blocking them the period before, if anything."""
    previous = queries.get_checkin(
        session=session,
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        period=shift_label(label, -1),
    )
    return previous.blocked if previous is not None and previous.status == "answered" else None
