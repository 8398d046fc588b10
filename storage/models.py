"""SQLModel tables. Every row carries its Slack workspace (`workspace_id`, Slack's team_id)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_ref() -> str:
    """An unguessable reference (128 random bits) for a row that Slack payloads point at.

    Button values, block ids and private_metadata carry this, never a row id: ids are
    sequential, so they can be guessed and they tell the order (and time) things were written.
    """
    return secrets.token_urlsafe(16)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite keeps no zone, so we add it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _json(empty: type[dict] | type[list] = dict) -> Any:
    """A JSON column, empty by default. Its factory is a Python function: pydantic reads a
    factory's signature each time it makes a default, and a builtin's (`list`'s) is parsed
    from text, which made a Checkin cost three times as much to build."""

    def made() -> dict | list:
        return empty()

    return Field(default_factory=made, sa_type=sa.JSON, nullable=False)


class Workspace(SQLModel, table=True):
    """One Slack workspace and its org configuration (the validated org file, as JSON)."""

    id: str = Field(primary_key=True, max_length=32)
    name: str = ""
    config: dict = _json()
    # A digest of `config`, set whenever the row is written: every request and every message
    # reads the config, and a large org's is megabytes (a thousand teams with questions of
    # their own), so readers compare this and fetch the config only when it changed.
    config_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = _created()
    updated_at: datetime = _created()


def config_fingerprint(config: dict | None) -> str:
    """The digest of a configuration's content (key order aside)."""
    text = json.dumps(config or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@sa.event.listens_for(Workspace, "before_insert")
@sa.event.listens_for(Workspace, "before_update")
def _fingerprinted(_mapper: Any, _connection: Any, workspace: Workspace) -> None:
    workspace.config_hash = config_fingerprint(workspace.config)


class Person(SQLModel, table=True):
    """A Slack user as last synced from users.list / user_change."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    name: str = ""
    real_name: str = ""
    email: str | None = None
    tz: str | None = None
    deleted: bool = False
    is_bot: bool = False
    is_admin: bool = False
    paused_until: datetime | None = _when()
    welcomed_at: datetime | None = _when()
    # Their Slack status, kept from users.list / user_change: whether they are away is
    # decided from it at send time, with no Web API call per nudge.
    status_text: str = Field(default="", max_length=200)
    status_emoji: str = Field(default="", max_length=100)
    status_expires_at: datetime | None = _when()
    synced_at: datetime = _created()

    @property
    def display(self) -> str:
        return self.real_name or self.name or self.user_id


class Team(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "key"),
        sa.Index("ix_team_parent", "workspace_id", "parent_key"),  # walking down the tree
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    key: str = Field(max_length=64)
    name: str
    manager_id: str = Field(max_length=32)
    parent_key: str | None = Field(default=None, max_length=64)
    position: int = 0
    schedule: dict | None = Field(default=None, sa_type=sa.JSON, nullable=True)


class Membership(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("workspace_id", "team_key", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    team_key: str = Field(max_length=64)
    user_id: str = Field(max_length=32, index=True)
    position: int = 0


class Objective(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("workspace_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    key: str = Field(max_length=64)
    title: str
    description: str = ""
    archived: bool = False
    position: int = 0


class Checkin(SQLModel, table=True):
    """One person's answer (or skip) for one period."""

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "user_id", "period"),
        sa.Index("ix_checkin_team", "workspace_id", "team_key", "period"),  # a team's weeks
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(default_factory=new_ref, max_length=32, unique=True, index=True)
    workspace_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32)
    period: str = Field(max_length=10, index=True)
    team_key: str = Field(max_length=64)
    manager_id: str | None = Field(default=None, max_length=32)  # who it went to, then
    status: str = Field(max_length=16)  # answered | skipped | away
    moved: str | None = None
    blocked: str | None = None
    energy: int | None = None
    learned: str | None = None
    helped_users: list = _json(list)
    helped_text: str | None = None
    objective_key: str | None = Field(default=None, max_length=64)
    # The answers to the team's own questions, by key (moved, blocked and learned keep their
    # columns); what each key asked is the team's QuestionSet of the period.
    answers: dict = _json()
    late: bool = False
    created_at: datetime = _created()
    updated_at: datetime = _created()


