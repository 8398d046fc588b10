"""`python -m bot export-org`: the stored configuration as an org file that re-imports unchanged."""

from __future__ import annotations

import re
from typing import Any

import yaml
from sqlmodel import Session, select

from bot.org.config import OrgConfig
from bot.org.diff import load_stored
from storage.models import Workspace

_CLOCK = re.compile(r"\d{1,2}:\d{2}")
HEADER = (
    "# leadbot org file, exported from the database (workspace {workspace}).\n"
    "# Import it with `python -m bot import FILE`; people are Slack user ids.\n"
)


class ExportError(Exception):
    """Nothing (or not one thing) to export; the message says what to do."""


def choose_workspace(session: Session, wanted: str | None) -> str:
    """`wanted` if stored, else the only stored workspace; ExportError otherwise."""
    stored = [row.id for row in session.exec(select(Workspace).order_by(Workspace.id))]
    if wanted:
        if wanted not in stored:
            raise ExportError(
                f"workspace {wanted} is not stored here (stored: {', '.join(stored) or 'none'})"
            )
        return wanted
    if not stored:
        raise ExportError(
            "no organisation is stored yet; import an org file or set leadbot up in App Home first"
        )
    if len(stored) > 1:
        raise ExportError(
            f"several workspaces are stored ({', '.join(stored)}); pick one with --workspace"
        )
    return stored[0]


def org_data(session: Session, workspace_id: str) -> dict[str, Any]:
    """The org file's keys, in its order: settings as stored, teams and objectives from rows."""
    stored = load_stored(session, workspace_id)
    if not stored.config:
        raise ExportError(f"workspace {workspace_id} has no configuration yet")
    data = dict(stored.config)
    calendars = {  # a team's own holidays, days off and questions live only in the stored config
        team["key"]: {
            key: team.get(key) for key in ("holidays", "days_off", "questions") if team.get(key)
        }
        for team in data.get("teams") or []
    }
    data["teams"] = [
        {
            "key": team.key,
            "name": team.name,
            "manager": team.manager_id,
            "members": [row.user_id for row in stored.members.get(team.key, [])],
            "parent": team.parent_key,
            "schedule": team.schedule,
            **calendars.get(team.key, {}),
        }
        for team in stored.teams.values()
    ]
    data["objectives"] = [
        {
            "key": row.key,
            "title": row.title,
            "description": row.description,
            "archived": row.archived,
        }
        for row in stored.objectives.values()
    ]
    config = OrgConfig.model_validate(data).model_dump(mode="json")
    for team in config["teams"]:
        for key in ("parent", "schedule", "holidays", "days_off", "questions"):
            if not team[key]:
                del team[key]
        if "questions" in team:
            team["questions"] = _questions(team["questions"])
    if config.get("questions"):
        config["questions"] = _questions(config["questions"])
    return {key: value for key, value in config.items() if value is not None}


def _questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Questions as people write them: no empty options, `required` only when true."""
    return [
        {key: value for key, value in q.items() if key not in ("options", "required") or value}
        for q in questions
    ]


class _Dumper(yaml.SafeDumper):
    """Org-file style: lists of people and {day, time} on one line; times always quoted."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if _CLOCK.fullmatch(value) else None  # "09:30", never YAML 1.1's number 570
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flat = all(not isinstance(item, dict | list) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


def _mapping(dumper: yaml.SafeDumper, value: dict) -> yaml.Node:
    flat = set(value) in ({"day", "time"}, {"every_weeks", "day", "time"})
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flat)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _mapping)


def export_org(session: Session, workspace_id: str) -> str:
    """The workspace's configuration as org-file YAML."""
    body = yaml.dump(
        org_data(session, workspace_id),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER.format(workspace=workspace_id) + body
