"""The outbox sender: claims due rows, composes each message at send time, sends, records ts."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.engine import Engine
from sqlmodel import Session

import prompts
from bot.checkin import rules as checkins
from bot.digest import delivery as digests
from bot.org.plan import load_config, plan_for
from bot.outbox.compose import Later, Message, Skip, Upload, compose
from bot.runtime.outage import Outages, database_unavailable
from bot.strategy import rules as strategy
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
# A claim is a lease: a sender renews its leases every HEARTBEAT (a scheduler job) and again
# just before each send, so the rows of a killed sender go to another one within LEASE, while
# a live sender, however slowed by Slack's limits, keeps its own.
LEASE = timedelta(seconds=30)
HEARTBEAT = LEASE / 3
CHANNEL_REFUSED = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}
# What Slack answers when its Web API, not the message, is at fault (besides HTTP 5xx and 429,
# and no answer at all): the sender's outage lines count these (bot/runtime/outage.py).
UNAVAILABLE = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
JITTER = 0.2  # a retry waits its backoff ± 20 %, so rows that failed together spread out


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def retry_delay(attempts: int, draw: float) -> timedelta:
    """The wait before a retry: the backoff, spread by `draw` (uniform in [0, 1)) over ±
    JITTER. The pacer still bounds how fast the retries go out once due."""
    return backoff(attempts) * (1 + JITTER * (2 * draw - 1))


def slack_unavailable(error: SlackApiError) -> bool:
    """Whether Slack's Web API failed, rather than refusing this one message."""
    status = getattr(error.response, "status_code", 200)
    return status >= 500 or status == 429 or error.response.get("error") in UNAVAILABLE


