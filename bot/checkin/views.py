"""The check-in DM and modal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import prompts
from bot.org.config import (
    COLUMN_KEYS,
    LENSES,
    MIN_GROUP_FLOOR,
    QuestionSpec,
    default_questions,
)
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
SHORT_LIMIT = 500  # a short_text answer: one line
TEXT_FIELDS = ("moved", "blocked", "learned", "helped_text")
BUILT_IN = ("energy", "helped_users", "helped_text", "objective")  # block ids of every modal
NONE_OBJECTIVE = "-"
CHOICE, STEP = "c", "s"  # option values: "c0".."c9" for a choice, "s1".."s5" for a scale


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
    # the team's own questions, by key: text, an option's words, a list of them, a scale's
    # step (1–5) or user ids; `labels` is what each asked (to give the words back by DM)
    answers: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


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


def question_element(question: QuestionSpec, value: Any) -> Block:
    """The input a question's kind asks with, pre-filled with `value` when editing."""
    kind = question.kind
    if kind in ("short_text", "long_text"):
        short = kind == "short_text"
        limit = SHORT_LIMIT if short else ANSWER_LIMIT
        placeholder = (
            prompts.text(f"checkin.modal.{question.key}_placeholder")
            if question.key in ("moved", "blocked")
            else None
        )
        text = value if isinstance(value, str) else None
        return text_element(text, limit, placeholder, multiline=not short)
    if kind == "people":
        element: Block = {
            "type": "multi_users_select",
            "max_selected_items": 20,
            "placeholder": plain(prompts.text("checkin.modal.people_placeholder")),
        }
        if isinstance(value, list) and value:
            element["initial_users"] = [str(user) for user in value][:20]
        return element
    if kind == "scale":
        choices = [
            option(f"{step} · {word}", f"{STEP}{step}")
            for step, word in enumerate(question.options, 1)
        ]
        chosen = [c for c in choices if c["value"] == f"{STEP}{value}"]
    else:
        choices = [option(text, f"{CHOICE}{k}") for k, text in enumerate(question.options)]
        picked = value if isinstance(value, list) else [value]
        chosen = [c for c, text in zip(choices, question.options, strict=True) if text in picked]
    multi = kind == "multi_choice"
    element = {"type": "checkboxes" if multi else "radio_buttons", "options": choices}
    if chosen:
        element["initial_options" if multi else "initial_option"] = chosen if multi else chosen[0]
    return element


def question_block(question: QuestionSpec, value: Any, min_group: int) -> Block:
    """A question as an input; a choice or scale says beside it how it is shown."""
    hint = prompts.text("checkin.modal.figure_hint", min=min_group) if question.figure else None
    return input_block(
        question.key,
        question.text,
        question_element(question, value),
        optional=not question.required,
        hint=hint,
    )


def checkin_modal(
    week: str,
    *,
    answer: Answer,
    who_sees: str,
    objectives: list[tuple[str, str]],
    last_blocker: str | None = None,
    late: bool = False,
    until: int | None = None,
    questions: Sequence[QuestionSpec] | None = None,
    min_group: int = MIN_GROUP_FLOOR,
    title: str | None = None,
) -> dict[str, Any]:
    """The three-lens check-in modal, pre-filled with `answer` when editing: the team's
    `questions` (leadbot's template by default) under their lens, with energy and who helped
    whom built in. `title` replaces its title (a Preview).

    `until` (epoch seconds) is when what it collects stops meaning what it did at opening:
    the period's close, or for a late answer the next nudge. Before then a submission is checked
    from itself alone; after, against what is stored.
    """
    p = "checkin.modal."
    questions = default_questions() if questions is None else questions
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
        "placeholder": plain(prompts.text(p + "people_placeholder")),
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
    built_in: dict[str, list[Block]] = {
        "work": [],
        "self": [
            {
                "type": "input",
                "block_id": "energy",
                "label": plain(prompts.text(p + "energy_label")),
                "element": energy,
            }
        ],
        "others": [
            {
                "type": "input",
                "block_id": "helped_users",
                "optional": True,
                "label": plain(prompts.text(p + "helped_users_label")),
                "element": people,
            },
            _text_input("helped_text", prompts.text(p + "helped_text_label"), answer.helped_text),
        ],
    }
    for lens in LENSES:
        blocks.append(section(prompts.text(f"{p}{lens}_heading")))
        blocks += built_in[lens]
        for question in (q for q in questions if q.lens == lens):
            if question.key == "blocked" and last_blocker:
                blocks.append(
                    context(prompts.text(p + "last_blocker", text=quoted(cut(last_blocker, 500))))
                )
            blocks.append(question_block(question, answer_value(answer, question.key), min_group))
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
    title = title or prompts.text(p + ("title_late" if late else "title"))
    return {
        "type": "modal",
        "callback_id": MODAL,
        "title": plain(title, 24),
        "submit": plain(prompts.text(p + "submit"), 24),
        "close": plain(prompts.text(p + "close"), 24),
        "private_metadata": json.dumps({"period": week, "late": late, "until": until}),
        "blocks": blocks,
    }


def answer_value(answer: Answer, key: str) -> Any:
    """What `answer` says to question `key` (a column's field, or one of its answers)."""
    if key in COLUMN_KEYS:
        return getattr(answer, key)
    return answer.answers.get(key)


