"""Setup modals for admins: objectives, teams, leaders (the schedule lives in admin_schedule)."""

from __future__ import annotations

from typing import Any

import prompts
from bot.org.config import ObjectiveSpec, OrgConfig, TeamSpec
from bot.setup.form import (
    checkbox,
    chosen,
    listed,
    modal,
    select,
    state,
    text_input,
    users_input,
)
from bot.views.kit import Block, actions, button, context, cut, escape, plain, section
from bot.views.kit import input_block as field

OBJECTIVES = "admin_objectives"
OBJECTIVE_ADD = "admin_objective_add"
OBJECTIVE_EDIT = "admin_objective_edit"  # value: the objective's key
OBJECTIVE_FORM = "admin_objective_form"
TEAMS = "admin_teams"
TEAM_CREATE = "admin_team_create"
TEAM_EDIT = "admin_team_edit"  # value: the team's key
TEAM_FORM = "admin_team_form"
TEAM_SCHEDULE = "admin_team_schedule"  # value: the team's key
TEAM_QUESTIONS = "questions_open"  # value: the team's key (bot.setup.question_views.OPEN)
LEADERS = "admin_leaders"
REFUSED = "admin_refused"
PARENTS = 99  # a static_select holds 100 options; one is "none"
NO_PARENT = "_none"

Loc = tuple[str | int, ...]
OBJECTIVE_FIELDS: dict[Loc, str] = {
    ("title",): "title",
    ("key",): "title",
    ("description",): "description",
    ("archived",): "archived",
}
TEAM_FIELDS: dict[Loc, str] = {
    ("name",): "name",
    ("key",): "key",
    ("manager",): "manager",
    ("members",): "members",
    ("parent",): "parent",
}
LEADERS_FIELDS: dict[Loc, str] = {
    ("leaders",): "leaders",
    ("admins",): "admins",
    ("leadership_channel",): "channel",
}


def refused_modal() -> dict[str, Any]:
    """What a non-admin sees instead of a setup modal."""
    text = prompts.text("admin.refused")
    return modal(
        prompts.text("admin.refused_title"), [section(text)], callback_id=REFUSED, submit=False
    )


def objectives_modal(objectives: list[ObjectiveSpec]) -> dict[str, Any]:
    """Every objective with an Edit button, and Add objective."""
    p = "admin.objectives."
    blocks = [
        context(prompts.text("admin.no_access")),
        section(prompts.text(p + "intro")),
        actions(button(prompts.text(p + "add"), OBJECTIVE_ADD, "add", style="primary")),
    ]
    lines = [
        section(
            prompts.text(
                p + "line",
                title=escape(item.title),
                archived=prompts.text(p + "archived_mark") if item.archived else "",
                description=escape(cut(item.description, 300)),
            ).strip(),
            button(prompts.text("admin.edit"), OBJECTIVE_EDIT, item.key),
        )
        for item in objectives
    ]
    blocks += listed(lines, len(objectives)) or [context(prompts.text(p + "empty"))]
    return modal(prompts.text(p + "title"), blocks, callback_id=OBJECTIVES, submit=False)


def objective_form(objective: ObjectiveSpec | None) -> dict[str, Any]:
    """Add (None) or edit one objective."""
    p = "admin.objectives."
    archived = objective is not None and objective.archived
    archive = checkbox(prompts.text(p + "archived_option"), "archived", checked=archived)
    blocks = [
        field(
            "title",
            prompts.text(p + "title_label"),
            text_input(objective.title if objective else "", limit=150),
            hint=prompts.text(p + "title_hint"),
        ),
        field(
            "description",
            prompts.text(p + "description_label"),
            text_input(objective.description if objective else "", limit=500, multiline=True),
            optional=True,
            hint=prompts.text(p + "description_hint"),
        ),
    ]
    if objective is not None:  # a new objective has nothing to archive
        blocks.append(
            field(
                "archived",
                prompts.text(p + "archived_label"),
                archive,
                optional=True,
                hint=prompts.text(p + "archived_hint"),
            )
        )
    title = prompts.text(p + ("edit_title" if objective else "add_title"))
    meta = {"key": objective.key if objective else ""}
    return modal(title, blocks, callback_id=OBJECTIVE_FORM, submit=True, meta=meta)


def teams_modal(teams: list[TeamSpec]) -> dict[str, Any]:
    """Every team with an Edit button, and Create team."""
    p = "admin.teams."
    names = {team.key: team.name for team in teams}
    blocks = [
        context(prompts.text("admin.no_access")),
        section(prompts.text(p + "intro")),
        actions(button(prompts.text(p + "create"), TEAM_CREATE, "create", style="primary")),
    ]
    lines = [
        section(
            prompts.text(
                p + "line",
                name=escape(team.name),
                team_key=escape(team.key),
                manager=f"<@{escape(team.manager)}>",
                members=len(team.members),
                parent=escape(names.get(team.parent or "", prompts.text("admin.none"))),
            ),
            button(prompts.text("admin.edit"), TEAM_EDIT, team.key),
        )
        for team in teams
    ]
    blocks += listed(lines, len(teams)) or [context(prompts.text(p + "empty"))]
    return modal(prompts.text(p + "title"), blocks, callback_id=TEAMS, submit=False)