class QuestionSet(SQLModel, table=True):
    """The questions a team's period asked, frozen when the period first needed them: an edit
    applies from the next period, and an old week shows each question as it was asked."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "team_key", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    team_key: str = Field(max_length=64)
    period: str = Field(max_length=10)
    questions: list = _json(list)  # QuestionSpec dumps, in the team's order
    created_at: datetime = _created()


class Delivery(SQLModel, table=True):
    """The outbox: one scheduled Slack message, unique per (workspace, subject, kind, period)."""

    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "subject", "kind", "period"),
        sa.Index("ix_delivery_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    subject: str = Field(max_length=64)  # a user id, or a team key
    kind: str = Field(max_length=32)
    period: str = Field(max_length=10)
    channel: str = Field(max_length=32)  # where it goes: a user id (DM) or a channel id
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="pending", max_length=16)
    note: str | None = Field(default=None, max_length=500)  # what the message is about
    parts_sent: int = 0  # a long message goes out in parts; a retry resumes after these
    lease_until: datetime | None = _when()
    claim: str | None = Field(default=None, max_length=32)  # the sender holding the lease
    attempts: int = 0
    last_error: str | None = None
    posted_channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = _when()
    created_at: datetime = _created()


class Inbox(SQLModel, table=True):
    """Work a listener acknowledged and handed on: a check-in answer to store
    (bot/runtime/inbox.py).

    A row lives seconds: it is deleted once handled. Concerns never pass through here.
    """

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    body: dict = _json()
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    taken_until: datetime | None = _when()  # while someone handles it; retried after
    attempts: int = 0


class Reflection(SQLModel, table=True):
    """A person's own words on how their role moves the strategy (one per answer)."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(default_factory=new_ref, max_length=32, unique=True, index=True)
    workspace_id: str = Field(index=True, max_length=32)
    user_id: str = Field(max_length=32, index=True)
    team_key: str | None = Field(default=None, max_length=64)  # their check-in team, then
    manager_id: str | None = Field(default=None, max_length=32)  # who it was said to, then
    objective_keys: list = _json(list)
    other: str | None = None  # "none of these / something else", in their words
    how: str | None = None
    progress: str | None = None
    help: str | None = None
    phrasing: int = 0
    created_at: datetime = _created()


class Concern(SQLModel, table=True):
    """An anonymous concern (DESIGN 4): no writer, no channel, no time finer than a day.

    The audience is the final one, resolved at submit: a team (whose manager hears it) or
    the leadership group. The follow-up code is kept only as the SHA-256 of its letters.
    """

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(default_factory=new_ref, max_length=32, unique=True, index=True)
    workspace_id: str = Field(index=True, max_length=32)
    topic: str = Field(max_length=16)  # goals | work | culture | other
    text: str
    helps: str | None = None
    audience_kind: str = Field(max_length=16)  # team | leadership
    audience_team: str | None = Field(default=None, max_length=64)
    code_hash: str = Field(max_length=64, unique=True)
    status: str = Field(default="new", max_length=16)
    reason: str | None = None  # why it is not changing
    created_on: date = Field(sa_type=sa.Date, nullable=False)
    delivered_on: date | None = Field(default=None, sa_type=sa.Date, nullable=True)
    # who could have written it, as the group stood when it was written (never the writer)
    group_members: list = _json(list)
    # who it was delivered to: the only people who may read, answer or set its status
    delivered_to: list = _json(list)