def read_submission(values: dict[str, Any], blocks: Sequence[Any] = ()) -> Answer:
    """The Answer in a view_submission's state.values (empty strings become None); the
    team's own questions are read as the submitted view's `blocks` asked them (Slack sends
    back the view it showed, so an option is only ever one it offered)."""

    def value(block_id: str) -> Any:
        return (values.get(block_id) or {}).get("value") or {}

    def text_of(block_id: str) -> str | None:
        raw = value(block_id).get("value")
        return raw.strip() or None if isinstance(raw, str) else None

    energy = (value("energy").get("selected_option") or {}).get("value")
    objective = (value("objective").get("selected_option") or {}).get("value")
    users = value("helped_users").get("selected_users") or []
    answers: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for block in asked_blocks(blocks):
        key = block["block_id"]
        labels[key] = str((block.get("label") or {}).get("text", key))
        if key in COLUMN_KEYS:
            continue
        given = _given(block.get("element") or {}, value(key), text_of(key))
        if given not in (None, []):
            answers[key] = given
    return Answer(
        moved=text_of("moved"),
        blocked=text_of("blocked"),
        energy=int(energy) if energy in {"1", "2", "3", "4", "5"} else None,
        learned=text_of("learned"),
        helped_users=tuple(u for u in users if isinstance(u, str))[:20],
        helped_text=text_of("helped_text"),
        objective_key=None if objective in (None, NONE_OBJECTIVE) else str(objective),
        answers=answers,
        labels=labels,
    )


def fits(question: QuestionSpec, given: Any) -> bool:
    """Whether an answer is one the question's kind could have given."""
    kind = question.kind
    if kind in ("short_text", "long_text"):
        return isinstance(given, str) and len(given) <= ANSWER_LIMIT
    if kind == "scale":
        return isinstance(given, int) and not isinstance(given, bool) and 1 <= given <= 5
    if kind == "single_choice":
        return given in question.options
    if kind == "multi_choice":
        return isinstance(given, list) and all(g in question.options for g in given)
    return isinstance(given, list) and all(isinstance(g, str) for g in given)  # people


def asked_blocks(blocks: Sequence[Any]) -> list[dict[str, Any]]:
    """The input blocks of a check-in modal that ask the team's own questions."""
    return [
        block
        for block in blocks
        if isinstance(block, dict)
        and block.get("type") == "input"
        and isinstance(block.get("block_id"), str)
        and block["block_id"] not in BUILT_IN
    ]


def _given(element: dict[str, Any], state: dict[str, Any], text: str | None) -> Any:
    """One answer as its element gave it: text, an option's words (or a scale's step), a list
    of options, or user ids. Only what the element offered counts."""
    kind = element.get("type")
    if kind == "plain_text_input":
        return text
    if kind == "multi_users_select":
        users = state.get("selected_users") or []
        return [user for user in users if isinstance(user, str)][:20]
    offered = {
        str(o.get("value")): str((o.get("text") or {}).get("text", ""))
        for o in element.get("options") or []
        if isinstance(o, dict)
    }
    if kind == "checkboxes":
        picked = [str((o or {}).get("value")) for o in state.get("selected_options") or []]
        return [offered[v] for v in offered if v in picked]
    picked_one = str((state.get("selected_option") or {}).get("value"))
    if picked_one not in offered:
        return None
    if picked_one.startswith(STEP):
        return int(picked_one[1:])
    return offered[picked_one]


def answer_data(answer: Answer) -> dict[str, Any]:
    """The answer as JSON, to hand on through the inbox."""
    data = {f.name: getattr(answer, f.name) for f in fields(answer)}
    return {
        **data,
        "helped_users": list(answer.helped_users),
        "answers": dict(answer.answers),
        "labels": dict(answer.labels),
    }


def answer_from_data(data: dict[str, Any]) -> Answer:
    """The answer handed on by `answer_data`."""
    known = {name: data[name] for name in Answer.__dataclass_fields__ if name in data}
    return Answer(
        **{
            **known,
            "helped_users": tuple(known.get("helped_users") or ()),
            "answers": dict(known.get("answers") or {}),
            "labels": dict(known.get("labels") or {}),
        }
    )


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
    for key, given in answer.answers.items():
        label = escape(answer.labels.get(key, key))
        lines.append(f"*{label}*\n{quoted(shown_answer(given), lines=True)}")
    return "\n\n".join(lines)


def shown_answer(given: Any) -> str:
    """An answer as words: text as written, options joined, people as mentions."""
    if isinstance(given, list):
        people = all(isinstance(v, str) and v[:1] in ("U", "W") and v.isalnum() for v in given)
        return ", ".join(f"<@{v}>" if people else str(v) for v in given)
    return str(given)


def answer_errors(
    answer: Answer, objective_keys: set[str], blocks: Sequence[Any] = ()
) -> dict[str, str]:
    """Inline errors by block id; empty when the answer can be stored. `blocks` are the
    modal's (its questions' limits and which are required)."""
    p = "checkin.modal."
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        text = getattr(answer, name)
        if text and len(text) > ANSWER_LIMIT:
            errors[name] = prompts.text(p + "too_long", limit=ANSWER_LIMIT, length=len(text))
    for block in asked_blocks(blocks):
        key, element = block["block_id"], block.get("element") or {}
        given = answer_value(answer, key)
        limit = element.get("max_length")
        if isinstance(given, str) and isinstance(limit, int) and len(given) > limit:
            errors[key] = prompts.text(p + "too_long", limit=limit, length=len(given))
        elif given in (None, [], "") and block.get("optional") is False:
            errors[key] = prompts.text(p + "required")
    if answer.energy is None:
        errors["energy"] = prompts.text(p + "energy_missing")
    if answer.objective_key is not None and answer.objective_key not in objective_keys:
        errors["objective"] = prompts.text(p + "unknown_objective")
    return errors
