"""What an org import would change (as printable lines), and applying it to the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.org.config import (
    DEFAULT_AWAY_EMOJI,
    DEFAULT_AWAY_WORDS,
    OrgConfig,
    TeamSpec,
    default_questions,
)
from storage import queries
from storage.models import Membership, Objective, Team, Workspace

ROWS = ("teams", "objectives")  # stored as rows; every other top-level key is a setting
QUESTIONS = "questions"  # a setting told question by question
# change everyone's nudges
CLOCK_SETTINGS = ("timezone", "schedule", "working_hours", "holidays", "days_off")
# Keys added after orgs were stored: a stored config without them had their defaults.
_LATER_KEYS = {
    "away": {"emoji": list(DEFAULT_AWAY_EMOJI), "words": list(DEFAULT_AWAY_WORDS)},
    "holidays": None,
    "days_off": [],
    QUESTIONS: None,
}


@dataclass
class Stored:
    """What the database holds for a workspace's org."""

    workspace: Workspace | None
    teams: dict[str, Team]
    members: dict[str, list[Membership]]
    objectives: dict[str, Objective]

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.workspace.config) if self.workspace and self.workspace.config else {}


@dataclass
class Diff:
    """The changes, one printable line each; `removals` need --yes; `replan` are user ids."""

    lines: list[str] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    replan: set[str] = field(default_factory=set)
    writes: bool = False
    announced: int = 0  # changes to who reads, told to every leader and admin

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.writes = True
        if line.startswith("- "):
            self.removals.append(line)


def load_stored(session: Session, workspace_id: str) -> Stored:
    """The workspace row and its team, membership and objective rows."""
    members: dict[str, list[Membership]] = {}
    for row in queries.memberships(session=session, workspace_id=workspace_id):
        members.setdefault(row.team_key, []).append(row)
    objectives = session.exec(
        select(Objective)
        .where(Objective.workspace_id == workspace_id)
        .order_by(col(Objective.position))
    )
    teams = queries.teams(session=session, workspace_id=workspace_id)
    return Stored(
        workspace=queries.get_workspace(session=session, workspace_id=workspace_id),
        teams={team.key: team for team in teams},
        members=members,
        objectives={row.key: row for row in objectives},
    )


def show(value: Any, *, text: bool = False) -> str:
    """A stored value as people write it in the org file (`text`: always in quotes)."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and (" " in value or not value or text):
        return f'"{value}"'
    return str(value)


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """{'checkin': {'day': 'fri'}} → {'schedule.checkin.day': 'fri'} (lists stay whole)."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    return flat


def diff_org(stored: Stored, config: OrgConfig) -> Diff:
    """Every difference between the stored org and `config` (people already as user ids)."""
    diff = Diff()
    new = config.model_dump(mode="json")
    first = not stored.config
    old = {**_LATER_KEYS, **stored.config} if stored.config else {}
    _settings(diff, old, new)
    if first or any(old.get(key) != new[key] for key in CLOCK_SETTINGS):
        diff.replan |= config.everyone()
    if stored.config and stored.config != new:
        diff.writes = True
    _teams(diff, stored, config)
    _objectives(diff, stored, config)
    if stored.workspace is None:
        diff.writes = True
    return diff


def _settings(diff: Diff, old: dict[str, Any], new: dict[str, Any]) -> None:
    for key in new:
        if key in ROWS:
            continue
        if key == QUESTIONS:
            question_lines(diff, "the default", old.get(key) if old else None, new[key])
            continue
        before, after = flatten(old.get(key), key), flatten(new[key], key)
        for path, value in after.items():
            if not old:
                if value is not None:
                    diff.add(f"+ {path}: {show(value)}")
            elif before.get(path) != value:
                diff.add(f"~ {path}: {show(before.get(path))} → {show(value)}")