class ConcernNote(SQLModel, table=True):
    """One line of a concern's thread: the audience's reply or status, or the writer's follow-up.

    `user_id` is the answering audience member (they are not anonymous); never set for the
    writer's follow-ups. Days only, like the concern.
    """

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(default_factory=new_ref, max_length=32, unique=True, index=True)
    workspace_id: str = Field(index=True, max_length=32)
    concern_id: int = Field(foreign_key="concern.id", index=True)
    kind: str = Field(max_length=16)  # reply | status | followup
    text: str | None = None
    status: str | None = Field(default=None, max_length=16)
    user_id: str | None = Field(default=None, max_length=32)
    created_on: date = Field(sa_type=sa.Date, nullable=False)
    delivered_on: date | None = Field(default=None, sa_type=sa.Date, nullable=True)


class TeamEnergy(SQLModel, table=True):
    """A team's energy for a period as a digest showed it: a team figure, kept as shown.

    Written the first time a digest shows the week, so forgetting a person later does not
    change a past week's figure (comparing two digests can't single anyone out).
    """

    __table_args__ = (sa.UniqueConstraint("workspace_id", "team_key", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    team_key: str = Field(max_length=64)
    period: str = Field(max_length=10)
    counts: list = _json(list)  # answers per energy level, 1 to 5
    # the team's choice and scale answers, kept the same way: {question key: {option: count}}
    figures: dict = _json()
    created_at: datetime = _created()


class AccessChange(SQLModel, table=True):
    """A change to who reads: a leader, an admin, a team's manager, the leadership channel.

    Announced to every leader and admin; App Home's admin section lists the latest.
    """

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(index=True, max_length=32)
    actor_id: str | None = Field(default=None, max_length=32)  # None: the CLI's org file import
    source: str = Field(max_length=16)  # home | orgfile
    what: str = Field(max_length=32)  # leader | admin | manager | leadership_channel
    subject: str | None = Field(default=None, max_length=64)  # the team key, for a manager
    before: str | None = Field(default=None, max_length=64)
    after: str | None = Field(default=None, max_length=64)
    at: datetime = _created()


class SeenEvent(SQLModel, table=True):
    """A Slack event already taken in: Slack resends one it thinks we missed. Kept a day."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    event_id: str = Field(max_length=64)
    seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class Uninstall(SQLModel, table=True):
    """A workspace that removed leadbot: nothing is sent for it; its data goes after a grace."""

    workspace_id: str = Field(primary_key=True, max_length=32)
    uninstalled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class RaisedBlocker(SQLModel, table=True):
    """A blocker a manager raised to the leadership group from their digest, and its answer.

    One per check-in (raising twice is one raise). The leaders who may read and answer it are
    those of the day it was raised (`leaders`), never whoever is a leader later. The person's
    words and id are kept to show the blocker and to tell them the answer; forget-me removes
    both, and the team, the manager and the manager's note stay.
    """

    __table_args__ = (sa.UniqueConstraint("workspace_id", "checkin_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(default_factory=new_ref, max_length=32, unique=True, index=True)
    workspace_id: str = Field(index=True, max_length=32)
    checkin_ref: str = Field(max_length=32)
    period: str = Field(max_length=10)  # the check-in's
    team_key: str = Field(max_length=64)
    team_name: str = Field(max_length=200)
    manager_id: str = Field(max_length=32)  # who raised it
    user_id: str | None = Field(default=None, max_length=32)  # whose blocker; None once forgotten
    words: str | None = None  # the blocker as written; None once forgotten
    objective_key: str | None = Field(default=None, max_length=64)
    note: str | None = None  # the manager's
    tell: bool = True  # the person hears that it was raised, and the answer
    leaders: list = _json(list)  # who may read and answer it: the leaders when it was raised
    status: str = Field(default="open", max_length=16)  # open | on_it | resolved | wont_act
    answer: str | None = None
    answered_by: str | None = Field(default=None, max_length=32)
    answered_at: datetime | None = _when()
    closed_in: str | None = Field(default=None, max_length=10)  # the digest that showed it closed
    created_at: datetime = _created()
