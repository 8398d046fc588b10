"""The check-in DM and modal."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

import prompts
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

OPEN = "checkin_open"
SKIP = "checkin_skip"
LATER = "checkin_later"
EDIT = "checkin_edit"
MODAL = "checkin_modal"

ANSWER_LIMIT = 2000
TEXT_FIELDS = ("moved", "blocked", "learned", "helped_text")
NONE_OBJECTIVE = "-"


@dataclass(frozen=True)
class Answer:
    """What the modal collects (and what it is pre-filled with when editing)."""

    moved: str | None = None
    blocked: str | None = None
    energy: int | None = None
    learned: str | None = None
    helped_users: tuple[str, ...] = ()
    helped_text: str | None = None
    objective_key: str | None = None


def nudge_message(
    week: str, *, welcome: bool, reminder: str | None = None
) -> tuple[str, list[Block]]:
    """The DM that asks for a check-in; `reminder` is the reminder line, if this is one."""
    blocks: list[Block] = []
    if welcome:
        blocks.append(section(prompts.text("checkin.welcome")))
    if reminder:
        blocks.append(section(reminder))
        fallback = prompts.text("checkin.reminder_fallback", week=week)
    else:
        blocks.append(section(prompts.text("checkin.nudge", week=week)))
        fallback = prompts.text("checkin.nudge_fallback", week=week)
    blocks.append(
        actions(
            button(prompts.text("checkin.button_checkin"), OPEN, week, style="primary"),
            button(prompts.text("checkin.button_skip"), SKIP, week),
            button(prompts.text("checkin.button_later"), LATER, week),
            block_id=f"checkin:{week}",
        )
    )
    return fallback, blocks


def done_message(week: str, line: str, *, editable: bool) -> tuple[str, list[Block]]:
    """The DM after answering: 'Checked in ✓' and, while the period is open, Edit."""
    blocks = [section(line)]
    if editable:
        blocks.append(actions(button(prompts.text("checkin.button_edit"), EDIT, week)))
    return prompts.text("checkin.done_fallback", week=week), blocks


def skipped_message(week: str) -> tuple[str, list[Block]]:
    blocks = [
        section(prompts.text("checkin.skipped", week=week)),
        actions(button(prompts.text("checkin.button_checkin"), OPEN, week)),
    ]
    return prompts.text("checkin.skipped_fallback", week=week), blocks


def _text_input(
    block_id: str, label: str, initial: str | None, *, placeholder: str | None = None
) -> Block:
    """An optional answer of at most ANSWER_LIMIT characters."""
    element = text_element(initial, ANSWER_LIMIT, placeholder)
    return input_block(block_id, label, element, optional=True)


def checkin_modal(
    week: str,
    *,
    answer: Answer,
    who_sees: str,
    objectives: list[tuple[str, str]],
    last_blocker: str | None = None,
    late: bool = False,
    until: int | None = None,
) -> dict[str, Any]:
    """The three-lens check-in modal, pre-filled with `answer` when editing.

    `until` (epoch seconds) is when what it collects stops meaning what it did at opening:
    the period's close, or for a late answer the next nudge. Before then a submission is checked
    from itself alone; after, against what is stored.
    """
    p = "checkin.modal."
    energy_options = [
        option(prompts.text(f"checkin.energy.{level}"), str(level)) for level in range(1, 6)
    ]
    energy: Block = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": plain(prompts.text(p + "energy_placeholder")),
        "options": energy_options,
    }
    if answer.energy:
        energy["initial_option"] = energy_options[answer.energy - 1]
    people: Block = {
        "type": "multi_users_select",
        "action_id": "value",
        "max_selected_items": 20,
        "placeholder": plain("Pick people"),
    }
    if answer.helped_users:
        people["initial_users"] = list(answer.helped_users)

    blocks: list[Block] = [
        context(
            prompts.text(p + "who_sees", manager=escape(who_sees))
            if who_sees
            else prompts.text(p + "who_sees_self")
        )
    ]
    if late:
        blocks.append(context(prompts.text(p + "late_note")))
    blocks.append(section(prompts.text(p + "work_heading")))
    blocks.append(
        _text_input(
            "moved",
            prompts.text(p + "moved_label"),
            answer.moved,
            placeholder=prompts.text(p + "moved_placeholder"),
        )
    )
    if last_blocker:
        blocks.append(
            context(prompts.text(p + "last_blocker", text=quoted(cut(last_blocker, 500))))
        )
    blocks.append(
        _text_input(
            "blocked",
            prompts.text(p + "blocked_label"),
            answer.blocked,
            placeholder=prompts.text(p + "blocked_placeholder"),
        )
    )
    blocks.append(section(prompts.text(p + "self_heading")))
    blocks.append(
        {
            "type": "input",
            "block_id": "energy",
            "label": plain(prompts.text(p + "energy_label")),
            "element": energy,
        }
    )
    blocks.append(_text_input("learned", prompts.text(p + "learned_label"), answer.learned))
    blocks.append(section(prompts.text(p + "others_heading")))
    blocks.append(
        {
            "type": "input",
            "block_id": "helped_users",
            "optional": True,
            "label": plain(prompts.text(p + "helped_users_label")),
            "element": people,
        }
    )
    blocks.append(
        _text_input("helped_text", prompts.text(p + "helped_text_label"), answer.helped_text)
    )
    if objectives:
        choices = [option(title, key) for key, title in objectives[:99]]
        choices.append(option("None of these", NONE_OBJECTIVE))
        select: Block = {
            "type": "static_select",
            "action_id": "value",
            "options": choices,
            "placeholder": plain("Pick an objective"),
        }
        chosen = next((c for c in choices if c["value"] == answer.objective_key), None)
        if chosen:
            select["initial_option"] = chosen
        blocks.append(
            {
                "type": "input",
                "block_id": "objective",
                "optional": True,
                "label": plain(prompts.text(p + "objective_label")),
                "element": select,
            }
        )
    title = prompts.text(p + ("title_late" if late else "title"))
    return {
        "type": "modal",
        "callback_id": MODAL,
        "title": plain(title, 24),
        "submit": plain(prompts.text(p + "submit"), 24),
        "close": plain(prompts.text(p + "close"), 24),
        "private_metadata": json.dumps({"period": week, "late": late, "until": until}),
        "blocks": blocks,
    }


def read_submission(values: dict[str, Any]) -> Answer:
    """The Answer in a view_submission's state.values (empty strings become None)."""

    def value(block_id: str) -> Any:
        return (values.get(block_id) or {}).get("value") or {}

    def text_of(block_id: str) -> str | None:
        raw = value(block_id).get("value")
        return raw.strip() or None if isinstance(raw, str) else None

    energy = (value("energy").get("selected_option") or {}).get("value")
    objective = (value("objective").get("selected_option") or {}).get("value")
    users = value("helped_users").get("selected_users") or []
    return Answer(
        moved=text_of("moved"),
        blocked=text_of("blocked"),
        energy=int(energy) if energy in {"1", "2", "3", "4", "5"} else None,
        learned=text_of("learned"),
        helped_users=tuple(u for u in users if isinstance(u, str))[:20],
        helped_text=text_of("helped_text"),
        objective_key=None if objective in (None, NONE_OBJECTIVE) else str(objective),
    )


