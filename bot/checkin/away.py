"""Time away, from Slack itself: whether a person's Slack status says they are away, and
when they are back. Decided from the status kept by the people sync, never by a Web API call.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.checkin import rules
from bot.org.config import Away
from bot.org.plan import Plan, plan_for
from bot.org.schedule import local_to_utc, next_working_time
from storage import queries
from storage.models import Person

RECHECK = timedelta(days=1)  # a status that never expires is looked at again a day on


def is_away(person: Person, rule: Away, now: datetime) -> bool:
    """Whether the person's Slack status, still set at `now`, says they are away: one of the
    rule's emoji, or one of its words at the start of a word of the text (any case)."""
    if person.status_expires_at is not None and person.status_expires_at <= now:
        return False
    if person.status_emoji and person.status_emoji.lower() in rule.emoji:
        return True
    text = person.status_text.casefold()
    return bool(text) and any(_says(text, word) for word in rule.words)


def _says(text: str, word: str) -> bool:
    # "holiday" matches "Holidays" and "OOO" matches "ooo until Monday", not "voodoo".
    return re.search(r"(?<!\w)" + re.escape(word.casefold()), text) is not None


def back_at(plan: Plan, now: datetime) -> datetime | None:
    """The first working morning (in the person's zone and team calendar) after their status
    expires; None when it never does."""
    expires = plan.person.status_expires_at
    if expires is None:
        return None
    hours = plan.config.working_hours
    calendar = plan.calendar
    when = max(expires, now)
    while True:
        start = next_working_time(when, plan.zone, hours, calendar)
        morning = local_to_utc(start.astimezone(plan.zone).date(), hours.start, plan.zone)
        if morning >= when:
            return morning
        when = local_to_utc(
            start.astimezone(plan.zone).date() + timedelta(days=1), hours.start, plan.zone
        )


def look_again(plan: Plan, now: datetime) -> datetime:
    """When a wait for someone away (a reflection, a re-ask) looks at their status again."""
    back = back_at(plan, now)
    if back is not None:
        return back
    return next_working_time(now + RECHECK, plan.zone, plan.config.working_hours, plan.calendar)


def back_early(session: Session, workspace_id: str, user_id: str, now: datetime) -> bool:
    """Someone whose nudge waits for their status to expire cleared it sooner: the nudge comes
    at their next working time (never before it was planned). True when one moved."""
    plan = plan_for(session, workspace_id, user_id)
    if plan is None or is_away(plan.person, plan.config.away, now):
        return False
    this = plan.current(now)
    if this is None:
        return False
    rows = queries.deliveries_for(
        session=session, workspace_id=workspace_id, subject=user_id, period=this.label
    )
    waiting = [r for r in rows if r.kind == rules.NUDGE and r.status == "pending"]
    planned = rules.nudge_due(plan, rules.period_of(plan, this.label))
    if not waiting or planned is None:
        return False
    soon = next_working_time(now, plan.zone, plan.config.working_hours, plan.calendar)
    due = max(planned, soon)
    if due >= waiting[0].due_at or due >= this.closes_at:
        return False
    waiting[0].due_at = due
    session.add(waiting[0])
    return True