def _teams(diff: Diff, stored: Stored, config: OrgConfig) -> None:
    new_keys = [team.key for team in config.teams]
    touched: set[str] = set()
    for team in config.teams:
        row = stored.teams.get(team.key)
        schedule = team.schedule.model_dump(mode="json") if team.schedule else None
        if row is None:
            own = f", schedule {_schedule(schedule)}" if schedule else ""
            diff.add(f'+ team {team.key} "{team.name}", manager {team.manager}{own}')
            touched.add(team.key)
        else:
            changes = [
                ("name", row.name, team.name),
                ("manager", row.manager_id, team.manager),
                ("parent", row.parent_key, team.parent),
            ]
            for label, before, after in changes:
                if before != after:
                    text = label == "name"
                    diff.add(
                        f"~ team {team.key}: {label} {show(before, text=text)} → "
                        f"{show(after, text=text)}"
                    )
                    touched.add(team.key)
            if row.schedule != schedule:
                before, after = _schedule(row.schedule), _schedule(schedule)
                diff.add(f"~ team {team.key}: schedule {before} → {after}")
                touched.add(team.key)
            if _calendar(diff, stored, team):
                touched.add(team.key)
        _members(diff, team.key, stored.members.get(team.key, []), team.members)
    for key, row in stored.teams.items():
        if key not in new_keys:
            diff.add(f'- team {key} "{row.name}"')
            _members(diff, key, stored.members.get(key, []), [])
            touched.add(key)
    old_order = [key for key in stored.teams if key in new_keys]
    if old_order != [key for key in new_keys if key in stored.teams]:
        diff.add(f"~ team order: {', '.join(old_order)} → {', '.join(new_keys)}")
        touched |= set(old_order)
    if any(
        row.position != new_keys.index(key) for key, row in stored.teams.items() if key in new_keys
    ):
        diff.writes = True
    for key in touched:
        diff.replan |= _team_people(key, stored, config)


def _team_people(key: str, stored: Stored, config: OrgConfig) -> set[str]:
    """Whose check-in team or clock may move when team `key` changes (before and after)."""
    people = {row.user_id for row in stored.members.get(key, [])}
    for team in config.teams:
        if team.key == key:
            people |= {team.manager, *team.members}
        elif team.parent == key:
            people.add(team.manager)  # a manager in no team checks in with the parent team
    for row in stored.teams.values():
        if key in (row.key, row.parent_key):
            people.add(row.manager_id)
    return people


def _members(diff: Diff, key: str, rows: list[Membership], members: list[str]) -> None:
    old = [row.user_id for row in rows]
    for user_id in members:
        if user_id not in old:
            diff.add(f"+ member {user_id} to {key}")
            diff.replan.add(user_id)
    for user_id in old:
        if user_id not in members:
            diff.add(f"- member {user_id} from {key}")
            diff.replan.add(user_id)
    kept = [user_id for user_id in members if user_id in old]
    if kept != [user_id for user_id in old if user_id in members]:
        diff.add(f"~ team {key}: member order {show(old)} → {show(members)}")
    if any(row.position != members.index(row.user_id) for row in rows if row.user_id in members):
        diff.writes = True


def _calendar(diff: Diff, stored: Stored, team: TeamSpec) -> bool:
    """A team's own holidays and days off (kept in the stored config, not on its row)."""
    old = next((t for t in stored.config.get("teams") or [] if t.get("key") == team.key), {})
    new = team.model_dump(mode="json")
    changed = False
    for key in ("holidays", "days_off"):
        before, after = old.get(key) or None, new.get(key) or None
        if before != after:
            diff.add(f"~ team {team.key}: {key} {_shown(before)} → {_shown(after)}")
            changed = True
    question_lines(diff, f"team {team.key}", old.get(QUESTIONS), new.get(QUESTIONS), own=True)
    return changed


def question_lines(
    diff: Diff, scope: str, old: list | None, new: list | None, *, own: bool = False
) -> None:
    """Question by question: added, changed (each field), removed, reordered. A team's own
    list replacing the organisation's (or back) is one line."""
    if own and (old is None) != (new is None):
        told = f"its own {len(new)} questions" if new is not None else "the organisation's"
        diff.add(f"~ {scope}: now asks {told}")
        return
    template = [q.model_dump(mode="json") for q in default_questions()]
    before = {q["key"]: q for q in (old if old is not None else template)}
    after = {q["key"]: q for q in (new if new is not None else template)}
    for key, question in after.items():
        was = before.get(key)
        if was is None:
            diff.add(
                f"+ question {key} in {scope} ({question['lens']}, {question['kind']}): "
                f'"{question["text"]}"'
            )
            continue
        for field_name in ("lens", "text", "kind", "options", "required"):
            first, then = was.get(field_name), question.get(field_name)
            if first != then:
                text = field_name == "text"
                diff.add(
                    f"~ question {key} in {scope}: {field_name} "
                    f"{show(first, text=text)} → {show(then, text=text)}"
                )
    for key in before:
        if key not in after:
            diff.add(f"~ question {key} removed from {scope} (its answers keep their words)")
    kept = [key for key in after if key in before]
    if kept != [key for key in before if key in after]:
        diff.add(f"~ question order in {scope}: {', '.join(before)} → {', '.join(after)}")
    if old != new:
        diff.writes = True


