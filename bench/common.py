"""What every benchmark shares: a database to run on, a bulk-seeded org, the machine, results."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.org.config import OrgConfig
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Membership, Person, Team, Workspace, config_fingerprint

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKSPACE = "T0BENCH"


def pg_reachable() -> bool:
    engine = make_engine(PG_URL)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def database(kind: str, name: str) -> Iterator[tuple[Engine, str]]:
    """A fresh, migrated database: a temporary SQLite file, or a schema of its own on PG."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            url = f"sqlite:///{folder}/leadbot.db"
            engine = make_engine(url)
            upgrade(engine)
            yield engine, url
            engine.dispose()
        return
    schema = f"bench_{name}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def team_questions(team: int) -> list[dict[str, Any]]:
    """Ten questions of a team's own (the most a team may ask), every kind among them, each
    team's worded apart so the stored org is as large as a real one."""
    scale = ["Lost", "Unclear", "Okay", "Clear", "Crystal clear"]
    return [
        {"key": "moved", "lens": "work", "text": f"What moved, team {team}?", "kind": "long_text"},
        {"key": "blocked", "lens": "work", "text": "What is in your way?", "kind": "long_text"},
        {"key": "customer", "lens": "work", "text": f"Which customer did team {team} hear from?",
         "kind": "short_text"},
        {"key": "risk", "lens": "work", "text": "What risk do you see ahead?", "kind": "long_text"},
        {"key": "tools", "lens": "work", "text": "Which tools slowed you?", "kind": "multi_choice",
         "options": ["CI", "Reviews", "Tickets", "Meetings"]},
        {"key": "learned", "lens": "self", "text": "One thing you learned", "kind": "long_text"},
        {"key": "focus", "lens": "self", "text": "Where did your time go?",
         "kind": "single_choice", "options": ["Deep work", "Meetings", "Support"]},
        {"key": "clarity", "lens": "self", "text": "How clear are priorities?", "kind": "scale",
         "options": scale},
        {"key": "paired", "lens": "others", "text": "Who did you pair with?", "kind": "people"},
        {"key": "thanks", "lens": "others", "text": "Whom would you thank, and why?",
         "kind": "short_text"},
    ]  # fmt: skip


def org_config(teams: int, size: int, *, questions: bool = True, **extra: Any) -> dict[str, Any]:
    """`teams` teams, each a manager and `size - 1` members (`size` people a team), each with
    ten questions of its own unless `questions` is False."""
    return {
        **extra,
        "teams": [
            {
                "key": f"t{i}",
                "name": f"Team {i}",
                "manager": f"UM{i:05d}",
                "members": [f"U{i:05d}X{j:02d}" for j in range(size - 1)],
                **({"questions": team_questions(i)} if questions else {}),
            }
            for i in range(teams)
        ],
    }


def people_of(config: dict[str, Any]) -> list[str]:
    return [user for team in config["teams"] for user in (team["manager"], *team["members"])]


def slack_user(user_id: str, tz: str) -> dict[str, Any]:
    """The users.list entry of a seeded person (so a sync finds nothing to change)."""
    return {
        "id": user_id,
        "team_id": WORKSPACE,
        "name": user_id.lower(),
        "real_name": f"Person {user_id}",
        "deleted": False,
        "is_bot": False,
        "tz": tz,
        "profile": {"real_name": f"Person {user_id}", "email": None},
    }


def seed_org(engine: Engine, config: dict[str, Any], tz: str) -> OrgConfig:
    """Store the org, its people, teams and memberships with bulk inserts."""
    org = OrgConfig.model_validate(config)
    now = datetime.now(UTC)
    people = [
        {
            "workspace_id": WORKSPACE,
            "user_id": user,
            "name": user.lower(),
            "real_name": f"Person {user}",
            "tz": tz,
            "synced_at": now,
        }
        for user in people_of(config)
    ]
    teams = [
        {
            "workspace_id": WORKSPACE,
            "key": team.key,
            "name": team.name,
            "manager_id": team.manager,
            "parent_key": team.parent,
            "position": position,
        }
        for position, team in enumerate(org.teams)
    ]
    members = [
        {"workspace_id": WORKSPACE, "team_key": team.key, "user_id": member, "position": index}
        for team in org.teams
        for index, member in enumerate(team.members)
    ]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Workspace),
            [
                {
                    "id": WORKSPACE,
                    "name": "Bench",
                    "config": (config := org.model_dump(mode="json")),
                    "config_hash": config_fingerprint(config),  # as every ORM write sets it
                }
            ],
        )
        for table, rows in ((Person, people), (Team, teams), (Membership, members)):
            for start in range(0, len(rows), 5_000):
                connection.execute(sa.insert(table), rows[start : start + 5_000])
    analyze(engine)
    return org


def analyze(engine: Engine) -> None:
    """Fresh statistics after a bulk load (PostgreSQL's autovacuum would do it a bit later)."""
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        memory_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _pg_version(),
    }


def _pg_version() -> str | None:
    if not pg_reachable():
        return None
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def write_result(name: str, figures: dict[str, Any], params: dict[str, Any]) -> Path:
    """Print the figures and keep them in bench/results/NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "bench": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
        "params": params,
        "machine": machine(),
        "figures": figures,
        "commit": _commit(),
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({name: figures}, indent=2))
    return path


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return out.stdout.strip() or None
