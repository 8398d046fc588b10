"""App Home → Questions: a team's check-in questions (or the organisation's), edited in Slack.

The list shows each lens with its questions and the built-in ones; each question has a menu
(edit, move up, move down, remove). Add and Edit push the question form; Preview pushes the
check-in modal exactly as a member will see it, with nothing to save.
"""

from __future__ import annotations

from typing import Any

import prompts
from bot.checkin import views as checkin_views
from bot.org.config import (
    KINDS,
    LENSES,
    MAX_QUESTIONS,
    QUESTION_LIMIT,
    OrgConfig,
    QuestionSpec,
    default_questions,
)
from bot.setup.form import checkbox, modal, select, state, text_input
from bot.views.kit import Block, actions, button, context, escape, option, section
from bot.views.kit import input_block as field

LIST = "questions_list"  # private_metadata {"team": key or ""}; "" is the organisation's
FORM = "questions_form"  # private_metadata {"team": key or "", "key": question key or ""}
OPEN = "questions_open"  # value: a team's key ("" for the organisation's)
ADD = "questions_add"  # value: the team's key
MENU = "questions_menu"  # an overflow; option values "edit|up|down|remove:<question key>"
PREVIEW = "questions_preview"  # value: the team's key
RESET = "questions_reset"  # value: the team's key: back to the organisation's questions
PREVIEWED = "questions_previewed"  # the preview's callback id: submitting it stores nothing
MOVES = ("edit", "up", "down", "remove")
FIELDS = {  # where a refusal shows in the question form, by what it is about
    "lens": "lens",
    "kind": "kind",
    "option": "options",
    "scale": "options",
    "choice": "options",
    "listed twice": "text",
}


def scope_name(config: OrgConfig, team_key: str) -> str:
    if not team_key:
        return prompts.text("questions.org")
    team = next((team for team in config.teams if team.key == team_key), None)
    return team.name if team else team_key


def own_list(config: OrgConfig, team_key: str) -> list[QuestionSpec] | None:
    """The questions stored for this scope (None: it follows the organisation's, or leadbot's
    template)."""
    if not team_key:
        return list(config.questions) if config.questions is not None else None
    team = next((team for team in config.teams if team.key == team_key), None)
    return list(team.questions) if team and team.questions else None


def list_modal(config: OrgConfig, team_key: str, *, notice: str | None = None) -> dict[str, Any]:
    """The questions of a team (or the organisation), lens by lens, with their menus."""
    p = "questions."
    asked = list(config.questions_of(team_key)) if team_key else org_questions(config)
    name = escape(scope_name(config, team_key))
    intro = prompts.text(p + ("team_intro" if team_key else "org_intro"), team=name)
    blocks: list[Block] = [section(intro)]
    if own_list(config, team_key) is None:
        follows = "follows_org" if team_key and config.questions is not None else "follows_template"
        blocks.append(context(prompts.text(p + follows)))
    if notice:
        blocks.append(context(notice))
    for lens in LENSES:
        blocks.append(section(f"*{prompts.text(f'digest.lens.{lens}')}*"))
        built_in = prompts.text(f"{p}built_in_{lens}") if lens != "work" else ""
        if built_in:
            blocks.append(context(built_in))
        for question in (q for q in asked if q.lens == lens):
            blocks.append(section(_line(question), _menu(question, asked)))
    buttons = [button(prompts.text(p + "preview"), PREVIEW, team_key)]
    if len(asked) < MAX_QUESTIONS:
        buttons.insert(0, button(prompts.text(p + "add"), ADD, team_key, style="primary"))
    if team_key and own_list(config, team_key) is not None:
        buttons.append(button(prompts.text(p + "reset"), RESET, team_key))
    blocks.append(actions(*buttons))
    blocks.append(context(prompts.text(p + "applies")))
    title = prompts.text(p + "title")
    return modal(title, blocks, callback_id=LIST, submit=False, meta={"team": team_key})


def org_questions(config: OrgConfig) -> list[QuestionSpec]:
    return list(config.questions) if config.questions is not None else list(default_questions())


