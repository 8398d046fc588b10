"""One path from a new org configuration to the database, for the importer and for admin edits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.checkin import rules as checkins
from bot.org import access, questions
from bot.org.config import OrgConfig
from bot.org.diff import Diff, Stored, apply_org, diff_org, load_stored
from bot.org.schedule import opening_problems
from bot.strategy import rules as strategy
from bot.strategy.rules import ObjectiveChange

Late = dict[str, tuple[ZoneInfo, list[ZoneInfo]]]  # team key → (manager's zone, late zones)


def apply_config(
    session: Session,
    workspace_id: str,
    name: str,
    config: OrgConfig,
    now: datetime,
    *,
    also_replan: Iterable[str] = (),
    by: access.Author = access.IMPORT,
) -> Diff:
    """Store `config`, re-plan whoever it moves, re-ask reflections and announce changes to
    who reads (made `by` an admin in App Home or an org file import); the caller commits."""
    stored = load_stored(session, workspace_id)
    diff = diff_org(stored, config)
    diff.replan |= set(also_replan)
    if not diff.writes and not diff.replan:
        return diff
    old = OrgConfig.model_validate(stored.config) if stored.config else None
    diff.announced = len(access.record(session, workspace_id, old, config, by, now))
    # A team's begun period keeps the questions it opened with; a change applies from the next.
    questions.freeze_before_change(session, old, config, workspace_id, now)
    # The first configuration asks nobody again: everyone's first reflection is planned anyway.
    changes = objective_changes(stored, config) if stored.config else []
    apply_org(session, stored, workspace_id, name, config, now)
    session.flush()
    checkins.replan(session, workspace_id, sorted(diff.replan), now)
    strategy.reask(session, workspace_id, changes, config.everyone(), now)
    return diff


def objective_changes(stored: Stored, config: OrgConfig) -> list[ObjectiveChange]:
    """Objectives added (or back from the archive), retitled, or archived (or removed)."""
    changes: list[ObjectiveChange] = []
    for objective in config.objectives:
        row = stored.objectives.get(objective.key)
        if objective.archived:
            if row is not None and not row.archived:
                changes.append(ObjectiveChange(objective.key, objective.title, "archived"))
        elif row is None or row.archived:
            changes.append(ObjectiveChange(objective.key, objective.title, "added"))
        elif row.title != objective.title:
            changes.append(ObjectiveChange(objective.key, objective.title, "retitled"))
    kept = {objective.key for objective in config.objectives}
    for key, row in stored.objectives.items():
        if key not in kept and not row.archived:
            changes.append(ObjectiveChange(key, row.title, "archived"))
    return changes


def checkin_teams(config: OrgConfig) -> dict[str, str]:
    """Each person's check-in team: their home team, or for a manager in none, the parent's."""
    found: dict[str, str] = {}
    for team in config.teams:
        for user_id in team.members:
            found.setdefault(user_id, team.key)
    for team in config.teams:
        if team.manager not in found:
            found[team.manager] = team.parent or team.key
    return found


def late_openings(config: OrgConfig, zone_of: Callable[[str], ZoneInfo], now: datetime) -> Late:
    """Teams whose check-in would open, for someone, at or after the team's digest."""
    homes = checkin_teams(config)
    late: Late = {}
    for team in config.teams:
        manager_zone = zone_of(team.manager)
        zones = {zone_of(user_id) for user_id, key in homes.items() if key == team.key}
        bad = opening_problems(config.schedule_of(team.key), manager_zone, zones, now.date())
        if bad:
            late[team.key] = (manager_zone, bad)
    return late
