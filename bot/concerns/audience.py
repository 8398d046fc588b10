"""Who hears a concern, and when (DESIGN 4).

The writer picks a level; it rolls up while the audience manager is away or the group they
would hear it from (everyone active under them, not counting them) is smaller than
`min_group_size`. The leadership group is the last stop. A concern reaches its audience only
in a digest whose UTC day is at least two days after the concern's stored day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.org.config import OrgConfig, Schedule, zone_or
from bot.org.plan import SLACKBOT, can_be_nudged, checkin_team
from bot.org.schedule import period_closes, period_label, shift_label
from storage import queries
from storage.models import Person, Team

CHOICES = ("manager", "skip", "leadership")
HOLD = timedelta(days=2)
TEAM = "team"
LEADERSHIP_KIND = "leadership"


@dataclass(frozen=True)
class Audience:
    """A team (its manager hears the concern) or the leadership group."""

    kind: str
    team_key: str | None = None

    @classmethod
    def team(cls, key: str) -> Audience:
        return cls(TEAM, key)

    @property
    def is_leadership(self) -> bool:
        return self.kind == LEADERSHIP_KIND


LEADERSHIP = Audience(LEADERSHIP_KIND)


@dataclass(frozen=True)
class Resolved:
    audience: Audience
    rolled_up: bool  # it goes higher than the writer picked
    group: frozenset[str] = frozenset()  # who could have written it (empty for leadership)


class NoAudience(Exception):
    """The concern rolled up to a leadership group that has no active member."""


def is_active(person: Person | None) -> bool:
    """Counts towards a group: a known, not deactivated human."""
    return not (person is None or person.deleted or person.is_bot or person.user_id == SLACKBOT)


class OrgShape:
    """The org's tree as one rule needs it, read lazily: teams as it walks them, and people
    only until a group is known to be big enough, so a request never loads the organisation."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self._teams: dict[str, Team | None] = {}
        self._people: dict[str, Person | None] = {}

    def team(self, key: str) -> Team | None:
        if key not in self._teams:
            self._teams[key] = queries.get_team(
                session=self.session, workspace_id=self.workspace_id, key=key
            )
        return self._teams[key]

    def person(self, user_id: str) -> Person | None:
        if user_id not in self._people:
            self._people[user_id] = queries.get_person(
                session=self.session, workspace_id=self.workspace_id, user_id=user_id
            )
        return self._people[user_id]

    def parent(self, key: str) -> str | None:
        team = self.team(key)
        parent = team.parent_key if team is not None else None
        return parent if parent and self.team(parent) is not None else None

    def group_size(self, key: str, enough: int | None = None) -> int:
        """How many active people a concern to this team's manager hides its writer among:
        everyone in the team and its sub-teams (their managers included), not the manager.
        Counting stops once it reaches `enough`."""
        return len(self.group(key, enough))

    def could_write(self, key: str) -> set[str]:
        """The whole group of `key` (see group_size): who could have written a concern its
        manager hears. Three statements however big the org: the teams, the members of the
        team and its sub-teams, and which of them are active."""
        root = self.team(key)
        if root is None:
            return set()
        children: dict[str | None, list[Team]] = {}
        for team in queries.teams(session=self.session, workspace_id=self.workspace_id):
            children.setdefault(team.parent_key, []).append(team)
        keys, managers, queue = {key}, set(), [key]
        while queue:
            for child in children.get(queue.pop(), []):
                if child.key not in keys:
                    keys.add(child.key)
                    managers.add(child.manager_id)
                    queue.append(child.key)
        candidates = queries.members_of(
            session=self.session, workspace_id=self.workspace_id, team_keys=keys
        )
        return queries.active_ids(
            session=self.session,
            workspace_id=self.workspace_id,
            user_ids=(candidates | managers) - {root.manager_id},
        )

    def group(self, key: str, enough: int | None = None) -> set[str]:
        """The first `enough` people of the group of `key`, walking down the tree."""
        root = self.team(key)
        if root is None:
            return set()
        found: set[str] = set()
        queue, seen = [key], {key}
        while queue and (enough is None or len(found) < enough):
            current = queue.pop(0)
            children = queries.child_teams(
                session=self.session, workspace_id=self.workspace_id, key=current
            )
            candidates = set(
                queries.member_ids(
                    session=self.session, workspace_id=self.workspace_id, team_key=current
                )
            )
            candidates |= {child.manager_id for child in children}
            found |= queries.active_ids(
                session=self.session,
                workspace_id=self.workspace_id,
                user_ids=candidates - found - {root.manager_id},
            )
            for child in children:
                self._teams.setdefault(child.key, child)
                if child.key not in seen:
                    seen.add(child.key)
                    queue.append(child.key)
        return found


