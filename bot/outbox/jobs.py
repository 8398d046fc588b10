"""The scheduler: only a clock that wakes the jobs; the database decides what is due."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from bot.checkin import rules as checkins
from bot.org.plan import load_config, plan_for
from bot.outbox import dedupe
from bot.outbox.sender import HEARTBEAT, Sender
from bot.runtime import inbox
from bot.runtime.deps import Deps
from bot.runtime.outage import database_unavailable, why
from bot.setup.people import sync_people
from bot.workspace import retention
from storage import queries
from storage.models import Uninstall, Workspace

logger = logging.getLogger(__name__)

# A tick drains until nothing is due (bounded only against a runaway), so a large fan-out never
# waits for the next tick between batches.
DRAIN_BATCHES = 10_000
# The daily re-plan commits every few people: the sender inserts the same outbox keys (a sent
# nudge plans the next), and on PostgreSQL an insert waits for an uncommitted one of its key.
PLAN_CHUNK = 20
# Answers handed on by a web-only process are stored within this many seconds.
INBOX_SECONDS = 1


def safe(
    name: str, job: Callable[[], object], deps: Deps, *, proves_database: bool = True
) -> Callable[[], None]:
    """Run a job, logging its failure by name, so one failure never stops the others. While
    the database is away its failures are the outage's few lines, not a traceback a tick
    (bot/runtime/outage.py); a run that ends well says the database is back, unless the job may end
    well without asking it (`proves_database=False`)."""
    outage = deps.outages.database

    def run() -> None:
        try:
            job()
        except Exception as error:
            if database_unavailable(error):
                outage.failed(f"job {name}", deps.clock(), why(error))
            else:
                logger.exception("job %s failed", name)
            return
        if proves_database:
            outage.recovered(deps.clock())

    run.__name__ = name
    return run


def refresh_people_and_plans(deps: Deps, client_for: Callable[[str], WebClient]) -> int:
    """Daily: sync people from Slack, then make sure everyone's next nudges are planned."""
    now = deps.clock()
    planned = 0
    with Session(deps.engine) as session:
        installed = col(Workspace.id).not_in(select(Uninstall.workspace_id))
        workspace_ids = list(session.exec(select(Workspace.id).where(installed)))
    for workspace_id in workspace_ids:
        with Session(deps.engine) as session:
            config = load_config(session, workspace_id)
            if config is None:
                continue
            sync_people(session, client_for(workspace_id), workspace_id, now)
            people = queries.team_people(session=session, workspace_id=workspace_id)
            for index, user_id in enumerate(people, 1):
                plan = plan_for(session, workspace_id, user_id, config)
                if plan is not None:
                    planned += checkins.plan_person(session, plan, now)
                if index % PLAN_CHUNK == 0:
                    session.commit()
            session.commit()
    return planned


def build_scheduler(
    deps: Deps,
    sender: Sender,
    client_for: Callable[[str], WebClient],
    inbox_handlers: Mapping[str, inbox.Handler],
) -> BackgroundScheduler:
    """One scheduler in UTC with stable job ids; started and stopped by the entry point."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    now = deps.clock()
    scheduler.add_job(
        safe("outbox", lambda: sender.drain(limit=DRAIN_BATCHES), deps),
        "interval",
        id="outbox",
        seconds=deps.settings.tick_seconds,
        next_run_time=now,
        replace_existing=True,
    )
    scheduler.add_job(
        safe(
            "inbox", lambda: inbox.drain(deps.engine, inbox_handlers, client_for, deps.clock), deps
        ),
        "interval",
        id="inbox",
        seconds=INBOX_SECONDS,
        next_run_time=now,
        replace_existing=True,
    )
    scheduler.add_job(
        safe("leases", sender.renew, deps, proves_database=False),  # idle, it asks nothing
        "interval",
        id="leases",
        seconds=HEARTBEAT.total_seconds(),
        replace_existing=True,
    )
    daily = {
        "people": lambda: refresh_people_and_plans(deps, client_for),
        "seen-events": lambda: dedupe.purge_seen(deps.engine, deps.clock()),
        "retention": lambda: retention.daily(deps.engine, deps.clock()),
    }
    for name, job in daily.items():
        scheduler.add_job(
            safe(name, job, deps),
            "interval",
            id=name,
            hours=24,
            next_run_time=now,
            replace_existing=True,
        )
    return scheduler
