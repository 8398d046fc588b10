"""App Home: published on `app_home_opened`, and again after anything that changes it."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

import prompts
from bot.digest.leadership_views import execution_line, raised_line
from bot.home import views
from bot.home.gather import gather
from bot.org.plan import load_config
from bot.setup.edit import slack_admin
from bot.strategy import rules as strategy
from bot.views.kit import cut, escape, quoted

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(views.SEE_ALL)(see_all)


def concern_actions() -> tuple[str | None, str | None]:
    """The concern buttons' action ids, when the concern surface is installed."""
    try:
        from bot.concerns import views as concern
    except ImportError:
        return None, None
    return concern.RAISE, concern.CHECK


def publish_home(
    client: WebClient, session: Session, workspace_id: str, user_id: str, now: datetime
) -> None:
    """Build and publish one person's Home tab."""
    data = gather(session, workspace_id, user_id, now)
    if data.config is None and not data.is_admin:
        data.is_admin = _slack_admin(client, workspace_id, user_id)  # first setup, no org yet
    raise_action, check_action = concern_actions()
    view = views.home_view(data, raise_action=raise_action, check_action=check_action)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        logger.warning("views.publish failed: %s", error.response.get("error"))


def home_opened(ack: Ack, event: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    if event.get("tab") not in (None, "home"):
        return
    deps = context["deps"]
    with Session(deps.engine) as session:
        publish_home(client, session, context.team_id, context.user_id, deps.clock())


def see_all(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The full list behind a "See all" button, in a modal."""
    ack()
    what = body["actions"][0].get("value", "")
    deps = context["deps"]
    with Session(deps.engine) as session:
        view = _list_view(session, context.team_id, context.user_id, what, deps.clock())
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _list_view(
    session: Session, workspace_id: str, user_id: str, what: str, now: datetime
) -> dict | None:
    config = load_config(session, workspace_id)
    if config is None:
        return None
    if what in ("execution", "raised"):
        data = gather(session, workspace_id, user_id, now)
        if data.execution is None or data.now is None:
            return None  # not a leader
        if what == "execution":
            lines = [execution_line(m) for m in data.execution]
        else:
            lines = [raised_line(row, data.names, data.now) for row in data.raised]
        heading = prompts.text(f"home.{what}_all")
        return views.list_modal(prompts.text("home.execution_title"), heading, lines or ["—"])
    if what == "objectives":
        lines = [views.objective_line(o) for o in config.objectives if not o.archived]
        return views.list_modal(
            prompts.text("home.objectives_heading"), prompts.text("home.objectives_heading"), lines
        )
    if what == "mine":
        titles = {o.key: o.title for o in config.objectives}
        mine = strategy.latest_by_objective(session, workspace_id, user_id)
        lines = [
            f"*{escape(titles.get(k, 'Something else'))}* — “{quoted(cut(r.progress or '', 300))}”"
            for k, r in mine.items()
        ]
        return views.list_modal(
            prompts.text("home.alignment_heading"), prompts.text("home.alignment_heading"), lines
        )
    data = gather(session, workspace_id, user_id, now)
    if what == "teams":
        lines = [f"• *{escape(t.name)}* — {t.answered} of {t.expected}" for t in data.teams]
        return views.list_modal("My teams", "My teams", lines)
    if what.startswith("map:"):
        team = next((t for t in data.teams if t.name == what[4:]), None)
        if team is None:
            return None
        lines = [
            prompts.text("home.team_map_line", title=escape(title), count=count, size=team.size)
            for title, count in team.map
        ]
        return views.list_modal(prompts.text("home.team_map"), escape(team.name), lines)
    return None


def _slack_admin(client: WebClient, workspace_id: str, user_id: str) -> bool:
    """Whether Slack says this person is a workspace admin or owner (users.info)."""
    try:
        return slack_admin(client.users_info(user=user_id).get("user"), workspace_id)
    except SlackApiError as error:
        logger.warning("users.info failed: %s", error.response.get("error"))
        return False
