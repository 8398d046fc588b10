"""Changes to who reads: leaders, admins, a team's manager, the leadership channel.

What changed between two configurations, recorded as AccessChange rows and announced (through
the outbox, so an outage loses nothing) to every leader and admin before and after the change;
the latest ones for App Home; and who in a leadership channel is not a leader.
Public: `record`, `announcement`, `latest`, `check_channel`. Uses storage, prompts, bot.views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, col, select

import prompts
from bot.org import access_views as views
from bot.org.config import OrgConfig
from bot.views.kit import Block
from storage import queries
from storage.models import AccessChange, Delivery, Person

KIND = "access_change"  # the outbox kind of an announcement
HOME, ORG_FILE = "home", "orgfile"
EXPIRES = timedelta(days=7)  # an announcement still matters after a long outage
LATEST = 5  # changes App Home lists
# conversations.members runs before the modal's 3-second answer: at most 1,000 members counted.
MEMBER_PAGE, MEMBER_PAGES = 200, 5


@dataclass(frozen=True)
class Author:
    """Who made a change: an admin in App Home, or (no actor) an org file import."""

    source: str
    actor_id: str | None = None


IMPORT = Author(ORG_FILE)


@dataclass(frozen=True)
class Change:
    what: str  # leader | admin | manager | leadership_channel
    subject: str | None  # the team key, for a manager
    before: str | None
    after: str | None


def changes(old: OrgConfig | None, new: OrgConfig) -> list[Change]:
    """Who reads differently under `new` than under `old` (None: nothing configured yet)."""

    def people(what: str, before: list[str], after: list[str]) -> list[Change]:
        gone = [Change(what, None, user_id, None) for user_id in before if user_id not in after]
        return gone + [
            Change(what, None, None, user_id) for user_id in after if user_id not in before
        ]

    found = people("leader", old.leaders if old else [], new.leaders)
    found += people("admin", old.admins if old else [], new.admins)
    managers = {team.key: team.manager for team in old.teams} if old else {}
    for team in new.teams:
        was = managers.pop(team.key, None)
        if was != team.manager:
            found.append(Change("manager", team.key, was, team.manager))
    found += [Change("manager", key, was, None) for key, was in managers.items()]
    channel = old.leadership_channel if old else None
    if channel != new.leadership_channel:
        found.append(Change("leadership_channel", None, channel, new.leadership_channel))
    return found


def readers(
    session: Session, workspace_id: str, old: OrgConfig | None, new: OrgConfig
) -> list[str]:
    """Every leader and admin before and after (Slack admins leadbot knows too), once each."""
    named = [*(old.leaders + old.admins if old else []), *new.leaders, *new.admins]
    slack_admins = session.exec(
        select(Person.user_id)
        .where(Person.workspace_id == workspace_id, col(Person.is_admin))
        .order_by(col(Person.user_id))
    ).all()
    everyone = list(dict.fromkeys([*named, *slack_admins]))
    people = queries.people_by_id(session=session, workspace_id=workspace_id, user_ids=everyone)
    gone = {u for u, person in people.items() if person.deleted or person.is_bot}
    return [user_id for user_id in everyone if user_id not in gone]


def record(
    session: Session,
    workspace_id: str,
    old: OrgConfig | None,
    new: OrgConfig,
    by: Author,
    now: datetime,
) -> list[AccessChange]:
    """Store each change and plan its announcement to every reader; the caller commits."""
    found = changes(old, new)
    if not found:
        return []
    rows = [
        AccessChange(
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            source=by.source,
            what=change.what,
            subject=_short(change.subject),
            before=_short(change.before),
            after=_short(change.after),
            at=now,
        )
        for change in found
    ]
    session.add_all(rows)
    session.flush()
    ids = [row.id for row in rows if row.id is not None]
    first, last = min(ids), max(ids)
    dms = [
        Delivery(
            workspace_id=workspace_id,
            subject=user_id,
            kind=KIND,
            period=str(first),  # one announcement per change set and reader
            channel=user_id,
            due_at=now,
            expires_at=now + EXPIRES,
            note=f"{first}-{last}",
        )
        for user_id in readers(session, workspace_id, old, new)
    ]
    queries.insert_deliveries(session=session, rows=dms)
    return rows


def _short(value: str | None) -> str | None:
    return value[:64] if value is not None else None


def batch(session: Session, workspace_id: str, note: str) -> list[AccessChange]:
    """The changes one announcement is about (its note holds their first and last id)."""
    first, _, last = note.partition("-")
    if not (first.isdigit() and last.isdigit()):
        return []
    rows = session.exec(
        select(AccessChange)
        .where(
            AccessChange.workspace_id == workspace_id,
            col(AccessChange.id) >= int(first),
            col(AccessChange.id) <= int(last),
        )
        .order_by(col(AccessChange.id))
    ).all()
    if not rows:
        return []
    head = rows[0]  # another save's rows may sit between: keep this one's only
    return [
        row
        for row in rows
        if (row.at, row.actor_id, row.source) == (head.at, head.actor_id, head.source)
    ]


def names(session: Session, workspace_id: str, rows: Iterable[AccessChange]) -> views.Names:
    """Display names of the people and teams these changes mention, as stored now."""
    user_ids = set()
    for row in rows:
        user_ids |= {row.actor_id} if row.actor_id else set()
        if row.what != "leadership_channel":
            user_ids |= {value for value in (row.before, row.after) if value}
    people = queries.people_by_id(session=session, workspace_id=workspace_id, user_ids=user_ids)
    teams = queries.teams(session=session, workspace_id=workspace_id)
    return views.Names(
        {user_id: person.display for user_id, person in people.items()},
        {team.key: team.name for team in teams},
    )


def announcement(session: Session, row: Delivery) -> tuple[str, list[Block]] | None:
    """The DM for an announcement row, built at send time; None when its changes are gone."""
    changed = batch(session, row.workspace_id, row.note or "")
    if not changed:
        return None
    return views.announcement(changed, names(session, row.workspace_id, changed))


@dataclass(frozen=True)
class Latest:
    rows: list[AccessChange]
    names: views.Names


def latest(session: Session, workspace_id: str, limit: int = LATEST) -> Latest:
    """The last changes to who reads, newest first, for App Home's admin section."""
    rows = list(
        session.exec(
            select(AccessChange)
            .where(AccessChange.workspace_id == workspace_id)
            .order_by(col(AccessChange.at).desc(), col(AccessChange.id).desc())
            .limit(limit)
        )
    )
    return Latest(rows, names(session, workspace_id, rows))


