"""Keeping people in sync: `user_change` and `team_join` events."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot.checkin import away
from bot.checkin import rules as checkins
from bot.runtime.deps import Deps
from bot.setup.people import upsert_user


def register(app: App) -> None:
    app.event("user_change")(person_changed)
    app.event("team_join")(person_changed)


def person_changed(ack: Ack, event: dict, context: BoltContext) -> None:
    """A changed zone moves the person's schedule; a deactivated person stops at once; a
    Slack status cleared before it expires brings a waiting nudge forward."""
    ack()
    user = event.get("user") or {}
    if not isinstance(user, dict) or user.get("team_id") != context.team_id:
        return  # Slack Connect: people of other organisations are ignored
    deps: Deps = context["deps"]
    now = deps.clock()
    with Session(deps.engine) as session:
        if upsert_user(session, context.team_id, user, now):
            checkins.replan(session, context.team_id, [user["id"]], now)
        else:
            away.back_early(session, context.team_id, user["id"], now)
        session.commit()
