"""Strategy reflections: their cadence, their phrasing, and re-asking when objectives change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

import prompts
from bot.org.config import WEEKDAYS, WorkingHours
from bot.org.plan import Plan, plan_for
from bot.org.schedule import local_to_utc, period_label
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


def cycle_of(plan: Plan, when: datetime) -> int:
    """The strategy cycle `when` falls in: the `every_weeks` ISO weeks, in the person's zone,
    that start with a strategy week. A cycle's invitation goes on its first week's strategy day;
    one reflection anywhere in the cycle answers it."""
    every = plan.config.schedule.strategy.every_weeks
    return week_index(when.astimezone(plan.zone).date()) // every


def moot(plan: Plan, row: Delivery, reflected_at: datetime | None, now: datetime) -> str | None:
    """Why a reflection invitation is no longer wanted, or None. A cycle's invitation is moot
    once the person has reflected in the current cycle, whenever the row was planned; a re-ask
    asks again on purpose, so it is moot only once they have reflected since the change (its
    row is planned at the change)."""
    if reflected_at is None:
        return None
    if row.kind == REASK:
        return "already reflected since the change" if reflected_at >= row.created_at else None
    if cycle_of(plan, reflected_at) == cycle_of(plan, now):
        return "already reflected in this cycle"
    return None


def _row(plan: Plan, kind: str, due: datetime, now: datetime, note: str | None = None) -> Delivery:
    """A reflection DM, labelled by the person's local week and valid for a week; it records
    when it was planned by the app's clock (`moot` compares a re-ask's with a reflection's)."""
    label = period_label(due.astimezone(plan.zone).date())
    row = plan.dm(kind, label, due, due + VALID_FOR, note)
    row.created_at = now
    return row


def plan_reflection(session: Session, plan: Plan, now: datetime) -> int:
    """Make sure the person's next reflection nudge is in the outbox (idempotent): on the next
    strategy day of a cycle they have not reflected in."""
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
    asked = session.exec(
        select(Delivery.id).where(
            Delivery.workspace_id == plan.person.workspace_id,
            Delivery.subject == plan.person.user_id,
            Delivery.kind == STRATEGY,
        )
    ).first()
    last = latest(session, plan.person.workspace_id, plan.person.user_id)
    due = strategy_times(plan, now, any_week=asked is None and last is None)
    if last is not None and cycle_of(plan, due) == cycle_of(plan, last.created_at):
        due = strategy_times(plan, due, any_week=False)  # the next cycle's strategy day
    return queries.insert_deliveries(session=session, rows=[_row(plan, STRATEGY, due, now)])


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
        rows.append(_row(plan, REASK, due, now, note=note))
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
    """Store a reflection. It answers any re-ask still pending and this cycle's invitation, if
    not sent yet; the next invitation is then planned in the next cycle."""
    row = Reflection(
        workspace_id=plan.person.workspace_id,
        user_id=plan.person.user_id,
        team_key=plan.team.key,  # who it is said to is fixed now (see digest.reflections_read_by)
        manager_id=plan.manager_id,
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
    _cancel_this_cycle(session, plan, now)
    plan_reflection(session, plan, now)
    session.commit()
    session.refresh(row)
    return row


def _cancel_this_cycle(session: Session, plan: Plan, now: datetime) -> None:
    """Cancel the pending invitation due in the current cycle (one planned for a later cycle
    stays); by its period, so a row the sender has claimed meanwhile is left to it."""
    pending = session.exec(
        select(Delivery.period, Delivery.due_at).where(
            Delivery.workspace_id == plan.person.workspace_id,
            Delivery.subject == plan.person.user_id,
            Delivery.kind == STRATEGY,
            Delivery.status == "pending",
        )
    )
    for period in [period for period, due in pending if cycle_of(plan, due) <= cycle_of(plan, now)]:
        queries.cancel_pending(
            session=session,
            workspace_id=plan.person.workspace_id,
            subjects=[plan.person.user_id],
            kinds=[STRATEGY],
            period=period,
        )
