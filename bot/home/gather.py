"""What App Home shows one person, gathered as plain data (the builder renders it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.checkin import rules as checkins
from bot.digest import raised
from bot.digest.momentum import Momentum, momentum
from bot.digest.week import TeamWeek, team_week
from bot.org import access
from bot.org.config import OrgConfig, zone_or
from bot.org.plan import can_be_nudged, load_config, plan_for
from bot.org.schedule import period_label
from bot.strategy import rules as strategy
from storage import queries
from storage.models import RaisedBlocker, Reflection


@dataclass(frozen=True)
class CheckinState:
    week: str
    state: str  # open | answered | skipped | away | days_off | next | paused
    at: datetime  # when it closes (open/answered) or opens (next) or the pause ends


@dataclass(frozen=True)
class TeamView:
    """A manager's team as a whole: figures, never per-person state or scores."""

    name: str
    answered: int
    expected: int
    paused: list[tuple[str, datetime]]
    map: list[tuple[str, int]]  # objective title, how many connect to it
    unconnected: list[str]
    size: int
    key: str = ""  # for its Questions button


@dataclass
class HomeData:
    user_id: str
    zone: ZoneInfo
    config: OrgConfig | None
    checkin: CheckinState | None = None
    mine: dict[str, Reflection] = field(default_factory=dict)  # objective key → reflection
    manager_name: str | None = None
    manager_reflection: Reflection | None = None
    about_me: TeamWeek | None = None
    teams: list[TeamView] = field(default_factory=list)
    is_admin: bool = False
    team_count: int = 0
    access: access.Latest | None = None  # admins only: the last changes to who reads
    execution: list[Momentum] | None = None  # leaders only: each objective's week so far
    raised: list[RaisedBlocker] = field(default_factory=list)  # leaders: theirs to answer
    names: dict[str, str] = field(default_factory=dict)  # of the managers who raised them
    now: datetime | None = None  # when it was gathered (a raised blocker's age)


def is_admin(config: OrgConfig | None, person_admin: bool, user_id: str) -> bool:
    """Slack workspace admins/owners, and the org file's `admins`."""
    return person_admin or (config is not None and user_id in config.admins)


def gather(session: Session, workspace_id: str, user_id: str, now: datetime) -> HomeData:
    config = load_config(session, workspace_id)
    person = queries.get_person(session=session, workspace_id=workspace_id, user_id=user_id)
    default_zone = config.zone if config else ZoneInfo("UTC")
    data = HomeData(user_id, zone_or(person.tz if person else None, default_zone), config)
    data.is_admin = is_admin(config, bool(person and person.is_admin), user_id)
    if config is None:
        return data
    if data.is_admin:
        data.access = access.latest(session, workspace_id)
    data.team_count = queries.team_count(session=session, workspace_id=workspace_id)
    plan = plan_for(session, workspace_id, user_id, config)
    data.mine = strategy.latest_by_objective(session, workspace_id, user_id)
    if plan is not None:
        data.checkin = _checkin_state(session, plan, now)
        if not plan.reports_to_self:
            manager = queries.get_person(
                session=session, workspace_id=workspace_id, user_id=plan.manager_id
            )
            data.manager_name = manager.display if manager else None
            data.manager_reflection = strategy.latest(session, workspace_id, plan.manager_id)
        label = (plan.current(now) or plan.upcoming(now)).label
        data.about_me = team_week(session, config, workspace_id, plan.team.key, label).about(
            user_id
        )
    for team in queries.managed_teams(session=session, workspace_id=workspace_id, user_id=user_id):
        data.teams.append(_team_view(session, config, workspace_id, team.key, now))
    if user_id in config.leaders:
        data.now = now
        week = period_label(now.astimezone(config.zone).date())  # the week in progress
        data.execution = momentum(session, config, workspace_id, week)
        shown = raised.for_leadership(session, workspace_id, week)
        data.raised = [row for row in shown.open if user_id in row.leaders]
        data.names = queries.people_named(
            session=session, workspace_id=workspace_id, user_ids={r.manager_id for r in data.raised}
        )
    return data


def _checkin_state(session: Session, plan, now: datetime) -> CheckinState:  # noqa: ANN001
    person = plan.person
    if not can_be_nudged(person, now) and person.paused_until:
        return CheckinState("", "paused", person.paused_until)
    current = plan.current(now)
    if current is None:
        upcoming = plan.upcoming(now)
        return CheckinState(upcoming.label, "next", upcoming.opens_at)
    row = queries.get_checkin(
        session=session,
        workspace_id=person.workspace_id,
        user_id=person.user_id,
        period=current.label,
    )
    state = "open" if row is None else row.status
    if state == checkins.AWAY and checkins.nudge_due(plan, current) is None:
        state = "days_off"  # away because the week has no working day, not by their status
    return CheckinState(current.label, state, current.closes_at)


def _team_view(
    session: Session, config: OrgConfig, workspace_id: str, team_key: str, now: datetime
) -> TeamView:
    members = queries.member_ids(session=session, workspace_id=workspace_id, team_key=team_key)
    people = queries.people_by_id(session=session, workspace_id=workspace_id, user_ids=members)
    active = [m for m in members if m in people and not people[m].deleted]
    paused = [
        (people[m].display, people[m].paused_until)
        for m in active
        if people[m].paused_until and people[m].paused_until > now
    ]
    label = _team_label(session, workspace_id, active, now)
    week = team_week(session, config, workspace_id, team_key, label) if label else None
    answered = len(week.answered) if week else 0
    mapping = [(a.title, len(a.quotes)) for a in week.alignment] if week else []
    unconnected = (
        week.unconnected if week else [o.title for o in config.objectives if not o.archived]
    )
    team = queries.get_team(session=session, workspace_id=workspace_id, key=team_key)
    return TeamView(
        team.name if team else team_key,
        answered,
        len(active) - len(paused),
        paused,
        mapping,
        unconnected,
        len(active),
        team_key,
    )


def _team_label(
    session: Session, workspace_id: str, members: list[str], now: datetime
) -> str | None:
    """The team's week: the one open (or next) for its first member with a plan."""
    for user_id in members:
        plan = plan_for(session, workspace_id, user_id)
        if plan is not None:
            return (plan.current(now) or plan.upcoming(now)).label
    return None
