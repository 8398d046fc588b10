"""The audience's side of a concern: Reply and the status picker under it in a digest.

Only the concern's audience may answer; anyone else gets a kind refusal and nothing changes.
Audience members are not anonymous: their replies carry their name to the writer.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot.concerns import answer_views, views
from bot.concerns import rules as concerns
from bot.runtime.deps import Deps
from bot.views.kit import metadata
from storage.models import Concern


def register(app: App) -> None:
    app.action(views.REPLY_BUTTON)(open_reply)
    app.action(views.SET_STATUS)(choose_status)
    app.view(views.REPLY_MODAL)(submit_reply)
    app.view(views.WHY_MODAL)(submit_why)


def _t(key: str, **values: object) -> str:
    return prompts.text(f"concern.{key}", **values)


def _answerable(session: Session, context: BoltContext, ref: object) -> Concern | None:
    """The concern if it was delivered to the person clicking (a random ref, never an id)."""
    return concerns.answerable(
        session, workspace_id=context.team_id, ref=ref, user_id=context.user_id
    )


def _refuse(respond: Respond) -> None:
    respond(text=_t("answer.not_yours"), response_type="ephemeral", replace_original=False)


def open_reply(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    deps: Deps = context["deps"]
    with Session(deps.engine) as session:
        concern = _answerable(session, context, body["actions"][0].get("value"))
        if concern is None:
            _refuse(respond)
            return
        view = answer_views.reply_modal(concern)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def choose_status(
    ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond
) -> None:
    ack()
    deps: Deps = context["deps"]
    chosen = str((body["actions"][0].get("selected_option") or {}).get("value", ""))
    ref, _, status = chosen.partition(":")
    with Session(deps.engine) as session:
        concern = _answerable(session, context, ref)
        if concern is None or status not in concerns.STATUSES:
            _refuse(respond)
            return
        if status == "not_changing":
            view = answer_views.why_modal(concern)
        else:
            concerns.set_status(
                session, concern=concern, user_id=context.user_id, status=status, now=deps.clock()
            )
    if status == "not_changing":
        client.views_open(trigger_id=body["trigger_id"], view=view)
        return
    text = _t("answer.status_saved", status=views.status_label(status))
    respond(text=text, response_type="ephemeral", replace_original=False)


def _answer(context: BoltContext, view: dict, block_id: str) -> dict[str, Any]:
    """Store a reply or a "not changing" reason; the response for the modal."""
    deps: Deps = context["deps"]
    text = views.text_of(view.get("state", {}).get("values", {}), block_id)
    if not text or len(text) > concerns.NOTE_LIMIT:
        limit, length = concerns.NOTE_LIMIT, len(text)
        error = (
            _t("compose.too_long", limit=limit, length=length) if text else _t("compose.missing")
        )
        return {"response_action": "errors", "errors": {block_id: error}}
    with Session(deps.engine) as session:
        concern = _answerable(session, context, metadata(view).get("concern"))
        if concern is None:
            return {"response_action": "errors", "errors": {block_id: _t("answer.not_yours")}}
        if block_id == "reply":
            concerns.reply(
                session, concern=concern, user_id=context.user_id, text=text, now=deps.clock()
            )
            saved = _t("answer.reply_saved")
        else:
            concerns.set_status(
                session,
                concern=concern,
                user_id=context.user_id,
                status="not_changing",
                reason=text,
                now=deps.clock(),
            )
            saved = _t("answer.status_saved", status=views.status_label("not_changing"))
    return {"response_action": "update", "view": answer_views.saved_modal(saved)}


def submit_reply(ack: Ack, context: BoltContext, view: dict) -> None:
    ack(**_answer(context, view, "reply"))


def submit_why(ack: Ack, context: BoltContext, view: dict) -> None:
    ack(**_answer(context, view, "why"))
