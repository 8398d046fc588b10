"""Momentum by objective: what moved each key initiative this week, from which teams, against
the weeks before — team figures in the leadership digest, never people."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from bot.digest import delivery as digests
from bot.digest.momentum import momentum
from bot.digest.views import as_text
from bot.org.plan import load_config
from storage.models import Checkin, Concern
from tests.conftest import TEAM, seed_org

ORG = {
    "timezone": "Europe/Berlin",
    "leaders": ["UCEO"],
    "objectives": [
        {"key": "eu-launch", "title": "Launch in the EU"},
        {"key": "retention", "title": "Keep customers"},
        {"key": "hiring", "title": "Hire well"},
        {"key": "old", "title": "Last year's goal", "archived": True},
    ],
    "teams": [
        {"key": "platform", "name": "Platform", "manager": "UMGR", "members": ["U1", "U2", "U3"]},
        {"key": "mobile", "name": "Mobile", "manager": "UM2", "members": ["U7", "U8"]},
    ],
}
NAMES = {"UCEO": "Cleo", "UMGR": "Maria", "UM2": "Quinn", "U1": "Ana", "U2": "Ben", "U3": "Cem"}
NAMES |= {"U7": "Gus", "U8": "Hal"}
PEOPLE = [{"user_id": u, "real_name": n, "tz": "Europe/Berlin"} for u, n in NAMES.items()]
WEEK = "2026-W48"
DIGEST_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TEAMS = {"U1": "platform", "U2": "platform", "U3": "platform", "U7": "mobile", "U8": "mobile"}


def moved(session, user, period, objective, *, workspace_id=TEAM, **fields):
    team = TEAMS[user]
    session.add(
        Checkin(
            workspace_id=workspace_id,
            user_id=user,
            period=period,
            team_key=team,
            manager_id="UMGR" if team == "platform" else "UM2",
            status=fields.pop("status", "answered"),
            moved=f"Work by {NAMES[user]}",
            objective_key=objective,
            **fields,
        )
    )


@pytest.fixture
def weeks(engine):
    seed_org(engine, ORG, PEOPLE)
    seed_org(engine, ORG, PEOPLE, workspace_id="T0THER")
    with Session(engine) as session:
        # Launch in the EU: one a week before, four this week (one of them late for W47).
        for period in ("2026-W44", "2026-W45", "2026-W46", "2026-W47"):
            moved(session, "U3", period, "eu-launch")
        moved(session, "U1", WEEK, "eu-launch")
        moved(session, "U2", WEEK, "eu-launch")
        moved(session, "U7", WEEK, "eu-launch")
        moved(session, "U8", "2026-W47", "eu-launch", late=True)  # counts in W48's digest
        moved(session, "U2", "2026-W47", "eu-launch", status="skipped")  # a skip moves nothing
        # Keep customers: last moved in W46, nothing in W47 and W48.
        moved(session, "U1", "2026-W46", "retention")
        # Hire well: two in W47, none this week.
        moved(session, "U1", "2026-W47", "hiring")
        moved(session, "U7", "2026-W47", "hiring")
        # Another workspace's check-ins never count here.
        for user in ("U1", "U2", "U3", "U7", "U8"):
            moved(session, user, WEEK, "retention", workspace_id="T0THER")
        session.commit()
    return engine


def test_each_objectives_momentum_counts_this_weeks_check_ins_by_team(weeks):
    with Session(weeks) as session:
        found = {m.key: m for m in momentum(session, load_config(session, TEAM), TEAM, WEEK)}
    assert list(found) == ["eu-launch", "retention", "hiring"]  # archived ones are left out
    eu = found["eu-launch"]
    assert eu.moved == 4 and eu.teams == (("Platform", 2), ("Mobile", 2))
    assert eu.weekly[-5:] == (1, 1, 1, 1, 4) and eu.average == 1.0 and eu.still_weeks == 0
    assert found["retention"].weekly[-3:] == (1, 0, 0) and found["retention"].still_weeks == 2
    assert found["hiring"].moved == 0 and found["hiring"].average == 0.5
    assert found["hiring"].still_weeks == 1 and found["hiring"].teams == ()
    assert len(eu.weekly) == 12


def test_the_leadership_digest_shows_execution_with_team_figures_and_calls_out_the_still(weeks):
    with Session(weeks) as session:
        config = load_config(session, TEAM)
        composed = digests.compose_leadership(session, config, TEAM, WEEK, DIGEST_AT)
    text = as_text(composed.blocks)
    assert "Execution: what moved each objective this week" in text
    assert (
        "• *Launch in the EU*: moved by 4 this week (up from a 4-week average of 1)"
        " — Platform 2, Mobile 2"
    ) in text
    assert "• :warning: *Keep customers*: nothing has moved it for 2 weeks" in text
    assert "• *Hire well*: nothing moved it this week (down from a 4-week average of 0.5)" in text
    assert "Last year's goal" not in text
    execution = text[text.index("Execution:") :]
    for name in NAMES.values():
        assert name not in execution  # team figures, never who moved it
    assert "Work by" not in text  # nor their words


def test_an_objective_nothing_ever_moved_is_called_out_for_the_whole_window(engine):
    seed_org(engine, ORG, PEOPLE)
    with Session(engine) as session:
        config = load_config(session, TEAM)
        composed = digests.compose_leadership(session, config, TEAM, WEEK, DIGEST_AT)
    text = as_text(composed.blocks)
    assert "• :warning: *Launch in the EU*: nothing has moved it for 12 weeks" in text


def test_the_cli_previews_the_leadership_digest_without_concerns(weeks, database_url, tmp_path):
    with Session(weeks) as session:  # a concern for the leadership, due in this digest
        session.add(
            Concern(
                workspace_id=TEAM,
                topic="culture",
                text="Meetings run over every Friday",
                audience_kind="leadership",
                code_hash="0" * 64,
                created_on=date(2026, 11, 20),
                group_members=[],
            )
        )
        session.commit()
        config = load_config(session, TEAM)
        sent = as_text(digests.compose_leadership(session, config, TEAM, WEEK, DIGEST_AT).blocks)
    assert "Meetings run over every Friday" in sent  # the real digest carries it
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url}
    run = [sys.executable, "-m", "bot", "digest", "--leadership", "--workspace", TEAM]
    text = subprocess.run(
        [*run, "--period", WEEK], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert text.returncode == 0, text.stderr
    assert "LEADERSHIP DIGEST — 2026-W48" in text.stdout
    assert "*Launch in the EU*: moved by 4 this week" in text.stdout
    assert "Meetings run over" not in text.stdout  # a preview carries no concern
    as_json = subprocess.run(
        [*run, "--period", WEEK, "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(as_json.stdout)[0]["blocks"][0]["type"] == "header"
    folder = tmp_path / "charts"
    drawn = subprocess.run(
        [*run, "--period", WEEK, "--charts", str(folder)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert drawn.returncode == 0, drawn.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["momentum.png", "participation-by-team.png"]
    assert f"chart: {folder / 'momentum.png'}" in drawn.stderr
    assert (folder / "momentum.png").read_bytes().startswith(b"\x89PNG")
    team = subprocess.run(
        [sys.executable, "-m", "bot", "digest", "--team", "platform", "--workspace", TEAM]
        + ["--period", WEEK, "--charts", str(tmp_path / "team")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert team.returncode == 0, team.stderr
    assert [p.name for p in (tmp_path / "team").iterdir()] == ["platform-participation.png"]
    both = subprocess.run(
        [*run, "--team", "platform"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_the_managers_digest_says_what_moved_each_objective_and_groups_wins_under_it(weeks):
    with Session(weeks) as session:
        config = load_config(session, TEAM)
        composed = digests.compose_manager(session, config, TEAM, "UMGR", WEEK, digest_at=None)
    text = as_text(composed.blocks)
    assert "*Objectives this week*" in text
    assert "• *Launch in the EU*: moved by 2 check-in(s)" in text  # Platform's own, not Mobile's
    assert "• *Keep customers*: not moved this week" in text
    assert "Last year's goal" not in text
    wins = text[text.index("*Wins*") :]
    assert wins.index("Moved *Launch in the EU*") < wins.index("“Work by Ana”")
    assert wins.index("“Work by Ana”") < wins.index("“Work by Ben”")
