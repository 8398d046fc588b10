"""Who checks in with which team, on which schedule, in which zone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.org.config import OrgConfig, Schedule, zone_or
from bot.org.schedule import (
    Calendar,
    Period,
    current_period,
    last_closed_period,
    upcoming_period,
)
from storage import queries
from storage.models import Delivery, Person, Team

SLACKBOT = queries.SLACKBOT


# The parsed config of each workspace, with what it was parsed from: every request and every
# sent message reads the config, and parsing a 1,000-team org takes ~20 ms, so it is parsed
# once per stored version. The version is the row's digest of its config (bytes to read, where
# the config of a thousand teams with questions of their own is megabytes), or for a row written
# before digests were kept, the config's text (a changed text is a miss; nothing can be stale).
_PARSED: dict[str, tuple[str, OrgConfig]] = {}


def load_config(session: Session, workspace_id: str) -> OrgConfig | None:
    """The workspace's org configuration, or None before an org file was imported."""
    stored, digest = queries.workspace_config_hash(session=session, workspace_id=workspace_id)
    if not stored:
        return None
    cached = _PARSED.get(workspace_id)
    if digest is not None and cached is not None and cached[0] == digest:
        return cached[1]
    text = queries.workspace_config_text(session=session, workspace_id=workspace_id)
    if text is None:
        return None
    version = digest or text
    if cached is not None and cached[0] == version:
        return cached[1]
    data = json.loads(text)
    if not data:
        return None
    config = OrgConfig.model_validate(data)
    _PARSED[workspace_id] = (version, config)
    return config


def can_be_nudged(person: Person | None, now: datetime) -> bool:
    """Real, active humans who have not paused leadbot."""
    if person is None or person.deleted or person.is_bot or person.user_id == SLACKBOT:
        return False
    return person.paused_until is None or person.paused_until <= now


@dataclass(frozen=True)
class Plan:
    """A person's check-in arrangement: the team their answers go to, and its clock."""

    person: Person
    team: Team
    manager_id: str
    config: OrgConfig
    zone: ZoneInfo
    manager_zone: ZoneInfo

    @property
    def schedule(self) -> Schedule:
        return self.config.schedule_of(self.team.key)

    @property
    def calendar(self) -> Calendar:
        """The holidays and days off of the person's team."""
        holidays, days_off = self.config.calendar_of(self.team.key)
        return Calendar(holidays, days_off)

    @property
    def reports_to_self(self) -> bool:
        return self.manager_id == self.person.user_id

    def dm(
        self, kind: str, period: str, due: datetime, expires: datetime, note: str | None = None
    ) -> Delivery:
        """An outbox row for a DM to this person."""
        return Delivery(
            workspace_id=self.person.workspace_id,
            subject=self.person.user_id,
            kind=kind,
            period=period,
            channel=self.person.user_id,
            due_at=due,
            expires_at=expires,
            note=note,
        )

    def current(self, now: datetime) -> Period | None:
        return current_period(now, self.schedule, self.zone, self.manager_zone)

    def upcoming(self, now: datetime) -> Period:
        return upcoming_period(now, self.schedule, self.zone, self.manager_zone)

    def last_closed(self, now: datetime) -> Period:
        return last_closed_period(now, self.schedule, self.zone, self.manager_zone)


def checkin_team(session: Session, workspace_id: str, user_id: str) -> Team | None:
    """The home team; for a manager in no team, the parent of the team they manage."""
    home = queries.home_team(session=session, workspace_id=workspace_id, user_id=user_id)
    if home is not None:
        return home
    managed = queries.managed_teams(session=session, workspace_id=workspace_id, user_id=user_id)
    if not managed:
        return None
    first = managed[0]
    if first.parent_key:
        parent = queries.get_team(session=session, workspace_id=workspace_id, key=first.parent_key)
        if parent is not None:
            return parent
    return first


def plan_for(
    session: Session, workspace_id: str, user_id: str, config: OrgConfig | None = None
) -> Plan | None:
    """The person's plan, or None when they check in with no team."""
    config = config or load_config(session, workspace_id)
    person = queries.get_person(session=session, workspace_id=workspace_id, user_id=user_id)
    if config is None or person is None:
        return None
    team = checkin_team(session, workspace_id, user_id)
    if team is None:
        return None
    manager = queries.get_person(
        session=session, workspace_id=workspace_id, user_id=team.manager_id
    )
    zone = zone_or(person.tz, config.zone)
    manager_zone = zone_or(manager.tz if manager else None, config.zone)
    return Plan(person, team, team.manager_id, config, zone, manager_zone)
