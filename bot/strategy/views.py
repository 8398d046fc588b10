"""The strategy reflection DM and modal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import prompts
from bot.org.config import ObjectiveSpec
from bot.views.kit import (
    Block,
    actions,
    button,
    context,
    cut,
    escape,
    input_block,
    option,
    plain,
    quoted,
    section,
    text_element,
)

OPEN = "strategy_open"
MODAL = "strategy_modal"
OTHER = "_other"
TEXT_LIMIT = 1500
MAX_LISTED = 20


def objective_lines(objectives: list[ObjectiveSpec]) -> list[str]:
    """One line per objective (title and its one-line description), escaped."""
    lines = []
    for objective in objectives:
        title = escape(objective.title)
        if objective.description:
            lines.append(
                prompts.text(
                    "strategy.objective_line",
                    title=title,
                    description=escape(cut(objective.description, 200)),
                )
            )
        else:
            lines.append(prompts.text("strategy.objective_line_bare", title=title))
    return lines


def reflection_message(
    objectives: list[ObjectiveSpec], *, note: str | None = None
) -> tuple[str, list[Block]]:
    """The DM that invites a reflection (a re-ask names what changed in `note`)."""
    if note:
        intro = prompts.text("strategy.reask", what=escape(note))
        fallback = prompts.text("strategy.reask_fallback")
    else:
        intro = prompts.text("strategy.nudge")
        fallback = prompts.text("strategy.nudge_fallback")
    lines = objective_lines(objectives[:MAX_LISTED])
    if len(objectives) > MAX_LISTED:
        lines.append(f"… and {len(objectives) - MAX_LISTED} more, listed in the form.")
    blocks = [
        section(intro),
        section("\n".join(lines)),
        actions(button(prompts.text("strategy.button"), OPEN, "reflect", style="primary")),
    ]
    return fallback, blocks


@dataclass(frozen=True)
class ReflectionAnswer:
    objective_keys: tuple[str, ...] = ()
    other: str | None = None
    how: str | None = None
    progress: str | None = None
    help: str | None = None
    picked_other: bool = False


def _text(block_id: str, label: str, *, optional: bool, initial: str | None = None) -> Block:
    return input_block(block_id, label, text_element(initial, TEXT_LIMIT), optional=optional)


def reflection_modal(
    objectives: list[ObjectiveSpec],
    *,
    phrasing: int,
    who_sees: str,
    quote_back: str | None,
    previous: ReflectionAnswer | None = None,
) -> dict[str, Any]:
    """The reflection modal, in the person's next phrasing, optionally pre-filled."""
    p = "strategy.modal."
    asked = prompts.raw("strategy.phrasings")[phrasing]
    choices = [option(o.title, o.key) for o in objectives[:99]]
    choices.append(option(prompts.text(p + "none_option"), OTHER))
    select: Block = {
        "type": "multi_static_select",
        "action_id": "value",
        "options": choices,
        "placeholder": plain(prompts.text(p + "objectives_placeholder")),
    }
    if previous and previous.objective_keys:
        chosen = [c for c in choices if c["value"] in previous.objective_keys]
        if chosen:
            select["initial_options"] = chosen
    who = (
        prompts.text(p + "who_sees", manager=escape(who_sees))
        if who_sees
        else prompts.text(p + "who_sees_self")
    )
    blocks: list[Block] = [context(who), section(prompts.text("strategy.nudge"))]
    if quote_back:
        blocks.append(
            context(prompts.text("strategy.quote_back", text=quoted(cut(quote_back, 500))))
        )
    blocks += [
        {
            "type": "input",
            "block_id": "objectives",
            "label": plain(prompts.text(p + "objectives_label")),
            "element": select,
        },
        _text(
            "other",
            prompts.text(p + "other_label"),
            optional=True,
            initial=previous.other if previous else None,
        ),
        _text("how", asked["how"], optional=False),
        _text("progress", asked["progress"], optional=False),
        _text("help", prompts.text(p + "help_label"), optional=True),
    ]
    return {
        "type": "modal",
        "callback_id": MODAL,
        "title": plain(prompts.text(p + "title"), 24),
        "submit": plain(prompts.text(p + "submit"), 24),
        "close": plain(prompts.text(p + "close"), 24),
        "private_metadata": json.dumps({"phrasing": phrasing}),
        "blocks": blocks,
    }


def read_reflection(values: dict[str, Any]) -> ReflectionAnswer:
    def value(block_id: str) -> dict[str, Any]:
        return (values.get(block_id) or {}).get("value") or {}

    def text(block_id: str) -> str | None:
        raw = value(block_id).get("value")
        return (raw.strip() or None) if isinstance(raw, str) else None

    picked = [o.get("value") for o in value("objectives").get("selected_options") or []]
    keys = tuple(str(k) for k in picked if isinstance(k, str) and k != OTHER)
    return ReflectionAnswer(
        objective_keys=keys,
        other=text("other"),
        how=text("how"),
        progress=text("progress"),
        help=text("help"),
        picked_other=OTHER in picked,
    )


def reflection_errors(answer: ReflectionAnswer, known: set[str]) -> dict[str, str]:
    p = "strategy.modal."
    errors: dict[str, str] = {}
    for field in ("other", "how", "progress", "help"):
        text = getattr(answer, field)
        if text and len(text) > TEXT_LIMIT:
            errors[field] = prompts.text(p + "too_long", limit=TEXT_LIMIT, length=len(text))
    if not answer.objective_keys and not answer.picked_other:
        errors["objectives"] = prompts.text(p + "pick_one")
    elif any(key not in known for key in answer.objective_keys):
        errors["objectives"] = prompts.text(p + "pick_one")
    if answer.picked_other and not answer.other:
        errors.setdefault("other", prompts.text(p + "other_missing"))
    for field in ("how", "progress"):
        if not getattr(answer, field):
            errors.setdefault(field, prompts.text(p + "required"))
    return errors