def resolve(
    session: Session,
    *,
    workspace_id: str,
    config: OrgConfig,
    user_id: str,
    choice: str,
    now: datetime,
) -> Resolved:
    """The final audience for a concern raised by `user_id` to the `choice` level."""
    shape = OrgShape(session, workspace_id)
    own = checkin_team(session, workspace_id, user_id)
    enough = config.anonymity.min_group_size
    key: str | None = None
    if own is not None and choice == "manager":
        key = own.key
    elif own is not None and choice == "skip":
        key = shape.parent(own.key)
    found = _first_audience(shape, key, lambda other: other == user_id, enough, now)
    if found is not None:
        return Resolved(Audience.team(found), found != key, frozenset(shape.could_write(found)))
    if not any(is_active(shape.person(leader)) for leader in config.leaders):
        raise NoAudience()
    return Resolved(LEADERSHIP, rolled_up=choice != "leadership")


def _first_audience(
    shape: OrgShape,
    key: str | None,
    could_write: Callable[[str], bool],
    enough: int,
    now: datetime,
) -> str | None:
    """From team `key` up: the first team whose manager is present, is not among those who
    could have written the concern, and hears it among at least `enough` people."""
    seen: set[str] = set()
    while key is not None and key not in seen:
        seen.add(key)
        team = shape.team(key)
        manager = team.manager_id if team is not None else None
        present = (
            manager is not None
            and not could_write(manager)
            and can_be_nudged(shape.person(manager), now)
        )
        if present and shape.group_size(key, enough) >= enough:
            return key
        key = shape.parent(key)
    return None


def recheck(
    session: Session,
    *,
    workspace_id: str,
    config: OrgConfig,
    audience: Audience,
    could_write: Callable[[str], bool],
    now: datetime,
) -> Audience | None:
    """At delivery, the group rule again with today's org: None when `audience` may still
    hear the concern, else the level it rolls up to, exactly as at writing.

    The team's manager of today must not be someone who could have written it (`could_write`:
    in the group recorded at writing; or in the team's group now), and the group without them
    must still reach `min_group_size`.
    """
    if audience.is_leadership:
        return None
    shape = OrgShape(session, workspace_id)
    team = shape.team(audience.team_key or "")
    enough = config.anonymity.min_group_size
    if team is not None:
        now_group = shape.could_write(team.key)
        manager = team.manager_id
        if not could_write(manager) and manager not in now_group and len(now_group) >= enough:
            return None
        found = _first_audience(shape, shape.parent(team.key), could_write, enough, now)
        if found is not None:
            return Audience.team(found)
    return LEADERSHIP


def _team(session: Session, workspace_id: str, audience: Audience) -> Team | None:
    if audience.team_key is None:
        return None
    return queries.get_team(session=session, workspace_id=workspace_id, key=audience.team_key)


@dataclass(frozen=True)
class Described:
    """What the writer is told about an audience, and its digest clock."""

    manager: str | None  # the manager's name; None for the leadership group
    team: str | None
    schedule: Schedule
    zone: ZoneInfo


def describe(
    session: Session, *, workspace_id: str, config: OrgConfig, audience: Audience
) -> Described:
    """Names and digest clock: a team's schedule in its manager's zone, else the org's."""
    team = _team(session, workspace_id, audience)
    if team is None:
        return Described(None, None, config.schedule, config.zone)
    manager = queries.get_person(
        session=session, workspace_id=workspace_id, user_id=team.manager_id
    )
    zone = zone_or(manager.tz if manager else None, config.zone)
    name = manager.display if manager else team.manager_id
    return Described(name, team.name, config.schedule_of(team.key), zone)


def eligible(created_on: date, digest_at: datetime) -> bool:
    """Whether a concern stored on `created_on` may be in the digest at `digest_at`."""
    return digest_at.astimezone(UTC).date() >= created_on + HOLD


def next_digest(described: Described, created_on: date, now: datetime) -> datetime:
    """The first digest after `now` that may carry a concern stored on `created_on`."""
    label = period_label(created_on - timedelta(days=7))
    for weeks in range(8):
        close = period_closes(shift_label(label, weeks), described.schedule, described.zone)
        if close > now and eligible(created_on, close):
            return close
    raise AssertionError("a weekly digest always comes within eight weeks")
