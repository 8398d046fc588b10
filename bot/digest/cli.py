"""`python -m bot digest (--team KEY | --leadership) [--period 2026-W49] [--json]
[--charts DIR]`: a digest, printed, not sent, and its charts written as PNG files."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.digest import delivery as digests
from bot.digest.drawing import Chart, render
from bot.digest.views import as_text, split_messages
from bot.org.export import ExportError, choose_workspace
from bot.org.plan import load_config
from bot.org.schedule import last_closed_period, week_start
from storage import queries


def print_digest(
    engine: Engine,
    team_key: str | None,
    label: str | None,
    *,
    as_json: bool,
    workspace: str | None,
    now: datetime,
    charts_dir: Path | None = None,
) -> int:
    """Print a team's digest, or the leadership digest when `team_key` is None, as text or
    Block Kit JSON (no concerns: only sent digests carry them)."""
    with Session(engine) as session:
        try:
            workspace_id = choose_workspace(session, workspace)
        except ExportError as error:
            print(f"digest: {error}", file=sys.stderr)
            return 1
        config = load_config(session, workspace_id)
        if config is None:
            print("digest: this workspace is not set up yet", file=sys.stderr)
            return 1
        if label is not None:
            try:
                week_start(label)
            except ValueError as error:
                print(f"digest: {error}", file=sys.stderr)
                return 2
        if team_key is None:
            closed = last_closed_period(now, config.schedule, config.zone, config.zone).label
            composed = digests.compose_leadership(
                session,
                config,
                workspace_id,
                label or closed,
                now,
                preview=True,
                with_charts=charts_dir is not None,
            )
        else:
            team = queries.get_team(session=session, workspace_id=workspace_id, key=team_key)
            if team is None:
                print(f"digest: there is no team {team_key!r}", file=sys.stderr)
                return 1
            zone = digests.manager_zone(session, config, workspace_id, team.manager_id)
            closed = last_closed_period(now, config.schedule_of(team.key), zone, zone).label
            label = label or closed
            composed = digests.compose_manager(
                session,
                config,
                workspace_id,
                team.manager_id,
                label,
                digest_at=None,
                preview=label > closed,  # a week still open: no energy (nor kept), as a preview
                teams=[team],
            )
    if as_json:
        print(
            json.dumps(
                [{"blocks": part} for part in split_messages(composed.blocks)],
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(as_text(composed.blocks), end="")
    if charts_dir is not None:
        for path in write_charts(composed.charts, charts_dir):
            print(f"chart: {path}", file=sys.stderr)
    return 0


def write_charts(drawn: list[Chart], folder: Path) -> list[Path]:
    """Each chart as a PNG file in `folder` (made if missing); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for chart in drawn:
        path = folder / chart.name
        path.write_bytes(render(chart))
        paths.append(path)
    return paths
