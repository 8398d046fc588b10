"""Retention: old answers, reflections and concerns purged daily, each workspace by its own."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, SQLModel, select

from bot.outbox.jobs import build_scheduler
from bot.workspace import retention
from handlers import inbox_handlers
from storage.models import Checkin, Concern, ConcernNote, Reflection
from tests.conftest import TEAM, seed_org
from tests.workspace.test_lifecycle import ORG, PEOPLE


def test_old_answers_reflections_and_concerns_are_purged_by_the_daily_job(engine, clock):
    seed_org(engine, {**ORG, "retention": {"answers_days": 10, "concerns_days": 5}}, PEOPLE)
    now = clock()
    with Session(engine) as session:
        for days, period in ((11, "2026-W46"), (9, "2026-W47")):
            session.add(
                Checkin(
                    workspace_id=TEAM,
                    user_id="U1",
                    period=period,
                    team_key="platform",
                    status="answered",
                    created_at=now - timedelta(days=days),
                )
            )
            session.add(
                Reflection(
                    workspace_id=TEAM,
                    user_id="U1",
                    how=f"{days} days",
                    created_at=now - timedelta(days=days),
                )
            )
        for days in (6, 4):
            concern = Concern(
                workspace_id=TEAM,
                topic="work",
                text=f"{days} days old",
                audience_kind="leadership",
                code_hash=f"{days:064d}",
                created_on=(now - timedelta(days=days)).date(),
            )
            session.add(concern)
            session.flush()
            session.add(
                ConcernNote(
                    workspace_id=TEAM,
                    concern_id=concern.id,
                    kind="followup",
                    text="more",
                    created_on=date(2026, 11, 20),
                )
            )
        session.commit()
    purged = retention.purge_old(engine, now)
    assert (purged.checkins, purged.reflections, purged.concerns) == (1, 1, 1)
    with Session(engine) as session:
        assert session.exec(select(Checkin.period)).all() == ["2026-W47"]
        assert session.exec(select(Reflection.how)).all() == ["9 days"]
        assert session.exec(select(Concern.text)).all() == ["4 days old"]
        assert len(session.exec(select(ConcernNote)).all()) == 1
    assert retention.purge_old(engine, now) == retention.Purged()


def test_default_retention_keeps_two_years_of_answers(engine, clock):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        for days in (729, 731):
            session.add(
                Checkin(
                    workspace_id=TEAM,
                    user_id="U1",
                    period=f"P{days}",
                    team_key="platform",
                    status="answered",
                    created_at=clock() - timedelta(days=days),
                )
            )
        session.commit()
    assert retention.purge_old(engine, clock()).checkins == 1


def test_retention_and_erase_are_daily_scheduled_jobs(deps, sender, app):
    scheduler = build_scheduler(deps, sender, lambda _workspace: app.client, inbox_handlers())
    job = scheduler.get_job("retention")
    assert job is not None and job.trigger.interval == timedelta(days=1)


def test_erase_covers_every_table_that_holds_a_workspaces_rows():
    tables = SQLModel.metadata.sorted_tables
    assert {"checkin", "concern", "slack_bots", "uninstall", "workspace"} <= {
        t.name for t in tables
    }
    without = [t.name for t in tables if retention.workspace_column(t) is None]
    assert without == ["slack_oauth_states"]  # an install still under way: no workspace yet