def descendants(teams: list[TeamSpec], key: str) -> set[str]:
    """`key` and every team below it: none of them can be its parent."""
    found, grew = {key}, True
    while grew:
        below = {team.key for team in teams if team.parent in found}
        grew = not below <= found
        found |= below
    return found


def team_form(team: TeamSpec | None, teams: list[TeamSpec]) -> dict[str, Any]:
    """Create (None) or edit a team: name, key (new teams), manager, members, parent."""
    p = "admin.teams."
    barred = descendants(teams, team.key) if team else set()
    parents = [(other.name, other.key) for other in teams if other.key not in barred]
    choices = [(prompts.text(p + "parent_none"), NO_PARENT), *parents[:PARENTS]]
    manager: Block = {"type": "users_select"}
    if team is not None:
        manager["initial_user"] = team.manager
    blocks = [
        field(
            "name", prompts.text(p + "name_label"), text_input(team.name if team else "", limit=150)
        )
    ]
    if team is None:
        blocks.append(
            field(
                "key",
                prompts.text(p + "key_label"),
                text_input(limit=64),
                optional=True,
                hint=prompts.text(p + "key_hint"),
            )
        )
    blocks += [
        field("manager", prompts.text(p + "manager_label"), manager),
        field(
            "members",
            prompts.text(p + "members_label"),
            users_input(team.members if team else []),
            optional=True,
            hint=prompts.text(p + "members_hint"),
        ),
        field(
            "parent",
            prompts.text(p + "parent_label"),
            select(choices, (team.parent if team else None) or NO_PARENT),
            optional=True,
        ),
    ]
    if len(parents) > PARENTS:
        blocks.append(context(prompts.text(p + "parents_cut", count=PARENTS)))
    if team is not None:
        which = prompts.text(p + ("schedule_own" if team.schedule else "schedule_org"))
        blocks.append(
            section(
                prompts.text(p + "schedule_text", which=which),
                button(prompts.text(p + "schedule_button"), TEAM_SCHEDULE, team.key),
            )
        )
        asks = "questions_own" if team.questions else "questions_org"
        blocks.append(
            section(
                prompts.text(p + asks, count=len(team.questions or [])),
                button(prompts.text(p + "questions_button"), TEAM_QUESTIONS, team.key),
            )
        )
    title = prompts.text(p + ("edit_title" if team else "add_title"))
    meta = {"key": team.key if team else ""}
    return modal(title, blocks, callback_id=TEAM_FORM, submit=True, meta=meta)


def leaders_modal(config: OrgConfig, *, warning: str | None = None) -> dict[str, Any]:
    """The leadership group, leadbot's admins and the leadership channel.

    With a `warning` (people outside the group read the channel), it keeps what was chosen and
    saving again confirms that channel.
    """
    p = "admin.leaders."
    channel: Block = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if config.leadership_channel:
        channel["initial_conversation"] = config.leadership_channel
    blocks = [
        context(prompts.text("admin.no_access")),
        section(warning or prompts.text(p + "intro")),
        field(
            "leaders", prompts.text(p + "leaders_label"), users_input(config.leaders), optional=True
        ),
        field(
            "admins",
            prompts.text(p + "admins_label"),
            users_input(config.admins),
            optional=True,
            hint=prompts.text(p + "admins_hint"),
        ),
        field(
            "channel",
            prompts.text(p + "channel_label"),
            channel,
            optional=True,
            hint=prompts.text(p + "channel_hint"),
        ),
    ]
    if warning is None:
        return modal(prompts.text(p + "title"), blocks, callback_id=LEADERS, submit=True)
    meta = {"confirm": config.leadership_channel}
    view = modal(prompts.text(p + "title"), blocks, callback_id=LEADERS, submit=True, meta=meta)
    return {**view, "submit": plain(prompts.text("access.save_anyway"), 24)}


def read_objective(values: dict[str, Any]) -> dict[str, Any]:
    """title, description, archived, as the org file spells them."""
    return {
        "title": (state(values, "title").get("value") or "").strip(),
        "description": (state(values, "description").get("value") or "").strip(),
        "archived": bool(state(values, "archived").get("selected_options")),
    }


def read_team(values: dict[str, Any]) -> dict[str, Any]:
    """name, key (empty unless typed), manager, members, parent, as the org file spells them."""
    parent = chosen(values, "parent")
    return {
        "name": (state(values, "name").get("value") or "").strip(),
        "key": (state(values, "key").get("value") or "").strip(),
        "manager": state(values, "manager").get("selected_user") or "",
        "members": list(dict.fromkeys(state(values, "members").get("selected_users") or [])),
        "parent": None if parent in (None, NO_PARENT) else parent,
    }


def read_leaders(values: dict[str, Any]) -> dict[str, Any]:
    """leaders, admins, leadership_channel, as the org file spells them."""
    return {
        "leaders": list(dict.fromkeys(state(values, "leaders").get("selected_users") or [])),
        "admins": list(dict.fromkeys(state(values, "admins").get("selected_users") or [])),
        "leadership_channel": state(values, "channel").get("selected_conversation") or None,
    }
