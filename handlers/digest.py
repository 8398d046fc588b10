"""Digest actions: Reply privately to something a person shared in their check-in, Raise a
blocker to leadership, and a leader's answer to a raised blocker."""

from __future__ import annotations

import json

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot.digest import raised
from bot.digest.leadership_views import RAISED_ANSWER, RAISED_ANSWER_MODAL, answer_modal
from bot.digest.views import (
    RAISE,
    RAISE_MODAL,
    REPLY_MODAL,
    REPLY_PRIVATELY,
    raise_modal,
    reply_modal,
)
from bot.org.plan import load_config
from bot.runtime.deps import Deps
from bot.views.kit import cut, escape, metadata, notice_modal, quoted, section
from storage import queries
from storage.models import Checkin

REPLY_LIMIT = 2000
FIELDS = ("moved", "blocked", "learned")


def register(app: App) -> None:
    app.action(REPLY_PRIVATELY)(open_reply)
    app.view(REPLY_MODAL)(send_reply)
    app.action(RAISE)(open_raise)
    app.view(RAISE_MODAL)(submit_raise)
    app.action(RAISED_ANSWER)(open_answer)
    app.view(RAISED_ANSWER_MODAL)(submit_answer)


def _answerable(
    session: Session, workspace_id: str, user_id: str, ref: str
) -> tuple[Checkin, str] | None:
    """The check-in and field behind a digest quote, if it was written to `user_id`.

    The value carries the check-in's random ref, never its id; and the reader is the manager
    recorded on the check-in when it was written, not whoever manages the team today.
    """
    checkin_ref, _, field = ref.partition(":")
    if not checkin_ref or field not in FIELDS:
        return None
    row = queries.checkin_by_ref(session=session, workspace_id=workspace_id, ref=checkin_ref)
    if row is None or row.manager_id != user_id or not getattr(row, field):
        return None
    return row, field