def _shown(value: Any) -> str:
    if isinstance(value, dict):  # holidays: DE/BY
        return "/".join(str(v) for v in value.values() if v)
    return show(value)


def _schedule(value: dict[str, Any] | None) -> str:
    if value is None:
        return "(the org schedule)"
    checkin, digest, strategy = value["checkin"], value["digest"], value["strategy"]
    return (
        f"check-in {checkin['day']} {checkin['time']}, reminder after {value['reminder_after']}, "
        f"strategy every {strategy['every_weeks']} weeks {strategy['day']} {strategy['time']}, "
        f"digest {digest['day']} {digest['time']}"
    )


def _objectives(diff: Diff, stored: Stored, config: OrgConfig) -> None:
    new_keys = [objective.key for objective in config.objectives]
    for objective in config.objectives:
        row = stored.objectives.get(objective.key)
        if row is None:
            diff.add(f'+ objective {objective.key} "{objective.title}"')
            continue
        for label in ("title", "description", "archived"):
            before, after = getattr(row, label), getattr(objective, label)
            if before != after:
                text = label != "archived"
                diff.add(
                    f"~ objective {objective.key}: {label} {show(before, text=text)} → "
                    f"{show(after, text=text)}"
                )
    for key, row in stored.objectives.items():
        if key not in new_keys:
            diff.add(f'- objective {key} "{row.title}"')
    old_order = [key for key in stored.objectives if key in new_keys]
    if old_order != [key for key in new_keys if key in stored.objectives]:
        diff.add(f"~ objective order: {', '.join(old_order)} → {', '.join(new_keys)}")
    if any(
        row.position != new_keys.index(key)
        for key, row in stored.objectives.items()
        if key in new_keys
    ):
        diff.writes = True


def apply_org(
    session: Session,
    stored: Stored,
    workspace_id: str,
    name: str,
    config: OrgConfig,
    now: datetime,
) -> None:
    """Make the rows match `config` (no commit: the caller commits once, after re-planning)."""
    data = config.model_dump(mode="json")
    workspace = stored.workspace or Workspace(id=workspace_id, name=name, created_at=now)
    if stored.workspace is None or workspace.config != data:
        workspace.config, workspace.updated_at = data, now
        session.add(workspace)
    new_keys = {team.key for team in config.teams}
    for key, row in stored.teams.items():
        if key not in new_keys:
            session.delete(row)
    for position, team in enumerate(config.teams):
        schedule = team.schedule.model_dump(mode="json") if team.schedule else None
        row = stored.teams.get(team.key) or Team(
            workspace_id=workspace_id, key=team.key, name="", manager_id=""
        )
        _set(
            session,
            row,
            name=team.name,
            manager_id=team.manager,
            parent_key=team.parent,
            position=position,
            schedule=schedule,
        )
    for key, rows in stored.members.items():
        wanted = next((team.members for team in config.teams if team.key == key), [])
        for row in rows:
            if row.user_id not in wanted:
                session.delete(row)
    for team in config.teams:
        rows = {row.user_id: row for row in stored.members.get(team.key, [])}
        for position, user_id in enumerate(team.members):
            row = rows.get(user_id) or Membership(
                workspace_id=workspace_id, team_key=team.key, user_id=user_id
            )
            _set(session, row, position=position)
    wanted_objectives = {objective.key for objective in config.objectives}
    for key, row in stored.objectives.items():
        if key not in wanted_objectives:
            session.delete(row)
    for position, objective in enumerate(config.objectives):
        row = stored.objectives.get(objective.key) or Objective(
            workspace_id=workspace_id, key=objective.key, title=""
        )
        _set(session, row, position=position, **objective.model_dump(exclude={"key"}))


def _set(session: Session, row: Any, **values: Any) -> None:
    """Assign only what differs, so an unchanged row is never written."""
    changed = {key: value for key, value in values.items() if getattr(row, key) != value}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed or row.id is None:
        session.add(row)
