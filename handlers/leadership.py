"""`/leadership`: help, pause, resume, a manager's digest of the week so far, and your data."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from sqlmodel import Session

import prompts
from bot.checkin.pause import PauseError, pause_end
from bot.digest import delivery as digests
from bot.digest.views import split_messages
from bot.org.config import zone_or
from bot.org.plan import load_config
from bot.org.schedule import upcoming_period
from bot.runtime.deps import Deps
from bot.views.kit import escape, slack_date
from handlers import yourdata
from storage import queries


def register(app: App) -> None:
    app.command("/leadership")(leadership_command)


def leadership_command(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
    ack()
    word, _, rest = (command.get("text") or "").strip().partition(" ")
    if word.lower() == "forget-me":
        yourdata.open_forget(context.client, command["trigger_id"])
        return
    actions = {"pause": pause, "resume": resume, "digest": digest, "help": None, "": None}
    actions["export"] = yourdata.export_mine
    action = actions.get(word.lower(), "unknown")
    if action is None:
        respond(text=prompts.text("leadership.help"), response_type="ephemeral")
    elif action == "unknown":
        unknown = prompts.text("leadership.unknown", word=escape(word[:40]))
        respond(text=f"{unknown}\n{prompts.text('leadership.help')}", response_type="ephemeral")
    else:
        respond(text=action(context, rest.strip()), response_type="ephemeral")


def pause(context: BoltContext, spec: str) -> str:
    deps: Deps = context["deps"]
    now = deps.clock()
    with Session(deps.engine) as session:
        config = load_config(session, context.team_id)
        person = queries.get_person(
            session=session, workspace_id=context.team_id, user_id=context.user_id
        )
        if config is None or person is None:
            return prompts.text("checkin.not_in_team")
        zone = zone_or(person.tz, config.zone)
        try:
            until = pause_end(spec, now, zone)
        except PauseError as error:
            return prompts.text("leadership.pause_usage", reason=escape(str(error)))
        person.paused_until = until
        session.add(person)
        session.commit()
    return prompts.text("leadership.paused", until=slack_date(until, zone))


def resume(context: BoltContext, _rest: str) -> str:
    deps: Deps = context["deps"]
    now = deps.clock()
    with Session(deps.engine) as session:
        person = queries.get_person(
            session=session, workspace_id=context.team_id, user_id=context.user_id
        )
        if person is None or person.paused_until is None or person.paused_until <= now:
            return prompts.text("leadership.not_paused")
        person.paused_until = None
        session.add(person)
        session.commit()
    return prompts.text("leadership.resumed")


def digest(context: BoltContext, _rest: str) -> str:
    """The open period's digest so far, by DM: no concerns, no energy, nothing marked sent."""
    deps: Deps = context["deps"]
    now = deps.clock()
    with Session(deps.engine) as session:
        config = load_config(session, context.team_id)
        teams = digests.managed(session, context.team_id, context.user_id)
        if config is None or not teams:
            return prompts.text("leadership.no_digest")
        zone = digests.manager_zone(session, config, context.team_id, context.user_id)
        label = upcoming_period(now, config.schedule_of(teams[0].key), zone, zone).label
        composed = digests.compose_manager(
            session, config, context.team_id, context.user_id, label, digest_at=None, preview=True
        )
    fallback = prompts.text("digest.header", period=label)
    for part in split_messages(composed.blocks):
        context.client.chat_postMessage(channel=context.user_id, text=fallback, blocks=part)
    return prompts.text("leadership.digest_sent", period=label)
