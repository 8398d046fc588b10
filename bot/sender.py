"""The outbox sender: claims due rows, composes each message at send time, sends, records ts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

import prompts
from bot import checkins, strategy
from bot.org import Plan, can_be_nudged, plan_for
from bot.views.checkin import nudge_message
from bot.views.kit import Block, slack_date
from bot.views.strategy import reflection_message
from storage import queries
from storage.models import Delivery

logger = logging.getLogger(__name__)

# Slack errors that no retry will mend: the row is marked failed with the reason.
PERMANENT = {
    "account_inactive",
    "user_not_found",
    "channel_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "msg_too_long",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "missing_scope",
    "team_access_not_granted",
}
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[Block]


class Skip(Exception):
    """The row is no longer wanted (answered, paused, left the team): cancel it."""


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


class Sender:
    """Drains the outbox. Several senders (threads or processes) may run on one database."""

    def __init__(
        self,
        engine: Engine,
        client_for: Callable[[str], WebClient],
        clock: Callable[[], datetime],
        *,
        batch: int = 50,
    ) -> None:
        self.engine = engine
        self.client_for = client_for
        self.clock = clock
        self.batch = batch

    def run_once(self) -> int:
        """Send what is due now; return how many rows were handled."""
        now = self.clock()
        with Session(self.engine) as session:
            rows = queries.claim_due(session=session, now=now, lease=LEASE, limit=self.batch)
        for row in rows:
            self._handle(row, now)
        return len(rows)

    def drain(self, limit: int = 100) -> int:
        """Run until nothing is due (bounded), for jobs and tests."""
        total = 0
        for _ in range(limit):
            handled = self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    def _handle(self, row: Delivery, now: datetime) -> None:
        assert row.id is not None
        with Session(self.engine) as session:
            if row.expires_at <= now:
                queries.finish_delivery(session=session, delivery_id=row.id, status="expired")
                self._after(session, row, now, sent=False)
                return
            plan = plan_for(session, row.workspace_id, row.subject)
            try:
                message = compose(session, row, plan, now)
            except Skip as reason:
                queries.finish_delivery(
                    session=session, delivery_id=row.id, status="cancelled", error=str(reason)
                )
                self._after(session, row, now, sent=False)
                return
        try:
            response = self.client_for(row.workspace_id).chat_postMessage(
                channel=row.channel, text=message.text, blocks=message.blocks
            )
        except SlackApiError as error:
            self._failed(row, now, str(error.response.get("error", "slack_error")))
            return
        except OSError as error:
            self._failed(row, now, f"connection: {type(error).__name__}")
            return
        with Session(self.engine) as session:
            queries.finish_delivery(
                session=session,
                delivery_id=row.id,
                status="sent",
                channel=response.get("channel"),
                ts=response.get("ts"),
            )
            self._after(session, row, now, sent=True)

    def _failed(self, row: Delivery, now: datetime, reason: str) -> None:
        assert row.id is not None
        retry_at = now + backoff(row.attempts)
        with Session(self.engine) as session:
            if reason in PERMANENT or retry_at >= row.expires_at:
                logger.warning("delivery %s (%s) failed: %s", row.id, row.kind, reason)
                queries.finish_delivery(
                    session=session, delivery_id=row.id, status="failed", error=reason
                )
                self._after(session, row, now, sent=False)
            else:
                logger.info(
                    "delivery %s (%s) will retry at %s: %s",
                    row.id,
                    row.kind,
                    retry_at.isoformat(),
                    reason,
                )
                queries.finish_delivery(
                    session=session,
                    delivery_id=row.id,
                    status="pending",
                    error=reason,
                    retry_at=retry_at,
                )

    def _after(self, session: Session, row: Delivery, now: datetime, *, sent: bool) -> None:
        """Follow-ups of a finished row: the reminder after a nudge, and the next nudge."""
        if row.kind not in (checkins.NUDGE, strategy.STRATEGY):
            return
        plan = plan_for(session, row.workspace_id, row.subject)
        if plan is None:
            return
        if sent and row.kind == checkins.NUDGE:
            if plan.person.welcomed_at is None:
                plan.person.welcomed_at = now
                session.add(plan.person)
            checkins.after_nudge(session, plan, row.period, now)
        checkins.plan_person(session, plan, now)
        session.commit()


def compose(session: Session, row: Delivery, plan: Plan | None, now: datetime) -> Message:
    """The message for a due row, built from what is true now; Skip when it is not wanted."""
    if row.kind in checkins.CHECKIN_KINDS:
        return _checkin_message(session, row, plan, now)
    if row.kind in strategy.KINDS:
        return _reflection_message(session, row, plan, now)
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
    reminder = None
    if row.kind != checkins.NUDGE:
        closes = slack_date(row.expires_at, plan.zone)
        reminder = prompts.text("checkin.reminder", week=row.period, closes=closes)
    welcome = row.kind == checkins.NUDGE and plan.person.welcomed_at is None
    text, blocks = nudge_message(row.period, welcome=welcome, reminder=reminder)
    return Message(text, blocks)


def _reflection_message(
    session: Session, row: Delivery, plan: Plan | None, now: datetime
) -> Message:
    if plan is None or not can_be_nudged(plan.person, now):
        raise Skip("no longer with a team, inactive or paused")
    objectives = [o for o in plan.config.objectives if not o.archived]
    if not objectives:
        raise Skip("no objectives to reflect on")
    if row.kind == strategy.REASK:
        last = strategy.latest(session, row.workspace_id, row.subject)
        if last is not None and last.created_at >= row.created_at:
            raise Skip("already reflected since the change")
    text, blocks = reflection_message(objectives, note=row.note)
    return Message(text, blocks)
