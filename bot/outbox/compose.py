"""What each outbox row says, built at send time from what is true then."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

import prompts
from bot.checkin import away
from bot.checkin import rules as checkins
from bot.checkin.views import nudge_message
from bot.digest import delivery as digests
from bot.digest import drawing
from bot.digest.views import split_messages
from bot.org import access
from bot.org.plan import Plan, can_be_nudged, load_config, plan_for
from bot.org.schedule import next_working_time
from bot.strategy import rules as strategy
from bot.strategy.views import reflection_message
from bot.views.kit import Block, slack_date
from bot.workspace import lifecycle
from storage import queries
from storage.models import Delivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class Upload:
    """A file to share (a digest's chart): each is one part of its outbox row."""

    filename: str
    title: str
    alt: str
    content: bytes


@dataclass
class Outgoing:
    """One or more messages (a long digest goes in parts), or files to share, and what to
    record once sent."""

    parts: list[Message]
    on_sent: Callable[[Session, datetime], None] | None = None
    fallback: list[str] = field(default_factory=list)  # where to go if the channel refuses
    copies: list[str] = field(default_factory=list)  # also sent here (leaders, without a channel)
    uploads: list[Upload] = field(default_factory=list)  # shared in `parts`' stead


class Skip(Exception):
    """The row is no longer wanted (answered, paused, left the team): cancel it."""


class Later(Exception):
    """The row waits (its person is away until then): due again at `until`."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


def compose(session: Session, row: Delivery, now: datetime) -> Outgoing:
    """The message(s) for a due row; Skip when it is not wanted any more."""
    if lifecycle.is_uninstalled(session, row.workspace_id):
        raise Skip(lifecycle.UNINSTALLED)
    if row.kind in checkins.CHECKIN_KINDS:
        plan = plan_for(session, row.workspace_id, row.subject)
        return Outgoing([_checkin_message(session, row, plan, now)])
    if row.kind in strategy.KINDS:
        plan = plan_for(session, row.workspace_id, row.subject)
        return Outgoing([_reflection_message(session, row, plan, now)])
    if row.kind == digests.DIGEST:
        return _manager_digest(session, row, now)
    if row.kind == digests.LEADERSHIP_DIGEST:
        return _leadership_digest(session, row)
    if row.kind in digests.CHARTS.values():
        return _charts(session, row)
    if row.kind == access.KIND:
        built = access.announcement(session, row)
        if built is None:
            raise Skip("the changes it announces are gone")
        return Outgoing([Message(*built)])
    raise Skip(f"unknown kind {row.kind}")


def _checkin_message(session: Session, row: Delivery, plan: Plan | None, now: datetime) -> Message:
    if plan is None:
        raise Skip("no longer checks in with a team")
    if not can_be_nudged(plan.person, now):
        raise Skip("inactive or paused")
    if checkins.window(plan, row.period, now) is not checkins.Window.OPEN:
        raise Skip("period not open")
    answered = queries.get_checkin(
        session=session, workspace_id=row.workspace_id, user_id=row.subject, period=row.period
    )
    if answered is not None:
        raise Skip("already answered or skipped")
    _unless_away(session, row, plan, now)
    reminder = None
    if row.kind != checkins.NUDGE:
        closes = slack_date(row.expires_at, plan.zone)
        reminder = prompts.text("checkin.reminder", week=row.period, closes=closes)
    welcome = row.kind == checkins.NUDGE and plan.person.welcomed_at is None
    text, blocks = nudge_message(row.period, welcome=welcome, reminder=reminder)
    return Message(text, blocks)


def _unless_away(session: Session, row: Delivery, plan: Plan, now: datetime) -> None:
    """A nudge or reminder for someone away waits for the first working morning after their
    status expires, if that is before the close; else the week is away and nothing is sent.
    A week with no working day (a team's shutdown) is away too."""
    if (
        row.kind == checkins.NUDGE
        and checkins.nudge_due(plan, checkins.period_of(plan, row.period)) is None
    ):
        checkins.record_away(session, plan, row.period, now)
        raise Skip("away: no working day this week")
    if not away.is_away(plan.person, plan.config.away, now):
        return
    back = away.back_at(plan, now)
    if back is not None and back < row.expires_at:
        raise Later(back, "away until their Slack status expires")
    checkins.record_away(session, plan, row.period, now)
    raise Skip("away (Slack status)")


def _reflection_message(
    session: Session, row: Delivery, plan: Plan | None, now: datetime
) -> Message:
    if plan is None or not can_be_nudged(plan.person, now):
        raise Skip("no longer with a team, inactive or paused")
    if away.is_away(plan.person, plan.config.away, now):
        raise Later(away.look_again(plan, now), "away: the reflection waits")
    if plan.calendar.is_off(now.astimezone(plan.zone).date()):
        hours = plan.config.working_hours
        raise Later(next_working_time(now, plan.zone, hours, plan.calendar), "a day off")
    objectives = [o for o in plan.config.objectives if not o.archived]
    if not objectives:
        raise Skip("no objectives to reflect on")
    last = strategy.latest(session, row.workspace_id, row.subject)
    reason = strategy.moot(plan, row, last.created_at if last else None, now)
    if reason is not None:
        raise Skip(reason)
    text, blocks = reflection_message(objectives, note=row.note)
    return Message(text, blocks)


def _parts(blocks: list[Block], fallback: str) -> list[Message]:
    return [Message(fallback, part) for part in split_messages(blocks)]


def _on_sent(composed: digests.Composed, period: str) -> Callable[[Session, datetime], None]:
    """Once the digest is out: its concerns and follow-ups count as delivered, and the raised
    blockers it showed closed are not shown again."""

    def mark(session: Session, now: datetime) -> None:
        composed.mark_sent(session, now, period)

    return mark


def _charts(session: Session, row: Delivery) -> Outgoing:
    """A sent digest's charts, drawn now from the same figures as its text. A chart that
    cannot be drawn is left out with a warning; the digest itself has gone already."""
    config = load_config(session, row.workspace_id)
    if config is None:
        raise Skip("workspace not set up")
    if row.kind == digests.CHARTS[digests.DIGEST]:
        composed = digests.compose_manager(
            session, config, row.workspace_id, row.subject, row.period, digest_at=None
        )
    else:
        composed = digests.compose_leadership(
            session,
            config,
            row.workspace_id,
            row.period,
            row.due_at,
            preview=True,
            with_charts=True,
        )
    uploads = []
    for chart in composed.charts:
        try:
            content = drawing.render(chart)
        except Exception:  # noqa: BLE001 — a chart never stops the others, nor the digest
            logger.warning(
                "could not draw the chart %s of %s", chart.name, row.period, exc_info=True
            )
            continue
        uploads.append(Upload(chart.name, chart.title, chart.alt, content))
    if not uploads:
        raise Skip("no chart to share")
    return Outgoing([], uploads=uploads)


def _manager_digest(session: Session, row: Delivery, now: datetime) -> Outgoing:
    config = load_config(session, row.workspace_id)
    person = queries.get_person(session=session, workspace_id=row.workspace_id, user_id=row.subject)
    if config is None or person is None or person.deleted:
        raise Skip("no such manager any more")
    if not digests.managed(session, row.workspace_id, row.subject):
        raise Skip("manages no team any more")
    composed = digests.compose_manager(
        session, config, row.workspace_id, row.subject, row.period, digest_at=row.due_at
    )
    text = prompts.text("digest.header", period=row.period)
    return Outgoing(_parts(composed.blocks, text), on_sent=_on_sent(composed, row.period))


def _leadership_digest(session: Session, row: Delivery) -> Outgoing:
    config = load_config(session, row.workspace_id)
    if config is None:
        raise Skip("workspace not set up")
    composed = digests.compose_leadership(session, config, row.workspace_id, row.period, row.due_at)
    text = prompts.text("digest.leadership.header", period=row.period)
    others = [leader for leader in config.leaders if leader != row.channel]
    return Outgoing(
        _parts(composed.blocks, text),
        on_sent=_on_sent(composed, row.period),
        fallback=others if config.leadership_channel else [],
        copies=[] if config.leadership_channel else others,
    )