class Sender:
    """Drains the outbox. Several senders (threads or processes) may run on one database."""

    def __init__(
        self,
        engine: Engine,
        client_for: Callable[[str], WebClient],
        clock: Callable[[], datetime],
        *,
        batch: int = 50,
        outages: Outages | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.engine = engine
        self.client_for = client_for
        self.clock = clock
        self.batch = batch
        self.outages = outages or Outages()
        self.draw = draw  # spreads retries (JITTER); tests pass their own
        self.claimer = uuid.uuid4().hex  # whose leases these are; one per sender
        self._working: set[int] = set()  # the claimed rows not handled yet: what renew extends
        self._lock = threading.Lock()

    def run_once(self) -> int:
        """Send what is due now; return how many rows were handled."""
        now = self.clock()
        with Session(self.engine) as session:
            rows = queries.claim_due(
                session=session, now=now, lease=LEASE, limit=self.batch, claimer=self.claimer
            )
        self._track({row.id for row in rows if row.id is not None})
        try:
            for row in rows:
                if self._hold(row):
                    self._handle_safely(row, now)
                self._track(self._working - {row.id})
        finally:  # whatever is left (the database went away) goes back when its lease ends
            self._track(set())
        return len(rows)

    def renew(self) -> int:
        """The heartbeat: extend the leases of the rows this sender is still working through."""
        with self._lock:
            working = sorted(self._working)
        if not working:
            return 0
        with Session(self.engine) as session:
            return queries.renew_leases(
                session=session, claimer=self.claimer, ids=working, until=self.clock() + LEASE
            )

    def _track(self, working: set[int]) -> None:
        with self._lock:
            self._working = working

    def _handle_safely(self, row: Delivery, now: datetime) -> None:
        """Handle the row; anything unexpected (a bug, a database error) is retried later like a
        Slack error, so one bad row never holds up the rest, nor is it lost."""
        try:
            self._handle(row, now)
        except Exception as error:
            if database_unavailable(error):  # the job's outage lines say so; its lease lapses
                raise
            logger.exception("delivery %s (%s) could not be handled", row.id, row.kind)
            self._failed(row, now, f"error: {type(error).__name__}")

    def _hold(self, row: Delivery) -> bool:
        """Renew the row's lease just before handling it; False (and it is left alone) when
        another sender took it over while this one was stalled past its lease."""
        assert row.id is not None
        with Session(self.engine) as session:
            held = queries.hold(
                session=session,
                delivery_id=row.id,
                claimer=self.claimer,
                until=self.clock() + LEASE,
            )
        if not held:
            logger.warning("delivery %s was taken over by another sender; leaving it", row.id)
        return held

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
                # One that failed before closes as failed, keeping its reason: never lost quietly.
                status = "failed" if row.last_error else "expired"
                queries.finish_delivery(session=session, delivery_id=row.id, status=status)
                self._after(session, row, now)
                return
            try:
                outgoing = compose(session, row, now)
            except Later as wait:  # not an attempt: it was never sent
                queries.finish_delivery(
                    session=session, delivery_id=row.id, status="pending", retry_at=wait.until
                )
                return
            except Skip as reason:
                queries.finish_delivery(
                    session=session, delivery_id=row.id, status="cancelled", error=str(reason)
                )
                self._after(session, row, now)
                return
        client = self.client_for(row.workspace_id)
        try:
            if outgoing.uploads:
                channel, ts = self._share(client, row, outgoing.uploads)
            else:
                channel, ts = self._post(client, row, outgoing.parts)
        except SlackRequestError as error:  # a file's upload itself failed (not the API)
            self._failed(row, now, f"upload: {error}"[:200])
            return
        except SlackApiError as error:
            reason = str(error.response.get("error", "slack_error"))
            if not (outgoing.fallback and reason in CHANNEL_REFUSED):
                self._failed(row, now, reason, slack_down=slack_unavailable(error))
                return
            logger.warning(
                prompts.text(
                    "digest.leadership.fallback_warning", channel=row.channel, error=reason
                )
            )
            try:
                channel, ts = self._send_to(client, outgoing.fallback, outgoing.parts)
            except SlackApiError as refused:
                self._failed(row, now, str(refused.response.get("error", "slack_error")))
                return
        except OSError as error:
            self._failed(row, now, f"connection: {type(error).__name__}", slack_down=True)
            return
        self.outages.slack.recovered(now, lambda: self._waiting(now))
        if outgoing.copies:  # each refusal is logged; the message itself went out
            with contextlib.suppress(SlackApiError):
                self._send_to(client, outgoing.copies, outgoing.parts)
        with Session(self.engine) as session:
            queries.finish_delivery(
                session=session,
                delivery_id=row.id,
                status="sent",
                channel=channel,
                ts=ts,
                sent_at=now,
            )
            if outgoing.on_sent is not None:
                outgoing.on_sent(session, now)
            if row.kind in digests.CHARTS:
                digests.plan_charts(session, row, channel, now)
            self._after(session, row, now, sent=True)

    def _post(self, client: WebClient, row: Delivery, parts: list[Message]) -> tuple[str, str]:
        """Send the parts not sent yet, recording progress after each one."""
        assert row.id is not None
        channel, ts = row.posted_channel or "", row.ts or ""
        for index in range(row.parts_sent, len(parts)):
            response = client.chat_postMessage(
                channel=row.channel, text=parts[index].text, blocks=parts[index].blocks
            )
            if index == 0:
                channel, ts = str(response.get("channel")), str(response.get("ts"))
            with Session(self.engine) as session:
                queries.record_part(
                    session=session,
                    delivery_id=row.id,
                    parts_sent=index + 1,
                    channel=channel,
                    ts=ts,
                )
        return channel, ts

    def _share(self, client: WebClient, row: Delivery, uploads: list[Upload]) -> tuple[str, str]:
        """Share each file not shared yet into the row's conversation, recording progress after
        each one, so a retry never shares a chart twice; the first says what they are."""
        assert row.id is not None
        for index in range(row.parts_sent, len(uploads)):
            upload = uploads[index]
            client.files_upload_v2(
                channel=row.channel,
                content=upload.content,
                filename=upload.filename,
                title=upload.title,
                alt_txt=upload.alt,
                initial_comment=prompts.text("digest.charts.shared") if index == 0 else None,
            )
            with Session(self.engine) as session:
                queries.record_part(
                    session=session,
                    delivery_id=row.id,
                    parts_sent=index + 1,
                    channel=row.channel,
                    ts="",
                )
        return row.channel, ""

    def _send_to(
        self, client: WebClient, channels: list[str], parts: list[Message]
    ) -> tuple[str, str]:
        """Every part to each of `channels` (leaders' DMs); the first answer's channel and ts.

        A leader Slack refuses (deactivated, say) is skipped with a warning, so the others still
        get it and a retry never sends it to them again; only when every one refuses does the
        error stand."""
        channel, ts = "", ""
        refused: SlackApiError | None = None
        for target in channels:
            try:
                for part in parts:
                    response = client.chat_postMessage(
                        channel=target, text=part.text, blocks=part.blocks
                    )
                    channel = channel or str(response.get("channel"))
                    ts = ts or str(response.get("ts"))
            except SlackApiError as error:
                refused = error
                logger.warning("a copy to %s was refused: %s", target, error.response.get("error"))
        if refused is not None and not channel:
            raise refused
        return channel, ts

    def _waiting(self, now: datetime) -> str:
        with Session(self.engine) as session:
            return f"; {queries.count_waiting(session=session, now=now)} deliveries wait"

    def _failed(
        self, row: Delivery, now: datetime, reason: str, *, slack_down: bool = False
    ) -> None:
        """Put the row back to wait its (spread) backoff, or fail it for good. While Slack's
        Web API is failing, the outage's few lines stand for every row's."""
        assert row.id is not None
        retry_at = now + retry_delay(row.attempts, self.draw())
        with Session(self.engine) as session:
            if reason in PERMANENT or retry_at >= row.expires_at:
                logger.warning("delivery %s (%s) failed: %s", row.id, row.kind, reason)
                queries.finish_delivery(
                    session=session, delivery_id=row.id, status="failed", error=reason
                )
                self._after(session, row, now)
            else:
                # A digest's charts that wait are worth a warning: the digest went without them.
                charts = row.kind in digests.CHARTS.values()
                logger.log(
                    logging.DEBUG if slack_down else logging.WARNING if charts else logging.INFO,
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
        if slack_down:
            self.outages.slack.failed("the sender", now, reason, lambda: self._waiting(now))

    def _after(self, session: Session, row: Delivery, now: datetime, *, sent: bool = False) -> None:
        """Follow-ups of a finished row: a nudge's reminder, and the next of its kind."""
        if row.kind in (digests.DIGEST, digests.LEADERSHIP_DIGEST):
            config = load_config(session, row.workspace_id)
            if config is not None and row.kind == digests.DIGEST:
                digests.plan_manager_digest(
                    session, config, row.workspace_id, row.subject, now, catch_up=True
                )
            elif config is not None:
                digests.plan_leadership_digest(
                    session, config, row.workspace_id, now, catch_up=True
                )
            session.commit()
            return
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