def _line(question: QuestionSpec) -> str:
    kind = prompts.text(f"questions.kind.{question.kind}")
    extra = [kind]
    if question.options:
        extra.append(", ".join(question.options))
    if question.required:
        extra.append(prompts.text("questions.required_mark"))
    if question.figure:
        extra.append(prompts.text("questions.figure_mark"))
    return f"*{escape(question.text)}*\n_{escape(' · '.join(extra))}_"


def _menu(question: QuestionSpec, asked: list[QuestionSpec]) -> Block:
    same = [q.key for q in asked if q.lens == question.lens]
    moves = [m for m in MOVES if not (m == "up" and same[0] == question.key)]
    moves = [m for m in moves if not (m == "down" and same[-1] == question.key)]
    return {
        "type": "overflow",
        "action_id": MENU,
        "options": [
            option(prompts.text(f"questions.menu.{move}"), f"{move}:{question.key}")
            for move in moves
        ],
    }


def question_form(team_key: str, question: QuestionSpec | None) -> dict[str, Any]:
    """Add (`question` None) or edit one question; its key stays as it was made."""
    p = "questions.form."
    lenses = [(prompts.text(f"digest.lens.{lens}"), lens) for lens in LENSES]
    kinds = [(prompts.text(f"questions.kind.{kind}"), kind) for kind in KINDS]
    required = checkbox(
        prompts.text(p + "required_box"), "yes", checked=question is not None and question.required
    )
    blocks = [
        field(
            "text",
            prompts.text(p + "text"),
            text_input(question.text if question else "", limit=QUESTION_LIMIT),
        ),
        field(
            "lens", prompts.text(p + "lens"), select(lenses, question.lens if question else "work")
        ),
        field(
            "kind",
            prompts.text(p + "kind"),
            select(kinds, question.kind if question else "long_text"),
            hint=prompts.text(p + "kind_hint"),
        ),
        field(
            "options",
            prompts.text(p + "options"),
            text_input("\n".join(question.options) if question else "", limit=1000, multiline=True),
            optional=True,
            hint=prompts.text(p + "options_hint"),
        ),
        field("required", prompts.text(p + "required"), required, optional=True),
    ]
    title = prompts.text(p + ("edit_title" if question else "add_title"))
    meta = {"team": team_key, "key": question.key if question else ""}
    return modal(title, blocks, callback_id=FORM, submit=True, meta=meta)


def read_form(values: dict[str, Any]) -> dict[str, Any]:
    """The form as a question's fields (its key is the caller's)."""
    text = state(values, "text").get("value") or ""
    lens = (state(values, "lens").get("selected_option") or {}).get("value")
    kind = (state(values, "kind").get("selected_option") or {}).get("value")
    lines = (state(values, "options").get("value") or "").splitlines()
    picked = state(values, "required").get("selected_options") or []
    options = [line.strip() for line in lines if line.strip()]
    return {
        "lens": lens,
        "text": " ".join(str(text).split()),
        "kind": kind,
        "options": options,
        "required": any((item or {}).get("value") == "yes" for item in picked),
    }


def block_for(message: str) -> str:
    """The form's block a refusal is about."""
    return next((block for word, block in FIELDS.items() if word in message), "text")


def preview_modal(config: OrgConfig, team_key: str, min_group: int) -> dict[str, Any]:
    """The check-in as a member of the team will see it now; its Save stores nothing."""
    asked = config.questions_of(team_key) if team_key else tuple(org_questions(config))
    objectives = [(o.key, o.title) for o in config.objectives if not o.archived]
    view = checkin_views.checkin_modal(
        "preview",
        answer=checkin_views.Answer(),
        who_sees=prompts.text("questions.preview_manager"),
        objectives=objectives,
        questions=asked,
        min_group=min_group,
        title=prompts.text("checkin.modal.preview_title"),
    )
    note = prompts.text("checkin.modal.preview_note", team=escape(scope_name(config, team_key)))
    view["blocks"].insert(0, context(note))
    view["callback_id"] = PREVIEWED  # its Save (Slack wants one beside inputs) only closes it
    view.pop("private_metadata", None)
    return view
