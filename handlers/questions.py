"""App Home → Questions: a team's manager (their teams) and leadbot's admins (any team, and the
organisation's questions) add, edit, remove, reorder and preview the check-in's questions.

Who may change a team's questions is checked fresh on every click and submission. A change is
saved like an org file import (the same checks, the same path to the database), so the open
period keeps the questions it began with.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

import prompts
from bot.org import access
from bot.org.config import OrgConfig, QuestionSpec
from bot.org.file import plain_message
from bot.org.plan import load_config
from bot.runtime.deps import Deps
from bot.setup import edit as orgedit
from bot.setup import question_views as views
from bot.setup.apply import apply_config
from bot.views.kit import escape, metadata, notice_modal
from handlers.admin import may_configure, workspace_name
from handlers.home import publish_home

logger = logging.getLogger(__name__)
Questions = list[dict[str, Any]]


def register(app: App) -> None:
    app.action(views.OPEN)(open_questions)
    app.action(views.ADD)(add_question)
    app.action(views.MENU)(question_menu)
    app.action(views.PREVIEW)(preview)
    app.action(views.RESET)(reset)
    app.view(views.FORM)(submit_question)
    app.view(views.PREVIEWED)(close_preview)


def close_preview(ack: Ack) -> None:
    """Save in a preview only closes it, back to the list: nothing is stored."""
    ack()


def _deps(context: BoltContext) -> Deps:
    return context["deps"]


def _config(context: BoltContext) -> OrgConfig | None:
    with Session(_deps(context).engine) as session:
        return load_config(session, context.team_id)


def may_edit(client: WebClient, config: OrgConfig | None, context: BoltContext, team: str) -> bool:
    """A team's manager may change its questions; an admin any team's, and the organisation's."""
    if config is None:
        return False
    known = next((t for t in config.teams if t.key == team), None)
    if team and known is None:
        return False
    if known is not None and known.manager == context.user_id:
        return True
    return may_configure(client, config, context)


def _refusal(team: str) -> str:
    return prompts.text("questions.only_managers" if team else "questions.only_admins")