def open_reply(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    deps: Deps = context["deps"]
    ref = body["actions"][0].get("value", "")
    with Session(deps.engine) as session:
        found = _answerable(session, context.team_id, context.user_id, ref)
        if found is None:
            view = reply_modal(None, ref, refusal=prompts.text("digest.reply_not_yours"))
        else:
            row, field = found
            author = queries.get_person(
                session=session, workspace_id=context.team_id, user_id=row.user_id
            )
            view = reply_modal(
                author.display if author else row.user_id, ref, quote=getattr(row, field)
            )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def send_reply(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    deps: Deps = context["deps"]
    ref = json.loads(view.get("private_metadata") or "{}").get("ref", "")
    value = view["state"]["values"].get("reply", {}).get("value", {}).get("value") or ""
    text = value.strip()
    if not text or len(text) > REPLY_LIMIT:
        ack(
            response_action="errors",
            errors={
                "reply": prompts.text("checkin.modal.too_long", limit=REPLY_LIMIT, length=len(text))
                if text
                else prompts.text("strategy.modal.required")
            },
        )
        return
    with Session(deps.engine) as session:
        found = _answerable(session, context.team_id, context.user_id, ref)
        if found is None:
            ack(response_action="errors", errors={"reply": prompts.text("digest.reply_not_yours")})
            return
        row, field = found
        manager = queries.get_person(
            session=session, workspace_id=context.team_id, user_id=context.user_id
        )
    ack()
    message = prompts.text(
        "digest.reply_dm",
        manager=escape(manager.display if manager else "Your manager"),
        period=row.period,
        quote=quoted(cut(getattr(row, field), 300)),
        reply=quoted(text, lines=True).replace("\n", "\n>"),
    )
    client.chat_postMessage(channel=row.user_id, text=message, blocks=[section(message)])


def _value(view: dict, block: str) -> dict:
    return view["state"]["values"].get(block, {}).get("value", {})


def _name(session: Session, workspace_id: str, user_id: str | None) -> str:
    person = queries.get_person(session=session, workspace_id=workspace_id, user_id=user_id or "")
    return person.display if person else (user_id or "")


def open_raise(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """Raise to leadership, from a blocker in the manager's digest: only its manager may."""
    ack()
    deps: Deps = context["deps"]
    checkin_ref = body["actions"][0].get("value", "")
    with Session(deps.engine) as session:
        row = raised.raisable(session, context.team_id, context.user_id, checkin_ref)
        config = load_config(session, context.team_id)
        if row is None or config is None:
            view = raise_modal(None, checkin_ref, refusal=prompts.text("digest.raise_not_yours"))
        elif raised.raised_for(session, context.team_id, [checkin_ref]):
            view = notice_modal(prompts.text("digest.raised_twice"), "Raise to leadership")
        else:
            view = raise_modal(
                _name(session, context.team_id, row.user_id),
                checkin_ref,
                words=row.blocked or "",
                objectives=[(o.key, o.title) for o in config.objectives if not o.archived],
                chosen=row.objective_key,
            )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def submit_raise(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    deps: Deps = context["deps"]
    checkin_ref = str(metadata(view).get("ref", ""))
    objective = (_value(view, "objective").get("selected_option") or {}).get("value")
    note = (_value(view, "note").get("value") or "").strip()
    tell = bool(_value(view, "tell").get("selected_options"))
    if len(note) > raised.NOTE_LIMIT:
        limit = raised.NOTE_LIMIT
        message = prompts.text("digest.raise_modal.too_long", limit=limit, length=len(note))
        ack(response_action="errors", errors={"note": message})
        return
    with Session(deps.engine) as session:
        row = raised.raisable(session, context.team_id, context.user_id, checkin_ref)
        config = load_config(session, context.team_id)
        if row is None or config is None:
            ack(response_action="errors", errors={"note": prompts.text("digest.raise_not_yours")})
            return
        if objective is not None and objective not in {
            o.key for o in config.objectives if not o.archived
        }:
            message = prompts.text("digest.raise_modal.unknown_objective")
            ack(response_action="errors", errors={"objective": message})
            return
        team = queries.get_team(session=session, workspace_id=context.team_id, key=row.team_key)
        kept, new = raised.raise_blocker(
            session,
            config,
            row,
            team_name=team.name if team else (row.team_key or ""),
            objective_key=objective,
            note=note,
            tell=tell,
            now=deps.clock(),
        )
        manager = _name(session, context.team_id, context.user_id)
        person, period, words = kept.user_id, kept.period, kept.words or ""
    done = "digest.raised_done" if new else "digest.raised_twice"
    ack(response_action="update", view=notice_modal(prompts.text(done), "Raise to leadership"))
    if new and tell and person:
        message = prompts.text(
            "digest.raised_dm_person",
            manager=escape(manager),
            period=period,
            quote=quoted(cut(words, 300)),
        )
        client.chat_postMessage(channel=person, text=message, blocks=[section(message)])


def open_answer(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """A leader's Reply to a raised blocker: only the leaders of the day it was raised."""
    ack()
    deps: Deps = context["deps"]
    ref = body["actions"][0].get("value", "")
    with Session(deps.engine) as session:
        row = raised.answerable(session, context.team_id, context.user_id, ref)
        names = {row.manager_id: _name(session, context.team_id, row.manager_id)} if row else {}
        view = answer_modal(row, names, deps.clock())
    client.views_open(trigger_id=body["trigger_id"], view=view)


def submit_answer(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    deps: Deps = context["deps"]
    ref = str(metadata(view).get("ref", ""))
    status = (_value(view, "status").get("selected_option") or {}).get("value")
    text = (_value(view, "answer").get("value") or "").strip()
    if status not in raised.ANSWERS:
        ack(response_action="errors", errors={"status": prompts.text("concern.compose.pick")})
        return
    if status == raised.WONT_ACT and not text:
        why = prompts.text("digest.answer_modal.why_missing")
        ack(response_action="errors", errors={"answer": why})
        return
    if len(text) > raised.ANSWER_LIMIT:
        message = prompts.text(
            "checkin.modal.too_long", limit=raised.ANSWER_LIMIT, length=len(text)
        )
        ack(response_action="errors", errors={"answer": message})
        return
    with Session(deps.engine) as session:
        row = raised.answerable(session, context.team_id, context.user_id, ref)
        if row is None:
            not_yours = prompts.text("digest.answer_modal.not_yours")
            ack(response_action="errors", errors={"answer": not_yours})
            return
        row = raised.answer(session, row, context.user_id, status, text, deps.clock())
        leader = _name(session, context.team_id, context.user_id)
        manager = _name(session, context.team_id, row.manager_id)
        manager_id, person = row.manager_id, row.user_id if row.tell else None
        team, words = row.team_name, row.words or ""
    told = prompts.text("digest.answer_modal.person") if person else ""
    sent = prompts.text("digest.answer_modal.sent", manager=escape(manager), person=told)
    ack(response_action="update", view=notice_modal(sent, "Answer a blocker"))
    said = prompts.text(f"digest.statuses.{status}")
    answer = prompts.text("digest.answer_text", text=quoted(text)) if text else ""
    to_manager = prompts.text(
        "digest.answer_dm_manager",
        leader=escape(leader),
        team=escape(team),
        quote=quoted(cut(words, 300)),
        status=said,
        answer=answer,
    )
    client.chat_postMessage(channel=manager_id, text=to_manager, blocks=[section(to_manager)])
    if person:
        to_person = prompts.text(
            "digest.answer_dm_person", quote=quoted(cut(words, 300)), status=said, answer=answer
        )
        client.chat_postMessage(channel=person, text=to_person, blocks=[section(to_person)])