@dataclass(frozen=True)
class ChannelCheck:
    """What the Leaders modal says about the chosen leadership channel before saving."""

    refusal: str | None = None  # under the channel field; nothing can be saved
    warning: str | None = None  # above the fields; a second Save keeps the channel


def check_channel(
    client: WebClient,
    session: Session,
    workspace_id: str,
    old: OrgConfig | None,
    new: OrgConfig,
    bot_user_id: str | None,
) -> ChannelCheck:
    """Whether people outside the leadership group would read the leadership digest.

    Checked when the channel or the leaders change: a removed leader may still be in it.
    """
    channel = new.leadership_channel
    moved = channel != (old.leadership_channel if old else None)
    if not channel or not (moved or set(new.leaders) != set(old.leaders if old else [])):
        return ChannelCheck()
    shown = views.channel(channel)
    try:
        members = channel_members(client, channel)
    except SlackApiError as error:
        reason = str(error.response.get("error") or "slack_error")
        if reason == "channel_not_found" and moved:
            return ChannelCheck(refusal=prompts.text("access.unseen"))
        return ChannelCheck(warning=prompts.text("access.unchecked", channel=shown, error=reason))
    people = queries.people_by_id(session=session, workspace_id=workspace_id, user_ids=members)
    bots = {user_id for user_id, person in people.items() if person.is_bot}
    outside = set(members) - set(new.leaders) - bots - {bot_user_id}
    if not outside:
        return ChannelCheck()
    return ChannelCheck(warning=views.outsiders(len(outside), shown))


def channel_members(client: WebClient, channel: str) -> list[str]:
    """Everyone in `channel` (paged conversations.members); SlackApiError when Slack refuses."""
    members: list[str] = []
    cursor = None
    for _ in range(MEMBER_PAGES):
        response = client.conversations_members(channel=channel, limit=MEMBER_PAGE, cursor=cursor)
        members += [str(user_id) for user_id in response.get("members") or []]
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return members
