"""Strategy reflections: their cadence, their phrasing, and re-asking when objectives change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

import prompts
from bot.config import WEEKDAYS, WorkingHours
from bot.org import Plan, plan_for
from bot.schedule import local_to_utc, period_label
from bot.views.kit import cut
from storage import queries
from storage.models import Delivery, Reflection

STRATEGY = "strategy"
REASK = "reask"
KINDS = (STRATEGY, REASK)
VALID_FOR = timedelta(days=7)
_EPOCH_MONDAY = date(1969, 12, 29)  # the Monday of ISO week 1970-W01


def week_index(day: date) -> int:
    """Weeks since a fixed Monday: a count that no re-import or year boundary shifts."""
    monday = day - timedelta(days=day.weekday())
    return (monday - _EPOCH_MONDAY).days // 7


def strategy_times(plan: Plan, after: datetime, *, any_week: bool) -> datetime:
    """The next strategy day/time in the person's zone after `after` (cadence weeks unless
    `any_week`, which serves someone who has never been asked)."""
    strategy = plan.config.schedule.strategy
    local = after.astimezone(plan.zone).date()
    start = local - timedelta(days=local.weekday()) + timedelta(days=WEEKDAYS.index(strategy.day))
    for weeks in range(0, 2 * strategy.every_weeks + 2):
        day = start + timedelta(weeks=weeks)
        if not any_week and week_index(day) % strategy.every_weeks:
            continue
        when = local_to_utc(day, strategy.time, plan.zone)
        if when > after:
            return when
    raise AssertionError("a strategy day always follows")


def _row(plan: Plan, kind: str, due: datetime, note: str | None = None) -> Delivery:
    """A reflection DM, labelled by the person's local week and valid for a week."""
    label = period_label(due.astimezone(plan.zone).date())
    return plan.dm(kind, label, due, due + VALID_FOR, note)


def plan_reflection(session: Session, plan: Plan, now: datetime) -> int:
    """Make sure the person's next reflection nudge is in the outbox (idempotent)."""
    asked = session.exec(
        select(Delivery.id).where(
            Delivery.workspace_id == plan.person.workspace_id,
            Delivery.subject == plan.person.user_id,
            Delivery.kind == STRATEGY,
        )
    ).first()
    reflected = latest(session, plan.person.workspace_id, plan.person.user_id) is not None
    due = strategy_times(plan, now, any_week=asked is None and not reflected)
    pending = session.exec(
        select(Delivery.id).where(
            Delivery.workspace_id == plan.person.workspace_id,
            Delivery.subject == plan.person.user_id,
            Delivery.kind == STRATEGY,
            Delivery.status == "pending",
        )
    ).first()
    if pending is not None:
        return 0
    return queries.insert_deliveries(session=session, rows=[_row(plan, STRATEGY, due)])


def next_working_morning(now: datetime, zone: ZoneInfo, hours: WorkingHours) -> datetime:
    """The start of the next working day in `zone` (today's, if it is still ahead)."""
    local = now.astimezone(zone).date()
    working = {WEEKDAYS.index(day) for day in hours.days}
    for offset in range(8):
        day = local + timedelta(days=offset)
        start = local_to_utc(day, hours.start, zone)
        if day.weekday() in working and start > now:
            return start
    raise AssertionError("working hours name at least one weekday")


@dataclass(frozen=True)
class ObjectiveChange:
    key: str
    title: str
    change: str  # added | retitled | archived


def reask(
    session: Session,
    workspace_id: str,
    changes: list[ObjectiveChange],
    people: set[str],
    now: datetime,
) -> int:
    """Once per change: a reflection nudge at each concerned person's next working morning."""
    if not changes:
        return 0
    added = any(change.change == "added" for change in changes)
    changed_keys = {change.key for change in changes if change.change != "added"}
    rows = []
    for user_id in sorted(people):
        plan = plan_for(session, workspace_id, user_id)
        if plan is None:
            continue
        last = latest(session, workspace_id, user_id)
        mentions = last is not None and bool(changed_keys & set(last.objective_keys))
        if not (added or mentions):
            continue
        due = next_working_morning(now, plan.zone, plan.config.working_hours)
        note = cut(describe_changes(changes), 500)  # the column's size, with a visible …
        rows.append(_row(plan, REASK, due, note=note))
    return queries.insert_deliveries(session=session, rows=rows)


def describe_changes(changes: list[ObjectiveChange]) -> str:
    return ", ".join(
        prompts.text(f"strategy.reask_{change.change}", title=change.title) for change in changes
    )


def latest(session: Session, workspace_id: str, user_id: str) -> Reflection | None:
    return session.exec(
        select(Reflection)
        .where(Reflection.workspace_id == workspace_id, Reflection.user_id == user_id)
        .order_by(col(Reflection.id).desc())
    ).first()


def latest_by_objective(session: Session, workspace_id: str, user_id: str) -> dict[str, Reflection]:
    """Each objective's most recent reflection that names it ("" for "something else")."""
    rows = session.exec(
        select(Reflection)
        .where(Reflection.workspace_id == workspace_id, Reflection.user_id == user_id)
        .order_by(col(Reflection.id).desc())
    )
    found: dict[str, Reflection] = {}
    for row in rows:
        for key in row.objective_keys or [""]:
            found.setdefault(key, row)
    return found


def phrasing_count() -> int:
    return len(prompts.raw("strategy.phrasings"))


def next_phrasing(last: Reflection | None) -> int:
    """Never the same phrasing twice in a row for a person."""
    return 0 if last is None else (last.phrasing + 1) % phrasing_count()


def record(
    session: Session,
    plan: Plan,
    *,
    objective_keys: list[str],
    other: str | None,
    how: str,
    progress: str,
    help: str | None,
    phrasing: int,
    now: datetime,
) -> Reflection:
    """Store a reflection; it stops any reflection nudge still pending for the person."""
    row = Reflection(
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        objective_keys=objective_keys,
        other=other,
        how=how,
        progress=progress,
        help=help,
        phrasing=phrasing,
        created_at=now,
    )
    session.add(row)
    queries.cancel_pending(
        session=session,
        workspace_id=plan.person.workspace_id,
        subjects=[plan.person.user_id],
        kinds=[REASK],
    )
    session.commit()
    session.refresh(row)
    return row
