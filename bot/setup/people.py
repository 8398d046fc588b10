"""Slack people sync: paged users.list into Person rows, re-planning whoever's clock changed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.checkin import rules as checkins
from bot.org.plan import SLACKBOT
from storage import queries
from storage.models import Person

log = logging.getLogger(__name__)
PAGE = 200
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


def fetch_people(client: WebClient, workspace_id: str) -> list[dict[str, Any]]:
    """Every user of the workspace (deleted and bots included); Slack Connect guests dropped."""
    people: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": PAGE}
        if cursor:
            kwargs["cursor"] = cursor
        page = client.users_list(**kwargs)
        members = page.get("members") or []
        people += [user for user in members if user.get("team_id") == workspace_id]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return people


def person_fields(user: dict[str, Any]) -> dict[str, Any]:
    """The Person columns a Slack user object gives."""
    profile = user.get("profile") or {}
    return {
        "name": user.get("name") or "",
        "real_name": profile.get("real_name") or user.get("real_name") or "",
        "email": profile.get("email") or None,
        "tz": user.get("tz") or None,
        "deleted": bool(user.get("deleted")),
        "is_bot": bool(user.get("is_bot")) or user.get("id") == SLACKBOT,
        "is_admin": any(bool(user.get(flag)) for flag in ADMIN_FLAGS),
        **status_fields(profile),
    }


def status_fields(profile: dict[str, Any]) -> dict[str, Any]:
    """The person's Slack status as stored: text, emoji, and when Slack will clear it (0 or
    absent means never)."""
    expiration = profile.get("status_expiration") or 0
    try:
        expires = datetime.fromtimestamp(int(expiration), UTC) if int(expiration) > 0 else None
    except (TypeError, ValueError, OverflowError):
        expires = None
    return {
        "status_text": str(profile.get("status_text") or "")[:200],
        "status_emoji": str(profile.get("status_emoji") or "")[:100],
        "status_expires_at": expires,
    }


def upsert_user(session: Session, workspace_id: str, user: dict[str, Any], now: datetime) -> bool:
    """Store or update one Slack user; True when their zone or deletion changed (or they're new).

    An unchanged person is left untouched (not even `synced_at`), so a repeated sync writes nothing.
    """
    fields = person_fields(user)
    person = queries.get_person(session=session, workspace_id=workspace_id, user_id=user["id"])
    if person is None:
        session.add(Person(workspace_id=workspace_id, user_id=user["id"], synced_at=now, **fields))
        return True
    changed = {key: value for key, value in fields.items() if getattr(person, key) != value}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(person, key, value)
    person.synced_at = now
    session.add(person)
    return "tz" in changed or "deleted" in changed


def upsert_people(
    session: Session, workspace_id: str, users: list[dict[str, Any]], now: datetime
) -> list[str]:
    """Upsert many users; the ids of those whose schedule-relevant fields changed."""
    return [user["id"] for user in users if upsert_user(session, workspace_id, user, now)]


def sync_people(session: Session, client: WebClient, workspace_id: str, now: datetime) -> int:
    """Fetch and store every person of the workspace, re-plan whose clock moved; commits."""
    users = fetch_people(client, workspace_id)
    moved = upsert_people(session, workspace_id, users, now)
    session.flush()
    checkins.replan(session, workspace_id, moved, now)
    session.commit()
    log.info("synced %d people of %s (%d re-planned)", len(users), workspace_id, len(moved))
    return len(users)
