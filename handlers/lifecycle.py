"""`app_uninstalled` and `tokens_revoked`: stop sending for the workspace and drop its tokens."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot.runtime.deps import Clock, Deps
from bot.runtime.recently import Recently
from bot.workspace import lifecycle
from bot.workspace.oauth import installation_store

logger = logging.getLogger(__name__)


STOPPING = ("app_uninstalled", "tokens_revoked")
INSTALLED = "installed"  # the context key of the workspaces this process saw installed lately
CHECK_AGAIN = 60.0  # seconds before a workspace seen installed is checked again


def register(app: App, clock: Clock) -> dict[str, object]:
    """Register the listeners; the workspaces seen installed lately, for their context."""
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
    return {INSTALLED: Recently(CHECK_AGAIN, clock)}


def resume_if_back(body: dict, context: BoltContext) -> None:
    """A verified request from an uninstalled workspace means it installed leadbot again
    (with SLACK_BOT_TOKEN there is no OAuth redirect to tell us): resume it. One short
    transaction, ended before any listener runs, at most once a minute per workspace and
    process (an uninstall by another process is noticed within that minute). Called by the
    app's one global middleware (bot/app.py)."""
    deps: Deps = context["deps"]
    installed: Recently = context[INSTALLED]
    event = body.get("event")
    kind = event.get("type") if isinstance(event, dict) else None
    workspace_id = context.team_id
    if workspace_id and kind not in STOPPING and workspace_id not in installed:
        with Session(deps.engine) as session:
            marked = lifecycle.is_uninstalled(session, workspace_id)
        if marked:
            lifecycle.reinstalled(deps.engine, workspace_id, deps.clock())
        installed.add(workspace_id)


def app_uninstalled(ack: Ack, context: BoltContext) -> None:
    ack()
    stop_workspace(context)


def tokens_revoked(ack: Ack, event: dict, context: BoltContext) -> None:
    """Without its bot token leadbot can do nothing in the workspace: the same as uninstalled.

    Revoked user tokens change nothing: leadbot asks for none.
    """
    ack()
    tokens = event.get("tokens")
    if isinstance(tokens, dict) and tokens.get("bot"):
        stop_workspace(context)


def stop_workspace(context: BoltContext) -> None:
    """Cancel everything pending, mark the workspace, and delete its stored tokens (OAuth)."""
    deps: Deps = context["deps"]
    workspace_id = context.team_id
    if not workspace_id:
        return
    context[INSTALLED].discard(workspace_id)
    lifecycle.uninstall(deps.engine, workspace_id, deps.clock())
    if deps.settings.oauth:
        store = installation_store(deps.settings, deps.engine)
        store.delete_all(enterprise_id=context.enterprise_id, team_id=workspace_id)
