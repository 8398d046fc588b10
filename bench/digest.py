"""Digest build: every manager's weekly digest for 1,000 teams / 10,000 people / 52 weeks.

History: each person's nudge for each of the 52 weeks (sent), and their check-in for most of
them (answered with quotes, energy and sometimes a blocker; some skips; some silence), plus
one reflection each. The build runs in a fresh process (`python -m bench.digest URL`) that
composes every digest with `bot.digest.delivery.compose_manager`, one session per manager as the
sender does; its wall time and peak RSS are the figures. Then, in the same process and timed
apart (a digest's text never waits for a chart), it draws every chart those digests and the
leadership digest share: their count, total and median time, and the peak RSS after them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.common import ROOT, WORKSPACE, analyze, database, org_config, people_of, seed_org
from bot.org.schedule import shift_label
from storage.models import Checkin, Delivery, Reflection

TEAMS, SIZE, WEEKS = 1_000, 10, 52
LABEL = "2026-W47"  # the digest's period; its history reaches 52 weeks back
DIGEST_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 Berlin, W47's close
PARAMS = {"teams": TEAMS, "people": TEAMS * SIZE, "weeks": WEEKS, "period": LABEL}
OBJECTIVES = [{"key": f"o{i}", "title": f"Objective {i}"} for i in range(5)]


def history(users: list[str], label: str, week: int) -> tuple[list[dict], list[dict]]:
    """One week's nudges and check-ins for everyone."""
    opened = DIGEST_AT - timedelta(weeks=week, days=3)
    nudges, answers = [], []
    for index, user in enumerate(users):
        nudges.append(
            {
                "workspace_id": WORKSPACE,
                "subject": user,
                "kind": "nudge",
                "period": label,
                "channel": user,
                "due_at": opened,
                "expires_at": opened + timedelta(days=3),
                "status": "sent",
                "ts": f"1800000000.{index:06d}",
                "sent_at": opened,
                "created_at": opened - timedelta(days=7),
            }
        )
        roll = (index * 7 + week * 13) % 20
        if roll >= 17:  # three in twenty say nothing that week
            continue
        answered = roll < 15
        answers.append(
            {
                "workspace_id": WORKSPACE,
                "user_id": user,
                "period": label,
                "team_key": f"t{index // SIZE}",
                "manager_id": f"UM{index // SIZE:05d}",  # who it was written to, as recorded
                "status": "answered" if answered else "skipped",
                "moved": f"Shipped part {week} of the thing {user} cares about"
                if answered
                else None,
                "blocked": "Waiting on a review from another team"
                if answered and roll < 3
                else None,
                "energy": 1 + (index + week) % 5 if answered else None,
                "learned": "Ask earlier, not later" if answered and roll % 2 else None,
                "helped_users": [users[index - 1]] if answered and roll == 4 else [],
                "late": False,
                "created_at": opened,
                "updated_at": opened,
            }
        )
    return nudges, answers


def seed(engine: Engine) -> int:
    config = org_config(TEAMS, SIZE, timezone="Europe/Berlin", objectives=OBJECTIVES)
    seed_org(engine, config, "Europe/Berlin")
    users = people_of(config)
    rows = 0
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Reflection),
            [
                {
                    "workspace_id": WORKSPACE,
                    "user_id": user,
                    "team_key": f"t{i // SIZE}",  # said to the team and its manager, as recorded
                    "manager_id": f"UM{i // SIZE:05d}",
                    "objective_keys": [f"o{i % 4}"],
                    "how": "By making releases boring",
                    "progress": "Two releases a week",
                    "created_at": DIGEST_AT - timedelta(weeks=10),
                }
                for i, user in enumerate(users)
            ],
        )
        for week in range(WEEKS):
            nudges, answers = history(users, shift_label(LABEL, -week), week)
            connection.execute(sa.insert(Delivery), nudges)
            connection.execute(sa.insert(Checkin), answers)
            rows += len(nudges) + len(answers)
    analyze(engine)
    return rows


def run(db: str) -> dict[str, Any]:
    """Seed, then build every digest in a fresh process; the figures."""
    with database(db, "digest") as (engine, url):
        started = time.perf_counter()
        rows = seed(engine)
        print(f"  digest {db}: seeded {rows} rows in {time.perf_counter() - started:.0f} s")
        out = subprocess.run(
            [sys.executable, "-m", "bench.digest", url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["history_rows"] = rows
    figures["target_met"] = db != "sqlite" or (
        figures["wall_s"] <= 10
        and figures["peak_rss_mb"] <= 400
        and figures["charts_wall_s"] <= 120
        and figures["peak_rss_with_charts_mb"] + figures["workers"] * figures["peak_rss_worker_mb"]
        <= 400
    )
    print(f"  digest {db}: {figures}", flush=True)
    return figures


def build_all(url: str) -> dict[str, Any]:
    """Compose every manager's digest (the measured part)."""
    from sqlmodel import Session

    from bot.digest import delivery as digests
    from bot.digest.charts import Chart
    from bot.org.plan import load_config
    from storage import queries
    from storage.engine import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        managers = sorted(
            {t.manager_id for t in queries.teams(session=session, workspace_id=WORKSPACE)}
        )
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    blocks = 0
    drawn: list[Chart] = []  # what each digest's charts draw: data, drawn after every text
    for manager in managers:
        with Session(engine) as session:
            config = load_config(session, WORKSPACE)
            assert config is not None
            composed = digests.compose_manager(
                session, config, WORKSPACE, manager, LABEL, digest_at=DIGEST_AT
            )
            blocks += len(composed.blocks)
        drawn += composed.charts
    wall = time.perf_counter() - started
    text_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with Session(engine) as session:  # the leadership digest's charts, over every team
        config = load_config(session, WORKSPACE)
        assert config is not None
        drawn += digests.compose_leadership(
            session, config, WORKSPACE, LABEL, DIGEST_AT, preview=True, with_charts=True
        ).charts
    started = time.perf_counter()
    # A worker process per core draws them (matplotlib holds the GIL while it draws). Fresh
    # processes (forkserver), not forks of this one: a fork's RSS would count this process's
    # pages again, and a real worker holds no digest history either.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=context) as pool:
        times = list(pool.map(_timed_render, drawn, chunksize=50))
    charts_wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "digests": len(managers),
        "blocks": blocks,
        "wall_s": round(wall, 2),
        "per_digest_ms": round(wall / len(managers) * 1000, 1),
        "peak_rss_mb": round(text_rss, 1),
        "rss_before_build_mb": round(baseline, 1),
        "charts": len(drawn),
        "charts_by_kind": dict(Counter(chart.kind for chart in drawn)),
        "charts_wall_s": round(charts_wall, 1),
        "chart_median_ms": round(statistics.median(times) * 1000, 1),
        "chart_max_ms": round(max(times) * 1000, 1),
        "workers": os.cpu_count() or 2,
        "peak_rss_with_charts_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "peak_rss_worker_mb": round(children, 1),
    }


def _timed_render(chart: Any) -> float:
    from bot.digest.charts import render

    begun = time.perf_counter()
    render(chart)
    return time.perf_counter() - begun


if __name__ == "__main__":
    print(json.dumps(build_all(sys.argv[1])))
