"""Digest build: every manager's weekly digest for 1,000 teams / 10,000 people / 52 weeks.

History: each person's nudge for each of the 52 weeks (sent), and their check-in for most of
them (answered with quotes, energy and sometimes a blocker; some skips; some silence), plus
one reflection each. The build runs in a fresh process (`python -m bench.digest URL`) that
composes every digest with `bot.digest.delivery.compose_manager`, one session per manager as the
sender does; its wall time and peak RSS are the figures. Then another process
(`bench.chartworker`, with a worker per core) draws every chart those digests and the
leadership digest share: their count, total and median time, and the peak RSS of the
drawing processes together.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.common import (
    ROOT,
    WORKSPACE,
    analyze,
    database,
    org_config,
    people_of,
    seed_org,
    team_questions,
)
from bench.rss import peak_mb, reset_peak
from bot.org.config import QuestionSpec
from bot.org.schedule import shift_label
from storage.models import Checkin, Delivery, QuestionSet, Reflection

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
                "answers": own_answers(index, week, users) if answered else {},
                "late": False,
                "created_at": opened,
                "updated_at": opened,
            }
        )
    return nudges, answers


def own_answers(index: int, week: int, users: list[str]) -> dict[str, Any]:
    """A check-in's answers to the team's seven questions of its own (the empty ones left
    out, as a submission leaves them)."""
    given = {
        "customer": f"Customer {index % 37} asked about invoices",
        "risk": "The migration may slip a week" if index % 3 == 0 else "",
        "tools": [["CI"], ["Reviews", "Meetings"], ["Tickets"]][(index + week) % 3],
        "focus": ["Deep work", "Meetings", "Support"][(index * 3 + week) % 3],
        "clarity": 1 + (index * 2 + week) % 5,
        "paired": [users[index - 1]] if index % 4 == 0 else [],
        "thanks": f"{users[index - 2]} for the review" if index % 5 == 0 else "",
    }
    return {key: value for key, value in given.items() if value not in ("", [])}


def asked_sets(teams: int) -> list[dict[str, Any]]:
    """Each team's ten questions as every one of its weeks froze them."""
    sets = []
    for team in range(teams):
        questions = [QuestionSpec.model_validate(q).model_dump(mode="json")
                     for q in team_questions(team)]  # fmt: skip
        sets += [
            {
                "workspace_id": WORKSPACE,
                "team_key": f"t{team}",
                "period": shift_label(LABEL, -week),
                "questions": questions,
                "created_at": DIGEST_AT - timedelta(weeks=week, days=3),
            }
            for week in range(WEEKS)
        ]
    return sets


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
        connection.execute(sa.insert(QuestionSet), asked_sets(TEAMS))
        for week in range(WEEKS):
            nudges, answers = history(users, shift_label(LABEL, -week), week)
            connection.execute(sa.insert(Delivery), nudges)
            connection.execute(sa.insert(Checkin), answers)
            rows += len(nudges) + len(answers)
    analyze(engine)
    return rows


def run(db: str) -> dict[str, Any]:
    """Seed, then build every digest in a fresh process, then draw their charts in another
    (with its worker pool); the figures."""
    with database(db, "digest") as (engine, url), tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        rows = seed(engine)
        print(f"  digest {db}: seeded {rows} rows in {time.perf_counter() - started:.0f} s")
        charts = Path(folder) / "charts.pickle"
        figures = _last_json([sys.executable, "-m", "bench.digest", url, str(charts)])
        figures |= _last_json([sys.executable, "-m", "bench.chartworker", str(charts)])
    figures["history_rows"] = rows
    figures["target_met"] = db != "sqlite" or (
        figures["wall_s"] <= 10
        and figures["peak_rss_mb"] <= 400
        and figures["charts_wall_s"] <= 120
        and figures["charts_peak_rss_mb"] <= 400
    )
    print(f"  digest {db}: {figures}", flush=True)
    return figures


def _last_json(command: list[str]) -> dict[str, Any]:
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_all(url: str, charts_out: Path | None = None) -> dict[str, Any]:
    """Compose every manager's digest (the measured part), and keep what their charts and
    the leadership digest's draw in `charts_out` (drawn apart: the text never waits)."""
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
    baseline = peak_mb()
    started = time.perf_counter()
    blocks = 0
    drawn: list[Chart] = []
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
    peak = peak_mb()
    if charts_out is not None:
        with Session(engine) as session:  # the leadership digest's charts, over every team
            config = load_config(session, WORKSPACE)
            assert config is not None
            drawn += digests.compose_leadership(
                session, config, WORKSPACE, LABEL, DIGEST_AT, preview=True, with_charts=True
            ).charts
        charts_out.write_bytes(pickle.dumps(drawn))
    return {
        "digests": len(managers),
        "blocks": blocks,
        "wall_s": round(wall, 2),
        "per_digest_ms": round(wall / len(managers) * 1000, 1),
        "peak_rss_mb": round(peak, 1),
        "rss_before_build_mb": round(baseline, 1),
    }


if __name__ == "__main__":
    reset_peak()  # this process's own peak, not the seeder's it was started from
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(json.dumps(build_all(sys.argv[1], target)))
