"""Setup inside Slack: App Home's admin buttons, their modals, and saving what admins change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

import prompts
from bot.home.views import ADMIN
from bot.org import access
from bot.org.config import OrgConfig
from bot.org.plan import load_config
from bot.runtime.deps import Deps
from bot.setup import edit as orgedit
from bot.setup import question_views, schedule_views, views
from bot.setup.apply import apply_config
from bot.views.kit import metadata
from handlers.home import publish_home
from storage import queries

logger = logging.getLogger(__name__)
Build = Callable[[OrgConfig], dict[str, Any] | None]
# Looks at a checked change before it is saved: a view asking to confirm it, or None to save.
Check = Callable[[Session, OrgConfig | None, OrgConfig], dict[str, Any] | None]


def register(app: App) -> None:
    app.action(ADMIN)(open_setup)
    app.action(views.OBJECTIVE_ADD)(push_objective)
    app.action(views.OBJECTIVE_EDIT)(push_objective)
    app.action(views.TEAM_CREATE)(push_team)
    app.action(views.TEAM_EDIT)(push_team)
    app.action(views.TEAM_SCHEDULE)(push_team_schedule)
    app.view(views.OBJECTIVE_FORM)(submit_objective)
    app.view(views.TEAM_FORM)(submit_team)
    app.view(views.LEADERS)(submit_leaders)
    app.view(schedule_views.SCHEDULE)(submit_schedule)


def open_setup(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """App Home's Objectives / Teams / Leaders / Schedule / Questions buttons."""
    ack()
    builders: dict[str, Build] = {
        "objectives": lambda config: views.objectives_modal(config.objectives),
        "teams": lambda config: views.teams_modal(config.teams),
        "leaders": views.leaders_modal,
        "schedule": schedule_views.schedule_modal,
        "questions": lambda config: question_views.list_modal(config, ""),
    }
    part = body["actions"][0].get("action_id", "").removeprefix("admin_open_")
    build = builders.get(part)
    view = _guarded(client, context, build) if build else None
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def push_objective(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The objective form over the Objectives list: empty to add, filled to edit."""
    ack()
    key = _edited(body, views.OBJECTIVE_EDIT)

    def build(config: OrgConfig) -> dict[str, Any] | None:
        found = next((item for item in config.objectives if item.key == key), None)
        return None if key and found is None else views.objective_form(found)

    _push(body, client, context, build)


def push_team(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The team form over the Teams list: empty to create, filled to edit."""
    ack()
    key = _edited(body, views.TEAM_EDIT)

    def build(config: OrgConfig) -> dict[str, Any] | None:
        found = next((team for team in config.teams if team.key == key), None)
        return None if key and found is None else views.team_form(found, config.teams)

    _push(body, client, context, build)


def push_team_schedule(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """One team's own schedule, over its team form."""
    ack()
    key = body["actions"][0].get("value", "")

    def build(config: OrgConfig) -> dict[str, Any] | None:
        known = any(team.key == key for team in config.teams)
        return schedule_views.schedule_modal(config, key) if known else None

    _push(body, client, context, build)


def submit_objective(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    key = str(metadata(view).get("key") or "")
    values = views.read_objective(view["state"]["values"])
    edit = Edit(
        lambda data: orgedit.with_objective(data, key, values),
        orgedit.Form(views.OBJECTIVE_FIELDS, fallback="title"),
        {"root_view_id": lambda config: views.objectives_modal(config.objectives)},
    )
    _save(ack, client, context, view, edit)


def submit_team(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    key = str(metadata(view).get("key") or "")
    values = views.read_team(view["state"]["values"])
    people = {"manager": [values["manager"]], "members": values["members"]}
    edit = Edit(
        lambda data: orgedit.with_team(data, key, values),
        orgedit.Form(views.TEAM_FIELDS, "name", people, whole="parent", late="members"),
        {"root_view_id": lambda config: views.teams_modal(config.teams)},
    )
    _save(ack, client, context, view, edit)


def submit_leaders(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    values = views.read_leaders(view["state"]["values"])
    people = {"leaders": values["leaders"], "admins": values["admins"]}
    form = orgedit.Form(views.LEADERS_FIELDS, fallback="leaders", people=people)
    confirmed = metadata(view).get("confirm")

    def check(session: Session, old: OrgConfig | None, new: OrgConfig) -> dict[str, Any] | None:
        """Non-leaders in the leadership channel are named once; saving again keeps it."""
        if new.leadership_channel and new.leadership_channel == confirmed:
            return None
        found = access.check_channel(
            client, session, context.team_id or "", old, new, context.bot_user_id
        )
        if found.refusal:
            raise orgedit.Refused({"channel": found.refusal})
        return views.leaders_modal(new, warning=found.warning) if found.warning else None

    edit = Edit(lambda d: orgedit.with_settings(d, values), form, check=check)
    _save(ack, client, context, view, edit)


def submit_schedule(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    """The organisation's schedule, or with a team in private_metadata, that team's own."""
    values = view["state"]["values"]
    key = str(metadata(view).get("team") or "")
    form = orgedit.Form(schedule_views.SCHEDULE_FIELDS, "checkin_time", late="checkin_time")
    if not key:
        settings = schedule_views.read_org(values)
        _save(ack, client, context, view, Edit(lambda d: orgedit.with_settings(d, settings), form))
        return
    own = None if schedule_views.follows_org(values) else schedule_views.read_rhythm(values)
    calendar = schedule_views.read_calendar(values)

    def team_form(config: OrgConfig) -> dict[str, Any] | None:
        team = next((team for team in config.teams if team.key == key), None)
        return views.team_form(team, config.teams) if team else None

    refresh = {
        "root_view_id": lambda config: views.teams_modal(config.teams),
        "previous_view_id": team_form,
    }
    edit = Edit(lambda data: orgedit.with_team_schedule(data, key, own, calendar), form, refresh)
    _save(ack, client, context, view, edit)


def _edited(body: dict, edit_action: str) -> str:
    """The key an Edit button names; "" for Add / Create."""
    action = body["actions"][0]
    return str(action.get("value") or "") if action.get("action_id") == edit_action else ""


def _guarded(client: WebClient, context: BoltContext, build: Build) -> dict[str, Any] | None:
    """The modal `build` makes for an admin; the "only admins" modal for anyone else."""
    deps: Deps = context["deps"]
    with Session(deps.engine) as session:
        config = load_config(session, context.team_id)
    if not may_configure(client, config, context):
        return views.refused_modal()
    return build(config or OrgConfig(teams=[]))


def _push(body: dict, client: WebClient, context: BoltContext, build: Build) -> None:
    view = _guarded(client, context, build)
    if view is not None:
        client.views_push(trigger_id=body["trigger_id"], view=view)


def may_configure(client: WebClient, config: OrgConfig | None, context: BoltContext) -> bool:
    """Checked fresh on every action and submission: listed in `admins`, or a Slack admin."""
    user_id = context.user_id or ""
    if config is not None and user_id in config.admins:
        return True
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        logger.warning("users.info failed: %s", error.response.get("error"))
        return False
    return orgedit.slack_admin(user, context.team_id or "")


@dataclass(frozen=True)
class Edit:
    """One submitted form: the change it makes, where its problems show, the views to redraw."""

    change: orgedit.Change
    form: orgedit.Form
    refresh: dict[str, Build] = field(default_factory=dict)  # "root_view_id" → its new view
    check: Check | None = None


def _save(ack: Ack, client: WebClient, context: BoltContext, view: dict, edit: Edit) -> None:
    """Check the change like an org file, answer inline if it can't be saved, else apply it."""
    deps: Deps = context["deps"]
    now, workspace_id = deps.clock(), context.team_id or ""
    with Session(deps.engine) as session:
        old = load_config(session, workspace_id)
        if not may_configure(client, old, context):
            refusal = prompts.text("admin.refused_short")
            ack(response_action="errors", errors={edit.form.fallback: refusal})
            return
        try:
            config = orgedit.prepare(
                session, client, workspace_id, old, edit.change, edit.form, now
            )
            confirm = edit.check(session, old, config) if edit.check else None
        except orgedit.Refused as refused:
            session.rollback()
            ack(response_action="errors", errors=refused.errors)
            return
        if confirm is not None:
            session.rollback()
            ack(response_action="update", view=confirm)
            return
        ack()
        by = access.Author(access.HOME, context.user_id)
        name = workspace_name(session, client, workspace_id)
        apply_config(session, workspace_id, name, config, now, by=by)
        session.commit()
        _redraw(client, view, edit.refresh, config)
        publish_home(client, session, workspace_id, context.user_id or "", now)


def _redraw(client: WebClient, view: dict, refresh: dict[str, Build], config: OrgConfig) -> None:
    """Show the saved state in the modals still open under the form that was just closed."""
    for which, build in refresh.items():
        new = build(config)
        if view.get(which) and new is not None:
            client.views_update(view_id=view[which], view=new)


def workspace_name(session: Session, client: WebClient, workspace_id: str) -> str:
    """The workspace's stored name; for a first setup made in Slack, what auth.test says."""
    workspace = queries.get_workspace(session=session, workspace_id=workspace_id)
    return workspace.name if workspace is not None else str(client.auth_test().get("team") or "")