def open_questions(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """A team's questions: from its manager's App Home, or an admin's team form (the
    organisation's are the admins' Questions button in App Home, with the other setup)."""
    ack()
    team = body["actions"][0].get("value", "")
    config = _config(context)
    if config is None or not may_edit(client, config, context, team):
        view = notice_modal(_refusal(team))
    else:
        view = views.list_modal(config, team)
    if (body.get("view") or {}).get("type") == "modal":  # over the team form it came from
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def add_question(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    team = body["actions"][0].get("value", "")
    config = _config(context)
    if not may_edit(client, config, context, team):
        client.views_push(trigger_id=body["trigger_id"], view=notice_modal(_refusal(team)))
        return
    client.views_push(trigger_id=body["trigger_id"], view=views.question_form(team, None))


def preview(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The check-in exactly as a member will see it, over the list (nothing to save)."""
    ack()
    team = body["actions"][0].get("value", "")
    config = _config(context)
    if config is None or not may_edit(client, config, context, team):
        client.views_push(trigger_id=body["trigger_id"], view=notice_modal(_refusal(team)))
        return
    view = views.preview_modal(config, team, config.anonymity.min_group_size)
    client.views_push(trigger_id=body["trigger_id"], view=view)


def question_menu(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """Edit pushes the form; move up, move down and remove save at once and redraw the list."""
    ack()
    team = str(metadata(body.get("view") or {}).get("team") or "")
    move, _, key = str(
        (body["actions"][0].get("selected_option") or {}).get("value", "")
    ).partition(":")
    config = _config(context)
    if config is None or not may_edit(client, config, context, team):
        client.views_push(trigger_id=body["trigger_id"], view=notice_modal(_refusal(team)))
        return
    current = [q.model_dump(mode="json") for q in _asked(config, team)]
    found = next((at for at, q in enumerate(current) if q["key"] == key), None)
    view_id = (body.get("view") or {}).get("id")
    if found is None:
        _show(
            client, view_id, views.list_modal(config, team, notice=prompts.text("questions.gone"))
        )
        return
    if move == "edit":
        question = QuestionSpec.model_validate(current[found])
        client.views_push(trigger_id=body["trigger_id"], view=views.question_form(team, question))
        return
    changed = _moved(current, found, move)
    if changed is None:
        return
    notice = (
        prompts.text("questions.removed", text=escape(current[found]["text"]))
        if move == "remove"
        else None
    )
    _change(client, context, team, changed, view_id, notice)


def _moved(current: Questions, at: int, move: str) -> Questions | None:
    """The list with one question moved within its lens, or removed."""
    if move == "remove":
        return current[:at] + current[at + 1 :]
    lens = current[at]["lens"]
    same = [k for k, q in enumerate(current) if q["lens"] == lens]
    place = same.index(at) + (-1 if move == "up" else 1 if move == "down" else 0)
    if place == same.index(at) or not 0 <= place < len(same):
        return None
    other = same[place]
    changed = list(current)
    changed[at], changed[other] = changed[other], changed[at]
    return changed


def reset(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """A team back on the organisation's questions (from its next period)."""
    ack()
    team = body["actions"][0].get("value", "")
    config = _config(context)
    if not team or config is None or not may_edit(client, config, context, team):
        client.views_push(trigger_id=body["trigger_id"], view=notice_modal(_refusal(team)))
        return
    view_id = (body.get("view") or {}).get("id")
    _change(client, context, team, None, view_id, prompts.text("questions.reset_done"))


def submit_question(ack: Ack, client: WebClient, context: BoltContext, view: dict) -> None:
    """Add or edit one question; a refusal shows on the field it is about, nothing saved."""
    meta = metadata(view)
    team, key = str(meta.get("team") or ""), str(meta.get("key") or "")
    values = views.read_form(view["state"]["values"])
    config = _config(context)
    if config is None or not may_edit(client, config, context, team):
        ack(response_action="errors", errors={"text": _refusal(team)})
        return
    current = [q.model_dump(mode="json") for q in _asked(config, team)]
    if key:
        at = next((k for k, q in enumerate(current) if q["key"] == key), None)
        if at is None:
            ack(response_action="errors", errors={"text": prompts.text("questions.gone")})
            return
        current[at] = {"key": key, **values}
    else:
        taken = {q["key"] for q in current}
        current.append({"key": orgedit.question_key(values["text"], taken), **values})
    try:
        QuestionSpec.model_validate(current[at] if key else current[-1])
    except ValidationError as error:
        message = plain_message(str(error.errors()[0]["msg"]))
        ack(response_action="errors", errors={views.block_for(message): _kind(message)})
        return
    saved = _save(client, context, team, current, ack=ack)
    if isinstance(saved, OrgConfig):
        notice = prompts.text("questions.saved")
        _show(client, view.get("previous_view_id"), views.list_modal(saved, team, notice=notice))


def _kind(message: str) -> str:
    """A refusal for the form: the key is the form's own, so it is left out."""
    text = message.split(": ", 1)[1] if message.startswith("question ") else message
    return text[:1].upper() + text[1:]


def _asked(config: OrgConfig, team: str) -> list[QuestionSpec]:
    """What the scope asks today: a team's own list, or what it follows."""
    if team:
        return list(config.questions_of(team))
    return views.org_questions(config)


def _change(
    client: WebClient,
    context: BoltContext,
    team: str,
    questions: Questions | None,
    view_id: str | None,
    notice: str | None,
) -> None:
    saved = _save(client, context, team, questions)
    if isinstance(saved, OrgConfig):
        _show(client, view_id, views.list_modal(saved, team, notice=notice))
        return
    config = _config(context)  # refused: the list as it stands, saying why
    if config is not None:
        _show(client, view_id, views.list_modal(config, team, notice=escape(saved)))


def _save(
    client: WebClient,
    context: BoltContext,
    team: str,
    questions: Questions | None,
    *,
    ack: Ack | None = None,
) -> OrgConfig | str:
    """Check the change like an org file and store it: the saved config, or the refusal in
    kind words. With `ack` (a form), a refusal is shown on the form and a success closes it."""
    deps = _deps(context)
    now, workspace_id = deps.clock(), context.team_id or ""
    with Session(deps.engine) as session:
        old = load_config(session, workspace_id)
        form = orgedit.Form({}, fallback="text")

        def change(data: dict) -> tuple[dict, Any]:
            return orgedit.with_questions(data, team, questions)

        try:
            config = orgedit.prepare(session, client, workspace_id, old, change, form, now)
        except orgedit.Refused as refused:
            session.rollback()
            message = _kind(next(iter(refused.errors.values())))
            if ack is not None:
                ack(response_action="errors", errors={"text": message})
            return message
        if ack is not None:
            ack()
        by = access.Author(access.HOME, context.user_id)
        apply_config(
            session, workspace_id, workspace_name(session, client, workspace_id), config, now, by=by
        )
        session.commit()
        publish_home(client, session, workspace_id, context.user_id or "", now)
    return config


def _show(client: WebClient, view_id: str | None, view: dict[str, Any]) -> None:
    if view_id:
        client.views_update(view_id=view_id, view=view)
