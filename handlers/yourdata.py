"""Your data: `/leadership export` (files by DM) and `/leadership forget-me` (a modal first)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

import prompts
from bot.runtime.deps import Deps
from bot.workspace import export
from bot.workspace import yourdata_views as views
from bot.workspace.forget import forget_person

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(views.FORGET)(submit_forget)


def open_forget(client: WebClient, trigger_id: str) -> None:
    """`/leadership forget-me`: nothing is erased before the person confirms in the modal."""
    client.views_open(trigger_id=trigger_id, view=views.forget_modal())


def submit_forget(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """Erase, then show what was erased in place of the confirmation."""
    deps: Deps = context["deps"]
    stop = views.stop_chosen((view.get("state") or {}).get("values") or {})
    with Session(deps.engine) as session:
        done = forget_person(session, context.team_id, context.user_id, deps.clock(), stop=stop)
    logger.info("a person asked to be forgotten; their answers are erased")
    ack(response_action="update", view=views.forgotten_modal(done, stopped=stop))


def export_mine(context: BoltContext, _rest: str) -> str:
    """`/leadership export`: the person's own data (and a manager's team's) as files, by DM."""
    deps: Deps = context["deps"]
    with Session(deps.engine) as session:
        datasets = export.person_export(session, context.team_id, context.user_id)
        team = export.team_export(session, context.team_id, context.user_id)
    uploads = [
        {"filename": name, "content": content, "title": name}
        for name, content in export.files({**datasets, **team}, prefix="leadbot-")
    ]
    try:
        channel = context.client.conversations_open(users=context.user_id)["channel"]["id"]
        context.client.files_upload_v2(
            file_uploads=uploads,
            channel=channel,
            initial_comment=prompts.text("yourdata.export_comment"),
        )
    except SlackApiError as error:
        logger.warning("export upload failed: %s", error.response.get("error"))
        return prompts.text("yourdata.export_failed")
    return prompts.text("yourdata.export_sent_team" if team else "yourdata.export_sent")