def answer_data(answer: Answer) -> dict[str, Any]:
    """The answer as JSON, to hand on through the inbox."""
    data = {field.name: getattr(answer, field.name) for field in fields(answer)}  # all immutable
    return {**data, "helped_users": list(answer.helped_users)}


def answer_from_data(data: dict[str, Any]) -> Answer:
    """The answer handed on by `answer_data`."""
    known = {name: data[name] for name in Answer.__dataclass_fields__ if name in data}
    return Answer(**{**known, "helped_users": tuple(known.get("helped_users") or ())})


def offered_objectives(view: dict[str, Any]) -> set[str]:
    """The objective keys the submitted modal offered (Slack only lets people pick those)."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") == "objective":
            options = (block.get("element") or {}).get("options") or []
            return {str(o.get("value")) for o in options if o.get("value") != NONE_OBJECTIVE}
    return set()


def answer_summary(answer: Answer) -> str:
    """What someone wrote, as text for a DM (when it could not be stored, so it isn't lost)."""
    p = "checkin.modal."
    lines = [
        f"*{prompts.text(p + field + '_label')}*\n{quoted(text, lines=True)}"
        for field in TEXT_FIELDS
        if (text := getattr(answer, field))
    ]
    if answer.energy is not None:
        energy = prompts.text(f"checkin.energy.{answer.energy}")
        lines.append(f"*{prompts.text(p + 'energy_label')}*\n{energy}")
    return "\n\n".join(lines)


def answer_errors(answer: Answer, objective_keys: set[str]) -> dict[str, str]:
    """Inline errors by block id; empty when the answer can be stored."""
    p = "checkin.modal."
    errors: dict[str, str] = {}
    for field in TEXT_FIELDS:
        text = getattr(answer, field)
        if text and len(text) > ANSWER_LIMIT:
            errors[field] = prompts.text(p + "too_long", limit=ANSWER_LIMIT, length=len(text))
    if answer.energy is None:
        errors["energy"] = prompts.text(p + "energy_missing")
    if answer.objective_key is not None and answer.objective_key not in objective_keys:
        errors["objective"] = prompts.text(p + "unknown_objective")
    return errors
