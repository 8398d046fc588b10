"""Digest actions: Reply privately to something a person shared in their check-in."""

from __future__ import annotations

import json

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot.digest.views import REPLY_MODAL, REPLY_PRIVATELY, reply_modal
from bot.runtime.deps import Deps
from bot.views.kit import cut, escape, quoted, section
from storage import queries
from storage.models import Checkin

REPLY_LIMIT = 2000
FIELDS = ("moved", "blocked", "learned")


def register(app: App) -> None:
    app.action(REPLY_PRIVATELY)(open_reply)
    app.view(REPLY_MODAL)(send_reply)


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
